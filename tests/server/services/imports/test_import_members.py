"""Members: what a file of members creates, what a bad row says, and what a re-run changes."""

from __future__ import annotations

from sqlalchemy import select

from server.models import AuditLog, Card, ImportRun, Member
from server.models.portal import ConsentRecord

from .conftest import EXAMPLES, Importer

HEADER = "id_externo;nome;cpf;email;telefone;nascimento;loja;cartao\n"


def test_the_sample_file_creates_its_members_cards_and_consents(importer: Importer) -> None:
    report = importer.run("members", EXAMPLES / "members.csv")
    assert (report.rows_read, report.created, report.rejected_count) == (3, 3, 0)
    rows = importer.rows(select(Member).order_by(Member.name))
    maria = next(m for (m,) in rows if m.name == "Maria da Silva")
    assert maria.phone == "+5511987654321"
    assert maria.email == "maria@example.com"
    assert maria.enrolled_store_id == "LOJA-01"
    assert maria.birth_date.isoformat() == "1985-03-15"
    assert maria.consent_terms
    assert maria.consent_marketing
    assert maria.cpf_hash == importer.cipher.lookup_hash("52998224725")
    assert importer.cipher.decrypt(maria.cpf_encrypted, maria.id) == "52998224725"
    assert maria.change_seq > 0
    cards = {c.number: c.member_id for (c,) in importer.rows(select(Card))}
    assert cards == {"2900000000018": maria.id, "2700000012345": cards["2700000012345"]}
    consents = importer.rows(
        select(ConsentRecord.purpose, ConsentRecord.granted, ConsentRecord.channel).where(
            ConsentRecord.member_id == maria.id
        )
    )
    assert sorted(consents) == [
        ("marketing_email", True, "loja"),
        ("marketing_sms", False, "loja"),
        ("terms", True, "loja"),
    ]


def test_re_running_the_same_file_changes_nothing(importer: Importer) -> None:
    importer.run("members", EXAMPLES / "members.csv")
    seq = importer.rows(select(Member.id, Member.change_seq).order_by(Member.id))
    again = importer.run("members", EXAMPLES / "members.csv")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert importer.rows(select(Member.id, Member.change_seq).order_by(Member.id)) == seq
    assert importer.count(Member) == 3


def test_bad_rows_are_rejected_with_line_and_reason_and_the_good_ones_go_in(
    importer: Importer,
) -> None:
    text = HEADER + (
        "A1;Boa;529.982.247-25;;;;LOJA-01;\n"
        "A2;CPF errado;529.982.247-24;;;;;\n"
        "A3;Data ruim;;;;31/02/1990;;\n"
        "A4;Loja nenhuma;;;;;LOJA-99;\n"
        "A5;Telefone;;;12ab;;;\n"
        "A6;Cartão;;;;;;1234567890123\n"
        "A7;Dup CPF;52998224725;;;;;\n"
        ";Sem id;;;;;;\n"
        "A9;Outra boa;;a9@example.com;;;;\n"
    )
    report = importer.run("members", text)
    assert (report.created, report.rejected_count) == (2, 7)
    got = {r.line: r.code for r in report.rejected}
    assert got == {
        3: "bad_cpf",
        4: "bad_date",
        5: "unknown_store",
        6: "bad_phone",
        7: "bad_card",
        8: "duplicate_cpf",
        9: "missing_field",
    }
    cpf_reason = next(r for r in report.rejected if r.code == "bad_cpf")
    assert "529.982.247-24" not in cpf_reason.text("pt-BR")
    assert cpf_reason.text("pt-BR").startswith("CPF ***.982.247-** inválido")
    assert cpf_reason.text("en").endswith("is not valid")


def test_a_duplicate_by_cpf_is_merged_or_reported_as_asked(importer: Importer) -> None:
    importer.run("members", HEADER + "A1;Maria;529.982.247-25;;;;;\n")
    dup = HEADER + "B7;Maria S.;52998224725;m@example.com;;;;\n"
    reported = importer.run("members", dup, on_duplicate="report")
    assert [r.code for r in reported.rejected] == ["duplicate_cpf"]
    merged = importer.run("members", dup, on_duplicate="merge")
    assert (merged.created, merged.updated) == (0, 1)
    (m,) = [m for (m,) in importer.rows(select(Member))]
    assert (m.name, m.email) == ("Maria S.", "m@example.com")
    # the old system's second id now names the same member: a re-run is unchanged
    assert importer.run("members", dup, on_duplicate="report").unchanged == 1


def test_a_row_whose_keys_name_two_members_is_refused_in_both_modes(importer: Importer) -> None:
    importer.run("members", HEADER + "A1;Um;529.982.247-25;;;;;\nA2;Dois;;;;;;2900000000018\n")
    for mode in ("merge", "report"):
        r = importer.run("members", HEADER + "A1;Um;;;;;;2900000000018\n", on_duplicate=mode)
        assert [x.code for x in r.rejected] == ["conflict"]


def test_duplicates_inside_one_file_are_never_doubled(importer: Importer) -> None:
    text = (
        HEADER + "A1;Um;529.982.247-25;;;;;\nA1;Um;529.982.247-25;;;;;\nA2;Dois;52998224725;;;;;\n"
    )
    plan = importer.plan("members", text)
    assert (plan.created, plan.unchanged, plan.rejected_count) == (1, 1, 1)
    report = importer.run("members", text, batch_size=2)
    assert (report.created, report.unchanged, report.rejected_count) == (1, 1, 1)
    assert importer.count(Member) == 1


def test_a_dry_run_writes_nothing(importer: Importer) -> None:
    plan = importer.plan("members", EXAMPLES / "members.csv")
    assert (plan.dry_run, plan.created, plan.run_id) == (True, 3, None)
    assert importer.count(Member) == 0
    assert importer.count(ImportRun) == 0


def test_every_run_is_recorded_and_audited(importer: Importer) -> None:
    report = importer.run("members", EXAMPLES / "members.csv", actor="ana@hq")
    (run,) = [r for (r,) in importer.rows(select(ImportRun))]
    assert (run.kind, run.status, run.created, run.actor) == ("members", "done", 3, "ana@hq")
    assert run.file_sha256 == report.file_sha256
    assert len(run.file_sha256) == 64
    audits = importer.rows(
        select(AuditLog.action, AuditLog.actor_id, AuditLog.detail)
        .where(AuditLog.target_type == "import_run")
        .order_by(AuditLog.id)
    )
    assert [(a, who) for a, who, _ in audits] == [
        ("import.start", "ana@hq"),
        ("import.finish", "ana@hq"),
    ]
    assert audits[1][2]["created"] == 3
    assert audits[0][2]["sha256"] == run.file_sha256


def test_comma_delimited_windows_1252_without_bom_is_read(importer: Importer) -> None:
    text = "id_externo,Nome,E-mail\r\nX1,José Conceição,jose@example.com\r\n"
    report = importer.run("members", importer.file(text, "cp1252"))
    assert report.created == 1
    assert importer.rows(select(Member.name)) == [("José Conceição",)]
