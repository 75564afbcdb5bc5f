"""Spending a balance at the till: draw first-expiring-first-out and link each part to its lot.

A redemption becomes one ``redeem`` entry per lot it draws on, each naming that lot in
``reverses`` (the issuer-to-redeemer link, as Odoo's loyalty history keeps it), so the expiry
job can never expire what was spent and a refund can give back exactly what was taken.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from decimal import Decimal

from .balances import balance
from .errors import InsufficientBalance, RedemptionError
from .ledger import Currency, EntryKind, LedgerEntry
from .lots import fold


def redeem_entries(
    entries: Iterable[LedgerEntry],
    *,
    currency: Currency,
    amount: Decimal,
    member_id: str,
    at: datetime,
    new_id: Callable[[], str],
    sale_id: str | None = None,
    store_id: str | None = None,
    terminal_id: str | None = None,
    reason: str | None = None,
) -> list[LedgerEntry]:
    """The ``redeem`` entries that take ``amount`` (positive) from the member's available lots.

    :param new_id: mints the next entry id (e.g. :class:`loyalty.rewards.ids.EntryIds`).
    :raises InsufficientBalance: if ``amount`` is above the available balance at ``at``.
    :raises RedemptionError: for an amount that is not positive.
    """
    if not isinstance(amount, Decimal) or amount <= 0:
        raise RedemptionError(
            f"amount to redeem must be a positive Decimal: {amount!r}",
            f"valor a resgatar deve ser positivo: {amount!r}",
        )
    entries = list(entries)
    available = balance(entries, currency, at).available
    if amount > available:
        raise InsufficientBalance(amount, max(available, Decimal(0)))
    result: list[LedgerEntry] = []
    need = amount
    for lot in fold(entries, currency, at).lots:
        if not need:
            break
        expires = lot.entry.expires_at
        if not lot.available or lot.remaining <= 0 or (expires is not None and expires <= at):
            continue  # pending, spent, or past its expiry (not spendable, written off or not)
        take = min(need, lot.remaining)
        need -= take
        result.append(
            LedgerEntry(
                entry_id=new_id(),
                member_id=member_id,
                currency=currency,
                kind=EntryKind.REDEEM,
                amount=-take,
                effective_at=at,
                expires_at=lot.entry.expires_at,
                sale_id=sale_id,
                store_id=store_id,
                terminal_id=terminal_id,
                reverses=lot.entry.entry_id,
                reason=reason,
            )
        )
    return result
