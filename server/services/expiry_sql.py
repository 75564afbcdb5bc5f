"""The expiry job's set-based batch on PostgreSQL: one statement writes what the fold would.

:func:`server.services.expiry.run_expiry` walks the due members in keyset batches over
``ledger_due``. On SQLite every member of a batch is folded in Python
(:func:`server.services.expiry.due_work`); on PostgreSQL this module first does the batch in
one statement, for every member whose history it can decide exactly, and hands back the rest,
which the caller folds in Python in the same transaction.

A member is decided here when, in each currency, the fold draws only on named lots: every
negative entry effective by ``at`` names (``reverses``) a positive entry of the same member and
currency dated strictly before it, and no lot's named draws add up to more than the lot. Then
no draw falls through to first-expiring-first-out, no deficit opens and no expiry spills, and
what is left of a lot is its amount minus what names it: one ``GROUP BY`` of the batch's
entries by (member, lot named). That is the usual ledger (the till writes one redemption per
lot it draws on; a refund names the earning). A redemption that names no lot, or one dated
before its lot or at the same moment (the fold would then order by id: left to it), a draw
beyond its lot (a late offline redemption of an expired lot, a refund of spent points), a
negative adjustment: that member goes to the fold.

For the members decided here the statement writes, with the ids the fold's entries have
(:mod:`loyalty.rewards.derived_ids`, SHA-256 in SQL):

- an ``expire`` of what is left of each lot past its ``expires_at`` and not pending at ``at``,
  dated at the expiry (:func:`loyalty.rewards.expiry.plan_expiry`);
- a zero ``mature`` marker of each cashback credit past its ``available_at`` that has none
  (:func:`loyalty.rewards.expiry.maturity_markers`, effective or not);

takes their change numbers from ``change_counter`` in a data-modifying CTE, and moves each
member's ``due_at`` to the next moment the fold would give (a pending lot's maturity, a lot
with something left's expiry, a future credit's maturity), unless a concurrent run lowered it.
A property test (``tests/server/test_expiry_sql.py``) runs both paths on random ledgers and
requires the same entries, change numbers, due moments and report.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.orm import Session


def derived_id_sql(tag: str, source: str) -> str:
    """SQL for :func:`loyalty.rewards.derived_ids.derived_entry_id` (no salt) of ``source``."""
    digest = f"encode(sha256(convert_to('{tag}|' || {source} || '|', 'UTF8')), 'hex')"
    return f"'E:HQ:{tag}' || left({digest}, 30) || ':' || split_part({source}, ':', 4)"


_STATEMENT = f"""
WITH b AS (
    SELECT u.member_id, u.due_at
    FROM unnest(CAST(:members AS varchar[]), CAST(:dues AS timestamp[])) AS u(member_id, due_at)
),
g AS (
    SELECT x.member_id,
           CASE WHEN x.amount > 0 THEN x.entry_id ELSE x.reverses END AS key,
           count(*) FILTER (WHERE x.amount > 0) AS lots,
           max(x.currency) FILTER (WHERE x.amount > 0) AS currency,
           max(x.amount) FILTER (WHERE x.amount > 0) AS amount,
           max(x.effective_at) FILTER (WHERE x.amount > 0) AS effective_at,
           max(x.available_at) FILTER (WHERE x.amount > 0) AS available_at,
           max(x.expires_at) FILTER (WHERE x.amount > 0) AS expires_at,
           max(x.sale_id) FILTER (WHERE x.amount > 0) AS sale_id,
           count(*) FILTER (WHERE x.amount < 0 AND x.effective_at <= :at) AS draws,
           coalesce(sum(x.amount) FILTER (WHERE x.amount < 0 AND x.effective_at <= :at), 0)
               AS drawn,
           min(x.effective_at) FILTER (WHERE x.amount < 0 AND x.effective_at <= :at)
               AS first_draw,
           min(x.currency) FILTER (WHERE x.amount < 0 AND x.effective_at <= :at) AS cur_lo,
           max(x.currency) FILTER (WHERE x.amount < 0 AND x.effective_at <= :at) AS cur_hi,
           bool_or(x.kind = 'mature') AS marked
    FROM ledger_entries x WHERE x.member_id = ANY(CAST(:members AS varchar[]))
    GROUP BY 1, 2
),
d AS (
    SELECT g.*, g.amount + g.drawn AS remaining,
           g.lots = 1 AND g.effective_at <= :at AS in_fold,
           g.draws > 0 AND (g.lots = 0 OR g.first_draw <= g.effective_at
                            OR g.cur_lo <> g.currency OR g.cur_hi <> g.currency
                            OR g.amount + g.drawn < 0) AS hard
    FROM g
),
m AS (
    SELECT d.member_id, bool_or(d.hard) AS hard,
           min(least(
               CASE WHEN d.in_fold AND d.remaining > 0 THEN
                    CASE WHEN d.available_at > :at THEN d.available_at
                         WHEN d.expires_at > :at THEN d.expires_at END END,
               CASE WHEN d.lots = 1 AND d.currency = 'cashback' AND d.available_at > :at
                    THEN d.available_at END)) AS next_due
    FROM d GROUP BY d.member_id
),
made AS (
    SELECT d.member_id, 0 AS grp, d.available_at AS k1, d.key AS k3,
           {derived_id_sql("mt", "d.key")} AS entry_id, 'cashback' AS currency,
           'mature' AS kind, CAST(0 AS bigint) AS amount, d.available_at AS effective_at,
           d.sale_id, d.key AS reverses,
           CAST(CAST(d.amount AS numeric) / 100 AS numeric(20, 2)) || ' available' AS reason
    FROM d JOIN m ON m.member_id = d.member_id AND NOT m.hard
    WHERE d.lots = 1 AND d.currency = 'cashback' AND d.available_at <= :at AND NOT d.marked
    UNION ALL
    SELECT d.member_id, CASE d.currency WHEN 'points' THEN 1 ELSE 2 END, d.expires_at, d.key,
           {derived_id_sql("xp", "d.key")}, d.currency,
           'expire', -d.remaining, d.expires_at, d.sale_id, d.key, 'expired'
    FROM d JOIN m ON m.member_id = d.member_id AND NOT m.hard
    WHERE d.in_fold AND d.remaining > 0 AND d.expires_at <= :at
      AND (d.available_at IS NULL OR d.available_at <= :at)
),
numbered AS (
    SELECT w.*, row_number() OVER (ORDER BY w.member_id COLLATE "C", w.grp, w.k1,
                                            w.k3 COLLATE "C") AS rn,
           count(*) OVER () AS n
    FROM made w
),
counter AS (
    -- Only when something is written: a batch with nothing to write leaves the counter alone.
    UPDATE change_counter SET value = value + (SELECT count(*) FROM made)
    WHERE id = 1 AND EXISTS (SELECT 1 FROM made)
    RETURNING value
),
written AS (
    INSERT INTO ledger_entries (entry_id, member_id, currency, kind, amount, effective_at,
        available_at, expires_at, sale_id, rule_id, store_id, terminal_id, reverses, reason,
        event_id, recorded_at, change_seq)
    SELECT w.entry_id, w.member_id, w.currency, w.kind, w.amount, w.effective_at,
           NULL, NULL, w.sale_id, NULL, NULL, NULL, w.reverses, w.reason,
           NULL, CAST(:at AS timestamp), (SELECT value FROM counter) - w.n + w.rn
    FROM numbered w
    -- Derived ids: an entry a concurrent run already wrote is skipped, never doubled.
    ON CONFLICT DO NOTHING
    RETURNING 1
),
moved AS (
    -- The ANY: the batch's rows through the primary key (a hash join, without nested loops).
    UPDATE ledger_due x SET due_at = m.next_due
    FROM b LEFT JOIN m ON m.member_id = b.member_id
    WHERE x.member_id = ANY(CAST(:members AS varchar[])) AND x.member_id = b.member_id
      AND NOT coalesce(m.hard, false) AND x.due_at IS NOT DISTINCT FROM b.due_at
    RETURNING 1
)
SELECT (SELECT array_agg(m.member_id) FROM m WHERE m.hard) AS hard,
       (SELECT count(*) FROM made WHERE kind = 'expire') AS expired,
       (SELECT count(*) FROM made WHERE kind = 'mature') AS matured,
       (SELECT coalesce(sum(-amount), 0) FROM made
        WHERE kind = 'expire' AND currency = 'points') AS points_cents,
       (SELECT coalesce(sum(-amount), 0) FROM made
        WHERE kind = 'expire' AND currency = 'cashback') AS cashback_cents,
       (SELECT count(*) FROM written) AS inserted,
       (SELECT count(*) FROM moved) AS moved
