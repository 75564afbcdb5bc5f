"""The simulated POS shows shelf and club prices side by side."""

from __future__ import annotations

from decimal import Decimal

import pytest

from plugins.simulated import PosRefused, Product, SimulatedPlugin

from .conftest import FakePort

CATALOGUE = {
    "club": Product("club", "Café 500 g", Decimal("15.90")),
    "milk": Product("milk", "Leite 1 L", Decimal("4.99")),
}


def test_screen_shows_shelf_and_club_price(port: FakePort) -> None:
    pos = SimulatedPlugin(port, {"catalogue": CATALOGUE}).pos
    pos.scan_product("club", 2)
    pos.scan_product("milk")
    screen = pos.screen()
    coffee = next(line for line in screen.splitlines() if line.startswith("Café"))
    assert "R$ 15,90" in coffee
    assert "R$ 14,90" in coffee
    milk = next(line for line in screen.splitlines() if line.startswith("Leite"))
    assert milk.count("R$ 4,99") == 2
    assert "Preço Clube" in screen
    assert screen.splitlines()[-1].endswith("R$ 34,79")


def test_unknown_product_is_refused_before_the_port(port: FakePort) -> None:
    pos = SimulatedPlugin(port, {"catalogue": CATALOGUE}).pos
    with pytest.raises(PosRefused, match="não cadastrado"):
        pos.scan_product("ghost")
    assert port.calls == []


def test_a_presented_coupon_reprices_the_basket_with_it(port: FakePort) -> None:
    pos = SimulatedPlugin(port, {"catalogue": CATALOGUE}).pos
    pos.scan_product("milk")
    pos.present_coupon("ACUCAR20")
    last = port.calls[-1]
    assert last[0] == "price"
    assert last[1][2] == ("ACUCAR20",)
