"""The expiry job: write off what is left of lots past their expiry, oldest first (FIFO).

Run by the server (which sees every terminal's entries) at any interval: it is idempotent,
because each ``expire`` entry names its lot and the fold already counts it. An ``expire``
entry takes only what the fold says is left of its lot, so points that were redeemed are never
expired. If a redemption dated before the expiry reaches the server after the job ran (an
offline till), the expiry found less in its lot than it named: the fold reports that as a
*spill*, and the next run gives it back with a positive ``reverse`` entry, so the member never
loses points twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from decimal import Decimal

from .derived_ids import keyed, placeholder_ids
from .ledger import Currency, EntryKind, LedgerEntry
from .lots import fold, unique_entries


def expire_due(
    entries: Iterable[LedgerEntry],
    *,
    currency: Currency,
    member_id: str,
    at: datetime,
    new_id: Callable[[], str],
) -> list[LedgerEntry]:
    """The ``expire`` (and spill-correcting ``reverse``) entries due for one member at ``at``.

    Each ``expire`` entry is dated at its lot's ``expires_at`` (the history shows when the points
    expired) and takes only what is left of the lot at ``at``, so anything redeemed before the
    job ran, even after the expiry date, stays redeemed and is not written off twice.
    """
    by_id = unique_entries(entries)
    state = fold(by_id.values(), currency, at)
    made: list[LedgerEntry] = []
    restored: dict[str, Decimal] = {}
    for e in by_id.values():
        if e.kind is EntryKind.REVERSE and e.amount > 0 and e.reverses is not None:
            restored[e.reverses] = restored.get(e.reverses, Decimal(0)) + e.amount
    for spill in state.spills:
        owed = spill.amount - restored.get(spill.expire_entry_id, Decimal(0))
        if owed > 0:
            made.append(
                LedgerEntry(
                    entry_id=new_id(),
                    member_id=member_id,
                    currency=currency,
                    kind=EntryKind.REVERSE,
                    amount=owed,
                    effective_at=at,
                    expires_at=spill.restore_expires_at,
                    reverses=spill.expire_entry_id,
                    reason="expiry found its lot already redeemed",
                )
            )
    for lot in state.lots:
        expires = lot.entry.expires_at
        if lot.available and lot.remaining > 0 and expires is not None and expires <= at:
            made.append(
                LedgerEntry(
                    entry_id=new_id(),
                    member_id=member_id,
                    currency=currency,
                    kind=EntryKind.EXPIRE,
                    amount=-lot.remaining,
                    effective_at=expires,
                    reverses=lot.entry.entry_id,
                    sale_id=lot.entry.sale_id,
                    reason="expired",
                )
            )
    return made


def expire_due_keyed(
    entries: Iterable[LedgerEntry], *, currency: Currency, member_id: str, at: datetime
) -> list[LedgerEntry]:
    """:func:`expire_due` with ids derived from what each entry expires or gives back
    (:mod:`loyalty.rewards.derived_ids`), so a job run twice, or killed and run again, writes
    each entry once: the second run finds nothing due, or the same ids."""
    listed = list(entries)
    made = expire_due(
        listed, currency=currency, member_id=member_id, at=at, new_id=placeholder_ids()
    )
    given: dict[str, Decimal] = {}
    for e in listed:
        if e.kind is EntryKind.REVERSE and e.amount > 0 and e.reverses is not None:
            given[e.reverses] = given.get(e.reverses, Decimal(0)) + e.amount
    return [keyed(e, given.get(e.reverses or "", Decimal(0))) for e in made]
