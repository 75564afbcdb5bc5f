"""The head-office raffle pages ("Sorteios"): the list with its counts, creating a raffle,
reserving a block for a terminal, numbering owed tickets, and the Loteria Federal result.

GIVEN a raffle, enrolled tills and sales carrying raffle tickets
WHEN head office uses the raffle pages (as admin, auditor or store manager)
THEN blocks follow each other and reach only their till, oversized or bad requests are refused
with a message and write nothing, owed tickets get numbers once, the result names the nearest
eligible number's holder with the CPF masked, read-only roles change nothing, and every change
has its audit row.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from loyalty.rewards import RaffleCampaign
from server.db import new_session
from server.models import AuditLog, RaffleNumberBlock, RaffleTicketRow
from server.models import RaffleCampaign as RaffleRow
from server.models.raffle import TicketStatus
from server.services import ingest_rows
from server.services.members import add_member
from server.services.raffle import assign_terminal_block, to_campaign
from server.services.raffles import add_raffle
from server.services.terminals import revoke_terminal
from server.services.uow import SqlUnitOfWork

from ..conftest import Till, register_till
from .conftest import Office, add_admin

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
CPF = "390.533.447-05"


def _raffle(app: Flask, raffle_id: str = "natal", **rules: Any) -> None:
    add_raffle(
        SqlUnitOfWork.for_app(app),
        raffle_id,
        "Natal Premiado",
        "SPA/MF 04.000123/2026",
        Decimal("50.00"),
        NOW - dt.timedelta(days=10),
        NOW + dt.timedelta(days=20),
        {"draw_date": (NOW + dt.timedelta(days=21)).date().isoformat(), **rules},
    )


def _campaign(app: Flask, raffle_id: str = "natal") -> RaffleCampaign:
    with new_session(app) as s:
        return to_campaign(s.get_one(RaffleRow, raffle_id))


def _members(app: Flask) -> None:
    cipher = app.extensions["tillclub.cpf"]
    add_member(SqlUnitOfWork.for_app(app), cipher, "m1", "Maria da Silva", cpf=CPF)
    add_member(SqlUnitOfWork.for_app(app), cipher, "m2", "Mario Souza")
    add_member(SqlUnitOfWork.for_app(app), cipher, "m3", "Func Ionária")


def _sale(till: Till, member: str, numbers: list[int | None], at: dt.datetime) -> dict[str, Any]:
    event = till.sale(member, ["100.00"], at=at)
    event["raffle_tickets"] = [
        {"ticket_id": f"{event['sale_id']}/natal/{i}", "campaign_id": "natal", "number": n}
        for i, n in enumerate(numbers)
    ]
    return event


def _count(app: Flask, model: Any, *where: Any) -> int:
    with new_session(app) as s:
        return int(s.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def _audit(app: Flask, action: str) -> list[AuditLog]:
    with new_session(app) as s:
        return list(
            s.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id))
        )


def _blocks(app: Flask) -> list[tuple[int, int, str | None]]:
    with new_session(app) as s:
        rows = s.scalars(
            select(RaffleNumberBlock)
            .where(RaffleNumberBlock.raffle_id == "natal")
            .order_by(RaffleNumberBlock.first_position)
        )
        return [(int(b.first_position or 0), int(b.size or 0), b.terminal_id) for b in rows]


def test_list_shows_period_draw_date_and_counts(
    app: Flask, client: FlaskClient, office: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    _members(app)
    _raffle(app)
    till = register_till(app, client)
    assign_terminal_block(SqlUnitOfWork.for_app(app), "natal", till.terminal_id, 10)
    c = _campaign(app)
    # Owed tickets stay owed if the push does not number them (as after a failure).
    monkeypatch.setattr(ingest_rows, "assign_owed_tickets", lambda s, ids: 0)
    at = NOW - dt.timedelta(days=1)
    sold = _sale(till, "m1", [c.number_at(0), c.number_at(1), c.number_at(2)], at)
    assert till.push([sold, _sale(till, "m2", [None], at)])["rejected"] == []
    with new_session(app) as s, s.begin():
        s.get_one(RaffleTicketRow, f"{sold['sale_id']}/natal/2").status = TicketStatus.VOID
    html = office.get("/admin/raffles").get_data(as_text=True)
    row = html[html.index('data-raffle="natal"') :].split("</tr>")[0]
    assert "Natal Premiado" in row
    first = (NOW - dt.timedelta(days=10)).astimezone(dt.timezone(dt.timedelta(hours=-3)))
    assert first.date().isoformat() in row
    assert (NOW + dt.timedelta(days=21)).date().isoformat() in row
    assert '<td class="num issued">2</td>' in row
    assert '<td class="num owed">1</td>' in row
    assert '<td class="num void">1</td>' in row
    assert '<td class="num blocks">1</td>' in row
    assert '<td class="num reserved">10</td>' in row
    page = office.get("/admin/raffles/natal").get_data(as_text=True)
    assert "SPA/MF 04.000123/2026" in page
    block = page[page.index(f'data-terminal="{till.terminal_id}"') :].split("</tr>")[0]
    assert '<td class="range">0–9</td>' in block
    assert '<td class="num used">3</td>' in block  # a voided number stays used


def test_reserve_block_for_a_terminal_reaches_only_that_till(
    app: Flask, client: FlaskClient, office: Office
) -> None:
    _raffle(app)
    till = register_till(app, client, "LOJA-01", "PDV 1")
    other = register_till(app, client, "LOJA-02", "PDV 9")
    page = office.get("/admin/raffles/natal").get_data(as_text=True)
    assert '<optgroup label="LOJA-01 · Store LOJA-01">' in page
    assert f'<option value="{till.terminal_id}">PDV 1 ({till.terminal_id})</option>' in page
    r = office.post(
        "/admin/raffles/natal/blocks",
        {"terminal_id": till.terminal_id, "size": "500"},
        from_page="/admin/raffles/natal",
    )
    assert r.status_code == 302, r.get_data(as_text=True)
    # The CLI shares the service: its block follows the UI's, never overlapping.
    assign_terminal_block(SqlUnitOfWork.for_app(app), "natal", other.terminal_id, 100)
    r = office.post("/admin/raffles/natal/blocks", {"terminal_id": till.terminal_id, "size": "250"})
    assert r.status_code == 302
    assert _blocks(app) == [
        (0, 500, till.terminal_id),
        (500, 100, other.terminal_id),
        (600, 250, till.terminal_id),
    ]
    shown = office.get("/admin/raffles/natal").get_data(as_text=True)
    assert f"Positions 600-849 reserved for terminal {till.terminal_id}" in shown
    assert '<td class="range">0–499</td>' in shown
    assert '<td class="range">600–849</td>' in shown
    ui = _audit(app, "raffle.block")
    assert [a.actor_id for a in ui] == ["ana@hq.example", "cli", "ana@hq.example"]
    assert ui[0].detail["after"] == {
        "terminal_id": till.terminal_id,
        "store_id": "LOJA-01",
        "first_position": 0,
        "last_position": 499,
        "size": 500,
    }
    changes, _ = till.pull_all()
    mine = [ch["data"] for ch in changes if ch["type"] == "raffle_block" and not ch["deleted"]]
    assert sorted((b["first_position"], b["size"]) for b in mine) == [(0, 500), (600, 250)]
    theirs, _ = other.pull_all()
    assert [
        ch["data"]["size"] for ch in theirs if ch["type"] == "raffle_block" and not ch["deleted"]
    ] == [100]


def test_oversized_or_bad_block_requests_write_nothing(
    app: Flask, client: FlaskClient, office: Office
) -> None:
    _raffle(app)  # one series: 100,000 positions
    till = register_till(app, client)
    gone = register_till(app, client, "LOJA-01", "PDV velho")
    revoke_terminal(SqlUnitOfWork.for_app(app), gone.terminal_id)
    assign_terminal_block(SqlUnitOfWork.for_app(app), "natal", till.terminal_id, 99_990)
    before = (_blocks(app), len(_audit(app, "raffle.block")))

    def refused(data: dict[str, str], lang: str = "en") -> str:
        office.client.set_cookie("tc_admin_lang", lang)
        r = office.post("/admin/raffles/natal/blocks", data, from_page="/admin/raffles/natal")
        assert r.status_code == 400
        return r.get_data(as_text=True)

    html = refused({"terminal_id": till.terminal_id, "size": "20"})
    assert "only 10 numbers are left in raffle natal; ask for 10 or fewer" in html
    assert 'name="size" required type="number" value="20"' in html  # the input is kept
    assert "restam só 10 números no sorteio natal" in refused(
        {"terminal_id": till.terminal_id, "size": "20"}, "pt-BR"
    )
    assert "is revoked" in refused({"terminal_id": gone.terminal_id, "size": "5"})
    assert "no terminal &#39;T-NOPE&#39;" in refused({"terminal_id": "T-NOPE", "size": "5"})
    refused({"terminal_id": till.terminal_id, "size": "0"})
    refused({"terminal_id": till.terminal_id, "size": "100001"})
    refused({"terminal_id": till.terminal_id, "size": "mil"})
    assert (_blocks(app), len(_audit(app, "raffle.block"))) == before
    # The revoked terminal is not offered.
    assert f'value="{gone.terminal_id}"' not in office.get("/admin/raffles/natal").get_data(
        as_text=True
    )
    # What is left can still be taken, exactly.
    r = office.post("/admin/raffles/natal/blocks", {"terminal_id": till.terminal_id, "size": "10"})
    assert r.status_code == 302
    assert _blocks(app)[-1] == (99_990, 10, till.terminal_id)
    html = refused({"terminal_id": till.terminal_id, "size": "1"})
    assert "every number of raffle natal is already reserved" in html


def test_number_owed_tickets_now(
    app: Flask, client: FlaskClient, office: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    _members(app)
    _raffle(app)
    till = register_till(app, client)
    assign_terminal_block(SqlUnitOfWork.for_app(app), "natal", till.terminal_id, 2)
    monkeypatch.setattr(ingest_rows, "assign_owed_tickets", lambda s, ids: 0)
    at = NOW - dt.timedelta(days=1)
    assert till.push([_sale(till, "m1", [None, None], at)])["rejected"] == []
    owed = RaffleTicketRow.status == TicketStatus.OWED
    assert _count(app, RaffleTicketRow, owed) == 2
    r = office.post("/admin/raffles/natal/owed", from_page="/admin/raffles/natal")
    assert r.status_code == 302
    page = office.get("/admin/raffles/natal").get_data(as_text=True)
    assert "2 owed tickets numbered." in page
    assert "Server reserve (owed tickets)" in page
    assert _count(app, RaffleTicketRow, owed) == 0
    with new_session(app) as s:
        numbers = s.scalars(select(RaffleTicketRow.number).where(RaffleTicketRow.by_server)).all()
    assert len(set(numbers)) == 2
    assert None not in numbers
    assert [a.detail["after"] for a in _audit(app, "raffle.number_owed")] == [{"numbered": 2}]
    # Nothing waiting: nothing changes, nothing audited.
    office.post("/admin/raffles/natal/owed")
    assert "No tickets were waiting for a number." in office.get("/admin/raffles/natal").get_data(
        as_text=True
    )
    assert len(_audit(app, "raffle.number_owed")) == 1


def _prizes(element: int) -> dict[str, str]:
    """Five Loteria Federal prizes whose unit digits, top down, spell ``element``."""
    digits = f"{element:05d}"
    return {f"prize{i + 1}": f"{i + 1}{i + 1}.{i + 1}{i + 1}{d}" for i, d in enumerate(digits)}


def test_draw_result_names_the_winner_with_cpf_masked(
    app: Flask, client: FlaskClient, office: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    _members(app)
    _raffle(app)
    till = register_till(app, client)
    assign_terminal_block(SqlUnitOfWork.for_app(app), "natal", till.terminal_id, 30)
    c = _campaign(app)
    numbers = [c.number_at(p) for p in range(30)]
    at = NOW - dt.timedelta(days=1)
    holders = {"m1": numbers[:10], "m2": numbers[10:20], "m3": numbers[20:]}
    events = [_sale(till, m, list(ns), at) for m, ns in holders.items()]
    assert till.push(events)["rejected"] == []
    draw_day = (NOW + dt.timedelta(days=21)).date().isoformat()
    form = {"contest": "6001", "drawn_on": draw_day, "excluded": ""}

    # An exact match: the holder of the drawn number wins.
    target = holders["m1"][3]
    r = office.post("/admin/raffles/natal/draw", form | _prizes(target))
    assert r.status_code == 302, r.get_data(as_text=True)
    page = office.get("/admin/raffles/natal").get_data(as_text=True)
    assert "Result recorded: 1 winner(s)." in page
    assert f'<dd id="drawn-number">{c.format_number(target)}</dd>' in page
    winners = page[page.index('id="winners"') :].split("</table>")[0]
    assert f'<td class="winning-number">{c.format_number(target)}</td>' in winners
    assert "Maria da Silva" in winners
    assert "***.533.447-**" in winners
    assert CPF not in page
    assert "39053344705" not in page

    # The drawn number's holder is not eligible (an employee): the nearest number wins,
    # above first at equal distance (an independent search over the distributed numbers).
    target = holders["m3"][0]
    eligible = [n for n in numbers if n not in holders["m3"]]
    best = min(eligible, key=lambda n: (abs(n - target), n < target))
    owner = next(m for m, ns in holders.items() if best in ns)
    r = office.post("/admin/raffles/natal/draw", form | _prizes(target) | {"excluded": "m3"})
    assert r.status_code == 302
    page = office.get("/admin/raffles/natal").get_data(as_text=True)
    winners = page[page.index('id="winners"') :].split("</table>")[0]
    assert f'<td class="winning-number">{c.format_number(best)}</td>' in winners
    assert {"m1": "Maria da Silva", "m2": "Mario Souza"}[owner] in winners
    assert "Func Ionária" not in winners
    entries = _audit(app, "raffle.draw")
    assert len(entries) == 2
    assert entries[1].detail["before"]["winners"][0]["member_id"] == "m1"
    assert entries[1].detail["after"]["winners"][0]["number"] == best
    assert entries[1].detail["after"]["excluded_member_ids"] == ["m3"]
    # The tills re-pull the raffle, but the result and its member ids stay at head office.
    changes, _ = till.pull_all()
    raffle = [ch["data"] for ch in changes if ch["type"] == "raffle" and not ch["deleted"]]
    assert raffle
    assert "permutation_key" in raffle[-1]["rules"]
    assert "draw_result" not in raffle[-1]["rules"]


def test_bad_draw_results_are_refused_and_store_nothing(
    app: Flask, client: FlaskClient, office: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    _members(app)
    _raffle(app)
    till = register_till(app, client)
    assign_terminal_block(SqlUnitOfWork.for_app(app), "natal", till.terminal_id, 5)
    monkeypatch.setattr(ingest_rows, "assign_owed_tickets", lambda s, ids: 0)
    c = _campaign(app)
    at = NOW - dt.timedelta(days=1)
    assert till.push([_sale(till, "m1", [c.number_at(0), None], at)])["rejected"] == []
    day = (NOW + dt.timedelta(days=21)).date()
    good = {"contest": "6001", "drawn_on": day.isoformat(), "excluded": ""} | _prizes(123)

    def refused(data: dict[str, str]) -> str:
        r = office.post("/admin/raffles/natal/draw", data, from_page="/admin/raffles/natal")
        assert r.status_code == 400
        return r.get_data(as_text=True)

    assert "1 tickets still wait for a number" in refused(good)
    office.post("/admin/raffles/natal/owed")
    early = (day - dt.timedelta(days=1)).isoformat()
    assert "is before this raffle&#39;s draw date" in refused(good | {"drawn_on": early})
    html = refused(good | {"prize2": "12a45"})
    assert "Prize 2: &#39;12a45&#39; is not a Loteria Federal number" in html
    assert "Unknown member ids: nobody" in refused(good | {"excluded": "m2\nnobody"})
    refused(good | {"prize5": ""})
    assert _audit(app, "raffle.draw") == []
    with new_session(app) as s:
        assert "draw_result" not in s.get_one(RaffleRow, "natal").rules


def test_create_raffle_from_the_form(app: Flask, office: Office) -> None:
    start = NOW.date() + dt.timedelta(days=1)
    form = {
        "raffle_id": "pascoa-2027",
        "name": "Páscoa Premiada",
        "authorisation": "SPA/MF 04.000999/2027",
        "spend_per_number": "80,00",
        "starts_on": start.isoformat(),
        "ends_on": (start + dt.timedelta(days=29)).isoformat(),
        "draw_date": (start + dt.timedelta(days=33)).isoformat(),
        "series_count": "10",
        "max_numbers_per_sale": "",
        "prizes": "3",
    }

    def refused(data: dict[str, str], lang: str = "en") -> str:
        office.client.set_cookie("tc_admin_lang", lang)
        r = office.post("/admin/raffles", data, from_page="/admin/raffles")
        assert r.status_code == 400
        return r.get_data(as_text=True)

    assert "The last day of sales is before the first." in refused(
        form | {"ends_on": (start - dt.timedelta(days=1)).isoformat()}
    )
    assert "O sorteio deve ser depois do último dia de vendas." in refused(
        form | {"draw_date": form["ends_on"]}, "pt-BR"
    )
    refused(form | {"series_count": "1001"})
    refused(form | {"authorisation": ""})
    refused(form | {"raffle_id": "páscoa 2027"})
    assert _count(app, RaffleRow) == 0
    assert _audit(app, "raffle.add") == []

    office.client.set_cookie("tc_admin_lang", "en")
    r = office.post("/admin/raffles", form, from_page="/admin/raffles")
    assert r.status_code == 302, r.get_data(as_text=True)
    assert r.headers["Location"].endswith("/admin/raffles/pascoa-2027")
    with new_session(app) as s:
        row = s.get_one(RaffleRow, "pascoa-2027")
        c = to_campaign(row)
    assert row.spend_per_number == Decimal("80.00")
    assert c.series_count == 10
    assert c.regulation.prizes == 3
    assert c.draw_date == start + dt.timedelta(days=33)
    # Days are São Paulo days (UTC-3): 00:00 there is 03:00 UTC.
    assert c.starts_at == dt.datetime.combine(start, dt.time(3), dt.UTC)
    assert c.ends_at == dt.datetime.combine(start + dt.timedelta(days=30), dt.time(3), dt.UTC)
    (entry,) = _audit(app, "raffle.add")
    assert entry.actor_id == "ana@hq.example"
    assert entry.detail["after"]["authorisation_number"] == "SPA/MF 04.000999/2027"
    assert "permutation_key" not in entry.detail["after"]["rules"]
    assert "Raffle pascoa-2027 exists already." in refused(form)
    assert _count(app, RaffleRow) == 1


def test_read_only_roles_change_nothing(app: Flask, client: FlaskClient) -> None:
    _raffle(app)
    till = register_till(app, client)
    add_admin(app, "aud@hq.example", "auditor")
    add_admin(app, "ger@hq.example", "store_manager", ("LOJA-01",))
    aud = Office(app.test_client())
    aud.login("aud@hq.example")
    ger = Office(app.test_client())
    ger.login("ger@hq.example")
    assert 'href="/admin/raffles"' in aud.get("/admin/").get_data(as_text=True)
    assert aud.get("/admin/raffles").status_code == 200
    page = aud.get("/admin/raffles/natal").get_data(as_text=True)
    assert "SPA/MF 04.000123/2026" in page
    assert 'id="reserve-block"' not in page
    assert 'id="draw-form"' not in page
    changes = ~AuditLog.action.like("%.refused")  # refused attempts are audited (issue 23)
    before = (_blocks(app), _count(app, AuditLog, changes), _count(app, RaffleRow))
    posts = {
        "/admin/raffles/natal/blocks": {"terminal_id": till.terminal_id, "size": "10"},
        "/admin/raffles/natal/owed": {},
        "/admin/raffles/natal/draw": {"contest": "1", "drawn_on": "2030-01-01"} | _prizes(1),
        "/admin/raffles": {"raffle_id": "x", "name": "X"},
    }
    for path, data in posts.items():
        assert aud.post(path, data).status_code == 403, path
    assert 'href="/admin/raffles"' not in ger.get("/admin/").get_data(as_text=True)
    assert ger.get("/admin/raffles/natal").status_code == 403
    blocks = posts["/admin/raffles/natal/blocks"]
    assert ger.post("/admin/raffles/natal/blocks", blocks).status_code == 403
    assert (_blocks(app), _count(app, AuditLog, changes), _count(app, RaffleRow)) == before
    assert _count(app, AuditLog, AuditLog.action == "access.refused") == len(posts) + 1
