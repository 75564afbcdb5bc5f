"""Loopback ports for tests."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A port nothing listens on (connections to it are refused) until a test binds it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port
