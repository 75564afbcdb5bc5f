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


# The server's layers (docs/architecture.md): views parse the request, call one use case and
# render; use cases (``server/services``) work through the unit of work on the models; the
# models know neither. Imports point down only.
SERVER = ROOT / "server"
VIEWS = ("server.admin.views", "server.portal.views_", "server.portal.blueprint", "server.api")
SERVICES = ("server.services",)
MODELS = ("server.models",)
# The blueprints and their views, and the request side of the one i18n (a use case that
# renders text takes the language as an argument: ``server.i18n.translate``, ``formats``).
WEB = ("server.admin", "server.portal", "server.api", "server.i18n.web")
# What a use case may take from Flask: the app type, for the unit of work's factory. Never the
# request, ``g``, the session cookie or a blueprint.
SERVICE_FLASK_NAMES = {"Flask"}


def _module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolved_imports(path: Path, root: Path = ROOT) -> list[tuple[str, list[str]]]:
    """``(module, names)`` for every import in ``path``, relative imports made absolute."""
    here = _module_name(path, root)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    out: list[tuple[str, list[str]]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[: len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            names = [alias.name for alias in node.names]
            out.append((module, names))
            # ``from . import views`` imports a submodule: check it as a module too.
            out += [(f"{module}.{name}", []) for name in names]
    return out


def _in(module: str, layer: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p if p.endswith("_") else p + ".") for p in layer)


def _server_modules() -> list[Path]:
    return [p for p in SERVER.rglob("*.py") if "migrations" not in p.parts]


def _layer_violations(root: Path = ROOT) -> list[str]:
    bad = []
    for path in (p for p in (root / "server").rglob("*.py") if "migrations" not in p.parts):
        me = _module_name(path, root)
        for module, names in _resolved_imports(path, root):
            if _in(me, MODELS) and (_in(module, SERVICES) or _in(module, WEB)):
                bad.append(f"{me} (a model) imports {module}")
            if _in(me, SERVICES):
                if _in(module, WEB):
                    bad.append(f"{me} (a use case) imports {module}")
                if module.split(".")[0] in {"flask_wtf", "wtforms", "werkzeug"}:
                    bad.append(f"{me} (a use case) imports {module}")
                if module == "flask" and set(names) - SERVICE_FLASK_NAMES:
                    bad.append(f"{me} (a use case) imports flask's {sorted(set(names))}")
    return sorted(set(bad))


def test_server_layers_point_down_only() -> None:
    """Views -> services -> models: models import no services or views, services no views,
    blueprints or Flask request state."""
    assert _layer_violations() == []


# The portal's domain modules: its use cases (each takes the unit of work) and read models.
# They live beside the portal's views but, like ``server/services``, never touch the request.
PORTAL_DOMAIN = ("accounts", "cards", "consents", "lgpd", "reset", "wallet")


def test_the_portals_domain_modules_do_not_read_the_request() -> None:
    found = []
    for name in PORTAL_DOMAIN:
        path = SERVER / "portal" / f"{name}.py"
        for module, _ in _resolved_imports(path):
            if module.split(".")[0] in {"flask", "flask_wtf", "wtforms", "werkzeug"} or _in(
                module, ("server.portal.blueprint", "server.portal.views_", "server.i18n.web")
            ):
                found.append(f"server.portal.{name} imports {module}")
    assert found == []


# Views that may open a session of their own instead of the unit of work's: none.
VIEWS_OPENING_SESSIONS: set[str] = set()


def test_views_take_their_sessions_from_the_unit_of_work() -> None:
    """A view hands a unit of work to a use case, or reads through ``uow().reading()``;
    it never opens ``new_session()`` itself."""
    found = set()
    for path in _server_modules():
        me = _module_name(path)
        if not _in(me, VIEWS):
            continue
        for module, names in _resolved_imports(path):
            if module == "server.db" and "new_session" in names:
                found.add(me)
    assert found == VIEWS_OPENING_SESSIONS


def test_the_layer_check_sees_violations(tmp_path: Path) -> None:
    """The check can fail: a model importing a use case (relative import) and a use case
    reading Flask's request or importing a view are each seen."""
    for folder in ("server/models", "server/services", "server/admin/views"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "server/models/probe.py").write_text("from ..services import uow\n")
    (tmp_path / "server/services/probe.py").write_text(
        "from flask import Flask, request\nfrom ..admin.views import members\n"
    )
    assert _layer_violations(tmp_path) == [
        "server.models.probe (a model) imports server.services",
        "server.models.probe (a model) imports server.services.uow",
        "server.services.probe (a use case) imports flask's ['Flask', 'request']",
        "server.services.probe (a use case) imports server.admin.views",
        "server.services.probe (a use case) imports server.admin.views.members",
    ]


# The parts of DESIGN.md's layout and which of the project's own packages each may import
# (third-party libraries aside; ``loyalty`` is checked more strictly above). ``tillclub``, the
# console command, may import everything; nothing imports it.
OWN_PACKAGES = {"loyalty", "agent", "plugins", "server", "tillclub"}
MAY_IMPORT = {
    "loyalty": {"loyalty"},
    "plugins": {"plugins", "loyalty"},
    "agent": {"agent", "plugins", "loyalty"},
    "server": {"server", "loyalty"},
    "tillclub": OWN_PACKAGES,
}


def _part_violations(root: Path = ROOT) -> list[str]:
    bad = []
    for part, allowed in MAY_IMPORT.items():
        for path in (root / part).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for module, _ in _resolved_imports(path, root):
                top = module.split(".")[0]
                if top in OWN_PACKAGES and top not in allowed:
                    bad.append(f"{_module_name(path, root)} ({part}) imports {module}")
    return sorted(set(bad))


def test_each_part_imports_only_the_parts_below_it() -> None:
    """loyalty <- plugins <- agent; loyalty <- server; tillclub on top: the till never needs the
    server's code and the server never the till's, so each ships and runs alone."""
    assert _part_violations() == []


def test_the_part_check_can_fail(tmp_path: Path) -> None:
    (tmp_path / "agent").mkdir()
    (tmp_path / "agent" / "bad.py").write_text('"""x"""\nfrom server.db import new_session\n')
    for part in MAY_IMPORT:
        (tmp_path / part).mkdir(exist_ok=True)
    assert "agent.bad (agent) imports server.db" in _part_violations(tmp_path)
