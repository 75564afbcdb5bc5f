"""The till, the server's re-pricing and the simulation agree to the cent on every line.

A hypothesis property over random campaign sets (schedules around the sale, hour and weekday
windows, store lists, time zones named per campaign and per store), a personal offer, members
or anonymous shoppers, baskets with brands and tags, in two stores whose zones differ
(Manaus, UTC−4; São Paulo, UTC−3). Each example runs the real thing: the agent's ``Rules``
cache and sale flow on SQLite files (its clock set to the sale moment, no server), the
recorded sale event pushed to the server (its re-pricing must say ``match``, which compares
every line's net, the totals, points and cashback), and the simulation of a draft without
rules over the stored sale, whose baseline must give the till's lines. Vouchers are left out:
the simulation does not apply them (``docs/admin-ui.md``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import event as event_label
from hypothesis import strategies as st
from sqlalchemy import delete

from agent.cache import apply_changes
from agent.config import load_config
from agent.journal.store import unpack
from agent.service import Agent, Credential, write_credential
from loyalty.identification import card_number
from server.db import new_session
from server.models import Campaign, MemberOffer
from server.services.members import add_member
from server.services.simulation import simulate
from server.services.uow import SqlUnitOfWork
from tests.agent.sale.world import Clock, card_change, member_change, write_config
from tests.server.conftest import T0, Till, register_till

STORES = ("MAO-01", "SAO-01")
# The terminals' own setting; pricing must not depend on it (the campaigns name the zone).
TERMINAL_ZONES = {"MAO-01": "America/Manaus", "SAO-01": "America/Sao_Paulo"}
ZONES = ("America/Manaus", "America/Sao_Paulo", "America/Noronha")
SKUS = {"CAFE": ("cafe", "Pilão"), "ARROZ": ("mercearia", "Tio João"), "LEITE": ("frios", "")}
TAGS = ("promo", "organico")
SECOND = dt.timedelta(seconds=1)
CAMPAIGN_IDS = ("B-chain", "a-local", "c-night", "d-late")


# -- strategies ---------------------------------------------------------------------------------

money = st.integers(1, 5000).map(lambda c: f"{c // 100}.{c % 100:02d}")
selector = st.one_of(
    st.none(),
    st.fixed_dictionaries(
        {"skus": st.lists(st.sampled_from(sorted(SKUS)), min_size=1, max_size=2, unique=True)}
    ),  # fmt: skip
    st.fixed_dictionaries({"brands": st.just(["Pilão"])}),
    st.fixed_dictionaries({"tags": st.lists(st.sampled_from(TAGS), min_size=1, unique=True)}),
    st.fixed_dictionaries({"categories": st.just(["mercearia"])}),
)
hour = st.integers(0, 23).map(lambda h: f"{h:02d}:00")
valid = st.fixed_dictionaries(
    {},
    optional={
        "hours": st.tuples(hour, hour).filter(lambda hs: hs[0] != hs[1]).map(list),
        "weekdays": st.lists(st.integers(1, 7), min_size=1, max_size=6, unique=True).map(sorted),
    },
)


@st.composite
def a_rule(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["percent_off", "amount_off", "basket_percent_off", "points"]))
    rule: dict[str, Any] = {"kind": kind, "name": kind}
    if kind in ("percent_off", "basket_percent_off"):
        rule["percent"] = str(draw(st.integers(1, 60)))
    if kind == "amount_off":
        rule["amount"] = draw(money)
    if kind == "basket_percent_off":
        rule["min_subtotal"] = draw(money)
    if kind == "points":
        rule |= {
            "per_amount": draw(st.sampled_from(["1.00", "5.00"])),
            "points": draw(st.integers(1, 3)),
        }
    applies_to = draw(selector)
    if applies_to is not None:
        rule["applies_to"] = applies_to
    window = draw(valid)
    if window:
        rule["valid"] = window
    if draw(st.booleans()) and kind != "points":
        rule["priority"] = draw(st.integers(1, 5))
    if draw(st.integers(0, 4)) == 0:
        rule["audience"] = {"tiers": ["gold"]}
    return rule


@st.composite
def a_campaign(draw: st.DrawFn, cid: str) -> dict[str, Any]:
    rules = draw(st.lists(a_rule(), min_size=1, max_size=3))
    document: dict[str, Any] = {"rules": [r | {"id": f"{cid}-{i}"} for i, r in enumerate(rules)]}
    if draw(st.booleans()):
        document["timezone"] = draw(st.sampled_from(ZONES))
    if draw(st.booleans()):
        document["store_timezones"] = {"MAO-01": draw(st.sampled_from(ZONES))}
    start = draw(st.one_of(st.none(), st.integers(-72, 72)))
    length = draw(st.one_of(st.none(), st.integers(1, 72)))
    return {
        "id": cid,
        "document": document,
        "store_ids": draw(st.one_of(st.none(), st.sampled_from(STORES).map(lambda s: [s]))),
        "start": start,  # hours from the sale, or None
        "end": None if length is None else (start or 0) + length,
        "version": draw(st.integers(1, 3)),
    }


@st.composite
def a_case(draw: st.DrawFn) -> dict[str, Any]:
    ids = draw(st.lists(st.sampled_from(CAMPAIGN_IDS), min_size=1, max_size=4, unique=True))
    lines = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "sku": st.sampled_from(sorted(SKUS)),
                    "qty": st.integers(1, 12).map(str),
                    "unit_price": money,
                    "tags": st.lists(st.sampled_from(TAGS), unique=True),
                }
            ),
            min_size=1,
            max_size=4,
        )
    )
    for ln in lines:
        ln["category"], ln["brand"] = SKUS[ln["sku"]]
        if not ln["brand"]:
            del ln["brand"]
    return {
        "campaigns": [draw(a_campaign(cid)) for cid in ids],
        "store": draw(st.sampled_from(STORES)),
        "minutes": draw(st.integers(0, 7 * 24 * 60 - 1)),  # a week of hours and weekdays
        "member": draw(st.booleans()),
        "offer": draw(st.one_of(st.none(), a_rule())),
        "lines": lines,
    }


# -- the three sides ----------------------------------------------------------------------------


class World:
    """A server (test client) and one agent per store, sharing campaigns per example."""

    def __init__(self, app: Flask, client: FlaskClient, tmp: Path) -> None:
        self.app = app
        add_member(SqlUnitOfWork.for_app(app), app.extensions["tillclub.cpf"], "M1", "Maria",
                   card_number=card_number(1))  # fmt: skip
        self.tills: dict[str, Till] = {}
        self.agents: dict[str, Agent] = {}
        self.clock = Clock(T0)
        self.seq = 10
        self.last: set[str] = set()
        for store in STORES:
            till = self.tills[store] = register_till(app, client, store, f"PDV {store}")
            home = tmp / store
            home.mkdir()
            path = write_config(
                home, terminal=f'store = "{store}"\ntimezone = "{TERMINAL_ZONES[store]}"\n'
            )
            write_credential(
                home / "credential.json", Credential(till.credential, till.terminal_id, store)
            )
            agent = Agent(load_config(path), self.clock)
            self.agents[store] = agent
            member = member_change(1, "M1") | {}
            member["data"] |= {"tier": "gold", "segments": ["vip"]}
            apply_changes(agent.cache_conn, [member, card_change(2, card_number(1), "M1")], 2)

    def close(self) -> None:
        for agent in self.agents.values():
            agent.close()

    def publish(self, case: dict[str, Any], at: dt.datetime) -> None:
        hours = dt.timedelta(hours=1)
        offer = case["offer"]
        with new_session(self.app) as s, s.begin():
            s.execute(delete(MemberOffer))
            s.execute(delete(Campaign))
            for c in case["campaigns"]:
                s.add(
                    Campaign(
                        id=c["id"], name=c["id"], document=c["document"], store_ids=c["store_ids"],
                        active=True, version=c["version"], created_at=at, updated_at=at,
                        valid_from=None if c["start"] is None else at + c["start"] * hours,
                        valid_until=None if c["end"] is None else at + c["end"] * hours,
                    )
                )  # fmt: skip
            if offer is not None:
                s.add(MemberOffer(id="off-1", member_id="M1", title="offer", rule=offer,
                                  requires_activation=False, active=True,
                                  created_at=at))  # fmt: skip
        for store, agent in self.agents.items():
            self.seq += 1
            changes = [
                {"seq": self.seq, "type": "campaign", "id": cid, "deleted": True, "data": None}
                for cid in self.last
            ]
            for c in case["campaigns"]:
                if c["store_ids"] is not None and store not in c["store_ids"]:
                    continue  # the feed sends another store's campaign as deleted
                data = {
                    "id": c["id"],
                    "name": c["id"],
                    "document": c["document"],
                    "active": True,
                    "version": c["version"],
                    "valid_from": _iso(at, c["start"]),
                    "valid_until": _iso(at, c["end"]),
                }
                changes.append({"seq": self.seq, "type": "campaign", "id": c["id"],
                                "deleted": False, "data": data})  # fmt: skip
            changes.append(
                {"seq": self.seq, "type": "offer", "id": "off-1", "deleted": offer is None,
                 "data": None if offer is None else {
                     "id": "off-1", "member_id": "M1", "title": "offer", "rule": offer,
                     "requires_activation": False, "activated_at": None, "starts_at": None,
                     "ends_at": None, "active": True}}
            )  # fmt: skip
            apply_changes(agent.cache_conn, changes, self.seq)
            agent.rules.rebuild(agent.lookups.campaigns())
            assert agent.rules.error is None
        self.last = {c["id"] for c in case["campaigns"]}

    def sell(self, case: dict[str, Any], at: dt.datetime) -> tuple[dict[str, Any], dict[str, Any]]:
        """The till's quote, and the sale event it recorded."""
        agent = self.agents[case["store"]]
        self.clock.at = at
        pos = f"p{self.seq}"
        agent.sales.identify(pos, card_number(1) if case["member"] else None)
        quote = agent.sales.price(pos, case["lines"])
        answer = agent.sales.finalise(pos)
        for (payload,) in agent.journal_conn.execute("SELECT payload FROM outbox"):
            event = json.loads(unpack(payload))
            if event.get("sale_id") == answer["sale_id"] and event["type"] == "sale":
                return quote, event
        raise AssertionError("the sale is not in the outbox")


