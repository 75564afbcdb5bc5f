"""Parse and validate a campaign file (``{"rules": [...]}``) into frozen :class:`Rule` values.

The format is a public contract (``docs/campaign-format.md``, ``docs/campaign.schema.json``):
unknown fields are errors, so a typo such as ``"pecent"`` is caught at import, not ignored at
the till. Every error names the rule (by id, or by 1-based position before the id is known) and
the field, in English and pt-BR.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from . import values as v
from .campaign_params import PARAMS
from .campaign_parts import audience, selector, validity
from .errors import CampaignError
from .rules import MemberPrice, Rule, RuleKind, Selector

DEFAULT_TIMEZONE = "America/Sao_Paulo"
TOP_FIELDS = {"$schema", "description", "timezone", "store_timezones", "rules"}
COMMON_FIELDS = {
    "id", "kind", "name", "priority", "stackable", "exclusive", "applies_to", "exclude", "audience",
    "valid", "requires_activation", "coupon", "max_units_per_sale", "description",
}  # fmt: skip
PARAM_FIELDS: dict[RuleKind, set[str]] = {
    RuleKind.MEMBER_PRICE: {"sku", "price"},
    RuleKind.PERCENT_OFF: {"percent"},
    RuleKind.AMOUNT_OFF: {"amount"},
    RuleKind.TAKE_PAY: {"take", "pay"},
    RuleKind.BUY_GET: {"buy", "get"},
    RuleKind.QUANTITY_PRICE: {"tiers"},
    RuleKind.BUNDLE_PRICE: {"components", "price"},
    RuleKind.BASKET_AMOUNT_OFF: {"amount", "min_subtotal"},
    RuleKind.BASKET_PERCENT_OFF: {"percent", "min_subtotal"},
    RuleKind.POINTS: {"per_amount", "points"},
    RuleKind.POINTS_MULTIPLIER: {"factor"},
    RuleKind.POINTS_BONUS: {"points"},
    RuleKind.CASHBACK: {"percent"},
    RuleKind.RAFFLE: {"per_amount", "campaign"},
}
# Common fields that mean nothing for a kind are refused rather than silently ignored.
NOT_FOR: dict[RuleKind, set[str]] = {
    RuleKind.MEMBER_PRICE: {"applies_to", "exclude", "stackable", "exclusive", "priority"},
    **{
        k: {"max_units_per_sale"} for k in (RuleKind.BASKET_AMOUNT_OFF, RuleKind.BASKET_PERCENT_OFF)
    },
    **{
        k: {"stackable", "exclusive", "priority", "max_units_per_sale"}
        for k in (RuleKind.POINTS, RuleKind.CASHBACK, RuleKind.RAFFLE)
    },
    RuleKind.POINTS_MULTIPLIER: {"exclusive", "max_units_per_sale"},
    RuleKind.POINTS_BONUS: {"stackable", "exclusive", "priority"},
}
KINDS = ", ".join(k.value for k in RuleKind)
KINDS = ", ".join(k.value for k in RuleKind)


@dataclass(frozen=True)
class CampaignFile:
    """A parsed campaign file: the rules in file order and the stores' time zones."""

    rules: tuple[Rule, ...]
    timezone: str = DEFAULT_TIMEZONE
    store_timezones: dict[str, str] = field(default_factory=dict)


def parse_campaign(data: object) -> CampaignFile:
    """Validate a decoded campaign file and build its rules.

    :param data: the JSON document, decoded (numbers may be ``int``, ``Decimal``, ``float`` or
        numeric strings; decode with ``parse_float=Decimal`` to keep amounts exact).
    :raises CampaignError: for the first problem found, naming the rule and the field.
    """

    def top(name: str, en: str, pt: str) -> NoReturn:
        raise CampaignError("campaign file", "arquivo de campanha", name, en, pt)

    if not isinstance(data, dict):
        top("rules", 'must be an object {"rules": [...]}', 'deve ser um objeto {"rules": [...]}')
    v.known_fields(top, "", data, TOP_FIELDS)
    if "rules" not in data:
        top("rules", "is required", "é obrigatório")
    raw_rules = data["rules"]
    if not isinstance(raw_rules, list):
        top(
            "rules",
            f"must be a list, got {v.show(raw_rules)}",
            f"deve ser uma lista, recebido {v.show(raw_rules)}",
        )
    timezone = _zone(top, "timezone", data.get("timezone", DEFAULT_TIMEZONE))
    zones = v.mapping(top, "store_timezones", data.get("store_timezones", {}))
    store_zones = {
        str(store): _zone(top, f"store_timezones.{store}", z) for store, z in zones.items()
    }
    rules: list[Rule] = []
    seen: set[str] = set()
    for position, raw in enumerate(raw_rules, start=1):
        rule = parse_rule(raw, position)
        if rule.id in seen:
            raise CampaignError(
                f"rule '{rule.id}'",
                f"regra '{rule.id}'",
                "id",
                "duplicate rule id",
                "id de regra repetido",
            )
        seen.add(rule.id)
        rules.append(rule)
    return CampaignFile(tuple(rules), timezone, store_zones)


