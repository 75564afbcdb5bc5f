"""The scripted shift: what a cashier does in an afternoon, through the simulated POS."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
import serial

from loyalty.identification import is_valid_cpf, load_private_key, mint_qr
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
        self.enrolled: list[str] = []  # member ids of the shoppers who joined at the till

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

    def joins_at_payment(self) -> dict[str, Any]:
        """A shopper who is no member joins at payment ("CPF na nota? Quer entrar no clube?"),
        offline in the demo, and earns on this very sale."""
        self.pos.new_sale()
        _basket(self.chain, self.pos, [("mercearia", 2), ("laticinios", 2)])
        cpf = _new_cpf({m.cpf for m in self.chain.members})
        joined = self.pos.enrol("Cliente Novo da Silva", cpf=cpf, consent_marketing=False)
        self.enrolled.append(joined["member_id"])
        self.say(f"joined the club at the till: {joined['member_id']}, CPF {joined['cpf']}")
        return self._finish("Cliente entra no clube no caixa e já pontua")

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


def _new_cpf(taken: set[str]) -> str:
    """A valid CPF no demo member has (the first of a fixed run)."""
    for base in range(390533447, 390533447 + 1000):
        for digits in range(100):
            cpf = f"{base:09d}{digits:02d}"
            if cpf not in taken and is_valid_cpf(cpf):
                return cpf
    raise AssertionError("no free CPF in the demo's range")


def agent_status(url: str) -> dict[str, Any]:
    body: dict[str, Any] = requests.get(f"{url}/status", timeout=5).json()
    return body
