"""Write parsed rules back as a campaign file: head office's export, the server's sync payload.

The output is canonical (defaults left out, lists sorted, amounts as ``"12.34"`` strings), so
``parse_campaign(campaign_to_json(c)) == c`` and two exports of the same rules are identical.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

from ..l10n import format_plain
from ..money import Money
from .campaign_file import DEFAULT_TIMEZONE, CampaignFile
from .rules import (
    Audience,
    BundlePrice,
    BuyGet,
    Component,
    MemberPrice,
    Params,
    QuantityPrice,
    Rule,
    Selector,
    Validity,
)


def campaign_to_json(campaign: CampaignFile) -> dict[str, Any]:
    """The campaign file for ``campaign``, as plain JSON types."""
    out: dict[str, Any] = {}
    if campaign.timezone != DEFAULT_TIMEZONE:
        out["timezone"] = campaign.timezone
    if campaign.store_timezones:
        out["store_timezones"] = dict(sorted(campaign.store_timezones.items()))
    out["rules"] = [rule_to_json(r) for r in campaign.rules]
    return out


def rule_to_json(rule: Rule) -> dict[str, Any]:
    out: dict[str, Any] = {"id": rule.id, "kind": rule.kind.value, "name": rule.name}
    out |= _params(rule.params)
    if rule.priority != 100:
        out["priority"] = rule.priority
    if rule.stackable:
        out["stackable"] = True
    if rule.exclusive:
        out["exclusive"] = True
    if rule.applies_to is not None and not isinstance(rule.params, MemberPrice):
        out["applies_to"] = _selector(rule.applies_to)
    if rule.exclude is not None:
        out["exclude"] = _selector(rule.exclude)
    if rule.audience != Audience():
        out["audience"] = _audience(rule.audience)
    if rule.valid != Validity():
        out["valid"] = _validity(rule.valid)
    if rule.requires_activation:
        out["requires_activation"] = True
    if rule.coupon is not None:
        out["coupon"] = rule.coupon
    if rule.max_units_per_sale is not None:
        out["max_units_per_sale"] = rule.max_units_per_sale
    if rule.description is not None:
        out["description"] = rule.description
    return out


def _value(value: object) -> object:
    if isinstance(value, Money):
        return format_plain(value)
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    if isinstance(value, Component):
        return {"applies_to": _selector(value.applies_to), "qty": value.qty}
    return value


def _params(params: Params) -> dict[str, Any]:
    if isinstance(params, BuyGet):
        get = {**_value(params.get), "percent": _value(params.percent)}  # type: ignore[dict-item]
        return {"buy": _value(params.buy), "get": get}
    if isinstance(params, QuantityPrice):
        tiers = [
            {"min_qty": _value(t.min_qty), "unit_price": _value(t.unit_price)} for t in params.tiers
        ]
        return {"tiers": tiers}
    if isinstance(params, BundlePrice):
        return {"components": [_value(c) for c in params.components], "price": _value(params.price)}
    return {
        name: _value(getattr(params, name))
        for name in params.__dataclass_fields__
        if _public(params, name)
    }


def _public(params: Params, name: str) -> bool:
    return params.__dataclass_fields__[name].init


def _selector(sel: Selector) -> dict[str, list[str]]:
    pairs = (
        ("skus", sel.skus),
        ("categories", sel.categories),
        ("brands", sel.brands),
        ("tags", sel.tags),
    )
    return {key: sorted(values) for key, values in pairs if values}


def _audience(aud: Audience) -> dict[str, Any]:
    out: dict[str, Any] = {"members_only": True} if aud.members_only else {}
    for key, values in (
        ("tiers", aud.tiers),
        ("segments", aud.segments),
        ("member_ids", aud.member_ids),
    ):
        if values:
            out[key] = sorted(values)
    return out


def _validity(valid: Validity) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if valid.starts is not None:
        out["from"] = _when(valid.starts, end=False)
    if valid.ends is not None:
        out["until"] = _when(valid.ends, end=True)
    if valid.weekdays:
        out["weekdays"] = sorted(valid.weekdays)
    if valid.hours is not None:
        start, end = valid.hours
        out["hours"] = [start.strftime("%H:%M"), "24:00" if end is None else end.strftime("%H:%M")]
    if valid.stores:
        out["stores"] = sorted(valid.stores)
    return out


def _when(moment: datetime, *, end: bool) -> str:
    if moment.tzinfo is None and moment.time() == time():
        # Midnight reads back as a date: an "until" date means through the day before.
        return (moment - timedelta(days=1) if end else moment).date().isoformat()
    return moment.isoformat()
