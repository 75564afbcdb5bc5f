"""What each earning rule kind earns: the one table every quote, ledger and report reads.

A campaign rule of an earning kind (``points``, ``cashback``, ``raffle``, ...) gives the
member something: points, cashback or raffle numbers. Which one is decided here and nowhere
else, so a new earning kind is one row below (plus its evaluator in ``loyalty.pricing``), and
the till's quote, the ledger entries it books, the server's re-check and the head-office
simulation all follow from that row.

The table is keyed by the rule kind's wire value (``RuleKind.value``): ``loyalty.rewards`` does
not import ``loyalty.pricing`` (its README), and the campaign file's ``kind`` is a string
anyway. ``tests/loyalty/rewards/test_currency.py`` proves every earning kind of the pricing
engine and of ``docs/campaign.schema.json`` has a row, and that quote, entries and balances
agree for every row.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from .errors import UnknownEarningKind
from .ledger import Currency


class Earns(enum.Enum):
    """What an earning rule gives; its amounts are in :attr:`unit`."""

    POINTS = "points"
    CASHBACK = "cashback"
    RAFFLE = "raffle"

    @property
    def ledger_currency(self) -> Currency | None:
        """The ledger account it is booked in (``None``: raffle numbers are tickets, no entry)."""
        return _LEDGER[self]

    @property
    def unit(self) -> str:
        """What an amount counts: ``"points"``, ``"cents"`` (BRL) or ``"tickets"``."""
        return _UNIT[self]


_LEDGER: Final = {
    Earns.POINTS: Currency.POINTS,
    Earns.CASHBACK: Currency.CASHBACK,
    Earns.RAFFLE: None,
}
_UNIT: Final = {Earns.POINTS: "points", Earns.CASHBACK: "cents", Earns.RAFFLE: "tickets"}

#: The table: earning rule kind (``RuleKind.value``) -> what it earns. Discount kinds
#: (``percent_off``, ``member_price``, ...) earn nothing and have no row.
EARNING_KINDS: Final[Mapping[str, Earns]] = MappingProxyType(
    {
        "points": Earns.POINTS,
        "points_multiplier": Earns.POINTS,
        "points_bonus": Earns.POINTS,
        "cashback": Earns.CASHBACK,
        "raffle": Earns.RAFFLE,
    }
)


def earns(kind: str | enum.Enum) -> Earns:
    """What rule ``kind`` (a ``RuleKind`` or its value) earns.

    >>> earns("points_bonus")
    <Earns.POINTS: 'points'>

    :raises UnknownEarningKind: a kind with no row (a discount kind, or one forgotten here).
    """
    value = kind.value if isinstance(kind, enum.Enum) else kind
    found = EARNING_KINDS.get(value)
    if found is None:
        raise UnknownEarningKind(str(value))
    return found


def is_earning(kind: str | enum.Enum) -> bool:
    """Whether rule ``kind`` earns something (has a row in :data:`EARNING_KINDS`)."""
    return (kind.value if isinstance(kind, enum.Enum) else kind) in EARNING_KINDS
