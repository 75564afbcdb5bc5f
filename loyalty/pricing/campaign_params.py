"""Parse the kind-specific fields of a rule (``percent``, ``take``/``pay``, ``tiers``, …).

Helpers of :mod:`campaign_file`: ``PARAMS[kind](raise_, raw)`` builds the rule's ``params``.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from ..money import Money
from . import values as v
from .campaign_parts import selector
from .rules import (
    AmountOff,
    BasketAmountOff,
    BasketPercentOff,
    BundlePrice,
    BuyGet,
    Cashback,
    Component,
    MemberPrice,
    Params,
    PercentOff,
    Points,
    PointsBonus,
    PointsMultiplier,
    QuantityPrice,
    QuantityTier,
    Raffle,
    RuleKind,
    TakePay,
)


def _component(raise_: v.Raise, name: str, raw: object, *, with_percent: bool) -> Component:
    data = v.mapping(raise_, name, raw)
    v.known_fields(
        raise_,
        f"{name}.",
        data,
        {"applies_to", "qty", "percent"} if with_percent else {"applies_to", "qty"},
    )
    for key in ("applies_to", "qty", "percent") if with_percent else ("applies_to", "qty"):
        if key not in data:
            raise_(f"{name}.{key}", "is required", "é obrigatório")
    return Component(
        selector(raise_, f"{name}.applies_to", data["applies_to"]),
        v.integer(raise_, f"{name}.qty", data["qty"], minimum=1),
    )


def _take_pay(raise_: v.Raise, raw: dict[str, object]) -> TakePay:
    take = v.integer(raise_, "take", raw["take"], minimum=2)
    pay = v.integer(raise_, "pay", raw["pay"], minimum=0)
    if pay >= take:
        raise_(
            "pay",
            f"must be less than 'take' ({take}), got {v.show(raw['pay'])}",
            f"deve ser menor que 'take' ({take}), recebido {v.show(raw['pay'])}",
        )
    return TakePay(take, pay)


def _buy_get(raise_: v.Raise, raw: dict[str, object]) -> BuyGet:
    get = _component(raise_, "get", raw["get"], with_percent=True)
    assert isinstance(raw["get"], dict)
    return BuyGet(
        _component(raise_, "buy", raw["buy"], with_percent=False),
        get,
        v.percent(raise_, "get.percent", raw["get"]["percent"]),
    )


def _quantity_price(raise_: v.Raise, raw: dict[str, object]) -> QuantityPrice:
    tiers = raw["tiers"]
    if not isinstance(tiers, list) or not tiers:
        raise_(
            "tiers",
            f"must be a non-empty list of {{min_qty, unit_price}}, got {v.show(tiers)}",
            f"deve ser uma lista não vazia de {{min_qty, unit_price}}, recebido {v.show(tiers)}",
        )
    built: list[QuantityTier] = []
    for i, tier in enumerate(tiers):
        data = v.mapping(raise_, f"tiers[{i}]", tier)
        v.known_fields(raise_, f"tiers[{i}].", data, {"min_qty", "unit_price"})
        for key in ("min_qty", "unit_price"):
            if key not in data:
                raise_(f"tiers[{i}].{key}", "is required", "é obrigatório")
        qty = v.number(data["min_qty"])
        shown = v.show(data["min_qty"])
        if qty is None or qty <= 0 or v.decimals(qty.normalize()) > 3:
            raise_(
                f"tiers[{i}].min_qty",
                f"must be a number greater than 0 with at most 3 decimals, got {shown}",
                f"deve ser um número maior que 0 com no máximo 3 casas decimais, recebido {shown}",
            )
        if any(t.min_qty == qty for t in built):
            raise_(
                f"tiers[{i}].min_qty",
                f"repeats an earlier tier's min_qty, got {v.show(data['min_qty'])}",
                f"repete o min_qty de outra faixa, recebido {v.show(data['min_qty'])}",
            )
        built.append(
            QuantityTier(qty, v.money(raise_, f"tiers[{i}].unit_price", data["unit_price"]))
        )
    return QuantityPrice(tuple(sorted(built, key=lambda t: t.min_qty)))


def _bundle(raise_: v.Raise, raw: dict[str, object]) -> BundlePrice:
    comps = raw["components"]
    if not isinstance(comps, list) or not comps:
        raise_(
            "components",
            f"must be a non-empty list of {{applies_to, qty}}, got {v.show(comps)}",
            f"deve ser uma lista não vazia de {{applies_to, qty}}, recebido {v.show(comps)}",
        )
    built = tuple(
        _component(raise_, f"components[{i}]", c, with_percent=False) for i, c in enumerate(comps)
    )
    if sum(c.qty for c in built) < 2:
        raise_("components", "must add up to at least 2 units", "deve somar ao menos 2 unidades")
    return BundlePrice(built, v.money(raise_, "price", raw["price"]))


def _min_subtotal(raise_: v.Raise, raw: dict[str, object]) -> Money:
    return v.money(raise_, "min_subtotal", raw.get("min_subtotal", 0))


PARAMS: dict[RuleKind, Callable[[v.Raise, dict[str, object]], Params]] = {
    RuleKind.MEMBER_PRICE: lambda r, d: MemberPrice(
        v.text(r, "sku", d["sku"]), v.money(r, "price", d["price"])
    ),
    RuleKind.PERCENT_OFF: lambda r, d: PercentOff(v.percent(r, "percent", d["percent"])),
    RuleKind.AMOUNT_OFF: lambda r, d: AmountOff(v.money(r, "amount", d["amount"], positive=True)),
    RuleKind.TAKE_PAY: _take_pay,
    RuleKind.BUY_GET: _buy_get,
    RuleKind.QUANTITY_PRICE: _quantity_price,
    RuleKind.BUNDLE_PRICE: _bundle,
    RuleKind.BASKET_AMOUNT_OFF: lambda r, d: BasketAmountOff(
        v.money(r, "amount", d["amount"], positive=True), _min_subtotal(r, d)
    ),
    RuleKind.BASKET_PERCENT_OFF: lambda r, d: BasketPercentOff(
        v.percent(r, "percent", d["percent"]), _min_subtotal(r, d)
    ),
    RuleKind.POINTS: lambda r, d: Points(
        v.money(r, "per_amount", d["per_amount"], positive=True),
        v.integer(r, "points", d["points"], minimum=1),
    ),
    RuleKind.POINTS_MULTIPLIER: lambda r, d: PointsMultiplier(_factor(r, d["factor"])),
    RuleKind.POINTS_BONUS: lambda r, d: PointsBonus(v.integer(r, "points", d["points"], minimum=1)),
    RuleKind.CASHBACK: lambda r, d: Cashback(v.percent(r, "percent", d["percent"])),
    RuleKind.RAFFLE: lambda r, d: Raffle(
        v.money(r, "per_amount", d["per_amount"], positive=True),
        v.text(r, "campaign", d["campaign"]),
    ),
}


def _factor(raise_: v.Raise, value: object) -> Decimal:
    d = v.number(value)
    if d is None or not 1 <= d <= 100:
        raise_(
            "factor",
            f"must be a number from 1 to 100, got {v.show(value)}",
            f"deve ser um número de 1 a 100, recebido {v.show(value)}",
        )
    return d


assert set(PARAMS) == set(RuleKind)
