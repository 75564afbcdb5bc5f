"""The one rule-set builder: visibility, schedules (start inclusive, end exclusive), merge
order by campaign id, the store's time zone, and compiling once per schedule segment."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from loyalty.pricing import CampaignError
from loyalty.pricing.ruleset_builder import (
    PublishedCampaign,
    StoreRules,
    merged_document,
    ruleset_at,
    store_timezone,
)
from tests.loyalty.pricing.pricing_helpers import AT, rule

HOUR = timedelta(hours=1)


def campaign(cid: str, *rule_ids: str, **kw: Any) -> PublishedCampaign:
    doc = kw.pop("document", None) or {}
    rules = [rule(r, "percent_off", percent="5", applies_to={"skus": [r]}) for r in rule_ids]
    return PublishedCampaign(cid, {**doc, "rules": rules}, **kw)


def test_rules_merge_by_campaign_id_whatever_order_the_campaigns_come_in() -> None:
    """Merge order: campaigns by id (code points: "B" < "a"), rules in file order within."""
    given = [campaign("a", "a1", "a2"), campaign("B", "b1"), campaign("c", "c1", "c0")]
    for order in itertools.permutations(given):
        assert [r["id"] for r in merged_document(order, "S1")["rules"]] == [
            "b1", "a1", "a2", "c1", "c0"
        ]  # fmt: skip
        assert [r.id for r in ruleset_at(order, "S1", AT).rules] == ["b1", "a1", "a2", "c1", "c0"]


@pytest.mark.parametrize(
    ("docs", "store", "zone"),
    [
        ([{}, {}], "S1", "America/Sao_Paulo"),  # nothing said: the documented default
        ([{"timezone": "America/Manaus"}, {"timezone": "America/Recife"}], "S1", "America/Manaus"),
        (  # a store's own entry wins over any campaign's timezone, even a later campaign's
            [{"timezone": "America/Recife"}, {"store_timezones": {"S1": "America/Manaus"}}],
            "S1",
            "America/Manaus",
        ),
        (
            [{"timezone": "America/Recife"}, {"store_timezones": {"S2": "America/Manaus"}}],
            "S1",
            "America/Recife",
        ),
        (
            [{"store_timezones": {"S1": "America/Belem"}}, {"store_timezones": {"S1": "UTC"}}],
            "S1",
            "America/Belem",
        ),
    ],
)
def test_the_store_zone_is_taken_in_merge_order(
    docs: list[dict[str, Any]], store: str, zone: str
) -> None:
    campaigns = [campaign(f"c{i}", document=d) for i, d in enumerate(docs)]
    assert store_timezone(campaigns, store) == zone
    assert ruleset_at(reversed(campaigns), store, AT).timezone_for(store) == zone


def test_a_campaign_not_live_does_not_set_the_zone() -> None:
    later = campaign("a", document={"timezone": "America/Manaus"}, valid_from=AT + HOUR)
    now = campaign("b", document={"timezone": "America/Recife"})
    assert ruleset_at([later, now], "S1", AT).timezone_for("S1") == "America/Recife"
    assert ruleset_at([later, now], "S1", AT + HOUR).timezone_for("S1") == "America/Manaus"


def test_schedule_start_is_inclusive_and_end_exclusive() -> None:
    c = campaign("a", "r1", valid_from=AT, valid_until=AT + HOUR)
    rules = StoreRules([c], "S1")
    tick = timedelta(microseconds=1)
    assert [bool(rules.at(t).rules) for t in (AT - tick, AT, AT + HOUR - tick, AT + HOUR)] == [
        False, True, True, False
    ]  # fmt: skip


def test_a_naive_bound_is_read_in_the_store_zone() -> None:
    """10:00 local in Manaus (UTC−4) is 14:00 UTC; an aware bound is an instant."""
    doc = {"store_timezones": {"S1": "America/Manaus"}}
    c = campaign("a", "r1", document=doc, valid_from=datetime(2026, 3, 4, 10, 0))  # noqa: DTZ001
    rules = StoreRules([c], "S1")
    assert not rules.at(datetime(2026, 3, 4, 13, 59, tzinfo=UTC)).rules
    assert rules.at(datetime(2026, 3, 4, 14, 0, tzinfo=UTC)).rules


def test_visibility_by_store_and_active_flag() -> None:
    everywhere = campaign("a", "r1")
    only_s2 = campaign("b", "r2", store_ids=frozenset({"S2"}))
    paused = campaign("c", "r3", active=False)
    assert [r.id for r in ruleset_at([everywhere, only_s2, paused], "S1", AT).rules] == ["r1"]
    assert [r.id for r in ruleset_at([everywhere, only_s2, paused], "S2", AT).rules] == [
        "r1", "r2"
    ]  # fmt: skip


def test_precompile_builds_one_rule_set_per_distinct_live_set_and_reuses_it() -> None:
    a = campaign("a", "r1", valid_from=AT, valid_until=AT + 3 * HOUR)
    b = campaign("b", "r2", valid_from=AT + HOUR, valid_until=AT + 2 * HOUR)
    rules = StoreRules([a, b], "S1")
    rules.precompile()
    assert len(rules._compiled) == 3  # {}, {a}, {a, b}; {a} again after b ends is shared
    assert rules.compiled_at(AT + 30 * timedelta(minutes=1)) is rules.compiled_at(
        AT + 2 * HOUR + timedelta(minutes=1)
    )
    assert rules.key_at(AT + HOUR) == (("a", 1), ("b", 1))
    for t in (AT - 10 * HOUR, AT, AT + HOUR, AT + 2 * HOUR, AT + 99 * HOUR):
        assert rules.compiled_at(t) is not None


def test_the_version_is_part_of_what_is_live() -> None:
    assert StoreRules([campaign("a", "r1", version=7)], "S1").key_at(AT) == (("a", 7),)


def test_campaigns_that_do_not_compile_together_are_refused_naming_the_rule() -> None:
    with pytest.raises(CampaignError):
        StoreRules([campaign("a", "r1"), campaign("b", "r1")], "S1").precompile()


def test_the_wire_form_is_what_a_till_caches() -> None:
    c = PublishedCampaign.from_wire(
        {
            "id": "c1",
            "document": {"rules": []},
            "active": True,
            "valid_from": "2026-03-04T13:00:00+00:00",
            "valid_until": None,
            "version": 3,
        }
    )
    assert (c.id, c.version, c.valid_from, c.valid_until) == ("c1", 3, AT, None)
    with pytest.raises(ValueError, match="Invalid isoformat"):
        PublishedCampaign.from_wire({"id": "c1", "valid_from": "next month"})


# -- the store's own zone (master data) first: issue 28 ------------------------------------


def test_zone_precedence_store_then_store_timezones_then_timezone_then_sao_paulo() -> None:
    """The store's own zone > a campaign's ``store_timezones[store]`` > the campaign's
    ``timezone`` > America/Sao_Paulo, whatever order the campaigns come in."""
    named = campaign("a", document={"store_timezones": {"MAO-01": "America/Boa_Vista"}})
    zoned = campaign("b", document={"timezone": "America/Noronha"})
    plain = campaign("c")
    for order in itertools.permutations([named, zoned, plain]):
        assert store_timezone(order, "MAO-01", "America/Manaus") == "America/Manaus"
        assert store_timezone(order, "MAO-01") == "America/Boa_Vista"
        assert store_timezone(order, "MAO-01", None) == "America/Boa_Vista"
        assert store_timezone(order, "SAO-01") == "America/Noronha"
    assert store_timezone([plain], "MAO-01") == "America/Sao_Paulo"
    assert store_timezone([], "MAO-01", "America/Manaus") == "America/Manaus"


def test_the_store_s_zone_beats_a_campaign_that_names_another_for_it() -> None:
    """A campaign that still says São Paulo for the Manaus store (the mistake master data
    fixes) reads its 08:00-09:00 window in Manaus once the store has its own zone: at 12:30
    UTC it is 08:30 in Manaus (on) and 09:30 in São Paulo (off)."""
    window = rule("manha", "percent_off", percent="10", valid={"hours": ["08:00", "09:00"]})
    doc = {"store_timezones": {"MAO-01": "America/Sao_Paulo"}, "rules": [window]}
    c = PublishedCampaign("a", doc)
    at = datetime(2026, 3, 4, 12, 30, tzinfo=UTC)
    merged = merged_document([c], "MAO-01", "America/Manaus")
    assert merged["timezone"] == "America/Manaus"
    assert merged["store_timezones"]["MAO-01"] == "America/Manaus"  # the engine reads this
    rules = StoreRules([c], "MAO-01", "America/Manaus")
    assert rules.zone == "America/Manaus"
    assert rules.at(at).timezone_for("MAO-01") == "America/Manaus"
    assert StoreRules([c], "MAO-01").at(at).timezone_for("MAO-01") == "America/Sao_Paulo"
    assert ruleset_at([c], "MAO-01", at, "America/Manaus").timezone_for("MAO-01") == (
        "America/Manaus"
    )


def test_naive_schedule_bounds_are_read_in_the_store_s_own_zone() -> None:
    """A naive ``valid_from`` of 09:00 is 13:00 UTC in Manaus, 12:00 UTC in São Paulo."""
    c = campaign("a", "a1", valid_from=datetime(2026, 3, 4, 9, 0))  # noqa: DTZ001 (naive on purpose)
    rules = StoreRules([c], "MAO-01", "America/Manaus")
    assert [r.id for r in rules.at(datetime(2026, 3, 4, 12, 30, tzinfo=UTC)).rules] == []
    assert [r.id for r in rules.at(datetime(2026, 3, 4, 13, 0, tzinfo=UTC)).rules] == ["a1"]
    sp = StoreRules([c], "MAO-01")
    assert [r.id for r in sp.at(datetime(2026, 3, 4, 12, 30, tzinfo=UTC)).rules] == ["a1"]
