"""The examples in the loyalty core's docstrings are run, so they cannot lie."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import loyalty

MODULES = sorted(info.name for info in pkgutil.walk_packages(loyalty.__path__, prefix="loyalty."))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, verbose=False)
    assert result.failed == 0
