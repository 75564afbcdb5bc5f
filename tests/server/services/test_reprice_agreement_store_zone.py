"""Till, re-pricing and simulation agree when the store's time zone is master data only.

The sibling of ``test_reprice_agreement.py`` for issue 28, defect 2: the campaigns name no
zone at all (no ``timezone``, no ``store_timezones``); the Manaus store's zone
(``America/Manaus``, UTC−4) is set on the store (``stores.timezone``) and reaches the till the
real way: the server's changes feed, the agent's cache, its ``Rules``. Both terminals are
configured for São Paulo on purpose: the store's zone must win. Each example prices at the
till (its clock at the sale), pushes the sale (re-pricing must say ``match``) and simulates an
empty draft over it (its baseline must give the till's lines).
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
from hypothesis import strategies as st
from sqlalchemy import delete

from agent.cache import apply_changes
from agent.config import load_config
from agent.journal.store import unpack
from agent.service import Agent, Credential, write_credential
from server.db import new_session
from server.models import Campaign
from server.services.simulation import simulate
from server.services.terminals import add_store, set_store_timezone
from server.services.uow import SqlUnitOfWork
from tests.agent.sale.world import Clock, write_config
from tests.server.conftest import T0, Till, register_till
from tests.server.services.test_reprice_agreement import SKUS, a_rule

ZONES = {"MAO-01": "America/Manaus", "SAO-01": "America/Sao_Paulo"}
SECOND = dt.timedelta(seconds=1)


class World:
    """A server and one agent per store; the agents learn their zone from the feed only."""

    def __init__(self, app: Flask, client: FlaskClient, tmp: Path) -> None:
        self.app = app
        self.clock = Clock(T0)
        self.tills: dict[str, Till] = {}
        self.agents: dict[str, Agent] = {}
        self.cursors: dict[str, int] = {}
        self.n = 0
        for store, zone in ZONES.items():
            add_store(SqlUnitOfWork.for_app(app), store, store, timezone=zone)
            till = self.tills[store] = register_till(app, client, store, f"PDV {store}")
            home = tmp / store
            home.mkdir()
            path = write_config(
                home, terminal=f'store = "{store}"\ntimezone = "America/Sao_Paulo"\n'
            )
            write_credential(
                home / "credential.json", Credential(till.credential, till.terminal_id, store)
            )
            self.agents[store] = Agent(load_config(path), self.clock)
            self.cursors[store] = 0

    def close(self) -> None:
        for agent in self.agents.values():
            agent.close()

    def publish(self, campaigns: list[dict[str, Any]], at: dt.datetime) -> None:
        with new_session(self.app) as s, s.begin():
            s.execute(delete(Campaign))
            for i, document in enumerate(campaigns):
                assert "timezone" not in document
                assert "store_timezones" not in document
                s.add(Campaign(id=f"c{i}", name=f"c{i}", document=document, active=True,
                               version=1, created_at=at, updated_at=at))  # fmt: skip
        self.sync()

    def sync(self) -> None:
        """Each till pulls the real feed into its cache and rebuilds its rules from it."""
        for store, agent in self.agents.items():
            changes, cursor = self.tills[store].pull_all(self.cursors[store])
            gone = [
                {"seq": cursor, "type": "campaign", "id": f"c{i}", "deleted": True, "data": None}
                for i in range(8)
            ]  # fmt: skip  (deletes are not fed)
            apply_changes(agent.cache_conn, [*gone, *changes], cursor)
            self.cursors[store] = cursor
            agent._rebuild_rules(agent.cache_conn)
            assert agent.rules.error is None
            assert agent.rules.summary()["timezone"] == ZONES[store]

    def sell(self, store: str, lines: list[dict[str, Any]], at: dt.datetime) -> tuple[Any, Any]:
        agent = self.agents[store]
        self.clock.at = at
        self.n += 1
        pos = f"p{self.n}"
        agent.sales.identify(pos, None)
        quote = agent.sales.price(pos, lines)
        answer = agent.sales.finalise(pos)
        for (payload,) in agent.journal_conn.execute("SELECT payload FROM outbox"):
            event = json.loads(unpack(payload))
            if event.get("sale_id") == answer["sale_id"] and event["type"] == "sale":
                return quote, event
        raise AssertionError("the sale is not in the outbox")

    def check(self, store: str, lines: list[dict[str, Any]], at: dt.datetime) -> dict[str, Any]:
        """Sell at the till, push, simulate: the three agree. Returns the till's quote."""
        quote, event = self.sell(store, lines, at)
        answer = self.tills[store].push([event])
        assert answer["rejected"] == []
        assert answer["flags"] == [], answer["flags"]
        with new_session(self.app) as s:
            result = simulate(s, "zz-probe", {"rules": []}, None, at - SECOND, at + SECOND,
                              max_sales=1000, keep_results=True)  # fmt: skip
        baseline, _ = result.priced[event["sale_id"]]
        assert [f"{ln.net_cents / 100:.2f}" for ln in baseline.lines] == [
            ln["net"] for ln in quote["lines"]
        ]
        assert f"{baseline.total_cents / 100:.2f}" == quote["total"]
        return quote


