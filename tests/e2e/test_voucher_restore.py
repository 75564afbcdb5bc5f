"""e2e: a full refund at the till gives a single-use voucher back, at the till and the server.

GIVEN an agent and a real server process on loopback, and a single-use R$ 10 voucher
WHEN a sale uses it, syncs, and is then fully refunded at the till
THEN the till takes the voucher again at once (offline), the server marks the use restored,
its feed re-sends the voucher with no accepted sale, and a new use stands with no conflict.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from loyalty.rewards import VoucherRefused, make_voucher_code
from server.db import new_session
from server.models import Voucher, VoucherConflict, VoucherUseRow
from server.services.uow import SqlUnitOfWork
from server.services.vouchers import add_voucher
from tests.agent.sale.world import line, live_server, seed_server
from tests.e2e.test_agent_sync import register, wait_for

CODE = make_voucher_code(b"\x07" * 8)


def test_a_full_refund_gives_the_voucher_back_end_to_end(tmp_path: Path) -> None:
    with live_server(tmp_path / "server.db") as srv:
        seed_server(srv.app)
        now = dt.datetime.now(dt.UTC)
        add_voucher(
            SqlUnitOfWork.for_app(srv.app),
            "V1",
            CODE,
            amount=Decimal("10.00"),
            valid_from=now - dt.timedelta(days=1),
            valid_until=now + dt.timedelta(days=30),
        )
        agent = register(tmp_path, srv.url, srv.app)
        agent.start()
        try:

            def accepted() -> list[str] | None:
                found = agent.lookups.voucher_by_code(CODE)
                return None if found is None else found[1]

            def server_accepted() -> list[str]:
                with new_session(srv.app) as s:
                    return list(s.get_one(Voucher, "V1").accepted_sale_ids)

            wait_for(lambda: accepted() == [])
            agent.sales.price("p1", [line("A", price="25.00")])
            agent.sales.apply_voucher("p1", CODE)
            sale_id = agent.sales.finalise("p1")["sale_id"]
            wait_for(lambda: accepted() == [sale_id])  # pushed, settled, pulled back
            agent.sales.price("p2", [line("A", price="25.00")])
            with pytest.raises(VoucherRefused):
                agent.sales.apply_voucher("p2", CODE)

            assert agent.sales.refund("r1", "p1", "15.00")["vouchers_restored"] == ["V1"]
            # The till takes it again before the server has heard of the refund.
            assert agent.sales.apply_voucher("p2", CODE)["total"] == "15.00"
            wait_for(lambda: agent.status()["queue"]["depth"] == 0)
            assert server_accepted() == []
            wait_for(lambda: accepted() == [])  # the feed re-sent the voucher
            with new_session(srv.app) as s:
                [use] = s.scalars(select(VoucherUseRow)).all()
                assert use.sale_id == sale_id
                assert use.restored_at is not None

            second = agent.sales.finalise("p2")["sale_id"]
            wait_for(lambda: agent.status()["queue"]["depth"] == 0)
            assert server_accepted() == [second]
            with new_session(srv.app) as s:
                assert s.scalars(select(VoucherConflict)).all() == []
        finally:
            agent.close()
