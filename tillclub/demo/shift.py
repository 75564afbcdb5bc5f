"""The scripted shift: what a cashier does in an afternoon, through the simulated POS."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
import serial

from loyalty.identification import load_private_key, mint_qr
from plugins.simulated import Product, SimulatedPos

from .seed import DemoChain

Say = Callable[[str], None]


def _basket(chain: DemoChain, pos: SimulatedPos, picks: list[tuple[str, int]]) -> None:
    by_cat: dict[str, list[Product]] = {}
    for p in pos.catalogue.values():
        by_cat.setdefault(p.category, []).append(p)
    for category, qty in picks:
        pos.scan_product(by_cat[category][len(pos.items) % len(by_cat[category])].sku, qty)


class Shift:
    def __init__(
        self, chain: DemoChain, pos: SimulatedPos, gun: Path, qr_key: Path, say: Say
    ) -> None:
        self.chain, self.pos, self.gun, self.qr_key, self.say = chain, pos, gun, qr_key, say
        self.recorded: list[dict[str, Any]] = []

    def _finish(self, title: str) -> dict[str, Any]:
        self.say(f"--- {title} ---\n{self.pos.screen()}")
        answer = self.pos.call("finalise")
        self.recorded.append(answer)
        earned = answer.get("points_earned", 0)
        self.say(f"recorded {answer['sale_id']}: total R$ {answer['total']}, +{earned} pontos")
        for raffle, numbers in (answer.get("raffle_numbers") or {}).items():
            shown = ", ".join(n or "(enviado depois)" for n in numbers)
            self.say(f"números da sorte {raffle}: {shown}")
        return answer

    def card_scan(self) -> dict[str, Any]:
        """A member hands over the printed card; the scanner on the agent's serial port reads it."""
        member = self.chain.members[0]
        self.pos.new_sale()
        with serial.serial_for_url(str(self.gun), baudrate=9600, timeout=1) as gun:
            gun.write(member.card.encode() + b"\r")
            gun.flush()
        who = self.pos.call("identify", source="scanner")
        self.say(f"card scanned on the serial scanner: {who['member']['name']}")
        _basket(self.chain, self.pos, [("mercearia", 2), ("refrigerantes", 3), ("laticinios", 1)])
        return self._finish("Venda com cartão (leitor serial)")

    def phone_qr(self) -> dict[str, Any]:
        """The member with a personal offer shows the portal's QR on the phone."""
        member = self.chain.offer_member
        self.pos.new_sale()
        token = mint_qr(
            load_private_key(self.qr_key.read_bytes()), member.number,
            now=dt.datetime.now(dt.UTC), nonce=os.urandom(6),
        )  # fmt: skip
        who = self.pos.identify("]Q1" + token + "\r\n")
        self.say(f"phone QR: {who['member']['name']} (offer activated in the portal)")
        coffee = next(p for p in self.pos.catalogue.values() if p.name.startswith("Café"))
        self.pos.scan_product(coffee.sku, 1)
        _basket(self.chain, self.pos, [("padaria", 1)])
        return self._finish("Venda com QR do celular e oferta personalizada")

    def cpf_typed(self) -> dict[str, Any]:
        member = self.chain.members[4]
        self.pos.new_sale()
        cpf = member.cpf
        who = self.pos.identify(f"{cpf[:3]}.{cpf[3:6]}.{cpf[6:9]}-{cpf[9:]}")
        self.say(f"CPF typed by the cashier: {who['member']['name']}")
        _basket(self.chain, self.pos, [("mercearia", 4), ("limpeza", 2), ("higiene", 3)])
        return self._finish("Venda com CPF digitado (acima de R$ 100: 5% do clube)")

    def anonymous(self) -> dict[str, Any]:
        self.pos.new_sale()
        self.pos.identify(None)
        _basket(self.chain, self.pos, [("refrigerantes", 3), ("petiscos", 1)])
        return self._finish("Venda sem identificação (leve 3 pague 2 vale para todos)")

    def voucher(self) -> dict[str, Any]:
        member = self.chain.members[9]
        self.pos.new_sale()
        self.pos.identify(member.card)
        _basket(self.chain, self.pos, [("mercearia", 5), ("laticinios", 3)])
        self.pos.call("apply_voucher", code=self.chain.voucher_code)
        self.say(f"voucher {self.chain.voucher_code} applied")
        return self._finish("Venda com vale-compras")

    def points(self) -> dict[str, Any]:
        member = self.chain.points_member
        self.pos.new_sale()
        who = self.pos.identify(member.card)
        self.say(f"{who['member']['name']} has {who['balance']['points']} points")
        _basket(self.chain, self.pos, [("mercearia", 3), ("higiene", 2)])
        self.pos.call("apply_points", points=1000)
        self.say("1.000 points used as payment (R$ 10,00)")
        return self._finish("Venda com resgate de pontos")

    def refund(self, answer: dict[str, Any]) -> dict[str, Any]:
        sale = self.pos.sale_id
        self.pos.sale_id = answer["pos_sale_id"]
        try:
            result = self.pos.call(
                "refund", refund_id=f"dev-{answer['pos_sale_id']}", amount="10.00",
                reason="produto devolvido",
            )  # fmt: skip
        finally:
            self.pos.sale_id = sale
        self.say(f"partial refund of {answer['sale_id']}: R$ 10,00, rewards reversed pro rata")
        return result


def agent_status(url: str) -> dict[str, Any]:
    body: dict[str, Any] = requests.get(f"{url}/status", timeout=5).json()
    return body
