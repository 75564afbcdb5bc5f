"""Structured JSON logs, one object per line, scrubbed of CPFs, card numbers and credentials.

Handlers log ids and counts, never payloads; the scrubbing filter is the second line of
defence: any run of 11-19 digits (CPF, EAN-13 card, PAN-like), a punctuated CPF, a terminal
credential or a Bearer token in a message or extra field is masked before it is written.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import sys
from typing import Any

from flask import Flask

_SCRUB = [
    (re.compile(r"tc1\.[\w-]+\.[\w-]+"), "tc1.[credential]"),
    (re.compile(r"(?i)bearer\s+\S+"), "Bearer [credential]"),
    (re.compile(r"\d{3}\.\d{3}\.\d{3}-\d{2}"), "[cpf]"),
    (re.compile(r"(?<![\w.])\d{11,19}(?![\w.])"), "[number]"),
]
_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def scrub(text: str) -> str:
    for pattern, replacement in _SCRUB:
        text = pattern.sub(replacement, text)
    return text


def _scrub_value(value: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {k: _scrub_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub_value(v) for v in value]
    return value


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
    logger.propagate = True
