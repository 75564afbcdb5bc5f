"""Pins the public types of the loyalty core and the plugin API: mypy --strict checks it.

Not a test to run: if a public signature changes type, `mypy` (part of the test command) fails
here, the way Flask's and SQLAlchemy's typing tests do.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from loyalty.allocation import allocate
from loyalty.identification import Identification, IdentificationConfig, identify
from loyalty.l10n import format_brl, parse_money
from loyalty.money import Money
from loyalty.pricing import PricingResult, RuleSet, compile_rules, parse_basket, price
from loyalty.rewards import Balances, Currency, LedgerEntry, balance
from plugins import LoyaltyPort, PosPlugin, load_plugin


def money_types() -> None:
    total: Money = parse_money("R$ 1,00") + Money(Decimal("2.50"))
    parts: list[Money] = allocate(total, [1, 2])
    text: str = format_brl(parts[0])
    cents: int = total.cents
    del text, cents


def identification_types() -> Identification:
    return identify("TC42", IdentificationConfig(), datetime.now(UTC))


def pricing_types(doc: dict[str, object]) -> PricingResult:
    rules: RuleSet = compile_rules(doc)
    basket = parse_basket({"lines": [{"sku": "1", "qty": "1", "unit_price": "1.00"}]})
    return price(rules, basket, None, "loja-01", datetime.now(UTC))


def ledger_types(entries: list[LedgerEntry]) -> Balances:
    return balance(entries, Currency.POINTS, datetime.now(UTC))


def plugin_types(port: LoyaltyPort) -> PosPlugin:
    cls: type[PosPlugin] = load_plugin("http")
    return cls(port, {"secret": "0123456789abcdef"})


def import_types(app: object) -> None:
    """The importer's public interface (``server.services.imports``), used by the CLI and UI."""
    from flask import Flask

    from server.security import CpfCipher
    from server.services import imports
    from server.services.uow import SqlUnitOfWork

    assert isinstance(app, Flask)
    options: imports.ImportOptions = imports.options_for_app(app, on_duplicate="merge")
    cipher: CpfCipher = app.extensions["tillclub.cpf"]
    uow = SqlUnitOfWork.for_app(app)
    dry: imports.ImportReport = imports.plan(uow, cipher, imports.Kind.MEMBERS, "m.csv", options)
    seen: list[imports.Progress] = []
    done: imports.ImportReport = imports.run(uow, cipher, "sales", "s.csv", options, seen.append)
    first: imports.Rejection = done.rejected[0]
    reason: str = first.text("pt-BR")
    written: int = imports.write_errors(dry, "erros.csv", "en")
    blob: bytes = imports.errors_csv_bytes(done)
    counts: dict[str, int] = done.counts()
    del reason, written, blob, counts
