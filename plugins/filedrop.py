"""The ``filedrop`` plugin: the POS and the agent exchange JSON files in a folder.

Many Brazilian POS systems integrate this way. Layout under the configured ``folder``:

- ``requests/``  the POS writes ``<request_id>.json`` (write ``<request_id>.tmp`` first, then
  rename it: a rename is atomic, so the agent never reads half a request);
- ``responses/`` the agent answers with ``<request_id>.json``, written the same way;
- ``processed/`` requests already answered, kept for the day's audit with the shopper's data
  redacted (a CPF, card, phone, e-mail, name or birth date the POS wrote is not kept in
  clear: the copy is rewritten, the POS's file removed);
- ``failed/``    requests that could not be read (not JSON, a bad name), with an answer in
  ``responses/`` saying why.

One response per request: a request whose response already exists (the POS re-dropped it
after a crash) is not executed again. A ``.json`` that is not valid JSON is given
``stale_seconds`` to be completed (some POSes write in place), then answered as malformed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from loyalty.redaction import scrub_value

from .dispatch import Dispatcher, error_answer
from .interface import LoyaltyPort, PosPlugin, ScanSource, SlipSource

log = logging.getLogger("tillclub.plugins.filedrop")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
MAX_REQUEST_BYTES = 256 * 1024


def write_atomically(path: Path, payload: Mapping[str, Any]) -> None:
    """Write JSON to ``path`` through a temporary file, fsync and rename."""
    tmp = path.with_suffix(".tmp")
    data = json.dumps(payload, ensure_ascii=False, indent=1).encode("utf-8")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class FiledropPlugin(PosPlugin):
    """Polls ``requests/`` and answers each file once.

    Options: ``folder`` (required), ``poll_ms`` (default 50), ``stale_seconds`` (default 5).
    """

    name = "filedrop"

    def __init__(
        self,
        port: LoyaltyPort,
        options: Mapping[str, Any],
        slip: SlipSource | None = None,
        scans: ScanSource | None = None,
    ) -> None:
        super().__init__(port, options, slip, scans)
        if "folder" not in self.options:
            raise ValueError("the filedrop plugin needs options.folder")
        self.folder = Path(self.options["folder"])
        self.poll = float(self.options.get("poll_ms", 50)) / 1000
        self.stale = float(self.options.get("stale_seconds", 5))
        self.dispatcher = Dispatcher(port, slip, scans)
        self.dirs = {n: self.folder / n for n in ("requests", "responses", "processed", "failed")}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        for d in self.dirs.values():
            d.mkdir(parents=True, exist_ok=True)
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="pos-filedrop", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def describe(self) -> str:
        return f"filedrop {self.folder}"

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.scan_once()
            except Exception:  # a bad file must never stop the till's integration
                log.exception("filedrop scan failed")
            self._stop.wait(self.poll)

    def scan_once(self, now: float | None = None) -> int:
        """Answer every complete request waiting; returns how many were handled."""
        handled = 0
        for path in sorted(self.dirs["requests"].glob("*.json"), key=_mtime):
            if self._handle(path, time.time() if now is None else now):
                handled += 1
        return handled

    def _handle(self, path: Path, now: float) -> bool:
        request_id = path.stem
        if not _REQUEST_ID.match(request_id):
            digest = hashlib.sha256(path.name.encode()).hexdigest()[:16]
            self._fail(path, f"invalid-name-{digest}", f"invalid request file name {path.name!r}")
            return True
        response = self.dirs["responses"] / f"{request_id}.json"
        if response.exists():  # answered before a crash or re-dropped by the POS: once only
            try:
                again = json.loads(path.read_bytes().decode("utf-8"))
            except FileNotFoundError:
                return False
            except (ValueError, UnicodeDecodeError):
                again = {"request": "[unreadable]"}
            self._keep(path, again)
            return True
        try:
            raw = path.read_bytes()
            if len(raw) > MAX_REQUEST_BYTES:
                raise ValueError(f"request larger than {MAX_REQUEST_BYTES} bytes")
            request = json.loads(raw.decode("utf-8"))
        except FileNotFoundError:
            return False
        except (ValueError, UnicodeDecodeError) as exc:
            if now - _mtime(path) < self.stale:
                return False  # maybe still being written: look again on the next scan
            self._fail(path, request_id, f"not a JSON request: {exc}")
            return True
        if not isinstance(request, dict):
            self._fail(path, request_id, "a request must be a JSON object")
            return True
        request.setdefault("operation_id", request_id)
        answer = self.dispatcher.handle(request) | {"request_id": request_id}
        write_atomically(response, answer)
        self._keep(path, request)
        return True

    def _keep(self, path: Path, request: object) -> None:
        """Move an answered request to ``processed/`` with the shopper's data redacted."""
        kept = redacted(request) if isinstance(request, dict) else {"request": "[not an object]"}
        target = self.dirs["processed"] / path.name
        # Written beside its place first, the request removed, then renamed in: a request seen
        # in processed/ is gone from requests/ (the POS and its tests may rely on the order).
        staged = target.with_name(f"{target.name}.keep")
        write_atomically(staged, kept)
        path.unlink(missing_ok=True)
        os.replace(staged, target)

    def _fail(self, path: Path, request_id: str, why: str) -> None:
        answer = error_answer(
            "malformed_request",
            f"Arquivo de requisição inválido: {why}",
            f"Bad request file: {why}",
        ) | {"request_id": request_id}
        write_atomically(self.dirs["responses"] / f"{request_id}.json", answer)
        os.replace(path, self.dirs["failed"] / path.name)
        log.warning("filedrop request refused", extra={"file": path.name, "why": why})


# A shopper's data an enrolment or identification carries (plugins/dispatch.py).
PERSONAL = frozenset({"code", "cpf", "card_number", "phone", "email", "name", "birth_date"})


def redacted(request: Mapping[str, Any]) -> dict[str, Any]:
    """``request`` as ``processed/`` keeps it: personal fields replaced, the rest scrubbed by
    the one redaction rule (``loyalty.redaction``)."""
    return {
        k: ("[redacted]" if k in PERSONAL and v is not None else scrub_value(v))
        for k, v in request.items()
    }


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return 0.0
