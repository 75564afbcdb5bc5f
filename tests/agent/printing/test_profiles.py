"""Printer profiles: paper width to columns, and the code page bytes of pt-BR accents."""

from __future__ import annotations

import pytest
from escpos.printer import Dummy

from agent.printing.errors import PrintConfigError
from agent.printing.profiles import PrinterProfile, profile_for


@pytest.mark.parametrize(
    ("paper", "columns", "dots"), [(58, None, 384), (80, None, 576), (80, 42, 512)]
)
def test_paper_width_gives_columns_and_dots(paper: int, columns: int | None, dots: int) -> None:
    profile = profile_for(paper, columns)
    assert profile.columns == (columns or {58: 32, 80: 48}[paper])
    assert profile.width_px == dots
    escpos = profile.escpos_profile()
    assert escpos.profile_data["media"]["width"] == {"mm": paper, "pixels": dots}
    assert escpos.get_columns("a") == profile.columns


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({"paper_mm": 76}, "paper_mm.*76"),
        ({"paper_mm": 58, "columns": 48}, "columns.*48"),
        ({"codepage": "UTF8"}, "codepage.*'UTF8'"),
        ({"qr": "svg"}, "qr.*'svg'"),
        ({"width": 80}, "unknown.*width"),
    ],
)
def test_bad_profile_settings_name_the_value(values: dict[str, object], named: str) -> None:
    with pytest.raises(PrintConfigError, match=named):
        PrinterProfile.from_mapping(values)


def test_from_mapping_picks_the_usual_columns() -> None:
    assert PrinterProfile.from_mapping({"paper_mm": 58, "codepage": "cp850"}) == PrinterProfile(
        58, 32, "CP850"
    )


def accents(codepage: str) -> bytes:
    printer = Dummy(profile=profile_for(80, codepage=codepage).escpos_profile())
    printer.charcode(codepage)
    printer.text("ã ç é Ã Ç É õ ê ô á\n")
    return printer.output


def test_cp860_bytes_for_portuguese_accents_verified_on_python_escpos_3_1() -> None:
    """ESC t 3 selects PC860 (Portuguese); ã=0x84, ç=0x87, é=0x82, Ã=0x8E, Ç=0x80, É=0x90,
    õ=0x94, ê=0x88, ô=0x93, á=0xA0 (checked byte by byte against the PC860 table)."""
    assert accents("CP860") == (b"\x1bt\x03\x84 \x87 \x82 \x8e \x80 \x90 \x94 \x88 \x93 \xa0\n")


def test_cp850_bytes_for_portuguese_accents_verified_on_python_escpos_3_1() -> None:
    """ESC t 2 selects PC850 (Multilingual); ã=0xC6, Ã=0xC7, õ=0xE4, the rest as CP860."""
    assert accents("CP850") == (b"\x1bt\x02\xc6 \x87 \x82 \xc7 \x80 \x90 \xe4 \x88 \x93 \xa0\n")


def test_auto_code_page_would_pick_turkish_which_is_why_profiles_force_one() -> None:
    """python-escpos 3.1 on AUTO encodes "ã" via CP857 (ESC t 13), absent on many BR printers."""
    printer = Dummy(profile=profile_for(80).escpos_profile())
    printer.text("ã")
    assert printer.output == b"\x1bt\r\xc6"


def test_characters_outside_the_code_page_are_folded_not_questioned() -> None:
    profile = profile_for(80)
    assert profile.fold("€ 5 “promoção” – já") == 'EUR 5 "promoção" - já'
    assert (
        profile_for(80, codepage="CP437").fold("Promoção São João") == "Promoçao Sao Joao"
    )  # CP437 has ç, lacks ã


def test_image_qr_needs_no_width_warning_with_a_profile(capsys: pytest.CaptureFixture[str]) -> None:
    """pytest runs with warnings as errors; the profile's pixel width silences escpos."""
    printer = Dummy(profile=profile_for(58, qr="image").escpos_profile())
    printer.qr("https://example.com/x", size=4, native=False, center=True)
    assert b"\x1dv0" in printer.output  # GS v 0 raster image
    assert capsys.readouterr().out == ""
