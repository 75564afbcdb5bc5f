"""One form per rule kind of the campaign file format, built from field specs.

Each input is named after the rule field it fills, dotted for nested fields (``percent``,
``applies_to.skus``, ``valid.hours``), so the pricing engine's own validation error, which
names the field (``CampaignError.field``), lands on the input that holds the bad value.
Values a person types are turned into the file format: lists are comma separated, money and
percentages are parsed by the head-office UI's one money and one percent helper
(:mod:`.money_fields`: ``21,90``, ``R$ 1.234,56``, ``5,5 %``) and written as exact decimal
strings (``"1234.56"``), whole numbers become integers; anything else is passed on as typed so
the engine names it. A money or percent input that does not parse, or is out of bounds, is a
:class:`RuleInputError` naming that input, before the engine sees the rule.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from loyalty.pricing.campaign_file import NOT_FOR, PARAM_FIELDS
from loyalty.pricing.rules import RuleKind

from .money_fields import InputError, money_input, percent_input, plain

SELECTOR_KEYS = ("skus", "categories", "brands", "tags")


@dataclass(frozen=True)
class FieldSpec:
    name: str  # the rule field, dotted
    label: str  # English catalogue key
    type: str  # text, money, percent, int, decimal, list, bool, weekdays, hours, selector, tiers, components  # noqa: E501
    hint: str = ""
    required: bool = False


COMMON_TOP = (
    FieldSpec("id", "Rule id", "text", "Unique in the campaign; letters, digits, '-'.", True),
    FieldSpec("name", "Name on the receipt", "text", "", True),
    FieldSpec("description", "Description", "text"),
)
COMMON_REST = (
    FieldSpec("priority", "Priority (lower goes first)", "int", "Default 100."),
    FieldSpec("stackable", "Stackable with other promotions", "bool"),
    FieldSpec("applies_to", "Applies to", "selector", "Leave empty for every line."),
    FieldSpec("exclude", "Except", "selector"),
    FieldSpec("audience.members_only", "Members only", "bool"),
    FieldSpec("audience.tiers", "Tiers", "list", "Comma separated, e.g. gold, silver."),
    FieldSpec("audience.segments", "Segments", "list", "e.g. value:most_valuable, rfm:champions"),
    FieldSpec("audience.member_ids", "Member ids", "list"),
    FieldSpec("valid.from", "Valid from", "text", "2026-03-01 or 2026-03-01T08:00 (store time)"),
    FieldSpec("valid.until", "Valid until", "text", "A date alone runs through that whole day."),
    FieldSpec("valid.weekdays", "Weekdays", "weekdays"),
    FieldSpec("valid.hours", "Hours", "hours", "HH:MM to HH:MM; end 24:00 for midnight."),
    FieldSpec("valid.stores", "Stores", "list", "Empty: every store of the campaign."),
    FieldSpec("requires_activation", "Member must activate the offer", "bool"),
    FieldSpec("coupon", "Coupon code", "text"),
    FieldSpec("max_units_per_sale", "Maximum units per sale", "int"),
)
PARAMS: dict[str, FieldSpec] = {
    "sku": FieldSpec("sku", "SKU", "text", "", True),
    "price": FieldSpec("price", "Price (R$)", "money", "", True),
    "percent": FieldSpec("percent", "Percent", "percent", "0 to 100", True),
    "amount": FieldSpec("amount", "Amount (R$)", "money", "", True),
    "take": FieldSpec("take", "Take (units)", "int", "", True),
    "pay": FieldSpec("pay", "Pay (units)", "int", "", True),
    "buy": FieldSpec("buy", "Buy", "buy", "", True),
    "get": FieldSpec("get", "Get", "get", "", True),
    "tiers": FieldSpec(
        "tiers",
        "Price tiers",
        "tiers",
        "One per line: minimum quantity; unit price. e.g. 6; 1,79",
        True,
    ),
    "components": FieldSpec(
        "components",
        "Bundle components",
        "components",
        "One per line: quantity x field=values, e.g. 2 x tags=pao",
        True,
    ),
    "min_subtotal": FieldSpec("min_subtotal", "Minimum subtotal (R$)", "money"),
    "per_amount": FieldSpec("per_amount", "For every (R$)", "money", "", True),
    "points": FieldSpec("points", "Points", "int", "", True),
    "factor": FieldSpec("factor", "Multiplier", "decimal", "1 to 100, e.g. 2", True),
    "campaign": FieldSpec("campaign", "Raffle campaign id", "text", "", True),
}
KIND_LABELS = {
    "member_price": "Member price",
    "percent_off": "Percent off",
    "amount_off": "Amount off",
    "take_pay": "Take X pay Y",
    "buy_get": "Buy X get Y",
    "quantity_price": "Quantity price",
    "bundle_price": "Bundle price",
    "basket_amount_off": "Basket amount off",
    "basket_percent_off": "Basket percent off",
    "points": "Points per R$",
    "points_multiplier": "Points multiplier",
    "points_bonus": "Bonus points",
    "cashback": "Cashback",
    "raffle": "Raffle numbers",
}
_PARAM_ORDER = list(PARAMS)


def specs_for(kind: str) -> list[FieldSpec]:
    """The fields of a rule of ``kind``: common fields the kind accepts, then its own."""
    rk = RuleKind(kind)
    excluded = NOT_FOR.get(rk, set())
    own = sorted(PARAM_FIELDS[rk], key=_PARAM_ORDER.index)
    common = [s for s in COMMON_REST if s.name.split(".")[0] not in excluded]
    return [*COMMON_TOP, *(PARAMS[p] for p in own), *common]


def input_names(spec: FieldSpec) -> list[str]:
    """The HTML inputs of one field."""
    if spec.type == "selector":
        return [f"{spec.name}.{k}" for k in SELECTOR_KEYS]
    if spec.type in ("buy", "get"):
        extra = [f"{spec.name}.percent"] if spec.type == "get" else []
        return [*(f"{spec.name}.applies_to.{k}" for k in SELECTOR_KEYS), f"{spec.name}.qty", *extra]
    if spec.type == "hours":
        return [f"{spec.name}.0", f"{spec.name}.1"]
    return [spec.name]


def _list(text: str) -> list[str]:
    return [p.strip() for p in text.split(",") if p.strip()]


_DEC_COMMA = re.compile(r"^\s*-?\d+,\d+\s*$")


def _num(text: str) -> str:
    t = text.strip().replace("R$", "").strip()
    return t.replace(",", ".") if _DEC_COMMA.match(t) else t


def _int(text: str) -> int | str:
    t = text.strip()
    return int(t) if re.fullmatch(r"-?\d{1,9}", t) else t


def _selector(form: Mapping[str, str], prefix: str) -> dict[str, list[str]]:
    out = {}
    for k in SELECTOR_KEYS:
        values = _list(form.get(f"{prefix}.{k}", ""))
        if values:
            out[k] = values
    return out


def _put(rule: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    node = rule
    for p in parts[:-1]:
        node = node.setdefault(p, {})
    node[parts[-1]] = value


class RuleInputError(ValueError):
    """Money or percent inputs that do not parse: ``errors`` maps each input to its message
    (in the request's language)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def rule_from_form(kind: str, form: Mapping[str, str]) -> dict[str, Any]:
    """The rule (campaign format) for the submitted inputs of a ``kind`` form; empty inputs are
    left out so the format's defaults apply.

    :raises RuleInputError: a money or percent input is not an amount in bounds.
    """
    rule: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for spec in specs_for(kind):
        try:
            value = _value(spec, form)
        except _InputAt as exc:
            errors[exc.name] = exc.message
            continue
        if value is not None:
            _put(rule, spec.name, value)
    if errors:
        raise RuleInputError(errors)
    return {"id": rule.pop("id", ""), "kind": kind, **rule}


class _InputAt(InputError):
    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name


def _money(name: str, text: str) -> str:
    try:
        return f"{money_input(text):f}"
    except InputError as exc:
        raise _InputAt(name, exc.message) from None


def _percent(name: str, text: str) -> str:
    try:
        return plain(percent_input(text))
    except InputError as exc:
        raise _InputAt(name, exc.message) from None


def _value(spec: FieldSpec, form: Mapping[str, str]) -> Any:
    raw = form.get(spec.name, "")
    t = spec.type
    if t == "bool":
        return True if raw in ("1", "on", "true") else None
    if t == "selector":
        return _selector(form, spec.name) or None
    if t in ("buy", "get"):
        part: dict[str, Any] = {"applies_to": _selector(form, f"{spec.name}.applies_to")}
        qty = form.get(f"{spec.name}.qty", "").strip()
        part["qty"] = _int(qty) if qty else ""
        if t == "get":
            text = form.get("get.percent", "")
            part["percent"] = _percent("get.percent", text) if text.strip() else ""
        return part
    if t == "hours":
        a, b = form.get(f"{spec.name}.0", "").strip(), form.get(f"{spec.name}.1", "").strip()
        return [a, b] if a or b else None
    if t == "weekdays":
        days = [int(d) for d in _getlist(form, spec.name) if d.isdigit()]
        return sorted(days) or None
    if not raw.strip():
        return None
    if t == "list":
        return _list(raw)
    if t == "money":
        return _money(spec.name, raw)
    if t == "percent":
        return _percent(spec.name, raw)
    if t == "decimal":
        return _num(raw)
    if t == "int":
        return _int(raw)
    if t == "tiers":
        return [_tier(spec.name, line) for line in raw.splitlines() if line.strip()]
    if t == "components":
        return [_component(line) for line in raw.splitlines() if line.strip()]
    return raw.strip()


def _getlist(form: Mapping[str, str], name: str) -> list[str]:
    getter = getattr(form, "getlist", None)
    if getter is not None:
        return list(getter(name))
    value = form.get(name)
    return value if isinstance(value, list) else ([value] if value else [])


def _tier(name: str, line: str) -> dict[str, Any]:
    qty, _, price = line.partition(";")
    q = _num(qty)
    unit_price = _money(name, price) if price.strip() else ""
    return {"min_qty": _int(q) if re.fullmatch(r"\d+", q) else q, "unit_price": unit_price}


def _component(line: str) -> dict[str, Any]:
    qty, _, sel = line.partition(" x ")
    selector: dict[str, list[str]] = {}
    for chunk in sel.split(";"):
        key, _, values = chunk.partition("=")
        if key.strip():
            selector[key.strip()] = _list(values)
    return {"applies_to": selector, "qty": _int(qty)}


def form_from_rule(rule: Mapping[str, Any]) -> dict[str, Any]:
    """The inputs' values for editing ``rule`` (the inverse of :func:`rule_from_form`)."""
    kind = str(rule.get("kind", ""))
    out: dict[str, Any] = {}

    def get(path: str) -> Any:
        node: Any = rule
        for p in path.split("."):
            if not isinstance(node, Mapping) or p not in node:
                return None
            node = node[p]
        return node

    for spec in specs_for(kind):
        value = get(spec.name)
        if value is None:
            continue
        if spec.type == "selector":
            for k in SELECTOR_KEYS:
                out[f"{spec.name}.{k}"] = ", ".join(value.get(k, []))
        elif spec.type in ("buy", "get"):
            for k in SELECTOR_KEYS:
                out[f"{spec.name}.applies_to.{k}"] = ", ".join(
                    value.get("applies_to", {}).get(k, [])
                )
            out[f"{spec.name}.qty"] = str(value.get("qty", ""))
            if spec.type == "get":
                out["get.percent"] = str(value.get("percent", ""))
        elif spec.type == "hours":
            out[f"{spec.name}.0"], out[f"{spec.name}.1"] = (list(value) + ["", ""])[:2]
        elif spec.type == "weekdays":
            out[spec.name] = [str(d) for d in value]
        elif spec.type == "list":
            out[spec.name] = ", ".join(str(v) for v in value)
        elif spec.type == "tiers":
            out[spec.name] = "\n".join(f"{t.get('min_qty')}; {t.get('unit_price')}" for t in value)
        elif spec.type == "components":
            out[spec.name] = "\n".join(
                f"{c.get('qty')} x "
                + "; ".join(f"{k}={','.join(v)}" for k, v in c.get("applies_to", {}).items())
                for c in value
            )
        elif spec.type == "bool":
            out[spec.name] = bool(value)
        else:
            out[spec.name] = str(value)
    return out


def error_input(field: str | None, kind: str) -> str | None:
    """The input that should show an engine error about ``field`` (``None``: show it on top)."""
    if not field:
        return None
    plain = re.sub(r"\[\d+\]", "", field)
    names = [n for spec in specs_for(kind) for n in input_names(spec)]
    if plain in names:
        return plain
    for n in names:  # a whole selector or hours pair: its first input
        if n.startswith(plain + "."):
            return n
    for n in sorted(names, key=len, reverse=True):  # "tiers.unit_price" -> "tiers"
        if plain.startswith(n + "."):
            return n
    return None
