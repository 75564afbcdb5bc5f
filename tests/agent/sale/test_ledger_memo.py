"""The in-memory ledger of the sale flow: parsed once, new entries added, invalidation wins."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from agent.sale.ledger import LedgerMemo
from loyalty.rewards import Currency, EntryKind, LedgerEntry, make_entry_id

T = datetime(2026, 1, 1, tzinfo=UTC)


def entry(seq: int, member: str = "M1", store: str = "HQ") -> LedgerEntry:
    return LedgerEntry(
        make_entry_id(store, "T1", seq), member, Currency.POINTS, EntryKind.EARN, Decimal(10), T
    )


def test_local_entries_the_server_already_holds_count_once() -> None:
    server = [entry(1), entry(2, store="L1")]
    loads = []
    memo = LedgerMemo(
        lambda m: loads.append(m) or server, lambda m: [entry(2, store="L1"), entry(3, store="L1")]
    )
    s, local = memo.entries("M1")
    assert [e.entry_id for e in local] == ["E:L1:T1:000000000003"]
    assert len(s) == 2
    memo.entries("M1")
    assert loads == ["M1"]  # parsed once
    memo.add_local([entry(4, store="L1")])
    assert len(memo.entries("M1")[1]) == 2
    memo.invalidate({"M1"})
    memo.entries("M1")
    assert loads == ["M1", "M1"]


def test_a_load_racing_an_invalidation_is_not_kept() -> None:
    memo: LedgerMemo

    def server(member: str) -> list[LedgerEntry]:
        memo.invalidate({member})  # the sync worker pulled new entries meanwhile
        return [entry(1)]

    memo = LedgerMemo(server, lambda m: [])
    memo.entries("M1")
    assert "M1" not in memo._members
