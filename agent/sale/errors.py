"""The sale flow's errors: each names the bad value, in English and pt-BR, and changes nothing."""

from __future__ import annotations

from loyalty.errors import LoyaltyError


class SaleError(LoyaltyError):
    """Base of the sale flow's errors (a ``ValueError``: the POS sent something unusable)."""

    code = "sale_error"


class NoSuchSale(SaleError):
    code = "no_such_sale"

    def __init__(self, pos_id: str) -> None:
        super().__init__(
            f"no open sale {pos_id!r} at this till (identify or price it first)",
            f"nenhuma venda aberta {pos_id!r} neste caixa (identifique ou registre os itens)",
        )


class SaleStateError(SaleError):
    code = "sale_state"


class MemberNotFound(SaleError):
    """A well-formed code that belongs to no member in the cache (or a blocked card)."""

    code = "member_not_found"


class TenderRefused(SaleError):
    """A points or cashback tender beyond the balance or the offline caps."""

    code = "tender_refused"


class BadRequest(SaleError):
    code = "bad_request"
