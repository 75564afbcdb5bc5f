"""Joining, claiming a till enrolment, signing in, consents and CSRF, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from sqlalchemy import func, select

from loyalty.identification import card_number, parse_card_ean
from server.db import new_session
from server.models import Card, CardStatus, Member
from server.models.portal import ConsentRecord, PortalAccount

from ..conftest import register_till
from .conftest import OTHER_CPF, T0, VALID_CPF, Shopper, csrf_of

CPF_DIGITS = VALID_CPF.replace(".", "").replace("-", "")


def _member(app: Flask, cpf_hash: str | None = None) -> Member:
    with app.app_context(), new_session() as s:
        return (
            s.scalars(select(Member)).one()
            if cpf_hash is None
            else s.scalars(select(Member).where(Member.cpf_hash == cpf_hash)).one()
        )


def _count(app: Flask, model: type) -> int:
    with app.app_context(), new_session() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_join_stores_cpf_encrypted_issues_a_card_and_records_each_consent(
    app: Flask, shopper: Shopper
) -> None:
    r = shopper.join(phone="(11) 91234-5678", consent_email="y")
    assert r.status_code == 302
    assert r.headers["Location"].endswith("/portal/card")
    cipher = app.extensions["tillclub.cpf"]
    with app.app_context(), new_session() as s:
        m = s.scalars(select(Member)).one()
        assert m.cpf_hash == cipher.lookup_hash(VALID_CPF)
        assert CPF_DIGITS.encode() not in (m.cpf_encrypted or b"")
        assert cipher.decrypt(m.cpf_encrypted, m.id) == CPF_DIGITS
        assert (m.name, m.email, m.phone, m.birth_date) == (
            "Ana Souza",
            "ana@example.com",
            "+5511912345678",
            dt.date(1990, 5, 17),
        )
        assert m.consent_terms
        assert m.consent_marketing
        card = s.scalars(select(Card).where(Card.member_id == m.id)).one()
        assert card.status is CardStatus.ACTIVE
        assert card.number == card_number(9_000_000_001, "29")  # first number of the portal range
        assert m.id == "9000000001"  # the QR integer names the member directly
        history = {(c.purpose, c.granted, c.channel) for c in s.scalars(select(ConsentRecord))}
        assert history == {
            ("terms", True, "portal"),
            ("marketing_email", True, "portal"),
            ("marketing_sms", False, "portal"),
        }
        account = s.get_one(PortalAccount, m.id)
        assert account.password_hash.startswith("$argon2id$")
        assert "correct horse" not in account.password_hash


def test_second_join_takes_the_next_card_number(app: Flask, shopper: Shopper) -> None:
    shopper.join()
    other = Shopper(app.test_client())
    assert other.join(cpf=OTHER_CPF, email="bia@example.com").status_code == 302
    with app.app_context(), new_session() as s:
        numbers = sorted(parse_card_ean(n) for n in s.scalars(select(Card.number)))
    assert numbers == [9_000_000_001, 9_000_000_002]


def test_full_cpf_never_appears_in_any_page(app: Flask, shopper: Shopper) -> None:
    shopper.join()
    for path in (
        "/portal/",
        "/portal/card",
        "/portal/privacy",
        "/portal/statement",
        "/portal/offers",
    ):
        body = shopper.client.get(path).get_data(as_text=True)
        assert CPF_DIGITS not in body, path
        assert VALID_CPF not in body, path
    assert "***.533.447-**" in shopper.client.get("/portal/privacy").get_data(as_text=True)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"cpf": "390.533.447-06"}, "o CPF ***.533.447-** não é válido"),
        ({"cpf": "111.111.111-11"}, "o CPF ***.111.111-** não é válido"),
        ({"cpf": "12345"}, "digite os 11 dígitos"),
        ({"consent_terms": None}, "regulamento"),
        ({"email": None}, "e-mail ou um telefone"),
        ({"birth_date": "2015-01-01"}, "maiores de 18"),
        ({"birth_date": "17/05/1990"}, "data inválida"),
        ({"password_confirm": "different 1"}, "senhas são diferentes"),
        ({"password": "short", "password_confirm": "short"}, "pelo menos 8"),
        ({"password": CPF_DIGITS, "password_confirm": CPF_DIGITS}, "não pode ser seu CPF"),
        ({"consent_sms": "y"}, "SMS informe um telefone"),
        ({"phone": "123"}, "telefone inválido"),
    ],
)
def test_bad_sign_up_is_refused_in_pt_br_and_writes_nothing(
    app: Flask, shopper: Shopper, change: dict[str, str | None], message: str
) -> None:
    r = shopper.join(**change)  # type: ignore[arg-type]
    assert r.status_code == 400
    assert message in r.get_data(as_text=True)
    assert _count(app, Member) == 0
    assert _count(app, PortalAccount) == 0
    assert _count(app, Card) == 0


def test_errors_are_in_english_when_asked(shopper: Shopper) -> None:
    page = shopper.client.get("/portal/join?lang=en")
    r = shopper.client.post(
        "/portal/join", data={"csrf_token": csrf_of(page), "cpf": "390.533.447-06"}
    )
    assert r.status_code == 400
    body = r.get_data(as_text=True)
    assert "CPF ***.533.447-** is not valid: check the digits" in body
    assert '<html lang="en">' in body


def test_a_cpf_or_email_joins_once(app: Flask, shopper: Shopper) -> None:
    shopper.join()
    again = Shopper(app.test_client())
    r = again.join(email="other@example.com")
    assert r.status_code == 400
    assert "este CPF já tem conta" in r.get_data(as_text=True)
    r = again.join(cpf=OTHER_CPF, email="ANA@example.com")
    assert r.status_code == 400
    assert "este e-mail já tem conta" in r.get_data(as_text=True)
    assert _count(app, Member) == 1


def _till_enrol(app: Flask, **fields: object) -> str:
    client = app.test_client()
    till = register_till(app, client)
    member_id = till.member_id()
    event = till.header("enrolment", T0) | {
        "member_id": member_id,
        "name": "ANA S",
        "consent_terms": True,
        "consent_marketing": False,
        "cpf": VALID_CPF,
        **fields,
    }
    result = till.push([event])
    assert result["applied"] == [event["event_id"]], result
    return member_id


def test_claiming_a_till_enrolment_with_a_card_needs_the_card_number(
    app: Flask, shopper: Shopper
) -> None:
    printed = card_number(1234, "29")
    member_id = _till_enrol(app, card_number=printed)
    r = shopper.join(card_number="2900000012340")
    assert r.status_code == 400
    assert "número impresso no seu cartão" in r.get_data(as_text=True)
    r = shopper.join(card_number=printed)
    assert r.status_code == 302
    with app.app_context(), new_session() as s:
        m = s.get_one(Member, member_id)
        assert m.name == "Ana Souza"
        assert m.email == "ana@example.com"
        assert list(s.scalars(select(Card.number).where(Card.member_id == member_id))) == [printed]
        assert s.get_one(PortalAccount, member_id).claimed_from_till
        first = s.scalars(select(ConsentRecord).order_by(ConsentRecord.id)).first()
        assert first is not None
        assert (first.purpose, first.channel) == ("terms", "till")
    assert _count(app, Member) == 1


def test_claiming_a_cpf_only_enrolment_issues_a_card(app: Flask, shopper: Shopper) -> None:
    member_id = _till_enrol(app)
    assert shopper.join().status_code == 302
    with app.app_context(), new_session() as s:
        numbers = list(s.scalars(select(Card.number).where(Card.member_id == member_id)))
    assert [parse_card_ean(n) for n in numbers] == [9_000_000_001]


def test_claim_checks_the_birth_date_the_till_recorded(app: Flask, shopper: Shopper) -> None:
    _till_enrol(app, birth_date="1980-01-02")
    r = shopper.join()
    assert r.status_code == 400
    assert "data de nascimento é diferente" in r.get_data(as_text=True)
    assert shopper.join(birth_date="1980-01-02").status_code == 302


def test_sign_in_by_cpf_or_email_and_a_vague_refusal(app: Flask, shopper: Shopper) -> None:
    shopper.join()
    shopper.client.post(
        "/portal/signout", data={"csrf_token": csrf_of(shopper.client.get("/portal/"))}
    )
    assert shopper.client.get("/portal/").status_code == 302
    for identifier in ("ana@example.com", " Ana@Example.com ", VALID_CPF, CPF_DIGITS):
        fresh = Shopper(app.test_client())
        r = fresh.sign_in(identifier)
        assert r.status_code == 302, identifier
        assert fresh.client.get("/portal/").status_code == 200
    for identifier, password in (
        ("ana@example.com", "wrong password"),
        ("nobody@example.com", "correct horse 1"),
        (OTHER_CPF, "correct horse 1"),
        ("garbage", "x"),
    ):
        r = Shopper(app.test_client()).sign_in(identifier, password)
        assert r.status_code == 401
        assert "CPF/e-mail ou senha não conferem" in r.get_data(as_text=True)


def test_sign_in_redirects_only_to_portal_paths(app: Flask, shopper: Shopper) -> None:
    shopper.join()
    for target, expected in (
        ("/portal/offers", "/portal/offers"),
        ("https://evil.example/", "/portal/"),
        ("//evil.example/portal/", "/portal/"),
    ):
        c = Shopper(app.test_client())
        page = c.client.get("/portal/signin")
        r = c.client.post(
            f"/portal/signin?next={target}",
            data={
                "csrf_token": csrf_of(page),
                "identifier": "ana@example.com",
                "password": "correct horse 1",
            },
        )
        assert r.headers["Location"] == expected


def test_consents_change_with_history_and_reach_the_member_row(
    app: Flask, shopper: Shopper
) -> None:
    shopper.join(phone="11912345678")
    r = shopper.post_form("/portal/privacy", {"marketing_sms": "y"})
    assert r.status_code == 302
    m = _member(app)
    assert m.consent_marketing
    seq_before = m.change_seq
    r = shopper.post_form("/portal/privacy", {})
    assert r.status_code == 302
    m = _member(app)
    assert not m.consent_marketing
    assert m.change_seq > seq_before
    with app.app_context(), new_session() as s:
        sms = [
            (c.granted, c.channel)
            for c in s.scalars(
                select(ConsentRecord)
                .where(ConsentRecord.purpose == "marketing_sms")
                .order_by(ConsentRecord.id)
            )
        ]
    assert sms == [(False, "portal"), (True, "portal"), (False, "portal")]
    page = shopper.client.get("/portal/privacy").get_data(as_text=True)
    assert page.count("Ofertas por SMS") == 3
    assert "<td>não</td>" in page
    assert "<td>sim</td>" in page


@pytest.mark.parametrize(
    "path",
    [
        "/portal/join",
        "/portal/signin",
        "/portal/reset",
        "/portal/reset/sometoken",
        "/portal/signout",
        "/portal/privacy",
        "/portal/privacy/delete",
        "/portal/password",
        "/portal/offers/x/activate",
    ],
)
def test_every_post_without_a_csrf_token_is_refused(
    app: Flask, shopper: Shopper, path: str
) -> None:
    shopper.join()
    before = _count(app, ConsentRecord)
    r = shopper.client.post(
        path, data={"marketing_email": "y", "password": "correct horse 1", "confirm": "y"}
    )
    assert r.status_code == 400
    assert "O formulário expirou" in r.get_data(as_text=True)
    r = shopper.client.post(path, data={"csrf_token": "forged.token.value", "confirm": "y"})
    assert r.status_code == 400
    assert _count(app, ConsentRecord) == before
    assert _member(app).active
    assert shopper.client.get("/portal/").status_code == 200


def test_a_channel_without_contact_is_refused_alone(app: Flask, shopper: Shopper) -> None:
    """GIVEN a member with an e-mail and no phone, who accepted e-mail offers WHEN one form
    withdraws e-mail and asks for SMS THEN the withdrawal is saved and the SMS box says why
    (issue 23, defect 8)."""
    shopper.join()  # an e-mail, no phone
    assert shopper.post_form("/portal/privacy", {"marketing_email": "y"}).status_code == 302
    assert _member(app).consent_marketing
    r = shopper.post_form("/portal/privacy", {"marketing_sms": "y"})
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    assert 'id="marketing_sms-error">para ofertas por SMS informe um telefone<' in html
    assert "Suas outras escolhas foram salvas" in html
    assert not _member(app).consent_marketing  # the e-mail withdrawal was kept
    with app.app_context(), new_session() as s:
        sms = s.scalars(select(ConsentRecord).where(ConsentRecord.purpose == "marketing_sms")).all()
    assert True not in [c.granted for c in sms]  # no SMS consent without a phone
