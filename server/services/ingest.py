"""Push: apply a batch of agent events exactly once, rejecting bad events one by one.

The order of work for a batch:

1. parse and check every event in Python (no transaction open), each on its own so nothing
   one event holds can fail another: malformed, unknown type, an id that is not the pushing
   terminal's (``ingest_checks.check_origin``), a string longer than its column
   (``ingest_lengths``) -> rejected alone; then each event type's handler prepares its
   events of the batch (``ingest_handlers/``: sales are re-priced with the campaigns and the
   members' personal offers, CPFs hashed), event by event if the batch's preparation fails;
2. one transaction: skip ids already in ``applied_events`` (a re-send by the same terminal),
   check what needs the database (a sale id or CPF already taken, an unknown voucher),
   decide which ledger entries are held for head office (``till_grants``: credits beyond
   what the server derives), claim the remaining ids with
   ``INSERT … ON CONFLICT DO NOTHING RETURNING`` (a concurrent push of the same id gets nothing
   back and skips it), write every effect in bulk, settle the vouchers used, commit;
3. answer: every id now durably applied (including earlier applications) and, per rejected
   event, its code and message.

An event's id and its effects commit together, so a crash (kill -9) before the commit leaves
nothing and the re-sent batch applies it all; after the commit a re-send changes nothing. If a
race slips past the checks (two workers enrolling the same CPF), the bulk write fails with an
integrity error and the batch is re-run event by event in savepoints, so only the loser of the
race is rejected.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError

from loyalty.bounds import DEFAULT_BOUNDS, Bounds
from loyalty.errors import LoyaltyError
from loyalty.events import event_from_dict
from loyalty.rewards import TenderLimits

from ..clock import now as utcnow
from ..models import (
    AppliedEvent,
    RejectedEvent,
)
from ..security import CpfCipher
from .ingest_checks import check_against_db, check_origin, decide_holds
from .ingest_handlers import EventHandler, PushContext, handler_for
from .ingest_lengths import check_lengths
from .ingest_rows import write
from .ingest_types import BatchResult, Pending, Reject, Rejection
from .reprice import CampaignCache, VoucherLoader
from .terminals import TerminalIdentity
from .till_grants import AdjustmentLimits
from .uow import SqlUnitOfWork
from .vouchers import settle_voucher

log = logging.getLogger("tillclub.server.ingest")
NO_ADJUSTMENTS = AdjustmentLimits()  # every till adjustment held (the config's default)


def apply_batch(
    uow: SqlUnitOfWork,
    who: TerminalIdentity,
    raw_events: Sequence[Any],
    *,
    campaigns: CampaignCache,
    vouchers: VoucherLoader,
    cipher: CpfCipher,
    tenders: TenderLimits | None = None,
    bounds: Bounds = DEFAULT_BOUNDS,
    adjustments: AdjustmentLimits = NO_ADJUSTMENTS,
    pause_before_commit: float = 0.0,
) -> BatchResult:
    """Apply ``raw_events`` (wire dicts) pushed by terminal ``who``; see the module docstring.

    :param campaigns: the campaigns in force, to re-price sales with.
    :param vouchers: the vouchers a re-priced sale used, by code.
    :param tenders: the tills' tender rules, to re-check each sale's redemptions.
    :param bounds: the upper bounds a sale must keep (``limits`` in the server config).
    :param adjustments: what a terminal may adjust by alone (``till_adjustments``); entries
        beyond what a till may grant are held (``services/till_grants.py``), never applied.

    .. versionchanged:: the push view no longer builds the re-pricer: pass the campaigns and
       the voucher loader; the members' offers are loaded here.
    """
    result = BatchResult()
    pending: list[Pending] = []
    by_handler: dict[EventHandler[Any], list[Pending]] = {}
    seen: set[str] = set()
    for index, raw in enumerate(raw_events):
        raw_id = raw.get("event_id") if isinstance(raw, dict) else None
        event_id = raw_id[:128] if isinstance(raw_id, str) else None
        try:
            event = event_from_dict(raw, bounds)
            check_origin(event, who)
            check_lengths(event)
            if event.header.event_id in seen:
                continue  # the same event twice in one batch: apply once, answer once
            seen.add(event.header.event_id)
            item = Pending(index, event)
            by_handler.setdefault(handler_for(event), []).append(item)
            pending.append(item)
        except Reject as exc:
            result.rejected.append(Rejection(index, event_id, exc.code, exc.message))
        except LoyaltyError as exc:
            result.rejected.append(Rejection(index, event_id, exc.code, exc.message_en))
        except Exception as exc:  # noqa: BLE001 - whatever one event does, it is refused alone
            log.warning(
                "event could not be parsed", extra=_who(who) | {"error": type(exc).__name__}
            )
            result.rejected.append(
                Rejection(
                    index, event_id, "invalid_event", f"event not readable: {type(exc).__name__}"
                )
            )
    if not pending:
        return result
    context = PushContext(uow, campaigns, vouchers, cipher, tenders)
    for handler, items in by_handler.items():
        for p in _prepare(handler, items, context, who):
            result.rejected.append(
                Rejection(
                    p.index,
                    p.event_id,
                    "unprocessable_event",
                    "the server could not prepare this event",
                )
            )
            pending.remove(p)
    if not pending:
        result.rejected.sort(key=lambda r: r.index)
        return result
    parsed_rejections = list(result.rejected)
    granular = False
    for attempt in range(1, _ATTEMPTS + 1):
        result = BatchResult(rejected=list(parsed_rejections))
        try:
            _apply(
                uow,
                who,
                pending,
                result,
                cipher,
                adjustments,
                pause_before_commit,
                granular=granular,
            )
            break
        except IntegrityError:
            # A concurrent push took a key this batch needs: redo event by event, so only
            # the events that lost the race are rejected.
            if granular:
                raise
            log.warning("batch conflict; re-applying event by event", extra=_who(who))
            granular = True
        except OperationalError as exc:
            if attempt == _ATTEMPTS or not _is_transient(exc):
                raise
            log.warning("batch deadlock or serialization failure; retrying", extra=_who(who))
    position = {p.event_id: p.index for p in pending}
    result.applied.sort(key=position.__getitem__)
    result.rejected.sort(key=lambda r: r.index)
    return result


def record_rejections(
    uow: SqlUnitOfWork, who: TerminalIdentity, rejected: Sequence[Rejection]
) -> None:
    """Keep the last rejection of each event id for head office (what agents keep failing on).

    Separate from the batch's transaction: bookkeeping must never undo or delay applied events.
    Rows are the pushing terminal's: a till that pushes another's event id is listed as itself.
    """
    latest = {r.event_id[:128]: r for r in rejected if r.event_id}
    if not latest:
        return
    now = utcnow()
    with uow:
        s = uow.session
        known = {
            row.event_id: row
            for row in s.scalars(
                select(RejectedEvent).where(
                    RejectedEvent.terminal_id == who.terminal_id,
                    RejectedEvent.event_id.in_(list(latest)),
                )
            )
        }
        for event_id, r in latest.items():
            row = known.get(event_id)
            if row is None:
                s.add(
                    RejectedEvent(
                        event_id=event_id[:128],
                        terminal_id=who.terminal_id,
                        code=r.code,
                        message=r.message[:500],
                        first_seen_at=now,
                        last_seen_at=now,
                        attempts=1,
                    )
                )
            else:
                row.code, row.message, row.last_seen_at = r.code, r.message[:500], now
                row.attempts += 1
        uow.commit()


_ATTEMPTS = 4


def _prepare(
    handler: EventHandler[Any], items: list[Pending], ctx: PushContext, who: TerminalIdentity
) -> list[Pending]:
    """Run ``handler.prepare`` on the batch's events of its type; the events it fails on.

    Prepared together for speed; if that raises, each event alone, so one event that breaks
    the re-pricing is refused alone and the rest are prepared.
    """
    try:
        handler.prepare(items, ctx)
        return []
    except Exception:  # noqa: BLE001 - one event must not sink the batch
        log.warning("preparing a batch failed; preparing event by event", extra=_who(who))
    failed: list[Pending] = []
    for p in items:
        try:
            handler.prepare([p], ctx)
        except Exception:  # noqa: BLE001
            log.exception("event could not be prepared", extra=_who(who))
            failed.append(p)
    return failed


def _who(who: TerminalIdentity) -> dict[str, str]:
    return {"terminal_id": who.terminal_id}


def _is_transient(exc: OperationalError) -> bool:
    code = getattr(exc.orig, "sqlstate", None)
    return code in ("40P01", "40001")  # deadlock detected, serialization failure


def _apply(
    uow: SqlUnitOfWork,
    who: TerminalIdentity,
    pending: list[Pending],
    result: BatchResult,
    cipher: CpfCipher,
    adjustments: AdjustmentLimits,
    pause_before_commit: float,
    *,
    granular: bool,
) -> None:
    now = utcnow()
    with uow:
        s = uow.session
        ids = [p.event_id for p in pending]
        done: dict[str, str] = {
            event_id: terminal_id
            for event_id, terminal_id in s.execute(
                select(AppliedEvent.event_id, AppliedEvent.terminal_id).where(
                    AppliedEvent.event_id.in_(ids)
                )
            )
        }
        todo: list[Pending] = []
        for p in pending:
            by = done.get(p.event_id)
            if by is None:
                todo.append(p)
            elif by == who.terminal_id:
                result.applied.append(p.event_id)
            else:  # only a row written before ids were checked can be another's
                result.rejected.append(
                    Rejection(
                        p.index,
                        p.event_id,
                        "event_id_taken",
                        "this event id was applied "
                        "for another terminal; head office must look into it",
                    )
                )
        todo = check_against_db(s, todo, result)
        decide_holds(s, todo, who, adjustments, now)
        groups = [[p] for p in todo] if granular else ([todo] if todo else [])
        vouchers: set[str] = set()
        for group in groups:
            settled: list[dict[str, Any]] = []
            try:
                if granular:
                    with s.begin_nested():
                        claimed = write(uow, who, group, now, cipher, vouchers, settled)
                else:
                    claimed = write(uow, who, group, now, cipher, vouchers, settled)
            except IntegrityError as exc:
                if not granular:
                    raise
                p = group[0]
                result.rejected.append(
                    Rejection(p.index, p.event_id, "conflict", _integrity_message(exc))
                )
                continue
            result.applied.extend(p.event_id for p in group)
            result.flags.extend(settled)
            for p in group:
                if p.event_id not in claimed:
                    continue
                if p.reprice is not None and p.reprice.flag is not None:
                    result.flags.append({"event_id": p.event_id, **p.reprice.flag})
                for entry_id, hold in p.held.items():
                    result.flags.append(
                        {
                            "code": "entry_held",
                            "event_id": p.event_id,
                            "entry_id": entry_id,
                            "reason": hold.code,
                            "detail": hold.detail,
                        }
                    )
        for voucher_id in sorted(vouchers):
            for flag in settle_voucher(s, voucher_id, now):
                result.flags.append(flag)
        if pause_before_commit:
            time.sleep(pause_before_commit)  # failpoint for the kill -9 test only
        uow.commit()


def _integrity_message(exc: IntegrityError) -> str:
    text = str(exc.orig).splitlines()[0] if exc.orig is not None else "integrity error"
    return f"conflicts with a record written concurrently: {text[:200]}"
