"""A WSGI app served for real on a loopback port, in a thread of the test process."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any


@dataclass
class Served:
    url: str
    http: Any
    thread: threading.Thread

    def stop(self) -> None:
        self.http.shutdown()
        self.http.server_close()
        self.thread.join(5)


def start_serving(app: Any, port: int = 0) -> Served:
    """Serve ``app`` on 127.0.0.1 (threaded); the caller stops it with ``Served.stop``."""
    from werkzeug.serving import make_server

    http = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    return Served(f"http://127.0.0.1:{http.server_port}", http, thread)


@contextmanager
def serving(app: Any, port: int = 0) -> Iterator[str]:
    """``with serving(app) as base_url:`` — the app on loopback for the block."""
    served = start_serving(app, port)
    try:
        yield served.url
    finally:
        served.stop()
