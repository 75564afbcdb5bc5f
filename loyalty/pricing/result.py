"""The pricing result and its explanation: every cent and every point tied to a rule or voucher.

Amounts are kept as integer cents (``*_cents``) and exposed as ``Money``; building ``Money``
lazily keeps the result cheap to make at the till. The per-line values are ``NamedTuple``s:
as immutable as a frozen dataclass and three times cheaper to build, which counts when a
100-line basket makes a few hundred of them per sale.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from ..money import Money
from ..rewards.currency import EARNING_KINDS, Earns
from .rules import RuleKind, Stage


class Explanation(NamedTuple):
    """One discount on one line: how much, and which rule (or voucher) gave it and why."""

    source: str  # "rule" or "voucher"
    id: str  # the rule id or the voucher id
    name: str  # shown on receipts, e.g. "Preço Clube"
    kind: str  # a RuleKind value, or "voucher"
    stage: Stage
    amount_cents: int

    @property
    def amount(self) -> Money:
        return Money.from_cents(self.amount_cents)


class LineResult(NamedTuple):
    """A priced line: gross = shelf price × qty; net = gross − the discounts."""

    position: int  # 0-based index in the basket as given
    sku: str
    qty: Decimal
    unit_price: Money
    weighed: bool
    gross_cents: int
    discounts: tuple[Explanation, ...]
    net_cents: int

    @property
    def gross(self) -> Money:
        return Money.from_cents(self.gross_cents)

    @property
    def net(self) -> Money:
        return Money.from_cents(self.net_cents)

    @property
    def discount(self) -> Money:
        return Money.from_cents(self.gross_cents - self.net_cents)


@dataclass(frozen=True, slots=True)
class RewardDetail:
    """A reward earned, attributed to the earning rule that gave it.

    ``amount`` counts what the kind earns (``loyalty.rewards.currency``): points, cents of
    cashback, or raffle tickets.
    """

    rule: str
    name: str
    kind: RuleKind
    amount: int
    campaign: str | None = None  # raffle campaign

    @property
    def cashback(self) -> Money | None:
        """The cashback as ``Money`` (``None`` for points and tickets)."""
        cash = EARNING_KINDS[self.kind.value] is Earns.CASHBACK
        return Money.from_cents(self.amount) if cash else None


# The engine makes a few of these per sale: set their slots directly rather than through the
# frozen dataclass's generated __init__ (a Python frame and object.__setattr__ per field, 40 %
# dearer). Same fields, same values; the class has no __post_init__ to skip.
_new = object.__new__
_SET_RULE, _SET_NAME, _SET_KIND, _SET_AMOUNT, _SET_CAMPAIGN = (
    RewardDetail.__dict__[f].__set__ for f in ("rule", "name", "kind", "amount", "campaign")
)


def reward_detail(
    rule: str, name: str, kind: RuleKind, amount: int, campaign: str | None = None
) -> RewardDetail:
    """``RewardDetail(rule, name, kind, amount, campaign)``, made faster (the engine's path)."""
    detail: RewardDetail = _new(RewardDetail)
    _SET_RULE(detail, rule)
    _SET_NAME(detail, name)
    _SET_KIND(detail, kind)
    _SET_AMOUNT(detail, amount)
    _SET_CAMPAIGN(detail, campaign)
    return detail


@dataclass(frozen=True, slots=True)
class Rewards:
    points: int
    cashback_cents: int
    raffle_tickets: tuple[tuple[str, int], ...]  # (campaign, tickets), sorted by campaign
    details: tuple[RewardDetail, ...]

    @property
    def cashback(self) -> Money:
        return Money.from_cents(self.cashback_cents)


_REWARDS_SETTERS = tuple(
    Rewards.__dict__[f].__set__ for f in ("points", "cashback_cents", "raffle_tickets", "details")
)


def make_rewards(
    points: int,
    cashback_cents: int,
    raffle_tickets: tuple[tuple[str, int], ...],
    details: tuple[RewardDetail, ...],
) -> Rewards:
    """``Rewards(points, cashback_cents, raffle_tickets, details)``, made as ``reward_detail``."""
    made: Rewards = _new(Rewards)
    set_points, set_cashback, set_tickets, set_details = _REWARDS_SETTERS
    set_points(made, points)
    set_cashback(made, cashback_cents)
    set_tickets(made, raffle_tickets)
    set_details(made, details)
    return made


class AppliedRule(NamedTuple):
    """A rule or voucher that changed the sale, with its total over all lines."""

    source: str
    id: str
    name: str
    kind: str
    stage: Stage
    amount_cents: int

    @property
    def amount(self) -> Money:
        return Money.from_cents(self.amount_cents)


@dataclass(frozen=True, slots=True)
class VoucherOutcome:
    """Whether a voucher given to the engine applied, and if not, why (``min_subtotal``)."""

    voucher_id: str
    code: str
    applied: bool
    amount_cents: int
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class CouponOutcome:
    """What a coupon code presented at the till did: the rules it fired, or why none.

    ``reason``: ``None`` (applied), ``unknown`` (no rule carries this code), ``not_live`` (its
    rules are outside their window, store or audience now), ``nothing_to_discount`` (live,
    but no line in scope or another promotion gave more).
    """

    code: str
    rules: tuple[str, ...]  # ids of the rules with this coupon that changed the sale
    amount_cents: int  # their discount (earning rules add rewards, not cents)
    reason: str | None = None

    @property
    def applied(self) -> bool:
        return self.reason is None


@dataclass(frozen=True, slots=True)
class PricingResult:
    lines: tuple[LineResult, ...]
    subtotal_cents: int
    total_cents: int
    rewards: Rewards
    applied: tuple[AppliedRule, ...]  # in the order the rules applied
    vouchers: tuple[VoucherOutcome, ...] = ()
    store_id: str | None = None
    member_id: str | None = None
    coupons: tuple[CouponOutcome, ...] = ()  # one per presented code, sorted by code

    @property
    def subtotal(self) -> Money:
        return Money.from_cents(self.subtotal_cents)

    @property
    def total(self) -> Money:
        return Money.from_cents(self.total_cents)

    @property
    def discount(self) -> Money:
        return Money.from_cents(self.subtotal_cents - self.total_cents)


_RESULT_SETTERS = tuple(
    PricingResult.__dict__[f].__set__
    for f in (
        "lines", "subtotal_cents", "total_cents", "rewards", "applied", "vouchers",
        "store_id", "member_id", "coupons",
    )
)  # fmt: skip


def make_result(
    lines: tuple[LineResult, ...],
    subtotal_cents: int,
    total_cents: int,
    rewards: Rewards,
    applied: tuple[AppliedRule, ...],
    vouchers: tuple[VoucherOutcome, ...],
    store_id: str | None,
    member_id: str | None,
    coupons: tuple[CouponOutcome, ...],
) -> PricingResult:
    """``PricingResult(...)`` with every field given, made as ``reward_detail``."""
    made: PricingResult = _new(PricingResult)
    s_lines, s_sub, s_total, s_rewards, s_applied, s_vouchers, s_store, s_member, s_coupons = (
        _RESULT_SETTERS
    )
    s_lines(made, lines)
    s_sub(made, subtotal_cents)
    s_total(made, total_cents)
    s_rewards(made, rewards)
    s_applied(made, applied)
    s_vouchers(made, vouchers)
    s_store(made, store_id)
    s_member(made, member_id)
    s_coupons(made, coupons)
    return made
