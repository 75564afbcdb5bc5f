"""The demo chain as plain data: stores, a catalogue, members and campaigns.

Deterministic (a seeded ``random.Random``), so every demo run tells the same story and the
README's receipt stays true.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from stdnum import ean

from loyalty.identification import card_number

STORES = [("loja-centro", "Supermercado Centro"), ("loja-bairro", "Supermercado Bairro")]

_CATEGORIES: dict[str, tuple[list[str], list[str], tuple[int, int]]] = {
    # category: (product kinds, brands, price range in cents)
    "mercearia": (["Arroz 5 kg", "Feijão 1 kg", "Açúcar 1 kg", "Café 500 g", "Macarrão 500 g",
                   "Óleo 900 ml", "Farinha 1 kg", "Molho de tomate"],
                  ["Tio João", "Camil", "União", "Pilão", "Renata", "Liza", "Dona Benta"],
                  (349, 2990)),
    "refrigerantes": (["Refrigerante 2 L", "Refrigerante lata", "Guaraná 2 L"],
                      ["Coca-Cola", "Guaraná Antarctica", "Fanta", "Sprite"], (299, 1099)),
    "laticinios": (["Leite 1 L", "Iogurte 170 g", "Queijo mussarela 500 g", "Manteiga 200 g"],
                   ["Vigor", "Itambé", "Piracanjuba", "Danone"], (199, 3499)),
    "hortifruti": (["Banana kg", "Tomate kg", "Batata kg", "Maçã kg", "Alface"],
                   ["Hortifruti"], (299, 999)),
    "padaria": (["Pão francês kg", "Pão de forma", "Bolo"], ["Casa", "Pullman", "Wickbold"],
                (499, 1899)),
    "limpeza": (["Detergente 500 ml", "Sabão em pó 1 kg", "Amaciante 2 L", "Água sanitária"],
                ["Ypê", "Omo", "Comfort", "Qboa"], (229, 3299)),
    "higiene": (["Sabonete", "Creme dental", "Shampoo 350 ml", "Papel higiênico 12 un"],
                ["Dove", "Colgate", "Seda", "Neve"], (249, 2899)),
    "cervejas": (["Cerveja lata 350 ml", "Cerveja long neck"], ["Skol", "Brahma", "Heineken"],
                 (329, 699)),
    "petiscos": (["Batata chips", "Amendoim"], ["Elma Chips", "Dori"], (499, 1299)),
}  # fmt: skip

FIRST_NAMES = ["Ana", "Bruno", "Carla", "Diego", "Eduarda", "Felipe", "Gabriela", "Henrique",
               "Isabela", "João", "Larissa", "Marcos", "Natália", "Otávio", "Paula", "Rafael",
               "Sofia", "Thiago", "Vanessa", "Wagner"]  # fmt: skip
LAST_NAMES = ["Silva", "Santos", "Oliveira", "Souza", "Rodrigues", "Ferreira", "Alves",
              "Pereira", "Lima", "Gomes", "Costa", "Ribeiro", "Martins", "Carvalho"]  # fmt: skip


@dataclass(frozen=True)
class DemoProduct:
    sku: str
    name: str
    category: str
    brand: str
    price: Decimal


@dataclass(frozen=True)
class DemoMember:
    member_id: str
    number: int
    name: str
    cpf: str
    card: str
    email: str


def _cpf(rng: random.Random) -> str:
    while True:
        body = "".join(str(rng.randrange(10)) for _ in range(9))
        if len(set(body)) > 1:
            break
    for _ in range(2):
        weights = range(len(body) + 1, 1, -1)
        body += str(sum(int(d) * w for d, w in zip(body, weights, strict=True)) * 10 % 11 % 10)
    return body


def catalogue(seed: int = 7, size: int = 300) -> list[DemoProduct]:
    """``size`` products with valid Brazilian (789) EAN-13 codes."""
    rng = random.Random(seed)
    products: list[DemoProduct] = []
    categories = list(_CATEGORIES)
    for i in range(size):
        category = categories[i % len(categories)]
        kinds, brands, (low, high) = _CATEGORIES[category]
        kind, brand = kinds[(i // len(categories)) % len(kinds)], rng.choice(brands)
        body = f"789{i:09d}"
        cents = rng.randrange(low, high)
        products.append(
            DemoProduct(
                sku=body + ean.calc_check_digit(body),
                name=f"{kind} {brand}",
                category=category,
                brand=brand,
                price=Decimal(cents).scaleb(-2),
            )
        )
    return products


def members(seed: int = 11, count: int = 1000) -> list[DemoMember]:
    rng = random.Random(seed)
    out = []
    for n in range(1, count + 1):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        out.append(
            DemoMember(
                member_id=f"m{n:05d}",
                number=n,
                name=f"{first} {last}",
                cpf=_cpf(rng),
                card=card_number(n),
                email=f"{first.lower()}.{last.lower()}{n}@example.com.br".replace("ã", "a")
                .replace("á", "a")
                .replace("é", "e")
                .replace("í", "i")
                .replace("ô", "o"),
            )
        )
    return out


def personal_offer(products: list[DemoProduct]) -> dict[str, Any]:
    """One member's offer (30 % off coffee): a rule of its own, in no campaign."""
    coffee = next(p for p in products if p.name.startswith("Café"))
    offer_price = f"{(coffee.price * Decimal('0.7')).quantize(Decimal('0.01')):f}"
    return {"id": "oferta-cafe", "kind": "member_price", "name": "Sua oferta",
            "sku": coffee.sku, "price": offer_price}  # fmt: skip


def campaign(products: list[DemoProduct]) -> dict[str, Any]:
    """The chain's live campaign file: every kind the demo shows at the till."""
    by_category: dict[str, list[DemoProduct]] = {}
    for p in products:
        by_category.setdefault(p.category, []).append(p)
    club = [p for p in products if p.category in ("mercearia", "laticinios", "limpeza")][:40]
    rules: list[dict[str, Any]] = [
        {
            "id": f"clube-{p.sku}", "kind": "member_price", "name": "Preço Clube", "sku": p.sku,
            "price": f"{(p.price * Decimal('0.88')).quantize(Decimal('0.01')):f}",
            "audience": {"members_only": True},
        }
        for p in club
    ]  # fmt: skip
    rules += [
        {"id": "refri-leve3pague2", "kind": "take_pay", "name": "Leve 3 Pague 2",
         "take": 3, "pay": 2, "applies_to": {"categories": ["refrigerantes"]}},
        {"id": "clube-5pct-100", "kind": "basket_percent_off",
         "name": "Clube: 5% nas compras acima de R$ 100", "percent": "5",
         "min_subtotal": "100.00", "audience": {"members_only": True}},
        {"id": "pontos-1-por-real", "kind": "points", "name": "1 ponto por real",
         "per_amount": "1.00", "points": 1, "audience": {"members_only": True},
         "exclude": {"categories": ["cervejas"]}},
        {"id": "cashback-2pct", "kind": "cashback", "name": "Cashback 2%", "percent": "2",
         "audience": {"members_only": True}},
        {"id": "sorteio-natal", "kind": "raffle", "name": "Números da sorte de Natal",
         "per_amount": "50.00", "campaign": "natal-2026", "audience": {"members_only": True}},
    ]  # fmt: skip
    return {"rules": rules}
