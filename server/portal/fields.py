"""Checking what a shopper types: CPF, e-mail, Brazilian phone, birth date (and age)."""

from __future__ import annotations

import datetime as dt
import re

from loyalty.identification import IdentificationError, Reason, mask_cpf, normalize_cpf

from .errors import PortalError

MIN_AGE = 18
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def err(code: str, en: str, pt: str, field: str | None = None) -> PortalError:
    return PortalError(code, en, pt, field)


def clean_email(raw: str | None) -> str | None:
    text = (raw or "").strip().lower()
    if not text:
        return None
    if len(text) > 254 or not _EMAIL.match(text):
        raise err(
            "email_invalid",
            f"not an e-mail address: {text!r}",
            f"e-mail inválido: {text!r}",
            "email",
        )
    return text


def clean_phone(raw: str | None) -> str | None:
    """A Brazilian phone as digits with country code (+55 DDD number), 10-11 digits after 55."""
    text = (raw or "").strip()
    if not text:
        return None
    digits = re.sub(r"\D", "", text)
    if digits.startswith("55") and len(digits) in (12, 13):
        digits = digits[2:]
    if len(digits) not in (10, 11) or digits[0] == "0":
        raise err(
            "phone_invalid",
            f"not a phone number with area code: {text!r}",
            f"telefone inválido (informe DDD e número): {text!r}",
            "phone",
        )
    return "+55" + digits


def parse_birth_date(raw: str, today: dt.date) -> dt.date:
    try:
        born = dt.date.fromisoformat(raw.strip())
    except ValueError:
        raise err(
            "birth_date_invalid", f"not a date: {raw!r}", f"data inválida: {raw!r}", "birth_date"
        ) from None
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    if born > today or age > 120:
        raise err(
            "birth_date_invalid",
            f"impossible birth date: {raw!r}",
            f"data de nascimento impossível: {raw!r}",
            "birth_date",
        )
    if age < MIN_AGE:
        raise err(
            "too_young",
            f"the programme is for people aged {MIN_AGE} or over",
            f"o programa é para maiores de {MIN_AGE} anos",
            "birth_date",
        )
    return born


def clean_cpf(raw: str) -> str:
    """The 11 digits of a valid CPF; the shopper's own words on refusal (never the full CPF)."""
    try:
        return normalize_cpf(raw)
    except IdentificationError as exc:
        if exc.reason is Reason.GARBAGE:
            raise err(
                "cpf_invalid",
                "type the 11 digits of your CPF",
                "digite os 11 dígitos do seu CPF",
                "cpf",
            ) from None
        masked = mask_cpf(raw)
        raise err(
            "cpf_invalid",
            f"CPF {masked} is not valid: check the digits",
            f"o CPF {masked} não é válido: confira os dígitos",
            "cpf",
        ) from None
