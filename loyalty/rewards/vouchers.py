"""Vouchers: the rules of one code (amount or percent, minimum, window, stores, member, uses).

Pricing applies a voucher as a discount from the plain fields :meth:`Voucher.pricing_fields`
returns (the shape of ``loyalty.pricing.VoucherApplication``); this module decides whether the
voucher may be used on a sale, with a typed reason when not, and records the use.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from loyalty.money import Money

from .errors import RewardsError, VoucherRefusal, VoucherRefused
from .voucher_codes import normalize_code


@dataclass(frozen=True)
class Voucher:
    """One voucher code and its rules. ``valid_until`` is exclusive.

    :param max_uses: 1 for single-use, ``None`` for unlimited uses.
    :param stores: the stores it is valid in (``None``: every store).
    :param member_id: the only member who may use it (``None``: anyone).
    """

    voucher_id: str
    code: str
    name: str
    percent: Decimal | None
    amount: Money | None
    min_subtotal: Money
    valid_from: datetime
    valid_until: datetime
    max_uses: int | None = 1
    stores: frozenset[str] | None = None
    member_id: str | None = None
    campaign_id: str | None = None
    void: bool = False

    def __post_init__(self) -> None:
        if normalize_code(self.code) != self.code:
            raise RewardsError(
                f"voucher {self.voucher_id!r}: store the code in canonical form "
                f"{normalize_code(self.code)!r}, not {self.code!r}"
            )
        if (self.percent is None) == (self.amount is None):
            raise RewardsError(f"voucher {self.voucher_id!r}: give exactly one of percent, amount")
        if self.percent is not None and (
            not isinstance(self.percent, Decimal) or not 0 < self.percent <= 100
        ):
            raise RewardsError(f"voucher {self.voucher_id!r}: percent must be in (0, 100]")
        if self.amount is not None and self.amount.amount <= 0:
            raise RewardsError(f"voucher {self.voucher_id!r}: amount must be positive")
        if self.min_subtotal.amount < 0:
            raise RewardsError(f"voucher {self.voucher_id!r}: min_subtotal must be >= 0")
        if self.valid_from.utcoffset() is None or self.valid_until.utcoffset() is None:
            raise RewardsError(f"voucher {self.voucher_id!r}: dates must be timezone-aware")
        if not self.valid_from < self.valid_until:
            raise RewardsError(f"voucher {self.voucher_id!r}: valid_until must be after valid_from")
        if self.max_uses is not None and self.max_uses < 1:
            raise RewardsError(f"voucher {self.voucher_id!r}: max_uses must be >= 1 or None")

    @property
    def single_use(self) -> bool:
        return self.max_uses == 1

    def pricing_fields(self) -> dict[str, object]:
        """The fields of ``loyalty.pricing.VoucherApplication``: build it with ``**fields``."""
        return {
            "voucher_id": self.voucher_id,
            "code": self.code,
            "name": self.name,
            "percent": self.percent,
            "amount": self.amount,
            "min_subtotal": self.min_subtotal,
        }


@dataclass(frozen=True)
class VoucherUse:
    """A voucher used on a sale. ``used_at`` is the sale's own timestamp (the till's clock);
    ``received_at`` when the server received it (the server's clock; ``None`` at the till).

    ``restored`` marks a use given back by a full refund of its sale: it no longer counts.
    """

    voucher_id: str
    sale_id: str
    store_id: str
    terminal_id: str
    used_at: datetime
    member_id: str | None = None
    restored: bool = False
    received_at: datetime | None = None


def uses_counted(voucher: Voucher, uses: Iterable[VoucherUse]) -> int:
    """Uses that count against ``max_uses``: one per sale, restored ones excluded."""
    return len({u.sale_id for u in uses if u.voucher_id == voucher.voucher_id and not u.restored})


def refusal(
    voucher: Voucher | None,
    *,
    at: datetime,
    store_id: str,
    member_id: str | None,
    subtotal: Money,
    uses: Iterable[VoucherUse] = (),
) -> VoucherRefusal | None:
    """Why ``voucher`` may not be used on this sale, or ``None`` if it may.

    :param uses: the uses known here: the server's last list plus this terminal's own.
    """
    if voucher is None:
        return VoucherRefusal.UNKNOWN_CODE
    if voucher.void:
        return VoucherRefusal.VOID
    if at < voucher.valid_from:
        return VoucherRefusal.NOT_YET_VALID
    if at >= voucher.valid_until:
        return VoucherRefusal.EXPIRED
    if voucher.stores is not None and store_id not in voucher.stores:
        return VoucherRefusal.STORE_NOT_ALLOWED
    if voucher.member_id is not None and member_id is None:
        return VoucherRefusal.MEMBER_REQUIRED
    if voucher.member_id is not None and member_id != voucher.member_id:
        return VoucherRefusal.OTHER_MEMBER
    if subtotal < voucher.min_subtotal:  # thresholds are inclusive (>=), as everywhere
        return VoucherRefusal.BELOW_MINIMUM
    if voucher.max_uses is not None and uses_counted(voucher, uses) >= voucher.max_uses:
        return VoucherRefusal.ALREADY_USED if voucher.single_use else VoucherRefusal.NO_USES_LEFT
    return None


def redeem_voucher(
    voucher: Voucher | None,
    *,
    code: str,
    sale_id: str,
    store_id: str,
    terminal_id: str,
    at: datetime,
    member_id: str | None,
    subtotal: Money,
    uses: Iterable[VoucherUse] = (),
) -> VoucherUse:
    """Use ``voucher`` on a sale: the use to store (locally marks it used) if allowed.

    Online the server's uses are current, so a second use of a single-use voucher is refused.
    Offline another till may have used it too: both uses are recorded and
    :func:`loyalty.rewards.voucher_settlement.settle` decides on sync.

    :raises InvalidVoucherCode: for a typo in ``code``.
    :raises VoucherRefused: with the reason, if it may not be used.
    """
    canonical = normalize_code(code)
    reason = refusal(
        voucher,
        at=at,
        store_id=store_id,
        member_id=member_id,
        subtotal=subtotal,
        uses=uses,
    )
    if voucher is not None and voucher.code != canonical:
        reason = VoucherRefusal.UNKNOWN_CODE
    if reason is not None or voucher is None:
        raise VoucherRefused(canonical, reason or VoucherRefusal.UNKNOWN_CODE)
    return VoucherUse(voucher.voucher_id, sale_id, store_id, terminal_id, at, member_id)
