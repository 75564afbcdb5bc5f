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


class CouponRefused(SaleError):
    """A coupon code presented at the till that fires no rule here; nothing changed.

    ``code``: ``coupon_unknown`` (no campaign rule carries it) or ``coupon_not_valid`` (its
    rules are outside their dates, hours, stores or audience for this sale).
    """

    code = "coupon_unknown"

    def __init__(self, coupon: str, reason: str) -> None:
        self.coupon = coupon
        if reason == "unknown":
            en, pt = "is no coupon of any campaign here", "não é cupom de nenhuma campanha aqui"
        else:
            self.code = "coupon_not_valid"
            en = "is not valid for this sale (date, time, store or shopper)"
            pt = "não vale para esta venda (data, horário, loja ou cliente)"
        super().__init__(f"coupon {coupon!r} {en}", f"cupom {coupon!r} {pt}")


class BadRequest(SaleError):
    code = "bad_request"


class UnknownSku(SaleError):
    """A basket line whose SKU the synced catalogue does not hold, or holds as inactive."""

    code = "unknown_sku"

    def __init__(self, line_no: int, sku: str, *, inactive: bool = False) -> None:
        self.line_no = line_no
        self.sku = sku
        self.inactive = inactive
        if inactive:
            en = f"line {line_no}: product {sku!r} is inactive in the catalogue"
            pt = f"linha {line_no}: produto {sku!r} está inativo no catálogo"
        else:
            en = f"line {line_no}: product {sku!r} is not in the catalogue"
            pt = f"linha {line_no}: produto {sku!r} não está no catálogo"
        super().__init__(
            f"{en}; check the code or update the catalogue at head office",
            f"{pt}; confira o código ou atualize o catálogo na central",
        )


class EnrolmentRefused(SaleError):
    """A shopper the till cannot enrol: ``code`` says why (``consent_required``,
    ``already_member``, ``card_taken``, ``not_a_card``, ``cpf_check_unavailable``).

    Messages never carry a whole CPF or card number (they end up in logs and on screens).
    """

    code = "enrolment_refused"

    def __init__(self, code: str, message_en: str, message_pt: str) -> None:
        super().__init__(message_en, message_pt)
        self.code = code
