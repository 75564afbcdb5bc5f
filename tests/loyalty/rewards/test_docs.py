"""The examples in docs/raffle.md and in the module docstrings run as doctests."""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest

from loyalty.rewards import ids, months, points, voucher_codes

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("module", [ids, months, points, voucher_codes])
def test_module_examples(module: object) -> None:
    result = doctest.testmod(module, raise_on_error=False)  # type: ignore[arg-type]
    assert result.attempted > 0
    assert result.failed == 0


def test_raffle_doc_example() -> None:
    result = doctest.testfile(str(ROOT / "docs" / "raffle.md"), module_relative=False)
    assert result.attempted > 0
    assert result.failed == 0
