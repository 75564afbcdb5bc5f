"""The HTTP client of the sync API: auth, a hard per-request deadline, and typed failures.

``requests``' own timeout bounds each socket read, not the request: a server that trickles a
byte every few seconds would hold the worker for ever. Every call here has a watchdog that
shuts the client's sockets down when the whole request (headers included) passes ``timeout``
seconds; the body is also read with at most one ``recv`` per step and checked against it.
The agent's version, queue depth, the age of its oldest unsent event and its last error ride
on every request as ``X-Tillclub-*`` headers; the server shows them per terminal on the
store page (``server/admin/agent_reports.py``, docs/sync-protocol.md).
"""

from __future__ import annotations

import json
import socket
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests
import urllib3

from .. import clock as agent_clock

AGENT_VERSION = "0.1.0"
# The till's clock rides on every request; the server compares it with its own (Sync issues).
CLOCK_HEADER = "X-Tillclub-Clock"


class SyncFailed(Exception):
    """A sync request failed; ``retryable`` is false only for answers retrying cannot fix."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        retryable: bool = True,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.retryable = retryable
        self.retry_after = retry_after


class CursorAhead(SyncFailed):
    """The server's data is older than our cache (restored database): take a new snapshot."""


class EpochChanged(SyncFailed):
    """The server started a new epoch (restored or failed over): ``epoch`` is the new one.
    Nothing of the request was applied; push the held events again, then re-snapshot."""

    def __init__(self, message: str, epoch: str, detail: Mapping[str, Any]) -> None:
        super().__init__(message, status=409)
        self.epoch = epoch
        self.detail = dict(detail)