@pytest.fixture
def world(app: Flask, client: FlaskClient, tmp_path: Path) -> Iterator[World]:
    w = World(app, client, tmp_path)
    yield w
    w.close()


MORNING = {
    "rules": [{"id": "manha", "kind": "percent_off", "name": "Manhã", "percent": "10",
               "applies_to": {"skus": ["CAFE"]}, "valid": {"hours": ["08:00", "09:00"]}}]
}  # fmt: skip
CAFE = [{"sku": "CAFE", "qty": "1", "unit_price": "20.00", "category": "cafe", "brand": "Pilão"}]


def test_an_hour_window_in_manaus_is_read_in_manaus_at_the_till_and_the_server(
    world: World,
) -> None:
    """08:00-09:00 with no zone in the campaign: 12:30 UTC is 08:30 in Manaus (on) and 09:30
    in São Paulo (off). The Manaus till gives the discount, the server re-prices it the same
    (no mismatch flag) and so does the simulation; the São Paulo till does not."""
    at = T0.replace(hour=12, minute=30)
    world.publish([MORNING], at)
    assert world.check("MAO-01", CAFE, at)["total"] == "18.00"
    assert world.check("SAO-01", CAFE, at)["total"] == "20.00"
    # head office moves the store to São Paulo time: the till learns it on its next pull
    set_store_timezone(SqlUnitOfWork.for_app(world.app), "MAO-01", "America/Sao_Paulo")
    ZONES["MAO-01"] = "America/Sao_Paulo"
    try:
        world.sync()
        assert world.check("MAO-01", CAFE, at + SECOND)["total"] == "20.00"
    finally:
        ZONES["MAO-01"] = "America/Manaus"


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    rules=st.lists(a_rule(), min_size=1, max_size=4),
    store=st.sampled_from(sorted(ZONES)),
    minutes=st.integers(0, 7 * 24 * 60 - 1),
    lines=st.lists(
        st.fixed_dictionaries(
            {
                "sku": st.sampled_from(sorted(SKUS)),
                "qty": st.integers(1, 6).map(str),
                "unit_price": st.integers(1, 5000).map(lambda c: f"{c // 100}.{c % 100:02d}"),
            }
        ),
        min_size=1,
        max_size=3,
    ),
)
def test_till_server_and_simulation_agree_with_the_store_zone_from_master_data(
    world: World,
    rules: list[dict[str, Any]],
    store: str,
    minutes: int,
    lines: list[dict[str, Any]],
) -> None:
    at = T0 + dt.timedelta(minutes=minutes) + world.n * SECOND  # a fresh moment per sale
    for ln in lines:
        ln["category"], brand = SKUS[ln["sku"]]
        if brand:
            ln["brand"] = brand
    document = {"rules": [r | {"id": f"r{i}"} for i, r in enumerate(rules)]}
    document["rules"][0].setdefault("valid", {"hours": ["08:00", "09:00"]})
    world.publish([document], at)
    world.check(store, lines, at)
