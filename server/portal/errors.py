"""The portal's one error type: a refusal the shopper reads, in English and pt-BR."""

from __future__ import annotations

from loyalty.errors import LoyaltyError


class PortalError(LoyaltyError):
    """Bad input or a refused action; ``code`` is stable, the messages name the bad value."""

    def __init__(
        self, code: str, message_en: str, message_pt: str, field: str | None = None
    ) -> None:
        super().__init__(message_en, message_pt)
        self.code = code
        self.field = field
