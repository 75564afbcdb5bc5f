"""The printer connection, chosen by name from config: ``network``, ``serial``, ``usb``, ``file``.

Each name maps to python-escpos's own transport (``Network``, ``Serial``, ``Usb``, ``File``);
tillclub adds no transport of its own. A job is sent whole: open, (optionally) ask the printer
for its paper status, write the bytes rendered by ``escpos_render``, close. Any failure is a
``PrinterError`` and the caller keeps the job queued.

Config keys (``printer.connector``)::

    network: host (required), port = 9100, timeout = 10
    serial:  devfile (required), baudrate = 9600, bytesize = 8, parity = "N", stopbits = 1,
             timeout = 1, dsrdtr = true, xonxoff = false
    usb:     idVendor, idProduct (required; ints or "0x04b8"), in_ep, out_ep, timeout
             (needs pyusb; on Linux a USB printer is also the file /dev/usb/lp0)
    file:    devfile (required)
    all:     check_paper = false (ask DLE EOT 4 before printing; a printer that answers
             "no paper" keeps the job queued)
"""

from __future__ import annotations

import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import serial
from escpos.escpos import Escpos
from escpos.exceptions import DeviceNotFoundError
from escpos.exceptions import Error as EscposError
from escpos.printer import File, Network, Serial, Usb

from .errors import PrintConfigError, PrinterError
from .profiles import PrinterProfile


class ClosingNetwork(Network):  # type: ignore[misc]
    """escpos's ``Network`` whose ``open`` closes the socket when the connect fails.

    python-escpos 3.1 drops the socket of a refused connect without closing it: one leaked
    descriptor (and a ``ResourceWarning``) per retry while a printer is off.
    """

    def open(self, raise_not_found: bool = True) -> None:
        if self._device:
            self.close()
        try:
            # create_connection closes its socket itself when the connect fails
            self.device = socket.create_connection((self.host, self.port), self.timeout)
        except OSError as exc:
            raise DeviceNotFoundError(f"Could not open socket for {self.host}: {exc}") from exc


CONNECTORS: dict[str, type[Escpos]] = {
    "network": ClosingNetwork,
    "serial": Serial,
    "usb": Usb,
    "file": File,
}
_REQUIRED = {
    "network": {"host"},
    "serial": {"devfile"},
    "usb": {"idVendor", "idProduct"},
    "file": {"devfile"},
}
_OPTIONAL: dict[str, dict[str, Any]] = {
    "network": {"port": 9100, "timeout": 10},
    "serial": {
        "baudrate": 9600,
        "bytesize": 8,
        "parity": "N",
        "stopbits": 1,
        "timeout": 1,
        "dsrdtr": True,
        "xonxoff": False,
    },
    "usb": {"in_ep": 0x82, "out_ep": 0x01, "timeout": 0},
    "file": {},
}


@dataclass(frozen=True)
class ConnectorConfig:
    """A validated ``printer.connector`` table."""

    type: str
    options: Mapping[str, Any] = field(default_factory=dict)
    check_paper: bool = False

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> ConnectorConfig:
        """:raises PrintConfigError: naming the unknown type, missing key or unknown key."""
        values = dict(data)
        kind = str(values.pop("type", "")).lower()
        if kind not in CONNECTORS:
            raise PrintConfigError(
                f"printer.connector.type must be one of {', '.join(CONNECTORS)}; got {kind!r}",
                f"printer.connector.type deve ser {', '.join(CONNECTORS)}; recebido {kind!r}",
            )
        check_paper = bool(values.pop("check_paper", False))
        missing = sorted(_REQUIRED[kind] - set(values))
        unknown = sorted(set(values) - _REQUIRED[kind] - set(_OPTIONAL[kind]))
        if missing or unknown:
            what = "missing " + ", ".join(missing) if missing else "unknown " + ", ".join(unknown)
            que = (
                "faltando " + ", ".join(missing)
                if missing
                else "desconhecido " + ", ".join(unknown)
            )
            raise PrintConfigError(
                f"printer.connector ({kind}): {what}", f"printer.connector ({kind}): {que}"
            )
        if kind == "usb":
            if not Usb.is_usable():
                raise PrintConfigError(
                    'USB printing needs pyusb (pip install pyusb), or use type = "file" '
                    'with devfile = "/dev/usb/lp0"',
                    'impressão USB precisa do pyusb (pip install pyusb), ou use type = "file" '
                    'com devfile = "/dev/usb/lp0"',
                )
            for key in ("idVendor", "idProduct"):
                values[key] = _int(values[key], key)
        return cls(kind, {**_OPTIONAL[kind], **values}, check_paper)

    def describe(self) -> str:
        """Where the printer is, for logs and the agent status."""
        if self.type == "network":
            return f"network {self.options['host']}:{self.options['port']}"
        if self.type == "usb":
            return f"usb {self.options['idVendor']:04x}:{self.options['idProduct']:04x}"
        return f"{self.type} {self.options['devfile']}"


def _int(value: Any, key: str) -> int:
    try:
        return value if isinstance(value, int) else int(str(value), 0)
    except ValueError:
        raise PrintConfigError(
            f"printer.connector.{key} must be a number; got {value!r}",
            f"printer.connector.{key} deve ser número; recebido {value!r}",
        ) from None


def connect(config: ConnectorConfig, profile: PrinterProfile) -> Escpos:
    """The escpos printer object for ``config`` (not opened yet)."""
    return CONNECTORS[config.type](**config.options, profile=profile.escpos_profile())


def send(config: ConnectorConfig, profile: PrinterProfile, payload: bytes) -> None:
    """Send one whole job.

    :raises PrinterError: the printer is unreachable, refused, out of paper, or failed mid-job.
    """
    printer = connect(config, profile)
    where = config.describe()
    try:
        printer.open()
        if config.check_paper and printer.paper_status() == 0:
            raise PrinterError(f"printer {where} is out of paper")
        # Escpos has no public "write these bytes": _raw is how the library sends a job
        # built on a Dummy (see the escpos Dummy docs).
        printer._raw(payload)
    except PrinterError:
        raise
    except (EscposError, OSError, serial.SerialException) as exc:
        raise PrinterError(f"printer {where} failed: {exc}") from exc
    finally:
        try:
            printer.close()
        except (EscposError, OSError, serial.SerialException):
            pass
