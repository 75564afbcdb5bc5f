"""The till compares its clock with the server's at every sync, warns in ``agent status`` past
``server.clock_skew_warning_seconds``, and a phone QR refused as expired at a till whose clock
is ahead says to check the till's clock (defect: the clock was never compared, and the cashier
was told to have a good card refreshed)."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import threading
from collections.abc import Iterator
from email.utils import format_datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from agent.cache import connect_cache
from agent.cache.card_hash import CardHasher
from agent.config import load_config
from agent.journal import connect_journal
from agent.sale.lookup import find_member
from agent.sale.state import SaleSettings
from agent.status import build_status, format_status
from agent.sync.client import SyncClient
from agent.sync.clock_check import read_skew, store_skew
from loyalty.identification import IdentificationConfig, IdentificationError, mint_qr
from loyalty.identification.errors import Reason
from loyalty.money import Money
from loyalty.rewards import CashbackConfig, PointsConfig
from tests.agent.sale.world import fake_credential, write_config

SERVER_BEHIND = dt.timedelta(hours=1)  # the server's clock reads an hour before the till's


class _Server(http.server.BaseHTTPRequestHandler):
    seen: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        _Server.seen.append(self.headers.get("X-Tillclub-Clock", ""))
        body = json.dumps({"changes": [], "next_cursor": 0, "has_more": False}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def date_time_string(self, timestamp: float | None = None) -> str:
        return format_datetime(dt.datetime.now(dt.UTC) - SERVER_BEHIND, usegmt=True)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    http_server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Server)
    thread = threading.Thread(target=http_server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{http_server.server_port}"
    finally:
        http_server.shutdown()
        http_server.server_close()


CARD_KEY = CardHasher(b"k" * 32)


def test_the_client_measures_the_till_clock_against_the_servers_date(server: str) -> None:
    client = SyncClient(server, "tc1.T1.x", timeout=5)
    try:
        client.changes(0, 10)
    finally:
        client.close()
    assert client.clock_skew is not None
    assert abs(client.clock_skew - SERVER_BEHIND.total_seconds()) < 3
    sent = dt.datetime.fromisoformat(_Server.seen[-1])  # the till's clock rode along
    assert abs((sent - dt.datetime.now(dt.UTC)).total_seconds()) < 5


def test_status_warns_past_the_threshold_running_or_not(tmp_path: Path) -> None:
    fake_credential(tmp_path)
    config = load_config(
        write_config(
            tmp_path,
            server=f'url = "http://127.0.0.1:9"\ncredential_file = "{tmp_path / "credential.json"}"'
            "\nclock_skew_warning_seconds = 300\n",
        )
    )
    cache, _ = connect_cache(config.storage.cache_path, CARD_KEY)
    journal = connect_journal(config.storage.journal_path)
    try:
        store_skew(cache, 120.0)
        quiet = build_status(config, journal, cache)
        assert quiet["clock"]["skew_seconds"] == 120.0
        assert not any("clock" in w for w in quiet["warnings"])
        store_skew(cache, -3 * 3600.0)
        loud = build_status(config, journal, cache)
        (warning,) = [w for w in loud["warnings"] if "clock" in w]
        assert "3.0 h behind the server's" in warning
        assert "check the till's date, time and time zone" in warning
        assert "clock: 3.0 h behind the server's" in format_status(loud)
    finally:
        cache.close()
        journal.close()


def _settings(key: Ed25519PrivateKey) -> SaleSettings:
    return SaleSettings(
        store_id="LOJA-01",
        terminal_id="T1",
        timezone="America/Sao_Paulo",
        identification=IdentificationConfig(public_key=key.public_key()),
        cpf_secret=None,
        points=PointsConfig(100, Money("1.00")),
        cashback=CashbackConfig(),
        max_redeem_per_sale=Money("50.00"),
        max_redeem_per_member_day=Money("100.00"),
    )


@pytest.mark.parametrize(
    ("skew_seconds", "reason"),
    [
        (None, Reason.QR_EXPIRED),  # never measured: the code did expire, as far as it knows
        (30.0, Reason.QR_EXPIRED),  # measured within the QR tolerance (90 s)
        (3600.0, Reason.QR_TILL_CLOCK_AHEAD),  # measured an hour ahead: the clock, not the code
    ],
)
def test_a_qr_refused_at_a_till_clock_ahead_says_to_check_the_clock(
    tmp_path: Path, skew_seconds: float | None, reason: Reason
) -> None:
    from agent.cache import CacheLookups

    key = Ed25519PrivateKey.generate()
    server_now = dt.datetime.now(dt.UTC)
    qr = mint_qr(key, 77, now=server_now, nonce=b"\x01" * 6)  # fresh, valid 5 minutes
    till_now = server_now + dt.timedelta(hours=1)  # the till's clock is an hour ahead
    cache, _ = connect_cache(tmp_path / "cache.sqlite3", CARD_KEY)
    try:
        if skew_seconds is not None:
            store_skew(cache, skew_seconds)
        assert (read_skew(cache) or (None,))[0] == skew_seconds
        with pytest.raises(IdentificationError) as refused:
            find_member(qr, _settings(key), CacheLookups(cache), till_now)
    finally:
        cache.close()
    assert refused.value.reason is reason
    if reason is Reason.QR_TILL_CLOCK_AHEAD:
        assert "check the till's clock" in refused.value.message_en
        assert "refresh" not in refused.value.message_en
        assert "confira o relógio do caixa" in refused.value.message_pt
