"""Line layout shared by the printer and the previews, so the preview is what prints.

Wrapping, the label/value pair with the value flush right, and the effect of double-width
text on the number of columns all live here, once.
"""

from __future__ import annotations

import textwrap

from .document import Pair, Size


def columns_for(size: Size, columns: int) -> int:
    """Characters per line at ``size``: double width halves them."""
    return columns // 2 if size in ("double_width", "double") else columns


def wrap(text: str, width: int) -> list[str]:
    """Wrap ``text`` to ``width``, keeping explicit line breaks; breaks long words."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        lines.extend(textwrap.wrap(paragraph, width, break_long_words=True) or [""])
    return lines


def pair_lines(pair: Pair, columns: int) -> list[str]:
    """``left`` wrapped, with ``right`` flush right on its last line (or on its own line)."""
    right = pair.right[:columns]
    if len(pair.left) + 1 + len(right) <= columns:
        return [pair.left + " " * (columns - len(pair.left) - len(right)) + right]
    lines = wrap(pair.left, columns)
    last = lines[-1]
    if len(last) + 1 + len(right) <= columns:
        lines[-1] = last + " " * (columns - len(last) - len(right)) + right
    else:
        lines.append(right.rjust(columns))
    return lines


def aligned(line: str, width: int, align: str) -> str:
    """Pad ``line`` as the printer's alignment command would place it."""
    if align == "center":
        return line.center(width).rstrip()
    if align == "right":
        return line.rjust(width)
    return line
