"""The digital card: which integer a member's QR carries, new card numbers, tokens and images.

``Member.id`` is a string (ids are made at tills and here), but the phone QR carries an
integer. The integer is the *member number* encoded by the member's active EAN-13 card
(``parse_card_ean``), so a till that verifies the QR finds the member the same way it finds a
scanned card: ``card_number(qr.member_id)`` is a card number in its cache. A member without a
card (a till enrolment by CPF only) gets one from the portal's own number range on sign-up.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from loyalty.identification import (
    IdentificationError,
    card_number,
    load_private_key,
    mint_qr,
    parse_card_ean,
)
from loyalty.identification.ean import member_number_digits

from ..models import Card, CardStatus
from .errors import PortalError

QR_TTL = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class QrWindow:
    token: str
    not_before: dt.datetime
    expires_at: dt.datetime


def member_number(s: Session, member_id: str, prefix: str) -> tuple[int, str] | None:
    """The member number and card number of ``member_id``'s newest active EAN-13 card."""
    cards = s.scalars(
        select(Card)
        .where(Card.member_id == member_id, Card.status == CardStatus.ACTIVE)
        .order_by(Card.issued_at.desc(), Card.number.desc())
    )
    for card in cards:
        try:
            return parse_card_ean(card.number, prefix), card.number
        except IdentificationError:
            continue  # a Code 128 card or another chain's prefix: no integer to sign
    return None


def next_card_number(s: Session, prefix: str, base: int) -> str:
    """The next free card number above ``base`` in the portal's range (max + 1).

    Two sign-ups racing get the same number; the card's primary key refuses the second, which
    retries (see ``accounts.sign_up``).
    """
    top = 10 ** member_number_digits(prefix) - 1
    if not 0 <= base < top:
        raise ValueError(f"PORTAL_CARD_NUMBER_BASE {base} does not fit prefix {prefix!r}")
    low, high = card_number(base + 1, prefix), card_number(top, prefix)
    last = s.scalar(select(func.max(Card.number)).where(Card.number >= low, Card.number <= high))
    number = base + 1 if last is None else parse_card_ean(last, prefix) + 1
    if number > top:
        raise PortalError(
            "card_range_full",
            "no card numbers left in the portal's range",
            "acabaram os números de cartão do portal",
        )
    return card_number(number, prefix)


def load_signing_key(path: str | os.PathLike[str] | None) -> Ed25519PrivateKey:
    """The QR signing key from ``QR_PRIVATE_KEY_PATH``.

    :raises PortalError: no path configured, unreadable file, or not an Ed25519 key.
    """
    if not path:
        raise PortalError(
            "qr_key_missing",
            "the server has no QR signing key (QR_PRIVATE_KEY_PATH)",
            "o servidor não tem chave para o QR (QR_PRIVATE_KEY_PATH)",
        )
    try:
        return load_private_key(Path(path).read_bytes())
    except (OSError, ValueError) as exc:
        raise PortalError(
            "qr_key_unreadable",
            f"cannot read the QR signing key {str(path)!r}: {exc}",
            f"não foi possível ler a chave do QR {str(path)!r}",
        ) from None


def mint_windows(
    key: Ed25519PrivateKey, number: int, now: dt.datetime, count: int, step: dt.timedelta
) -> list[QrWindow]:
    """``count`` tokens for consecutive windows from ``now``, each valid ``QR_TTL``.

    Windows overlap by ``QR_TTL - step`` so the phone never shows an expired code at a switch.
    Every token's expiry stays within the hour that ``verify_qr`` accepts.
    """
    if count < 1 or step <= dt.timedelta(0) or step > QR_TTL:
        raise ValueError(f"bad QR window plan: {count} tokens every {step}")
    windows = []
    for i in range(count):
        start = now + i * step
        token = mint_qr(key, number, now=start, nonce=os.urandom(6), ttl=QR_TTL)
        windows.append(QrWindow(token, start, start + QR_TTL))
    return windows


def qr_svg(text: str) -> str:
    """A QR code as an inline SVG (black modules on white, quiet zone included)."""
    import qrcode
    import qrcode.image.svg

    img = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=4)
    return str(img.to_string(encoding="unicode"))


def ean13_svg(number: str) -> str:
    """The EAN-13 card number as an SVG barcode with its digits underneath."""
    from barcode import EAN13
    from barcode.writer import SVGWriter

    code = EAN13(number[:12], writer=SVGWriter())
    if code.get_fullcode() != number:
        raise ValueError(f"card number {number!r} has a wrong check digit")
    out = io.BytesIO()
    code.write(
        out,
        options={
            "module_width": 0.5,
            "module_height": 18.0,
            "font_size": 8,
            "text_distance": 4.0,
            "quiet_zone": 4.0,
        },
    )
    svg = out.getvalue().decode("utf-8")
    svg = svg[svg.index("<svg") :]  # drop the XML prolog and doctype: the SVG goes inline
    # The page's CSP forbids inline style attributes: use SVG presentation attributes.
    return _STYLE.sub(
        lambda m: " ".join(
            f'{k.strip()}="{v.strip()}"'
            for k, v in (p.split(":", 1) for p in m.group(1).split(";") if p.strip())
        ),
        svg,
    )


_STYLE = re.compile(r'style="([^"]*)"')
