"""Serial scanner adapter on pyserial's ``loop://`` and on a real socat pty pair."""

from __future__ import annotations

import queue
import time
from typing import Any

import pytest
import serial

from agent.devices.errors import ScannerConfigError
from agent.devices.framing import Suffix
from agent.devices.reads import Accepted, Rejected, ScanResult
from agent.devices.serial_scanner import ScannerConfig, SerialScanner
from loyalty.identification import IdentificationConfig, card_number

from .conftest import SocatPair, wait_for

IDENT = IdentificationConfig()


def next_result(scanner: SerialScanner, timeout: float = 5.0) -> ScanResult:
    return scanner.results.get(timeout=timeout)


def assert_no_more(scanner: SerialScanner, wait: float = 0.3) -> None:
    with pytest.raises(queue.Empty):
        scanner.results.get(timeout=wait)


class LoopPort:
    """Open ``loop://`` through pyserial and keep the port so the test can write into it."""

    def __init__(self) -> None:
        self.port: Any = None

    def __call__(self, url: str, **kwargs: Any) -> Any:
        self.port = serial.serial_for_url(url, **kwargs)
        return self.port


@pytest.mark.parametrize("suffix", [Suffix.CR, Suffix.LF, Suffix.CRLF])
def test_loop_url_delivers_each_code_once(suffix: Suffix) -> None:
    """GIVEN a scanner on loop:// with a suffix
    WHEN two codes and some garbage arrive in one burst
    THEN each complete read comes out once, identified or rejected"""
    opener = LoopPort()
    scanner = SerialScanner(ScannerConfig("loop://", suffix=suffix), IDENT, open_port=opener)
    scanner.start()
    try:
        wait_for(lambda: scanner.status().connected)
        end = suffix.terminator or b""
        opener.port.write(card_number(7).encode() + end + b"TC42" + end + b"%%%" + end)
        first, second, third = (next_result(scanner) for _ in range(3))
        assert isinstance(first, Accepted)
        assert first.identification.member_number == 7
        assert isinstance(second, Accepted)
        assert second.identification.member_number == 42
        assert isinstance(third, Rejected)
        assert third.reason == "garbage"
        assert_no_more(scanner)
        assert scanner.status().accepted == 2
        assert scanner.status().rejected == 1
    finally:
        scanner.stop()


def test_loop_url_without_suffix_ends_codes_by_silence() -> None:
    """GIVEN a scanner that sends no suffix
    WHEN a code arrives and the line goes quiet
    THEN the pause ends the read"""
    opener = LoopPort()
    config = ScannerConfig("loop://", suffix=Suffix.NONE, inter_char_timeout=0.05)
    scanner = SerialScanner(config, IDENT, open_port=opener)
    scanner.start()
    try:
        wait_for(lambda: scanner.status().connected)
        opener.port.write(b"TC4242")
        result = next_result(scanner)
        assert isinstance(result, Accepted)
        assert result.identification.member_number == 4242  # type: ignore[union-attr]
    finally:
        scanner.stop()


def test_cut_off_read_is_rejected_as_partial_on_loop() -> None:
    """GIVEN a CR scanner
    WHEN a code stops before its CR
    THEN the read is rejected as partial, and the next full code still works"""
    opener = LoopPort()
    scanner = SerialScanner(
        ScannerConfig("loop://", inter_char_timeout=0.05), IDENT, open_port=opener
    )
    scanner.start()
    try:
        wait_for(lambda: scanner.status().connected)
        opener.port.write(b"TC123")
        partial = next_result(scanner)
        assert isinstance(partial, Rejected)
        assert partial.reason == "partial"
        opener.port.write(b"TC12345\r")
        full = next_result(scanner)
        assert isinstance(full, Accepted)
        assert full.identification.member_number == 12345
    finally:
        scanner.stop()


@pytest.mark.socat
def test_socat_pair_reads_codes_noise_and_garbage(socat_pair: SocatPair) -> None:
    """GIVEN a scanner on one end of a real pty pair (9600 8N1, CRLF)
    WHEN a card, line noise and a product barcode are sent from the other end
    THEN the card is identified and the others are rejected with their reasons"""
    results: list[ScanResult] = []
    config = ScannerConfig(socat_pair.a, baudrate=9600, suffix=Suffix.CRLF)
    scanner = SerialScanner(config, IDENT, on_result=results.append)
    scanner.start()
    try:
        wait_for(lambda: scanner.status().connected)
        socat_pair.write(card_number(99).encode() + b"\r\n")
        socat_pair.write(b"\x91\xfe\x00\xa7\r\n")
        socat_pair.write(b"7891000100103\r\n")
        wait_for(lambda: len(results) == 3)
        assert isinstance(results[0], Accepted)
        assert results[0].identification.member_number == 99  # type: ignore[union-attr]
        assert [r.reason for r in results[1:]] == ["line_noise", "not_member_code"]  # type: ignore[union-attr]
    finally:
        scanner.stop()


