"""The tier review job: give every member the tier of the chain's ladder, and sync it to tills.

The ladder is the chain setting ``tiers`` (a ``chain_settings`` row)::

    {"window_months": 12, "review_every_months": 1,
     "tiers": [{"name": "classic", "threshold": "0"}, {"name": "gold", "threshold": "2000.00"}]}

The rules are the rewards core's (:mod:`loyalty.rewards.tiers`): qualifying spend is the
members' sale totals minus their refunds over ``(at - window_months, at]``; a member whose full
review is due (never reviewed, a tier the ladder no longer has, or ``review_every_months``
since the last one) gets :func:`~loyalty.rewards.tiers.review` (up or down); everyone else gets
:func:`~loyalty.rewards.tiers.after_sale` (up only), so nobody is demoted mid-period. Run it
nightly (``tillclub server review-tiers``): upgrades then reach the tills the next morning.

Members are read in keyset batches (``batch_size``), with one aggregate query for their sales
and one for their refunds per batch, and each batch is written and committed on its own: the
change counter row is locked only for one batch, and a run that dies half-way is simply run
again (members already reviewed are not due a second time). A member whose tier changes gets a
new change number (in member id order), so the member feed carries the new tier to the tills.
Inactive members (deleted and anonymised) have no tier: tiers are profiling, which goes with
the profile. On PostgreSQL the run is a few set-based steps instead
(:mod:`server.services.tiers_sql`: aggregate, decision and ``UPDATE … FROM`` in one statement,
``batch_size`` writes at most per step, reading as many members as the density of changes
asks); on SQLite each batch is decided here, in Python, with the same rules.

Upgrades do not wait for the night: :func:`lift_after_ingest` (one call at the end of a push's
transaction) gives the members of the pushed sales and enrolments the tier their spend earns,
up only, and a new member the ladder's first step (:func:`first_step` for members made at head
office or in the portal). The nightly run (:func:`tier_review_job`) is then the one that moves
members down, at their periodic review.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from loyalty.errors import LoyaltyError
from loyalty.money import Money
from loyalty.rewards.months import add_months
from loyalty.rewards.tiers import Spend, Tier, TierConfig, TierStatus, after_sale, review

from ..jobs.contract import JobContext, JobReport
from ..models import ChainSetting, Member, Refund, Sale
from ..models.sync import reserve_seqs
from .tiers_sql import next_window, review_step
from .uow import SqlUnitOfWork

SETTING = "tiers"


class TierLadderError(ValueError):
    """The chain setting ``tiers`` is malformed (the message names the bad value)."""


def parse_ladder(value: object) -> TierConfig:
    """The ladder from the setting's JSON value.

    :raises TierLadderError: naming what is wrong; nothing is written by the job then.
    """
    if not isinstance(value, Mapping) or not isinstance(value.get("tiers"), list):
        raise TierLadderError(f"chain setting 'tiers' needs a list 'tiers', got {value!r}")
    try:
        tiers = tuple(
            Tier(str(t["name"]), Money(Decimal(str(t["threshold"])))) for t in value["tiers"]
        )
        return TierConfig(
            tiers,
            int(value.get("window_months", 12)),
            int(value.get("review_every_months", 1)),
        )
    except LoyaltyError as exc:
        raise TierLadderError(f"chain setting 'tiers': {exc.message_en}") from None
    except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
        raise TierLadderError(f"chain setting 'tiers' is malformed: {exc!r}") from None


def load_ladder(session: Session) -> TierConfig | None:
    """The chain's ladder, or ``None`` when the chain has none.

    :raises TierLadderError: if the setting exists but is malformed.
    """
    row = session.get(ChainSetting, SETTING)
    return None if row is None else parse_ladder(row.value)


def set_ladder(
    uow: SqlUnitOfWork,
    value: object,
    *,
    actor: str,
    now: dt.datetime,
    actor_type: str = "cli",
) -> TierConfig:
    """Check and store the chain's ladder (audited); members move at the next review run.

    :raises TierLadderError: naming what is wrong; nothing is stored then.
    """
    config = parse_ladder(value)
    assert isinstance(value, Mapping)
    with uow:
        row = uow.session.get(ChainSetting, SETTING)
        before = None if row is None else row.value
        if row is None:
            uow.session.add(ChainSetting(key=SETTING, value=dict(value), updated_at=now))
        else:
            row.value = dict(value)
            row.updated_at = now
        uow.audit(
            actor_type, actor, "tiers.set_ladder", "chain_setting", SETTING,
            before=before, after=dict(value),
        )  # fmt: skip
        uow.commit()
    return config


def window_start(config: TierConfig, at: dt.datetime) -> dt.datetime:
    """The exclusive start of the qualifying window ending (inclusive) at ``at``."""
    return add_months(at, -config.window_months)


def spends_of(
    session: Session, member_ids: Iterable[str], start: dt.datetime, at: dt.datetime
) -> dict[str, Decimal]:
    """Sale totals minus refunds over ``(start, at]`` per member: two aggregate queries."""
    ids = list(member_ids)
    out: dict[str, Decimal] = {}
    if not ids:
        return out
    sales = (
        select(Sale.member_id, func.sum(Sale.total))
        .where(Sale.member_id.in_(ids), Sale.occurred_at > start, Sale.occurred_at <= at)
        .group_by(Sale.member_id)
    )
    refunds = (
        select(Sale.member_id, func.sum(Refund.amount))
        .join(Sale, Sale.sale_id == Refund.sale_id)
        .where(Sale.member_id.in_(ids), Refund.occurred_at > start, Refund.occurred_at <= at)
        .group_by(Sale.member_id)
    )
    for member_id, total in session.execute(sales):
        out[str(member_id)] = Decimal(total or 0)
    for member_id, total in session.execute(refunds):
        key = str(member_id)
        out[key] = out.get(key, Decimal(0)) - Decimal(total or 0)
    return out


def decide(
    config: TierConfig,
    current: str | None,
    reviewed_at: dt.datetime | None,
    spend: Money,
    at: dt.datetime,
) -> tuple[TierStatus, bool]:
    """The member's tier after this run, and whether it was a full review (which may demote).

    ``spend`` is the qualifying spend already summed over the window ending at ``at``.
    """
    spends = [Spend(at, spend)]
    if current is None or all(t.name != current for t in config.tiers):
        # Never reviewed, or a step the ladder no longer has: the spend decides at once.
        return review(config, config.tiers[0].name, spends, at), True
    if reviewed_at is None or config.review_due(reviewed_at, at):
        return review(config, current, spends, at), True
    return after_sale(config, current, spends, at), False


@dataclass(frozen=True)
class TierRun:
    """What one run of the job did."""

    members: int = 0  # members looked at
    reviewed: int = 0  # full reviews (due, first, or an unknown stored tier)
    promoted: int = 0
    demoted: int = 0
    assigned: int = 0  # first tier given (no tier before, or one the ladder no longer has)
    cleared: int = 0  # tiers removed: the chain has no ladder, or the member is inactive

    @property
    def changed(self) -> int:
        return self.promoted + self.demoted + self.assigned + self.cleared

    def as_dict(self) -> dict[str, int]:
        return {
            "members": self.members,
            "reviewed": self.reviewed,
            "promoted": self.promoted,
            "demoted": self.demoted,
            "assigned": self.assigned,
            "cleared": self.cleared,
            "changed": self.changed,
        }


def review_tiers(
    uow: SqlUnitOfWork, at: dt.datetime, *, batch_size: int = 1000, set_based: bool = True
) -> TierRun:
    """Apply the chain's ladder to every member at ``at``; one transaction per batch.

    :param at: the moment of the review (timezone-aware); the window ends there.
    :param set_based: on PostgreSQL, decide each batch in one SQL statement
        (:mod:`server.services.tiers_sql`); ``False`` keeps the Python decision there too (the
        equivalence test runs both). SQLite always decides in Python.

    .. versionchanged:: 0.1 set-based batches on PostgreSQL.
    :raises TierLadderError: if the ladder setting is malformed (nothing is written).
    :raises ValueError: if ``at`` is naive or ``batch_size`` is not positive.
    """
    if at.tzinfo is None:
        raise ValueError(f"review time must be timezone-aware: {at!r}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive: {batch_size!r}")
    with uow:
        config = load_ladder(uow.session)
    counts = {k: 0 for k in ("members", "reviewed", "promoted", "demoted", "assigned", "cleared")}
    after = ""
    window = batch_size  # members read by the next set-based step (tiers_sql.next_window)
    while True:
        with uow:
            s = uow.session
            if s.get_bind().dialect.name == "postgresql" and set_based:
                # One statement per step (server.services.tiers_sql); same decisions. A step
                # writes up to batch_size members, however many it reads to find them.
                done = review_step(
                    s, config, after, window, batch_size,
                    window_start(config, at) if config is not None else at, at,
                )  # fmt: skip
                window = next_window(done.members, batch_size, done.writes)
                counts["members"] += done.members
                counts["reviewed"] += done.reviewed
                for key, value in done.counts.items():
                    counts[key] += value
                uow.commit()
                if done.last_id is None:
                    break
                after = done.last_id
                continue
            rows = s.execute(
                select(Member.id, Member.active, Member.tier, Member.tier_reviewed_at)
                .where(Member.id > after)
                .order_by(Member.id)
                .limit(batch_size)
            ).all()
            if not rows:
                break
            after = rows[-1].id
            counts["members"] += len(rows)
            changed, reviewed = _batch(s, config, rows, at, counts)
            _write(s, changed, reviewed)
            uow.commit()
    run = TierRun(**counts)
    with uow:
        uow.audit("system", "review-tiers", "tiers.review", "chain_setting", SETTING,
                  at=at.isoformat(), **run.as_dict())  # fmt: skip
        uow.commit()
    return run


def _batch(
    s: Session,
    config: TierConfig | None,
    rows: Sequence[Any],
    at: dt.datetime,
    counts: dict[str, int],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    changed: list[dict[str, Any]] = []  # new tier: a change number, so tills pull it
    reviewed: list[dict[str, Any]] = []  # same tier, new review date: no pull needed
    # Without a ladder nobody has a tier; an inactive (deleted, anonymised) member neither.
    live = [r for r in rows if r.active] if config is not None else []
    for r in rows:
        if (config is None or not r.active) and (r.tier, r.tier_reviewed_at) != (None, None):
            counts["cleared"] += r.tier is not None
            target = changed if r.tier is not None else reviewed
            target.append({"id": r.id, "tier": None, "tier_reviewed_at": None})
    if config is None:
        return changed, reviewed
    spends = spends_of(s, (r.id for r in live), window_start(config, at), at)
    names = [t.name for t in config.tiers]
    for r in live:
        status, full = decide(config, r.tier, r.tier_reviewed_at, Money(spends.get(r.id, 0)), at)
        reviewed_at = at if full else r.tier_reviewed_at
        counts["reviewed"] += full
        if status.tier == r.tier:
            if reviewed_at != r.tier_reviewed_at:
                reviewed.append({"id": r.id, "tier_reviewed_at": reviewed_at})
            continue
        if r.tier is None or r.tier not in names:
            counts["assigned"] += 1
        elif names.index(status.tier) > names.index(r.tier):
            counts["promoted"] += 1
        else:
            counts["demoted"] += 1
        changed.append({"id": r.id, "tier": status.tier, "tier_reviewed_at": reviewed_at})
    # Change numbers in member id order as the database sorts ids (the rows' order, and the
    # set-based path's), whatever the batches.
    order = {r.id: i for i, r in enumerate(rows)}
    changed.sort(key=lambda row: order[row["id"]])
    return changed, reviewed


def _write(s: Session, changed: list[dict[str, Any]], reviewed: list[dict[str, Any]]) -> None:
    # ORM bulk UPDATE by primary key (one executemany each); the flush hook does not see bulk
    # statements, so the changed rows take their change numbers here, as bulk ingest does.
    if changed:
        for row, seq in zip(changed, reserve_seqs(s, len(changed)), strict=True):
            row["change_seq"] = seq
        s.execute(update(Member), changed)
    if reviewed:
        s.execute(update(Member), reviewed)


def tier_review_job(ctx: JobContext) -> JobReport:
    """The nightly job (``server/jobs``): :func:`review_tiers` at the run's moment."""
    run = review_tiers(SqlUnitOfWork.for_app(ctx.app), ctx.now, batch_size=ctx.batch_size)
    counts = run.as_dict()
    return JobReport(processed=counts.pop("members"), changed=counts.pop("changed"), detail=counts)


