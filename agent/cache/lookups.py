"""Lookups the till makes in the cache: members by card, keyed CPF hash or id; vouchers; ledger;
products by SKU.

Each lookup is one indexed query (primary key or a covering index), so it stays well under a
millisecond with a million members cached. The cache connection is used by one thread (the
sale flow); the sync worker writes through its own.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import orjson

from loyalty.money import Money
from loyalty.rewards import LedgerEntry, Voucher


@dataclass(frozen=True)
class CachedMember:
    member_id: str
    name: str
    active: bool
    card_status: str | None = None  # when found by card: "active", "blocked", "replaced", ...
    segments: tuple[str, ...] = ()  # "rfm:<segment>", "value:<class>" from head office
    tier: str | None = None  # the tier head office's review gave, for audience.tiers


@dataclass(frozen=True)
class CachedOffer:
    offer_id: str
    activated: bool
    data: dict[str, Any]


@dataclass(frozen=True)
class CachedProduct:
    sku: str
    name: str
    category: str
    brand: str
    active: bool


def _member(
    member_id: str,
    name: str,
    active: int,
    card_status: str | None,
    segments: str,
    tier: str | None,
) -> CachedMember:
    return CachedMember(
        member_id,
        name,
        bool(active),
        card_status,
        tuple(x for x in segments.split(",") if x),
        tier or None,
    )


class CacheLookups:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def member_by_card(self, number: str) -> CachedMember | None:
        row = self.conn.execute(
            "SELECT m.id, m.name, m.active, c.status, m.segments, m.tier FROM cards c "
            "JOIN members m ON m.id = c.member_id WHERE c.number = ?",
            (number,),
        ).fetchone()
        return None if row is None else _member(*row)

    def member_by_cpf_hash(self, cpf_hash: str) -> CachedMember | None:
        row = self.conn.execute(
            "SELECT id, name, active, NULL, segments, tier FROM members WHERE cpf_hash = ?",
            (cpf_hash,),
        ).fetchone()
        return None if row is None else _member(*row)

    def member_by_id(self, member_id: str) -> CachedMember | None:
        row = self.conn.execute(
            "SELECT id, name, active, NULL, segments, tier FROM members WHERE id = ?",
            (member_id,),
        ).fetchone()
        return None if row is None else _member(*row)

    def card_of(self, member_id: str) -> str | None:
        row = self.conn.execute(
            "SELECT number FROM cards WHERE member_id = ? AND status = 'active' LIMIT 1",
            (member_id,),
        ).fetchone()
        return None if row is None else str(row[0])

    def entries_for_member(self, member_id: str) -> list[LedgerEntry]:
        rows = self.conn.execute("SELECT data FROM ledger WHERE member_id = ?", (member_id,))
        return [LedgerEntry.from_dict(orjson.loads(r[0])) for r in rows]

    def offers_for_member(self, member_id: str) -> list[CachedOffer]:
        out = []
        for (raw,) in self.conn.execute(
            "SELECT data FROM offers WHERE member_id = ?", (member_id,)
        ):
            data = orjson.loads(raw)
            if data.get("active", True):
                out.append(CachedOffer(data["id"], data.get("activated_at") is not None, data))
        return out

    def voucher_by_code(self, code: str) -> tuple[Voucher, list[str]] | None:
        """The voucher with ``code`` (canonical form) and the sale ids the server accepted."""
        row = self.conn.execute("SELECT data FROM vouchers WHERE code = ?", (code,)).fetchone()
        if row is None:
            return None
        d = orjson.loads(row[0])
        voucher = Voucher(
            voucher_id=d["voucher_id"],
            code=d["code"],
            name=d.get("name") or d["voucher_id"],
            percent=None if d.get("percent") is None else Decimal(d["percent"]),
            amount=None if d.get("amount") is None else Money(d["amount"]),
            min_subtotal=Money(d.get("min_subtotal") or "0.00"),
            valid_from=datetime.fromisoformat(d["valid_from"]),
            valid_until=datetime.fromisoformat(d["valid_until"]),
            max_uses=d.get("max_uses"),
            stores=None if d.get("stores") is None else frozenset(d["stores"]),
            member_id=d.get("member_id"),
            campaign_id=d.get("campaign_id"),
            void=bool(d.get("void")),
        )
        return voucher, list(d.get("accepted_sale_ids") or [])

    def product_by_sku(self, sku: str) -> CachedProduct | None:
        row = self.conn.execute("SELECT data FROM products WHERE sku = ?", (sku,)).fetchone()
        if row is None:
            return None
        d = orjson.loads(row[0])
        return CachedProduct(
            sku=sku,
            name=d.get("name") or sku,
            category=d.get("category") or "",
            brand=d.get("brand") or "",
            active=bool(d.get("active", True)),
        )

    def has_catalogue(self) -> bool:
        """Whether the chain syncs its catalogue (any product cached, active or not)."""
        return self.conn.execute("SELECT 1 FROM products LIMIT 1").fetchone() is not None

    def campaigns(self) -> list[dict[str, Any]]:
        return [orjson.loads(r[0]) for r in self.conn.execute("SELECT data FROM campaigns")]

    def store_timezone(self, store_id: str | None) -> str | None:
        """The store's own time zone (master data, the ``store`` record the server sent);
        ``None``: not pulled yet, or not set at head office."""
        if store_id is None:
            return None
        row = self.conn.execute("SELECT data FROM stores WHERE id = ?", (store_id,)).fetchone()
        if row is None:
            return None
        zone = orjson.loads(row[0]).get("timezone")
        return str(zone) if zone else None

    def counts(self) -> dict[str, int]:
        tables = ("members", "cards", "campaigns", "offers", "vouchers", "ledger", "products")
        return {
            t: int(self.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]) for t in tables
        }
