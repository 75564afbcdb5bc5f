"""The voucher stage's input: a voucher the rewards code has already validated for this sale.

The pricing engine does not decide whether a voucher may be used (validity, store, member
binding, used state: that is ``loyalty.rewards``); it only applies it, after the basket
promotions, like a basket discount on what is left, and explains it under the voucher's id.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ..money import Money
from .errors import BasketError


@dataclass(frozen=True)
class VoucherApplication:
    """A validated voucher to apply: exactly one of ``percent`` and ``amount`` is set.

    ``min_subtotal`` is inclusive and compared with the subtotal after basket promotions.

    :raises BasketError: for both or neither of percent/amount, a percent outside 0–100, or a
        negative amount.
    """

    voucher_id: str
    code: str
    name: str
    percent: Decimal | None
    amount: Money | None
    min_subtotal: Money

    def __post_init__(self) -> None:
        where = (f"voucher '{self.voucher_id}'", f"vale '{self.voucher_id}'")
        if (self.percent is None) == (self.amount is None):
            raise BasketError(
                *where,
                "percent",
                "exactly one of 'percent' and 'amount' must be set",
                "exatamente um de 'percent' e 'amount' deve ser informado",
            )
        if self.percent is not None and not 0 <= self.percent <= 100:
            raise BasketError(
                *where,
                "percent",
                f"must be a number between 0 and 100, got {self.percent}",
                f"deve ser um número entre 0 e 100, recebido {self.percent}",
            )
        for name, money in (("amount", self.amount), ("min_subtotal", self.min_subtotal)):
            if money is not None and money.amount < 0:
                raise BasketError(
                    *where,
                    name,
                    f"must be an amount of money ≥ 0, got {money.amount}",
                    f"deve ser um valor em dinheiro ≥ 0, recebido {money.amount}",
                )
