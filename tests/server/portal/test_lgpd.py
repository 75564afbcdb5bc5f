"""LGPD: the data export holds everything about the member; deletion anonymises, blocks the
card, keeps ledger amounts, and the agents see it at their next sync."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from flask import Flask
from sqlalchemy import func, select

from server.db import new_session
from server.models import (
    AuditLog,
    Card,
    CardStatus,
    LedgerEntryRow,
    Member,
    MemberOffer,
    Sale,
    Voucher,
)
from server.models.portal import ConsentRecord, PasswordResetToken, PortalAccount
from server.services.offers import activate_offer, add_offer
from server.services.uow import SqlUnitOfWork
from server.services.vouchers import add_voucher

from ..conftest import Till, points_campaign, register_till
from .conftest import T0, VALID_CPF, Shopper, csrf_of

CPF_DIGITS = "39053344705"


def _setup(app: Flask, shopper: Shopper) -> tuple[str, Till]:
    shopper.join(phone="11912345678", consent_sms="y")
    with app.app_context(), new_session() as s:
        member_id = s.scalars(select(Member.id)).one()
    points_campaign(app)
    till = register_till(app, app.test_client(), "LOJA-01")
    sale = till.sale(member_id, ["30.00", "12.50"], points="42", at=T0 - dt.timedelta(days=2))
    assert till.push([sale])["applied"]
    add_offer(
        SqlUnitOfWork.for_app(app),
        "o1",
        member_id,
        "Café por R$ 14,99",
        {"id": "o1", "kind": "member_price", "name": "Seu preço", "sku": "789", "price": "14.99"},
        requires_activation=True,
    )
    activate_offer(SqlUnitOfWork.for_app(app), "o1", "portal")
    add_voucher(
        SqlUnitOfWork.for_app(app),
        "v1",
        "BEMVINDO10",
        amount=Decimal("10.00"),
        valid_from=T0 - dt.timedelta(days=1),
        valid_until=T0 + dt.timedelta(days=30),
        member_id=member_id,
    )
    return member_id, till


def test_export_holds_everything_about_the_member(app: Flask, shopper: Shopper) -> None:
    member_id, _ = _setup(app, shopper)
    r = shopper.client.get("/portal/privacy/export.json")
    assert r.status_code == 200
    assert "attachment" in r.headers["Content-Disposition"]
    data = json.loads(r.get_data(as_text=True))
    m = data["member"]
    assert (m["id"], m["name"], m["cpf"], m["email"], m["phone"], m["birth_date"]) == (
        member_id,
        "Ana Souza",
        CPF_DIGITS,
        "ana@example.com",
        "+5511912345678",
        "1990-05-17",
    )
    assert data["account"]["login_email"] == "ana@example.com"
    assert data["consents"]["current"] == {
        "terms": True,
        "marketing_email": False,
        "marketing_sms": True,
    }
    assert [c["purpose"] for c in data["consents"]["history"]] == [
        "terms",
        "marketing_email",
        "marketing_sms",
    ]
    assert [c["status"] for c in data["cards"]] == ["active"]
    assert data["balances"]["points"]["available"] == "42"
    assert [(e["kind"], e["amount"], e["rule_id"]) for e in data["ledger"]] == [
        ("earn", "42", "R1")
    ]
    assert [(x["total"], len(x["lines"])) for x in data["sales"]] == [("42.50", 2)]
    assert [(v["code"], v["status"]) for v in data["vouchers"]] == [("BEMVINDO10", "valid")]
    assert [(o["id"], o["activation_channel"]) for o in data["offers"]] == [("o1", "portal")]
    assert data["raffle_numbers"] == {}
    assert len(data["sessions"]) == 1
    assert "id_hash" not in data["sessions"][0]
    assert "password_hash" not in r.get_data(as_text=True)
    assert "$argon2" not in r.get_data(as_text=True)


def test_export_needs_a_session(app: Flask) -> None:
    r = app.test_client().get("/portal/privacy/export.json")
    assert r.status_code == 302
    assert "/portal/signin" in r.headers["Location"]


def test_deletion_anonymises_blocks_the_card_and_keeps_the_ledger(
    app: Flask, shopper: Shopper
) -> None:
    member_id, till = _setup(app, shopper)
    from server.models import MemberSegment

    with app.app_context(), new_session() as s, s.begin():
        s.add(
            MemberSegment(
                member_id=member_id, recency_days=1, frequency=3, monetary=Decimal("90.00"),
                contribution=Decimal("20.00"), r_score=5, f_score=3, m_score=3,
                rfm_segment="loyal", value_class="intermediate",
                computed_at=dt.datetime.now(dt.UTC),
            )
        )  # fmt: skip
        m = s.get_one(Member, member_id)
        m.tier, m.tier_reviewed_at = "gold", dt.datetime.now(dt.UTC)  # profiling, like segments
    _, cursor = till.pull_all()
    r = shopper.post_form(
        "/portal/privacy",
        {"password": "correct horse 1", "confirm": "y"},
        action="/portal/privacy/delete",
    )
    assert r.status_code == 200
    assert "Conta excluída" in r.get_data(as_text=True)
    assert r.headers["Clear-Site-Data"] == '"cache", "storage"'
    with app.app_context(), new_session() as s:
        m = s.get_one(Member, member_id)
        assert (m.name, m.cpf_encrypted, m.cpf_hash, m.phone, m.email, m.birth_date) == (
            "anonimizado",
            None,
            None,
            None,
            None,
            None,
        )
        assert not m.active
        assert (m.tier, m.tier_reviewed_at) == (None, None)
        assert not m.consent_terms
        assert not m.consent_marketing
        assert [c.status for c in s.scalars(select(Card))] == [CardStatus.BLOCKED]
        assert s.scalar(select(func.sum(LedgerEntryRow.amount))) == Decimal("42.00")
        assert s.scalars(select(Sale.member_id)).one() == member_id  # the sale stays, now anonymous
        account = s.get_one(PortalAccount, member_id)
        assert (account.login_email, account.password_hash) == (
            None,
            None,
        )
        assert account.deleted_at is not None
        last = {
            c.purpose: (c.granted, c.channel)
            for c in s.scalars(select(ConsentRecord).order_by(ConsentRecord.id))
        }
        # Consents in force are withdrawn; e-mail offers were never given, so no new record.
        assert last == {
            "terms": (False, "deletion"),
            "marketing_email": (False, "portal"),
            "marketing_sms": (False, "deletion"),
        }
        assert not s.get_one(MemberOffer, "o1").active
        assert s.get_one(Voucher, "v1").void
        assert s.scalar(select(func.count()).select_from(PasswordResetToken)) == 0
        assert s.scalars(select(AuditLog.action).where(AuditLog.action == "portal.delete")).one()
    # The agents pull the anonymised member, the blocked card and the ended offer and voucher.
    changes, _ = till.pull_all(cursor)
    by_type = {c["type"]: c for c in changes}
    assert by_type["member"]["data"] == {
        "id": member_id,
        "name": "anonimizado",
        "cpf_hash": None,
        "birth_date": None,
        "active": False,
        "consent_marketing": False,
        "segments": [],
        "tier": None,
    }
    assert by_type["card"]["data"]["status"] == "blocked"
    assert by_type["offer"]["data"]["active"] is False
    assert by_type["voucher"]["data"]["void"] is True
    dump = json.dumps(changes)
    assert "Ana" not in dump
    assert "ana@example.com" not in dump
    # The session is over and the account cannot sign in again.
    assert shopper.client.get("/portal/").status_code == 302
    for identifier in ("ana@example.com", VALID_CPF):
        assert Shopper(app.test_client()).sign_in(identifier).status_code == 401


def test_the_same_cpf_can_join_again_after_deletion(app: Flask, shopper: Shopper) -> None:
    member_id, _ = _setup(app, shopper)
    shopper.post_form(
        "/portal/privacy",
        {"password": "correct horse 1", "confirm": "y"},
        action="/portal/privacy/delete",
    )
    again = Shopper(app.test_client())
    assert again.join().status_code == 302
    with app.app_context(), new_session() as s:
        new_id = s.scalars(select(Member.id).where(Member.active.is_(True))).one()
    assert new_id != member_id


def test_deletion_needs_the_password_and_the_tick(app: Flask, shopper: Shopper) -> None:
    member_id, _ = _setup(app, shopper)
    r = shopper.post_form(
        "/portal/privacy", {"password": "wrong", "confirm": "y"}, action="/portal/privacy/delete"
    )
    assert r.status_code == 400
    assert "a senha não confere" in r.get_data(as_text=True)
    r = shopper.post_form(
        "/portal/privacy", {"password": "correct horse 1"}, action="/portal/privacy/delete"
    )
    assert r.status_code == 400
    assert "Marque a caixa" in r.get_data(as_text=True)
    with app.app_context(), new_session() as s:
        assert s.get_one(Member, member_id).active
    assert shopper.client.get("/portal/").status_code == 200
    assert csrf_of(shopper.client.get("/portal/privacy"))
