"""The one stored form of an answer the till gave (a sale, a refund, an enrolment).

The journal is the till's replay cache: a POS that re-sends ``finalise``, ``refund`` or
``enrol`` gets the first answer back, read from here, also after a restart. Every answer is
stored the same way: orjson, then zlib level 1 (about 4x smaller for ~20 µs; fewer bytes per
sale are fewer WAL pages to write and fsync before the POS hears "recorded"). The outbox
payloads use the same compression (:func:`pack`).
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from typing import Any

import orjson


def pack(text: str | bytes) -> bytes:
    """Stored form of an event or answer given as UTF-8 JSON text (or its bytes)."""
    return zlib.compress(text.encode("utf-8") if isinstance(text, str) else text, 1)


def unpack(blob: bytes) -> str:
    """The JSON text :func:`pack` stored."""
    return zlib.decompress(blob).decode("utf-8")


def encode(answer: Mapping[str, Any]) -> bytes:
    """The stored form of ``answer`` (a JSON object of strings, numbers, lists, ``None``)."""
    return zlib.compress(orjson.dumps(answer), 1)


def decode(stored: bytes | str) -> dict[str, Any]:
    """The answer :func:`encode` stored.

    A ``str`` is an enrolment answer of a journal written before answers had one form (plain
    JSON text in ``local_members.answer``): read as it is.
    """
    data = orjson.loads(stored if isinstance(stored, str) else zlib.decompress(stored))
    if not isinstance(data, dict):
        raise ValueError(f"a stored answer is a JSON object, not {type(data).__name__}")
    return data