def _iso(at: dt.datetime, hours: int | None) -> str | None:
    return None if hours is None else (at + dt.timedelta(hours=hours)).isoformat()


def _live(c: dict[str, Any], store: str) -> bool:
    """Whether campaign ``c`` covers the sale (its stores and schedule), for the statistics."""
    serves = c["store_ids"] is None or store in c["store_ids"]
    starts, ends = c["start"], c["end"]
    return serves and (starts is None or starts <= 0) and (ends is None or ends > 0)


@pytest.fixture
def world(app: Flask, client: FlaskClient, tmp_path: Path) -> Iterator[World]:
    w = World(app, client, tmp_path)
    yield w
    w.close()


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=a_case())
def test_till_server_and_simulation_agree_on_every_line(world: World, case: dict[str, Any]) -> None:
    at = T0 + dt.timedelta(minutes=case["minutes"])
    world.publish(case, at)
    quote, event = world.sell(case, at)
    till_lines = [line["net"] for line in quote["lines"]]
    event_label("discounted" if quote["discount"] != "0.00" else "no discount")
    event_label("scheduled out" if any(not _live(c, case["store"]) for c in case["campaigns"])
                else "all live")  # fmt: skip

    answer = world.tills[case["store"]].push([event])
    assert answer["rejected"] == []
    assert answer["flags"] == [], answer["flags"]  # re-priced to the cent, points included

    with new_session(world.app) as s:
        result = simulate(s, "zz-probe", {"rules": []}, None, at - SECOND, at + SECOND,
                          max_sales=1000, keep_results=True)  # fmt: skip
    assert event["sale_id"] in result.priced, (result.errors, result.sales)
    baseline, with_draft = result.priced[event["sale_id"]]
    simulated = [f"{line.net_cents / 100:.2f}" for line in baseline.lines]
    assert simulated == till_lines
    assert baseline.total_cents == with_draft.total_cents
    assert f"{baseline.total_cents / 100:.2f}" == quote["total"]
    if case["member"]:
        assert baseline.rewards.points == quote["points_earned"]
