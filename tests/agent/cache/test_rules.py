"""The till's rule sets follow the campaign schedule with its own clock, offline, and the sale
flow never compiles: every segment of the schedule is compiled by ``Rules.rebuild``."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from agent.cache import Rules
from tests.agent.sale.world import T0, Clock, line, make_agent

PROMO = {
    "timezone": "America/Sao_Paulo",
    "rules": [{"id": "cafe-10", "kind": "percent_off", "name": "Café -10%",
               "applies_to": {"skus": ["CAFE"]}, "percent": "10"}],
}  # fmt: skip


def scheduled(seq: int, cid: str, start: Any, end: Any, doc: Any = PROMO) -> dict[str, Any]:
    return {
        "seq": seq,
        "type": "campaign",
        "id": cid,
        "deleted": False,
        "data": {
            "id": cid,
            "name": cid,
            "document": doc,
            "active": True,
            "valid_from": None if start is None else start.isoformat(),
            "valid_until": None if end is None else end.isoformat(),
            "version": 1,
        },
    }


def test_a_campaign_switches_on_at_its_start_and_off_at_its_end_while_the_agent_runs(
    tmp_path: Path,
) -> None:
    """Scheduled for [T0+1h, T0+3h): not applied before, applied from its first instant, gone
    at its end, with the agent offline (no server) and no rebuild in between."""
    clock = Clock(T0)
    start, end = T0 + timedelta(hours=1), T0 + timedelta(hours=3)
    agent = make_agent(tmp_path, [scheduled(1, "c-cafe", start, end)], clock)
    try:
        totals = {}
        for label, at in [
            ("before", T0),
            ("just before", start - timedelta(microseconds=1)),
            ("at start", start),
            ("inside", start + timedelta(hours=1)),
            ("at end", end),
        ]:
            clock.at = at
            totals[label] = agent.sales.price(label, [line("CAFE", price="20.00")])["total"]
        assert totals == {
            "before": "20.00",
            "just before": "20.00",
            "at start": "18.00",
            "inside": "18.00",
            "at end": "20.00",
        }
        clock.at = start + timedelta(minutes=5)
        agent.sales.price("sold", [line("CAFE", price="20.00")])
        assert agent.sales.finalise("sold")["total"] == "18.00"
    finally:
        agent.close()


def test_every_segment_is_compiled_by_rebuild_so_pricing_only_looks_up(tmp_path: Path) -> None:
    clock = Clock(T0)
    rules = Rules("America/Sao_Paulo", "LOJA-01", clock)
    a = scheduled(1, "a", T0 + timedelta(hours=1), T0 + timedelta(hours=3))["data"]
    b = scheduled(2, "b", T0 + timedelta(hours=2), None, {"rules": []})["data"]
    rules.rebuild([a, b])
    compiled = dict(rules.store_rules._compiled)
    assert len(compiled) == 4  # none, a, a+b, b: one per distinct set of live campaigns
    moments = [T0 + timedelta(minutes=m) for m in range(0, 300, 7)]
    seen = {id(rules.ruleset_at(at)) for at in moments}
    assert rules.store_rules._compiled == compiled  # nothing compiled while pricing
    assert seen == {id(rs) for rs in compiled.values()}
    assert [r.id for r in rules.ruleset_at(T0 + timedelta(hours=2)).rules] == ["cafe-10"]
    clock.at = T0 + timedelta(hours=4)
    assert rules.rule_count == 0


def test_a_campaign_that_does_not_compile_keeps_the_previous_rule_sets() -> None:
    rules = Rules("America/Sao_Paulo", "LOJA-01", Clock(T0))
    rules.rebuild([scheduled(1, "a", None, None)["data"]])
    good = rules.ruleset
    bad = scheduled(2, "b", T0 + timedelta(days=1), None, {"rules": [{"id": "x"}]})["data"]
    rules.rebuild([scheduled(1, "a", None, None)["data"], bad])
    assert rules.ruleset is good
    assert rules.error is not None
    assert "campaigns not applied" in rules.error
    broken = scheduled(3, "c", None, None)["data"] | {"valid_from": "next month"}
    rules.rebuild([broken])
    assert rules.ruleset is good
    assert "campaigns not applied" in (rules.error or "")


def test_the_store_zone_comes_from_the_campaigns_not_the_terminal_setting() -> None:
    """A Manaus till priced with the campaigns' zone for its store, as the server does: an
    hour window 08:00-09:00 Manaus is 09:00-10:00 in São Paulo."""
    doc = {
        "timezone": "America/Sao_Paulo",
        "store_timezones": {"MAO-01": "America/Manaus"},
        "rules": [{"id": "manha", "kind": "percent_off", "name": "Manhã",
                   "applies_to": {"skus": ["CAFE"]}, "percent": "10",
                   "valid": {"hours": ["08:00", "09:00"]}}],
    }  # fmt: skip
    at = T0.replace(hour=12, minute=30)  # 08:30 in Manaus, 09:30 in São Paulo
    for terminal_zone in ("America/Sao_Paulo", "America/Manaus"):
        rules = Rules(terminal_zone, "MAO-01", Clock(at))
        rules.rebuild([scheduled(1, "c", None, None, doc)["data"]])
        assert rules.ruleset.timezone_for("MAO-01") == "America/Manaus"
        warned = terminal_zone != "America/Manaus"
        assert (rules.warning is not None) == warned  # shown in the agent's status
    plain = Rules("America/Manaus", "MAO-01", Clock(at))
    plain.rebuild([scheduled(1, "c", None, None, {"rules": []})["data"]])
    assert plain.ruleset.timezone_for("MAO-01") == "America/Sao_Paulo"  # the documented default
