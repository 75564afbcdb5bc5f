"""The errors of the printing adapter.

``PrinterError`` is an ``OSError`` (a printer off, out of paper or unreachable: the job stays
queued and is retried). ``PrintConfigError`` and ``TemplateError`` are ``LoyaltyError``s
(``ValueError``s) with English and pt-BR messages naming the bad key or value: retrying them
would not help, so jobs are refused when they are made, never half-printed.
"""

from __future__ import annotations

from loyalty.errors import LoyaltyError


class PrinterError(OSError):
    """The printer could not take the job now (off, no paper, unreachable); retry later."""


class PrintConfigError(LoyaltyError):
    """A printer, profile or connector setting that is missing or wrong."""

    code = "printer_config"


class TemplateError(LoyaltyError):
    """A template that is missing or broken, or data that lacks what the template needs."""

    code = "template"


class UnknownSaleError(LoyaltyError):
    """A reprint asked for a sale that has no print jobs in this agent's journal."""

    code = "unknown_sale"
