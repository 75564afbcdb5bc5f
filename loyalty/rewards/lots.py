"""The ledger fold: replay a member's entries in time order into lots, first-expiring-first-out.

A *lot* is what one positive entry (an earning, a restoring reversal, a positive adjustment)
left. A negative entry first draws on the lot it names in ``reverses``, then on the open lots
in first-expiring-first-out order (no expiry last, then oldest, then by id), and whatever no
lot covers is a *deficit* (a negative balance, e.g. a refund of points already spent) that the
next lots pay off first. Cashback lots wait in *pending* until their ``available_at``.
A lot is *closed* from its ``expires_at`` on: only an entry naming it (its ``expire`` entry, a
refund of its earning) still draws on it, whether or not the expiry job has written it off yet,
so a till that has not heard from the server never spends expired points.

The fold depends only on the set of entries (duplicates by id count once; order of arrival
does not matter), so the agent and the server always agree.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from operator import attrgetter

from .errors import LedgerConflict, RewardsError
from .ledger import Currency, EntryKind, LedgerEntry

_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class OpenLot:
    """What is left of one positive entry at the fold's time."""

    entry: LedgerEntry
    remaining: Decimal
    available: bool


@dataclass(frozen=True, slots=True)
class Spill:
    """An ``expire`` entry that found less in its lot than it named (a redemption dated before
    the expiry reached the server after the expiry job ran); the excess was drawn from other
    lots and the expiry job gives it back (see :func:`loyalty.rewards.expiry.expire_due`)."""

    expire_entry_id: str
    amount: Decimal
    restore_expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class LedgerState:
    """The result of the fold: open lots (FIFO order), the deficit and the spills."""

    lots: tuple[OpenLot, ...]
    deficit: Decimal
    spills: tuple[Spill, ...]


def unique_entries(entries: Iterable[LedgerEntry]) -> dict[str, LedgerEntry]:
    """Entries by id, each once. :raises LedgerConflict: if one id names two different entries."""
    listed = entries if isinstance(entries, list | tuple) else list(entries)
    seen = {e.entry_id: e for e in listed}
    if len(seen) != len(listed):  # duplicates: the rare, slow path checks they are equal
        for e in listed:
            prior = seen[e.entry_id]
            if prior is not e and prior != e:
                raise LedgerConflict(e.entry_id)
    return seen


_FAR = datetime.max.replace(tzinfo=UTC)  # "never expires" sorts last
_MICROS = attrgetter("sort_micros")
_ID = attrgetter("entry_id")


class Replay:
    """The fold's working state, kept as parallel lists indexed by lot number.

    Open lots are kept first-expiring-first-out in two parts: ``queue``, an append-only list
    for lots that arrive in first-out order (the usual case: a fixed expiry after earning), and
    ``heap`` for the rest. Allocating no container per lot keeps the fold fast and the garbage
    collector quiet on a 10,000-entry member.
    """

    __slots__ = ("entries", "rem", "exp", "by_id", "queue", "head", "heap", "waiting", "deficit",
                 "spills")  # fmt: skip

    def __init__(self) -> None:
        self.entries: list[LedgerEntry] = []
        self.rem: list[Decimal] = []
        self.exp: list[datetime] = []
        self.by_id: dict[str, int] = {}
        self.queue: list[int] = []
        self.head = 0
        self.heap: list[tuple[datetime, int, str, int]] = []
        self.waiting: list[tuple[datetime, int, str, int]] = []  # pending, by available_at
        self.deficit = _ZERO
        self.spills: list[Spill] = []

    def _key(self, i: int) -> tuple[datetime, int, str]:
        e = self.entries[i]
        return (self.exp[i], e.sort_micros, e.entry_id)

    def ready(self, i: int) -> None:
        """Lot ``i`` becomes spendable: it first pays any deficit, then joins the FIFO order."""
        if self.deficit:
            left = self.rem[i]
            take = self.deficit if self.deficit < left else left
            self.rem[i] = left - take
            self.deficit -= take
        q = self.queue
        if not q or self._key(q[-1]) <= self._key(i):
            q.append(i)
        else:
            e = self.entries[i]
            heapq.heappush(self.heap, (self.exp[i], e.sort_micros, e.entry_id, i))

    def release(self, until: datetime) -> None:
        while self.waiting and self.waiting[0][0] <= until:
            self.ready(heapq.heappop(self.waiting)[3])

    def draw(self, need: Decimal, now: datetime) -> tuple[Decimal, datetime | None]:
        """Take ``need`` from the lots open at ``now`` first-out; what is left, and the first
        lot's expiry. A lot past its expiry leaves the order for good (time only moves on)."""
        rem, queue, heap, exp = self.rem, self.queue, self.heap, self.exp
        first: datetime | None = None
        while need:
            while self.head < len(queue) and (
                not rem[queue[self.head]] or exp[queue[self.head]] <= now
            ):
                self.head += 1
            while heap and (not rem[heap[0][3]] or heap[0][0] <= now):
                heapq.heappop(heap)
            if self.head < len(queue):
                i = queue[self.head]
                if heap and heap[0][:3] < self._key(i):
                    i = heap[0][3]
            elif heap:
                i = heap[0][3]
            else:
                break
            if first is None:
                first = self.entries[i].expires_at
            left = rem[i]
            if left > need:
                rem[i] = left - need
                return _ZERO, first
            need -= left
            rem[i] = _ZERO
        return need, first

    def pending(self) -> set[int]:
        return {w[3] for w in self.waiting}


