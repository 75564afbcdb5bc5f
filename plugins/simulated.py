"""The ``simulated`` plugin: a cashier's screen for the demo and the tests.

It behaves as a POS would: scans products from its catalogue, identifies the member by card,
phone QR or CPF (or enrols a shopper who asks to join), asks for the priced basket, applies
vouchers and point tenders, takes payment and finalises, through the same request contract as
the other transports. Its screen shows the shelf price and the club price side by side, as
Brazilian consumer rules require before the shopper is asked for a CPF.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from loyalty.l10n import format_brl
from loyalty.money import Money

from .dispatch import Dispatcher
from .interface import Answer, LoyaltyPort, PosPlugin, ScanSource, SlipSource


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    price: Decimal
    category: str = ""
    brand: str = ""


Transport = Callable[[Mapping[str, Any]], Answer]
"""Sends one request of the plugin contract and returns the answer."""

_ROUTES = {
    "identify": ("POST", "/v1/sales/{sale}/identify"),
    "enrol": ("POST", "/v1/sales/{sale}/enrol"),
    "price": ("PUT", "/v1/sales/{sale}/basket"),
    "apply_voucher": ("POST", "/v1/sales/{sale}/vouchers"),
    "apply_points": ("PUT", "/v1/sales/{sale}/tenders/points"),
    "apply_cashback": ("PUT", "/v1/sales/{sale}/tenders/cashback"),
    "finalise": ("POST", "/v1/sales/{sale}/finalise"),
    "cancel": ("DELETE", "/v1/sales/{sale}"),
    "refund": ("POST", "/v1/sales/{sale}/refunds"),
    "slip": ("GET", "/v1/sales/{sale}/slip"),
}


class HttpTransport:
    """Talks to an agent's ``http`` plugin, as a POS in another process would."""

    def __init__(self, url: str, secret: str, timeout: float = 10.0) -> None:
        import requests

        self.url = url.rstrip("/")
        self.session = requests.Session()
        self.session.headers["X-Tillclub-Secret"] = secret
        self.timeout = timeout

    def __call__(self, request: Mapping[str, Any]) -> Answer:
        method, path = _ROUTES[str(request["operation"])]
        body = {k: v for k, v in request.items() if k not in ("operation", "sale_id")}
        headers = {}
        if "operation_id" in body:
            headers["Idempotency-Key"] = str(body.pop("operation_id"))
        response = self.session.request(
            method,
            self.url + path.format(sale=request["sale_id"]),
            json=body if method in ("POST", "PUT") else None,
            headers=headers,
            timeout=self.timeout,
        )
        answer: Answer = response.json()
        return answer


class PosRefused(Exception):
    """The loyalty side refused a step; ``error`` is the answer's error object."""

    def __init__(self, error: Mapping[str, Any]) -> None:
        super().__init__(error.get("message", "refused"))
        self.error = dict(error)


