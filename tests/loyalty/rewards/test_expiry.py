"""The expiry job: FIFO write-offs that never touch what was redeemed."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from loyalty.rewards import Currency, EntryKind, LedgerEntry, balance, expire_due
from loyalty.rewards.lots import fold
from loyalty.rewards.redemption import redeem_entries

from .conftest import MEMBER, day, entry, id_source

P = Currency.POINTS


def _job(entries: list[LedgerEntry], at_day: float) -> list[LedgerEntry]:
    return expire_due(entries, currency=P, member_id=MEMBER, at=day(at_day), new_id=_hq)


_hq = id_source("HQ", "srv-1")


def test_worked_example_oldest_points_expire_first() -> None:
    """
    | entry  | day | points | expires | left on day 40 | expired on day 40 |
    |--------|-----|--------|---------|----------------|-------------------|
    | earn A | 0   | 100    | day 30  | 40             | 40 (dated day 30) |
    | earn B | 10  | 100    | day 90  | 100            | -                 |
    | redeem | 20  | -60    |         | (drew on A)    |                   |
    """
    a = entry(1, 100, at=day(0), expires_at=day(30))
    entries = [a, entry(2, 100, at=day(10), expires_at=day(90)), entry(3, -60, at=day(20))]
    made = _job(entries, 40)
    assert [(e.kind, e.amount, e.reverses, e.effective_at) for e in made] == [
        (EntryKind.EXPIRE, Decimal(-40), a.entry_id, day(30))
    ]
    entries += made
    assert balance(entries, P, day(40)).available == 100
    assert _job(entries, 41) == []  # idempotent


def test_a_late_offline_redemption_is_not_expired_twice() -> None:
    """A redemption dated day 20 reaches the server after the day-40 job wrote off lot A.

    Before: A 100 (expires day 30), B 100 (day 90). The job on day 40 expired all of A. The late
    redemption of 60 drew on A (it was dated before A expired), so the expiry found only 40 in A
    and took 60 from B: the next run gives those 60 back. The member ends with B's 100: of
    A's 100, 60 were redeemed and 40 expired.
    """
    a = entry(1, 100, at=day(0), expires_at=day(30))
    b = entry(2, 100, at=day(10), expires_at=day(90))
    entries = [a, b]
    entries += _job(entries, 40)
    assert balance(entries, P, day(40)).available == 100
    entries.append(entry(3, -60, at=day(20), terminal="PDV-09"))  # the offline till syncs
    assert balance(entries, P, day(41)).available == 40  # wrong until the job runs again
    fix = _job(entries, 41)
    assert [(e.kind, e.amount) for e in fix] == [(EntryKind.REVERSE, Decimal(60))]
    assert fix[0].expires_at == day(90)  # the 60 came back from lot B and keep its expiry
    entries += fix
    assert balance(entries, P, day(41)).available == 100
    assert _job(entries, 42) == []


@st.composite
def timelines(draw: st.DrawFn) -> list[tuple[int, str, int, int]]:
    """Events (day, op, amount, expiry in days): earn or redeem, on distinct increasing days."""
    days = sorted(draw(st.sets(st.integers(0, 300), min_size=1, max_size=20)))
    return [
        (
            d,
            draw(st.sampled_from(["earn", "earn", "redeem"])),
            draw(st.integers(1, 200)),
            draw(st.integers(1, 120)),
        )
        for d in days
    ]


@given(timelines(), st.integers(300, 500))
def test_fifo_expiry_never_expires_redeemed_points(
    events: list[tuple[int, str, int, int]], end: int
) -> None:
    """Against a plain model: lots expire whole at their date; redemptions take the
    first-expiring lot first; the job runs before every event."""
    model: list[list[int]] = []  # [expires_day, remaining]
    expired_model = 0
    entries: list[LedgerEntry] = []
    ids = id_source()
    for d, op, amount, life in events:
        entries += _job(entries, d)
        for lot in model:
            if lot[0] <= d and lot[1]:
                expired_model += lot[1]
                lot[1] = 0
        if op == "earn":
            entries.append(
                LedgerEntry(
                    entry_id=ids(),
                    member_id=MEMBER,
                    currency=P,
                    kind=EntryKind.EARN,
                    amount=Decimal(amount),
                    effective_at=day(d),
                    expires_at=day(d + life),
                )
            )
            model.append([d + life, amount])
            continue
        available = int(balance(entries, P, day(d)).available)
        take = min(amount, available)
        if take:
            entries += redeem_entries(
                entries, currency=P, amount=Decimal(take), member_id=MEMBER, at=day(d), new_id=ids
            )
            for lot in sorted(model):
                got = min(take, lot[1])
                lot[1] -= got
                take -= got
    entries += _job(entries, end)
    for lot in model:
        if lot[0] <= end:
            expired_model += lot[1]
            lot[1] = 0
    expired = -sum((e.amount for e in entries if e.kind is EntryKind.EXPIRE), Decimal(0))
    redeemed = -sum((e.amount for e in entries if e.kind is EntryKind.REDEEM), Decimal(0))
    earned = sum((e.amount for e in entries if e.kind is EntryKind.EARN), Decimal(0))
    assert expired == expired_model
    assert expired + redeemed <= earned
    assert balance(entries, P, day(end)).available == sum(lot[1] for lot in model)
    assert fold(entries, P, day(end)).spills == ()
