"""The importer's errors: a file it cannot read at all (a bad row is a rejection, not an error)."""

from __future__ import annotations

from typing import Any

from ...i18n import translate
from .messages_pt import MESSAGES


class ImportFileError(ValueError):
    """The whole file is refused (unreadable, no header, a required column missing).

    ``message`` is the English text with ``{name}`` placeholders; :meth:`text` gives it in a
    language.
    """

    def __init__(self, message: str, **values: Any) -> None:
        super().__init__(message.format(**values))
        self.message = message
        self.values = values

    def text(self, lang: str = "pt-BR") -> str:
        return translate(MESSAGES, lang, self.message, **self.values)


class RowError(ValueError):
    """One cell or row is wrong: ``code`` (stable, in the error file's docs) and a message."""

    def __init__(self, code: str, message: str, **values: Any) -> None:
        super().__init__(message.format(**values))
        self.code = code
        self.message = message
        self.values = values
