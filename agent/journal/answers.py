"""The one stored form of what the journal keeps as JSON: answers and outbox payloads.

The journal is the till's replay cache: a POS that re-sends ``finalise``, ``refund`` or
``enrol`` gets the first answer back, read from here, also after a restart. Every answer is
stored the same way, :func:`encode` (orjson, then compressed), and every outbox payload with
:func:`pack` (the same compression of the event's wire JSON).

Compression is LZ4 (one tag byte, then an LZ4 block with its size): about 3x smaller for
~5 µs a sale where zlib level 1 took ~50 µs for 4x, inside the finalise the POS waits for.
Fewer bytes per sale are fewer WAL pages to write and fsync before the POS hears
"recorded", and a long offline stretch keeps a small outbox. Rows written before (zlib, whose
first byte is always ``0x78``; enrolment answers as plain JSON text) are still read.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import lz4.block  # type: ignore[import-untyped]  # no stubs; two functions used
import orjson

if TYPE_CHECKING:
    from .keys import JournalKeys

_LZ4 = b"\x04"  # never 0x78, the first byte of every zlib stream
_SEALED = b"\x05"  # agent.journal.keys: an event payload sealed with the journal key


def pack(text: str | bytes) -> bytes:
    """Stored form of an event or answer given as UTF-8 JSON text (or its bytes)."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    packed: bytes = lz4.block.compress(data)
    return _LZ4 + packed


def _raw(blob: bytes) -> bytes:
    if blob[:1] == _LZ4:
        return bytes(lz4.block.decompress(memoryview(blob)[1:]))
    return zlib.decompress(blob)


def unpack(blob: bytes, keys: JournalKeys | None = None, event_id: str = "") -> str:
    """The JSON text :func:`pack` stored (opened with ``keys`` if it was sealed for
    ``event_id``, :mod:`agent.journal.keys`).

    :raises JournalKeyError: a sealed payload and no keys, or keys that do not open it.
    """
    if blob[:1] == _SEALED:
        if keys is None:
            from .keys import JournalKeyError

            raise JournalKeyError(
                f"event {event_id} is sealed: open the journal with the till's keys "
                "(connect_journal(path, keys))"
            )
        blob = keys.open(blob, event_id)
    return _raw(blob).decode("utf-8")


def encode(answer: Mapping[str, Any]) -> bytes:
    """The stored form of ``answer`` (a JSON object of strings, numbers, lists, ``None``)."""
    return pack(orjson.dumps(answer))


def decode(stored: bytes | str) -> dict[str, Any]:
    """The answer :func:`encode` stored.

    A ``str`` is an enrolment answer of a journal written before answers had one form (plain
    JSON text in ``local_members.answer``): read as it is.
    """
    data = orjson.loads(stored if isinstance(stored, str) else _raw(stored))
    if not isinstance(data, dict):
        raise ValueError(f"a stored answer is a JSON object, not {type(data).__name__}")
    return data
