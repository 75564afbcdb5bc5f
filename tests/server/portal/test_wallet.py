"""Balances, statement, vouchers and raffles as the shopper sees them, from ledger rows pushed
by a real (HTTP API) till."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask import Flask
from sqlalchemy import select

from server.db import new_session
from server.models import Member
from server.services.campaign_publish import put_campaign
from server.services.raffles import add_raffle
from server.services.uow import SqlUnitOfWork
from server.services.vouchers import add_voucher

from ..conftest import push_approved, register_till
from .conftest import T0, Shopper


def _iso(at: dt.datetime) -> str:
    return at.isoformat()


def _member_id(app: Flask) -> str:
    with app.app_context(), new_session() as s:
        return s.scalars(select(Member.id)).one()


def test_balances_and_statement_worked_example(app: Flask, shopper: Shopper) -> None:
    """A sale earned 120 points (expiring in 20 days) and 50 (in 200 days); 20 were redeemed
    from the first lot; cashback R$ 2,50 is available and R$ 5,00 matures in 30 days.

    =========  =========  =======  =================
    currency   available  pending  expiring in 30 d
    =========  =========  =======  =================
    points     150        0        100 (120 - 20)
    cashback   R$ 2,50    R$ 5,00  R$ 0,00
    =========  =========  =======  =================
    """
    shopper.join()
    member_id = _member_id(app)
    put_campaign(
        SqlUnitOfWork.for_app(app),
        "base",
        "Base",
        {
            "rules": [
                {
                    "id": "pontos",
                    "kind": "points",
                    "name": "1 ponto por real",
                    "per_amount": "1.00",
                    "points": 1,
                },
                {"id": "cb-2", "kind": "cashback", "name": "Cashback 2%", "percent": "2"},
            ]
        },
    )
    till = register_till(app, app.test_client(), "LOJA-01")
    sale = till.sale(member_id, ["120.00"], at=T0 - dt.timedelta(days=1))
    lot1 = till.entry(
        member_id,
        "120",
        rule_id="pontos",
        sale_id=sale["sale_id"],
        effective_at=T0 - dt.timedelta(days=1),
        expires_at=_iso(T0 + dt.timedelta(days=20)),
    )
    lot2 = till.entry(
        member_id,
        "50",
        rule_id="pontos",
        sale_id=sale["sale_id"],
        effective_at=T0 - dt.timedelta(days=1),
        expires_at=_iso(T0 + dt.timedelta(days=200)),
    )
    cb_ready = till.entry(
        member_id,
        "2.50",
        currency="cashback",
        rule_id="cb-2",
        sale_id=sale["sale_id"],
        effective_at=T0 - dt.timedelta(days=40),
        available_at=_iso(T0 - dt.timedelta(days=1)),
    )
    cb_later = till.entry(
        member_id,
        "5.00",
        currency="cashback",
        rule_id="cb-2",
        sale_id=sale["sale_id"],
        effective_at=T0 - dt.timedelta(days=1),
        available_at=_iso(T0 + dt.timedelta(days=30)),
    )
    sale["ledger_entries"] = [lot1, lot2, cb_ready, cb_later]
    redeem = till.header("ledger_entry", T0 - dt.timedelta(hours=1)) | {
        "entry": till.entry(
            member_id,
            "-20",
            kind="redeem",
            reverses=lot1["entry_id"],
            effective_at=T0 - dt.timedelta(hours=1),
        )
    }
    result = push_approved(till, [sale, redeem])
    assert len(result["applied"]) == 2, result

    page = shopper.client.get("/portal/statement").get_data(as_text=True)
    for element, value in (
        ("points-available", "150"),
        ("points-pending", "0"),
        ("points-expiring", "100"),
        ("cashback-available", "R$ 2,50"),
        ("cashback-pending", "R$ 5,00"),
        ("cashback-expiring", "R$ 0,00"),
    ):
        assert f'id="{element}">{value}<' in page, element
    # Each entry names its store, its date and the rule that gave it.
    assert page.count("Store LOJA-01") == 5
    assert page.count("1 ponto por real") == 2
    assert page.count("Cashback 2%") == 2
    assert "01/03/2026" in page
    assert "Resgate" in page
    assert "-20 pts" in page
    assert "disponível a partir de 01/04/2026" in page
    # What expires within the notice window (30 days), with its date (issue 17).
    assert "A vencer" in page
    assert "100 pontos expira em 22/03/2026" in page
    assert "50 pontos" not in page  # day 200: beyond the window
    en = shopper.client.get("/portal/statement?lang=en").get_data(as_text=True)
    assert "Points available" in en
    assert "2026-03-01" in en
    assert "100 points expire on 2026-03-22" in en
    home = shopper.client.get("/portal/?lang=pt-BR").get_data(as_text=True)
    assert "100 pontos expira em 22/03/2026" in home


def test_vouchers_and_raffles(app: Flask, shopper: Shopper) -> None:
    shopper.join()
    member_id = _member_id(app)
    uow = SqlUnitOfWork.for_app
    add_voucher(
        uow(app),
        "v1",
        "BEMVINDO10",
        amount=Decimal("10.00"),
        valid_from=T0 - dt.timedelta(days=1),
        valid_until=T0 + dt.timedelta(days=30),
        member_id=member_id,
        name="Boas-vindas",
    )
    add_voucher(
        uow(app),
        "v2",
        "VELHO5",
        amount=Decimal("5.00"),
        valid_from=T0 - dt.timedelta(days=60),
        valid_until=T0 - dt.timedelta(days=1),
        member_id=member_id,
        name="Antigo",
    )
    add_voucher(
        uow(app),
        "v3",
        "DEOUTRO",
        amount=Decimal("5.00"),
        valid_from=T0,
        valid_until=T0 + dt.timedelta(days=1),
        name="De outra pessoa",
    )
    add_raffle(
        uow(app),
        "verao",
        "Verão Premiado",
        "SEAE/ME 04.000123/2026",
        Decimal("100.00"),
        T0 - dt.timedelta(days=10),
        T0 + dt.timedelta(days=50),
    )
    page = shopper.client.get("/portal/rewards").get_data(as_text=True)
    assert "BEMVINDO10" in page
    assert "R$ 10,00" in page
    assert "válido até 01/04/2026" in page
    assert "VELHO5" in page
    assert "vencido" in page
    assert "DEOUTRO" not in page
    assert "Verão Premiado" in page
    assert "SEAE/ME 04.000123/2026" in page
    assert "R$ 100,00" in page
