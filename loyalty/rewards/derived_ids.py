"""Ids of the entries the server's jobs write, derived from what they act on.

A job that is killed half-way and run again must find its own writes done, so the id of an
``expire`` entry comes from the lot it expires, a ``mature`` marker's from the credit that
matured, and a spill's give-back from the ``expire`` entry and the total given back. The ids
keep the ledger's format (``E:HQ:<terminal>:<seq>``, :mod:`loyalty.rewards.ids`): the terminal
part is a two-letter job tag plus 30 hex digits of SHA-256 of the source (120 bits: no
collision in any chain's lifetime), the sequence is the source entry's own, for readability.
No till can mint them: tills speak only for their own store, never ``HQ``.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from decimal import Decimal

from .ids import SERVER_STORE, make_entry_id, parse_entry_id
from .ledger import EntryKind, LedgerEntry

EXPIRE_TAG = "xp"
RESTORE_TAG = "rs"
MATURE_TAG = "mt"
PLACEHOLDER_ID = make_entry_id(SERVER_STORE, "placeholder", 0)


def derived_entry_id(tag: str, source_id: str, salt: str = "") -> str:
    """The id of the entry that job ``tag`` writes for the entry ``source_id``.

    >>> derived_entry_id("xp", "E:LOJA-01:PDV-03:000000000042")
    'E:HQ:xp4014a8ac822500b0f7f7a73b8a2c34:000000000042'
    """
    digest = hashlib.sha256(f"{tag}|{source_id}|{salt}".encode()).hexdigest()[:30]
    return make_entry_id(SERVER_STORE, f"{tag}{digest}", parse_entry_id(source_id).seq)


def placeholder_ids() -> Callable[[], str]:
    """A ``new_id`` for the core's job functions whose ids :func:`keyed` replaces."""
    return lambda: PLACEHOLDER_ID


def keyed(entry: LedgerEntry, given_back_before: Decimal = Decimal(0)) -> LedgerEntry:
    """``entry`` (made by ``expire_due`` or ``mature_due``) with its derived id.

    :param given_back_before: for a spill give-back, what earlier give-backs of the same
        ``expire`` entry returned; the id names the total after this one, so a second late
        redemption gets a second give-back and a re-run of either finds it written.
    """
    source = entry.reverses
    assert source is not None, "job entries always name what they act on"
    if entry.kind is EntryKind.EXPIRE:
        new = derived_entry_id(EXPIRE_TAG, source)
    elif entry.kind is EntryKind.MATURE:
        new = derived_entry_id(MATURE_TAG, source)
    else:
        new = derived_entry_id(RESTORE_TAG, source, f"{given_back_before + entry.amount:f}")
    return dataclasses.replace(entry, entry_id=new)