def replay(entries: Iterable[LedgerEntry], currency: Currency, at: datetime) -> Replay:
    """Replay the ``currency`` entries effective at or before ``at`` (see :func:`fold`)."""
    if not isinstance(at, datetime) or at.utcoffset() is None:
        raise RewardsError(
            f"the moment of a balance must be a timezone-aware datetime: {at!r}",
            f"o momento do saldo deve ser uma data-hora com fuso horário: {at!r}",
        )
    mine = [
        e
        for e in unique_entries(entries).values()
        if e.currency is currency and e.effective_at <= at
    ]
    mine.sort(key=_MICROS)
    r = _run(mine, at, ties_sorted=False)
    if r is None:
        # Entries at the same microsecond go in id order, whatever order they came in.
        mine.sort(key=_ID)
        mine.sort(key=_MICROS)
        r = _run(mine, at, ties_sorted=True)
        assert r is not None
    return r


def _run(mine: list[LedgerEntry], at: datetime, *, ties_sorted: bool) -> Replay | None:
    """The replay loop over entries in time order; ``None`` if it meets a tie not yet sorted."""
    r = Replay()
    prev = -1 if not ties_sorted else None
    lots, rem, exps, by_id, queue = r.entries, r.rem, r.exp, r.by_id, r.queue
    expire = EntryKind.EXPIRE
    last_exp: datetime | None = None  # expiry of the queue's tail, for the common append
    for e in mine:
        if prev is not None:
            if e.sort_micros == prev:
                return None
            prev = e.sort_micros
        if r.waiting and r.waiting[0][0] <= e.effective_at:
            r.release(e.effective_at)
            last_exp = exps[queue[-1]] if queue else None
        amount = e.amount
        if amount > _ZERO:
            i = len(lots)
            exp = e.expires_at or _FAR
            lots.append(e)
            rem.append(amount)
            exps.append(exp)
            by_id[e.entry_id] = i
            available = e.available_at
            if available is not None and available > e.effective_at:
                heapq.heappush(r.waiting, (available, e.sort_micros, e.entry_id, i))
            elif not r.deficit and last_exp is not None and exp >= last_exp:
                queue.append(i)  # the newest lot, not before the tail: first-out order holds
                last_exp = exp
            else:
                r.ready(i)
                last_exp = exps[queue[-1]] if queue else None
            continue
        if not amount:
            continue
        need = -amount
        if e.reverses is not None:
            j = by_id.get(e.reverses)
            if j is not None and rem[j] > _ZERO:
                left = rem[j]
                take = need if need < left else left
                rem[j] = left - take
                need -= take
        if not need:
            continue
        if not r.heap and e.kind is not expire:
            # The usual redemption: the queue's first open lot covers it.
            h = r.head
            now = e.effective_at
            while h < len(queue) and (not rem[queue[h]] or exps[queue[h]] <= now):
                h += 1
            r.head = h
            if h < len(queue) and rem[queue[h]] > need:
                rem[queue[h]] -= need
                continue
        spilled = need
        need, first = r.draw(need, e.effective_at)
        r.deficit += need
        if e.kind is expire:
            r.spills.append(Spill(e.entry_id, spilled, first))
    r.release(at)
    return r


def fold(entries: Iterable[LedgerEntry], currency: Currency, at: datetime) -> LedgerState:
    """Replay the ``currency`` entries effective at or before ``at`` into open lots.

    :raises LedgerConflict: if one id names two different entries.
    """
    r = replay(entries, currency, at)
    pending = r.pending()
    ready = sorted((i for i in range(len(r.entries)) if i not in pending), key=r._key)
    waiting = [w[3] for w in sorted(r.waiting)]
    lots = [OpenLot(r.entries[i], r.rem[i], True) for i in ready if r.rem[i]]
    lots += [OpenLot(r.entries[i], r.rem[i], False) for i in waiting if r.rem[i]]
    return LedgerState(tuple(lots), r.deficit, tuple(r.spills))
