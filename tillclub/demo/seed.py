"""Fill a fresh server database with the demo chain, through the server's own services."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from decimal import Decimal

from flask import Flask

from loyalty.rewards import make_voucher_code

from .seed_data import (
    STORES,
    DemoMember,
    DemoProduct,
    campaign,
    catalogue,
    members,
    personal_offer,
)

DEMO_RAFFLE = "natal-2026"  # the raffle the demo till numbers tickets for
ADMIN_EMAIL = "admin@demo.tillclub.local"
ADMIN_PASSWORD = "demo-admin-2026"  # a demo database on loopback; never a real one
PORTAL_PASSWORD = "demo-portal-2026"


@dataclass(frozen=True)
class DemoChain:
    products: list[DemoProduct]
    members: list[DemoMember]
    voucher_code: str
    offer_member: DemoMember
    points_member: DemoMember
    portal_member: DemoMember


def seed(app: Flask, now: dt.datetime) -> DemoChain:
    """Stores, the catalogue, 1,000 members with cards, campaigns, a voucher, an offer, points,
    logins."""
    from server.services.adjustments import adjust
    from server.services.admin_accounts import create_admin
    from server.services.campaign_publish import put_campaign
    from server.services.members import add_member
    from server.services.offers import activate_offer, add_offer
    from server.services.products import ProductRow, import_products
    from server.services.raffles import add_raffle
    from server.services.terminals import add_store
    from server.services.uow import SqlUnitOfWork
    from server.services.vouchers import add_voucher

    def uow() -> SqlUnitOfWork:
        return SqlUnitOfWork.for_app(app)

    cipher = app.extensions["tillclub.cpf"]
    products, people = catalogue(), members()
    offer_member, points_member, portal_member = people[6], people[1], people[2]
    for store_id, name in STORES:
        add_store(uow(), store_id, name, timezone=app.config["CHAIN_TIME_ZONE"], actor="demo")
    # The catalogue syncs to the tills: they refuse unknown SKUs and print product names.
    rows = [ProductRow(p.sku, p.name, p.category, p.brand) for p in products]
    import_products(uow(), rows, actor="demo")
    for person in people:
        add_member(
            uow(), cipher, person.member_id, person.name, cpf=person.cpf, card_number=person.card,
            birth_date=dt.date(1980 + person.number % 25, 1 + person.number % 12, 1),
            consent_marketing=person.number % 3 == 0, actor="demo",
        )  # fmt: skip
    doc = campaign(products)
    put_campaign(uow(), "demo-2026", "Campanha demo", doc, [s for s, _ in STORES], actor="demo")
    offer_id = f"oferta-cafe-{offer_member.member_id}"
    add_offer(
        uow(), offer_id, offer_member.member_id, "Café com 30% off só para você",
        personal_offer(products), requires_activation=True, actor="demo",
    )  # fmt: skip
    activate_offer(uow(), offer_id, "portal")
    code = make_voucher_code(secrets.token_bytes(8))
    add_voucher(
        uow(), "demo-voucher-10", code, amount=Decimal("10.00"), valid_from=now - dt.timedelta(1),
        valid_until=now + dt.timedelta(days=30), max_uses=1, min_subtotal=Decimal("50.00"),
        name="Vale R$ 10", actor="demo",
    )  # fmt: skip
    add_raffle(
        uow(), DEMO_RAFFLE, "Números da sorte de Natal", "SPA/MF 04.000123/2026",
        Decimal("50.00"), now - dt.timedelta(days=1), now + dt.timedelta(days=40), actor="demo",
    )  # fmt: skip
    create_admin(uow(), ADMIN_EMAIL, ADMIN_PASSWORD, name="Demo", actor="demo", now=now)
    adjust(
        uow(), points_member.member_id, "points", "2500", "Bônus de boas-vindas da demo",
        actor="demo", now=now,
    )  # fmt: skip
    _portal_account(app, portal_member, now)
    return DemoChain(products, people, code, offer_member, points_member, portal_member)


def _portal_account(app: Flask, member: DemoMember, now: dt.datetime) -> None:
    """The shopper claims their till record online, as a real one would at /portal/join."""
    from server.portal.accounts import CardPlan, SignUp, sign_up
    from server.services.uow import SqlUnitOfWork

    data = SignUp(
        cpf=member.cpf, name=member.name, email=member.email, phone=None,
        birth_date=f"{1980 + member.number % 25}-{1 + member.number % 12:02d}-01",
        password=PORTAL_PASSWORD, password_confirm=PORTAL_PASSWORD, consent_terms=True,
        consent_email=True, consent_sms=False, card_number=member.card,
    )  # fmt: skip
    sign_up(
        SqlUnitOfWork.for_app(app), app.extensions["tillclub.cpf"], data, now=now,
        cards=CardPlan(app.config["CARD_PREFIX"], app.config["PORTAL_CARD_NUMBER_BASE"]),
        terms_version=str(app.config["PORTAL_TERMS_VERSION"]),
        session_hours=int(app.config["PORTAL_SESSION_HOURS"]),
    )  # fmt: skip
