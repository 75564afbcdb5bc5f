"""Plugins are found by name, including third-party entry points."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from plugins import PosPlugin, available, load_plugin
from plugins.filedrop import FiledropPlugin
from plugins.http import HttpPlugin
from plugins.registry import PluginNotFound
from plugins.simulated import SimulatedPlugin


def test_builtins() -> None:
    assert load_plugin("http") is HttpPlugin
    assert load_plugin("filedrop") is FiledropPlugin
    assert load_plugin("simulated") is SimulatedPlugin
    assert {"http", "filedrop", "simulated"} <= set(available())


def test_unknown_name_lists_what_exists() -> None:
    with pytest.raises(PluginNotFound, match=r"unknown POS plugin 'nope'; available: .*http"):
        load_plugin("nope")


@pytest.fixture
def third_party(tmp_path: Path) -> Iterator[Path]:
    """A real installed distribution on sys.path declaring a tillclub.pos_plugins entry point."""
    (tmp_path / "acme_pos.py").write_text(
        '"""A third-party POS plugin."""\n'
        "from plugins.interface import PosPlugin\n\n"
        "class AcmePlugin(PosPlugin):\n"
        "    name = 'acme'\n"
        "    def start(self): pass\n"
        "    def stop(self): pass\n\n"
        "class NotAPlugin:\n    pass\n",
        encoding="utf-8",
    )
    info = tmp_path / "acme_pos-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-pos\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[tillclub.pos_plugins]\nacme = acme_pos:AcmePlugin\nbogus = acme_pos:NotAPlugin\n"
    )
    sys.path.insert(0, str(tmp_path))
    try:
        yield tmp_path
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("acme_pos", None)


@pytest.mark.usefixtures("third_party")
def test_third_party_entry_point() -> None:
    plugin = load_plugin("acme")
    assert issubclass(plugin, PosPlugin)
    assert plugin.name == "acme"
    assert "acme" in available()
    with pytest.raises(PluginNotFound, match="not a PosPlugin subclass"):
        load_plugin("bogus")
