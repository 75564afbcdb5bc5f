"""A small fault-injecting TCP proxy for link-fault tests (real sockets on loopback).

Modes, switchable at any time: ``pass`` (forward both ways), ``refuse`` (close the listener:
connection refused), ``blackhole`` (accept, read, never answer), ``trickle`` (forward, but the
answer crawls back a few bytes at a time), ``error500`` (answer every request ``500`` without
forwarding), ``reset`` (forward the request, pass the first bytes of the answer, then reset).
"""

from __future__ import annotations

import socket
import struct
import threading
import time


class FaultProxy:
    def __init__(self, target_port: int) -> None:
        self.target = ("127.0.0.1", target_port)
        self.mode = "pass"
        self._listener: socket.socket | None = None
        self.port = 0
        self._stop = threading.Event()
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._listen()

    def _listen(self) -> None:
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", self.port))
        s.listen(64)
        self.port = s.getsockname()[1]
        self._listener = s
        threading.Thread(target=self._accept, args=(s,), daemon=True).start()

    def set_mode(self, mode: str) -> None:
        if mode == "refuse" and self._listener is not None:
            self._listener.close()
            self._listener = None
        elif mode != "refuse" and self._listener is None:
            self._listen()
        self.mode = mode
        if mode != "pass":
            self._drop_all()

    def _drop_all(self) -> None:
        with self._lock:
            for s in self._sockets:
                try:
                    s.close()
                except OSError:
                    pass
            self._sockets.clear()

    def close(self) -> None:
        self._stop.set()
        if self._listener is not None:
            self._listener.close()
        self._drop_all()

    def _track(self, s: socket.socket) -> socket.socket:
        with self._lock:
            self._sockets.append(s)
        return s

    def _accept(self, listener: socket.socket) -> None:
        while not self._stop.is_set():
            try:
                client, _ = listener.accept()
            except OSError:
                return
            self._track(client)
            threading.Thread(target=self._serve, args=(client, self.mode), daemon=True).start()

    def _serve(self, client: socket.socket, mode: str) -> None:
        try:
            if mode == "blackhole":
                while client.recv(65536):
                    pass
                return
            if mode == "error500":
                client.recv(65536)
                body = b'{"code":"internal","message":"storm"}'
                client.sendall(
                    b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: "
                    b"application/json\r\nConnection: close\r\nContent-Length: "
                    + str(len(body)).encode()
                    + b"\r\n\r\n"
                    + body
                )
                return
            upstream = self._track(socket.create_connection(self.target))
            threading.Thread(
                target=self._pipe, args=(client, upstream, "pass"), daemon=True
            ).start()
            self._pipe(upstream, client, mode)
        except OSError:
            pass
        finally:
            client.close()

    def _pipe(self, src: socket.socket, dst: socket.socket, mode: str) -> None:
        sent = 0
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if mode == "trickle":
                    for i in range(0, len(data), 16):
                        dst.sendall(data[i : i + 16])
                        time.sleep(0.2)
                elif mode == "reset":
                    keep = max(0, 40 - sent)
                    dst.sendall(data[:keep])
                    dst.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    dst.close()
                    return
                else:
                    dst.sendall(data)
                sent += len(data)
        except OSError:
            pass
        finally:
            try:
                dst.shutdown(socket.SHUT_WR)
            except OSError:
                pass
