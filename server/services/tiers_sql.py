"""The tier review's set-based step on PostgreSQL: one statement decides and writes a step.

:func:`server.services.tiers.review_tiers` calls :func:`review_step` until the members run out.
A step reads a *window* of members after ``after`` (by id; its upper bound taken first from
the primary key, so the planner plans the aggregates for the range they cover), each with its
qualifying spend (sales minus refunds over the review window, two aggregates), takes the
ladder decision as ``CASE`` expressions built from the ladder, and writes the first ``size``
members of the window whose tier or review date moves: their change numbers from
``change_counter`` in a data-modifying CTE, then one ``UPDATE … FROM``. Nothing per member
comes back to Python but the step's counts.

``size`` (the job's ``batch_size``) bounds the *writes* of a step, which is what holds locks
(the counter row, the written members); the window adapts to the density of changes
(:func:`next_window`): a step that wrote nothing makes the next one read ``size`` times more
members, so a night with little to change is two statements (``size`` members, then the rest,
about one bare aggregate of the spend), and a first run that writes every member steps
``size`` members at a time, each step a short transaction.

The decision is exactly :func:`server.services.tiers.decide` (a property test runs both paths
on random members and compares tiers, review dates, change numbers, counts, the audit row
and the member feed):

- no ladder, or an inactive member: no tier and no review date (a change number only if a
  tier is removed);
- no tier, or one the ladder no longer has: the tier the spend earns, a full review;
- a review due (never reviewed, or ``review_every_months`` since the last one, in calendar
  months clamped to the month's end, as ``add_months`` and PostgreSQL's ``interval`` both do):
  the tier the spend earns, up or down;
- otherwise the higher of the tier held and the tier earned (upgrades only).

Changed rows take consecutive change numbers in member id order, as the Python path gives
them, so both paths write the same rows whatever their batch sizes and windows. A member
whose tier or review date moved after the step read it (an upgrade at ingest, in another
transaction) is left alone by the ``UPDATE`` (its guard re-checks the row PostgreSQL re-reads)
and is reviewed on the next run; its change number is then a gap, which the feed's cursors
do not mind (they only ask for numbers above them).
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
class StepResult:
    """One step's counts, and where the next starts (``None``: no members left)."""

    last_id: str | None
    members: int
    writes: int  # rows written: tier changes and new review dates
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
        earned.append(f"WHEN x.cents >= :th{i} THEN {i}")
    earned.append("ELSE 0 END")
    if len(config.tiers) == 1:
        earned = ["0"]  # a one-step ladder: a CASE without a WHEN is not SQL
    current = ["CASE m.tier"]
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
    live = "m.active" if config is not None else "false"
    # The decision is one flat join, its steps as LATERAL column lists (inlined by the
    # planner): CTEs chained over a million rows were materialised and sorted on disk.
    sql = f"""
WITH ch AS (
    -- The step's writes: the first :size rows of the window that move, in id order.
    SELECT m.id, m.tier AS old_tier, m.tier_reviewed_at AS old_at, f.is_full, n.new_tier,
           n.new_at, k.kind
    FROM members m
    LEFT JOIN (SELECT member_id, sum(total) AS cents FROM sales
               WHERE member_id > :after AND member_id <= :hi
                 AND occurred_at > :start AND occurred_at <= :at
               GROUP BY member_id) si ON si.member_id = m.id
    LEFT JOIN (SELECT s.member_id, sum(rf.amount) AS cents FROM refunds rf
               JOIN sales s ON s.sale_id = rf.sale_id
               WHERE s.member_id > :after AND s.member_id <= :hi
                 AND rf.occurred_at > :start AND rf.occurred_at <= :at
               GROUP BY s.member_id) ri ON ri.member_id = m.id
    CROSS JOIN LATERAL (SELECT {live} AS live, {current} AS cur_rank,
                               coalesce(si.cents, 0) - coalesce(ri.cents, 0) AS cents) x
    CROSS JOIN LATERAL (SELECT {earned} AS earned_rank) e
    CROSS JOIN LATERAL (SELECT x.live AND (x.cur_rank IS NULL OR m.tier_reviewed_at IS NULL
        OR :at >= m.tier_reviewed_at + make_interval(months => :every)) AS is_full) f
    CROSS JOIN LATERAL (SELECT CASE WHEN f.is_full THEN e.earned_rank
                                    ELSE greatest(e.earned_rank, x.cur_rank) END AS new_rank) r
    CROSS JOIN LATERAL (SELECT CASE WHEN x.live THEN {name} END AS new_tier,
                               CASE WHEN NOT x.live THEN NULL
                                    WHEN f.is_full THEN CAST(:at AS timestamp)
                                    ELSE m.tier_reviewed_at END AS new_at) n
    CROSS JOIN LATERAL (SELECT CASE
        WHEN n.new_tier IS NOT DISTINCT FROM m.tier THEN
             CASE WHEN n.new_at IS DISTINCT FROM m.tier_reviewed_at THEN 'reviewed' END
        WHEN NOT x.live THEN 'cleared'
        WHEN x.cur_rank IS NULL THEN 'assigned'
        WHEN r.new_rank > x.cur_rank THEN 'promoted'
        ELSE 'demoted' END AS kind) k
    WHERE m.id > :after AND m.id <= :hi AND k.kind IS NOT NULL
    ORDER BY m.id LIMIT :size
),
numbered AS (
    SELECT ch.*,
           CASE WHEN ch.kind <> 'reviewed' THEN
                count(*) FILTER (WHERE ch.kind <> 'reviewed') OVER (ORDER BY ch.id) END AS rn,
           count(*) FILTER (WHERE ch.kind <> 'reviewed') OVER () AS n
    FROM ch
),
counter AS (
    -- Only when a tier changes: a step with none leaves the counter unlocked.
    UPDATE change_counter SET value = value + (SELECT max(n) FROM numbered)
    WHERE id = 1 AND EXISTS (SELECT 1 FROM numbered WHERE rn IS NOT NULL)
    RETURNING value
),
written AS (
    UPDATE members m SET
        tier = nb.new_tier,
        tier_reviewed_at = nb.new_at,
        change_seq = CASE WHEN nb.rn IS NULL THEN m.change_seq
                          ELSE (SELECT value FROM counter) - nb.n + nb.rn END
    FROM numbered nb
    -- The guard: a row another transaction moved since this step read it is left alone.
    WHERE m.id = nb.id AND m.tier IS NOT DISTINCT FROM nb.old_tier
      AND m.tier_reviewed_at IS NOT DISTINCT FROM nb.old_at
    RETURNING nb.kind, nb.is_full
),
edge AS (
    -- A full step stops at its last write (the rest of the window is the next step's).
    SELECT CASE WHEN count(*) = :size THEN max(id) END AS cut FROM ch
)
SELECT edge.cut,
       CASE WHEN edge.cut IS NULL THEN :n
            ELSE (SELECT count(*) FROM members WHERE id > :after AND id <= edge.cut)
       END AS members,
       (SELECT count(*) FROM written) AS writes,
       (SELECT count(*) FROM written WHERE is_full) AS reviewed,
       {", ".join(f"(SELECT count(*) FROM written WHERE kind = '{k}') AS {k}" for k in _KINDS)}
FROM edge
"""
    return sql, params


