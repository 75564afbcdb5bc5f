"""Templates in printer_templates/ render pt-BR and English slips from plain dicts."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from agent.printing.document import QR, Barcode, Pair, Text
from agent.printing.errors import TemplateError
from agent.printing.preview import to_text
from agent.printing.profiles import profile_for
from agent.printing.templates import available, render_template
from loyalty.money import Money

from .conftest import TEMPLATES, example


def test_the_four_templates_ship() -> None:
    assert set(TEMPLATES) <= set(available())


@pytest.mark.parametrize("name", TEMPLATES)
@pytest.mark.parametrize("lang", ["pt-BR", "en"])
def test_every_template_renders_in_both_languages(name: str, lang: str) -> None:
    doc = render_template(name, example(name), lang)
    assert doc.blocks
    assert doc.cut


def text_of(name: str, data: dict[str, Any], lang: str = "pt-BR", paper: int = 80) -> str:
    return to_text(render_template(name, data, lang), profile_for(paper))


def test_loyalty_slip_explains_each_discount_with_its_rule_name() -> None:
    text = text_of("loyalty_slip", example("loyalty_slip"))
    lines = text.splitlines()
    assert "Arroz Tipo 1 5kg" in lines
    assert "  Leve 3 pague 2" + " " * 23 + "-R$ 27,90" in lines
    assert any(
        line.startswith("  Cupom 10% mercearia") and line.endswith("-R$ 1,29") for line in lines
    )
    assert "Saldo de pontos" + " " * 28 + "1.234" in lines
    assert any(line.endswith("R$ 17,50") and "Saldo de cashback" in line for line in lines)
    assert "Maria S." in text
    assert "**** 4206" in text


def test_loyalty_slip_in_english_and_without_cashback() -> None:
    data = example("loyalty_slip")
    del data["cashback"]
    text = text_of("loyalty_slip", data, "en")
    assert "Points balance" in text
    assert "1,234" in text
    assert "Cashback" not in text
    assert "2026-11-23 14:05" in text


def test_voucher_prints_value_validity_and_code128_or_qr() -> None:
    data = example("voucher")
    doc = render_template("voucher", data)
    assert Barcode("VC7QX2K9", "CODE128") in doc.blocks
    assert Pair("Válido até", "31/12/2026", bold=True) in doc.blocks
    assert any(isinstance(b, Text) and b.text == "R$ 20,00" for b in doc.blocks)
    data["voucher"]["symbology"] = "qr"
    assert QR("VC7QX2K9", 6) in render_template("voucher", data).blocks


def test_raffle_slip_carries_numbers_draw_date_and_authorisation() -> None:
    text = text_of("raffle_numbers", example("raffle_numbers"))
    assert "Série 012  Nº 34567" in text
    assert "Série 003  Nº 00791" in text
    assert "Seus números (3)" in text
    assert "26/12/2026" in text
    assert "Certificado de Autorização SPA/MF nº" in text
    assert "04.012345/2026" in text


def test_next_purchase_coupon_has_its_qr_and_validity() -> None:
    doc = render_template("next_purchase_coupon", example("next_purchase_coupon"), "en")
    assert QR("NP-4F7K-22QM", 5) in doc.blocks
    assert Pair("Valid until", "2026-12-07", bold=True) in doc.blocks


def test_missing_data_names_the_path() -> None:
    data = example("raffle_numbers")
    del data["campaign"]["authorization"]
    with pytest.raises(TemplateError, match="'campaign.authorization'") as err:
        render_template("raffle_numbers", data)
    assert "precisa do dado 'campaign.authorization'" in err.value.message_pt


def test_an_unmasked_cpf_or_card_never_prints() -> None:
    data = example("raffle_numbers")
    data["member"]["cpf"] = "390.533.447-05"
    render_template("raffle_numbers", data)  # punctuated: no 7-digit run, but see below
    data["member"]["cpf"] = "39053344705"
    with pytest.raises(TemplateError, match="member.cpf looks unmasked"):
        render_template("raffle_numbers", data)
    slip = example("loyalty_slip")
    slip["member"]["card"] = "2900000004207"
    with pytest.raises(TemplateError, match="member.card"):
        render_template("loyalty_slip", slip)


def test_money_accepts_money_decimal_and_text_but_never_float() -> None:
    data = example("voucher")
    for value in (Money("20"), Decimal("20.00"), "20.00", 20):
        data["voucher"]["value"] = value
        doc = render_template("voucher", data)
        assert any(isinstance(b, Text) and b.text == "R$ 20,00" for b in doc.blocks)
    data["voucher"]["value"] = 20.0
    with pytest.raises(TemplateError, match="float"):
        render_template("voucher", data)


def test_unknown_template_and_language_are_clear_errors() -> None:
    with pytest.raises(TemplateError, match="no printer template 'receipt'.*voucher"):
        render_template("receipt", {})
    with pytest.raises(TemplateError, match="'../etc/passwd'"):
        render_template("../etc/passwd", {})
    with pytest.raises(TemplateError, match="pt-BR or en; got 'fr'"):
        render_template("voucher", example("voucher"), "fr")
    assert render_template("voucher", example("voucher"), "en_US") == render_template(
        "voucher", example("voucher"), "en"
    )


def test_templates_run_sandboxed() -> None:
    data = example("voucher")
    data["voucher"]["code"] = "X"
    data["store"]["name"] = "{{ ''.__class__.__mro__ }}"  # data is never evaluated
    assert "__class__" in text_of("voucher", data)


def write_template(directory: Path, name: str, spec: dict[str, Any]) -> None:
    (directory / f"{name}.json").write_text(json.dumps(spec), encoding="utf-8")


GOOD = {
    "requires": [],
    "strings": {"pt-BR": {"t": "Olá"}, "en": {"t": "Hello"}},
    "blocks": [{"type": "text", "text": "{{ s.t }}"}],
}


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"blocks": [{"type": "txt", "text": "x"}]}, r"blocks\[0\]: type must be one of"),
        ({"blocks": [{"type": "pair", "pair": ["a"]}]}, r"blocks\[0\].pair: expected 2 items"),
        (
            {"blocks": [{"type": "text", "text": "x", "colour": 1}]},
            r"blocks\[0\]: unknown key\(s\) colour",
        ),
        (
            {"blocks": [{"type": "text", "text": "x", "align": "middle"}]},
            r"blocks\[0\].align: must be",
        ),
        ({"blocks": [{"type": "text", "text": "{{ s.t "}]}, r"blocks\[0\].text: bad expression"),
        (
            {"blocks": [{"type": "if", "test": "x", "blocks": [{"type": "barcode"}]}]},
            r"blocks\[0\].blocks\[0\]: missing data",
        ),
        (
            {"strings": {"pt-BR": {"t": "a", "u": "b"}, "en": {"t": "a"}}},
            "strings: pt-BR and en differ in u",
        ),
        ({"strings": {"pt-BR": {}}}, "strings: expected exactly pt-BR, en"),
        ({"requires": "store.name"}, "requires: expected a list"),
    ],
)
def test_broken_templates_are_reported_by_file_and_path(
    tmp_path: Path, change: dict[str, Any], problem: str
) -> None:
    write_template(tmp_path, "good", GOOD)
    assert render_template("good", {}, directory=tmp_path).blocks == (Text("Olá"),)
    write_template(tmp_path, "broken", {**GOOD, **change})
    with pytest.raises(TemplateError, match=f"broken template broken.json: {problem}"):
        render_template("broken", {}, directory=tmp_path)


def test_qr_size_and_feed_lines_are_numbers(tmp_path: Path) -> None:
    write_template(tmp_path, "qr", {**GOOD, "blocks": [{"type": "qr", "data": "x", "size": 40}]})
    with pytest.raises(TemplateError, match=r"blocks\[0\].size: must be a whole number 1-16"):
        render_template("qr", {}, directory=tmp_path)
