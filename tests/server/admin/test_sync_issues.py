"""The sync issues page: voucher conflicts made by two enrolled tills pushing the same single-use
voucher through the real ``POST /api/v1/events``, rejected events and re-price differences;
each list with its fields, newest first, paged, by period and store, as CSV; store managers
limited to their stores; voucher codes never shown whole."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from playwright.sync_api import expect, sync_playwright

from loyalty.rewards.voucher_codes import format_code, make_voucher_code
from server.db import get_engine
from server.migrate import upgrade
from server.services.sync_issues import mask_code
from server.services.uow import SqlUnitOfWork
from server.services.vouchers import add_voucher
from tests.support.live import start_serving

from ..conftest import Till, push_approved, register_till
from .conftest import PASSWORD, Office, add_admin, add_store, build_app
from .test_browser import ARTIFACTS, LAUNCH

CODE = make_voucher_code(b"\x07" * 8)
PAGE = "/admin/sync-issues"


class _Cells(HTMLParser):
    """The text of each body row of one table (found by id), cell by cell."""

    def __init__(self, table_id: str) -> None:
        super().__init__()
        self.table_id = table_id
        self.inside = self.in_body = False
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table" and ("id", self.table_id) in attrs:
            self.inside = True
        elif self.inside and tag == "tbody":
            self.in_body = True
        elif self.in_body and tag == "tr":
            self.rows.append([])
        elif self.in_body and tag == "td":
            self.cell = []
        elif self.cell is not None and tag == "br":
            self.cell.append(" | ")

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self.cell is not None:
            self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "table":
            self.inside = self.in_body = False

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def rows(html: str, table: str) -> list[list[str]]:
    parser = _Cells(f"table-{table}")
    parser.feed(html)
    return parser.rows


def csv_rows(office: Office, name: str, query: str = "") -> list[dict[str, str]]:
    r = office.get(f"{PAGE}/{name}.csv{query}")
    assert r.status_code == 200, r.status_code
    assert r.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))


def _till_discount(till: Till, price: str, discount: str, at: dt.datetime) -> dict[str, Any]:
    """A sale where the till took ``discount`` off with no rule in force: the server differs."""
    sale = till.sale(None, [price], at=at)
    net = f"{Decimal(price) - Decimal(discount):.2f}"
    sale["lines"][0].update(discount=discount, net=net)
    sale.update(discount_total=discount, total=net)
    return sale


class Scene:
    """LOJA-01/PDV 1 uses the voucher first and its use reaches the server first, so it wins;
    LOJA-02/PDV 2 uses it an hour later."""

    def __init__(self, app: Flask, client: FlaskClient) -> None:
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        add_voucher(
            SqlUnitOfWork.for_app(app),
            "V1",
            CODE,
            amount=Decimal("10.00"),
            valid_from=now - dt.timedelta(days=1),
            valid_until=now + dt.timedelta(days=30),
        )
        self.a = a = register_till(app, client, "LOJA-01", "PDV 1")
        self.b = b = register_till(app, client, "LOJA-02", "PDV 2")
        add_store(app, "LOJA-03")
        self.win_at, self.lose_at = now - dt.timedelta(hours=2), now - dt.timedelta(hours=1)
        self.win_sale = a.sale(None, ["30.00"], at=self.win_at)
        self.lose_sale = b.sale(None, ["40.00"], at=self.lose_at)
        uses = []
        for till, sale, at in ((a, self.win_sale, self.win_at), (b, self.lose_sale, self.lose_at)):
            uses.append(
                till.header("voucher_use", at)
                | {"voucher_code": format_code(CODE), "sale_id": sale["sale_id"]}
            )
        # settlement goes by the server's receipt order (a till's clock cannot win it)
        assert a.push([self.win_sale, uses[0]])["flags"] == []
        flags = b.push([self.lose_sale, uses[1]])["flags"]
        assert [f["code"] for f in flags] == ["voucher_conflict"]

        # an id a spreadsheet would run as a formula, from a till that sends garbage
        self.formula_id = '=HYPERLINK("http://x.example")'
        answer = a.push([{"type": "sale", "event_id": self.formula_id}])
        assert [r["event_id"] for r in answer["rejected"]] == [self.formula_id]
        # then, later, a malformed sale from the other till (sorts after it by id)
        bad = b.sale(None, ["10.00"], at=now)
        bad["total"] = "9.00"  # not subtotal - discount_total
        self.bad_id = bad["event_id"]
        answer = b.push([bad])
        assert [r["event_id"] for r in answer["rejected"]] == [self.bad_id]
        self.bad_message = answer["rejected"][0]["message"]
        self.bad_code = answer["rejected"][0]["code"]

        self.mismatch_a = _till_discount(a, "30.00", "5.00", now)
        self.mismatch_b = _till_discount(b, "12.50", "0.50", now)
        for till, sale in ((a, self.mismatch_a), (b, self.mismatch_b)):
            flags = till.push([sale])["flags"]
            assert [f["code"] for f in flags] == ["reprice_mismatch"]
        matching = a.sale(None, ["8.00"], at=now)
        assert a.push([matching])["flags"] == []


@pytest.fixture
def scene(app: Flask, client: FlaskClient) -> Scene:
    return Scene(app, client)


def _login(app: Flask, email: str, role: str, stores: tuple[str, ...] = ()) -> Office:
    add_admin(app, email, role, stores)
    o = Office(app.test_client())
    assert o.login(email).status_code == 302
    return o


def _minute(at: dt.datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M")


def test_every_list_shows_its_rows_with_their_fields(scene: Scene, office: Office) -> None:
    r = office.get(PAGE)
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    a, b = scene.a, scene.b

    [conflict] = rows(html, "conflicts")
    assert conflict[1] == f"V1 | {mask_code(CODE)}"
    assert mask_code(CODE) == "****" + CODE[-4:]
    assert conflict[2] == "Single-use voucher already used"
    assert conflict[3] == (
        f"{scene.win_sale['sale_id']} | LOJA-01 · {a.terminal_id} · {_minute(scene.win_at)}"
    )
    assert conflict[4] == (
        f"{scene.lose_sale['sale_id']} | LOJA-02 · {b.terminal_id} · {_minute(scene.lose_at)}"
    )

    rejected = rows(html, "rejected")
    assert [(x[1], x[2], x[3], x[6], x[7]) for x in rejected] == [
        (scene.bad_id, "LOJA-02", b.terminal_id, "1", "no"),  # newest first
        (scene.formula_id, "LOJA-01", a.terminal_id, "1", "no"),
    ]
    assert rejected[0][4] == scene.bad_code
    assert rejected[0][5] == scene.bad_message
    assert "total" in scene.bad_message

    reprice = rows(html, "reprice")
    assert [(x[1], x[2], x[3], x[5], x[6], x[7]) for x in reprice] == [
        (
            scene.mismatch_b["sale_id"],
            "LOJA-02",
            b.terminal_id,
            "R$12.00",
            "R$12.50",
            "lines, total",
        ),
        (
            scene.mismatch_a["sale_id"],
            "LOJA-01",
            a.terminal_id,
            "R$25.00",
            "R$30.00",
            "lines, total",
        ),
    ]
    assert "1 in the period." in html
    assert "2 in the period." in html


def test_the_voucher_code_is_never_shown_whole(scene: Scene, office: Office) -> None:
    for lang in ("en", "pt-BR"):
        html = office.get(f"{PAGE}?lang={lang}").get_data(as_text=True)
        assert mask_code(CODE) in html
        assert CODE not in html
        assert format_code(CODE) not in html
    text = office.get(f"{PAGE}/conflicts.csv").get_data(as_text=True)
    assert CODE not in text
    assert format_code(CODE) not in text


def test_csv_of_each_list(scene: Scene, office: Office) -> None:
    a, b = scene.a, scene.b
    [c] = csv_rows(office, "conflicts")
    assert c["voucher_id"] == "V1"
    assert c["voucher_code"] == mask_code(CODE)
    assert c["reason"] == "already_used"
    assert (c["losing_sale_id"], c["losing_store_id"], c["losing_terminal_id"]) == (
        scene.lose_sale["sale_id"],
        "LOJA-02",
        b.terminal_id,
    )
    assert dt.datetime.fromisoformat(c["losing_used_at"]) == scene.lose_at
    assert (c["winning_sale_ids"], c["winning_store_ids"], c["winning_terminal_ids"]) == (
        scene.win_sale["sale_id"],
        "LOJA-01",
        a.terminal_id,
    )
    assert dt.datetime.fromisoformat(c["winning_used_at"]) == scene.win_at

    rej = csv_rows(office, "rejected")
    # a cell starting with "=" is quoted so a spreadsheet shows it instead of running it
    assert [(r["event_id"], r["store_id"], r["attempts"]) for r in rej] == [
        (scene.bad_id, "LOJA-02", "1"),
        ("'" + scene.formula_id, "LOJA-01", "1"),
    ]
    assert rej[0]["message"] == scene.bad_message
    assert rej[0]["applied_later"] == "no"

    rep = csv_rows(office, "reprice")
    assert [(r["sale_id"], r["till_total"], r["server_total"], r["differences"]) for r in rep] == [
        (scene.mismatch_b["sale_id"], "12.00", "12.50", "lines;total"),
        (scene.mismatch_a["sale_id"], "25.00", "30.00", "lines;total"),
    ]
    assert office.get(f"{PAGE}/nothing.csv").status_code == 404


def test_store_filter_and_period(scene: Scene, office: Office) -> None:
    html = office.get(f"{PAGE}?store=LOJA-01").get_data(as_text=True)
    # LOJA-01 won: the conflict concerns it too
    assert [x[4].split(" | ")[0] for x in rows(html, "conflicts")] == [scene.lose_sale["sale_id"]]
    assert [x[1] for x in rows(html, "rejected")] == [scene.formula_id]
    assert [x[1] for x in rows(html, "reprice")] == [scene.mismatch_a["sale_id"]]
    html = office.get(f"{PAGE}?store=LOJA-03").get_data(as_text=True)
    assert rows(html, "conflicts") == [["No voucher conflicts."]]
    assert rows(html, "rejected") == [["No rejected events."]]
    assert rows(html, "reprice") == [["No re-price differences."]]
    assert csv_rows(office, "conflicts", "?store=LOJA-03") == []

    today = dt.datetime.now(dt.UTC).date()
    past = f"?from={today - dt.timedelta(days=10)}&until={today - dt.timedelta(days=1)}"
    html = office.get(PAGE + past).get_data(as_text=True)
    assert rows(html, "conflicts") == [["No voucher conflicts."]]
    assert rows(html, "reprice") == [["No re-price differences."]]
    assert csv_rows(office, "rejected", past) == []
    assert len(csv_rows(office, "rejected", f"?from={today}&until={today}")) == 2
    assert office.get(f"{PAGE}?from=2026-13-01").status_code == 400
    assert (
        office.get(f"{PAGE}?from={today}&until={today - dt.timedelta(days=1)}").status_code == 400
    )


def test_lists_are_paged_newest_first(app: Flask, scene: Scene, office: Office) -> None:
    app.config["ADMIN_PAGE_SIZE"] = 1
    html = office.get(PAGE).get_data(as_text=True)
    assert [x[1] for x in rows(html, "rejected")] == [scene.bad_id]
    assert "Page 1 of 2" in html
    html = office.get(f"{PAGE}?rejected_page=2").get_data(as_text=True)
    assert [x[1] for x in rows(html, "rejected")] == [scene.formula_id]
    # the other lists keep their own page
    assert [x[1] for x in rows(html, "reprice")] == [scene.mismatch_b["sale_id"]]
    assert "reprice_page=2" in html
    assert "#reprice" in html
    html = office.get(f"{PAGE}?rejected_page=99&reprice_page=x").get_data(as_text=True)
    assert [x[1] for x in rows(html, "rejected")] == [scene.formula_id]  # past the end: the last
    assert [x[1] for x in rows(html, "reprice")] == [scene.mismatch_b["sale_id"]]


def test_store_manager_sees_only_their_stores(app: Flask, scene: Scene) -> None:
    ger = _login(app, "ger@hq.example", "store_manager", ("LOJA-02",))
    html = ger.get(PAGE).get_data(as_text=True)
    assert 'href="/admin/sync-issues"' in html
    # the refused use was at LOJA-02
    assert [x[4].split(" | ")[0] for x in rows(html, "conflicts")] == [scene.lose_sale["sale_id"]]
    assert [x[1] for x in rows(html, "rejected")] == [scene.bad_id]
    assert [x[1] for x in rows(html, "reprice")] == [scene.mismatch_b["sale_id"]]
    assert scene.formula_id not in html
    assert scene.mismatch_a["sale_id"] not in html
    assert [r["event_id"] for r in csv_rows(ger, "rejected")] == [scene.bad_id]
    assert [r["sale_id"] for r in csv_rows(ger, "reprice")] == [scene.mismatch_b["sale_id"]]
    assert ger.get(f"{PAGE}?store=LOJA-01").status_code == 403
    assert ger.get(f"{PAGE}/rejected.csv?store=LOJA-01").status_code == 403
    assert ger.get(f"{PAGE}?store=LOJA-02").status_code == 200

    other = _login(app, "ger3@hq.example", "store_manager", ("LOJA-03",))
    html = other.get(PAGE).get_data(as_text=True)
    assert rows(html, "conflicts") == [["No voucher conflicts."]]
    assert csv_rows(other, "conflicts") == []
    assert csv_rows(other, "reprice") == []


def test_auditor_and_marketing_read_and_login_is_required(app: Flask, scene: Scene) -> None:
    for email, role in (("aud@hq.example", "auditor"), ("mkt@hq.example", "marketing")):
        o = _login(app, email, role)
        html = o.get(PAGE).get_data(as_text=True)
        assert [x[1] for x in rows(html, "rejected")] == [scene.bad_id, scene.formula_id], role
        assert len(csv_rows(o, "conflicts")) == 1
        # read-only: there is no form that changes anything on the page
        assert 'method="post"' not in html.split("<main", 1)[1]
        assert o.client.post(PAGE).status_code in (400, 405)
    anon = app.test_client().get(PAGE)
    assert anon.status_code == 302
    assert "/admin/login" in anon.headers["Location"]


def test_portuguese_by_default_and_english_on_request(app: Flask, scene: Scene) -> None:
    o = _login(app, "ana@hq.example", "admin")
    o.client.set_cookie("tc_admin_lang", "", expires=0)
    html = o.get(PAGE).get_data(as_text=True)
    assert '<html lang="pt-BR">' in html
    assert ">Ocorrências de sincronização<" in html  # the menu link and the title
    assert "Conflitos de vales" in html
    assert "Vale de uso único já utilizado" in html
    assert "R$ 25,00" in html
    assert "R$ 30,00" in html
    assert "itens, total" in html
    assert scene.win_at.strftime("%d/%m/%Y %H:%M") in html
    html = o.get(f"{PAGE}?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert ">Sync issues<" in html
    assert "Voucher conflicts" in html
    assert "Ocorrências" not in html


def test_an_event_applied_on_a_later_push_is_marked(
    app: Flask, client: FlaskClient, office: Office
) -> None:
    till = register_till(app, client, "LOJA-01", "PDV 1")
    sale = till.sale(None, ["10.00"], at=dt.datetime.now(dt.UTC))
    broken = sale | {"total": "11.00"}
    for _ in range(2):
        assert till.push([broken])["rejected"][0]["event_id"] == sale["event_id"]
    html = office.get(PAGE).get_data(as_text=True)
    assert [(x[1], x[6], x[7]) for x in rows(html, "rejected")] == [(sale["event_id"], "2", "no")]
    assert till.push([sale])["applied"] == [sale["event_id"]]  # the till fixed and re-sent it
    html = office.get(PAGE).get_data(as_text=True)
    assert [(x[1], x[6], x[7]) for x in rows(html, "rejected")] == [(sale["event_id"], "2", "yes")]
    assert csv_rows(office, "rejected")[0]["applied_later"] == "yes"


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["pt-BR", "en"])
def test_in_a_real_browser(tmp_path: Path, lang: str) -> None:
    """The page served by werkzeug on port 0 to headless Chromium: labelled filters, no
    console errors, the masked code; screenshotted into ``test-artifacts/admin/``."""
    url = f"sqlite:///{tmp_path / 'server.db'}"
    upgrade(url)
    app = build_app(url, WTF_CSRF_TIME_LIMIT=None)
    app.config["TESTING"] = False
    add_admin(app, "ana@hq.example", "admin")
    scene = Scene(app, app.test_client())  # the tills push through the real API
    served = start_serving(app)
    base = served.url
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=LAUNCH)
            page = browser.new_page(viewport={"width": 1280, "height": 900}, locale=lang)
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(f"{base}/admin/login?lang={lang}")
            page.fill("#email", "ana@hq.example")
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            expect(page).to_have_url(f"{base}/admin/")
            title = "Ocorrências de sincronização" if lang == "pt-BR" else "Sync issues"
            page.click(f"nav >> text={title}")
            expect(page).to_have_url(f"{base}{PAGE}")
            expect(page.locator("#table-conflicts tbody")).to_contain_text(mask_code(CODE))
            expect(page.locator("#table-rejected tbody tr")).to_have_count(2)
            expect(page.locator("#table-reprice tbody")).to_contain_text(
                scene.mismatch_a["sale_id"]
            )
            assert CODE not in page.content()
            unlabeled = page.evaluate(
                """() => [...document.querySelectorAll('input:not([type=hidden]), select')]
                     .filter(e => !(e.labels && e.labels.length)).map(e => e.name)"""
            )
            assert unlabeled == []
            page.select_option("#s-store", "LOJA-02")
            page.click("form.filters button[type=submit]")
            expect(page.locator("#table-rejected tbody tr")).to_have_count(1)
            page.select_option("#s-store", "")
            page.click("form.filters button[type=submit]")
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"sync-issues-{lang}.png"), full_page=True)
            assert errors == []
            browser.close()
    finally:
        served.stop()
        get_engine(app).dispose()


def test_till_clock_and_overdraft_issues_are_listed(app: Flask, client: FlaskClient) -> None:
    """GIVEN a member with 3,000 points and two tills that each let them redeem 2,500, and a
    till pushing sales dated an hour ahead with its clock an hour ahead
    WHEN head office opens Sync issues
    THEN the overdraft (both terminals named), the future-dated sale and the skewed till are
    listed, and the CSV carries them."""
    from server.services.members import add_member

    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    add_member(SqlUnitOfWork.for_app(app), app.extensions["tillclub.cpf"], "m1", "Maria")
    a = register_till(app, client, "LOJA-01", "PDV 1")
    b = register_till(app, client, "LOJA-01", "PDV 2")

    def entry(till: Till, amount: str, kind: str) -> dict[str, Any]:
        at = now - dt.timedelta(hours=1)
        return till.header("ledger_entry", at) | {
            "entry": till.entry("m1", amount, kind=kind, effective_at=at)
        }

    push_approved(a, [entry(a, "3000", "earn")])  # a stand-alone earning: head office approves
    a.push([entry(a, "-2500", "redeem")])
    b.push([entry(b, "-2500", "redeem")])
    ahead = a.sale(None, ["10.00"], at=now + dt.timedelta(hours=1))
    headers = {**a.headers, "X-Tillclub-Clock": (now + dt.timedelta(hours=1)).isoformat()}
    r = client.post("/api/v1/events", json={"events": [ahead]}, headers=headers)
    assert r.status_code == 200
    add_admin(app, "ana@hq.example")
    office = Office(app.test_client())
    office.login("ana@hq.example")
    html = office.get(PAGE).get_data(as_text=True)
    found = rows(html, "till")
    kinds = sorted(row[1] for row in found)
    assert kinds == ["Balance below zero", "Dated in the future", "Till clock off the server's"]
    (overdraft,) = [row for row in found if row[1] == "Balance below zero"]
    assert "-2000" in overdraft[7]
    assert a.terminal_id in overdraft[7]
    assert b.terminal_id in overdraft[7]
    lines = csv_rows(office, "till")
    assert sorted(line["kind"] for line in lines) == ["future", "overdraft", "till_clock"]


def test_restores_and_epochs_are_listed_with_what_the_tills_re_pushed(
    app: Flask, office: Office
) -> None:
    from server.services.epochs import start_new_epoch

    start_new_epoch(SqlUnitOfWork.for_app(app), "restored backup of 03:00")
    html = office.get(PAGE).get_data(as_text=True)
    rows = _Cells("table-epochs")
    rows.feed(html)
    assert any("restored backup of 03:00" in " ".join(r) for r in rows.rows)
    assert any("no till has re-pushed yet" in " ".join(r) for r in rows.rows)
