"""The errors of the scanner adapters: a device that fails, and configuration that is wrong.

``DeviceError`` is an ``OSError`` (a device failing is what it means, as pyserial's
``SerialException``); a wrong configuration is a ``LoyaltyError`` (a ``ValueError``) whose
message names the bad key and value in English and pt-BR.
"""

from __future__ import annotations

from loyalty.errors import LoyaltyError


class DeviceError(OSError):
    """A scanner or printer that cannot be opened, read or written."""


class ScannerConfigError(LoyaltyError):
    """A scanner setting that is missing or wrong; the message names the key and the value."""

    code = "scanner_config"


class WedgeTimingError(LoyaltyError):
    """Key timings from the POS plugin that do not match the typed text."""

    code = "wedge_timings"
