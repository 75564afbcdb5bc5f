"""Raffle numbers on the server: blocks for terminals, the reserve for owed tickets, lists.

The rules are ``loyalty.rewards.raffle``'s: blocks are runs of positions of the campaign's
keyed permutation, reserved one after the other (``reserve_block``), so a terminal's numbers
never meet another's. Owed tickets (a till whose blocks ran out) are numbered here from the
server's own blocks (no store, no terminal) with ``assign_owed``: in (sale time, ticket id)
order among the owed tickets of one push, each exactly once, under a lock on the campaign row
so two pushes never take the same reserve position (and ``uq_raffle_tickets_number`` refuses
a number given twice whatever happens).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from loyalty.money import Money
from loyalty.rewards import (
    BlockState,
    DrawRegulation,
    NumberBlock,
    RaffleTicket,
    assign_owed,
    reserve_block,
)
from loyalty.rewards import RaffleCampaign as Campaign
from loyalty.rewards.raffle_rules import check_raffle_against, check_raffle_rules, raffle_rules

from .. import clock
from ..models import Campaign as CampaignRow
from ..models import (
    RaffleCampaign,
    RaffleNumberBlock,
    RaffleTicketRow,
    Terminal,
    TicketStatus,
)
from ..models.chain import TerminalStatus
from .uow import SqlUnitOfWork

SERVER_HOLDER = "server"
RESERVE_SIZE = 1000


class RaffleServiceError(ValueError):
    """A raffle or terminal that does not exist, or a bad block size.

    ``message`` is the English text with ``{name}`` placeholders (a key of the admin UI's
    catalogue), ``values`` fills them, ``field`` names the form field it is about.
    """

    def __init__(self, message: str, field: str | None = None, **values: object) -> None:
        super().__init__(message.format(**values))
        self.message = message
        self.field = field
        self.values = values


def to_campaign(row: RaffleCampaign) -> Campaign:
    """The pure campaign for a stored one (series count and key live in ``rules``)."""
    rules = row.rules or {}
    draw = rules.get("draw_date")
    return Campaign(
        campaign_id=row.id,
        name=row.name,
        authorisation=row.authorisation_number,
        series_count=int(rules.get("series_count", 1)),
        spend_per_number=Money(row.spend_per_number),
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        draw_date=dt.date.fromisoformat(draw) if draw else row.ends_at.date(),
        permutation_key=bytes.fromhex(rules["permutation_key"]),
        max_numbers_per_sale=rules.get("max_numbers_per_sale"),
        regulation=DrawRegulation(**rules.get("regulation", {})),
    )


def check_campaign_raffles(
    s: Session, document: Mapping[str, Any], *, require_known: bool = False
) -> None:
    """Refuse a campaign whose raffle rules count otherwise than their raffles promise
    (``loyalty.rewards.raffle_rules``: one ratio, the raffle's ``spend_per_number``).

    :raises RaffleError: a ratio mismatch, or (``require_known``) a rule naming no raffle.
    """
    named = {campaign for _, campaign, _ in raffle_rules(document)}
    if not named:
        return
    rows = s.execute(
        select(RaffleCampaign.id, RaffleCampaign.spend_per_number).where(
            RaffleCampaign.id.in_(named)
        )
    )
    check_raffle_rules(
        document, {r.id: Money(r.spend_per_number) for r in rows}, require_known=require_known
    )


def check_new_raffle(s: Session, raffle_id: str, spend_per_number: Money) -> None:
    """Refuse a new raffle whose ratio differs from a published campaign's rule naming it.

    :raises RaffleError: naming the rule.
    """
    documents = s.scalars(select(CampaignRow.document).where(CampaignRow.active.is_(True)))
    check_raffle_against(documents, raffle_id, spend_per_number)


def _blocks(s: Session, raffle_id: str) -> list[RaffleNumberBlock]:
    return list(
        s.scalars(
            select(RaffleNumberBlock)
            .where(
                RaffleNumberBlock.raffle_id == raffle_id,
                RaffleNumberBlock.first_position.is_not(None),
            )
            .order_by(RaffleNumberBlock.first_position)
        )
    )


def _pure(b: RaffleNumberBlock) -> NumberBlock:
    assert b.first_position is not None
    assert b.size is not None
    return NumberBlock(b.raffle_id, b.terminal_id or SERVER_HOLDER, b.first_position, b.size)


def _lock(s: Session, raffle_id: str) -> RaffleCampaign:
    # FOR UPDATE on PostgreSQL serialises reservations and owed numbering per campaign.
    row = s.scalars(
        select(RaffleCampaign).where(RaffleCampaign.id == raffle_id).with_for_update()
    ).one_or_none()
    if row is None:
        raise RaffleServiceError("no raffle {raffle_id!r}", "raffle", raffle_id=raffle_id)
    return row


def _reserve(
    s: Session, raffle: RaffleCampaign, holder: Terminal | None, size: int
) -> RaffleNumberBlock:
    existing = [_pure(b) for b in _blocks(s, raffle.id)]
    name = holder.id if holder else SERVER_HOLDER
    block = reserve_block(to_campaign(raffle), existing, name, size)
    row = RaffleNumberBlock(
        id=f"rb-{uuid.uuid4().hex[:16]}",
        raffle_id=raffle.id,
        store_id=holder.store_id if holder else None,
        terminal_id=holder.id if holder else None,
        first_position=block.start,
        size=block.size,
        assigned_at=clock.now(),
    )
    s.add(row)
    s.flush()
    return row


def positions_left(s: Session, raffle: RaffleCampaign) -> int:
    """Positions of the campaign not yet in any block (what a new block may take at most)."""
    end = max((b.start + b.size for b in map(_pure, _blocks(s, raffle.id))), default=0)
    return to_campaign(raffle).size - end


def reserve_terminal_block(
    uow: SqlUnitOfWork,
    raffle_id: str,
    terminal_id: str,
    size: int,
    *,
    actor: str,
    store_id: str | None = None,
    whole: bool = False,
) -> RaffleNumberBlock:
    """Reserve the next ``size`` positions of ``raffle_id`` for a terminal, audited, in ``uow``'s
    transaction (the caller commits). Blocks follow each other, so they never overlap.

    :param store_id: if given, the terminal must belong to this store.
    :param whole: refuse a request larger than what is left instead of granting the rest.
    :raises RaffleServiceError: unknown raffle or terminal, a revoked terminal, a terminal of
        another store, a size not positive, or (``whole``) larger than what is left.
    """
    s = uow.session
    if size <= 0:
        raise RaffleServiceError("block size must be positive: {size}", "size", size=size)
    raffle = _lock(s, raffle_id)
    terminal = s.get(Terminal, terminal_id)
    if terminal is None or (store_id is not None and terminal.store_id != store_id):
        raise RaffleServiceError(
            "no terminal {terminal_id!r}", "terminal_id", terminal_id=terminal_id
        )
    if terminal.status is TerminalStatus.REVOKED:
        raise RaffleServiceError(
            "terminal {terminal_id} is revoked", "terminal_id", terminal_id=terminal_id
        )
    left = positions_left(s, raffle)
    if left <= 0:
        raise RaffleServiceError(
            "every number of raffle {raffle_id} is already reserved", "size", raffle_id=raffle_id
        )
    if whole and size > left:
        raise RaffleServiceError(
            "only {left} numbers are left in raffle {raffle_id}; ask for {left} or fewer",
            "size",
            left=left,
            raffle_id=raffle_id,
        )
    row = _reserve(s, raffle, terminal, size)
    first = int(row.first_position or 0)
    after = {
        "terminal_id": terminal.id,
        "store_id": terminal.store_id,
        "first_position": first,
        "last_position": first + int(row.size or 0) - 1,
        "size": int(row.size or 0),
    }
    uow.audit_change(
        actor,
        "raffle.block",
        "raffle_block",
        row.id,
        before=None,
        after=after,
        raffle_id=raffle_id,
        store_id=terminal.store_id,
    )
    return row


def assign_terminal_block(
    uow: SqlUnitOfWork, raffle_id: str, terminal_id: str, size: int = 1000, actor: str = "cli"
) -> tuple[str, int, int]:
    """Reserve the next ``size`` positions of ``raffle_id`` for a terminal (the CLI's entry;
    near the end of the number space the block is what is left).

    :returns: ``(block_id, first_position, size)``.
    :raises RaffleServiceError: as :func:`reserve_terminal_block`.
    """
    with uow:
        row = reserve_terminal_block(uow, raffle_id, terminal_id, size, actor=actor)
        block = (row.id, int(row.first_position or 0), int(row.size or 0))
        uow.commit()
        return block


def assign_owed_tickets(s: Session, raffle_ids: Iterable[str]) -> int:
    """Number every owed ticket of these campaigns from the server's reserve; how many."""
    done = 0
    for raffle_id in sorted(set(raffle_ids)):
        raffle = _lock(s, raffle_id)
        owed_rows = list(
            s.scalars(
                select(RaffleTicketRow).where(
                    RaffleTicketRow.raffle_id == raffle_id,
                    RaffleTicketRow.status == TicketStatus.OWED,
                )
            )
        )
        if not owed_rows:
            continue
        campaign = to_campaign(raffle)
        mine = [b for b in _blocks(s, raffle_id) if b.terminal_id is None and b.store_id is None]
        used = s.scalar(
            select(func.count())
            .select_from(RaffleTicketRow)
            .where(RaffleTicketRow.raffle_id == raffle_id, RaffleTicketRow.by_server)
        )
        state = BlockState(raffle_id, tuple(_pure(b) for b in mine), int(used or 0))
        if state.left < len(owed_rows):
            block = _reserve(s, raffle, None, max(RESERVE_SIZE, len(owed_rows) - state.left))
            state = state.with_block(_pure(block))
        tickets = [
            RaffleTicket(r.id, raffle_id, r.sale_id, r.member_id, r.issued_at) for r in owed_rows
        ]
        numbered, _ = assign_owed(campaign, tickets, state)
        for t in numbered:
            s.execute(
                update(RaffleTicketRow)
                .where(RaffleTicketRow.id == t.ticket_id)
                .values(number=t.number, status=TicketStatus.ISSUED, by_server=True)
            )
        done += len(numbered)
    return done


def terminal_numbers(s: Session, raffle_id: str, terminal_id: str) -> frozenset[int] | None:
    """Every number the blocks of ``terminal_id`` hold (``None``: no such raffle).

    A push may only carry numbers from the pushing till's own blocks: a faulty till that
    printed another till's number is refused alone, instead of the other till's sale later.
    """
    raffle = s.get(RaffleCampaign, raffle_id)
    if raffle is None:
        return None
    c = to_campaign(raffle)
    blocks = [b for b in _blocks(s, raffle_id) if b.terminal_id == terminal_id]
    return frozenset(
        c.number_at(p)
        for b in blocks
        for p in range(b.first_position or 0, (b.first_position or 0) + (b.size or 0))
    )


@dataclass(frozen=True)
class MemberNumbers:
    """One campaign's numbers for a member, formatted as printed."""

    raffle_id: str
    name: str
    numbers: tuple[str, ...]
    owed: int
    void: tuple[str, ...]


def numbers_for_member(s: Session, member_id: str) -> list[MemberNumbers]:
    """The member's raffle numbers per campaign (issued, owed count, voided)."""
    rows = s.execute(
        select(RaffleTicketRow, RaffleCampaign)
        .join(RaffleCampaign, RaffleCampaign.id == RaffleTicketRow.raffle_id)
        .where(RaffleTicketRow.member_id == member_id)
        .order_by(RaffleTicketRow.raffle_id, RaffleTicketRow.issued_at, RaffleTicketRow.id)
    ).all()
    by: dict[str, tuple[RaffleCampaign, list[RaffleTicketRow]]] = {}
    for ticket, raffle in rows:
        by.setdefault(raffle.id, (raffle, []))[1].append(ticket)
    out = []
    for raffle, tickets in by.values():
        c = to_campaign(raffle)
        issued = [t for t in tickets if t.status == TicketStatus.ISSUED and t.number is not None]
        void = [t for t in tickets if t.status == TicketStatus.VOID and t.number is not None]
        out.append(
            MemberNumbers(
                raffle.id,
                raffle.name,
                tuple(c.format_number(t.number) for t in issued if t.number is not None),
                sum(1 for t in tickets if t.status == TicketStatus.OWED),
                tuple(c.format_number(t.number) for t in void if t.number is not None),
            )
        )
    return out
