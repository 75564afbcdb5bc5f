"""The unit of work is the one audit writer: every ``audit_log`` row is written by it.

The test walks the source of ``server/`` and lists every place that builds an ``AuditLog`` row
or inserts into ``audit_log`` (an ORM constructor call, ``insert(AuditLog)``, raw SQL). Anything
but ``SqlUnitOfWork.audit`` fails it: a use case records a change with ``uow.audit`` (or
``uow.audit_change`` for a head-office user's change, with before and after).
"""

from __future__ import annotations

import ast
from pathlib import Path

SERVER = Path(__file__).resolve().parents[3] / "server"
THE_WRITER = "services/uow.py:SqlUnitOfWork.audit"


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _writes(tree: ast.AST) -> list[tuple[int, str]]:
    """``(line, what)`` for each AuditLog construction or insert in ``tree``."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            callee = _name(node.func)
            if callee == "AuditLog":
                found.append((node.lineno, "AuditLog(...)"))
            elif callee == "insert" and node.args:
                target = node.args[0]
                text = ast.unparse(target)
                if "AuditLog" in text or "audit_log" in text:
                    found.append((node.lineno, f"insert({text})"))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if "insert into audit_log" in " ".join(node.value.lower().split()):
                found.append((node.lineno, "INSERT INTO audit_log"))
    return found


def _where(tree: ast.Module, line: int) -> str:
    """The ``Class.method`` or function enclosing ``line``."""
    best = "<module>"

    def visit(node: ast.AST, prefix: str) -> None:
        nonlocal best
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                end = child.end_lineno or child.lineno
                if child.lineno <= line <= end:
                    best = prefix + child.name
                    visit(child, best + ".")

    visit(tree, "")
    return best


def audit_writers() -> dict[str, list[str]]:
    """Every place in ``server/`` (migrations aside) that writes an audit row."""
    out: dict[str, list[str]] = {}
    for path in sorted(SERVER.rglob("*.py")):
        if "migrations" in path.parts:
            continue  # the schema and its trigger, not writers
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for line, what in _writes(tree):
            place = f"{path.relative_to(SERVER).as_posix()}:{_where(tree, line)}"
            out.setdefault(place, []).append(f"line {line}: {what}")
    return out


def test_the_unit_of_work_is_the_only_audit_writer() -> None:
    assert list(audit_writers()) == [THE_WRITER], audit_writers()


def test_the_walk_finds_a_writer_where_there_is_one() -> None:
    """The check itself can fail: each way of writing a row is seen."""
    source = """
class Repo:
    def log(self, s):
        s.add(AuditLog(action="x"))

def raw(s):
    s.execute(insert(AuditLog.__table__).values(action="x"))
    s.execute(text("INSERT  INTO audit_log (action) VALUES ('x')"))
"""
    tree = ast.parse(source)
    places = {_where(tree, line) for line, _ in _writes(tree)}
    assert places == {"Repo.log", "raw"}
    assert len(_writes(tree)) == 3
