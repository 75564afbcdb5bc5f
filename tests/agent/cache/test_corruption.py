"""Property: one flipped bit inside any record of a real cache never stops the till.

GIVEN a cache file a real agent pulled from a real server (members, cards, campaign, store)
WHEN one bit inside one of its records is flipped on disk (damage ``quick_check`` and
     ``integrity_check`` do not see) and the agent starts on it
THEN the agent starts, sells (anonymously, or with loyalty where the record read is sound),
     never answers with a wrong member, and at its next sync with the server reachable it
     rebuilds the cache: every member is found again and the campaign is back in force.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.cache import connect_reader
from agent.cache.integrity import CacheDamaged
from agent.config import load_config
from agent.journal import connect_journal
from agent.sale.errors import MemberNotFound
from agent.service import Agent, Credential, write_credential
from agent.sync import register
from tests.agent.sale.world import (
    card,
    line,
    live_server,
    registration_code,
    seed_server,
    write_config,
)

TABLES = ("members", "cards", "campaigns", "stores")


@dataclass(frozen=True)
class World:
    home: Path  # pristine credential, secrets, config, cache and journal
    records: list[tuple[str, int, int]]  # (table, offset, length) of each record's text


def run_round(agent: Agent) -> None:
    journal = connect_journal(agent.config.storage.journal_path)
    cache = connect_reader(agent.config.storage.cache_path, agent.card_hash)
    try:
        agent.worker.run_round(agent.worker.outbox(journal), cache)
    finally:
        journal.close()
        cache.close()


def text_ranges(path: Path) -> list[tuple[str, int, int]]:
    """Where each record's text columns sit in the file (each found once, on its page)."""
    raw = path.read_bytes()
    conn = sqlite3.connect(path)
    found = []
    for table in TABLES:
        for row in conn.execute(f"SELECT * FROM {table}"):
            for value in row:
                if isinstance(value, str) and len(value) >= 4:
                    at = raw.find(value.encode())
                    if at >= 0:
                        found.append((table, at, len(value.encode())))
    conn.close()
    return found


@pytest.fixture(scope="module")
def world() -> Iterator[tuple[World, str]]:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "pristine"
        home.mkdir()
        with live_server(Path(tmp) / "server.db") as srv:
            seed_server(srv.app)
            body = register(srv.url, registration_code(srv.app))
            write_credential(
                home / "credential.json",
                Credential(body["credential"], body["terminal_id"], body["store_id"]),
            )
            agent = Agent(load_config(write_config(home, srv.url)))
            run_round(agent)
            assert agent.lookups.member_by_card(card(3)) is not None
            agent.close()
            yield World(home, text_ranges(home / "cache.sqlite3")), srv.url


def flip(path: Path, offset: int, bit: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 1 << bit
    path.write_bytes(bytes(data))


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.data())
def test_a_flipped_bit_in_any_record_never_stops_the_till(
    world: tuple[World, str], data: st.DataObject
) -> None:
    pristine, url = world
    table, start, length = data.draw(st.sampled_from(pristine.records), label="record")
    offset = start + data.draw(st.integers(0, length - 1), label="byte")
    bit = data.draw(st.integers(0, 7), label="bit")
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        for f in pristine.home.iterdir():
            if f.is_file():
                shutil.copy(f, home / f.name)
        flip(home / "cache.sqlite3", offset, bit)
        # The agent starts on the damaged file...
        agent = Agent(load_config(write_config(home, url)))
        try:
            # ...and sells: anonymously always,
            agent.sales.identify("anon", None)
            agent.sales.price("anon", [line("ARROZ", price="24.90")])
            assert agent.sales.finalise("anon")["sale_id"]
            # with loyalty where what it reads is sound, never with a wrong member.
            for m in (1, 2, 3):
                try:
                    answer = agent.sales.identify(f"s{m}", card(m))
                except (CacheDamaged, MemberNotFound):
                    continue
                assert answer["member"]["id"] == f"M{m}"
            assert agent.sales.loyalty_status()["available"] is (agent.cache_health.damaged is None)
            # The server is reachable: the next sync finds the damage and rebuilds.
            run_round(agent)
            assert agent.cache_health.damaged is None
            assert agent.sales.loyalty_status()["available"] is True
            for m in (1, 2, 3):
                assert agent.sales.identify(f"t{m}", card(m))["member"]["id"] == f"M{m}"
            assert agent.rules.rule_count == 2
            if agent.cache_health.rebuilds or agent.cache_rebuilt:
                kept = list(home.glob("cache.sqlite3.damaged-*")) + list(
                    home.glob("cache.sqlite3.corrupt-*")
                )
                assert kept, f"no copy of the damaged cache kept ({table})"
        finally:
            agent.close()
