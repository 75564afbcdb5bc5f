"""A refund's reversals, each capped by the entry it reverses across every refund, in any order.

A till computes its reversals itself (``loyalty.rewards.refund_sale``: cumulative and exact for
an honest till), and the server trusts none of it. Every reversal a refund sends (a ``reverse``
entry naming the entry it undoes) is recorded in ``refund_reversals`` and settled here against
the entry it names, *X*:

- X is in the ledger: the reversal applies as sent while the reversals of X applied so far,
  this one included, stay within X (a give-back of a redemption never returns more than was
  redeemed, a reversal of an earning never takes more than was earned); beyond that it is
  *clipped*: the part within the cap is applied under a derived id (``E:HQ:cp…``, the till's
  entry kept as sent), the rest never; with nothing left it is *void*. A reversal that does
  not undo X (same sign: it would add to a credit or deepen a debit) or names an entry of
  another sale is void too. Clipped and void reversals are listed on Sync issues
  (``till_issues`` kind ``refund_reversal``) and flagged in the push's answer.
- X is held for head office (``held_entries``): the reversal *waits* and moves no balance.
  When the waiting reversals cover X entirely, X is cancelled (status ``refunded``: there is
  nothing left to approve) and they are void; approving X applies X and then its waiting
  reversals (so only the remainder is credited); rejecting X voids them. Both are audited.
- X is not known yet (a refund pushed before its sale): the reversal waits; the push that
  brings X settles it.

Clipping rather than holding or rejecting: the cap is a fact of the ledger, not a judgement,
so there is nothing for head office to approve beyond it; and rejecting the refund would
lose what is right in it (the refund itself, its voided tickets and restored vouchers, the
reversals within the cap). Settling runs in the transaction of the push, approval or
rejection that makes X known, under a lock of X's ledger row (PostgreSQL), so two pushes
refunding one sale at once cannot both spend the same cap.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from loyalty.rewards.derived_ids import derived_entry_id
from loyalty.rewards.ledger import LedgerEntry

from ..models import HeldEntry, LedgerEntryRow, RefundReversal, TillIssue
from .ledger_reads import entry_row
from .uow import SqlUnitOfWork

WAITING, APPLIED, CLIPPED, VOID = "waiting", "applied", "clipped", "void"
REFUNDED = "refunded"  # a held credit its refunds reversed entirely (held_entries.status)
CLIP_TAG = "cp"
ISSUE_KIND = "refund_reversal"
_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Capped:
    """What a reversal of ``amount`` may apply against an entry of ``target`` whose reversals
    applied ``before`` so far (signed, the reversal's sign): ``applied`` (0: nothing) and,
    when not all of it, ``code``."""

    applied: Decimal
    code: str | None


def cap(amount: Decimal, target: Decimal, before: Decimal) -> Capped:
    """The cumulative cap: ``|before + applied| <= |target|``, and a reversal undoes.

    >>> cap(Decimal(200), Decimal(-500), Decimal(400))
    Capped(applied=Decimal('100'), code='over_cap')
    >>> cap(Decimal(-30), Decimal(50), Decimal(0))
    Capped(applied=Decimal('-30'), code=None)
    """
    if amount == 0 or target == 0 or (amount > 0) == (target > 0):
        return Capped(_ZERO, "wrong_direction")
    room = abs(target) - abs(before)
    if room <= 0:
        return Capped(_ZERO, "over_cap")
    if abs(amount) <= room:
        return Capped(amount, None)
    return Capped(room if amount > 0 else -room, "over_cap")


def reversal_row(
    entry: LedgerEntry,
    *,
    event_id: str,
    refund_id: str,
    sale_id: str,
    store_id: str,
    terminal_id: str,
    now: dt.datetime,
) -> dict[str, Any]:
    """The ``refund_reversals`` row of a reversal as it arrives (``waiting``: settled next)."""
    assert entry.reverses is not None, "only reversals naming an entry come here"
    return {
        "entry_id": entry.entry_id,
        "reverses": entry.reverses,
        "event_id": event_id,
        "refund_id": refund_id,
        "sale_id": sale_id,
        "store_id": store_id,
        "terminal_id": terminal_id,
        "member_id": entry.member_id,
        "currency": entry.currency.value,
        "amount": entry.amount,
        "applied": _ZERO,
        "applied_id": None,
        "status": WAITING,
        "code": None,
        "entry": entry.to_dict(),
        "recorded_at": now,
        "settled_at": None,
    }


def settle(
    uow: SqlUnitOfWork, targets: Collection[str], now: dt.datetime, *, actor: str = "server"
) -> list[dict[str, Any]]:
    """Settle the waiting reversals of the entries ``targets`` (see the module docstring),
    in the transaction of ``uow``.

    :param actor: who made the entries known (``server`` for a push, the head-office user
        approving or rejecting one), for the audit rows of held credits refunds cancel.
    :returns: one answer flag per reversal settled other than as sent, or still waiting.
    """
    if not targets:
        return []
    s = uow.session
    waiting = list(
        s.scalars(
            select(RefundReversal)
            .where(RefundReversal.reverses.in_(list(targets)), RefundReversal.status == WAITING)
            .order_by(RefundReversal.recorded_at, RefundReversal.entry_id)
        )
    )
    if not waiting:
        return []
    names = sorted({w.reverses for w in waiting})
    ledger = {
        r.entry_id: r
        for r in s.scalars(
            select(LedgerEntryRow)
            .where(LedgerEntryRow.entry_id.in_(names))
            .order_by(LedgerEntryRow.entry_id)
            .with_for_update()  # one settlement of an entry's cap at a time (PostgreSQL)
        )
    }
    held = {
        r.entry_id: r for r in s.scalars(select(HeldEntry).where(HeldEntry.entry_id.in_(names)))
    }
    spent = _applied_so_far(s, names)
    flags: list[dict[str, Any]] = []
    open_held: dict[str, list[RefundReversal]] = {}
    for w in waiting:
        x = ledger.get(w.reverses)
        h = held.get(w.reverses)
        if x is not None:
            if w.sale_id is not None and x.sale_id != w.sale_id:
                outcome = Capped(_ZERO, "reverses_other_sale")
            else:
                key = (w.reverses, w.amount > 0)
                outcome = cap(w.amount, x.amount, spent.get(key, _ZERO))
                spent[key] = spent.get(key, _ZERO) + outcome.applied
            flags += _apply(s, w, outcome, now)
        elif h is not None and h.status == "held":
            if w.sale_id is not None and h.sale_id != w.sale_id:
                flags += _apply(s, w, Capped(_ZERO, "reverses_other_sale"), now)
            elif (w.amount > 0) == (h.amount > 0):
                flags += _apply(s, w, Capped(_ZERO, "wrong_direction"), now)
            else:
                w.code = "reverses_held"
                open_held.setdefault(h.entry_id, []).append(w)
        elif h is not None:  # rejected, or refunded while held: there is nothing to undo
            flags += _apply(s, w, Capped(_ZERO, "reverses_rejected"), now)
        else:
            w.code = "reverses_unknown"
    for entry_id, reversals in open_held.items():
        h = held[entry_id]
        if sum((abs(w.amount) for w in reversals), _ZERO) >= abs(h.amount):
            _cancel_held(uow, h, reversals, now, actor)
            for w in reversals:
                flags += _apply(s, w, Capped(_ZERO, "reversed_held_credit"), now)
    for w in waiting:
        if w.status == WAITING:
            flags.append(_flag("reversal_waiting", w))
    return flags


def _applied_so_far(s: Session, names: Iterable[str]) -> dict[tuple[str, bool], Decimal]:
    """What the settled reversals of each entry applied, by (entry, positive)."""
    rows = s.execute(
        select(RefundReversal.reverses, RefundReversal.applied).where(
            RefundReversal.reverses.in_(list(names)),
            RefundReversal.status != WAITING,
            RefundReversal.applied != 0,
        )
    )
    spent: dict[tuple[str, bool], Decimal] = {}
    for name, applied in rows:  # a few per entry: one per refund of its sale
        key = (name, applied > 0)
        spent[key] = spent.get(key, _ZERO) + applied
    return spent


def _apply(
    s: Session, w: RefundReversal, outcome: Capped, now: dt.datetime
) -> list[dict[str, Any]]:
    """Write what ``outcome`` applies of ``w`` (its ledger row, its status, its issue)."""
    w.applied, w.code, w.settled_at = outcome.applied, outcome.code, now
    if outcome.applied == 0:
        w.status, w.applied_id = VOID, None
    else:
        entry = LedgerEntry.from_dict(w.entry or {})
        if outcome.applied != w.amount:
            entry = dataclasses.replace(
                entry,
                entry_id=derived_entry_id(CLIP_TAG, w.entry_id),
                amount=outcome.applied,
                reason=f"{entry.entry_id} clipped from {w.amount:f}"[:200],
            )
        w.status = APPLIED if outcome.applied == w.amount else CLIPPED
        w.applied_id = entry.entry_id
        s.add(LedgerEntryRow(**entry_row(entry, now, w.event_id)))
    if w.status == APPLIED:
        return []
    s.add(
        TillIssue(
            kind=ISSUE_KIND,
            terminal_id=w.terminal_id or "",
            store_id=w.store_id or "",
            ref=w.entry_id[:160],
            occurred_at=None,
            received_at=now,
            skew_seconds=None,
            detail={
                "entry_id": w.entry_id,
                "event_id": w.event_id,
                "refund_id": w.refund_id,
                "sale_id": w.sale_id,
                "reverses": w.reverses,
                "member_id": w.member_id,
                "currency": w.currency,
                "sent": _text(w.amount, w.currency),
                "applied": _text(w.applied, w.currency),
                "why": w.code,
            },
        )
    )
    return [_flag("reversal_clipped" if w.status == CLIPPED else "reversal_void", w)]


def _flag(code: str, w: RefundReversal) -> dict[str, Any]:
    return {
        "code": code,
        "event_id": w.event_id,
        "entry_id": w.entry_id,
        "reverses": w.reverses,
        "reason": w.code,
        "sent": _text(w.amount, w.currency),
        "applied": _text(w.applied, w.currency),
    }


def _text(amount: Decimal, currency: str) -> str:
    """Points as whole numbers, cashback to the cent (the column keeps hundredths)."""
    return f"{amount.quantize(Decimal(1) if currency == 'points' else Decimal('0.01')):f}"


def _cancel_held(
    uow: SqlUnitOfWork,
    h: HeldEntry,
    reversals: list[RefundReversal],
    now: dt.datetime,
    actor: str,
) -> None:
    """A held credit its refunds reverse entirely: nothing is left for head office (audited)."""
    refunds = sorted({w.refund_id or w.entry_id for w in reversals})
    h.status, h.decided_at, h.decided_by = REFUNDED, now, actor[:64]
    h.note = f"reversed by {', '.join(refunds)}"[:200]
    uow.audit(
        "admin" if actor != "server" else "system",
        actor,
        "held_entry.refunded",
        "ledger_entry",
        h.entry_id,
        before={"status": "held"},
        after={"status": REFUNDED},
        member_id=h.member_id,
        currency=h.currency,
        amount=f"{h.amount:f}",
        refunds=refunds,
    )


def reversed_while_held(s: Session, entry_ids: Collection[str]) -> dict[str, Decimal]:
    """What waiting reversals take off each held entry (shown on *Ajustes retidos*)."""
    if not entry_ids:
        return {}
    rows = s.execute(
        select(RefundReversal.reverses, func.sum(RefundReversal.amount))
        .where(RefundReversal.reverses.in_(list(entry_ids)), RefundReversal.status == WAITING)
        .group_by(RefundReversal.reverses)
    )
    return {name: Decimal(total or 0) for name, total in rows}
