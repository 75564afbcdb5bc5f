"""The one base exception of the loyalty core, and the bilingual message it carries.

Every error the core raises for bad input is a ``LoyaltyError``, a ``ValueError`` (bad input is
what it means), so adapters can catch one type and show ``message_pt`` to a cashier or
``message_en`` to a log or an English UI.
"""

from __future__ import annotations


class LoyaltyError(ValueError):
    """Bad input to the loyalty core: the message names the bad value.

    :param message_en: the message in English (also ``str(error)``).
    :param message_pt: the same message in Brazilian Portuguese; defaults to the English one.
    """

    code: str = "invalid"

    def __init__(self, message_en: str, message_pt: str | None = None) -> None:
        super().__init__(message_en)
        self.message_en = message_en
        self.message_pt = message_pt if message_pt is not None else message_en

    def message(self, lang: str = "pt-BR") -> str:
        """The message in ``lang`` (``pt``/``pt-BR`` or anything else for English)."""
        return self.message_pt if lang.lower().startswith("pt") else self.message_en
