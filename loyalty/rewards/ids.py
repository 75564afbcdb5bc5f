"""Entry and sale ids made at their origin (store, terminal, sequence), unique with no server.

Format (documented in ``docs/rewards.md``)::

    E:<store>:<terminal>:<seq>     a ledger entry      e.g. E:LOJA-01:PDV-03:000000000042
    S:<store>:<terminal>:<seq>     a sale              e.g. S:LOJA-01:PDV-03:000000000007

``store`` and ``terminal`` are 1-32 characters of ``A-Z a-z 0-9 _ -`` (no ``:``), so the triple
is recovered unambiguously and two terminals can never mint the same id. ``seq`` is the
terminal's own counter, zero-padded to 12 digits so that ids of one terminal sort as strings in
the order they were made. The server mints its own entries (expiry, adjustments, owed raffle
numbers) under the store ``HQ`` and one terminal id per worker, with its own counter.
"""

from __future__ import annotations

import re
from typing import Final, NamedTuple

from .errors import InvalidId

SEQ_DIGITS: Final = 12
MAX_SEQ: Final = 10**SEQ_DIGITS - 1
SERVER_STORE: Final = "HQ"

_PART = re.compile(r"[A-Za-z0-9_-]{1,32}")
_ID = re.compile(r"([ES]):([A-Za-z0-9_-]{1,32}):([A-Za-z0-9_-]{1,32}):(\d{12})")


class Origin(NamedTuple):
    """Where an id was made."""

    store_id: str
    terminal_id: str
    seq: int


def _make(prefix: str, store_id: str, terminal_id: str, seq: int) -> str:
    for name, part in (("store_id", store_id), ("terminal_id", terminal_id)):
        if not isinstance(part, str) or not _PART.fullmatch(part):
            raise InvalidId(
                f"{name} must be 1-32 characters of A-Z, a-z, 0-9, '_' or '-': {part!r}",
                f"{name} deve ter de 1 a 32 caracteres entre A-Z, a-z, 0-9, '_' ou '-': {part!r}",
            )
    if not isinstance(seq, int) or isinstance(seq, bool) or not 0 <= seq <= MAX_SEQ:
        raise InvalidId(
            f"sequence must be an int from 0 to {MAX_SEQ}: {seq!r}",
            f"sequência deve ser um inteiro de 0 a {MAX_SEQ}: {seq!r}",
        )
    return f"{prefix}:{store_id}:{terminal_id}:{seq:0{SEQ_DIGITS}d}"


def make_entry_id(store_id: str, terminal_id: str, seq: int) -> str:
    """The id of the ``seq``-th ledger entry made at ``terminal_id`` of ``store_id``.

    >>> make_entry_id("LOJA-01", "PDV-03", 42)
    'E:LOJA-01:PDV-03:000000000042'

    :raises InvalidId: for a store or terminal id outside the alphabet, or a bad sequence.
    """
    return _make("E", store_id, terminal_id, seq)


def make_sale_id(store_id: str, terminal_id: str, seq: int) -> str:
    """The id of the ``seq``-th sale rung up at ``terminal_id`` of ``store_id``.

    >>> make_sale_id("LOJA-01", "PDV-03", 7)
    'S:LOJA-01:PDV-03:000000000007'
    """
    return _make("S", store_id, terminal_id, seq)


def _parse(prefix: str, value: str) -> Origin:
    m = _ID.fullmatch(value) if isinstance(value, str) else None
    if m is None or m.group(1) != prefix:
        kind = "an entry" if prefix == "E" else "a sale"
        raise InvalidId(
            f"not {kind} id ({prefix}:<store>:<terminal>:<12 digits>): {value!r}",
            f"id de {'lançamento' if prefix == 'E' else 'venda'} inválido: {value!r}",
        )
    return Origin(m.group(2), m.group(3), int(m.group(4)))


def parse_entry_id(entry_id: str) -> Origin:
    """The origin of an entry id. :raises InvalidId: if it is not one."""
    return _parse("E", entry_id)


def parse_sale_id(sale_id: str) -> Origin:
    """The origin of a sale id. :raises InvalidId: if it is not one."""
    return _parse("S", sale_id)


def is_entry_id(value: object) -> bool:
    return isinstance(value, str) and value.startswith("E:") and _ID.fullmatch(value) is not None


class EntryIds:
    """A terminal's entry-id counter: call it for the next id; ``next_seq`` is what to persist.

    The caller persists ``next_seq`` in the same transaction as the entries it minted, so a
    crash never hands out an id twice.
    """

    def __init__(self, store_id: str, terminal_id: str, next_seq: int) -> None:
        make_entry_id(store_id, terminal_id, next_seq)  # validates all three
        self.store_id = store_id
        self.terminal_id = terminal_id
        self.next_seq = next_seq

    def __call__(self) -> str:
        entry_id = make_entry_id(self.store_id, self.terminal_id, self.next_seq)
        self.next_seq += 1
        return entry_id
