"""Pull: changes in one server-wide sequence, paged, scoped to the terminal's store; snapshots."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from decimal import Decimal

from flask import Flask
from flask.testing import FlaskClient

from server import clock
from server.models import RaffleNumberBlock
from server.security import CpfCipher
from server.services.campaign_publish import put_campaign
from server.services.cards import block_card
from server.services.members import add_member
from server.services.offers import activate_offer, add_offer
from server.services.raffles import add_raffle
from server.services.uow import SqlUnitOfWork

from .conftest import T0, Till, register_till

CPF = "39053344705"
CAMPAIGN = {
    "rules": [{"id": "R1", "kind": "points", "name": "Pontos", "per_amount": "1.00", "points": 1}]
}


def _legacy_block(
    uow: SqlUnitOfWork,
    block_id: str,
    store_id: str,
    first: int,
    last: int,
    terminal_id: str | None = None,
) -> None:
    """A number block of the older series/element kind (store-wide when ``terminal_id`` is
    None), as databases still hold them: the feed scopes them to their store or terminal."""
    with uow:
        uow.session.add(
            RaffleNumberBlock(
                id=block_id,
                raffle_id="RF",
                store_id=store_id,
                terminal_id=terminal_id,
                series=0,
                first_element=first,
                last_element=last,
                assigned_at=clock.now(),
            )
        )
        uow.commit()


def _cipher(app: Flask) -> CpfCipher:
    cipher: CpfCipher = app.extensions["tillclub.cpf"]
    return cipher


def _members(app: Flask, n: int) -> None:
    for i in range(n):
        add_member(
            SqlUnitOfWork.for_app(app),
            _cipher(app),
            f"M{i:03d}",
            f"Member {i}",
            card_number=f"29{i:011d}",
        )


def test_pages_walk_every_change_once_in_sequence_order(app: Flask, till: Till) -> None:
    _members(app, 7)  # 14 changes: a member and a card each (+ the till's store record)
    seen = []
    cursor = 0
    pages = 0
    while True:
        body = till.client.get(
            f"/api/v1/changes?cursor={cursor}&limit=4", headers=till.headers
        ).get_json()
        pages += 1
        seen.extend(body["changes"])
        assert len(body["changes"]) <= 4
        cursor = body["next_cursor"]
        if not body["has_more"]:
            break
    assert pages == 4
    seqs = [c["seq"] for c in seen]
    assert seqs == sorted(seqs)
    assert len(set(seqs)) == 15
    assert {(c["type"], c["id"]) for c in seen} == {("member", f"M{i:03d}") for i in range(7)} | {
        ("card", f"29{i:011d}") for i in range(7)
    } | {("store", till.store_id)}
    # nothing new: the same cursor comes back, with no changes
    body = till.client.get(f"/api/v1/changes?cursor={cursor}", headers=till.headers).get_json()
    assert body == {"changes": [], "next_cursor": cursor, "has_more": False}
    # one change later: exactly that change
    block_card(SqlUnitOfWork.for_app(app), "2900000000003", actor="test", now=clock.now())
    body = till.client.get(f"/api/v1/changes?cursor={cursor}", headers=till.headers).get_json()
    assert [(c["type"], c["data"]["status"]) for c in body["changes"]] == [("card", "blocked")]
    assert body["next_cursor"] == cursor + 1


def test_members_carry_the_cpf_hash_never_the_cpf(app: Flask, till: Till) -> None:
    add_member(
        SqlUnitOfWork.for_app(app),
        _cipher(app),
        "M1",
        "Ana",
        cpf=CPF,
        birth_date=dt.date(1990, 5, 17),
    )
    raw = till.client.get("/api/v1/changes", headers=till.headers).get_data(as_text=True)
    assert CPF not in raw
    member = next(c for c in json.loads(raw)["changes"] if c["type"] == "member")
    assert member["data"] == {
        "id": "M1",
        "name": "Ana",
        "cpf_hash": _cipher(app).lookup_hash(CPF),
        "birth_date": "1990-05-17",
        "active": True,
        "consent_marketing": False,
        "segments": [],
        "tier": None,  # no tier review has run
    }


def test_members_carry_head_office_segments(app: Flask, till: Till) -> None:
    """A segmented member goes out with ``rfm:``/``value:`` segments for audience.segments."""
    from server.models import MemberSegment

    add_member(SqlUnitOfWork.for_app(app), _cipher(app), "M2", "Bia")
    with app.extensions["tillclub.sessions"]() as session, session.begin():
        session.add(
            MemberSegment(
                member_id="M2", recency_days=3, frequency=12, monetary=Decimal("900.00"),
                contribution=Decimal("200.00"), r_score=5, f_score=5, m_score=5,
                rfm_segment="champions", value_class="most_valuable",
                computed_at=dt.datetime.now(dt.UTC),
            )
        )  # fmt: skip
    body = till.client.get("/api/v1/changes", headers=till.headers).get_json()
    member = next(c for c in body["changes"] if c["type"] == "member")
    assert member["data"]["segments"] == ["rfm:champions", "value:most_valuable"]


def test_scope_other_stores_campaigns_and_raffle_blocks_are_deleted(
    app: Flask, client: FlaskClient, till: Till
) -> None:
    other = register_till(app, client, "LOJA-02", "PDV 1")
    uow = lambda: SqlUnitOfWork.for_app(app)  # noqa: E731
    put_campaign(uow(), "ALL", "Everywhere", CAMPAIGN)
    put_campaign(uow(), "ONLY2", "Store 2", CAMPAIGN, ["LOJA-02"])
    add_raffle(
        uow(),
        "RF",
        "Raffle",
        "SEAE 01.000000/2026",
        Decimal("100.00"),
        T0,
        T0 + dt.timedelta(days=60),
    )
    _legacy_block(uow(), "B1", "LOJA-01", 0, 999)
    _legacy_block(uow(), "B2", "LOJA-02", 1000, 1999)
    _legacy_block(uow(), "B3", "LOJA-01", 2000, 2999, terminal_id=till.terminal_id)

    def visible(t: Till) -> dict[tuple[str, str], bool]:
        changes, _ = t.pull_all()
        return {(c["type"], c["id"]): not c["deleted"] for c in changes}

    assert visible(till) == {
        ("campaign", "ALL"): True,
        ("campaign", "ONLY2"): False,
        ("raffle", "RF"): True,
        ("raffle_block", "B1"): True,
        ("raffle_block", "B2"): False,
        ("raffle_block", "B3"): True,
        ("store", "LOJA-01"): True,  # the till's own store record (its time zone) only
        ("store", "LOJA-02"): False,
    }
    assert visible(other)[("raffle_block", "B3")] is False
    assert visible(other)[("campaign", "ONLY2")] is True
    # narrowing a campaign to another store deletes it from this store's cache
    _, cursor = till.pull_all()
    put_campaign(uow(), "ALL", "Everywhere", CAMPAIGN, ["LOJA-02"])
    changes, _ = till.pull_all(cursor)
    assert [(c["type"], c["id"], c["deleted"], c["data"]) for c in changes] == [
        ("campaign", "ALL", True, None)
    ]


def test_offers_and_their_activation_sync(app: Flask, till: Till) -> None:
    add_member(SqlUnitOfWork.for_app(app), _cipher(app), "M1", "Ana")
    rule = {
        "id": "OFF1",
        "kind": "percent_off",
        "name": "10% café",
        "percent": "10",
        "applies_to": {"skus": ["CAFE"]},
    }
    add_offer(
        SqlUnitOfWork.for_app(app), "OFF1", "M1", "10% no café", rule, requires_activation=True
    )
    _, cursor = till.pull_all()
    activate_offer(SqlUnitOfWork.for_app(app), "OFF1", "portal")
    changes, _ = till.pull_all(cursor)
    assert [(c["type"], c["id"]) for c in changes] == [("offer", "OFF1")]
    assert changes[0]["data"]["activated_at"] is not None


def test_snapshot_streams_gzip_json_lines_then_changes_continue(app: Flask, till: Till) -> None:
    _members(app, 5)
    put_campaign(SqlUnitOfWork.for_app(app), "ONLY2", "Store 2", CAMPAIGN, ["LOJA-02"])
    r = till.client.get("/api/v1/snapshot", headers=till.headers)
    assert r.status_code == 200
    assert r.headers["Content-Encoding"] == "gzip"
    assert r.mimetype == "application/x-ndjson"
    lines = [json.loads(x) for x in gzip.decompress(r.get_data()).decode().splitlines()]
    header, records, trailer = lines[0], lines[1:-1], lines[-1]
    assert header == {"type": "snapshot", "format": 1, "cursor": 12}  # + the store record
    assert trailer == {"type": "end", "cursor": 12, "count": 11}
    assert sorted(rec["type"] for rec in records) == ["card"] * 5 + ["member"] * 5 + [
        "store"
    ]  # no out-of-scope rows
    add_member(SqlUnitOfWork.for_app(app), _cipher(app), "LATE", "Late")
    changes, _ = till.pull_all(header["cursor"])
    assert [(c["type"], c["id"]) for c in changes] == [("member", "LATE")]


def test_query_validation_and_cursor_ahead(till: Till) -> None:
    for query in ("cursor=-1", "limit=0", "limit=5001", "cursor=abc", "limit=1.5"):
        r = till.client.get(f"/api/v1/changes?{query}", headers=till.headers)
        assert (r.status_code, r.get_json()["code"]) == (400, "validation_failed"), query
    r = till.client.get("/api/v1/changes?cursor=999", headers=till.headers)
    assert (r.status_code, r.get_json()["code"]) == (409, "cursor_ahead")
