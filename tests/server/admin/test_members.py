"""Members: search (CPF exact through the keyed hash, with or without punctuation), the member
page, manual adjustments as ``adjust`` ledger entries that agents pull, card block/replace."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from loyalty.identification import card_number
from server.clock import now as utcnow
from server.db import get_engine, new_session
from server.migrate import upgrade
from server.models import AuditLog, Card, CardStatus, LedgerEntryRow
from server.services.adjustments import adjust, parse_adjustment, record_adjustment
from server.services.members import MemberError, add_member
from server.services.uow import SqlUnitOfWork

from ..conftest import create_pg_database, drop_pg_database, points_campaign, register_till
from .conftest import Office, add_admin, add_store, build_app

CPF = "390.533.447-05"
CARD = card_number(42)


def _members(app: Flask) -> None:
    cipher = app.extensions["tillclub.cpf"]
    add_member(
        SqlUnitOfWork.for_app(app), cipher, "m1", "Maria da Silva", cpf=CPF, card_number=CARD
    )
    add_member(SqlUnitOfWork.for_app(app), cipher, "m2", "Mario Souza", cpf="111.444.777-35")
    with new_session(app) as s, s.begin():
        from server.models import Member

        m = s.get_one(Member, "m2")
        m.email, m.phone = "mario@example.com", "+55 11 98765-4321"


def test_search_by_cpf_is_exact_with_or_without_punctuation(app: Flask, office: Office) -> None:
    _members(app)
    for typed in (CPF, "39053344705", " 390.533.44705 "):
        page = office.get("/admin/members", query_string={"q": typed}).get_data(as_text=True)
        assert "Maria da Silva" in page, typed
        assert "Mario Souza" not in page, typed
        assert "39053344705" not in page
        assert "390.533.447-05" not in page
    page = office.get("/admin/members", query_string={"q": "390.533.447-04"})
    assert page.status_code == 400
    assert "not a valid CPF" in page.get_data(as_text=True)


def test_search_by_name_card_phone_email(app: Flask, office: Office) -> None:
    _members(app)

    def found(q: str) -> str:
        return office.get("/admin/members", query_string={"q": q}).get_data(as_text=True)

    assert "Maria da Silva" in found("maria")
    assert "Mario Souza" not in found("maria")
    assert "Maria da Silva" in found(CARD)
    assert "Mario Souza" in found("98765-4321")
    assert "Mario Souza" in found("MARIO@example.com")
    assert "0 member(s)" in found("zzz")


def test_search_is_paged(app: Flask, office: Office) -> None:
    app.config["ADMIN_PAGE_SIZE"] = 2
    cipher = app.extensions["tillclub.cpf"]
    for i in range(5):
        add_member(SqlUnitOfWork.for_app(app), cipher, f"p{i}", f"Paula {i}")
    first = office.get("/admin/members", query_string={"q": "paula"}).get_data(as_text=True)
    third = office.get("/admin/members", query_string={"q": "paula", "page": 3}).get_data(
        as_text=True
    )
    assert "Paula 0" in first
    assert "Paula 2" not in first
    assert "Page 1 of 3" in first
    assert "Paula 4" in third
    assert "Paula 0" not in third


def test_member_page_shows_balances_ledger_origin_sales_and_masked_cpf(
    app: Flask, client: FlaskClient, office: Office
) -> None:
    _members(app)
    points_campaign(app)
    till = register_till(app, client)
    till.push([till.sale("m1", ["10.00", "5.50"], points="15")])
    page = office.get("/admin/members/m1").get_data(as_text=True)
    assert "***.533.447-**" in page
    assert "39053344705" not in page
    assert 'id="points-available">15<' in page
    assert "rule R1" in page
    assert f"store {till.store_id}" in page
    assert "R$15.50" in page or "R$ 15,50" in page


def test_adjustment_is_a_ledger_entry_with_a_server_id_audited_and_pulled_by_agents(
    app: Flask, client: FlaskClient, office: Office
) -> None:
    _members(app)
    till = register_till(app, client)
    _, cursor = till.pull_all()
    r = office.post(
        "/admin/members/m1/adjust",
        {"currency": "points", "amount": "250", "reason": "Goodwill: broken till"},
        from_page="/admin/members/m1",
    )
    assert r.status_code == 302
    r = office.post(
        "/admin/members/m1/adjust",
        {"currency": "cashback", "amount": "12,50", "reason": "Refund of overcharge"},
        from_page="/admin/members/m1",
    )
    assert r.status_code == 302
    with new_session(app) as s:
        rows = s.scalars(select(LedgerEntryRow).order_by(LedgerEntryRow.entry_id)).all()
        assert [(r.entry_id, r.kind, r.amount) for r in rows] == [
            ("E:HQ:WEB:000000000001", "adjust", Decimal("250.00")),
            ("E:HQ:WEB:000000000002", "adjust", Decimal("12.50")),
        ]
        audit_rows = s.scalars(select(AuditLog).where(AuditLog.action == "member.adjust")).all()
        assert audit_rows[0].actor_id == "ana@hq.example"
        assert audit_rows[0].detail["before"]["available"] == "0"
        assert audit_rows[0].detail["after"]["available"] == "250"
        assert audit_rows[0].detail["reason"] == "Goodwill: broken till"
    changes, _ = till.pull_all(cursor)
    pulled = [c for c in changes if c["type"] == "ledger_entry"]
    assert [c["data"]["amount"] for c in pulled] == ["250", "12.50"]
    assert 'id="points-available">250<' in office.get("/admin/members/m1").get_data(as_text=True)


def test_adjustment_needs_a_reason_and_a_valid_amount_and_writes_nothing_otherwise(
    app: Flask, office: Office
) -> None:
    _members(app)
    for data, message in [
        ({"currency": "points", "amount": "10", "reason": ""}, "This field is required."),
        (
            {"currency": "points", "amount": "1.5", "reason": "a good reason"},
            "Points are whole numbers",
        ),
        (
            {"currency": "points", "amount": "abc", "reason": "a good reason"},
            "Not an amount of money",
        ),
        (
            {"currency": "cashback", "amount": "1e400", "reason": "a good reason"},
            "Not an amount of money",
        ),
        (
            {"currency": "cashback", "amount": "99.999.999,00", "reason": "a good reason"},
            "The amount must be between",
        ),
        ({"currency": "points", "amount": "-5", "reason": "a good reason"}, "negative balance"),
        (
            {"currency": "cashback", "amount": "1.2345", "reason": "a good reason"},
            "Not an amount of money",
        ),
    ]:
        r = office.post("/admin/members/m1/adjust", data, from_page="/admin/members/m1")
        html = r.get_data(as_text=True)
        assert r.status_code == 400, data
        assert message in html, (data, html[-3000:])
        assert 'aria-invalid="true"' in html
    with new_session(app) as s:
        assert s.scalars(select(LedgerEntryRow)).all() == []
        assert s.scalars(select(AuditLog).where(AuditLog.action == "member.adjust")).all() == []


def test_parse_adjustment_accepts_decimal_comma() -> None:
    assert parse_adjustment("cashback", "-1.234,50")[1] == Decimal("-1234.50")
    assert parse_adjustment("points", " 300 ")[1] == Decimal(300)
    with pytest.raises(MemberError) as caught:
        parse_adjustment("points", "0")
    assert caught.value.field == "amount"


def test_adjust_service_takes_ids_in_sequence(app: Flask) -> None:
    _members(app)
    uow = SqlUnitOfWork.for_app(app)
    with uow:
        a = record_adjustment(uow, "m1", "points", "10", "first one", actor="t", now=utcnow())
        b = record_adjustment(uow, "m1", "points", "-4", "second one", actor="t", now=utcnow())
        uow.commit()
    assert (a.entry_id, b.entry_id) == ("E:HQ:WEB:000000000001", "E:HQ:WEB:000000000002")


def test_block_and_replace_card(app: Flask, client: FlaskClient, office: Office) -> None:
    _members(app)
    till = register_till(app, client)
    _, cursor = till.pull_all()
    new = card_number(43)
    r = office.post(
        f"/admin/members/m1/cards/{CARD}/replace",
        {"new_number": "2900000000000"},
        from_page="/admin/members/m1",
    )
    assert r.status_code == 400
    assert "not a card number" in r.get_data(as_text=True)
    r = office.post(
        f"/admin/members/m1/cards/{CARD}/replace",
        {"new_number": new},
        from_page="/admin/members/m1",
    )
    assert r.status_code == 302
    r = office.post(f"/admin/members/m1/cards/{new}/block", from_page="/admin/members/m1")
    assert r.status_code == 302
    with new_session(app) as s:
        old, fresh = s.get_one(Card, CARD), s.get_one(Card, new)
        assert (old.status, old.replaced_by, fresh.status) == (
            CardStatus.REPLACED,
            new,
            CardStatus.BLOCKED,
        )
        details = [
            a.detail for a in s.scalars(select(AuditLog).where(AuditLog.action.like("card.%")))
        ]
        assert all(CARD not in str(d) and new not in str(d) for d in details)  # masked
    changes, _ = till.pull_all(cursor)
    cards = {c["id"]: c["data"]["status"] for c in changes if c["type"] == "card"}
    assert cards == {CARD: "replaced", new: "blocked"}


def test_store_manager_sees_only_members_of_their_stores(app: Flask, client: FlaskClient) -> None:
    _members(app)
    add_store(app, "LOJA-02")
    points_campaign(app)
    till = register_till(app, client, "LOJA-01")
    till.push([till.sale("m1", ["10.00"], points="10")])
    add_admin(app, "ger2@hq.example", "store_manager", ("LOJA-02",))
    add_admin(app, "ger1@hq.example", "store_manager", ("LOJA-01",))
    g2, g1 = Office(app.test_client()), Office(app.test_client())
    g2.login("ger2@hq.example")
    g1.login("ger1@hq.example")
    assert g2.get("/admin/members/m1").status_code == 403
    assert "Maria" not in g2.get("/admin/members", query_string={"q": "maria"}).get_data(
        as_text=True
    )
    assert g1.get("/admin/members/m1").status_code == 200
    assert (
        g1.post(
            "/admin/members/m1/adjust",
            {"currency": "points", "amount": "5", "reason": "not allowed"},
        ).status_code
        == 403
    )


def test_member_page_shows_the_tier_the_spend_earns(
    app: Flask, client: FlaskClient, office: Office
) -> None:
    _members(app)
    assert "No tier ladder configured." in office.get("/admin/members/m1").get_data(as_text=True)
    with new_session(app) as s, s.begin():
        from server.models import ChainSetting

        ladder = {
            "window_months": 12,
            "tiers": [
                {"name": "classic", "threshold": "0"},
                {"name": "gold", "threshold": "100.00"},
            ],
        }
        s.add(ChainSetting(key="tiers", value=ladder, updated_at=utcnow()))
    till = register_till(app, client)
    till.push([till.sale("m1", ["60.00"], at=utcnow())])
    page = office.get("/admin/members/m1").get_data(as_text=True)
    assert 'id="tier">classic<' in page
    assert "R$40.00 to gold" in page
    till.push([till.sale("m1", ["45.00"], at=utcnow())])
    page = office.get("/admin/members/m1").get_data(as_text=True)
    assert 'id="tier">gold<' in page  # what the spend earns now ...
    # Issue 17: the upgrade is immediate at ingest (it was "none until the job ran"); the
    # first full review is still the nightly job's.
    assert 'id="tier-stored">gold<' in page
    assert "not reviewed yet" in page
    from server.services.tiers import review_tiers

    review_tiers(SqlUnitOfWork.for_app(app), utcnow())
    page = office.get("/admin/members/m1").get_data(as_text=True)
    assert 'id="tier-stored">gold<' in page
    assert "reviewed " in page


@pytest.fixture
def pg_app() -> Iterator[Flask]:
    """PostgreSQL only: the race below needs two real connections and row locks."""
    name, url = create_pg_database("tc_admin_race")
    try:
        upgrade(url)
        app = build_app(url)
        yield app
        get_engine(app).dispose()
    finally:
        drop_pg_database(name)


@pytest.mark.postgres
def test_concurrent_removals_cannot_overdraw(pg_app: Flask) -> None:
    """GIVEN 100 points WHEN two head-office users remove 60 at the same moment THEN the second
    waits for the first (the id counter's row lock) and is refused on the fresh balance."""
    import threading

    _members(pg_app)
    adjust(
        SqlUnitOfWork.for_app(pg_app), "m1", "points", "100", "opening balance", actor="t",
        now=utcnow(),
    )  # fmt: skip
    first = SqlUnitOfWork.for_app(pg_app)
    first.__enter__()
    record_adjustment(first, "m1", "points", "-60", "first removal", actor="a", now=utcnow())
    outcome: list[str] = []

    def second() -> None:
        try:
            adjust(
                SqlUnitOfWork.for_app(pg_app), "m1", "points", "-60", "second removal",
                actor="b", now=utcnow(),
            )  # fmt: skip
            outcome.append("applied")
        except MemberError as exc:
            outcome.append(exc.message)

    worker = threading.Thread(target=second)
    worker.start()
    worker.join(1.0)
    assert worker.is_alive()  # blocked on the counter row
    first.commit()
    first.__exit__(None, None, None)
    worker.join(10)
    assert outcome == [
        "This would leave a negative balance: available {available}, adjustment {amount}."
    ]
