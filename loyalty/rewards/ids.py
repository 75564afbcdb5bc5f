"""Every id a till makes (store, terminal, sequence), unique without a server; made and read here.

Format (documented in ``docs/rewards.md``)::

    E:<store>:<terminal>:<seq>     a ledger entry      e.g. E:LOJA-01:PDV-03:000000000042
    S:<store>:<terminal>:<seq>     a sale              e.g. S:LOJA-01:PDV-03:000000000007
    R:<store>:<terminal>:<seq>     a refund            e.g. R:LOJA-01:PDV-03:000000000002
    V:<store>:<terminal>:<seq>     an outbox event     e.g. V:LOJA-01:PDV-03:000000000131
    M:<store>:<terminal>:<seq>     a member enrolled at the till, until head office knows it
    <sale>/<raffle>/<n>            the n-th raffle ticket (from 0) of a sale in one raffle

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
#: What each one-letter prefix names; a made id is ``<prefix>:<store>:<terminal>:<seq>``.
KINDS: Final = {
    "E": "an entry",
    "S": "a sale",
    "R": "a refund",
    "V": "an event",
    "M": "a member",
}
_KIND_PT: Final = {"E": "lançamento", "S": "venda", "R": "devolução", "V": "evento", "M": "cliente"}
PATTERN: Final = r"([ESRVM]):([A-Za-z0-9_-]{1,32}):([A-Za-z0-9_-]{1,32}):(\d{12})"
#: The entry-id pattern as a JSON-schema/pydantic ``pattern`` (anchored).
ENTRY_ID_PATTERN: Final = r"^E:[A-Za-z0-9_-]{1,32}:[A-Za-z0-9_-]{1,32}:\d{12}$"
_ID = re.compile(PATTERN)


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


def make_refund_id(store_id: str, terminal_id: str, seq: int) -> str:
    """The id of the ``seq``-th refund made at ``terminal_id`` of ``store_id`` (``R:…``)."""
    return _make("R", store_id, terminal_id, seq)


def make_event_id(store_id: str, terminal_id: str, seq: int) -> str:
    """The id of the ``seq``-th outbox event of ``terminal_id`` of ``store_id`` (``V:…``).

    >>> make_event_id("LOJA-01", "PDV-03", 131)
    'V:LOJA-01:PDV-03:000000000131'
    """
    return _make("V", store_id, terminal_id, seq)


def make_member_id(store_id: str, terminal_id: str, seq: int) -> str:
    """The id of the ``seq``-th shopper enrolled at ``terminal_id`` of ``store_id`` (``M:…``)."""
    return _make("M", store_id, terminal_id, seq)


def make_ticket_id(sale_id: str, campaign_id: str, index: int) -> str:
    """The id of the ``index``-th (from 0) raffle ticket of ``sale_id`` in ``campaign_id``.

    >>> make_ticket_id("S:LOJA-01:PDV-03:000000000007", "natal-2026", 0)
    'S:LOJA-01:PDV-03:000000000007/natal-2026/0'
    """
    if not isinstance(index, int) or isinstance(index, bool) or index < 0:
        raise InvalidId(
            f"ticket index must be an int >= 0: {index!r}",
            f"índice do número da sorte deve ser um inteiro >= 0: {index!r}",
        )
    return f"{sale_id}/{campaign_id}/{index}"


def is_ticket_of(ticket_id: str, sale_id: str) -> bool:
    """Whether ``ticket_id`` names a ticket of ``sale_id`` (made by :func:`make_ticket_id`)."""
    return isinstance(ticket_id, str) and ticket_id.startswith(f"{sale_id}/")


def _parse(prefix: str, value: str) -> Origin:
    m = _ID.fullmatch(value) if isinstance(value, str) else None
    if m is None or m.group(1) != prefix:
        raise InvalidId(
            f"not {KINDS[prefix]} id ({prefix}:<store>:<terminal>:<12 digits>): {value!r}",
            f"id de {_KIND_PT[prefix]} inválido: {value!r}",
        )
    return Origin(m.group(2), m.group(3), int(m.group(4)))


def parse_made_id(value: str) -> tuple[str, Origin]:
    """The kind (a key of :data:`KINDS`) and origin of any id a till makes.

    :raises InvalidId: if ``value`` is not one.
    """
    m = _ID.fullmatch(value) if isinstance(value, str) else None
    if m is None:
        raise InvalidId(
            f"not an id made at a till (<E|S|R|V|M>:<store>:<terminal>:<12 digits>): {value!r}",
            f"não é um id feito num caixa: {value!r}",
        )
    return m.group(1), Origin(m.group(2), m.group(3), int(m.group(4)))


def sequence_of(value: str) -> int | None:
    """The terminal's sequence number in an id it made (``…:000000000042`` -> 42), else None."""
    m = _ID.fullmatch(value) if isinstance(value, str) else None
    return int(m.group(4)) if m is not None else None


def parse_entry_id(entry_id: str) -> Origin:
    """The origin of an entry id. :raises InvalidId: if it is not one."""
    return _parse("E", entry_id)


def parse_sale_id(sale_id: str) -> Origin:
    """The origin of a sale id. :raises InvalidId: if it is not one."""
    return _parse("S", sale_id)


def parse_refund_id(refund_id: str) -> Origin:
    """The origin of a refund id. :raises InvalidId: if it is not one."""
    return _parse("R", refund_id)


def parse_event_id(event_id: str) -> Origin:
    """The origin of an outbox event id. :raises InvalidId: if it is not one."""
    return _parse("V", event_id)


def parse_member_id(member_id: str) -> Origin:
    """The origin of a member id made at a till. :raises InvalidId: if it is not one."""
    return _parse("M", member_id)


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
