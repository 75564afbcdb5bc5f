"""Raffle numbers ("números da sorte"): the campaign, blocks per terminal, collision-free issue.

Each campaign has ``series_count`` series of 100,000 elements (00000-99999); a number is
``series * 100000 + element``. The server reserves disjoint *blocks of positions* for each
terminal; a position becomes a number through a keyed permutation of the whole number space
(a Feistel network with cycle walking), so numbers are unique by construction across terminals
and spread evenly over every series. Spreading matters: the Loteria Federal rule gives the
prize to the *nearest* distributed number, so numbers handed out in one run from 00000 would
hand the edge of that run most prizes. A terminal whose blocks run out records *owed* tickets
(``number=None``) that the server numbers from its own block on sync.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from loyalty.money import Money

from .errors import RaffleError
from .ids import make_ticket_id

ELEMENTS_PER_SERIES = 100_000


@dataclass(frozen=True)
class DrawRegulation:
    """The parameters a campaign's regulation names for the Loteria Federal draw.

    :param above_first: at equal distance, the number above the drawn one comes first.
    :param series_step: the series tried next when one has no eligible number (+1: the next).
    :param prizes: prizes per draw (winners after the first continue the same search).
    :param one_prize_per_member: a member already drawn is skipped for later prizes.
    """

    above_first: bool = True
    series_step: int = 1
    prizes: int = 1
    one_prize_per_member: bool = False

    def __post_init__(self) -> None:
        if self.series_step not in (1, -1):
            raise RaffleError(f"series_step must be 1 or -1: {self.series_step!r}")
        if not isinstance(self.prizes, int) or self.prizes < 1:
            raise RaffleError(f"prizes must be >= 1: {self.prizes!r}")


@dataclass(frozen=True)
class RaffleCampaign:
    """A promotion authorised by the SPA/MF: one number per ``spend_per_number`` spent.

    :param authorisation: the SCPC certificate number quoted on the promotion's material.
    :param permutation_key: random bytes (>= 16) drawn when the campaign is created.
    """

    campaign_id: str
    name: str
    authorisation: str
    series_count: int
    spend_per_number: Money
    starts_at: datetime
    ends_at: datetime
    draw_date: date
    permutation_key: bytes
    max_numbers_per_sale: int | None = None
    regulation: DrawRegulation = field(default_factory=DrawRegulation)

    def __post_init__(self) -> None:
        if not isinstance(self.series_count, int) or not 1 <= self.series_count <= 1000:
            raise RaffleError(f"series_count must be 1-1000: {self.series_count!r}")
        if self.spend_per_number.amount <= 0:
            raise RaffleError(f"spend_per_number must be positive: {self.spend_per_number}")
        if not self.starts_at < self.ends_at:
            raise RaffleError(f"campaign {self.campaign_id!r} ends before it starts")
        if not isinstance(self.permutation_key, bytes) or len(self.permutation_key) < 16:
            raise RaffleError("permutation_key must be at least 16 random bytes")

    @property
    def size(self) -> int:
        return self.series_count * ELEMENTS_PER_SERIES

    def tickets_for_spend(self, eligible_spend: Money) -> int:
        """One number per whole ``spend_per_number`` of one purchase (not cumulative)."""
        count = int(eligible_spend.amount // self.spend_per_number.amount)
        count = max(count, 0)
        cap = self.max_numbers_per_sale
        return count if cap is None else min(count, cap)

    def number_at(self, position: int) -> int:
        """The number at ``position`` of the campaign's permutation (a bijection on the space)."""
        if not 0 <= position < self.size:
            raise RaffleError(f"position {position} outside 0-{self.size - 1}")
        half = (self.size.bit_length() + 1) // 2
        mask = (1 << half) - 1
        x = position
        while True:  # cycle walking: at most a few steps, the domain is < 4x the space
            left, right = x >> half, x & mask
            for rnd in range(4):
                digest = hashlib.sha256(
                    self.permutation_key + bytes((rnd,)) + right.to_bytes(8, "big")
                ).digest()
                left, right = right, left ^ (int.from_bytes(digest[:8], "big") & mask)
            x = (left << half) | right
            if x < self.size:
                return x

    def format_number(self, number: int) -> str:
        """``82791`` for one series, ``21-82791`` when there are several."""
        series, element = divmod(number, ELEMENTS_PER_SERIES)
        if self.series_count == 1:
            return f"{element:05d}"
        return f"{series:0{len(str(self.series_count - 1))}d}-{element:05d}"


