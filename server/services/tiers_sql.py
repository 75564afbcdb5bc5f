"""The tier review's set-based batch on PostgreSQL: one statement decides and writes a batch.

:func:`server.services.tiers.review_tiers` walks the members in keyset batches. On SQLite each
batch is read into Python and decided there (``tiers._batch``); on PostgreSQL this module does
the same batch in one statement: the members of the batch, their qualifying spend (sales minus
refunds over the window, two aggregates), the ladder decision as ``CASE`` expressions built
from the ladder, the change numbers taken from ``change_counter`` in a data-modifying CTE, and
one ``UPDATE … FROM`` of the members whose tier or review date moves. Nothing per member comes
back to Python but the batch's counts.

The decision is exactly :func:`server.services.tiers.decide` (a property test runs both paths
on random members and compares tiers, review dates, change numbers and counts):

- no ladder, or an inactive member: no tier and no review date (a change number only if a
  tier is removed);
- no tier, or one the ladder no longer has: the tier the spend earns, a full review;
- a review due (never reviewed, or ``review_every_months`` since the last one, in calendar
  months clamped to the month's end, as ``add_months`` and PostgreSQL's ``interval`` both do):
  the tier the spend earns, up or down;
- otherwise the higher of the tier held and the tier earned (upgrades only).

Changed rows take consecutive change numbers in the order the Python path gives them (the
cleared ones first, then the rest, each by member id), so both paths write the same rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from loyalty.rewards.tiers import TierConfig

_KINDS = ("promoted", "demoted", "assigned", "cleared")


@dataclass(frozen=True)
class BatchResult:
    """One batch's counts, and the last member id it covered (``None``: no members left)."""

    last_id: str | None
    members: int
    reviewed: int
    counts: dict[str, int]


def _ladder_sql(config: TierConfig | None) -> tuple[str, str, str, dict[str, Any]]:
    """SQL for the earned rank, the current rank and rank -> name, with their parameters."""
    if config is None:
        return "0", "NULL::int", "NULL::varchar", {}
    params: dict[str, Any] = {}
    earned = ["CASE"]
    for i in range(len(config.tiers) - 1, 0, -1):
        # Cents: the stored amounts are integer hundredths; thresholds are compared exactly.
        params[f"th{i}"] = config.tiers[i].threshold.amount * Decimal(100)
        earned.append(f"WHEN sp.cents >= :th{i} THEN {i}")
    earned.append("ELSE 0 END")
    if len(config.tiers) == 1:
        earned = ["0"]  # a one-step ladder: a CASE without a WHEN is not SQL
    current = ["CASE b.tier"]
    name = ["CASE r.new_rank"]
    for i, tier in enumerate(config.tiers):
        params[f"name{i}"] = tier.name
        current.append(f"WHEN :name{i} THEN {i}")
        name.append(f"WHEN {i} THEN CAST(:name{i} AS varchar)")
    current.append("END")
    name.append("END")
    return " ".join(earned), " ".join(current), " ".join(name), params


