"""The sync client on real sockets: status headers on every call, a hard whole-request deadline.

GIVEN a tiny HTTP server on loopback that records what it receives
WHEN the client pulls, or the server trickles its answer one byte at a time
THEN each request carries the agent's version, queue depth and last error; a trickle is given
up at the deadline (a per-read timeout alone would wait for ever).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from agent.sync import SyncClient, SyncFailed

BODY = b'{"changes": [], "next_cursor": 0, "has_more": false}'


@pytest.fixture
def server() -> Iterator[tuple[int, list[bytes], dict[str, str]]]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    seen: list[bytes] = []
    mode = {"mode": "ok"}

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    data += conn.recv(4096)
                seen.append(data)
                head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                reply = head + str(len(BODY)).encode() + b"\r\nConnection: close\r\n\r\n" + BODY
                if mode["mode"] == "429":
                    reply = (
                        b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 7\r\n"
                        b"Content-Length: 2\r\nConnection: close\r\n\r\n{}"
                    )
                try:
                    if mode["mode"] == "trickle":
                        for i in range(len(reply)):
                            conn.sendall(reply[i : i + 1])
                            time.sleep(0.1)
                    else:
                        conn.sendall(reply)
                except OSError:
                    pass

    threading.Thread(target=serve, daemon=True).start()
    yield listener.getsockname()[1], seen, mode
    listener.close()


def test_every_request_carries_the_agent_status(
    server: tuple[int, list[bytes], dict[str, str]],
) -> None:
    port, seen, _ = server
    status = {"X-Tillclub-Queue-Depth": "42", "X-Tillclub-Last-Error": "GET /x: ConnectTimeout"}
    client = SyncClient(f"http://127.0.0.1:{port}", "tc1.T1.secret", 2, lambda: status)
    assert client.changes(0, 10)["has_more"] is False
    client.close()
    request = seen[0].decode().lower()
    assert "x-tillclub-queue-depth: 42" in request
    assert "x-tillclub-last-error: get /x: connecttimeout" in request
    assert "authorization: bearer tc1.t1.secret" in request


def test_a_trickling_answer_is_given_up_at_the_deadline(
    server: tuple[int, list[bytes], dict[str, str]],
) -> None:
    port, _, mode = server
    mode["mode"] = "trickle"
    client = SyncClient(f"http://127.0.0.1:{port}", "tc1.T1.secret", 1.0)
    started = time.monotonic()
    with pytest.raises(SyncFailed):
        client.changes(0, 10)
    assert time.monotonic() - started < 4  # headers trickle too; the body check stops it
    client.close()


def test_a_refused_connection_is_a_retryable_failure() -> None:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    client = SyncClient(f"http://127.0.0.1:{port}", "tc1.T1.secret", 1.0)
    with pytest.raises(SyncFailed) as err:
        client.changes(0, 10)
    assert err.value.retryable
    client.close()


def test_rate_limited_answers_carry_the_servers_retry_after(
    server: tuple[int, list[bytes], dict[str, str]],
) -> None:
    port, _, mode = server
    mode["mode"] = "429"
    client = SyncClient(f"http://127.0.0.1:{port}", "tc1.T1.secret", 2)
    with pytest.raises(SyncFailed) as err:
        client.push(["{}"])
    assert err.value.retry_after == 7
    assert err.value.retryable
    client.close()
