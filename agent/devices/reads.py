"""What a read means: every complete read goes through ``loyalty.identification.identify``.

A read is *accepted* (a member card, a phone QR or a CPF) or *rejected* with a reason code and
a message for the cashier in pt-BR and English. Rejecting changes nothing: no state is kept
about rejected reads beyond the scanner's counters. Partial reads and overflow are rejected
*before* identification, because a truncated card number can be another member's number.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

from loyalty.identification import (
    Identification,
    IdentificationConfig,
    IdentificationError,
    identify,
)

from .framing import Frame

IdentifyFn = Callable[[str, IdentificationConfig, datetime], Identification]


class ScanSource(Enum):
    """Where a read came from; decides which kinds of member code it may be."""

    SERIAL = "serial"  # a serial (or USB-serial) scanner
    WEDGE_SCANNER = "wedge_scanner"  # a keyboard-wedge burst, timings say a scanner
    WEDGE_TYPED = "wedge_typed"  # timings say a person typed it
    WEDGE_UNKNOWN = "wedge_unknown"  # the plugin gave no timings


# A barcode is never a CPF: an 11-digit scan that happens to pass the CPF check digits (one
# in a hundred does) would otherwise identify a stranger. People type CPFs; scanners scan cards.
ALLOWED_KINDS: dict[ScanSource, frozenset[str]] = {
    ScanSource.SERIAL: frozenset({"card", "qr"}),
    ScanSource.WEDGE_SCANNER: frozenset({"card", "qr"}),
    ScanSource.WEDGE_TYPED: frozenset({"card", "cpf"}),
    ScanSource.WEDGE_UNKNOWN: frozenset({"card", "qr", "cpf"}),
}

_REJECTIONS: dict[str, tuple[str, str]] = {
    "partial": (
        "Incomplete read: the code was cut off. Scan again.",
        "Leitura incompleta: o código veio cortado. Passe de novo.",
    ),
    "overflow": (
        "Line noise from the scanner (read too long). Scan again.",
        "Ruído no leitor (leitura longa demais). Passe de novo.",
    ),
    "line_noise": (
        "Line noise from the scanner (unreadable bytes). Check the cable and baud rate.",
        "Ruído no leitor (bytes ilegíveis). Confira o cabo e a velocidade (baud).",
    ),
    "wrong_source_cpf": (
        "A CPF must be typed, not scanned. Type the CPF.",
        "CPF deve ser digitado, não lido pelo leitor. Digite o CPF.",
    ),
    "wrong_source_qr": (
        "A phone QR must be scanned, not typed. Scan the customer's phone.",
        "QR do celular deve ser lido pelo leitor, não digitado. Leia o celular do cliente.",
    ),
}


@dataclass(frozen=True)
class Accepted:
    """A read that identifies a member (card, phone QR or CPF)."""

    identification: Identification
    source: ScanSource
    ok: bool = field(default=True, init=False)


@dataclass(frozen=True)
class Rejected:
    """A read that identifies nobody. ``reason`` is a stable code; nothing was changed."""

    reason: str
    message_pt: str
    message_en: str
    source: ScanSource
    ok: bool = field(default=False, init=False)

    def message(self, lang: str = "pt-BR") -> str:
        return self.message_pt if lang.lower().startswith("pt") else self.message_en


ScanResult = Accepted | Rejected


def rejection(reason: str, source: ScanSource) -> Rejected:
    en, pt = _REJECTIONS[reason]
    return Rejected(reason, pt, en, source)


def decode_frame(frame: Frame, source: ScanSource) -> str | Rejected:
    """The text of a complete read, or why it is rejected before identification."""
    if not frame.complete:
        return rejection(frame.reason or "partial", source)
    try:
        text = frame.data.decode("ascii")
    except UnicodeDecodeError:
        # Bytes >= 0x80 from a barcode scanner mean a wrong baud rate or parity, or noise.
        return rejection("line_noise", source)
    return text


def interpret(
    raw: str | Frame,
    source: ScanSource,
    config: IdentificationConfig,
    now: datetime,
    *,
    identify_fn: IdentifyFn = identify,
    allowed: Collection[str] | None = None,
) -> ScanResult:
    """Tell what a read is, through the one identification entry point.

    :param raw: the text a wedge delivered, or a frame cut by the serial framer.
    :param source: where it came from; limits the kinds of code (``ALLOWED_KINDS``).
    :param now: the till's clock (timezone-aware), for phone QR expiry.
    :returns: ``Accepted`` or ``Rejected``; never raises for bad input.
    """
    if isinstance(raw, Frame):
        decoded = decode_frame(raw, source)
        if isinstance(decoded, Rejected):
            return decoded
        text = decoded
    else:
        text = raw
    try:
        found = identify_fn(text, config, now)
    except IdentificationError as exc:
        return Rejected(exc.code, exc.message_pt, exc.message_en, source)
    kinds = ALLOWED_KINDS[source] if allowed is None else allowed
    if found.kind not in kinds:
        return rejection(f"wrong_source_{found.kind}", source)
    return Accepted(found, source)