@dataclass(frozen=True)
class NumberBlock:
    """Positions ``start`` to ``start + size - 1`` of a campaign, reserved for one holder."""

    campaign_id: str
    holder: str
    start: int
    size: int


def reserve_block(
    campaign: RaffleCampaign, existing: Iterable[NumberBlock], holder: str, size: int
) -> NumberBlock:
    """Server side: the next free block for ``holder`` (smaller if the space is nearly used).

    :raises RaffleError: if every position of the campaign is reserved.
    """
    if size <= 0:
        raise RaffleError(f"block size must be positive: {size}")
    end = max(
        (b.start + b.size for b in existing if b.campaign_id == campaign.campaign_id), default=0
    )
    left = campaign.size - end
    if left <= 0:
        raise RaffleError(f"campaign {campaign.campaign_id!r}: every number is already reserved")
    return NumberBlock(campaign.campaign_id, holder, end, min(size, left))


@dataclass(frozen=True)
class RaffleTicket:
    """One raffle number given for a sale; ``number`` is ``None`` while owed by the server."""

    ticket_id: str
    campaign_id: str
    sale_id: str
    member_id: str
    issued_at: datetime
    number: int | None = None


@dataclass(frozen=True)
class BlockState:
    """A terminal's (or the server's) blocks for one campaign and how many positions it used."""

    campaign_id: str
    blocks: tuple[NumberBlock, ...] = ()
    used: int = 0

    @property
    def left(self) -> int:
        return sum(b.size for b in self.blocks) - self.used

    def with_block(self, block: NumberBlock) -> BlockState:
        return replace(self, blocks=(*self.blocks, block))

    def take(self, campaign: RaffleCampaign, count: int) -> tuple[list[int], BlockState]:
        """Up to ``count`` fresh numbers, in block order; fewer if the blocks run out."""
        numbers: list[int] = []
        skip = self.used
        for block in self.blocks:
            if len(numbers) == count:
                break
            if skip >= block.size:
                skip -= block.size
                continue
            for pos in range(block.start + skip, block.start + block.size):
                if len(numbers) == count:
                    break
                numbers.append(campaign.number_at(pos))
            skip = 0
        return numbers, replace(self, used=self.used + len(numbers))


def issue_tickets(
    campaign: RaffleCampaign,
    state: BlockState,
    *,
    sale_id: str,
    member_id: str,
    at: datetime,
    count: int,
) -> tuple[list[RaffleTicket], BlockState]:
    """At the till: ``count`` tickets for a sale, numbered from the terminal's blocks or owed.

    :raises RaffleError: for a sale outside the campaign's dates or a negative count.
    """
    if not campaign.starts_at <= at < campaign.ends_at:
        raise RaffleError(f"sale at {at.isoformat()} is outside campaign {campaign.campaign_id!r}")
    if count < 0:
        raise RaffleError(f"ticket count must be >= 0: {count}")
    numbers, state = state.take(campaign, count)
    tickets = [
        RaffleTicket(
            make_ticket_id(sale_id, campaign.campaign_id, i),
            campaign.campaign_id,
            sale_id,
            member_id,
            at,
            numbers[i] if i < len(numbers) else None,
        )
        for i in range(count)
    ]
    return tickets, state


def assign_owed(
    campaign: RaffleCampaign, tickets: Iterable[RaffleTicket], server: BlockState
) -> tuple[list[RaffleTicket], BlockState]:
    """Server side, on sync: number the owed tickets in (issued_at, ticket_id) order.

    :raises RaffleError: if the server's blocks cannot cover them (reserve another first).
    """
    owed = sorted(
        (t for t in tickets if t.number is None and t.campaign_id == campaign.campaign_id),
        key=lambda t: (t.issued_at, t.ticket_id),
    )
    if len(owed) > server.left:
        raise RaffleError(
            f"{len(owed)} owed numbers but the server block has {server.left} left",
            f"{len(owed)} números devidos mas o bloco do servidor tem {server.left}",
        )
    numbers, server = server.take(campaign, len(owed))
    return [replace(t, number=n) for t, n in zip(owed, numbers, strict=True)], server


def check_unique(tickets: Iterable[RaffleTicket]) -> None:
    """:raises RaffleError: if two tickets of one campaign carry the same number."""
    seen: dict[tuple[str, int], str] = {}
    for t in tickets:
        if t.number is None:
            continue
        other = seen.setdefault((t.campaign_id, t.number), t.ticket_id)
        if other != t.ticket_id:
            raise RaffleError(f"number {t.number} given twice: {other} and {t.ticket_id}")
