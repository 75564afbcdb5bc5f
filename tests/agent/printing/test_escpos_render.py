"""Document → ESC/POS bytes through python-escpos (rendered on escpos's Dummy)."""

from __future__ import annotations

import pytest

from agent.printing.document import QR, Barcode, Document, Feed, Pair, Rule, Text
from agent.printing.errors import TemplateError
from agent.printing.escpos_render import render
from agent.printing.profiles import profile_for

ESC, GS = b"\x1b", b"\x1d"


def test_job_starts_with_init_and_the_forced_code_page() -> None:
    out = render(Document((Text("Olá"),), cut=False), profile_for(80))
    assert out.startswith(ESC + b"@" + ESC + b"t\x03")
    assert b"Ol\xa0\n" in out


def test_alignment_emphasis_and_size_commands() -> None:
    doc = Document((Text("VALE", align="center", bold=True, size="double"), Text("fim")), cut=False)
    out = render(doc, profile_for(80))
    title = out.index(b"VALE\n")
    head = out[:title]
    assert head.endswith(ESC + b"E\x01" + ESC + b"-\x00" + ESC + b"a\x01")  # bold, centred
    assert ESC + b"!\x30" in head  # double width and height
    tail = out[title:]
    assert ESC + b"E\x00" in tail
    assert ESC + b"a\x00" in tail
    assert ESC + b"!\x00" in tail


def test_pair_puts_the_value_flush_right_at_the_paper_width() -> None:
    out = render(Document((Pair("Pontos", "1.234"),), cut=False), profile_for(58))
    assert b"Pontos" + b" " * 21 + b"1.234\n" in out  # 6 + 21 + 5 = 32 columns


def test_long_text_wraps_to_32_columns_on_58_mm() -> None:
    text = "Apresente este cupom ou o seu cartão do clube no caixa"
    out = render(Document((Text(text), Rule()), cut=False), profile_for(58))
    lines = [line for line in out.split(b"\n") if line and not line.startswith(ESC)]
    assert all(len(line) <= 32 for line in lines)
    assert b"-" * 32 + b"\n" in out


def test_code128_barcode_command_carries_the_data() -> None:
    out = render(Document((Barcode("VC7QX2K9"),), cut=False), profile_for(80))
    # GS k 73 (Code 128, function B), length 10, "{B" selects code set B
    assert GS + b"kI\x0a{BVC7QX2K9" in out
    assert GS + b"w\x03" in out
    assert GS + b"H\x02" in out


def test_ean13_barcode_command() -> None:
    out = render(Document((Barcode("2900000004207", "EAN13"),), cut=False), profile_for(58))
    assert GS + b"k\x022900000004207\x00" in out  # function A, NUL-terminated
    assert GS + b"w\x03" in out


def test_native_qr_commands_carry_the_data() -> None:
    out = render(Document((QR("NP-4F7K-22QM", size=5),), cut=False), profile_for(80))
    assert GS + b"(k\x03\x001C\x05" in out  # module size 5
    assert GS + b"(k\x0f\x001P0NP-4F7K-22QM" in out  # pL = 12 data bytes + 3
    assert GS + b"(k\x03\x001Q0" in out  # print


def test_cut_and_feed() -> None:
    out = render(Document((Feed(2),)), profile_for(80))
    assert out.endswith(ESC + b"d\x06" + GS + b"V\x00")
    assert render(Document((Feed(2),)), profile_for(80, cut=False)).endswith(b"\n\n")


def test_barcode_too_wide_for_58_mm_is_refused() -> None:
    with pytest.raises(TemplateError, match="too wide for 58 mm"):
        render(Document((Barcode("X" * 20),)), profile_for(58))
    assert render(Document((Barcode("X" * 20),)), profile_for(80))  # 80 mm takes it


@pytest.mark.parametrize(
    "block",
    [Barcode("12345", "EAN13"), Barcode("ação"), Barcode("1", "PDF417"), QR("")],  # type: ignore[arg-type]
)
def test_codes_that_cannot_print_are_refused(block: Barcode | QR) -> None:
    with pytest.raises(TemplateError):
        render(Document((block,)), profile_for(80))


def test_document_json_round_trip() -> None:
    doc = Document(
        (
            Text("a", "center", True, False, "double"),
            Pair("b", "c"),
            Rule("="),
            Barcode("X1"),
            QR("q", 4),
            Feed(2),
        ),
        cut=False,
    )
    assert Document.from_json(doc.to_json()) == doc