def _tracked_adapter(live: weakref.WeakSet[Any]) -> requests.adapters.HTTPAdapter:
    """An adapter whose connections are remembered in ``live``, so a watchdog can cut them."""

    def pool_class(base: type[Any]) -> type[Any]:
        def _new_conn(self: Any) -> Any:
            conn = base._new_conn(self)
            live.add(conn)
            return conn

        return type(f"Tracked{base.__name__}", (base,), {"_new_conn": _new_conn})

    class Adapter(requests.adapters.HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = {
                "http": pool_class(urllib3.HTTPConnectionPool),
                "https": pool_class(urllib3.HTTPSConnectionPool),
            }

    return Adapter()


class SyncClient:
    def __init__(
        self,
        base_url: str,
        credential: str,
        timeout: float,
        status_headers: Callable[[], Mapping[str, str]] = dict,
        clock: Callable[[], datetime] = agent_clock.SYSTEM,
    ) -> None:
        self.base = base_url.rstrip("/")
        self.clock = clock
        # The till's clock minus the server's (seconds), from the last answer's Date header.
        self.clock_skew: float | None = None
        self.timeout = timeout
        self.status_headers = status_headers
        self._retry_after: float | None = None
        # The epoch this till last saw and the change number its cache holds: sent on every
        # request (the worker keeps them); the server's epoch, read off every answer.
        self.epoch: str | None = None
        self.cursor: int | None = None
        self.server_epoch: str | None = None
        self.http = requests.Session()
        self._live: weakref.WeakSet[Any] = weakref.WeakSet()
        adapter = _tracked_adapter(self._live)
        self.http.mount("http://", adapter)
        self.http.mount("https://", adapter)
        self.http.headers["Authorization"] = f"Bearer {credential}"
        self.http.headers["User-Agent"] = f"tillclub-agent/{AGENT_VERSION}"

    def close(self) -> None:
        self.http.close()

    def _cut(self) -> None:
        """The watchdog: wake any blocked read of this client by shutting its sockets."""
        for conn in list(self._live):
            sock = getattr(conn, "sock", None)
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def _call(self, method: str, path: str, **kw: Any) -> Any:
        watchdog = threading.Timer(self.timeout, self._cut)
        watchdog.daemon = True
        watchdog.start()
        try:
            return self._call_within(method, path, **kw)
        finally:
            watchdog.cancel()

    def _call_within(self, method: str, path: str, **kw: Any) -> Any:
        deadline = time.monotonic() + self.timeout
        headers = self._headers() | dict(kw.pop("headers", None) or {})
        sent_at = self.clock()
        headers[CLOCK_HEADER] = sent_at.isoformat()
        try:
            with self.http.request(
                method, self.base + path, headers=headers, timeout=self.timeout, stream=True, **kw
            ) as r:
                body = bytearray()
                while True:
                    # read1: at most one recv, so a trickling link meets the deadline check
                    chunk = r.raw.read1(65536, decode_content=True)
                    if not chunk:
                        break
                    body += chunk
                    if time.monotonic() > deadline:
                        raise SyncFailed(f"{method} {path}: no complete answer in {self.timeout}s")
                if time.monotonic() > deadline:
                    raise SyncFailed(f"{method} {path}: no complete answer in {self.timeout}s")
                status = r.status_code
                self._retry_after = _seconds(r.headers.get("Retry-After"))
                self._measure(r.headers.get("Date"), sent_at)
                self.server_epoch = r.headers.get("X-Tillclub-Epoch") or self.server_epoch
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            if time.monotonic() > deadline:
                raise SyncFailed(
                    f"{method} {path}: no complete answer in {self.timeout}s"
                ) from None
            raise SyncFailed(f"{method} {path}: {type(exc).__name__}") from None
        return status, bytes(body)

    def _measure(self, date: str | None, sent_at: datetime) -> None:
        """How far the till's clock is from the server's, from the answer's ``Date``.

        ``Date`` has whole seconds and names a moment between sending and receiving: the
        till's reading is the midpoint of the two, so the error is at most half the round
        trip plus a second (far inside any threshold worth warning about).
        """
        try:
            server = parsedate_to_datetime(date) if date else None
        except (TypeError, ValueError):
            server = None
        if server is None or server.tzinfo is None:
            return
        mine = sent_at + (self.clock() - sent_at) / 2
        self.clock_skew = round((mine - server.astimezone(UTC)).total_seconds(), 1)

    def _headers(self) -> dict[str, str]:
        headers = dict(self.status_headers())
        if self.epoch:
            headers["X-Tillclub-Epoch"] = self.epoch
        if self.cursor:
            headers["X-Tillclub-Cursor"] = str(self.cursor)
        return headers

    def _json(self, method: str, path: str, **kw: Any) -> Any:
        status, body = self._call(method, path, **kw)
        if status == 409:
            changed = _epoch_changed(body)
            if changed is not None:
                raise EpochChanged(
                    f"{method} {path}: the server started a new epoch (restored or failed over)",
                    str(changed["epoch"]),
                    changed,
                )
            raise CursorAhead(f"{method} {path}: server says our cursor is ahead", status=409)
        if status in (401, 403):
            raise SyncFailed(
                f"{method} {path}: credential refused ({status}): terminal revoked or not "
                "registered",
                status=status,
                retryable=False,
            )
        if status == 429:
            raise SyncFailed(
                f"{method} {path}: rate limited (429)", status=429, retry_after=self._retry_after
            )
        if status != 200:
            raise SyncFailed(f"{method} {path}: HTTP {status}", status=status)
        try:
            return json.loads(body)
        except ValueError:
            raise SyncFailed(f"{method} {path}: answer is not JSON", status=status) from None

    def push(self, payloads: list[str], *, repush: bool = False) -> dict[str, Any]:
        """POST a batch of events (their stored JSON, not parsed again).

        :param repush: events the server acknowledged before a new epoch, sent again.
        """
        body = '{"events":[' + ",".join(payloads) + "]}"
        headers = {"Content-Type": "application/json"}
        if repush:
            headers["X-Tillclub-Repush"] = "1"
        answer = self._json("POST", "/api/v1/events", data=body.encode("utf-8"), headers=headers)
        if not isinstance(answer, dict) or not isinstance(answer.get("applied"), list):
            raise SyncFailed("POST /api/v1/events: answer lacks 'applied'")
        return answer

    def snapshot(self, timeout: float) -> Iterator[dict[str, Any]]:
        """The snapshot's JSON lines (header, records, ``end``), streamed, within ``timeout``.

        :raises SyncFailed: on any failure; the caller must also check the ``end`` line.
        """
        watchdog = threading.Timer(timeout, self._cut)
        watchdog.daemon = True
        watchdog.start()
        try:
            with self.http.get(
                self.base + "/api/v1/snapshot",
                headers=self._headers(),
                timeout=self.timeout,
                stream=True,
            ) as r:
                self.server_epoch = r.headers.get("X-Tillclub-Epoch") or self.server_epoch
                if r.status_code == 409:
                    changed = _epoch_changed(r.content)
                    if changed is not None:
                        raise EpochChanged(
                            "GET /api/v1/snapshot: the server started a new epoch",
                            str(changed["epoch"]),
                            changed,
                        )
                if r.status_code != 200:
                    raise SyncFailed(
                        f"GET /api/v1/snapshot: HTTP {r.status_code}", status=r.status_code
                    )
                for line in r.iter_lines(chunk_size=65536):
                    if line:
                        yield json.loads(line)
        except EpochChanged:
            raise
        except (
            requests.RequestException,
            urllib3.exceptions.HTTPError,
            OSError,
            ValueError,
        ) as exc:
            raise SyncFailed(f"GET /api/v1/snapshot: {type(exc).__name__}") from None
        finally:
            watchdog.cancel()

    def changes(self, cursor: int, limit: int) -> dict[str, Any]:
        answer = self._json("GET", "/api/v1/changes", params={"cursor": cursor, "limit": limit})
        if not isinstance(answer, dict) or not isinstance(answer.get("changes"), list):
            raise SyncFailed("GET /api/v1/changes: answer lacks 'changes'")
        return answer


def _epoch_changed(body: bytes) -> dict[str, Any] | None:
    """The details of a ``409 epoch_changed`` answer, or ``None`` for any other 409."""
    try:
        doc = json.loads(body)
    except ValueError:
        return None
    if not isinstance(doc, dict) or doc.get("code") != "epoch_changed":
        return None
    details = doc.get("details")
    if not isinstance(details, dict) or not isinstance(details.get("epoch"), str):
        return None
    return details


REGISTER_PATH = "/api/v1/terminals/register"
OLD_REGISTER_PATH = "/api/v1/terminals/enrol"  # servers before the rename (deprecated there)


def _seconds(value: str | None) -> float | None:
    try:
        return min(3600.0, max(0.0, float(value))) if value else None
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff


def register(base_url: str, code: str, timeout: float = 30) -> dict[str, Any]:
    """Exchange a one-time registration code for this terminal's credential.

    A server older than the rename knows only ``/terminals/enrol`` (404 on the new path): the
    code is sent there instead.

    :raises SyncFailed: unreachable server or a refused code (the message says which).
    """
    base = base_url.rstrip("/")
    try:
        r = requests.post(base + REGISTER_PATH, json={"code": code}, timeout=timeout)
        if r.status_code == 404:
            r = requests.post(base + OLD_REGISTER_PATH, json={"code": code}, timeout=timeout)
    except requests.RequestException as exc:
        raise SyncFailed(f"cannot reach {base_url}: {type(exc).__name__}") from None
    if r.status_code != 201:
        try:
            message = r.json().get("message", r.text[:200])
        except ValueError:
            message = r.text[:200]
        raise SyncFailed(f"registration refused (HTTP {r.status_code}): {message}", retryable=False)
    body: dict[str, Any] = r.json()
    return body