def _zone(raise_: v.Raise, name: str, value: object) -> str:
    zone = v.text(raise_, name, value)
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise_(
            name, f"unknown time zone {v.show(value)}", f"fuso horário desconhecido {v.show(value)}"
        )
    return zone


def parse_rule(raw: object, position: int = 1) -> Rule:
    """Validate and build one rule; ``position`` (1-based) names it until its id is known.

    :raises CampaignError: naming the rule and the field.
    """
    where = [f"rule #{position}", f"regra nº {position}"]

    def raise_(name: str, en: str, pt: str) -> NoReturn:
        raise CampaignError(where[0], where[1], name, en, pt)

    if not isinstance(raw, dict):
        raise CampaignError(
            where[0],
            where[1],
            None,
            f"must be an object, got {v.show(raw)}",
            f"deve ser um objeto, recebido {v.show(raw)}",
        )
    if "id" not in raw:
        raise_("id", "is required", "é obrigatório")
    rule_id = v.text(raise_, "id", raw["id"])
    where[:] = [f"rule '{rule_id}'", f"regra '{rule_id}'"]
    if "kind" not in raw:
        raise_("kind", "is required", "é obrigatório")
    try:
        kind = RuleKind(raw["kind"])
    except (ValueError, TypeError):
        raise_(
            "kind",
            f"unknown kind {v.show(raw['kind'])}; expected one of {KINDS}",
            f"tipo desconhecido {v.show(raw['kind'])}; esperado um de {KINDS}",
        )
    allowed = (COMMON_FIELDS - NOT_FOR.get(kind, set())) | PARAM_FIELDS[kind]
    for key in raw:
        if key not in allowed:
            if key in COMMON_FIELDS:
                raise_(
                    key,
                    f"is not allowed for kind {kind.value}",
                    f"não é permitido para o tipo {kind.value}",
                )
            raise_(
                key,
                f"unknown field for kind {kind.value}",
                f"campo desconhecido para o tipo {kind.value}",
            )
    for key in sorted(PARAM_FIELDS[kind] - {"min_subtotal"}):
        if key not in raw:
            raise_(key, "is required", "é obrigatório")
    if "name" not in raw:
        raise_("name", "is required", "é obrigatório")
    params = PARAMS[kind](raise_, raw)
    applies_to = selector(raise_, "applies_to", raw["applies_to"]) if "applies_to" in raw else None
    if isinstance(params, MemberPrice):
        applies_to = Selector(skus=frozenset({params.sku}))
    max_units = raw.get("max_units_per_sale")
    coupon = raw.get("coupon")
    exclusive = v.flag(raise_, "exclusive", raw.get("exclusive", False))
    if exclusive and raw.get("stackable"):
        raise_(
            "stackable",
            "cannot be true for an exclusive rule (it applies alone)",
            "não pode ser true numa regra exclusiva (ela se aplica sozinha)",
        )
    return Rule(
        id=rule_id,
        kind=kind,
        name=v.text(raise_, "name", raw["name"]),
        params=params,
        priority=_priority(raise_, raw.get("priority", 100)),
        stackable=v.flag(raise_, "stackable", raw.get("stackable", False)),
        exclusive=exclusive,
        applies_to=applies_to,
        exclude=selector(raise_, "exclude", raw["exclude"]) if "exclude" in raw else None,
        audience=audience(raise_, raw.get("audience", {})),
        valid=validity(raise_, raw.get("valid", {})),
        requires_activation=v.flag(
            raise_, "requires_activation", raw.get("requires_activation", False)
        ),
        coupon=None if coupon is None else v.text(raise_, "coupon", coupon).upper(),
        max_units_per_sale=None
        if max_units is None
        else v.integer(raise_, "max_units_per_sale", max_units, minimum=1),
        description=None if raw.get("description") is None else str(raw["description"]),
    )


def _priority(raise_: v.Raise, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise_(
            "priority",
            f"must be a whole number, got {v.show(value)}",
            f"deve ser um número inteiro, recebido {v.show(value)}",
        )
    return value
