"""Issuing vouchers: in bulk for a campaign, or a "next purchase" coupon printed at the till.

Random bytes come from the caller (``secrets.token_bytes`` in the adapters); a code that
collides with one already issued is simply drawn again.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal

from loyalty.money import Money

from .errors import RewardsError
from .voucher_codes import RANDOM_BYTES, make_voucher_code
from .vouchers import Voucher

_MAX_DRAWS = 1000


@dataclass(frozen=True)
class VoucherTemplate:
    """Everything a campaign's vouchers share; codes, ids and members are per voucher."""

    name: str
    percent: Decimal | None
    amount: Money | None
    min_subtotal: Money
    valid_from: datetime
    valid_until: datetime
    max_uses: int | None = 1
    stores: frozenset[str] | None = None
    campaign_id: str | None = None

    def make(self, voucher_id: str, code: str, member_id: str | None = None) -> Voucher:
        return Voucher(
            voucher_id=voucher_id,
            code=code,
            name=self.name,
            percent=self.percent,
            amount=self.amount,
            min_subtotal=self.min_subtotal,
            valid_from=self.valid_from,
            valid_until=self.valid_until,
            max_uses=self.max_uses,
            stores=self.stores,
            member_id=member_id,
            campaign_id=self.campaign_id,
        )


def _fresh_code(random: Callable[[int], bytes], taken: Container[str], made: set[str]) -> str:
    for _ in range(_MAX_DRAWS):
        code = make_voucher_code(random(RANDOM_BYTES))
        if code not in taken and code not in made:
            made.add(code)
            return code
    raise RewardsError("the random source keeps repeating codes: is it really random?")


def issue_vouchers(
    template: VoucherTemplate,
    *,
    count: int,
    id_prefix: str,
    random: Callable[[int], bytes],
    taken: Container[str] = frozenset(),
    member_ids: Sequence[str] | None = None,
) -> list[Voucher]:
    """``count`` vouchers with distinct codes (``member_ids``: one bound voucher per member).

    :param random: returns n random bytes (``secrets.token_bytes``).
    :param taken: codes already issued, never to be repeated.
    """
    if member_ids is not None:
        count = len(member_ids)
    if count < 0:
        raise RewardsError(f"count must be >= 0: {count}")
    made: set[str] = set()
    return [
        template.make(
            f"{id_prefix}-{i + 1:06d}",
            _fresh_code(random, taken, made),
            member_ids[i] if member_ids is not None else None,
        )
        for i in range(count)
    ]


@dataclass(frozen=True)
class NextPurchaseRule:
    """A coupon printed when a sale reaches ``threshold`` (inclusive), for a later purchase.

    :param valid_after_days: days before the coupon may be used (0: from the next sale on).
    :param valid_days: days it stays valid after that.
    :param member_bound: bind it to the member of the sale (when one was identified).
    """

    rule_id: str
    threshold: Money
    template: VoucherTemplate = field(repr=False)
    valid_days: int = 30
    valid_after_days: int = 0
    member_bound: bool = True
    this_store_only: bool = False


def next_purchase_coupon(
    rule: NextPurchaseRule,
    *,
    sale_id: str,
    sale_total: Money,
    at: datetime,
    store_id: str,
    member_id: str | None,
    random_bytes: bytes,
) -> Voucher | None:
    """The coupon to print for this sale, or ``None`` below the threshold."""
    if sale_total < rule.threshold:
        return None
    start = at + timedelta(days=rule.valid_after_days)
    template = replace(
        rule.template,
        valid_from=start,
        valid_until=start + timedelta(days=rule.valid_days),
        stores=frozenset({store_id}) if rule.this_store_only else rule.template.stores,
    )
    return template.make(
        f"{rule.rule_id}:{sale_id}",
        make_voucher_code(random_bytes),
        member_id if rule.member_bound else None,
    )
