"""Cards, opening balances and sales history: what each file makes, refuses and re-runs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select

from server.models import Card, LedgerEntryRow, Member, Sale, SaleLine
from server.services.expiry import run_expiry
from server.services.members import balances
from server.services.tiers import set_ladder

from .conftest import EXAMPLES, Importer

SP = ZoneInfo("America/Sao_Paulo")


def _members(importer: Importer) -> dict[str, str]:
    importer.run("members", EXAMPLES / "members.csv")
    with importer.uow.reading() as s:
        rows = s.execute(select(Member.id, Member.name)).all()
    names = {name: mid for mid, name in rows}
    return {
        "C-0001": names["Maria da Silva"],
        "C-0002": names["João Souza"],
        "C-0003": names["Ana Pereira"],
    }


def test_cards_link_old_programme_numbers_to_members(importer: Importer) -> None:
    ids = _members(importer)
    report = importer.run("cards", EXAMPLES / "cards.csv")
    assert (report.created, report.rejected_count) == (3, 0)
    cards = {c.number: (c.member_id, c.status.value) for (c,) in importer.rows(select(Card))}
    assert cards["2700000054321"] == (ids["C-0001"], "active")
    assert cards["2700000099999"] == (ids["C-0002"], "blocked")
    assert importer.run("cards", EXAMPLES / "cards.csv").unchanged == 3


def test_card_rows_that_cannot_go_in(importer: Importer) -> None:
    _members(importer)
    text = (
        "numero;cliente_id_externo;status\n"
        "2700000054321;C-0001;ativo\n"
        "2700000054321;C-0002;ativo\n"  # another member's card now
        "1234567890;C-0001;\n"  # no declared prefix
        "2900000000019;C-0001;\n"  # our prefix, wrong check digit
        "27123456789;C-0001;\n"  # 11 digits: a CPF at the till
        "2711112222;C-9999;\n"  # unknown member
        "2711113333;C-0001;perdido\n"
    )
    report = importer.run("cards", text)
    assert report.created == 1
    assert {r.line: r.code for r in report.rejected} == {
        3: "card_taken",
        4: "bad_card",
        5: "bad_card",
        6: "bad_card",
        7: "unknown_member",
        8: "bad_status",
    }


def test_a_card_status_changes_only_with_merge(importer: Importer) -> None:
    _members(importer)
    importer.run("cards", "numero;cliente_id_externo\n2711112222;C-0001\n")
    blocked = "numero;cliente_id_externo;status\n2711112222;C-0001;bloqueado\n"
    assert [r.code for r in importer.run("cards", blocked).rejected] == ["duplicate_card"]
    assert importer.run("cards", blocked, on_duplicate="merge").updated == 1
    (status,) = importer.rows(select(Card.status).where(Card.number == "2711112222"))
    assert status[0].value == "blocked"


def test_opening_balances_are_migration_lots_with_their_expiry(importer: Importer) -> None:
    ids = _members(importer)
    set_ladder(
        importer.uow,
        {"tiers": [{"name": "classic", "threshold": "0"}, {"name": "gold", "threshold": "2000"}]},
        actor="t",
        now=dt.datetime.now(dt.UTC),
    )
    report = importer.run("balances", EXAMPLES / "balances.csv")
    assert (report.created, report.rejected_count) == (4, 0)
    rows = importer.rows(
        select(
            LedgerEntryRow.member_id,
            LedgerEntryRow.kind,
            LedgerEntryRow.amount,
            LedgerEntryRow.expires_at,
            LedgerEntryRow.entry_id,
        ).order_by(LedgerEntryRow.entry_id)
    )
    assert [(m, k, a) for m, k, a, _, _ in rows] == [
        (ids["C-0001"], "migration", Decimal("1200")),
        (ids["C-0001"], "migration", Decimal("300")),
        (ids["C-0002"], "migration", Decimal("12.50")),
    ]
    # valid through 31/12/2026 in the chain's zone: gone at midnight there
    assert rows[0][3] == dt.datetime(2027, 1, 1, tzinfo=SP)
    assert rows[0][4].startswith("E:HQ:IMPORT:")
    (tier,) = importer.rows(
        select(Member.tier, Member.tier_reviewed_at).where(Member.id == ids["C-0002"])
    )
    assert tier == ("gold", dt.datetime(2026, 3, 1, tzinfo=SP))
    assert importer.run("balances", EXAMPLES / "balances.csv").unchanged == 4
    with importer.uow.reading() as s:
        assert (
            balances(s, ids["C-0001"], dt.datetime(2026, 12, 31, 23, tzinfo=SP))["points"].available
            == 1500
        )
    # the expiry job writes the first lot off at its original date, FIFO keeps the second
    run_expiry(importer.app, dt.datetime(2027, 1, 1, 0, 1, tzinfo=SP), 100)
    with importer.uow.reading() as s:
        assert (
            balances(s, ids["C-0001"], dt.datetime(2027, 1, 2, tzinfo=SP))["points"].available
            == 300
        )
        expired = s.scalars(
            select(LedgerEntryRow.amount).where(LedgerEntryRow.kind == "expire")
        ).all()
    assert [a for a in expired] == [Decimal("-1200")]


def test_balance_rows_that_cannot_go_in(importer: Importer) -> None:
    _members(importer)
    text = (
        "id_externo;cliente_id_externo;moeda;valor;data;validade;nivel\n"
        "B1;C-0001;pontos;12,5;;;\n"  # points are whole
        "B2;C-0001;cashback;abc;;;\n"
        "B3;C-0001;pontos;-5;;;\n"
        "B4;C-0001;milhas;5;;;\n"
        "B5;C-0404;pontos;5;;;\n"
        "B6;C-0001;pontos;5;01/01/2026;31/12/2025;\n"
        "B7;C-0001;;;;;platinum\n"
        "B8;C-0001;pontos;5;;;\n"
    )
    report = importer.run("balances", text)
    assert report.created == 1
    assert {r.line: r.code for r in report.rejected} == {
        2: "bad_points",
        3: "bad_money",
        4: "bad_amount",
        5: "bad_currency",
        6: "unknown_member",
        7: "bad_date",
        8: "unknown_tier",
    }
    changed = text.replace("B8;C-0001;pontos;5", "B8;C-0001;pontos;6")
    assert [r.code for r in importer.run("balances", changed, on_duplicate="merge").rejected][
        -1
    ] == ("duplicate_external_id")


def test_sales_history_is_imported_with_lines_and_earns_nothing(importer: Importer) -> None:
    ids = _members(importer)
    report = importer.run("sales", EXAMPLES / "sales.csv")
    assert (report.rows_read, report.created, report.rejected_count) == (3, 3, 0)
    sales = {s.sale_id: s for (s,) in importer.rows(select(Sale))}
    v1 = sales["I:V-1001"]
    assert (v1.member_id, v1.store_id, v1.terminal_id) == (ids["C-0001"], "LOJA-01", "IMPORT")
    assert (v1.subtotal, v1.discount_total, v1.total) == (
        Decimal("110.00"),
        Decimal("10.00"),
        Decimal("100.00"),
    )
    assert v1.occurred_at == dt.datetime(2026, 2, 3, 10, 15, tzinfo=SP)
    assert v1.reprice_detail["imported"] is True
    assert sales["I:V-1002"].total == Decimal("1234.56")
    assert sales["I:V-1003"].member_id is None
    lines = importer.rows(
        select(SaleLine.sku, SaleLine.quantity, SaleLine.net).order_by(SaleLine.line_no)
    )
    assert lines == [
        ("789100000001", Decimal("2"), Decimal("80.00")),
        ("789100000002", Decimal("1"), Decimal("30.00")),
    ]
    assert importer.count(LedgerEntryRow) == 0
    assert importer.run("sales", EXAMPLES / "sales.csv").unchanged == 3


def test_sale_rows_that_cannot_go_in(importer: Importer) -> None:
    _members(importer)
    text = (
        "id_externo;cliente_id_externo;loja;data;subtotal;desconto;total;sku;quantidade;valor_item\n"
        "S1;C-0001;LOJA-77;01/02/2026;;;10,00;;;\n"
        "S2;C-0001;LOJA-01;32/01/2026;;;10,00;;;\n"
        "S3;C-0001;LOJA-01;01/02/2026;;;dez;;;\n"
        "S4;C-0404;LOJA-01;01/02/2026;;;10,00;;;\n"
        "S5;C-0001;LOJA-01;01/02/2026;20,00;1,00;10,00;;;\n"
        "S6;C-0001;LOJA-01;01/02/2026;;;10,00;A;1;4,00\n"
        "S6;C-0001;LOJA-01;01/02/2026;;;10,00;B;1;5,00\n"
        "S7;C-0001;LOJA-01;01/02/2099;;;10,00;;;\n"
        "S8;C-0001;LOJA-01;01/02/2026;;;10,00;;;\n"
    )
    report = importer.run("sales", text)
    assert report.created == 1
    assert {r.line: r.code for r in report.rejected} == {
        2: "unknown_store",
        3: "bad_date",
        4: "bad_money",
        5: "unknown_member",
        6: "bad_totals",
        7: "bad_totals",
        9: "bad_date",
    }
    changed = text.replace(
        "S8;C-0001;LOJA-01;01/02/2026;;;10,00", "S8;C-0001;LOJA-01;01/02/2026;;;11,00"
    )
    assert importer.run("sales", changed).rejected[-1].code == "duplicate_external_id"
