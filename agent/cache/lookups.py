"""Lookups the till makes in the cache: members by card, keyed CPF hash or id; vouchers; ledger;
products by SKU.

Each lookup is one indexed query (primary key or a covering index), so it stays well under a
millisecond with a million members cached. The cache connection is used by one thread (the
sale flow); the sync worker writes through its own.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import orjson

from loyalty.money import Money
from loyalty.rewards import LedgerEntry, Voucher

from .card_hash import CardHasher
from .integrity import CacheDamaged, CacheHealth, verify


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


_MEMBER = "id, cpf_hash, name, active, segments, tier, crc"  # as written (the crc covers them)
_BY_CARD = (
    "SELECT c.hash, c.member_id, c.status, c.replaced_by, c.crc, "
    + ", ".join("m." + c.strip() for c in _MEMBER.split(","))
    + " FROM cards c LEFT JOIN members m ON m.id = c.member_id WHERE c.hash = ?"
)


class CacheLookups:
    """The sale flow's reads; each row is checked (:mod:`agent.cache.integrity`).

    A row that fails its check marks ``health`` damaged and raises
    :class:`~agent.cache.integrity.CacheDamaged` (``loyalty_unavailable``): the sale goes on
    without loyalty while the sync worker rebuilds the cache. While it is damaged, a member
    not found is answered the same way (the cache being refilled may not hold them yet).
    """

    def __init__(self, conn: sqlite3.Connection, health: CacheHealth | None = None) -> None:
        self.conn = conn
        self.health = health or CacheHealth()

    def _damaged(self, where: str, exc: BaseException | None = None) -> CacheDamaged:
        why = f"a {where} row failed its check"
        if exc is not None and not isinstance(exc, CacheDamaged):
            why += f" ({type(exc).__name__})"
        self.health.mark(why)
        return CacheDamaged(where)

    def _one(self, where: str, sql: str, args: tuple[Any, ...]) -> Sequence[Any] | None:
        try:
            row = self.conn.execute(sql, args).fetchone()
            return None if row is None else verify(row, where)
        except (CacheDamaged, sqlite3.DatabaseError) as exc:
            raise self._damaged(where, exc) from None

    def _all(self, where: str, sql: str, args: tuple[Any, ...] = ()) -> list[Sequence[Any]]:
        try:
            return [verify(row, where) for row in self.conn.execute(sql, args)]
        except (CacheDamaged, sqlite3.DatabaseError) as exc:
            raise self._damaged(where, exc) from None

    def _json(self, where: str, raw: Any) -> Any:
        try:
            return orjson.loads(raw)
        except (orjson.JSONDecodeError, TypeError) as exc:
            raise self._damaged(where, exc) from None

    def _member(
        self, row: Sequence[Any] | None, card_status: str | None = None
    ) -> CachedMember | None:
        if row is None:
            if self.health.damaged:
                raise CacheDamaged("members")
            return None
        try:
            return _member(row[0], row[2], row[3], card_status, row[4], row[5])
        except (TypeError, ValueError, AttributeError) as exc:
            raise self._damaged("members", exc) from None

    def member_by_card(self, number: str) -> CachedMember | None:
        """The member of a scanned card (its check digit already passed): the number is
        hashed with the cache's card key and the index probed; the number is not kept."""
        card_hash: CardHasher | None = getattr(self.conn, "card_hash", None)
        if card_hash is None:
            raise ValueError("this cache connection has no card key (connect_cache)")
        # One query, both rows checked: the card's columns and crc, then the member's.
        try:
            row = self.conn.execute(_BY_CARD, (card_hash(number),)).fetchone()
            if row is None:
                return self._member(None)
            card = verify(row[:5], "cards")
            if row[5] is None:  # a card whose member is not cached
                return self._member(None)
            member = verify(row[5:], "members")
        except (CacheDamaged, sqlite3.DatabaseError) as exc:
            raise self._damaged("cards", exc) from None
        return self._member(member, card[2])

    def member_by_cpf_hash(self, cpf_hash: str) -> CachedMember | None:
        return self._member(
            self._one("members", f"SELECT {_MEMBER} FROM members WHERE cpf_hash = ?", (cpf_hash,))
        )

    def member_by_id(self, member_id: str) -> CachedMember | None:
        return self._member(
            self._one("members", f"SELECT {_MEMBER} FROM members WHERE id = ?", (member_id,))
        )

    def entries_for_member(self, member_id: str) -> list[LedgerEntry]:
        rows = self._all(
            "ledger",
            "SELECT entry_id, member_id, data, crc FROM ledger WHERE member_id = ?",
            (member_id,),
        )
        try:
            return [LedgerEntry.from_dict(self._json("ledger", r[2])) for r in rows]
        except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
            raise self._damaged("ledger", exc) from None

    def offers_for_member(self, member_id: str) -> list[CachedOffer]:
        out = []
        rows = self._all(
            "offers",
            "SELECT id, member_id, data, crc FROM offers WHERE member_id = ?",
            (member_id,),
        )
        try:
            for row in rows:
                data = self._json("offers", row[2])
                if data.get("active", True):
                    out.append(CachedOffer(data["id"], data.get("activated_at") is not None, data))
        except (KeyError, TypeError, AttributeError) as exc:
            raise self._damaged("offers", exc) from None
        return out

    def voucher_by_code(self, code: str) -> tuple[Voucher, list[str]] | None:
        """The voucher with ``code`` (canonical form) and the sale ids the server accepted."""
        row = self._one(
            "vouchers",
            "SELECT voucher_id, code, data, crc FROM vouchers WHERE code = ?",
            (code,),
        )
        if row is None:
            return None
        d = self._json("vouchers", row[2])
        try:
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
        except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
            raise self._damaged("vouchers", exc) from None
        return voucher, list(d.get("accepted_sale_ids") or [])

    def product_by_sku(self, sku: str) -> CachedProduct | None:
        row = self._one(
            "products", "SELECT sku, active, data, crc FROM products WHERE sku = ?", (sku,)
        )
        if row is None:
            return None
        d = self._json("products", row[2])
        try:
            return CachedProduct(
                sku=sku,
                name=d.get("name") or sku,
                category=d.get("category") or "",
                brand=d.get("brand") or "",
                active=bool(d.get("active", True)),
            )
        except (TypeError, AttributeError) as exc:
            raise self._damaged("products", exc) from None

    def has_catalogue(self) -> bool:
        """Whether the chain syncs its catalogue (any product cached, active or not); not
        while the cache is damaged (baskets are priced as the POS sends them)."""
        if self.health.damaged:
            return False
        try:
            return self.conn.execute("SELECT 1 FROM products LIMIT 1").fetchone() is not None
        except sqlite3.DatabaseError as exc:
            raise self._damaged("products", exc) from None

    def campaigns(self) -> list[dict[str, Any]]:
        rows = self._all("campaigns", "SELECT id, data, crc FROM campaigns")
        return [self._json("campaigns", r[1]) for r in rows]

    def store_timezone(self, store_id: str | None) -> str | None:
        """The store's own time zone (master data, the ``store`` record the server sent);
        ``None``: not pulled yet, or not set at head office."""
        if store_id is None:
            return None
        row = self._one("stores", "SELECT id, data, crc FROM stores WHERE id = ?", (store_id,))
        if row is None:
            return None
        data = self._json("stores", row[1])
        zone = data.get("timezone") if isinstance(data, dict) else None
        return str(zone) if zone else None

    def verify_all(self, chunk: int = 2000, pause: float = 0.0) -> int:
        """Check every row of every table (the sync worker, once after start-up, so a damaged
        row nobody has read yet is found too); how many rows. Reads ``chunk`` rows at a time
        and sleeps ``pause`` between chunks, so a till's sales are not held up.

        :raises CacheDamaged: at the first row that fails (``health`` marked).
        """
        from .db import CHECKED_TABLES
        from .writer import COLUMNS, PLAIN

        seen = 0
        for table in CHECKED_TABLES:
            columns = COLUMNS.get(table, PLAIN)
            key = columns[0]
            last: Any = None
            while True:
                where = "" if last is None else f" WHERE {key} > ?"
                sql = f"SELECT {', '.join(columns)}, crc FROM {table}{where} ORDER BY {key} LIMIT ?"
                args: tuple[Any, ...] = (chunk,) if last is None else (last, chunk)
                rows = self._all(table, sql, args)
                for row in rows:
                    if "data" in columns:
                        self._json(table, row[columns.index("data")])
                seen += len(rows)
                if len(rows) < chunk:
                    break
                last = rows[-1][0]
                time.sleep(pause)
        return seen

    def counts(self) -> dict[str, int]:
        tables = ("members", "cards", "campaigns", "offers", "vouchers", "ledger", "products")
        return {
            t: int(self.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]) for t in tables
        }