@pytest.mark.socat
def test_unplug_and_replug_reconnects_without_blocking(socat_pair: SocatPair) -> None:
    """GIVEN a scanner reading a socat pair
    WHEN socat is killed mid-code (cable pulled) and started again (plugged back)
    THEN the half code is rejected as partial, the status shows the loss, the thread
    reconnects by itself and the next scan is identified"""
    results: queue.Queue[ScanResult] = queue.Queue()
    config = ScannerConfig(socat_pair.a, suffix=Suffix.CR, reconnect_max=0.1)
    scanner = SerialScanner(config, IDENT, on_result=results.put)
    scanner.start()
    try:
        wait_for(lambda: scanner.status().connected)
        socat_pair.write(b"TC4242")  # the cable goes before the CR
        time.sleep(0.05)
        socat_pair.kill()
        partial = results.get(timeout=5)
        assert isinstance(partial, Rejected)
        assert partial.reason == "partial"
        wait_for(lambda: not scanner.status().connected)
        assert scanner.status().last_error
        socat_pair.start()
        wait_for(lambda: scanner.status().connected)
        assert scanner.status().reconnects == 1
        socat_pair.write(b"TC4242\r")
        full = results.get(timeout=5)
        assert isinstance(full, Accepted)
        assert full.identification.member_number == 4242
    finally:
        scanner.stop()


def test_start_returns_at_once_when_the_port_is_missing(tmp_path: Any) -> None:
    """GIVEN a scanner whose port does not exist (scanner not plugged in at boot)
    WHEN the agent starts it
    THEN start() returns at once and the status says why it is not connected"""
    scanner = SerialScanner(ScannerConfig(str(tmp_path / "ttyUSB9")), IDENT)
    began = time.monotonic()
    scanner.start()
    assert time.monotonic() - began < 0.1
    try:
        wait_for(lambda: "cannot open" in scanner.status().last_error)
        assert not scanner.status().connected
    finally:
        scanner.stop()


def test_a_failing_callback_does_not_kill_the_scanner() -> None:
    """GIVEN a callback that raises on the first read
    WHEN two codes arrive
    THEN the second one is still delivered"""
    opener = LoopPort()
    got: list[ScanResult] = []

    def flaky(result: ScanResult) -> None:
        if not got:
            got.append(result)
            raise RuntimeError("boom")
        got.append(result)

    scanner = SerialScanner(ScannerConfig("loop://"), IDENT, on_result=flaky, open_port=opener)
    scanner.start()
    try:
        wait_for(lambda: scanner.status().connected)
        opener.port.write(b"TC1\rTC2\r")
        wait_for(lambda: len(got) == 2)
    finally:
        scanner.stop()


def test_config_names_bad_values() -> None:
    with pytest.raises(ScannerConfigError, match="scanner.baudrate.*'fast'"):
        ScannerConfig("loop://", baudrate="fast")  # type: ignore[arg-type]
    with pytest.raises(ScannerConfigError, match="parity"):
        ScannerConfig.from_mapping({"url": "loop://", "parity": "X"})
    with pytest.raises(ScannerConfigError, match="unknown scanner setting.*speed"):
        ScannerConfig.from_mapping({"url": "loop://", "speed": 9600})
    cfg = ScannerConfig.from_mapping({"url": "/dev/ttyUSB0", "parity": "even", "suffix": "CRLF"})
    assert (cfg.parity, cfg.suffix) == ("E", Suffix.CRLF)
    example = ScannerConfig.from_mapping(
        {"url": "/dev/ttyACM0", "baudrate": 9600, "parity": "N", "suffix": "CR", "idle_ms": 50}
    )
    assert example.inter_char_timeout == 0.05
    with pytest.raises(ScannerConfigError, match="idle_ms"):
        ScannerConfig.from_mapping({"url": "loop://", "idle_ms": "fast"})


class Transport:
    """One scanner suite, two wires: pyserial's loop:// and a real socat pty pair."""

    def __init__(self, kind: str, tmp_path: Any) -> None:
        self.kind = kind
        self.opener = LoopPort()
        self.pair: SocatPair | None = None
        if kind == "socat":
            self.pair = SocatPair(tmp_path)
            self.pair.start()

    def scanner(self, **config: Any) -> SerialScanner:
        if self.pair is not None:
            return SerialScanner(ScannerConfig(self.pair.a, **config), IDENT)
        return SerialScanner(ScannerConfig("loop://", **config), IDENT, open_port=self.opener)

    def write(self, data: bytes) -> None:
        if self.pair is not None:
            self.pair.write(data)
        else:
            self.opener.port.write(data)

    def close(self) -> None:
        if self.pair is not None:
            self.pair.kill()


@pytest.fixture(params=["loop", pytest.param("socat", marks=pytest.mark.socat)])
def transport(request: pytest.FixtureRequest, tmp_path: Any) -> Any:
    wire = Transport(request.param, tmp_path)
    yield wire
    wire.close()


def test_same_reads_on_every_wire(transport: Transport) -> None:
    """GIVEN a CR scanner on loop:// or on a socat pair
    WHEN a card arrives in two chunks, then a cut-off code, then line noise, then garbage
    THEN each read gets the same answer on both wires"""
    scanner = transport.scanner(inter_char_timeout=0.05)
    scanner.start()
    try:
        wait_for(lambda: scanner.status().connected)
        code = card_number(321).encode()
        transport.write(code[:5])
        transport.write(code[5:] + b"\r")
        first = next_result(scanner)
        assert isinstance(first, Accepted)
        assert first.identification.member_number == 321  # type: ignore[union-attr]
        transport.write(b"TC99")
        time.sleep(0.2)
        transport.write(b"\xff\xfe\r" + b"TC:QR\r")
        reasons = [next_result(scanner) for _ in range(3)]
        assert [r.reason for r in reasons] == ["partial", "line_noise", "garbage"]  # type: ignore[union-attr]
        assert_no_more(scanner)
    finally:
        scanner.stop()
