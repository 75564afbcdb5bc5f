"""The one entry point for whatever a scanner or keyboard delivered at the till.

``identify`` strips what scanners add (whitespace, CR/LF, an AIM symbology identifier such as
``]E0``, ``]C1``, ``]Q1``), decides which kind of code it is, and returns a typed result or
raises an ``IdentificationError`` whose message a cashier understands. It changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from .code128 import is_code128_card, parse_card_code128
from .cpf import looks_like_cpf, normalize_cpf
from .ean import DEFAULT_CARD_PREFIX, check_card_prefix, parse_card_ean
from .errors import IdentificationError, Reason
from .qr import DEFAULT_SKEW, QR_PREFIX, verify_qr

_AIM = re.compile(r"^\][A-Za-z][0-9A-Za-z]")
# Control characters some scanners and wedges add: STX/ETX, GS (FNC1), tabs.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_GTIN_LENGTHS = frozenset({8, 12, 14})


@dataclass(frozen=True)
class IdentificationConfig:
    """What the till needs to tell a member code from anything else."""

    card_prefix: str = DEFAULT_CARD_PREFIX
    public_key: Ed25519PublicKey | None = field(default=None, repr=False)
    qr_skew: timedelta = DEFAULT_SKEW
    # The chain's previous programme's card prefixes: a card starting with one is read as
    # printed (``symbology="legacy"``) and found by its number, as the importer stored it.
    legacy_prefixes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        check_card_prefix(self.card_prefix)
        for prefix in self.legacy_prefixes:
            if not (isinstance(prefix, str) and prefix.isalnum() and 1 <= len(prefix) <= 16):
                raise ValueError(f"invalid legacy card prefix {prefix!r}: 1-16 letters or digits")


@dataclass(frozen=True)
class CardRead:
    """A printed card: EAN-13 (``symbology="ean13"``), Code 128 (``"code128"``), or a card of
    the chain's previous programme (``"legacy"``, ``member_number`` 0: only ``code`` names it).
    """

    member_number: int
    symbology: str
    code: str
    kind: str = "card"


@dataclass(frozen=True)
class QrRead:
    """A phone QR from the member portal, signature and expiry verified."""

    member_id: int
    expires_at: datetime
    kind: str = "qr"


@dataclass(frozen=True)
class CpfRead:
    """A CPF typed by the cashier: the 11 digits (hash them before storing anything)."""

    cpf: str = field(repr=False)
    kind: str = "cpf"


Identification = CardRead | QrRead | CpfRead


def clean_read(raw: str) -> str:
    """Strip whitespace, control characters and an AIM symbology identifier."""
    text = raw.strip()
    text = _AIM.sub("", text, count=1)
    return _CONTROL.sub("", text).strip()


def is_legacy_card(text: str, config: IdentificationConfig) -> bool:
    """Whether ``text`` is a card of a declared old prefix: 4-32 letters or digits, not the
    chain's own EAN-13, and not eleven digits (those are a typed CPF)."""
    if not config.legacy_prefixes or not (text.isalnum() and 4 <= len(text) <= 32):
        return False
    if text.isdigit() and (
        len(text) == 11 or (len(text) == 13 and text.startswith(config.card_prefix))
    ):
        return False
    return text.startswith(config.legacy_prefixes)


def identify(raw: str, config: IdentificationConfig, now: datetime) -> Identification:
    """Tell what ``raw`` is: a member card, a phone QR or a CPF.

    :param raw: exactly what the scanner or keyboard delivered.
    :param now: the till's clock (timezone-aware), used for QR expiry.
    :raises IdentificationError: with a reason and a pt-BR/English message.
    """
    if not isinstance(raw, str):
        raise TypeError(f"raw must be str, not {type(raw).__name__}")
    text = clean_read(raw)
    if not text:
        raise IdentificationError(Reason.EMPTY)
    if text.startswith(QR_PREFIX):
        if config.public_key is None:
            raise IdentificationError(Reason.QR_NO_KEY)
        token = verify_qr(text, config.public_key, now=now, skew=config.qr_skew)
        return QrRead(member_id=token.member_id, expires_at=token.expires_at)
    if is_code128_card(text):
        return CardRead(parse_card_code128(text), "code128", text.upper())
    if is_legacy_card(text, config):
        return CardRead(0, "legacy", text)
    if text.isdigit() and len(text) == 13:
        return CardRead(parse_card_ean(text, config.card_prefix), "ean13", text)
    if looks_like_cpf(text):
        return CpfRead(normalize_cpf(text))
    if text.isdigit() and len(text) in _GTIN_LENGTHS:
        raise IdentificationError(Reason.NOT_MEMBER_CODE, text)
    raise IdentificationError(Reason.GARBAGE, text)
