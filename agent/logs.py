"""The agent's log set-up: one handler, every record through the shared redaction filter.

``tillclub agent run`` logs to stderr (or a file, for drills and tests). Whatever logs on the
way (the agent, the POS plugins, the local status API, libraries), the root handler scrubs it
with ``loyalty.redaction`` first: no CPF, card number, phone, e-mail, token or credential is
written, even when a message quotes what a server or a POS sent.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import TextIO

from loyalty.redaction import install

FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def configure(
    level: str = "INFO", *, path: Path | None = None, stream: TextIO | None = None
) -> None:
    """Send the root logger to ``path`` (appending) or ``stream`` (default stderr), scrubbed.

    Every handler already on the root logger is scrubbed too.
    """
    root = logging.getLogger()
    root.setLevel(level.upper())
    handler: logging.Handler = (
        logging.FileHandler(path, encoding="utf-8")
        if path is not None
        else logging.StreamHandler(stream or sys.stderr)
    )
    handler.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(handler)
    for existing in root.handlers:
        install(existing)
