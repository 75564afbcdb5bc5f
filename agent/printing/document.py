"""The small document model between templates and printers: a tuple of printable blocks.

Templates render to a ``Document``; ``escpos_render`` turns it into python-escpos calls and
``preview`` into plain text or a PNG. It serialises to JSON so the print queue can store it and
a reprint is the very same slip.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Align = Literal["left", "center", "right"]
Size = Literal["normal", "double_height", "double_width", "double"]
Symbology = Literal["CODE128", "EAN13"]


@dataclass(frozen=True)
class Text:
    """A paragraph, wrapped to the paper's columns."""

    text: str
    align: Align = "left"
    bold: bool = False
    underline: bool = False
    size: Size = "normal"
    kind: Literal["text"] = field(default="text", init=False)


@dataclass(frozen=True)
class Pair:
    """A label on the left and a value flush right on the same line (``Pontos ... 120``)."""

    left: str
    right: str
    bold: bool = False
    kind: Literal["pair"] = field(default="pair", init=False)


@dataclass(frozen=True)
class Rule:
    """A full-width separator line."""

    char: str = "-"
    kind: Literal["rule"] = field(default="rule", init=False)


@dataclass(frozen=True)
class Barcode:
    """A 1-D barcode printed by the printer itself, with its text below."""

    data: str
    symbology: Symbology = "CODE128"
    kind: Literal["barcode"] = field(default="barcode", init=False)


@dataclass(frozen=True)
class QR:
    """A QR code; ``size`` is the module size in dots (1–16)."""

    data: str
    size: int = 6
    kind: Literal["qr"] = field(default="qr", init=False)


@dataclass(frozen=True)
class Feed:
    """Blank lines."""

    lines: int = 1
    kind: Literal["feed"] = field(default="feed", init=False)


Block = Text | Pair | Rule | Barcode | QR | Feed
_KINDS: dict[str, type[Any]] = {
    "text": Text,
    "pair": Pair,
    "rule": Rule,
    "barcode": Barcode,
    "qr": QR,
    "feed": Feed,
}


@dataclass(frozen=True)
class Document:
    """What one slip prints, top to bottom; ``cut`` ends it with a paper cut."""

    blocks: tuple[Block, ...]
    cut: bool = True

    def with_banner(self, text: str) -> Document:
        """The same slip with a bold centred line on top (``*** 2ª VIA ***`` on a reprint)."""
        return Document((Text(text, align="center", bold=True), *self.blocks), self.cut)

    def to_json(self) -> str:
        return json.dumps(
            {"cut": self.cut, "blocks": [asdict(b) for b in self.blocks]},
            ensure_ascii=False,
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> Document:
        raw = json.loads(text)
        blocks: list[Block] = []
        for item in raw["blocks"]:
            values = dict(item)
            kind = values.pop("kind")
            blocks.append(_KINDS[kind](**values))
        return cls(tuple(blocks), bool(raw.get("cut", True)))
