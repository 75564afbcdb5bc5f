"""The shift report: one store day's club figures at this till, from the journal alone.

Seeded world (conftest): M1 with 5000 points; 1 point per R$ 1; club price R$ 21,90 on ARROZ;
a R$ 10 voucher (minimum R$ 20). The clock is the test's; the store is in São Paulo (UTC-3).
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from click.testing import CliRunner

from agent.cli_commands import shift_report_command
from agent.service import Agent
from loyalty.identification import card_number
from tests.agent.sale.conftest import VOUCHER
from tests.agent.sale.world import T0, Clock, line


def test_the_day_in_the_stores_time_zone_and_nothing_else(agent: Agent, clock: Clock) -> None:
    clock.at = T0 - timedelta(days=1)  # yesterday: not in today's report
    agent.sales.identify("y1", card_number(1))
    agent.sales.price("y1", [line("A", price="30.00")])
    agent.sales.finalise("y1")

    clock.at = T0  # 12:00 in São Paulo
    agent.sales.price("v1", [line("A", price="25.00")])
    agent.sales.apply_voucher("v1", VOUCHER)
    agent.sales.finalise("v1")
    agent.sales.identify("m1", card_number(1))
    agent.sales.price("m1", [line("A", price="100.00")])
    agent.sales.apply_points("m1", 2000)
    big = agent.sales.finalise("m1")
    agent.sales.identify("m2", card_number(1))
    agent.sales.price("m2", [line("ARROZ", price="24.90")])
    rice = agent.sales.finalise("m2")
    agent.sales.refund("r1", "m1", "50.00")

    clock.at = T0 + timedelta(hours=11)  # 23:00 in São Paulo, 02:00 UTC the next day
    agent.sales.price("late", [line("A", price="10.00")])
    agent.sales.finalise("late")
    clock.at = T0 + timedelta(hours=13)  # 01:00 the next day in São Paulo
    agent.sales.price("next", [line("A", price="7.00")])
    agent.sales.finalise("next")

    report = agent.shift_report(T0.date().isoformat())
    assert report["day"] == "2026-03-04"
    assert report["sales"] == 4
    assert report["member_sales"] == 2
    assert report["sold"] == "146.90"  # 15.00 + 100.00 + 21.90 + 10.00
    assert report["discounts"] == "13.00"  # the voucher's 10.00 and the club price's 3.00
    assert report["vouchers_used"] == 1
    assert report["voucher_discounts"] == "10.00"
    assert report["points_redeemed"] == 2000
    assert report["points_redeemed_value"] == "20.00"
    assert report["points_earned"] == big["points_earned"] + rice["points_earned"] > 0
    assert report["refunds"] == 1
    assert report["refunded"] == "50.00"
    # Half the sale back: half the 2000 redeemed points return, half the 100 earned go.
    assert report["points_reversed"] == 1000 - big["points_earned"] // 2
    assert set(report["by_rule"]) == {"R$ 10 off", "Preço Clube"}

    assert agent.shift_report("2026-03-05")["sales"] == 1  # the 01:00 sale
    assert agent.shift_report("2026-03-03")["sales"] == 1


def test_the_command_prints_the_report_in_portuguese(agent: Agent, clock: Clock) -> None:
    clock.at = T0
    agent.sales.identify("m1", card_number(1))
    agent.sales.price("m1", [line("ARROZ", price="24.90")])
    agent.sales.finalise("m1")
    config = str(agent.config.storage.journal_path.parent / "agent.toml")
    text = CliRunner().invoke(shift_report_command, ["--config", config, "--day", "2026-03-04"])
    assert text.exit_code == 0, text.output
    assert "Vendas: 1 (1 com cliente do clube, 100%)" in text.output
    assert "Preço Clube: R$ 3,00" in text.output
    as_json = CliRunner().invoke(
        shift_report_command, ["--config", config, "--day", "2026-03-04", "--json"]
    )
    assert json.loads(as_json.output)["sold"] == "21.90"
    empty = CliRunner().invoke(shift_report_command, ["--config", config, "--day", "2026-01-01"])
    assert "Vendas: 0 (0 com cliente do clube, -)" in empty.output
    assert date.fromisoformat("2026-03-04")  # the --day format the command documents


def test_the_local_api_serves_the_report(agent: Agent, clock: Clock) -> None:
    import urllib.error
    import urllib.request

    from agent.service import serve_status

    clock.at = T0
    agent.sales.price("a1", [line("A", price="12.00")])
    agent.sales.finalise("a1")
    api = serve_status(agent, 0)
    base = f"http://127.0.0.1:{api.server_address[1]}"
    try:
        with urllib.request.urlopen(f"{base}/shift?day=2026-03-04", timeout=5) as r:
            assert json.loads(r.read())["sold"] == "12.00"
        with urllib.request.urlopen(f"{base}/shift", timeout=5) as r:  # today, by the clock
            assert json.loads(r.read())["day"] == "2026-03-04"
        with pytest.raises(urllib.error.HTTPError) as bad:
            urllib.request.urlopen(f"{base}/shift?day=ontem", timeout=5)
        assert bad.value.code == 400
        assert "YYYY-MM-DD" in json.loads(bad.value.read())["error"]
        bad.value.close()
    finally:
        api.shutdown()
        api.server_close()
