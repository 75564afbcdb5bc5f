"""Logs never carry a CPF, a card number or the terminal credential (LGPD; a stolen log)."""

from __future__ import annotations

import logging
import time

import pytest

from agent.service import Agent
from loyalty.identification import card_number
from tests.agent.sale.conftest import CPF
from tests.agent.sale.world import line


def test_sale_flow_and_sync_failures_log_no_identifiers(
    agent: Agent, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    agent.sales.identify("p1", CPF)
    agent.sales.identify("p2", card_number(1))
    for bad in (card_number(99), card_number(2), "52998224724"):
        with pytest.raises(ValueError, match="member|membro|cliente|CPF|digit|d.gito|blocked"):
            agent.sales.identify("p3", bad)
    agent.sales.price("p2", [line("A")])
    agent.sales.finalise("p2")
    agent.worker.backoff.cap = 0.05
    agent.start()  # the server URL in the fixture is closed: sync fails and logs it
    deadline = time.monotonic() + 5
    while agent.sync_state.failures < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    agent.stop()
    text = "\n".join(r.getMessage() + str(r.args) for r in caplog.records)
    assert agent.sync_state.failures >= 2
    for secret in (CPF, "529.982.247", card_number(1), card_number(99), "tc1.T0001.x"):
        assert secret not in text
