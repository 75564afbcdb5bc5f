"""What agents pull: one ``Feed`` per kind of record, with its scope and wire form.

A feed reads its table with Core (no ORM objects: a snapshot streams a million rows) and turns
each row into ``{"seq", "type", "id", "deleted", "data"}``. A row the terminal's store may not
see, or no longer sees, goes out as ``deleted`` with no data, so a narrowed campaign or a moved
raffle block disappears from the agent's cache. CPFs never leave: members carry the keyed hash.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, FromClause, Select, select

from ..models import (
    Campaign,
    Card,
    LedgerEntryRow,
    Member,
    MemberOffer,
    MemberSegment,
    OfferActivation,
    Product,
    RaffleCampaign,
    RaffleNumberBlock,
    Store,
    Voucher,
)
from .segments import member_segment_names
from .terminals import TerminalIdentity

Row = Any


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat()


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:f}"


def _enum(value: Any) -> Any:
    return getattr(value, "value", value)


@dataclass(frozen=True)
class Feed:
    name: str
    table: FromClause
    key: str
    data: Callable[[Row], dict[str, Any]]
    visible: Callable[[Row, TerminalIdentity], bool] | None = None
    join: Callable[[Select[Any]], Select[Any]] | None = None
    # Only the columns the wire form needs (None: all): a snapshot converts millions of rows.
    columns: tuple[str, ...] | None = None

    @property
    def seq_column(self) -> ColumnElement[int]:
        return self.table.c.change_seq

    def base_select(self) -> Select[Any]:
        if self.columns is None:
            stmt = select(self.table)
        else:
            stmt = select(*(self.table.c[name] for name in self.columns))
        if self.join is not None:
            stmt = self.join(stmt)
        return stmt

    def record(self, row: Row, who: TerminalIdentity) -> dict[str, Any]:
        key = getattr(row, self.key)
        if self.visible is not None and not self.visible(row, who):
            return {
                "seq": row.change_seq,
                "type": self.name,
                "id": key,
                "deleted": True,
                "data": None,
            }
        return {
            "seq": row.change_seq,
            "type": self.name,
            "id": key,
            "deleted": False,
            "data": self.data(row),
        }


def _member(r: Row) -> dict[str, Any]:
    # Data minimisation: what the till needs to identify and greet, no phone or e-mail.
    birth = r.birth_date
    return {
        "id": r.id,
        "name": r.name,
        "cpf_hash": r.cpf_hash,
        "birth_date": None if birth is None else birth.isoformat(),
        "active": r.active,
        "consent_marketing": r.consent_marketing,
        # Head office's segments, for rules with audience.segments (see server/services/segments).
        "segments": list(member_segment_names(r)) if r.rfm_segment else [],
        # The tier the review job gave (server/services/tiers), for rules with audience.tiers;
        # null before the first review or without a ladder.
        "tier": r.tier,
    }


def _member_join(stmt: Select[Any]) -> Select[Any]:
    seg = MemberSegment.__table__
    return stmt.add_columns(seg.c.rfm_segment, seg.c.value_class).outerjoin(
        seg, seg.c.member_id == Member.__table__.c.id
    )


def _card(r: Row) -> dict[str, Any]:
    return {
        "number": r.number,
        "member_id": r.member_id,
        "status": _enum(r.status),
        "replaced_by": r.replaced_by,
    }


def _campaign(r: Row) -> dict[str, Any]:
    return {
        "id": r.id,
        "name": r.name,
        "document": r.document,
        "active": r.active,
        "valid_from": _iso(r.valid_from),
        "valid_until": _iso(r.valid_until),
        "version": r.version,
    }


def _campaign_visible(r: Row, who: TerminalIdentity) -> bool:
    return r.store_ids is None or who.store_id in r.store_ids


def _offer(r: Row) -> dict[str, Any]:
    return {
        "id": r.id,
        "member_id": r.member_id,
        "title": r.title,
        "rule": r.rule,
        "requires_activation": r.requires_activation,
        "activated_at": _iso(r.activated_at),
        "starts_at": _iso(r.starts_at),
        "ends_at": _iso(r.ends_at),
        "active": r.active,
    }


def _offer_join(stmt: Select[Any]) -> Select[Any]:
    act = OfferActivation.__table__
    return stmt.add_columns(act.c.activated_at).outerjoin(
        act, act.c.offer_id == MemberOffer.__table__.c.id
    )


def _voucher(r: Row) -> dict[str, Any]:
    # The fields of loyalty.rewards.vouchers.Voucher, plus the uses that stand.
    return {
        "voucher_id": r.voucher_id,
        "code": r.code,
        "name": r.name,
        "percent": _dec(r.percent),
        "amount": _dec(r.amount),
        "min_subtotal": _dec(r.min_subtotal),
        "valid_from": _iso(r.valid_from),
        "valid_until": _iso(r.valid_until),
        "max_uses": r.max_uses,
        "stores": r.store_ids,
        "member_id": r.member_id,
        "campaign_id": r.campaign_id,
        "void": r.void,
        "accepted_sale_ids": r.accepted_sale_ids,
        "expired_at": _iso(r.expired_at),  # set by the voucher expiry job
    }


def _voucher_visible(r: Row, who: TerminalIdentity) -> bool:
    return r.store_ids is None or who.store_id in r.store_ids


def _raffle(r: Row) -> dict[str, Any]:
    return {
        "id": r.id,
        "name": r.name,
        "authorisation_number": r.authorisation_number,
        "spend_per_number": _dec(r.spend_per_number),
        "starts_at": _iso(r.starts_at),
        "ends_at": _iso(r.ends_at),
        # The draw result (winners' and ineligible member ids) stays at head office.
        "rules": {k: v for k, v in (r.rules or {}).items() if k != "draw_result"},
        "active": r.active,
    }


def _block(r: Row) -> dict[str, Any]:
    return {
        "id": r.id,
        "raffle_id": r.raffle_id,
        "terminal_id": r.terminal_id,
        "series": r.series,
        "first_element": r.first_element,
        "last_element": r.last_element,
        "first_position": r.first_position,
        "size": r.size,
    }


def _block_visible(r: Row, who: TerminalIdentity) -> bool:
    return r.store_id == who.store_id and r.terminal_id in (None, who.terminal_id)


def _ledger(r: Row) -> dict[str, Any]:
    # The LedgerEntry.to_dict form, so the agent parses it with LedgerEntry.from_dict.
    amount = r.amount.quantize(Decimal(1)) if r.currency == "points" else r.amount
    return {
        "entry_id": r.entry_id,
        "member_id": r.member_id,
        "currency": r.currency,
        "kind": r.kind,
        "amount": f"{amount:f}",
        "effective_at": _iso(r.effective_at),
        "available_at": _iso(r.available_at),
        "expires_at": _iso(r.expires_at),
        "sale_id": r.sale_id,
        "rule_id": r.rule_id,
        "store_id": r.store_id,
        "terminal_id": r.terminal_id,
        "reverses": r.reverses,
        "reason": r.reason,
    }


def _product(r: Row) -> dict[str, Any]:
    # No price: the POS owns shelf prices; the till needs the SKU list, names and grouping.
    return {
        "sku": r.sku,
        "name": r.name,
        "category": r.category_id,
        "brand": r.brand,
        "active": r.active,
    }


def _store(r: Row) -> dict[str, Any]:
    # The till's own store: its zone prices the campaigns' windows (docs/campaign-format.md).
    return {"id": r.id, "name": r.name, "timezone": r.timezone, "active": r.active}


def _store_visible(r: Row, who: TerminalIdentity) -> bool:
    return bool(r.id == who.store_id)


FEEDS: tuple[Feed, ...] = (
    Feed(
        "member",
        Member.__table__,
        "id",
        _member,
        columns=(
            "id",
            "name",
            "cpf_hash",
            "birth_date",
            "active",
            "consent_marketing",
            "tier",
            "change_seq",
        ),
        join=_member_join,
    ),
    Feed(
        "card",
        Card.__table__,
        "number",
        _card,
        columns=("number", "member_id", "status", "replaced_by", "change_seq"),
    ),
    Feed("campaign", Campaign.__table__, "id", _campaign, _campaign_visible),
    Feed(
        "store",
        Store.__table__,
        "id",
        _store,
        _store_visible,
        columns=("id", "name", "timezone", "active", "change_seq"),
    ),
    Feed("offer", MemberOffer.__table__, "id", _offer, join=_offer_join),
    Feed("voucher", Voucher.__table__, "voucher_id", _voucher, _voucher_visible),
    Feed("raffle", RaffleCampaign.__table__, "id", _raffle),
    Feed("raffle_block", RaffleNumberBlock.__table__, "id", _block, _block_visible),
    Feed("ledger_entry", LedgerEntryRow.__table__, "entry_id", _ledger),
    Feed(
        "product",
        Product.__table__,
        "sku",
        _product,
        columns=("sku", "name", "category_id", "brand", "active", "change_seq"),
    ),
)
