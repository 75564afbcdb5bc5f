"""Raffles ("sorteios") for head office: the list with its counts, one raffle's number blocks
and how much of each the tills used, and the Loteria Federal result with its winners.

:func:`add_raffle` creates a raffle (the web form, the demo). The numbers themselves (blocks,
the reserve, owed tickets) are :mod:`.raffle`'s; head office reserves a block with
:func:`reserve_block` and numbers owed tickets with :func:`number_owed`, both through the unit
of work (the CLI reserves with ``raffle.assign_terminal_block``).
A draw result is checked and turned into winners by the core's rule
(``loyalty.rewards.winners``: unit digits of the 1st-5th prizes give the element, tens digits
of the 1st-3rd the series, then the nearest distributed number, alternating above and below)
and stored with the winners found, in the campaign's ``rules["draw_result"]``, audited, in one
transaction. Campaign days are days in ``America/Sao_Paulo``, as the regulation prints them.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from loyalty.errors import LoyaltyError
from loyalty.identification import mask_cpf
from loyalty.money import Money
from loyalty.rewards import FederalResult, RaffleTicket, winners
from loyalty.rewards.raffle import ELEMENTS_PER_SERIES
from loyalty.rewards.raffle_draw import drawn_number

from ..models import (
    Member,
    RaffleCampaign,
    RaffleNumberBlock,
    RaffleTicketRow,
    Sale,
    Store,
    Terminal,
)
from ..models.chain import TerminalStatus
from ..models.raffle import TicketStatus
from ..security import CpfCipher
from .raffle import (
    RaffleServiceError,
    assign_owed_tickets,
    check_new_raffle,
    reserve_terminal_block,
    to_campaign,
)
from .uow import SqlUnitOfWork, use_case

LOCAL = ZoneInfo("America/Sao_Paulo")
MAX_BLOCK = 100_000  # one series: far more than a till sells between two syncs


class DrawError(RaffleServiceError):
    """A draw result refused: ``message`` (English, a catalogue key) names the bad value."""


def local_day_start(day: dt.date) -> dt.datetime:
    """00:00 of ``day`` in São Paulo, in UTC (a campaign's ``starts_at``)."""
    return dt.datetime.combine(day, dt.time(), LOCAL).astimezone(dt.UTC)


def local_day(at: dt.datetime, *, end: bool = False) -> dt.date:
    """The São Paulo day of ``at``; ``end``: the last day of a period ending at ``at``."""
    local = at.astimezone(LOCAL)
    return (local - dt.timedelta(microseconds=1)).date() if end else local.date()


@dataclass(frozen=True)
class RaffleSummary:
    id: str
    name: str
    authorisation: str
    first_day: dt.date
    last_day: dt.date
    draw_date: dt.date
    issued: int
    owed: int
    void: int
    blocks: int
    reserved: int  # positions in blocks of terminals and of the server's reserve
    drawn: bool


def _counts(s: Session, raffle_id: str | None = None) -> dict[tuple[str, str], int]:
    stmt = select(RaffleTicketRow.raffle_id, RaffleTicketRow.status, func.count()).group_by(
        RaffleTicketRow.raffle_id, RaffleTicketRow.status
    )
    if raffle_id is not None:
        stmt = stmt.where(RaffleTicketRow.raffle_id == raffle_id)
    return {(r, st): int(n) for r, st, n in s.execute(stmt)}


def summary(s: Session, row: RaffleCampaign, counts: dict[tuple[str, str], int]) -> RaffleSummary:
    c = to_campaign(row)
    blocks = s.execute(
        select(func.count(), func.coalesce(func.sum(RaffleNumberBlock.size), 0)).where(
            RaffleNumberBlock.raffle_id == row.id, RaffleNumberBlock.first_position.is_not(None)
        )
    ).one()
    return RaffleSummary(
        row.id,
        row.name,
        row.authorisation_number,
        local_day(row.starts_at),
        local_day(row.ends_at, end=True),
        c.draw_date,
        counts.get((row.id, TicketStatus.ISSUED), 0),
        counts.get((row.id, TicketStatus.OWED), 0),
        counts.get((row.id, TicketStatus.VOID), 0),
        int(blocks[0]),
        int(blocks[1] or 0),
        "draw_result" in (row.rules or {}),
    )


def list_raffles(s: Session) -> list[RaffleSummary]:
    """Every raffle campaign, the latest first, with its ticket and block counts."""
    counts = _counts(s)
    rows = s.scalars(select(RaffleCampaign).order_by(RaffleCampaign.starts_at.desc()))
    return [summary(s, r, counts) for r in rows]


def raffle_summary(s: Session, row: RaffleCampaign) -> RaffleSummary:
    return summary(s, row, _counts(s, row.id))


@dataclass(frozen=True)
class BlockRow:
    id: str
    store_id: str | None  # None with terminal_id None: the server's reserve for owed tickets
    store_name: str
    terminal_id: str | None
    terminal_name: str
    first: int
    last: int
    size: int
    used: int  # numbers of this block the server has seen on tickets (issued or voided)
    assigned_at: dt.datetime


def blocks(s: Session, raffle_id: str) -> list[BlockRow]:
    """The raffle's position blocks, in position order, with how many numbers each used.

    A holder uses its blocks in position order, so its numbered tickets fill them in that
    order; tickets the server numbered count against the server's reserve.
    """
    used_by: dict[str | None, int] = {}
    for terminal_id, by_server, n in s.execute(
        select(RaffleTicketRow.terminal_id, RaffleTicketRow.by_server, func.count())
        .where(RaffleTicketRow.raffle_id == raffle_id, RaffleTicketRow.number.is_not(None))
        .group_by(RaffleTicketRow.terminal_id, RaffleTicketRow.by_server)
    ):
        key = None if by_server else terminal_id
        used_by[key] = used_by.get(key, 0) + int(n)
    rows = s.execute(
        select(RaffleNumberBlock, Store.name, Terminal.name)
        .outerjoin(Store, Store.id == RaffleNumberBlock.store_id)
        .outerjoin(Terminal, Terminal.id == RaffleNumberBlock.terminal_id)
        .where(
            RaffleNumberBlock.raffle_id == raffle_id,
            RaffleNumberBlock.first_position.is_not(None),
        )
        .order_by(RaffleNumberBlock.first_position)
    ).all()
    out = []
    for b, store_name, terminal_name in rows:
        first, size = int(b.first_position or 0), int(b.size or 0)
        left = used_by.get(b.terminal_id, 0)
        used = min(left, size)
        used_by[b.terminal_id] = left - used
        out.append(
            BlockRow(
                b.id,
                b.store_id,
                store_name or "",
                b.terminal_id,
                terminal_name or "",
                first,
                first + size - 1,
                size,
                used,
                b.assigned_at,
            )
        )
    return out


@dataclass(frozen=True)
class StoreTerminals:
    store_id: str
    store_name: str
    terminals: list[tuple[str, str, str]]  # (terminal id, name, status)


def terminal_choices(s: Session) -> list[StoreTerminals]:
    """Stores with their terminals that may get a block (registered and not revoked)."""
    rows = s.execute(
        select(Store.id, Store.name, Terminal.id, Terminal.name, Terminal.status)
        .join(Terminal, Terminal.store_id == Store.id)
        .where(Terminal.status != TerminalStatus.REVOKED)
        .order_by(Store.id, Terminal.created_at, Terminal.id)
    )
    by: dict[str, StoreTerminals] = {}
    for store_id, store_name, terminal_id, name, status in rows:
        entry = by.setdefault(store_id, StoreTerminals(store_id, store_name, []))
        entry.terminals.append((terminal_id, name, status.value))
    return list(by.values())


# -- the draw ------------------------------------------------------------------------------


def parse_prize(text: str) -> str:
    """A Loteria Federal prize as printed (``47.148``) to its digits (``47148``)."""
    return "".join(ch for ch in text.strip() if ch not in ". ")


def parse_member_ids(text: str) -> list[str]:
    return sorted({part.strip() for part in text.replace(",", "\n").splitlines() if part.strip()})


def _issued(s: Session, raffle_id: str) -> list[RaffleTicket]:
    rows = s.scalars(
        select(RaffleTicketRow).where(
            RaffleTicketRow.raffle_id == raffle_id,
            RaffleTicketRow.status == TicketStatus.ISSUED,
            RaffleTicketRow.number.is_not(None),
        )
    )
    return [
        RaffleTicket(r.id, r.raffle_id, r.sale_id, r.member_id, r.issued_at, r.number) for r in rows
    ]


class RaffleNotFound(LookupError):
    """No raffle has this id (a 404 on the web)."""


def _exists(s: Session, raffle_id: str) -> None:
    if s.get(RaffleCampaign, raffle_id) is None:
        raise RaffleNotFound(raffle_id)


@use_case
def add_raffle(
    uow: SqlUnitOfWork,
    raffle_id: str,
    name: str,
    authorisation_number: str,
    spend_per_number: Decimal,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    rules: dict[str, Any] | None = None,
    actor: str = "cli",
) -> None:
    """Create a raffle campaign; the permutation key is drawn here, once.

    The campaign is checked by the core (``loyalty.rewards.RaffleCampaign``) before anything
    is written, so a bad one leaves no row.

    :param rules: optional ``series_count``, ``draw_date`` (ISO date),
        ``max_numbers_per_sale`` and ``regulation`` (``DrawRegulation`` fields).
    :raises RaffleServiceError: a raffle with this id exists already.
    :raises LoyaltyError: the core refuses the campaign (series count, amount, dates), or a
        published campaign's raffle rule naming ``raffle_id`` counts another ratio.
    """
    row = RaffleCampaign(
        id=raffle_id,
        name=name,
        authorisation_number=authorisation_number,
        spend_per_number=spend_per_number,
        starts_at=starts_at,
        ends_at=ends_at,
        # The permutation key is drawn once, here: it spreads the campaign's numbers.
        rules={"permutation_key": secrets.token_hex(16)} | dict(rules or {}),
        active=True,
    )
    try:
        to_campaign(row)
    except TypeError as exc:  # an unknown regulation field
        raise RaffleServiceError("invalid raffle rules: {error}", error=str(exc)) from None
    if uow.session.get(RaffleCampaign, raffle_id) is not None:
        raise RaffleServiceError("Raffle {id} exists already.", "raffle_id", id=raffle_id)
    check_new_raffle(uow.session, raffle_id, Money(spend_per_number))
    uow.session.add(row)
    after = {
        "name": name,
        "authorisation_number": authorisation_number,
        "spend_per_number": str(spend_per_number),
        "starts_at": starts_at.isoformat(),
        "ends_at": ends_at.isoformat(),
        "rules": {k: v for k, v in row.rules.items() if k != "permutation_key"},
    }
    uow.audit("admin", actor, "raffle.add", "raffle", raffle_id, before=None, after=after)


@use_case
def reserve_block(
    uow: SqlUnitOfWork, raffle_id: str, terminal_id: str, size: int, *, actor: str
) -> tuple[int, int, str]:
    """Reserve the next ``size`` positions for a terminal, refusing more than what is left.

    :returns: ``(first_position, size, terminal_id)``.
    :raises RaffleNotFound:
    :raises RaffleServiceError: as ``raffle.reserve_terminal_block``.
    """
    _exists(uow.session, raffle_id)
    row = reserve_terminal_block(uow, raffle_id, terminal_id, size, actor=actor, whole=True)
    return int(row.first_position or 0), int(row.size or 0), row.terminal_id or terminal_id


@use_case
def number_owed(uow: SqlUnitOfWork, raffle_id: str, *, actor: str) -> int:
    """Number the raffle's owed tickets now from the server's reserve; how many (audited).

    :raises RaffleNotFound:
    """
    _exists(uow.session, raffle_id)
    done = assign_owed_tickets(uow.session, [raffle_id])
    if done:
        uow.audit_change(actor, "raffle.number_owed", "raffle", raffle_id, after={"numbered": done})
    return done


@use_case
def record_draw(
    uow: SqlUnitOfWork,
    raffle_id: str,
    *,
    contest: int,
    drawn_on: dt.date,
    prizes: list[str],
    excluded: list[str],
    actor: str,
    now: dt.datetime,
) -> int:
    """Check a Loteria Federal result, find the winners and store both with an audit row.

    Entering a result again replaces the earlier one (a typo corrected); the audit row keeps
    both. Voided tickets never win; ``excluded`` member ids (employees, say) are skipped.

    :returns: how many winners were found (fewer than the prizes if too few numbers).
    :raises DrawError: unknown raffle, a result dated before the draw date, tickets still owed
        a number, unknown excluded member ids, or a result that is not five prizes of digits.
    :raises RaffleNotFound:
    """
    s = uow.session
    _exists(s, raffle_id)
    raffle = s.scalars(
        select(RaffleCampaign).where(RaffleCampaign.id == raffle_id).with_for_update()
    ).one_or_none()
    if raffle is None:
        raise DrawError("no raffle {raffle_id!r}", "raffle", raffle_id=raffle_id)
    campaign = to_campaign(raffle)
    if drawn_on < campaign.draw_date:
        raise DrawError(
            "The extraction of {day} is before this raffle's draw date, {draw}.",
            "drawn_on",
            day=drawn_on.isoformat(),
            draw=campaign.draw_date.isoformat(),
        )
    digits = [parse_prize(p) for p in prizes]
    for i, p in enumerate(digits):
        if not (p.isdigit() and 2 <= len(p) <= 6):
            raise DrawError(
                "Prize {n}: {value!r} is not a Loteria Federal number (2 to 6 digits).",
                f"prize{i + 1}",
                n=i + 1,
                value=prizes[i],
            )
    if len(digits) != 5:
        raise DrawError(
            "Prize {n}: {value!r} is not a Loteria Federal number (2 to 6 digits).",
            "prize1",
            n=len(digits) + 1,
            value="",
        )
    try:
        result = FederalResult(contest, drawn_on, (digits[0], *digits[1:5]))  # type: ignore[arg-type]
    except LoyaltyError as exc:
        raise DrawError("{error}", "prize1", error=exc.message_en) from None
    owed = s.scalar(
        select(func.count())
        .select_from(RaffleTicketRow)
        .where(RaffleTicketRow.raffle_id == raffle_id, RaffleTicketRow.status == TicketStatus.OWED)
    )
    if owed:
        raise DrawError(
            "{n} tickets still wait for a number: number the owed tickets first.", n=int(owed)
        )
    if excluded:
        known = set(s.scalars(select(Member.id).where(Member.id.in_(excluded))))
        unknown = [m for m in excluded if m not in known]
        if unknown:
            raise DrawError("Unknown member ids: {ids}", "excluded", ids=", ".join(unknown[:10]))
    skip = set(excluded)
    wins = winners(
        campaign, result, _issued(s, raffle_id), eligible=lambda t: t.member_id not in skip
    )
    drawn = drawn_number(campaign, result)
    stored: dict[str, Any] = {
        "contest": contest,
        "drawn_on": drawn_on.isoformat(),
        "prizes": digits,
        "excluded_member_ids": sorted(skip),
        "entered_at": now.isoformat(),
        "entered_by": actor,
        "winners": [
            {
                "prize": w.prize,
                "ticket_id": w.ticket.ticket_id,
                "number": w.ticket.number,
                "member_id": w.ticket.member_id,
                "distance": w.distance,
                "series_steps": w.series_steps,
            }
            for w in wins
        ],
        "drawn_number": drawn.series * ELEMENTS_PER_SERIES + drawn.element,
    }
    rules = dict(raffle.rules or {})
    before = rules.get("draw_result")
    rules["draw_result"] = stored
    raffle.rules = rules
    uow.audit_change(actor, "raffle.draw", "raffle", raffle_id, before=before, after=stored)
    return len(wins)


@dataclass(frozen=True)
class WinnerRow:
    prize: int
    number: str
    distance: int
    series_steps: int
    ticket_id: str
    sale_id: str
    store_id: str
    terminal_id: str
    status: str  # the ticket's status now: "void" if a late refund took it back
    member_id: str
    member_name: str
    cpf_masked: str | None


@dataclass(frozen=True)
class DrawView:
    contest: int
    drawn_on: str
    prizes: list[str]
    drawn_number: str
    excluded: list[str]
    entered_at: str
    entered_by: str
    winners: list[WinnerRow]


def draw_view(s: Session, raffle: RaffleCampaign, cipher: CpfCipher) -> DrawView | None:
    """The stored result and its winners, with each winner's member (CPF masked)."""
    stored = (raffle.rules or {}).get("draw_result")
    if not stored:
        return None
    c = to_campaign(raffle)
    rows = []
    for w in stored["winners"]:
        ticket = s.get(RaffleTicketRow, w["ticket_id"])
        member = s.get(Member, w["member_id"])
        cpf = None
        if member is not None and member.cpf_encrypted is not None:
            try:
                cpf = mask_cpf(cipher.decrypt(member.cpf_encrypted, member.id))
            except ValueError:
                cpf = "***.***.***-**"
        sale = s.get(Sale, ticket.sale_id) if ticket else None
        rows.append(
            WinnerRow(
                int(w["prize"]),
                c.format_number(int(w["number"])),
                int(w["distance"]),
                int(w["series_steps"]),
                w["ticket_id"],
                ticket.sale_id if ticket else "",
                sale.store_id if sale else "",
                ticket.terminal_id if ticket else "",
                ticket.status if ticket else "",
                w["member_id"],
                member.name if member else "",
                cpf,
            )
        )
    return DrawView(
        int(stored["contest"]),
        stored["drawn_on"],
        list(stored["prizes"]),
        c.format_number(int(stored["drawn_number"])),
        list(stored.get("excluded_member_ids", [])),
        stored["entered_at"],
        stored["entered_by"],
        rows,
    )