def _statement(config: TierConfig | None) -> tuple[str, dict[str, Any]]:
    earned, current, name, params = _ladder_sql(config)
    live = "b.active" if config is not None else "false"
    sql = f"""
WITH b AS (
    SELECT id, active, tier, tier_reviewed_at FROM members WHERE id >= :lo AND id <= :hi
),
sales_in AS (
    SELECT s.member_id, sum(s.total) AS cents FROM sales s
    WHERE s.member_id >= :lo AND s.member_id <= :hi
      AND s.occurred_at > :start AND s.occurred_at <= :at
    GROUP BY s.member_id
),
refunds_in AS (
    SELECT s.member_id, sum(f.amount) AS cents FROM refunds f
    JOIN sales s ON s.sale_id = f.sale_id
    WHERE s.member_id >= :lo AND s.member_id <= :hi
      AND f.occurred_at > :start AND f.occurred_at <= :at
    GROUP BY s.member_id
),
sp AS (
    SELECT b.id, coalesce(si.cents, 0) - coalesce(ri.cents, 0) AS cents
    FROM b LEFT JOIN sales_in si ON si.member_id = b.id
    LEFT JOIN refunds_in ri ON ri.member_id = b.id
),
ranks AS (
    SELECT b.id, b.tier, b.tier_reviewed_at, {live} AS live,
           {current} AS cur_rank, {earned} AS earned_rank
    FROM b JOIN sp ON sp.id = b.id
),
full_ AS (
    SELECT ranks.*,
           live AND (cur_rank IS NULL OR tier_reviewed_at IS NULL
                     OR :at >= tier_reviewed_at + make_interval(months => :every)) AS is_full
    FROM ranks
),
r AS (
    SELECT full_.*,
           CASE WHEN is_full THEN earned_rank ELSE greatest(earned_rank, cur_rank) END AS new_rank
    FROM full_
),
decided AS (
    SELECT r.id, r.is_full,
           CASE WHEN r.live THEN {name} END AS new_tier,
           CASE WHEN NOT r.live THEN NULL
                WHEN r.is_full THEN CAST(:at AS timestamp)
                ELSE r.tier_reviewed_at END AS new_at,
           r.tier AS old_tier, r.tier_reviewed_at AS old_at, r.cur_rank, r.new_rank, r.live
    FROM r
),
kinds AS (
    SELECT d.*,
           CASE WHEN new_tier IS NOT DISTINCT FROM old_tier THEN
                     CASE WHEN new_at IS DISTINCT FROM old_at THEN 'reviewed' END
                WHEN NOT live THEN 'cleared'
                WHEN cur_rank IS NULL THEN 'assigned'
                WHEN new_rank > cur_rank THEN 'promoted'
                ELSE 'demoted' END AS kind
    FROM decided d
),
numbered AS (
    SELECT k.*, row_number() OVER (ORDER BY k.kind <> 'cleared', k.id) AS rn,
           count(*) OVER () AS n
    FROM kinds k WHERE k.kind IN ('promoted', 'demoted', 'assigned', 'cleared')
),
counter AS (
    -- Only when something changes: a batch with no new tier leaves the counter unlocked.
    UPDATE change_counter SET value = value + (SELECT count(*) FROM numbered)
    WHERE id = 1 AND EXISTS (SELECT 1 FROM numbered)
    RETURNING value
),
written AS (
    UPDATE members m SET
        tier = k.new_tier,
        tier_reviewed_at = k.new_at,
        change_seq = CASE WHEN n.id IS NULL THEN m.change_seq
                          ELSE (SELECT value FROM counter) - n.n + n.rn END
    FROM kinds k LEFT JOIN numbered n ON n.id = k.id
    WHERE m.id = k.id AND k.kind IS NOT NULL
    RETURNING k.kind
)
SELECT (SELECT max(id) FROM b) AS last_id,
       (SELECT count(*) FROM b) AS members,
       (SELECT count(*) FROM decided WHERE is_full) AS reviewed,
       {", ".join(f"(SELECT count(*) FROM written WHERE kind = '{k}') AS {k}" for k in _KINDS)}
"""
    return sql, params


def review_batch(
    session: Session,
    config: TierConfig | None,
    after: str,
    size: int,
    start: dt.datetime,
    at: dt.datetime,
) -> BatchResult:
    """Decide and write the batch of up to ``size`` members after ``after`` (by id) at ``at``.

    ``start`` is the window's exclusive start. The caller commits.
    """
    # The batch's bounds first, as values: the planner then range-scans the member_id
    # indexes (bounds computed inside the statement left it scanning every sale per batch).
    lo, hi = session.execute(
        text(
            "SELECT min(id), max(id) FROM (SELECT id FROM members WHERE id > :after"
            " ORDER BY id LIMIT :size) AS b"
        ),
        {"after": after, "size": size},
    ).one()
    if hi is None:
        return BatchResult(last_id=None, members=0, reviewed=0, counts=dict.fromkeys(_KINDS, 0))
    sql, params = _statement(config)
    # The CTEs' row estimates are far too high (millions for a batch of thousands), which
    # makes PostgreSQL JIT-compile the statement: ~1 s per batch spent compiling a plan that
    # runs in milliseconds. Off for this transaction only.
    session.execute(text("SET LOCAL jit = off"))

    def naive(moment: dt.datetime) -> dt.datetime:
        return moment.astimezone(dt.UTC).replace(tzinfo=None)

    params |= {
        "lo": lo,
        "hi": hi,
        "start": naive(start),
        "at": naive(at),
        "every": config.review_every_months if config is not None else 1,
    }
    row = session.execute(text(sql), params).one()
    return BatchResult(
        last_id=row.last_id,
        members=int(row.members),
        reviewed=int(row.reviewed),
        counts={k: int(getattr(row, k)) for k in _KINDS},
    )
