"""Structured JSON logs, one object per line, scrubbed of secrets and personal data.

Handlers log ids and counts, never payloads; the redaction filter (``loyalty/redaction.py``:
credentials, tokens, query strings, reset links, e-mails, CPFs, phones, card numbers) is the
second line of defence, on the ``tillclub`` handler, on the root logger's handlers and on the
web servers' own loggers (werkzeug's request lines, gunicorn's access and error logs).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from typing import Any

from flask import Flask

from loyalty.redaction import RedactingFilter, install, scrub_value
from loyalty.redaction import scrub as _scrub

# The one redaction rule (loyalty/redaction.py); re-exported for callers of server.logging.
scrub = _scrub
_scrub_value = scrub_value
_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
# Loggers of the web servers that may run the app: the request lines they write carry URLs
# (query strings, the reset link's token), so their records are scrubbed at the logger.
SERVER_LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": scrub(record.getMessage()),
        }
        for key, value in vars(record).items():
            if key not in _RESERVED and not key.startswith("_"):
                doc[key] = _scrub_value(value)
        if record.exc_info:
            doc["exc"] = scrub(self.formatException(record.exc_info))
        return json.dumps(doc, default=str, ensure_ascii=False)


def init_app(app: Flask) -> None:
    """Send the ``tillclub`` loggers to stderr as JSON lines (or plain text if disabled)."""
    logger = logging.getLogger("tillclub")
    logger.setLevel(app.config["LOG_LEVEL"])
    if not any(getattr(h, "_tillclub", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler._tillclub = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    for existing in logger.handlers:
        if getattr(existing, "_tillclub", False):
            if app.config["LOG_JSON"]:
                existing.setFormatter(JsonFormatter())
            else:
                existing.setFormatter(
                    logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s")
                )
        install(existing)
    logger.propagate = True
    for root_handler in logging.getLogger().handlers:
        install(root_handler)
    for name in SERVER_LOGGERS:
        named = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in named.filters):
            named.addFilter(RedactingFilter())
