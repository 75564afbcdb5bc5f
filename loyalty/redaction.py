"""Mask secrets and personal data in text bound for a log: the one redaction rule of server
and agent (both import it; each installs :class:`RedactingFilter` on its log handlers).

Handlers log ids and counts, never payloads; this is the second line of defence, applied to
every record (message, arguments, extra fields, tracebacks) before it is written:

=====================================================  =======================
what                                                   becomes
=====================================================  =======================
terminal credential ``tc1.<id>.<secret>``              ``tc1.[credential]``
``Bearer <anything>``                                  ``Bearer [credential]``
the query string of a logged URL (``/x?q=...``)        ``/x?[query]``
a password-reset link's token (``/portal/reset/<t>``)  ``/portal/reset/[token]``
e-mail address                                         ``[email]``
punctuated CPF ``000.000.000-00``                      ``[cpf]``
phone, punctuated (``(11) 91234-5678``, ``+55 11 …``)  ``[phone]``
any run of 10–19 digits (CPF, phone, EAN-13, PAN)      ``[number]``
a run of 32+ URL-safe characters (tokens, keys)        ``[token]``
=====================================================  =======================
"""

from __future__ import annotations

import logging
import re
from typing import Any

_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"tc1\.[\w-]+\.[\w-]+"), "tc1.[credential]"),
    (re.compile(r"(?i)bearer\s+\S+"), "Bearer [credential]"),
    (re.compile(r"(/[^\s?\"'#]*)\?[^\s\"'#]+"), r"\1?[query]"),
    (re.compile(r"(/reset/)[^\s/?\"']+"), r"\1[token]"),
    (re.compile(r"[\w.%+-]+@[\w-]+(?:\.[\w-]+)+"), "[email]"),
    (re.compile(r"\d{3}\.\d{3}\.\d{3}-\d{2}"), "[cpf]"),
    (
        re.compile(r"(?<![\w.])(?:\+?55[\s.-]?)?\(?\d{2}\)?[\s.-]?9?\d{4}[\s.-]\d{4}(?![\w.])"),
        "[phone]",
    ),
    # not after ":": the sequence of an id (E:T0001:000000000042) is not a number to hide
    (re.compile(r"(?<![\w.:])\+?\d{10,19}(?![\w.])"), "[number]"),
    (re.compile(r"(?<![\w-])[A-Za-z0-9_-]{32,}(?![\w-])"), "[token]"),
)


def scrub(text: str) -> str:
    """``text`` with every secret and personal datum of the table above masked."""
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text


def scrub_value(value: Any) -> Any:
    """:func:`scrub` through strings, dicts, lists and tuples; other values as they are."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {k: scrub_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub_value(v) for v in value]
    return value


_RESERVED = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
}


class RedactingFilter(logging.Filter):
    """Scrub a record in place: the formatted message (arguments folded in), every extra
    field and the traceback text. Installed on handlers, so records of every logger that
    reaches them (the server's, werkzeug's, gunicorn's, the agent's, libraries') pass it."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed format string: keep what was logged
            message = f"{record.msg} {record.args}"
        record.msg, record.args = scrub(message), None
        for key, value in list(vars(record).items()):
            if key not in _RESERVED and not key.startswith("_"):
                setattr(record, key, scrub_value(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        return True


def install(handler: logging.Handler) -> None:
    """Add one :class:`RedactingFilter` to ``handler`` (a second call adds none)."""
    if not any(isinstance(f, RedactingFilter) for f in handler.filters):
        handler.addFilter(RedactingFilter())
