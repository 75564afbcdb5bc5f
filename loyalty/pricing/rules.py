"""Rules as data: the frozen dataclasses a campaign file is parsed into, with ``Enum`` kinds.

A :class:`Rule` carries the fields every kind shares (who, where, when, stacking) and a
kind-specific ``params`` value. Amounts are ``Money`` for the public API; the engine reads the
``*_cents`` twins computed once here, so pricing a basket never converts a rule again.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, time
from decimal import Decimal

from ..money import Money
from .arith import ratio


class RuleKind(enum.Enum):
    MEMBER_PRICE = "member_price"
    PERCENT_OFF = "percent_off"
    AMOUNT_OFF = "amount_off"
    TAKE_PAY = "take_pay"
    BUY_GET = "buy_get"
    QUANTITY_PRICE = "quantity_price"
    BUNDLE_PRICE = "bundle_price"
    BASKET_AMOUNT_OFF = "basket_amount_off"
    BASKET_PERCENT_OFF = "basket_percent_off"
    POINTS = "points"
    POINTS_MULTIPLIER = "points_multiplier"
    POINTS_BONUS = "points_bonus"
    CASHBACK = "cashback"
    RAFFLE = "raffle"

    # Members are singletons compared by identity: hashing by identity (C) is the same
    # mapping as Enum's hash of the name (Python), at a fraction of the cost per lookup.
    __hash__ = object.__hash__

    @property
    def stage(self) -> Stage:
        return _STAGE[self]


class Stage(enum.IntEnum):
    """The evaluation order: each stage sees the prices the earlier ones left."""

    PRICE = 1
    ITEM = 2
    BASKET = 3
    VOUCHER = 4
    EARNING = 5


_STAGE = {
    RuleKind.MEMBER_PRICE: Stage.PRICE,
    RuleKind.PERCENT_OFF: Stage.ITEM,
    RuleKind.AMOUNT_OFF: Stage.ITEM,
    RuleKind.TAKE_PAY: Stage.ITEM,
    RuleKind.BUY_GET: Stage.ITEM,
    RuleKind.QUANTITY_PRICE: Stage.ITEM,
    RuleKind.BUNDLE_PRICE: Stage.ITEM,
    RuleKind.BASKET_AMOUNT_OFF: Stage.BASKET,
    RuleKind.BASKET_PERCENT_OFF: Stage.BASKET,
    RuleKind.POINTS: Stage.EARNING,
    RuleKind.POINTS_MULTIPLIER: Stage.EARNING,
    RuleKind.POINTS_BONUS: Stage.EARNING,
    RuleKind.CASHBACK: Stage.EARNING,
    RuleKind.RAFFLE: Stage.EARNING,
}


@dataclass(frozen=True, slots=True)
class Selector:
    """Which lines: a line matches if its sku, category, brand or any tag is listed."""

    skus: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()
    brands: frozenset[str] = frozenset()
    tags: frozenset[str] = frozenset()

    def matches(self, sku: str, category: str, brand: str, tags: frozenset[str]) -> bool:
        return (
            sku in self.skus
            or category in self.categories
            or brand in self.brands
            or not self.tags.isdisjoint(tags)
        )


@dataclass(frozen=True, slots=True)
class Audience:
    """Who may get a rule. Naming tiers, segments or member ids implies members only."""

    members_only: bool = False
    tiers: frozenset[str] = frozenset()
    segments: frozenset[str] = frozenset()
    member_ids: frozenset[str] = frozenset()
    # Computed once: read for every rule in every sale.
    needs_member: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        needs = self.members_only or bool(self.tiers or self.segments or self.member_ids)
        object.__setattr__(self, "needs_member", needs)


@dataclass(frozen=True, slots=True)
class Validity:
    """When and where a rule is live, read in the store's local time.

    ``starts``/``ends`` are naive local date-times (or aware ones, compared as instants);
    ``starts`` is inclusive, ``ends`` exclusive (a date-only ``until`` ends at the next midnight).
    ``hours`` is ``(start, end)``, start inclusive, end exclusive, wrapping past midnight when
    end ≤ start; ``end`` of ``None`` means midnight at the end of the day ("24:00").
    """

    starts: datetime | None = None
    ends: datetime | None = None
    weekdays: frozenset[int] = frozenset()
    hours: tuple[time, time | None] | None = None
    stores: frozenset[str] = frozenset()
    # No time limit at all (computed once: read for every rule in every sale).
    always: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        always = self.starts is None and self.ends is None and not self.weekdays and not self.hours
        object.__setattr__(self, "always", always)


@dataclass(frozen=True, slots=True)
class Component:
    """A part of a ``buy_get`` or ``bundle_price`` rule: which lines, how many units."""

    applies_to: Selector
    qty: int


@dataclass(frozen=True, slots=True)
class QuantityTier:
    min_qty: Decimal
    unit_price: Money
    min_qty_milli: int = field(init=False, repr=False, compare=False)
    price_cents: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "min_qty_milli", int(self.min_qty * 1000))
        object.__setattr__(self, "price_cents", self.unit_price.cents)


def _cents(obj: object, name: str, money: Money) -> None:
    object.__setattr__(obj, name, money.cents)


def _ratio(obj: object, name: str, value: Decimal) -> None:
    object.__setattr__(obj, name, ratio(value))


@dataclass(frozen=True, slots=True)
class MemberPrice:
    sku: str
    price: Money
    price_cents: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _cents(self, "price_cents", self.price)


@dataclass(frozen=True, slots=True)
class PercentOff:
    percent: Decimal
    percent_ratio: tuple[int, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _ratio(self, "percent_ratio", self.percent)


@dataclass(frozen=True, slots=True)
class AmountOff:
    amount: Money
    amount_cents: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _cents(self, "amount_cents", self.amount)


@dataclass(frozen=True, slots=True)
class TakePay:
    take: int
    pay: int


@dataclass(frozen=True, slots=True)
class BuyGet:
    buy: Component
    get: Component
    percent: Decimal
    percent_ratio: tuple[int, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _ratio(self, "percent_ratio", self.percent)


@dataclass(frozen=True, slots=True)
class QuantityPrice:
    tiers: tuple[QuantityTier, ...]  # ascending min_qty


@dataclass(frozen=True, slots=True)
class BundlePrice:
    components: tuple[Component, ...]
    price: Money
    price_cents: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _cents(self, "price_cents", self.price)


@dataclass(frozen=True, slots=True)
class BasketAmountOff:
    amount: Money
    min_subtotal: Money
    amount_cents: int = field(init=False, repr=False, compare=False)
    min_cents: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _cents(self, "amount_cents", self.amount)
        _cents(self, "min_cents", self.min_subtotal)


@dataclass(frozen=True, slots=True)
class BasketPercentOff:
    percent: Decimal
    min_subtotal: Money
    percent_ratio: tuple[int, int] = field(init=False, repr=False, compare=False)
    min_cents: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _ratio(self, "percent_ratio", self.percent)
        _cents(self, "min_cents", self.min_subtotal)


@dataclass(frozen=True, slots=True)
class Points:
    per_amount: Money
    points: int
    per_cents: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _cents(self, "per_cents", self.per_amount)


@dataclass(frozen=True, slots=True)
class PointsMultiplier:
    factor: Decimal
    factor_ratio: tuple[int, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _ratio(self, "factor_ratio", self.factor)


@dataclass(frozen=True, slots=True)
class PointsBonus:
    points: int


@dataclass(frozen=True, slots=True)
class Cashback:
    percent: Decimal
    percent_ratio: tuple[int, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _ratio(self, "percent_ratio", self.percent)


@dataclass(frozen=True, slots=True)
class Raffle:
    per_amount: Money
    campaign: str
    per_cents: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _cents(self, "per_cents", self.per_amount)


Params = (
    MemberPrice
    | PercentOff
    | AmountOff
    | TakePay
    | BuyGet
    | QuantityPrice
    | BundlePrice
    | BasketAmountOff
    | BasketPercentOff
    | Points
    | PointsMultiplier
    | PointsBonus
    | Cashback
    | Raffle
)


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule of a campaign file. ``applies_to`` of ``None`` means every line."""

    id: str
    kind: RuleKind
    name: str
    params: Params
    priority: int = 100
    stackable: bool = False
    # Exclusive of every other promotion in the sale (item and basket stages), not only of
    # other non-stackable ones on the same unit; see docs/campaign-format.md.
    exclusive: bool = False
    applies_to: Selector | None = None
    exclude: Selector | None = None
    audience: Audience = Audience()
    valid: Validity = Validity()
    requires_activation: bool = False
    coupon: str | None = None
    max_units_per_sale: int | None = None
    description: str | None = None
    stage: Stage = field(init=False, repr=False, compare=False)
    # True when nothing but the store can stop the rule (no coupon, audience, activation or
    # time window): the engine then skips the liveness check, once per rule per sale.
    unconditional: bool = field(init=False, repr=False, compare=False)
    # True when the only condition is an identified member (``members_only``, nothing else).
    members_only_gate: bool = field(init=False, repr=False, compare=False)
    # True when the only conditions are the member's activation (and being a member).
    activation_gate: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "stage", _STAGE[self.kind])
        unconditional = (
            self.coupon is None
            and not self.requires_activation
            and not self.audience.needs_member
            and self.valid.always
        )
        object.__setattr__(self, "unconditional", unconditional)
        audience = self.audience
        open_to_members = (
            self.coupon is None
            and not (audience.tiers or audience.segments or audience.member_ids)
            and self.valid.always
        )
        object.__setattr__(
            self,
            "members_only_gate",
            open_to_members and audience.members_only and not self.requires_activation,
        )
        object.__setattr__(self, "activation_gate", open_to_members and self.requires_activation)

    def covers(self, sku: str, category: str, brand: str, tags: frozenset[str]) -> bool:
        """Whether a line with these attributes is in the rule's scope (applies_to − exclude)."""
        if self.applies_to is not None and not self.applies_to.matches(sku, category, brand, tags):
            return False
        return self.exclude is None or not self.exclude.matches(sku, category, brand, tags)
