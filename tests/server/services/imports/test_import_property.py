"""Property: for random files with duplicates, bad rows and re-runs, the database ends the same
as one clean import of the good rows (members, opening balances and sales; both databases).
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from loyalty.identification import card_number
from server.models import Card, ImportKey, LedgerEntryRow, Member, Sale
from server.models.portal import ConsentRecord
from server.services.terminals import add_store
from server.services.uow import SqlUnitOfWork
from tests.server.conftest import _empty

from .conftest import Importer
from .files import cpf_for

MEMBERS = "id_externo;nome;cpf;email;telefone;nascimento;loja;cartao;consentimento_email\n"
BALANCES = "id_externo;cliente_id_externo;moeda;valor;data;validade\n"
SALES = "id_externo;cliente_id_externo;loja;data;total\n"
BAD_MEMBERS = [
    "{e};Nome;123.456.789-00;;;;;;\n",  # bad CPF
    "{e};Nome;;;;30/02/1990;;;\n",  # bad date
    "{e};Nome;;;;;LOJA-404;;\n",  # unknown store
    "{e};Nome;;x@;;;;;\n",  # bad e-mail
    "{e};;;;;;;;\n",  # no name
    "{e};Nome;;;;;;123;\n",  # bad card
]
BAD_BALANCES = ["{e};M0;pontos;1,5;;\n", "{e};M0;pontos;5;;40/01/2027\n", "{e};NOBODY;pontos;5;;\n"]
BAD_SALES = ["{e};M0;LOJA-404;01/02/2026;10,00\n", "{e};M0;LOJA-01;01/13/2026;10,00\n",
             "{e};M0;LOJA-01;01/02/2026;R$ x\n"]  # fmt: skip


@st.composite
def worlds(draw: st.DrawFn) -> dict[str, Any]:
    n = draw(st.integers(1, 6))
    members = []
    for i in range(n):
        cpf = cpf_for(i * 7 + 3) if draw(st.booleans()) else ""
        card = card_number(i + 1) if draw(st.booleans()) else ""
        members.append(
            f"M{i};Cliente {i};{cpf};m{i}@example.com;1198765432{i};0{1 + i}/02/1980;"
            f"LOJA-0{1 + i % 2};{card};{draw(st.sampled_from(['sim', 'não', '']))}\n"
        )
    balances = []
    for i in range(n):
        for j in range(draw(st.integers(0, 2))):
            points = draw(st.booleans())
            currency, amount = ("pontos", f"{10 + j}") if points else ("cashback", f"{10 + j},00")
            balances.append(f"B{i}-{j};M{i};{currency};{amount};01/0{1 + j}/2026;3{j}/12/2027\n")
    sales = [
        f"S{i}-{j};M{i};LOJA-0{1 + j % 2};1{j}/03/2026 10:00;{j + 1}2,50\n"
        for i in range(n)
        for j in range(draw(st.integers(0, 3)))
    ]
    return {
        "good": {"members": members, "balances": balances, "sales": sales},
        "bad": {
            "members": [
                b.format(e=f"X{k}")
                for k, b in enumerate(draw(st.lists(st.sampled_from(BAD_MEMBERS), max_size=3)))
            ],
            "balances": [
                b.format(e=f"XB{k}")
                for k, b in enumerate(draw(st.lists(st.sampled_from(BAD_BALANCES), max_size=2)))
            ],
            "sales": [
                b.format(e=f"XS{k}")
                for k, b in enumerate(draw(st.lists(st.sampled_from(BAD_SALES), max_size=2)))
            ],
        },  # fmt: skip
        "dups": draw(st.lists(st.integers(0, 100), max_size=4)),
        "runs": draw(st.integers(1, 3)),
        "batch": draw(st.integers(1, 4)),
        "mode": draw(st.sampled_from(["merge", "report"])),
        "order": draw(st.randoms(use_true_random=False)),
    }


def _snapshot(importer: Importer) -> dict[str, Any]:
    with importer.uow.reading() as s:
        ext = {t: e for e, t in s.execute(select(ImportKey.external_id, ImportKey.target_id))}
        members = sorted(
            (ext[m.id], m.name, m.cpf_hash, m.email, m.phone, m.birth_date, m.enrolled_store_id,
             m.consent_marketing, m.tier,
             importer.cipher.decrypt(m.cpf_encrypted, m.id) if m.cpf_encrypted else None)
            for m in s.scalars(select(Member))
        )  # fmt: skip
        cards = sorted((c.number, ext[c.member_id]) for c in s.scalars(select(Card)))
        consents = sorted(
            (ext[c.member_id], c.purpose, c.granted, c.channel)
            for c in s.scalars(select(ConsentRecord))
        )
        ledger = sorted(
            (ext[e.entry_id], ext[e.member_id], e.currency, e.kind, e.amount, e.effective_at,
             e.expires_at)
            for e in s.scalars(select(LedgerEntryRow))
        )  # fmt: skip
        sales = sorted(
            (x.sale_id, ext.get(x.member_id or ""), x.store_id, x.occurred_at, x.total)
            for x in s.scalars(select(Sale))
        )
    return {"members": members, "cards": cards, "consents": consents, "ledger": ledger,
            "sales": sales}  # fmt: skip


def _reset(app: Flask) -> None:
    _empty(app)
    add_store(SqlUnitOfWork.for_app(app), "LOJA-01", "Loja 1")
    add_store(SqlUnitOfWork.for_app(app), "LOJA-02", "Loja 2")


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(world=worlds())
def test_messy_files_and_re_runs_end_as_one_clean_import(
    importer: Importer, world: dict[str, Any]
) -> None:
    app = importer.app
    _reset(app)
    headers = {"members": MEMBERS, "balances": BALANCES, "sales": SALES}
    for kind in ("members", "balances", "sales"):
        rows = list(world["good"][kind]) + list(world["bad"][kind])
        for d in world["dups"]:  # exact repeats of good rows
            if world["good"][kind]:
                rows.append(world["good"][kind][d % len(world["good"][kind])])
        world["order"].shuffle(rows)
        for _ in range(world["runs"]):
            importer.run(kind, headers[kind] + "".join(rows), on_duplicate=world["mode"],
                         batch_size=world["batch"])  # fmt: skip
    messy = _snapshot(importer)
    _reset(app)
    for kind in ("members", "balances", "sales"):
        report = importer.run(kind, headers[kind] + "".join(world["good"][kind]))
        assert report.rejected_count == 0, [r.text("en") for r in report.rejected]
    clean = _snapshot(importer)
    assert messy == clean
    assert len(clean["members"]) == len(world["good"]["members"])
    assert len(clean["ledger"]) == len(world["good"]["balances"])
    assert len(clean["sales"]) == len(world["good"]["sales"])
