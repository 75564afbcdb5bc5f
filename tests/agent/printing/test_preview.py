"""Previews: plain text and PNG, with one golden PNG per template compared pixel-exactly.

Regenerate the goldens after an intended change with
``TILLCLUB_REGEN_GOLDEN=1 .venv/bin/python -m pytest tests/agent/printing/test_preview.py``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from agent.printing.document import Document, Text
from agent.printing.preview import CHAR_W, MARGIN, to_png, to_text
from agent.printing.profiles import profile_for
from agent.printing.templates import render_template

from .conftest import TEMPLATES, example

GOLDEN = Path(__file__).parent / "golden"
REGEN = os.environ.get("TILLCLUB_REGEN_GOLDEN") == "1"


@pytest.mark.parametrize("name", TEMPLATES)
def test_png_preview_matches_golden(name: str) -> None:
    image = to_png(render_template(name, example(name)), profile_for(80))
    path = GOLDEN / f"{name}.png"
    if REGEN:
        image.save(path, "PNG", optimize=True)
    with Image.open(path) as golden:
        golden.load()
        assert golden.mode == image.mode
        assert golden.size == image.size
        assert ImageChops.difference(golden, image).getbbox() is None, f"{name} differs"


def test_png_is_as_wide_as_the_paper_columns() -> None:
    doc = render_template("voucher", example("voucher"), "en")
    assert to_png(doc, profile_for(58)).width == 32 * CHAR_W + 2 * MARGIN
    assert to_png(doc, profile_for(80)).width == 48 * CHAR_W + 2 * MARGIN


def test_text_preview_lines_fit_the_paper() -> None:
    for name in TEMPLATES:
        for paper in (58, 80):
            text = to_text(render_template(name, example(name)), profile_for(paper))
            width = {58: 32, 80: 48}[paper]
            assert all(len(line) <= width for line in text.splitlines()), name


def test_text_preview_shows_double_width_spaced_and_centred() -> None:
    text = to_text(Document((Text("VALE", align="center", size="double"),)), profile_for(58))
    assert text.splitlines()[0] == " " * 12 + "V A L E"  # 16 double columns, centred


def test_preview_shows_what_the_code_page_prints() -> None:
    text = to_text(
        Document(
            (
                Text(
                    "€ 5",
                ),
            )
        ),
        profile_for(80, codepage="CP437"),
    )
    assert text.startswith("EUR 5")
