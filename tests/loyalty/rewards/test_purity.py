"""loyalty/rewards is pure: it imports only the stdlib and loyalty itself (DESIGN.md)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import loyalty.rewards

PACKAGE = Path(loyalty.rewards.__file__).parent
FORBIDDEN = {"random", "secrets", "time", "socket", "sqlite3", "os", "subprocess", "uuid"}


def test_imports_only_stdlib_and_loyalty() -> None:
    bad: list[str] = []
    for path in sorted(PACKAGE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                if top == "loyalty":
                    continue
                if top not in sys.stdlib_module_names or top in FORBIDDEN:
                    bad.append(f"{path.name}: {name}")
    assert bad == []


def test_no_clock_reads() -> None:
    for path in sorted(PACKAGE.glob("*.py")):
        text = path.read_text()
        for call in ("datetime.now(", ".utcnow(", "date.today(", "datetime.today("):
            assert call not in text, f"{path.name} reads the clock: {call}"
