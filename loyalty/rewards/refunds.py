"""Refunds and cancellations: reverse a sale's rewards pro rata, exactly, in any number of steps.

Rounding rule: after refunds totalling ``R`` of a sale of total ``T``, each of the sale's
entries of amount ``A`` (earned points or cashback, or points and cashback spent as a tender)
has been reversed by ``round_half_up(A * R / T)`` in its unit (1 point, 1 cent) in total. A
refund books the difference from what the sale's earlier refunds booked (kept in
:class:`RefundState`), so any sequence of partial refunds that adds up to the whole sale reverses
exactly ``A``, and never more. Spent tenders are given back first (positive ``reverse``
entries keeping the expiry of the lot they came from), then earnings are taken back (negative
``reverse`` entries naming the earning lot).

Raffle numbers: after refunds ``R`` the sale keeps ``floor(N * (T - R) / T)`` of its ``N``
numbers per campaign; owed tickets are voided first, then the last issued. Vouchers used on
the sale are restored when the sale is fully refunded.

If the member already spent the points being taken back, the balance goes negative: only down
to what was spent (never more than the sale earned is taken), and the result reports it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from loyalty.money import CENT, Money

from .balances import balance
from .errors import RefundError
from .ledger import Currency, EntryKind, LedgerEntry
from .raffle import RaffleTicket
from .vouchers import VoucherUse

_ZERO = Decimal(0)


@dataclass(frozen=True)
class RefundState:
    """What earlier refunds of one sale did (persisted with the sale)."""

    refunded: Money = field(default_factory=Money.zero)
    reversed: Mapping[str, Decimal] = field(default_factory=dict)  # per entry id, magnitude
    voided_tickets: frozenset[str] = frozenset()

    def to_dict(self) -> dict[str, object]:
        """JSON-safe form (amounts as decimal strings) to store with the sale."""
        return {
            "refunded": f"{self.refunded.amount:f}",
            "reversed": {k: f"{v:f}" for k, v in sorted(self.reversed.items())},
            "voided_tickets": sorted(self.voided_tickets),
        }

    @classmethod
    def from_dict(cls, d: object) -> RefundState:
        """:raises RefundError: for a malformed stored state."""
        bad = RefundError(f"not a stored refund state: {d!r}"[:200], "estado de estorno inválido")
        if not isinstance(d, dict):
            raise bad
        reversed_, tickets = d.get("reversed"), d.get("voided_tickets")
        if not isinstance(reversed_, dict) or not isinstance(tickets, list):
            raise bad
        if not all(isinstance(v, str) for v in [*reversed_.values(), *tickets, d.get("refunded")]):
            raise bad
        try:
            return cls(
                Money(d["refunded"]),
                {str(k): Decimal(v) for k, v in reversed_.items()},
                frozenset(tickets),
            )
        except (ValueError, ArithmeticError):
            raise bad from None


@dataclass(frozen=True)
class SaleRecord:
    """A sale as booked: its total and the rewards it gave and took."""

    sale_id: str
    member_id: str
    total: Money
    entries: tuple[LedgerEntry, ...] = ()  # earn and redeem entries of the sale
    tickets: tuple[RaffleTicket, ...] = ()
    voucher_uses: tuple[VoucherUse, ...] = ()


@dataclass(frozen=True)
class RefundResult:
    entries: tuple[LedgerEntry, ...]
    void_tickets: tuple[str, ...]  # ticket ids
    restore_vouchers: tuple[VoucherUse, ...]  # uses to mark restored
    negative_balance: Mapping[Currency, Decimal]  # how far below zero the balance went
    state: RefundState


def _share(amount: Decimal, refunded: Decimal, total: Decimal, unit: Decimal) -> Decimal:
    return (amount * refunded / total).quantize(unit, rounding=ROUND_HALF_UP)


def refund_sale(
    sale: SaleRecord,
    *,
    refund: Money,
    state: RefundState,
    ledger: Iterable[LedgerEntry],
    at: datetime,
    new_id: Callable[[], str],
    store_id: str | None = None,
    terminal_id: str | None = None,
) -> RefundResult:
    """Reverse the part of ``sale``'s rewards that ``refund`` (BRL) returns.

    :param state: what this sale's earlier refunds did (``RefundState()`` for the first).
    :param ledger: the member's entries (to report a balance below zero).
    :raises RefundError: for a refund that is not positive whole cents, or beyond the sale total.
    """
    total = sale.total.amount
    if total <= 0:
        raise RefundError(f"sale {sale.sale_id!r} has no total to refund against: {sale.total}")
    if refund.amount <= 0 or refund.amount != refund.amount.quantize(CENT):
        raise RefundError(
            f"refund must be positive whole cents: {refund}",
            f"o estorno deve ser positivo e em centavos: {refund}",
        )
    refunded = state.refunded + refund
    if refunded.amount > total:
        raise RefundError(
            f"sale {sale.sale_id!r}: refunds of {refunded} exceed the sale total {sale.total}",
            f"venda {sale.sale_id!r}: estornos de {refunded} passam do total {sale.total}",
        )
    r = refunded.amount
    reversed_ = dict(state.reversed)
    made: list[LedgerEntry] = []
    # Tenders given back before earnings taken back, so a refund never dips needlessly below 0.
    order = sorted(sale.entries, key=lambda e: (e.kind is not EntryKind.REDEEM, e.entry_id))
    for e in order:
        if e.kind not in (EntryKind.EARN, EntryKind.REDEEM):
            continue
        unit = Decimal(1) if e.currency is Currency.POINTS else CENT
        due = _share(abs(e.amount), r, total, unit)
        step = due - reversed_.get(e.entry_id, _ZERO)
        if not step:
            continue
        reversed_[e.entry_id] = due
        sign = 1 if e.kind is EntryKind.REDEEM else -1
        made.append(
            LedgerEntry(
                entry_id=new_id(),
                member_id=e.member_id,
                currency=e.currency,
                kind=EntryKind.REVERSE,
                amount=sign * step,
                effective_at=at,
                expires_at=e.expires_at if sign > 0 else None,
                sale_id=e.sale_id,
                rule_id=e.rule_id,
                store_id=store_id,
                terminal_id=terminal_id,
                reverses=e.entry_id,
                reason=f"refund of {refund.amount:f} of {total:f}",
            )
        )
    voided = set(state.voided_tickets)
    by_campaign: dict[str, list[RaffleTicket]] = {}
    for t in sale.tickets:
        by_campaign.setdefault(t.campaign_id, []).append(t)
    void_now: list[str] = []
    for tickets in by_campaign.values():
        n = len(tickets)
        keep = int(n * (total - r) // total)
        # Owed tickets first (no number was printed yet), then the last issued.
        newest_first = tickets[::-1]
        ranked = [t for t in newest_first if t.number is None]
        ranked += [t for t in newest_first if t.number is not None]
        for t in ranked[: n - keep]:
            if t.ticket_id not in voided:
                voided.add(t.ticket_id)
                void_now.append(t.ticket_id)
    restore = sale.voucher_uses if r == total else ()
    entries = list(ledger) + made
    negative: dict[Currency, Decimal] = {}
    for currency in Currency:
        available = balance(entries, currency, at).available
        if available < 0:
            negative[currency] = -available
    new_state = RefundState(refunded, reversed_, frozenset(voided))
    return RefundResult(tuple(made), tuple(void_now), tuple(restore), negative, new_state)
