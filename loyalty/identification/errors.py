"""Why a scanned or typed code is not a member: one reason code and a bilingual message each."""

from __future__ import annotations

from enum import Enum

from ..errors import LoyaltyError


class Reason(Enum):
    """Stable reason codes: the agent's API, logs and the POS show them."""

    EMPTY = "empty"
    GARBAGE = "garbage"
    NOT_MEMBER_CODE = "not_member_code"
    BAD_CHECK_DIGIT = "bad_check_digit"
    CPF_INVALID = "cpf_invalid"
    CPF_REPEATED_DIGITS = "cpf_repeated_digits"
    QR_MALFORMED = "qr_malformed"
    QR_WRONG_KEY = "qr_wrong_key"
    QR_TAMPERED = "qr_tampered"
    QR_EXPIRED = "qr_expired"
    QR_NOT_YET_VALID = "qr_not_yet_valid"
    # QR_EXPIRED at a till whose clock is known to be ahead of the server's (the agent measures
    # it at every sync): the code is likely fine, the till's clock is not.
    QR_TILL_CLOCK_AHEAD = "qr_till_clock_ahead"
    QR_NO_KEY = "qr_no_key"


_MESSAGES: dict[Reason, tuple[str, str]] = {
    Reason.EMPTY: ("Nothing was read. Scan again.", "Nada foi lido. Passe o código de novo."),
    Reason.GARBAGE: (
        "Unreadable code {value!r}. Scan again or type the CPF.",
        "Código ilegível {value!r}. Passe de novo ou digite o CPF.",
    ),
    Reason.NOT_MEMBER_CODE: (
        "{value!r} is not a member card (product or scale label?).",
        "{value!r} não é cartão do clube (produto ou etiqueta de balança?).",
    ),
    Reason.BAD_CHECK_DIGIT: (
        "Card number {value!r} has a wrong check digit. Scan again or type it again.",
        "Cartão {value!r} com dígito verificador errado. Passe ou digite de novo.",
    ),
    Reason.CPF_INVALID: (
        "Invalid CPF {value!r}: check digits do not match. Ask the customer again.",
        "CPF inválido {value!r}: dígitos verificadores não conferem. Confirme com o cliente.",
    ),
    Reason.CPF_REPEATED_DIGITS: (
        "Invalid CPF {value!r}: all digits are the same.",
        "CPF inválido {value!r}: todos os dígitos iguais.",
    ),
    Reason.QR_MALFORMED: (
        "This QR code is not a tillclub member code. Ask the customer to reopen the app.",
        "Este QR não é do clube. Peça ao cliente para abrir o cartão no app de novo.",
    ),
    Reason.QR_WRONG_KEY: (
        "This QR code was issued by another loyalty programme.",
        "Este QR foi emitido por outro programa de fidelidade.",
    ),
    Reason.QR_TAMPERED: (
        "This QR code was altered and is not valid.",
        "Este QR foi alterado e não é válido.",
    ),
    Reason.QR_EXPIRED: (
        "This QR code expired. Ask the customer to refresh the card in the app.",
        "Este QR expirou. Peça ao cliente para atualizar o cartão no app.",
    ),
    Reason.QR_NOT_YET_VALID: (
        "This QR code is not valid yet: check the till's clock.",
        "Este QR ainda não é válido: confira o relógio do caixa.",
    ),
    Reason.QR_TILL_CLOCK_AHEAD: (
        "This QR code looks expired because this till's clock is ahead of the server's: "
        "check the till's clock (date, time and time zone). The customer's card is fine.",
        "Este QR parece vencido porque o relógio deste caixa está adiantado em relação à "
        "central: confira o relógio do caixa (data, hora e fuso). O cartão do cliente está certo.",
    ),
    Reason.QR_NO_KEY: (
        "Phone QR codes cannot be checked: no public key is configured.",
        "Não é possível validar QR: chave pública não configurada.",
    ),
}


def _redact(value: str) -> str:
    """Hide all but the last 4 digits of anything that could be a CPF or card number.

    Messages end up in logs and on screens; DESIGN.md forbids CPFs and card numbers there.
    """
    if len(value) > 40:
        value = value[:37] + "..."
    digits = sum(c.isdigit() for c in value)
    if digits < 8:
        return value
    seen = 0
    out = []
    for c in value:
        if c.isdigit():
            seen += 1
            out.append(c if seen > digits - 4 else "*")
        else:
            out.append(c)
    return "".join(out)


class IdentificationError(LoyaltyError):
    """A read that identifies no member. ``reason`` says why; nothing was changed."""

    def __init__(self, reason: Reason, value: str = "") -> None:
        en, pt = _MESSAGES[reason]
        shown = _redact(value)
        super().__init__(en.format(value=shown), pt.format(value=shown))
        self.reason = reason
        self.code = reason.value