def next_window(members: int, size: int, writes: int) -> int:
    """The members the next step reads, from the last step's ``members`` read and ``writes``:
    as many as should hold about ``size`` writes at that density (at least ``size``). After a
    step with no writes, ``size`` times more (at least 16 times), so a night with few changes
    is a few statements and a first run steps by ``size``.
    """
    if writes == 0:
        return max(size, members) * max(size, 16)
    return max(size, members * size // writes)


def review_step(
    session: Session,
    config: TierConfig | None,
    after: str,
    window: int,
    size: int,
    start: dt.datetime,
    at: dt.datetime,
) -> StepResult:
    """Decide the ``window`` members after ``after`` (by id) at ``at`` and write the first
    ``size`` of them that move.

    ``start`` is the window's exclusive start. The caller commits.
    """
    # The window's bounds first, as values, from the primary key alone: the planner then
    # plans the aggregates for the range they cover (with bounds inside the statement, or a
    # LIMIT standing for them, it planned for every remaining sale: a sort of all of them per
    # step).
    n, hi = session.execute(
        text(
            "SELECT count(*), max(id) FROM (SELECT id FROM members WHERE id > :after"
            " ORDER BY id LIMIT :window) AS w"
        ),
        {"after": after, "window": window},
    ).one()
    if hi is None:
        return StepResult(None, 0, 0, 0, dict.fromkeys(_KINDS, 0))
    sql, params = _statement(config)
    # The row estimates of the decision are guesses (millions), which makes PostgreSQL
    # JIT-compile the statement: about a second per statement for a plan that may run in
    # milliseconds. Off for this transaction only.
    session.execute(text("SET LOCAL jit = off"))
    # psycopg prepares a statement run five times, and PostgreSQL may then keep a generic
    # plan, made without the bounds: custom plans only (a few ms of planning per step).
    session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))

    def naive(moment: dt.datetime) -> dt.datetime:
        return moment.astimezone(dt.UTC).replace(tzinfo=None)

    params |= {
        "after": after,
        "hi": hi,
        "n": int(n),
        "size": size,
        "start": naive(start),
        "at": naive(at),
        "every": config.review_every_months if config is not None else 1,
    }
    row = session.execute(text(sql), params).one()
    # The next step starts after the last write of a full step, else after the window; a
    # window shorter than asked for was the end of the members.
    last = row.cut if row.cut is not None else (hi if n == window else None)
    return StepResult(
        last_id=last,
        members=int(row.members),
        writes=int(row.writes),
        reviewed=int(row.reviewed),
        counts={k: int(getattr(row, k)) for k in _KINDS},
    )
