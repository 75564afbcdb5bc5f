"""The words a till shows for codes it would otherwise print raw: why a redemption is capped,
a card's status. Each code has its English and pt-BR text; an unknown code shows as it is."""

from __future__ import annotations

# CapReason values (loyalty.rewards.offline_caps): what decided the most one may redeem now.
CAP_REASONS: dict[str, tuple[str, str]] = {
    "balance": ("balance", "saldo"),
    "per_sale": ("limit per sale", "limite por venda"),
    "per_member_day": ("limit per member per day", "limite por cliente por dia"),
    "amount_due": ("amount due", "valor a pagar"),
}

# CardStatus values (server/models/members.py) a till can meet on a card.
CARD_STATUSES: dict[str, tuple[str, str]] = {
    "blocked": ("blocked", "bloqueado"),
    "replaced": ("replaced", "substituído"),
    "inactive": ("inactive", "inativo"),
}


def cap_reason(code: object) -> tuple[str, str]:
    """``(english, portuguese)`` for a cap reason (an ``Enum`` or its value)."""
    value = str(getattr(code, "value", code))
    return CAP_REASONS.get(value, (value, value))


def card_status(code: object) -> tuple[str, str]:
    """``(english, portuguese)`` for a card status."""
    value = str(getattr(code, "value", code))
    return CARD_STATUSES.get(value, (value, value))
