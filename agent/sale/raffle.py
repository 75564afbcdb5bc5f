"""Raffle numbers at finalise: number a sale's tickets from this terminal's blocks, or owe them.

The blocks come from head office (the ``raffle_block`` feed, only blocks assigned to this
terminal); each block has a journal counter ``raffle_block:<id>`` with the positions used, so
a number is never handed out twice, even when a block disappears from the cache or a new one
arrives. The counters are written in the sale's own journal transaction: a till killed
mid-sale either has the sale and its numbers, or neither. Tickets past the last block are
*owed* (``number=None``); the server numbers them on sync.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from loyalty.errors import LoyaltyError
from loyalty.money import Money
from loyalty.rewards import BlockState, NumberBlock, RaffleCampaign, RaffleTicket, issue_tickets

from ..cache.integrity import verify
from ..journal import Counters

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CachedBlock:
    block_id: str
    block: NumberBlock


def counter_name(block_id: str) -> str:
    return f"raffle_block:{block_id}"


def _campaign(data: Mapping[str, Any]) -> RaffleCampaign:
    rules = data.get("rules") or {}
    ends = datetime.fromisoformat(data["ends_at"])
    draw = rules.get("draw_date")
    return RaffleCampaign(
        campaign_id=data["id"],
        name=data["name"],
        authorisation=data["authorisation_number"],
        series_count=int(rules.get("series_count", 1)),
        spend_per_number=Money(Decimal(data["spend_per_number"])),
        starts_at=datetime.fromisoformat(data["starts_at"]),
        ends_at=ends,
        draw_date=date.fromisoformat(draw) if draw else ends.date(),
        permutation_key=bytes.fromhex(rules["permutation_key"]),
        max_numbers_per_sale=rules.get("max_numbers_per_sale"),
    )


class RaffleSource:
    """Campaigns and this terminal's blocks, read from the cache."""

    def __init__(self, conn: sqlite3.Connection, terminal_id: str) -> None:
        self.conn = conn
        self.terminal_id = terminal_id

    def campaign(self, campaign_id: str) -> RaffleCampaign | None:
        try:
            row = self.conn.execute(
                "SELECT id, data, crc FROM raffles WHERE id = ?", (campaign_id,)
            ).fetchone()
            if row is None:
                return None
            return _campaign(json.loads(verify(row, "raffles")[1]))
        except (KeyError, ValueError, LoyaltyError, sqlite3.DatabaseError) as exc:
            log.warning("raffle %s unusable at the till: %s", campaign_id, exc)
            return None

    def blocks(self, campaign_id: str) -> list[CachedBlock]:
        found = []
        try:
            rows = [
                json.loads(verify(row, "raffle_blocks")[1])
                for row in self.conn.execute("SELECT id, data, crc FROM raffle_blocks")
            ]
        except (ValueError, sqlite3.DatabaseError) as exc:  # CacheDamaged is a ValueError
            log.warning("raffle blocks unusable at the till: %s", type(exc).__name__)
            return []
        for b in rows:
            # Only blocks made for this very terminal: a store-wide block shared by two tills
            # would give the same positions twice.
            if (
                b.get("raffle_id") != campaign_id
                or b.get("terminal_id") != self.terminal_id
                or b.get("first_position") is None
                or not b.get("size")
            ):
                continue
            block = NumberBlock(campaign_id, self.terminal_id, b["first_position"], b["size"])
            found.append(CachedBlock(b["id"], block))
        return sorted(found, key=lambda c: c.block.start)


def issue_for_sale(
    source: RaffleSource,
    counters: Counters,
    *,
    sale_id: str,
    member_id: str,
    at: datetime,
    counts: Mapping[str, int],
) -> list[RaffleTicket]:
    """Tickets for a sale's ``counts`` (campaign -> tickets), advancing ``counters``.

    A campaign the cache does not know, or a sale outside its dates, gets no tickets (the
    server could not store them): logged, the sale goes through.
    """
    tickets: list[RaffleTicket] = []
    for campaign_id, count in sorted(counts.items()):
        if count <= 0:
            continue
        campaign = source.campaign(campaign_id)
        if campaign is None:
            log.warning("sale %s: %d tickets of unknown raffle %s", sale_id, count, campaign_id)
            continue
        if not campaign.starts_at <= at < campaign.ends_at:
            log.warning("sale %s outside raffle %s dates: no tickets", sale_id, campaign_id)
            continue
        # What is left of each block, as one state: issue_tickets takes from them in order.
        cached = source.blocks(campaign_id)
        left = []
        for c in cached:
            used = counters.used(counter_name(c.block_id))
            if used < c.block.size:
                b = c.block
                left.append(
                    (c, NumberBlock(b.campaign_id, b.holder, b.start + used, b.size - used))
                )
        state = BlockState(campaign_id, tuple(b for _, b in left))
        issued, state = issue_tickets(
            campaign, state, sale_id=sale_id, member_id=member_id, at=at, count=count
        )
        taken = state.used
        for c, b in left:
            step = min(taken, b.size)
            if step:
                counters.advance(counter_name(c.block_id), step)
            taken -= step
        tickets += issued
    return tickets


def format_tickets(
    source: RaffleSource, tickets: list[RaffleTicket]
) -> dict[str, list[str | None]]:
    """``{campaign: ["82791", None, …]}`` as printed (``None``: sent later)."""
    out: dict[str, list[str | None]] = {}
    for t in tickets:
        campaign = source.campaign(t.campaign_id)
        text = None
        if t.number is not None:
            text = campaign.format_number(t.number) if campaign else str(t.number)
        out.setdefault(t.campaign_id, []).append(text)
    return out
