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
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from .derived_ids import EXPIRE_TAG, MATURE_TAG, RESTORE_TAG, derived_entry_id
from .ledger import Currency, EntryKind, LedgerEntry
from .lots import LedgerState, fold, unique_entries

IdFor = Callable[[EntryKind, str, Decimal], str]


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
    return _due(by_id.values(), state, currency, member_id, at, lambda *_: new_id())


def _due(
    entries: Iterable[LedgerEntry],
    state: LedgerState,
    currency: Currency,
    member_id: str,
    at: datetime,
    id_for: IdFor,
) -> list[LedgerEntry]:
    made: list[LedgerEntry] = []
    restored: dict[str, Decimal] = {}
    for e in entries:
        if e.kind is EntryKind.REVERSE and e.amount > 0 and e.reverses is not None:
            restored[e.reverses] = restored.get(e.reverses, Decimal(0)) + e.amount
    for spill in state.spills:
        given = restored.get(spill.expire_entry_id, Decimal(0))
        owed = spill.amount - given
        if owed > 0:
            made.append(
                LedgerEntry(
                    # The id names the total given back after this entry (derived_ids).
                    entry_id=id_for(EntryKind.REVERSE, spill.expire_entry_id, given + owed),
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
                    entry_id=id_for(EntryKind.EXPIRE, lot.entry.entry_id, -lot.remaining),
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


def _derived(kind: EntryKind, source: str, total: Decimal) -> str:
    if kind is EntryKind.EXPIRE:
        return derived_entry_id(EXPIRE_TAG, source)
    return derived_entry_id(RESTORE_TAG, source, f"{total:f}")


@dataclass(frozen=True, slots=True)
class ExpiryPlan:
    """What the job writes for one member in one currency, and when to look again.

    :param next_at: the earliest expiry of a lot with something left, or maturity of a pending
        one, after the entries are written (``None``: nothing will happen by itself). A
        give-back whose lot has since expired makes it a moment already past: "next run".
    """

    entries: list[LedgerEntry]
    next_at: datetime | None


def plan_expiry(
    entries: Iterable[LedgerEntry], *, currency: Currency, member_id: str, at: datetime
) -> ExpiryPlan:
    """:func:`expire_due` with ids derived from what each entry expires or gives back
    (:mod:`loyalty.rewards.derived_ids`), so a job run twice, or killed and run again, writes
    each entry once, plus the member's next due moment, from one fold."""
    by_id = unique_entries(entries)
    state = fold(by_id.values(), currency, at)
    made = _due(by_id.values(), state, currency, member_id, at, _derived)
    best: datetime | None = None
    for lot in state.lots:
        exp = lot.entry.expires_at
        if not lot.available:
            moment = lot.entry.available_at
        elif exp is not None and exp > at:
            moment = exp
        else:
            continue  # expired now, by an entry in ``made``
        if moment is not None and (best is None or moment < best):
            best = moment
    for e in made:
        if e.kind is EntryKind.REVERSE and e.expires_at is not None:
            if best is None or e.expires_at < best:
                best = e.expires_at
    return ExpiryPlan(made, best)


def expire_due_keyed(
    entries: Iterable[LedgerEntry], *, currency: Currency, member_id: str, at: datetime
) -> list[LedgerEntry]:
    """The entries of :func:`plan_expiry`."""
    return plan_expiry(entries, currency=currency, member_id=member_id, at=at).entries


def maturity_markers(
    entries: Iterable[LedgerEntry], *, member_id: str, at: datetime
) -> tuple[list[LedgerEntry], datetime | None]:
    """The zero ``mature`` markers due at ``at`` (as :func:`loyalty.rewards.mature_due`, with ids
    derived from the credit), and the next credit's maturity after ``at``."""
    listed = list(entries)
    marked = {e.reverses for e in listed if e.kind is EntryKind.MATURE}
    made: list[LedgerEntry] = []
    upcoming: datetime | None = None
    zero = Decimal("0.00")
    for e in listed:
        when = e.available_at
        if e.currency is not Currency.CASHBACK or e.amount <= 0 or when is None:
            continue
        if when > at:
            upcoming = when if upcoming is None or when < upcoming else upcoming
        elif e.entry_id not in marked:
            made.append(
                LedgerEntry(
                    entry_id=derived_entry_id(MATURE_TAG, e.entry_id),
                    member_id=member_id,
                    currency=Currency.CASHBACK,
                    kind=EntryKind.MATURE,
                    amount=zero,
                    effective_at=when,
                    sale_id=e.sale_id,
                    reverses=e.entry_id,
                    reason=f"{e.amount:f} available",
                )
            )
    return made, upcoming