def first_step(session: Session) -> str | None:
    """The tier a new member starts on: the ladder's first step (``None`` without a ladder, or
    with a malformed one, which the review job reports)."""
    try:
        config = load_ladder(session)
    except TierLadderError:
        return None
    return None if config is None else config.tiers[0].name


def lift_after_ingest(session: Session, member_ids: Iterable[str], at: dt.datetime) -> int:
    """Upgrades at once: the tier the spend earns over the window ending at ``at``, up only, for
    ``member_ids`` (the members of a push's sales and enrolments); a member with no tier yet, or
    one the ladder no longer has, starts from the first step. Same transaction as the push; a
    malformed ladder changes nothing here (the nightly job reports it). :returns: tiers changed.
    """
    ids = sorted({m for m in member_ids if m})
    if not ids:
        return 0
    try:
        config = load_ladder(session)
    except TierLadderError:
        return 0
    if config is None:
        return 0
    rows = session.execute(
        select(Member.id, Member.active, Member.tier, Member.tier_reviewed_at).where(
            Member.id.in_(ids), Member.active.is_(True)
        )
    ).all()
    if not rows:
        return 0
    spends = spends_of(session, (r.id for r in rows), window_start(config, at), at)
    names = [t.name for t in config.tiers]
    changed: list[dict[str, Any]] = []
    for r in rows:
        spend = [Spend(at, Money(spends.get(r.id, 0)))]
        if r.tier is None or r.tier not in names:
            # A first tier, up from the first step; not a full review (that stays the nightly
            # job's, which gives this member one on its next run).
            status = after_sale(config, config.tiers[0].name, spend, at)
            changed.append({"id": r.id, "tier": status.tier, "tier_reviewed_at": None})
            continue
        status = after_sale(config, r.tier, spend, at)
        if status.tier != r.tier:
            changed.append(
                {"id": r.id, "tier": status.tier, "tier_reviewed_at": r.tier_reviewed_at}
            )
    _write(session, changed, [])
    return len(changed)
