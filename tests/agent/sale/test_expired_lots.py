"""At the till, offline: a lot past its expiry is never spent, and pending cashback is pending,
from the lots in the cache, whether or not the server's expiry job has run.

Cache: M1 with 3000 points that expired yesterday (the server has not written them off yet),
800 points valid for a year, R$ 20,00 cashback pending for ten more days and R$ 5,00 available.
Offline caps are R$ 50,00 per sale, so the caps never decide here: the lots do.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from agent.sale import TenderRefused
from loyalty.identification import card_number
from tests.agent.sale.world import (
    T0,
    Clock,
    card_change,
    earn_change,
    line,
    make_agent,
    member_change,
)

DAY = timedelta(days=1)


def _lot(seq: int, amount: str, currency: str = "points", **dates: Any) -> dict[str, Any]:
    change = earn_change(seq, f"E:LOJA-01:PDV-09:{seq:012d}", "M1", amount, currency)
    change["data"]["effective_at"] = (T0 - 60 * DAY).isoformat()
    change["data"].update({k: v.isoformat() for k, v in dates.items()})
    return change


@pytest.fixture
def changes() -> list[dict[str, Any]]:
    return [
        member_change(1, "M1"),
        card_change(2, card_number(1), "M1"),
        _lot(3, "3000", expires_at=T0 - DAY),
        _lot(4, "800", expires_at=T0 + 365 * DAY),
        _lot(5, "20.00", "cashback", available_at=T0 + 10 * DAY, expires_at=T0 + 100 * DAY),
        _lot(6, "5.00", "cashback", expires_at=T0 + 90 * DAY),
    ]


def test_the_pos_sees_only_the_spendable_balance(tmp_path: Path, changes: list) -> None:  # type: ignore[type-arg]
    agent = make_agent(tmp_path, changes, Clock(T0))
    try:
        shown = agent.sales.identify("p1", card_number(1))["balance"]
        assert shown == {"points": 800, "cashback": "5.00", "cashback_pending": "20.00"}
    finally:
        agent.close()


def test_expired_points_and_pending_cashback_are_refused(tmp_path: Path, changes: list) -> None:  # type: ignore[type-arg]
    agent = make_agent(tmp_path, changes, Clock(T0))
    try:
        agent.sales.identify("p1", card_number(1))
        agent.sales.price("p1", [line("A", price="100.00")])
        with pytest.raises(TenderRefused, match="at most 800 points"):
            agent.sales.apply_points("p1", 801)
        with pytest.raises(TenderRefused, match="5.00"):
            agent.sales.apply_cashback("p1", "5.01")
        agent.sales.apply_points("p1", 800)
        answer = agent.sales.finalise("p1")
        assert answer["balance"]["points"] == 0  # 800 spent (no campaign: no earning); 3000 dead
    finally:
        agent.close()


def test_a_lot_that_expires_while_the_till_is_offline_stops_counting(
    tmp_path: Path,
    changes: list,  # type: ignore[type-arg]
) -> None:
    clock = Clock(T0)
    agent = make_agent(tmp_path, changes, clock)
    try:
        assert agent.sales.identify("p1", card_number(1))["balance"]["points"] == 800
        clock.at = T0 + 366 * DAY  # a year on, no sync: the 800 expired too; the cashback too
        shown = agent.sales.identify("p2", card_number(1))["balance"]
        assert shown == {"points": 0, "cashback": "0.00", "cashback_pending": "0.00"}
        agent.sales.price("p2", [line("A", price="10.00")])
        with pytest.raises(TenderRefused):
            agent.sales.apply_points("p2", 1)
    finally:
        agent.close()


def test_pending_cashback_becomes_spendable_when_it_matures(tmp_path: Path, changes: list) -> None:  # type: ignore[type-arg]
    clock = Clock(T0 + 11 * DAY)
    agent = make_agent(tmp_path, changes, clock)
    try:
        shown = agent.sales.identify("p1", card_number(1))["balance"]
        assert (shown["cashback"], shown["cashback_pending"]) == ("25.00", "0.00")
    finally:
        agent.close()