"""


@dataclass(frozen=True)
class SqlBatch:
    """What the statement did for one batch, and the members it left to the fold."""

    hard: frozenset[str]
    expired: int
    matured: int
    points_expired: Decimal  # points
    cashback_expired: Decimal  # BRL

    @property
    def written(self) -> int:
        return self.expired + self.matured


def expire_batch(
    session: Session, rows: list[tuple[str, dt.datetime | None]], at: dt.datetime
) -> SqlBatch:
    """Write the expiries and maturity markers of the batch ``rows`` (member, ``due_at`` read)
    at ``at`` for the members the statement decides, move their ``due_at``; the caller folds
    the members in :attr:`SqlBatch.hard` and commits."""

    def naive(moment: dt.datetime | None) -> dt.datetime | None:
        return None if moment is None else moment.astimezone(dt.UTC).replace(tzinfo=None)

    # PostgreSQL has no statistics for a CTE's columns: it guesses a handful of rows for
    # each filtered CTE and then nests loops between them, quadratic in the batch (a batch of
    # 2000 members took 30 s). Hash joins are right for every join here. The same estimates
    # also make it JIT-compile a plan that runs in milliseconds. Both until the fold or commit.
    # One round trip for both (``set_config(..., true)`` is ``SET LOCAL``): each batch is a few
    # statements, and on a busy machine every round trip waits for the CPU twice.
    session.execute(
        text("SELECT set_config('jit', 'off', true), set_config('enable_nestloop', 'off', true)")
    )
    r = session.execute(
        text(_STATEMENT),
        {
            "members": [m for m, _ in rows],
            "dues": [naive(d) for _, d in rows],
            "at": naive(at),
        },
    ).one()
    if r.hard:
        # The fold of these members follows in this transaction: its reads plan as usual.
        # Otherwise the commit that follows ends the two settings.
        session.execute(text("RESET enable_nestloop"))
        session.execute(text("RESET jit"))
    points = Decimal(int(r.points_cents) // 100)
    # Zero stays Decimal(0): the report prints "0" as the fold's sum of nothing does.
    cents = int(r.cashback_cents)
    cashback = Decimal(cents).scaleb(-2) if cents else Decimal(0)
    return SqlBatch(frozenset(r.hard or ()), r.expired, r.matured, points, cashback)
