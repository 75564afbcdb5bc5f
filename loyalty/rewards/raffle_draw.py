"""The Loteria Federal winner rule used by Brazilian promotional raffles (see docs/raffle.md).

The drawn *element* is the unit digits of the 1st to 5th prizes read top down; the drawn
*series* is the tens digits of the 1st to 3rd prizes, brought into range modulo the number of
series. If no eligible ticket holds that number, the nearest distributed number wins,
alternating above and below within the series (above first, unless the regulation says
otherwise); a series with no eligible number passes to the next series, searched from the same
element. Later prizes of the same draw continue the same search, so no number wins twice.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date

from .errors import RaffleError
from .raffle import ELEMENTS_PER_SERIES, RaffleCampaign, RaffleTicket


@dataclass(frozen=True)
class FederalResult:
    """One Loteria Federal extraction: contest number, date and the five prizes, top down."""

    contest: int
    drawn_on: date
    prizes: tuple[str, str, str, str, str]

    def __post_init__(self) -> None:
        if len(self.prizes) != 5 or not all(
            isinstance(p, str) and p.isdigit() and 2 <= len(p) <= 6 for p in self.prizes
        ):
            raise RaffleError(
                f"a Loteria Federal result has 5 prizes of 2-6 digits: {self.prizes!r}",
                f"o resultado da Loteria Federal tem 5 prêmios de 2 a 6 dígitos: {self.prizes!r}",
            )


@dataclass(frozen=True)
class DrawnNumber:
    series: int
    element: int
    series_raw: int  # the tens digits as read, before being brought into range


@dataclass(frozen=True)
class Win:
    """A prize: the ticket, its distance from the drawn element and the series step it needed."""

    prize: int
    ticket: RaffleTicket
    drawn: DrawnNumber
    distance: int
    series_steps: int


def drawn_number(campaign: RaffleCampaign, result: FederalResult) -> DrawnNumber:
    """Read the element (unit digits, prizes 1-5) and series (tens digits, prizes 1-3)."""
    element = int("".join(p[-1] for p in result.prizes))
    raw = int("".join(p[-2] for p in result.prizes[:3]))
    return DrawnNumber(raw % campaign.series_count, element, raw)


def _search(elements: list[int], start: int, above_first: bool) -> Iterator[tuple[int, int]]:
    """(distance, element) of the sorted ``elements`` by distance from ``start``, alternating."""
    up = bisect.bisect_left(elements, start)
    down = up - 1
    while up < len(elements) or down >= 0:
        d_up = elements[up] - start if up < len(elements) else None
        d_down = start - elements[down] if down >= 0 else None
        take_up = d_down is None or (
            d_up is not None and (d_up < d_down or (d_up == d_down and above_first))
        )
        if take_up and d_up is not None:
            yield d_up, elements[up]
            up += 1
        elif d_down is not None:
            yield d_down, elements[down]
            down -= 1


def winners(
    campaign: RaffleCampaign,
    result: FederalResult,
    tickets: Iterable[RaffleTicket],
    *,
    eligible: Callable[[RaffleTicket], bool] = lambda t: True,
) -> list[Win]:
    """The campaign's winners for one extraction, prize 1 first (fewer if too few eligible).

    :param tickets: every numbered ticket distributed in the campaign (voided ones excluded).
    :param eligible: False for a holder the regulation excludes (employees, a cancelled sale).
    :raises RaffleError: if two tickets share a number.
    """
    reg = campaign.regulation
    drawn = drawn_number(campaign, result)
    by_series: dict[int, dict[int, RaffleTicket]] = {}
    for t in tickets:
        if t.campaign_id != campaign.campaign_id or t.number is None:
            continue
        series, element = divmod(t.number, ELEMENTS_PER_SERIES)
        slot = by_series.setdefault(series, {})
        if element in slot and slot[element].ticket_id != t.ticket_id:
            raise RaffleError(f"number {t.number} was distributed twice")
        slot[element] = t
    won: list[Win] = []
    members: set[str] = set()
    for step in range(campaign.series_count):
        series = (drawn.series + step * reg.series_step) % campaign.series_count
        slot = by_series.get(series, {})
        for distance, element in _search(sorted(slot), drawn.element, reg.above_first):
            ticket = slot[element]
            if not eligible(ticket):
                continue
            if reg.one_prize_per_member and ticket.member_id in members:
                continue
            won.append(Win(len(won) + 1, ticket, drawn, distance, step))
            members.add(ticket.member_id)
            if len(won) == reg.prizes:
                return won
    return won


def winner(
    campaign: RaffleCampaign,
    result: FederalResult,
    tickets: Iterable[RaffleTicket],
    *,
    eligible: Callable[[RaffleTicket], bool] = lambda t: True,
) -> Win | None:
    """The first prize's winner, or ``None`` if no eligible number was distributed."""
    found = winners(campaign, result, tickets, eligible=eligible)
    return found[0] if found else None
