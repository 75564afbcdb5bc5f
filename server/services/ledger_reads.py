"""Members' ledger entries read in batches, as ``loyalty`` entries, for the ledger's jobs.

One query per batch of members (the ``(member_id, currency)`` index), only the columns an
entry has, converted explicitly to :class:`loyalty.rewards.LedgerEntry` (never mapped).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from loyalty.rewards import Currency, EntryKind, LedgerEntry

from ..models import LedgerEntryRow

_T = LedgerEntryRow.__table__
_COLUMNS = (
    "entry_id",
    "member_id",
    "currency",
    "kind",
    "amount",
    "effective_at",
    "available_at",
    "expires_at",
    "sale_id",
    "rule_id",
    "store_id",
    "terminal_id",
    "reverses",
    "reason",
)
_CURRENCIES = {c.value: c for c in Currency}
_KINDS = {k.value: k for k in EntryKind}
_ONE = Decimal(1)


def entries_by_member(session: Session, member_ids: Sequence[str]) -> dict[str, list[LedgerEntry]]:
    """Every entry of ``member_ids``, by member (members with none are absent)."""
    out: dict[str, list[LedgerEntry]] = defaultdict(list)
    if not member_ids:
        return out
    stmt = select(*(_T.c[name] for name in _COLUMNS)).where(_T.c.member_id.in_(member_ids))
    for r in session.execute(stmt):
        currency = _CURRENCIES[r.currency]
        amount = r.amount.quantize(_ONE) if currency is Currency.POINTS else r.amount
        out[r.member_id].append(
            LedgerEntry(
                entry_id=r.entry_id,
                member_id=r.member_id,
                currency=currency,
                kind=_KINDS[r.kind],
                amount=amount,
                effective_at=r.effective_at,
                available_at=r.available_at,
                expires_at=r.expires_at,
                sale_id=r.sale_id,
                rule_id=r.rule_id,
                store_id=r.store_id,
                terminal_id=r.terminal_id,
                reverses=r.reverses,
                reason=r.reason,
            )
        )
    return out


def entry_row(entry: LedgerEntry, recorded_at: object) -> dict[str, object]:
    """The ``ledger_entries`` row of an entry a job made (no event: the server made it)."""
    return {
        "entry_id": entry.entry_id,
        "member_id": entry.member_id,
        "currency": entry.currency.value,
        "kind": entry.kind.value,
        "amount": entry.amount,
        "effective_at": entry.effective_at,
        "available_at": entry.available_at,
        "expires_at": entry.expires_at,
        "sale_id": entry.sale_id,
        "rule_id": entry.rule_id,
        "store_id": entry.store_id,
        "terminal_id": entry.terminal_id,
        "reverses": entry.reverses,
        "reason": entry.reason,
        "event_id": None,
        "recorded_at": recorded_at,
    }
