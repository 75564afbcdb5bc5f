"""Check a template file's structure when it is loaded, so a broken template fails by name.

A template is data that shops may edit; a typo must be reported when the agent starts or the
preview runs ("voucher.json: blocks[4].pair: expected 2 items"), not half-way through a sale.
Checked: top-level keys, both languages with the same strings, every block's type, its keys and
their values, and that every Jinja expression compiles.
"""

from __future__ import annotations

from typing import Any, NoReturn

from jinja2 import TemplateSyntaxError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from .errors import TemplateError

LANGS = ("pt-BR", "en")
_TOP = {"template", "description", "requires", "strings", "blocks", "cut"}
# block type -> (required keys, optional keys)
_BLOCKS: dict[str, tuple[set[str], set[str]]] = {
    "text": ({"text"}, {"align", "bold", "underline", "size"}),
    "pair": ({"pair"}, {"bold"}),
    "rule": (set(), {"char"}),
    "barcode": ({"data"}, {"symbology"}),
    "qr": ({"data"}, {"size"}),
    "feed": (set(), {"lines"}),
    "if": ({"test", "blocks"}, {"else"}),
    "each": ({"items", "blocks"}, {"as"}),
}
_CHOICES: dict[str, dict[str, set[str]]] = {
    "text": {
        "align": {"left", "center", "right"},
        "size": {"normal", "double_height", "double_width", "double"},
    },
    "barcode": {"symbology": {"CODE128", "EAN13"}},
}
_NUMBERS = {"qr": ("size", 1, 16), "feed": ("lines", 1, 20)}
_SYNTAX = ImmutableSandboxedEnvironment()


def check_template(spec: Any, name: str) -> None:
    """:raises TemplateError: naming the file and the path of the first problem."""
    if not isinstance(spec, dict):
        _fail(name, "", "a template is a JSON object")
    unknown = sorted(set(spec) - _TOP)
    if unknown:
        _fail(name, "", f"unknown key(s) {', '.join(unknown)}")
    for key in ("requires", "strings", "blocks"):
        if key not in spec:
            _fail(name, "", f"missing {key!r}")
    if not isinstance(spec["requires"], list) or not all(
        isinstance(p, str) for p in spec["requires"]
    ):
        _fail(name, "requires", "expected a list of data paths")
    strings = spec["strings"]
    if not isinstance(strings, dict) or set(strings) != set(LANGS):
        _fail(name, "strings", f"expected exactly {', '.join(LANGS)}")
    pt, en = (set(strings[lang]) for lang in LANGS)
    if pt != en:
        _fail(name, "strings", f"pt-BR and en differ in {', '.join(sorted(pt ^ en))}")
    _check_blocks(spec["blocks"], name, "blocks")


def _check_blocks(blocks: Any, name: str, where: str) -> None:
    if not isinstance(blocks, list):
        _fail(name, where, "expected a list of blocks")
    for i, block in enumerate(blocks):
        here = f"{where}[{i}]"
        if not isinstance(block, dict) or block.get("type") not in _BLOCKS:
            _fail(name, here, f"type must be one of {', '.join(_BLOCKS)}")
        required, optional = _BLOCKS[block["type"]]
        keys = set(block) - {"type"}
        if required - keys:
            _fail(name, here, f"missing {', '.join(sorted(required - keys))}")
        if keys - required - optional:
            _fail(name, here, f"unknown key(s) {', '.join(sorted(keys - required - optional))}")
        for key, allowed in _CHOICES.get(block["type"], {}).items():
            if key in block and block[key] not in allowed:
                _fail(name, f"{here}.{key}", f"must be one of {', '.join(sorted(allowed))}")
        if block["type"] in _NUMBERS:
            key, low, high = _NUMBERS[block["type"]]
            value = block.get(key, low)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                _fail(name, f"{here}.{key}", f"must be a whole number {low}-{high}")
        if "pair" in block and not (isinstance(block["pair"], list) and len(block["pair"]) == 2):
            _fail(name, f"{here}.pair", "expected 2 items")
        for key in ("text", "data"):
            if key in block:
                _compiles(block[key], name, f"{here}.{key}", expression=False)
        for item in block.get("pair", []):
            _compiles(item, name, f"{here}.pair", expression=False)
        for key in ("test", "items"):
            if key in block:
                _compiles(block[key], name, f"{here}.{key}", expression=True)
        for key in ("blocks", "else"):
            if key in block:
                _check_blocks(block[key], name, f"{here}.{key}")


def _compiles(source: Any, name: str, where: str, *, expression: bool) -> None:
    if not isinstance(source, str):
        _fail(name, where, "expected text")
    try:
        if expression:
            _SYNTAX.compile_expression(source)
        else:
            _SYNTAX.parse(source)
    except TemplateSyntaxError as exc:
        _fail(name, where, f"bad expression {source!r}: {exc.message}")


def _fail(name: str, where: str, problem: str) -> NoReturn:
    at = f"{name}: {where}: " if where else f"{name}: "
    raise TemplateError(f"broken template {at}{problem}", f"modelo com erro {at}{problem}")
