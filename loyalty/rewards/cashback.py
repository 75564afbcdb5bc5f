"""Cashback: BRL credited on a sale, pending for N days, spendable as a tender, expiring.

Market norms (FIELD.md): credits pending 30-90 days, at most 10 % of a later purchase paid with
cashback. Both are configuration; the defaults here are 30 days pending, 90 days to spend once
available, and no share cap.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal

from loyalty.l10n import format_brl
from loyalty.money import CENT, Money

from .errors import InvalidConfig, RedemptionError
from .ledger import Currency, EntryKind, LedgerEntry
from .redemption import redeem_entries


@dataclass(frozen=True, slots=True)
class CashbackConfig:
    """``cashback.*`` config keys.

    :param maturation_days: ``cashback.maturation_days``: days a credit stays pending.
    :param expiry_days: ``cashback.expiry_days``: days a credit may be spent once available
        (``None``: never expires).
    :param max_share: ``cashback.max_share``: the largest fraction of a sale cashback may pay
        (``Decimal("0.10")`` for 10 %; ``None``: up to the whole amount due).
    """

    maturation_days: int = 30
    expiry_days: int | None = 90
    max_share: Decimal | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.maturation_days, int) or self.maturation_days < 0:
            raise InvalidConfig(
                f"cashback.maturation_days must be an int >= 0: {self.maturation_days!r}"
            )
        if self.expiry_days is not None and (
            not isinstance(self.expiry_days, int) or self.expiry_days <= 0
        ):
            raise InvalidConfig(f"cashback.expiry_days must be >= 1: {self.expiry_days!r}")
        if self.max_share is not None and (
            not isinstance(self.max_share, Decimal) or not 0 < self.max_share <= 1
        ):
            raise InvalidConfig(f"cashback.max_share must be in (0, 1]: {self.max_share!r}")

    def available_at(self, earned_at: datetime) -> datetime:
        return earned_at + timedelta(days=self.maturation_days)

    def expires_at(self, earned_at: datetime) -> datetime | None:
        if self.expiry_days is None:
            return None
        return self.available_at(earned_at) + timedelta(days=self.expiry_days)


def max_cashback_redeemable(available: Decimal, amount_due: Money, config: CashbackConfig) -> Money:
    """Cashback that may pay ``amount_due``: within the balance, the amount due and the cap."""
    cap = amount_due.amount
    if config.max_share is not None:
        cap = (cap * config.max_share).quantize(CENT, rounding=ROUND_DOWN)
    return Money(max(Decimal("0.00"), min(available, cap)).quantize(CENT))


def redeem_cashback(
    entries: Iterable[LedgerEntry],
    *,
    amount: Money,
    amount_due: Money,
    config: CashbackConfig,
    member_id: str,
    at: datetime,
    new_id: Callable[[], str],
    sale_id: str | None = None,
    store_id: str | None = None,
    terminal_id: str | None = None,
) -> tuple[LedgerEntry, ...]:
    """Pay ``amount`` of a sale with matured cashback.

    :raises RedemptionError: for fractions of a cent, zero, or more than the amount due (or
        its configured share).
    :raises InsufficientBalance: for more than the available (matured) cashback.
    """
    if amount.amount <= 0 or amount.amount != amount.amount.quantize(CENT):
        raise RedemptionError(
            f"cashback to redeem must be positive whole cents: {amount}",
            f"cashback a resgatar deve ser positivo e em centavos: {amount}",
        )
    limit = amount_due.amount
    if config.max_share is not None:
        limit = (limit * config.max_share).quantize(CENT, rounding=ROUND_DOWN)
    if amount.amount > limit:
        raise RedemptionError(
            f"cashback {format_brl(amount)} is more than this sale allows "
            f"({format_brl(Money(limit, amount.currency))})",
            f"cashback {format_brl(amount)} acima do permitido nesta venda "
            f"({format_brl(Money(limit, amount.currency))})",
        )
    made = redeem_entries(
        entries,
        currency=Currency.CASHBACK,
        amount=amount.amount,
        member_id=member_id,
        at=at,
        new_id=new_id,
        sale_id=sale_id,
        store_id=store_id,
        terminal_id=terminal_id,
    )
    return tuple(made)


def mature_due(
    entries: Iterable[LedgerEntry], *, member_id: str, at: datetime, new_id: Callable[[], str]
) -> list[LedgerEntry]:
    """History markers for the job: a zero ``mature`` entry for each credit now available.

    Balances never need them (maturity follows from ``available_at``); they let the member's
    history say "R$ 5,00 became available on 31/03". Idempotent: a credit already marked is
    skipped.
    """
    entries = list(entries)
    marked = {e.reverses for e in entries if e.kind is EntryKind.MATURE}
    return [
        LedgerEntry(
            entry_id=new_id(),
            member_id=member_id,
            currency=Currency.CASHBACK,
            kind=EntryKind.MATURE,
            amount=Decimal("0.00"),
            effective_at=e.available_at,
            sale_id=e.sale_id,
            reverses=e.entry_id,
            reason=f"{e.amount:f} available",
        )
        for e in entries
        if e.currency is Currency.CASHBACK
        and e.amount > 0
        and e.available_at is not None
        and e.available_at <= at
        and e.entry_id not in marked
    ]
