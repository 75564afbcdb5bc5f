"""Moving out and in again: the export of server A, imported into an empty server B with
``tillclub server import``'s use case, gives back the same members, cards, balances (each lot
with its amount left and its last day) and sales history.

A is the parametrised backend (SQLite and PostgreSQL); B is a fresh migrated SQLite file.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import select, update

from loyalty.identification.ean import card_number
from loyalty.rewards import Currency, balance
from loyalty.rewards.ids import make_entry_id
from loyalty.rewards.lots import fold
from server import create_app
from server.db import get_engine, new_session
from server.models import Card, ImportKey, LedgerEntryRow, Member, Sale, SaleLine, Store
from server.services import imports
from server.services.exports import export_chain
from server.services.ledger_reads import entries_by_member
from server.services.members import add_member
from server.services.terminals import add_store
from server.services.uow import SqlUnitOfWork
from tests.support.databases import migrated_database

from ..conftest import Till, make_config, points_campaign

ZONE = ZoneInfo("America/Sao_Paulo")
CPFS = ["52998224725", "11144477735", "39053344705"]


@pytest.fixture
def server_b(tmp_path: Path) -> Iterator[Flask]:
    with migrated_database("sqlite", tmp_path, "tc_b") as url:
        app = create_app(make_config(url))
        yield app
        get_engine(app).dispose()


def _entry(
    member: str, currency: str, amount: str, kind: str, at: dt.datetime, seq: int, **kw: Any
) -> LedgerEntryRow:
    return LedgerEntryRow(
        entry_id=make_entry_id("LOJA-01", "T9", seq), member_id=member, currency=currency,
        kind=kind, amount=Decimal(amount), effective_at=at, available_at=kw.get("available_at"),
        expires_at=kw.get("expires_at"), sale_id=None, rule_id=None, store_id="LOJA-01",
        terminal_id="T9", reverses=kw.get("reverses"), reason=None, event_id=None,
        recorded_at=at,
    )  # fmt: skip


def seed_a(app: Flask, till: Till, now: dt.datetime) -> None:
    """Three members (cards, CPFs, contacts, consents), lots with expiries partly spent, a
    matured cashback lot, and sales with lines (one anonymous)."""
    cipher = app.extensions["tillclub.cpf"]
    for i, cpf in enumerate(CPFS):
        add_member(
            SqlUnitOfWork.for_app(app), cipher, f"M{i}", f"Cliente {i} Ação", cpf=cpf,
            card_number=card_number(1000 + i), birth_date=dt.date(1980 + i, 2, 1 + i),
            consent_marketing=i % 2 == 0,
        )  # fmt: skip
    with new_session(app) as s, s.begin():
        for i in range(len(CPFS)):
            s.execute(
                update(Member)
                .where(Member.id == f"M{i}")
                .values(email=f"c{i}@example.com", phone=f"+55119876500{i:02d}",
                        enrolled_store_id="LOJA-01")
            )  # fmt: skip
        past = now - dt.timedelta(days=40)
        lot1 = _entry("M0", "points", "100", "earn", past, 1,
                      expires_at=now + dt.timedelta(days=20, hours=5))  # fmt: skip
        s.add_all(
            [
                lot1,
                _entry("M0", "points", "50", "earn", past + dt.timedelta(days=1), 2),
                _entry("M0", "points", "-30", "redeem", past + dt.timedelta(days=2), 3),
                _entry("M1", "cashback", "12.50", "earn", past, 4,
                       available_at=past + dt.timedelta(days=1),
                       expires_at=now + dt.timedelta(days=200)),
                _entry("M1", "points", "7", "earn", past, 5,
                       expires_at=now + dt.timedelta(days=90)),
            ]
        )  # fmt: skip
    points_campaign(app)
    at = now - dt.timedelta(days=3)
    till.push(
        [
            till.sale("M0", ["10.00", "5.50"], points="15", at=at),
            till.sale("M2", ["3.25"], points="3", at=at + dt.timedelta(hours=1)),
            till.sale(None, ["8.00", "1.00", "2.00"], at=at + dt.timedelta(hours=2)),
        ]
    )


def read_zip(path: Path, tmp: Path) -> dict[str, Path]:
    out: dict[str, Path] = {}
    with zipfile.ZipFile(path) as zf:
        for name in ("stores", "members", "cards", "balances", "sales"):
            target = tmp / f"{name}.csv"
            target.write_bytes(zf.read(f"csv/{name}.csv"))
            out[name] = target
    return out


def import_into(app: Flask, files: dict[str, Path]) -> dict[str, dict[str, int]]:
    with files["stores"].open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            add_store(SqlUnitOfWork.for_app(app), row["store_id"], row["name"], timezone="UTC")
    cipher = app.extensions["tillclub.cpf"]
    counts = {}
    for kind in ("members", "cards", "balances", "sales"):
        report = imports.run(
            SqlUnitOfWork.for_app(app), cipher, kind, files[kind], imports.options_for_app(app)
        )
        counts[kind] = report.counts()
        assert report.rejected == [], (kind, [(r.line, r.text("en")) for r in report.rejected])
    return counts


# -- what each side says -------------------------------------------------------------------


def members_of(app: Flask, mapping: dict[str, str] | None) -> dict[str, tuple[Any, ...]]:
    cipher = app.extensions["tillclub.cpf"]
    out = {}
    with new_session(app) as s:
        for m in s.scalars(select(Member)):
            key = mapping[m.id] if mapping is not None else m.id
            cpf = cipher.decrypt(m.cpf_encrypted, m.id) if m.cpf_encrypted else None
            out[key] = (m.name, cpf, m.email, m.phone, m.birth_date, m.enrolled_store_id,
                        m.consent_terms, m.consent_marketing)  # fmt: skip
    return out


def cards_of(app: Flask, mapping: dict[str, str] | None) -> set[tuple[str, str, str]]:
    with new_session(app) as s:
        return {
            (c.number, mapping[c.member_id] if mapping else c.member_id, c.status.value)
            for c in s.scalars(select(Card))
        }


def balances_of(
    app: Flask, mapping: dict[str, str] | None, at: dt.datetime
) -> dict[tuple[str, str], Any]:
    out = {}
    with new_session(app) as s:
        ids = list(s.scalars(select(Member.id)))
        by_member = entries_by_member(s, ids)
    for member, entries in by_member.items():
        key = mapping[member] if mapping else member
        for cur in Currency:
            b = balance(entries, cur, at)
            lots = sorted(
                (
                    lot.remaining,
                    None
                    if lot.entry.expires_at is None
                    else (lot.entry.expires_at - dt.timedelta(microseconds=1))
                    .astimezone(ZONE)
                    .date(),
                )
                for lot in fold(entries, cur, at).lots
            )  # fmt: skip
            if lots or b.available:
                out[(key, cur.value)] = (b.available, b.pending, lots)
    return out


def sales_of(app: Flask, mapping: dict[str, str] | None) -> list[tuple[Any, ...]]:
    out = []
    with new_session(app) as s:
        lines: dict[str, list[tuple[str, Decimal, Decimal]]] = {}
        for ln in s.scalars(select(SaleLine).order_by(SaleLine.sale_id, SaleLine.line_no)):
            lines.setdefault(ln.sale_id, []).append((ln.sku, ln.quantity, ln.gross))
        for sale in s.scalars(select(Sale)):
            member = sale.member_id
            if member is not None and mapping is not None:
                member = mapping[member]
            money = (sale.subtotal, sale.discount_total, sale.total)
            items = tuple(lines.get(sale.sale_id, []))
            out.append((member, sale.store_id, sale.occurred_at, *money, items))
    return sorted(out, key=repr)


def test_import_of_an_export_gives_back_members_cards_balances_and_sales(
    app: Flask, till: Till, server_b: Flask, tmp_path: Path
) -> None:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    seed_a(app, till, now)
    archive = tmp_path / "a.zip"
    report = export_chain(app, archive, actor_type="cli", actor_id="test")
    assert report.rows["members"] == 3
    assert report.rows["sales"] == 6  # one row per line
    files = read_zip(archive, tmp_path)

    counts = import_into(server_b, files)
    assert counts["members"]["created"] == 3
    assert counts["sales"]["created"] == 3
    with new_session(server_b) as s:
        # B's member ids are its own; the import keeps which A id each came from
        keys = {k.target_id: k.external_id for k in s.scalars(
            select(ImportKey).where(ImportKey.kind == "members"))}  # fmt: skip
        assert {st.id for st in s.scalars(select(Store))} == {"LOJA-01"}

    assert members_of(server_b, keys) == members_of(app, None)
    assert cards_of(server_b, keys) == cards_of(app, None)
    at = now + dt.timedelta(minutes=1)
    a_balances = balances_of(app, None, at)
    assert a_balances[("M0", "points")][2] == sorted(
        [
            (Decimal(15), None),
            (Decimal(50), None),
            (Decimal(70), (now + dt.timedelta(days=20, hours=5)).astimezone(ZONE).date()),
        ]
    )  # fmt: skip  (the redemption took 30 of the first-expiring lot)
    assert set(a_balances) == {("M0", "points"), ("M1", "points"), ("M1", "cashback"),
                               ("M2", "points")}  # fmt: skip
    assert balances_of(server_b, keys, at) == a_balances
    a_sales = sales_of(app, None)
    assert len(a_sales) == 3
    assert sum(len(sale[-1]) for sale in a_sales) == 6
    assert sales_of(server_b, keys) == a_sales

    # and the import of the same export again changes nothing
    again = import_into_again(server_b, files)
    assert all(c["created"] == 0 and c["updated"] == 0 for c in again.values()), again


def import_into_again(app: Flask, files: dict[str, Path]) -> dict[str, dict[str, int]]:
    cipher = app.extensions["tillclub.cpf"]
    out = {}
    for kind in ("members", "cards", "balances", "sales"):
        r = imports.run(
            SqlUnitOfWork.for_app(app), cipher, kind, files[kind], imports.options_for_app(app)
        )
        out[kind] = r.counts()
    return out


def test_the_export_holds_the_same_rows_in_csv_and_parquet(app: Flask, till: Till,
                                                          tmp_path: Path) -> None:  # fmt: skip
    import pyarrow.parquet as pq

    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    seed_a(app, till, now)
    archive = tmp_path / "a.zip"
    export_chain(app, archive, actor_type="cli", actor_id="test")
    with zipfile.ZipFile(archive) as zf:
        for name in ("members", "balances", "sales", "ledger"):
            rows = list(csv.DictReader(io.StringIO(zf.read(f"csv/{name}.csv").decode())))
            table = pq.read_table(io.BytesIO(zf.read(f"parquet/{name}.parquet"))).to_pylist()
            assert len(rows) == len(table) > 0, name
            assert list(rows[0]) == list(table[0]), name
    members = {r["external_id"]: r for r in rows_of(archive, "members")}
    assert members["M0"]["cpf"] == CPFS[0]
    parquet_members = {r["external_id"]: r for r in table_of(archive, "members")}
    assert parquet_members["M0"]["birth_date"] == dt.date(1980, 2, 1)


def rows_of(archive: Path, name: str) -> list[dict[str, str]]:
    with zipfile.ZipFile(archive) as zf:
        return list(csv.DictReader(io.StringIO(zf.read(f"csv/{name}.csv").decode())))


def table_of(archive: Path, name: str) -> list[dict[str, Any]]:
    import pyarrow.parquet as pq

    with zipfile.ZipFile(archive) as zf:
        rows: list[dict[str, Any]] = pq.read_table(
            io.BytesIO(zf.read(f"parquet/{name}.parquet"))
        ).to_pylist()
        return rows
