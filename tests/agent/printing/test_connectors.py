"""Connectors chosen by name from config: network, serial, usb, file."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import serial

from agent.printing.connectors import ClosingNetwork, ConnectorConfig, connect, send
from agent.printing.document import Document, Text
from agent.printing.errors import PrintConfigError, PrinterError
from agent.printing.escpos_render import render
from agent.printing.profiles import profile_for

from .conftest import PrinterServer, free_port

PAYLOAD = render(Document((Text("Promoção"),)), profile_for(58))


@pytest.mark.parametrize(
    ("config", "named"),
    [
        ({"type": "bluetooth"}, "network, serial, usb, file.*'bluetooth'"),
        ({"type": "network"}, "missing host"),
        ({"type": "network", "host": "p", "ip": "1.2.3.4"}, "unknown ip"),
        ({"type": "file"}, "missing devfile"),
        ({"type": "serial", "devfile": "/dev/ttyS0", "speed": 1}, "unknown speed"),
    ],
)
def test_bad_connector_config_names_the_problem(config: dict[str, object], named: str) -> None:
    with pytest.raises(PrintConfigError, match=named):
        ConnectorConfig.from_mapping(config)


def test_defaults_and_names() -> None:
    net = ConnectorConfig.from_mapping({"type": "Network", "host": "192.168.0.50"})
    assert net.options == {"host": "192.168.0.50", "port": 9100, "timeout": 10}
    assert net.describe() == "network 192.168.0.50:9100"
    assert isinstance(connect(net, profile_for(80)), ClosingNetwork)
    ser = ConnectorConfig.from_mapping({"type": "serial", "devfile": "/dev/ttyS0"})
    assert ser.options["baudrate"] == 9600


def test_usb_without_pyusb_points_to_the_file_connector() -> None:
    with pytest.raises(PrintConfigError, match="pyusb.*/dev/usb/lp0"):
        ConnectorConfig.from_mapping({"type": "usb", "idVendor": "0x04b8", "idProduct": 0x0E15})


def test_file_connector_writes_the_job(tmp_path: Path) -> None:
    """GIVEN a file connector (a /dev/usb/lp0 device node, here a plain file)
    WHEN a job is sent
    THEN the file holds exactly the payload"""
    target = tmp_path / "lp0"
    send(
        ConnectorConfig.from_mapping({"type": "file", "devfile": str(target)}),
        profile_for(58),
        PAYLOAD,
    )
    assert target.read_bytes() == PAYLOAD


def test_missing_file_device_is_a_printer_error(tmp_path: Path) -> None:
    config = ConnectorConfig.from_mapping({"type": "file", "devfile": str(tmp_path / "no/lp0")})
    with pytest.raises(PrinterError, match="no/lp0"):
        send(config, profile_for(58), PAYLOAD)


def test_refused_network_printer_is_a_printer_error_and_leaks_nothing() -> None:
    """GIVEN no printer listening
    WHEN a job is sent
    THEN a PrinterError names host and port (pytest fails on the ResourceWarning of a leak)"""
    port = free_port()
    config = ConnectorConfig.from_mapping({"type": "network", "host": "127.0.0.1", "port": port})
    with pytest.raises(PrinterError, match=f"127.0.0.1:{port}"):
        send(config, profile_for(80), PAYLOAD)


def test_network_send_delivers_the_whole_payload() -> None:
    server = PrinterServer()
    try:
        config = ConnectorConfig.from_mapping(
            {"type": "network", "host": "127.0.0.1", "port": server.port}
        )
        big = PAYLOAD * 2000  # larger than one socket buffer
        send(config, profile_for(80), big)
        assert server.wait_jobs(1) == [big]
    finally:
        server.close()


@pytest.mark.socat
def test_serial_printer_on_a_socat_pair(tmp_path: Path) -> None:
    """GIVEN a serial printer (one end of a socat pty pair)
    WHEN a job is sent through escpos's Serial
    THEN the other end receives the payload"""
    a, b = tmp_path / "printer", tmp_path / "wire"
    proc = subprocess.Popen(
        [
            shutil.which("socat") or "/usr/bin/socat",
            "-d",
            "-d",
            f"pty,raw,echo=0,link={a}",
            f"pty,raw,echo=0,link={b}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 5
        while not (os.path.exists(a) and os.path.exists(b)):
            assert time.monotonic() < deadline, "socat did not start"
            time.sleep(0.01)
        wire = serial.serial_for_url(str(b), timeout=2)
        try:
            config = ConnectorConfig.from_mapping(
                {"type": "serial", "devfile": str(a), "baudrate": 19200, "dsrdtr": False}
            )
            send(config, profile_for(58), PAYLOAD)
            assert wire.read(len(PAYLOAD)) == PAYLOAD
        finally:
            wire.close()
    finally:
        proc.terminate()
        proc.wait(5)
