"""One i18n for the server's pages, mail and messages: pt-BR (default) and English.

- :mod:`.messages`: an area's messages are data (English text as written in the code -> pt-BR), one
  per area (``server/admin/messages_pt.py``, ``server/portal/messages_pt.py``); one lookup,
  :func:`translate`, with ``{name}`` placeholders (``str.format``) everywhere.
- :mod:`.negotiation`: which language a request gets (``?lang=``, the remembered choice,
  ``Accept-Language``), pure.
- :mod:`.formats`: money, numbers, percentages, points and dates as each language writes them
  (money through :mod:`loyalty.l10n`), pure: the language is an argument.
- :mod:`.web`: the Flask side (an area's cookie, the request's language on ``g``,
  ``gettext``); only views, blueprints and forms import it, never a use case.

Why dict tables and not flask-babel (4.0.0, tried with Flask 3.1 here, not a dependency): see
``docs/architecture.md`` ("One i18n").
"""

from __future__ import annotations

from .messages import Messages, placeholders, translate
from .negotiation import DEFAULT, LANGUAGES, negotiate, normalize

__all__ = [
    "DEFAULT",
    "LANGUAGES",
    "Messages",
    "negotiate",
    "normalize",
    "placeholders",
    "translate",
]
