"""The one stored form of what the journal keeps as JSON: answers and outbox payloads.

The journal is the till's replay cache: a POS that re-sends ``finalise``, ``refund`` or
``enrol`` gets the first answer back, read from here, also after a restart. Every answer is
stored the same way, :func:`encode` (orjson, then compressed), and every outbox payload with
:func:`pack` (the same compression of the event's wire JSON).

Compression is LZ4 primed with a fixed dictionary of the journal's JSON skeleton
(:mod:`agent.journal.dictionary`): one tag byte, then an LZ4 block with its size. A few µs a
row, inside the finalise the POS waits for; the dictionary turns every row's first copy of
each key into a back-reference (a sale event ~30% smaller than plain LZ4, a ledger entry
~55%). Fewer bytes per sale are fewer page splits, new pages and so WAL frames to write and
fsync before the POS hears "recorded", and a long offline stretch keeps a small outbox. The
ledger's entries are stored this way too (:func:`encode`).

Rows written before are still read: plain LZ4 (tag ``0x04``), zlib (first byte always
``0x78``), enrolment answers and ledger entries as plain JSON text.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import lz4.block  # type: ignore[import-untyped]  # no stubs; two functions used
import orjson

from .dictionary import DICT_1

if TYPE_CHECKING:
    from .keys import JournalKeys

# Tag bytes, never 0x78 (the first byte of every zlib stream) nor "{" (plain JSON text).
TAG_LZ4 = b"\x04"  # plain LZ4 block (agents before the dictionary): read only
TAG_DICT_1 = b"\x05"  # LZ4 block primed with dictionary.DICT_1: what is written now
TAG_SEALED = b"\x06"  # agent.journal.keys.SEALED: an event payload sealed with the journal key


def pack(text: str | bytes) -> bytes:
    """Stored form of an event or answer given as UTF-8 JSON text (or its bytes)."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    packed: bytes = lz4.block.compress(data, dict=DICT_1)
    return TAG_DICT_1 + packed


def _raw(blob: bytes) -> bytes:
    tag = blob[:1]
    if tag == TAG_DICT_1:
        return bytes(lz4.block.decompress(memoryview(blob)[1:], dict=DICT_1))
    if tag == TAG_LZ4:
        return bytes(lz4.block.decompress(memoryview(blob)[1:]))
    return zlib.decompress(blob)


def unpack(blob: bytes, keys: JournalKeys | None = None, event_id: str = "") -> str:
    """The JSON text :func:`pack` stored (opened with ``keys`` if it was sealed for
    ``event_id``, :mod:`agent.journal.keys`).

    :raises JournalKeyError: a sealed payload and no keys, or keys that do not open it.
    """
    if blob[:1] == TAG_SEALED:
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

    A ``str`` is an enrolment answer or a ledger entry of a journal written before they had
    this form (plain JSON text in ``local_members.answer``, ``ledger.data``): read as it is.
    """
    data = orjson.loads(stored if isinstance(stored, str) else _raw(stored))
    if not isinstance(data, dict):
        raise ValueError(f"a stored answer is a JSON object, not {type(data).__name__}")
    return data