class SimulatedPos:
    """One till's POS: a basket being rung up, and the calls a real POS would make."""

    _counter = itertools.count(1)

    def __init__(self, send: Transport, catalogue: Mapping[str, Product]) -> None:
        self.send = send
        self.catalogue = dict(catalogue)
        self.sale_id = ""
        self.items: dict[str, Decimal] = {}
        self.last: Answer = {}
        self.new_sale()

    def new_sale(self, sale_id: str | None = None) -> str:
        self.sale_id = sale_id or f"pos-{next(self._counter):06d}"
        self.items = {}
        self.last = {}
        return self.sale_id

    def call(self, operation: str, **args: Any) -> Answer:
        answer = self.send({"operation": operation, "sale_id": self.sale_id, **args})
        if not answer["ok"]:
            raise PosRefused(answer["error"])
        result: Answer = answer["result"]
        if "lines" in result:
            self.last = result
        return result

    def scan_product(self, sku: str, qty: Decimal | int | str = 1) -> Answer:
        if sku not in self.catalogue:
            raise PosRefused({"code": "unknown_sku", "message": f"produto {sku!r} não cadastrado"})
        self.items[sku] = self.items.get(sku, Decimal(0)) + Decimal(str(qty))
        return self.call("price", lines=self.lines())

    def lines(self) -> list[dict[str, Any]]:
        return [
            {
                "sku": sku,
                "qty": f"{qty:f}",
                "unit_price": f"{self.catalogue[sku].price:f}",
                "category": self.catalogue[sku].category,
                "brand": self.catalogue[sku].brand,
            }
            for sku, qty in self.items.items()
        ]

    def present_coupon(self, code: str) -> Answer:
        """The shopper hands over a campaign coupon: the basket is priced again with it."""
        return self.call("price", lines=self.lines(), coupon=code)

    def identify(self, code: str | None) -> Answer:
        return self.call("identify", code=code)

    def enrol(self, name: str, *, consent_terms: bool = True, **fields: Any) -> Answer:
        """Ask "quer entrar no clube?": the shopper joins with their consent and is identified
        on this sale; ``fields``: cpf, phone, email, birth_date, card_number, consent_marketing.
        A basket already rung up is sent again, so the screen shows the club prices.
        """
        joined = self.call("enrol", name=name, consent_terms=consent_terms, **fields)
        if self.items:
            self.call("price", lines=self.lines())
        return joined

    def screen(self) -> str:
        """The cashier's screen: each line at shelf and club price, discounts and why."""
        if not self.last:
            return "(cesta vazia)"
        out = [f"Venda {self.sale_id}", f"{'Produto':<22}{'Qtd':>5}{'Preço':>12}{'Clube':>12}"]
        kinds = {a["id"]: a["kind"] for a in self.last.get("applied", [])}
        for line in self.last["lines"]:
            product = self.catalogue.get(line["sku"])
            qty = self.items.get(line["sku"], Decimal(1)) or Decimal(1)
            shelf = Money(line["gross"]) / qty
            club_cut = sum(
                (
                    Money(d["amount"])
                    for d in line["discounts"]
                    if kinds.get(d["id"]) == "member_price"
                ),
                Money.zero(),
            )
            club = (Money(line["gross"]) - club_cut) / qty
            name = (product.name if product else line["sku"])[:21]
            out.append(
                f"{name:<22}{qty.normalize():>5}{format_brl(shelf.quantize()):>12}"
                f"{format_brl(club.quantize()):>12}"
            )
            for d in line["discounts"]:
                out.append(f"    {d['name'][:30]:<30} -{format_brl(Money(d['amount']))}")
        out.append(f"{'Subtotal':<39}{format_brl(Money(self.last['subtotal'])):>12}")
        out.append(f"{'Descontos':<39}{'-' + format_brl(Money(self.last['discount'])):>12}")
        out.append(f"{'Total':<39}{format_brl(Money(self.last['total'])):>12}")
        if self.last.get("points_redeemed"):
            out.append(f"{'Pontos usados':<39}{self.last['points_redeemed']:>12}")
        if "amount_due" in self.last:
            out.append(f"{'A pagar':<39}{format_brl(Money(self.last['amount_due'])):>12}")
        return "\n".join(out)


class SimulatedPlugin(PosPlugin):
    """Holds a :class:`SimulatedPos` for whoever drives it (the demo script, a test).

    Options: ``catalogue`` (a mapping of sku to :class:`Product`).
    """

    name = "simulated"

    def __init__(
        self,
        port: LoyaltyPort,
        options: Mapping[str, Any],
        slip: SlipSource | None = None,
        scans: ScanSource | None = None,
    ) -> None:
        super().__init__(port, options, slip, scans)
        dispatcher = Dispatcher(port, slip, scans)
        self.pos = SimulatedPos(dispatcher.handle, self.options.get("catalogue", {}))

    def start(self) -> None:
        """Nothing runs in the background: the driver calls ``pos`` directly."""

    def stop(self) -> None:
        """Nothing to stop."""

    def describe(self) -> str:
        return f"simulated ({len(self.pos.catalogue)} products)"
