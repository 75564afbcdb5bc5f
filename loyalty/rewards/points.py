"""Points: their cash value at the till, how many may be redeemed, and the redemption itself.

Points are whole numbers. Their value is configured as ``points_per_unit`` points for
``unit_value`` (default 100 points = R$ 1,00); a value is always rounded *down* to the cent,
so a redemption never pays more than the points are worth.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_DOWN, ROUND_FLOOR, Decimal

from loyalty.money import Money

from .balances import balance
from .errors import InvalidConfig, RedemptionError
from .ledger import Currency, LedgerEntry
from .redemption import redeem_entries


@dataclass(frozen=True, slots=True)
class PointsConfig:
    """``points.*`` config keys.

    :param points_per_unit: ``points.per_unit``: how many points buy ``unit_value``.
    :param unit_value: ``points.unit_value``: what ``points_per_unit`` points are worth.
    :param expiry_months: ``points.expiry_months``: months until earned points expire
        (``None``: never).
    """

    points_per_unit: int = 100
    unit_value: Money = Money("1.00")
    expiry_months: int | None = 12

    def __post_init__(self) -> None:
        if not isinstance(self.points_per_unit, int) or self.points_per_unit <= 0:
            raise InvalidConfig(f"points.per_unit must be a positive int: {self.points_per_unit!r}")
        if not isinstance(self.unit_value, Money) or self.unit_value.amount <= 0:
            raise InvalidConfig(f"points.unit_value must be positive Money: {self.unit_value!r}")
        if self.expiry_months is not None and (
            not isinstance(self.expiry_months, int) or self.expiry_months <= 0
        ):
            raise InvalidConfig(f"points.expiry_months must be >= 1: {self.expiry_months!r}")

    def value_of(self, points: int) -> Money:
        """What ``points`` pay at the till, rounded down to the cent.

        >>> PointsConfig().value_of(150)
        Money('1.50', 'BRL')
        """
        exact = self.unit_value * points / self.points_per_unit
        return exact.quantize(rounding=ROUND_DOWN)

    def points_for(self, amount: Money) -> int:
        """The most points whose value does not exceed ``amount`` (0 for zero or less).

        >>> PointsConfig().points_for(Money("12.34"))
        1234
        """
        if amount.amount <= 0:
            return 0
        ratio = amount.amount * self.points_per_unit / self.unit_value.amount
        points = int(ratio.to_integral_value(rounding=ROUND_FLOOR))
        # Values round down, so one more point may still fit under the amount.
        while self.value_of(points + 1) <= amount:
            points += 1
        return points


def max_points_redeemable(available: Decimal, amount_due: Money, config: PointsConfig) -> int:
    """Whole points that may pay ``amount_due``: never more than the balance or the amount due."""
    return max(0, min(int(available), config.points_for(amount_due)))


@dataclass(frozen=True, slots=True)
class PointsRedemption:
    """A points tender: the entries to append and the value to put on the sale."""

    points: int
    value: Money
    entries: tuple[LedgerEntry, ...]


def redeem_points(
    entries: Iterable[LedgerEntry],
    *,
    points: int,
    amount_due: Money,
    config: PointsConfig,
    member_id: str,
    at: datetime,
    new_id: Callable[[], str],
    sale_id: str | None = None,
    store_id: str | None = None,
    terminal_id: str | None = None,
) -> PointsRedemption:
    """Pay part of a sale with ``points``.

    :raises RedemptionError: for a fraction, zero or negative points, or more than the
        amount due is worth.
    :raises InsufficientBalance: for more points than the member has available.
    """
    if not isinstance(points, int) or isinstance(points, bool) or points <= 0:
        raise RedemptionError(
            f"points to redeem must be a positive whole number: {points!r}",
            f"pontos a resgatar devem ser um inteiro positivo: {points!r}",
        )
    cap = config.points_for(amount_due)
    if points > cap:
        raise RedemptionError(
            f"{points} points are worth more than the amount due {amount_due}: at most {cap}",
            f"{points} pontos valem mais que o valor devido {amount_due}: no máximo {cap}",
        )
    entries = list(entries)
    made = redeem_entries(
        entries,
        currency=Currency.POINTS,
        amount=Decimal(points),
        member_id=member_id,
        at=at,
        new_id=new_id,
        sale_id=sale_id,
        store_id=store_id,
        terminal_id=terminal_id,
    )
    return PointsRedemption(points, config.value_of(points), tuple(made))


def points_balance_value(
    entries: Iterable[LedgerEntry], at: datetime, config: PointsConfig
) -> Money:
    """The cash value of the member's available points (for the receipt and the portal)."""
    available = balance(entries, Currency.POINTS, at).available
    return config.value_of(max(0, int(available)))
