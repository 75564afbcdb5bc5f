"""The boundaries of DESIGN.md's layout, checked on the source itself."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The pure core may use the standard library, a crypto library for code signatures, and
# python-stdnum for check digits (the Foundation issue asks for a well-kept library there).
LOYALTY_ALLOWED = set(sys.stdlib_module_names) | {"cryptography", "stdnum", "loyalty"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_loyalty_imports_only_stdlib_and_crypto() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imports(path) - LOYALTY_ALLOWED)
        for path in (ROOT / "loyalty").rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_loyalty_never_reads_the_clock_or_randomness() -> None:
    """Time and ids are passed in: the same basket prices the same at the till and server."""
    banned_modules = {"random", "secrets", "time", "uuid"}
    banned_calls = {"now", "utcnow", "today", "urandom", "token_bytes", "generate"}
    hits = []
    for path in (ROOT / "loyalty").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                hits += [
                    f"{path.name}: import {name}"
                    for name in _imports_of(node)
                    if name.split(".")[0] in banned_modules
                ]
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                if node.func.attr in banned_calls:
                    hits.append(f"{path.name}:{node.lineno}: .{node.func.attr}()")
    assert hits == []


def _imports_of(node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    return [node.module] if node.module and node.level == 0 else []


def test_every_module_opens_with_a_docstring() -> None:
    missing = []
    for package in ("loyalty", "agent", "plugins", "server", "tillclub"):
        for path in (ROOT / package).rglob("*.py"):
            if "migrations/versions" in str(path):
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            if path.stat().st_size and ast.get_docstring(tree) is None:
                missing.append(str(path.relative_to(ROOT)))
    assert missing == []
