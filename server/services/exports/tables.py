"""What the full export holds: one :class:`Table` per file, its columns and how its rows are read.

Every reader streams: one query per table read with ``yield_per`` (a server-side cursor on
PostgreSQL, SQLite's own stepping cursor), ordered by the primary key so two exports of the
same data are the same bytes; the balances walk the members by keyset pages and fold each
page's ledger with the same ``loyalty`` fold the tills and the jobs use. Nothing holds more
than one page of rows.

The column names of ``members``, ``cards``, ``balances``, ``sales`` and ``sale_lines`` are the
import's (``docs/import.md``), so ``tillclub server import <kind>`` reads the export's files as
they are; the other tables are for the chain's own use (analysis, another system).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Executable, select
from sqlalchemy.orm import Session

from loyalty.rewards import Currency
from loyalty.rewards.lots import fold

from ...models import (
    Campaign,
    Card,
    ChainSetting,
    LedgerEntryRow,
    Member,
    Refund,
    Sale,
    SaleLine,
    Store,
    Voucher,
    VoucherUseRow,
)
from ...models.portal import ConsentRecord
from ...security import CpfCipher
from ..ledger_reads import entries_by_member
from .columns import Column

log = logging.getLogger("tillclub.export")
Row = tuple[Any, ...]
_WHOLE = Decimal(1)
_MICRO = dt.timedelta(microseconds=1)


@dataclass
class Source:
    """What the readers read from: one session (one snapshot), the CPF cipher, the moment the
    balances are folded at, and the page size."""

    session: Session
    cipher: CpfCipher | None  # None: the CPF column is left empty (``--without-cpf``)
    now: dt.datetime
    zone: ZoneInfo = ZoneInfo("America/Sao_Paulo")  # the chain's: balances' last days
    page: int = 5000
    notes: dict[str, int] = field(default_factory=dict)  # e.g. cpf_unreadable: 2

    def note(self, key: str, n: int = 1) -> None:
        self.notes[key] = self.notes.get(key, 0) + n


@dataclass(frozen=True)
class Table:
    name: str
    doc: str
    columns: tuple[Column, ...]
    rows: Callable[[Source], Iterator[Row]]


def _stream(src: Source, stmt: Executable) -> Iterator[Row]:
    result = src.session.execute(stmt.execution_options(yield_per=src.page))
    for row in result:
        yield tuple(row)


def _c(name: str, kind: str, doc: str) -> Column:
    return Column(name, kind, doc)


# -- stores ------------------------------------------------------------------------------------

STORES = Table(
    "stores",
    "The chain's stores.",
    (
        _c("store_id", "text", "The store's id (1-32 of A-Z a-z 0-9 _ -), as the tills know it."),
        _c("name", "text", "The store's name."),
        _c("active", "bool", "Whether the store is active."),
        _c("timezone", "text", "IANA time zone of the store (empty: the chain's)."),
        _c("created_at", "datetime", "When the store was added."),
    ),
    lambda src: _stream(
        src,
        select(Store.id, Store.name, Store.active, Store.timezone, Store.created_at).order_by(
            Store.id
        ),
    ),
)

# -- members -----------------------------------------------------------------------------------

MEMBER_COLUMNS = (
    _c("external_id", "text", "The member's id at this server; the import keys members by it."),
    _c("name", "text", "Full name."),
    _c(
        "cpf",
        "text",
        "CPF, 11 digits, no punctuation, decrypted from the server's AES-GCM copy (empty: none "
        "given, or the export was made with --without-cpf).",
    ),
    _c("email", "text", "E-mail."),
    _c("phone", "text", "Phone as stored (E.164 when the till or portal gave one)."),
    _c("birth_date", "date", "Birth date."),
    _c("store", "text", "Store of origin (where the member enrolled)."),
    _c("terms", "bool", "Accepted the programme's terms."),
    _c("terms_at", "datetime", "When the terms were accepted."),
    _c(
        "consent_email",
        "bool",
        "Consented to marketing messages (the server keeps one marketing flag; the history "
        "per channel is in consents.csv).",
    ),
    _c("consent_email_at", "datetime", "When marketing consent was given or withdrawn."),
    _c("consent_source", "text", "till when the member enrolled at a till, else empty."),
    _c("enrolled_terminal_id", "text", "The terminal the member enrolled at."),
    _c("active", "bool", "False for a member deleted or blocked (LGPD deletion keeps the row)."),
    _c("tier", "text", "Tier name from the last tier review (empty: none)."),
    _c("tier_since", "datetime", "When that tier was last reviewed (its qualification date)."),
    _c("created_at", "datetime", "Enrolment time."),
    _c("updated_at", "datetime", "Last change."),
)


def _member_rows(src: Source) -> Iterator[Row]:
    m = Member
    stmt = select(
        m.id, m.name, m.cpf_encrypted, m.email, m.phone, m.birth_date, m.enrolled_store_id,
        m.consent_terms, m.consent_terms_at, m.consent_marketing, m.consent_marketing_at,
        m.enrolled_terminal_id, m.active, m.tier, m.tier_reviewed_at, m.created_at, m.updated_at,
    ).order_by(m.id)  # fmt: skip
    cipher = src.cipher
    for row in _stream(src, stmt):
        member_id, blob = row[0], row[2]
        cpf = None
        if blob is not None and cipher is not None:
            try:
                cpf = cipher.decrypt(blob, member_id)
            except ValueError:  # another key: say how many, never which (no ids in the log)
                src.note("cpf_unreadable")
        terminal = row[11]
        yield (member_id, row[1], cpf, *row[3:11], "till" if terminal else None, *row[11:])


MEMBERS = Table("members", "One row per member.", MEMBER_COLUMNS, _member_rows)

# -- cards -------------------------------------------------------------------------------------

CARDS = Table(
    "cards",
    "Every card number ever issued, with its member and status.",
    (
        _c("number", "text", "The printed number (EAN-13 or Code 128 text)."),
        _c("member_external_id", "text", "The member's ``external_id``."),
        _c("status", "text", "active | blocked | replaced."),
        _c("replaced_by", "text", "The card that replaced this one (status replaced)."),
        _c("issued_at", "datetime", "When the card was issued."),
    ),
    lambda src: (
        (r[0], r[1], r[2].value, *r[3:])
        for r in _stream(
            src,
            select(
                Card.number, Card.member_id, Card.status, Card.replaced_by, Card.issued_at
            ).order_by(Card.number),
        )
    ),
)

# -- consents ----------------------------------------------------------------------------------

CONSENTS = Table(
    "consents",
    "The consent history (append-only): every consent given or withdrawn on the portal or at the "
    "till, per purpose. The current state is also in members.csv.",
    (
        _c("member_external_id", "text", "The member's ``external_id``."),
        _c("purpose", "text", "terms | marketing_email | marketing_sms."),
        _c("granted", "bool", "True: given; false: withdrawn."),
        _c("at", "datetime", "When."),
        _c("source", "text", "portal | till | deletion."),
        _c("terms_version", "text", "Version of the terms accepted (purpose terms)."),
    ),
    lambda src: _stream(
        src,
        select(
            ConsentRecord.member_id,
            ConsentRecord.purpose,
            ConsentRecord.granted,
            ConsentRecord.at,
            ConsentRecord.channel,
            ConsentRecord.terms_version,
        ).order_by(ConsentRecord.id),
    ),  # fmt: skip
)

# -- balances (open lots) ----------------------------------------------------------------------

BALANCE_COLUMNS = (
    _c("external_id", "text", "Key of the row: the ledger entry that opened the lot."),
    _c("member_external_id", "text", "The member's ``external_id``."),
    _c("currency", "text", "points | cashback."),
    _c(
        "amount",
        "amount",
        "What is left of the lot (whole points; cashback in BRL). A negative row is the "
        "member's deficit (a refund of points already spent), with no expiry.",
    ),
    _c("date", "datetime", "When the lot was earned (its entry's effective time)."),
    _c(
        "expires",
        "date",
        "The last day the lot may be spent, in the chain's time zone (empty: never); the import "
        "reads it as valid through that day.",
    ),
    _c("expires_at_utc", "datetime", "The lot's exact expiry moment."),
    _c("available_at", "datetime", "Cashback still pending: when it becomes spendable."),
)


def _member_pages(src: Source) -> Iterator[list[str]]:
    last = ""
    while True:
        ids = list(
            src.session.scalars(
                select(Member.id).where(Member.id > last).order_by(Member.id).limit(src.page)
            )
        )
        if not ids:
            return
        yield ids
        last = ids[-1]


def _balance_rows(src: Source) -> Iterator[Row]:
    for ids in _member_pages(src):
        by_member = entries_by_member(src.session, ids)
        for member_id in ids:
            entries = by_member.get(member_id)
            if not entries:
                continue
            present = {e.currency for e in entries}
            for currency in (c for c in Currency if c in present):
                state = fold(entries, currency, src.now)
                for lot in state.lots:
                    e = lot.entry
                    last_day = None
                    if e.expires_at is not None:
                        last_day = (e.expires_at - _MICRO).astimezone(src.zone).date()
                    yield (
                        e.entry_id, member_id, currency.value, lot.remaining, e.effective_at,
                        last_day, e.expires_at, None if lot.available else e.available_at,
                    )  # fmt: skip
                if state.deficit:
                    yield (f"deficit:{member_id}:{currency.value}", member_id, currency.value,
                           -state.deficit, None, None, None, None)  # fmt: skip


BALANCES = Table(
    "balances",
    "Each member's open balance as lots at the export's moment: what each earning has left, "
    "with its original expiry, so FIFO expiry holds after an import.",
    BALANCE_COLUMNS,
    _balance_rows,
)

# -- ledger ------------------------------------------------------------------------------------

_L = LedgerEntryRow
LEDGER = Table(
    "ledger",
    "Every ledger entry (append-only history of points and cashback).",
    (
        _c("entry_id", "text", "Globally unique entry id (E:<store>:<terminal>:<seq>, ...)."),
        _c("member_external_id", "text", "The member's ``external_id``."),
        _c("currency", "text", "points | cashback."),
        _c("kind", "text", "earn | redeem | expire | reverse | adjust | mature (| migration)."),
        _c("amount", "amount", "Signed amount (whole points; cashback in BRL)."),
        _c("effective_at", "datetime", "When the entry takes effect."),
        _c("available_at", "datetime", "Cashback: when it becomes spendable."),
        _c("expires_at", "datetime", "When a positive entry's lot expires."),
        _c("sale_id", "text", "The sale it belongs to."),
        _c("rule_id", "text", "The rule that earned it."),
        _c("store_id", "text", "Store of origin."),
        _c("terminal_id", "text", "Terminal of origin."),
        _c("reverses", "text", "The entry (lot) it draws on or reverses."),
        _c("reason", "text", "Head office's reason (adjustments)."),
        _c("recorded_at", "datetime", "When the server recorded it."),
    ),
    lambda src: (
        (*r[:4], r[4].quantize(_WHOLE) if r[2] == "points" else r[4], *r[5:])
        for r in _stream(
            src,
            select(
                _L.entry_id,
                _L.member_id,
                _L.currency,
                _L.kind,
                _L.amount,
                _L.effective_at,
                _L.available_at,
                _L.expires_at,
                _L.sale_id,
                _L.rule_id,
                _L.store_id,
                _L.terminal_id,
                _L.reverses,
                _L.reason,
                _L.recorded_at,
            ).order_by(_L.entry_id),
        )
    ),  # fmt: skip
)

# -- vouchers ----------------------------------------------------------------------------------

_V = Voucher
VOUCHERS = Table(
    "vouchers",
    "Vouchers (single or multi use), with the uses that stand.",
    (
        _c("voucher_id", "text", "Id."),
        _c("code", "text", "The code printed or typed at the till."),
        _c("name", "text", "Name."),
        _c("percent", "money", "Percentage off (or empty)."),
        _c("amount", "money", "Amount off in BRL (or empty)."),
        _c("min_subtotal", "money", "Minimum basket subtotal."),
        _c("valid_from", "datetime", "Valid from."),
        _c("valid_until", "datetime", "Valid until."),
        _c("max_uses", "int", "How many uses it allows (empty: unlimited)."),
        _c("store_ids", "json", "Stores it is valid in (JSON list; empty: all)."),
        _c("member_external_id", "text", "The member it belongs to (empty: anyone)."),
        _c("campaign_id", "text", "The campaign that issued it."),
        _c("void", "bool", "Voided by head office."),
        _c("accepted_sale_ids", "json", "The sales whose uses stand (JSON list)."),
        _c("created_at", "datetime", "When it was issued."),
        _c("expired_at", "datetime", "When the expiry job marked it expired."),
    ),
    lambda src: _stream(
        src,
        select(
            _V.voucher_id,
            _V.code,
            _V.name,
            _V.percent,
            _V.amount,
            _V.min_subtotal,
            _V.valid_from,
            _V.valid_until,
            _V.max_uses,
            _V.store_ids,
            _V.member_id,
            _V.campaign_id,
            _V.void,
            _V.accepted_sale_ids,
            _V.created_at,
            _V.expired_at,
        ).order_by(_V.voucher_id),
    ),  # fmt: skip
)

_U = VoucherUseRow
VOUCHER_USES = Table(
    "voucher_uses",
    "Every use of a voucher a till reported (the ones past the limit included).",
    (
        _c("event_id", "text", "The till's event id; key of the row."),
        _c("voucher_id", "text", "The voucher."),
        _c("sale_id", "text", "The sale it was used in."),
        _c("member_external_id", "text", "The member."),
        _c("store_id", "text", "Store."),
        _c("terminal_id", "text", "Terminal."),
        _c("used_at", "datetime", "When it was used at the till."),
        _c("received_at", "datetime", "When the server received it."),
        _c("restored_at", "datetime", "When a full refund gave the use back."),
        _c("restored_by", "text", "The refund that gave it back."),
    ),
    lambda src: _stream(
        src,
        select(
            _U.event_id,
            _U.voucher_id,
            _U.sale_id,
            _U.member_id,
            _U.store_id,
            _U.terminal_id,
            _U.used_at,
            _U.received_at,
            _U.restored_at,
            _U.restored_by,
        ).order_by(_U.event_id),
    ),  # fmt: skip
)

# -- sales -------------------------------------------------------------------------------------

_S, _SL = Sale, SaleLine
SALES = Table(
    "sales",
    "Every sale, one row per line (a sale without lines is one row with the line columns "
    "empty); the sale's columns repeat on each of its rows. Ordered by sale and line, as the "
    "import reads a sale's lines: consecutive rows with the same external_id.",
    (
        _c("external_id", "text", "The sale's id at this server; the import keys sales by it."),
        _c("member_external_id", "text", "The member (empty: an anonymous sale)."),
        _c("store", "text", "Store."),
        _c("terminal_id", "text", "Terminal (imported history: IMPORT)."),
        _c("date", "datetime", "When the sale happened at the till."),
        _c("currency", "text", "ISO 4217 (BRL)."),
        _c("subtotal", "money", "Sum of the lines before discounts."),
        _c("discount", "money", "Sum of the sale's discounts."),
        _c("total", "money", "What the shopper paid (subtotal minus discount)."),
        _c("coupon_codes", "json", "Rule coupon codes presented (JSON list)."),
        _c("reprice_status", "text", "The server's re-pricing check: match | mismatch | ..."),
        _c("recorded_at", "datetime", "When the server recorded it."),
        _c("line_no", "int", "Line number within the sale."),
        _c("sku", "text", "Product code."),
        _c("category_id", "text", "Category."),
        _c("quantity", "quantity", "Quantity (three decimals: weighed goods to the gram)."),
        _c("unit_price", "money", "Unit price."),
        _c("line_amount", "money", "Line amount before discount (the lines add up to subtotal)."),
        _c("line_discount", "money", "Line discount."),
        _c("line_net", "money", "Line amount paid."),
        _c("brand", "text", "Brand."),
        _c("tags", "json", "Product tags (JSON list)."),
    ),
    lambda src: (
        (*r[:10], r[10].value, *r[11:])
        for r in _stream(
            src,
            select(
                _S.sale_id,
                _S.member_id,
                _S.store_id,
                _S.terminal_id,
                _S.occurred_at,
                _S.currency,
                _S.subtotal,
                _S.discount_total,
                _S.total,
                _S.coupon_codes,
                _S.reprice_status,
                _S.recorded_at,
                _SL.line_no,
                _SL.sku,
                _SL.category_id,
                _SL.quantity,
                _SL.unit_price,
                _SL.gross,
                _SL.discount,
                _SL.net,
                _SL.brand,
                _SL.tags,
            )
            .outerjoin(_SL, _SL.sale_id == _S.sale_id)
            .order_by(_S.sale_id, _SL.line_no),
        )
    ),  # fmt: skip
)

_R = Refund
REFUNDS = Table(
    "refunds",
    "Refunds and cancellations.",
    (
        _c("refund_id", "text", "Id."),
        _c("sale_id", "text", "The sale refunded."),
        _c("store_id", "text", "Store."),
        _c("terminal_id", "text", "Terminal."),
        _c("occurred_at", "datetime", "When."),
        _c("amount", "money", "Amount refunded."),
        _c("reason", "text", "Reason given."),
        _c("lines", "json", "The lines refunded (JSON, as the till sent them)."),
    ),
    lambda src: _stream(
        src,
        select(
            _R.refund_id,
            _R.sale_id,
            _R.store_id,
            _R.terminal_id,
            _R.occurred_at,
            _R.amount,
            _R.reason,
            _R.lines,
        ).order_by(_R.refund_id),
    ),  # fmt: skip
)

# -- campaigns ---------------------------------------------------------------------------------

_CA = Campaign
CAMPAIGNS = Table(
    "campaigns",
    "Published campaigns; ``document`` is the campaign file (docs/campaign-format.md), which "
    "``tillclub server import-campaign`` reads back.",
    (
        _c("campaign_id", "text", "Id."),
        _c("name", "text", "Name."),
        _c("active", "bool", "Active (not paused)."),
        _c("valid_from", "datetime", "Start."),
        _c("valid_until", "datetime", "End."),
        _c("version", "int", "Published version."),
        _c("store_ids", "json", "Stores (JSON list; empty: all)."),
        _c("document", "json", "The campaign document (JSON)."),
        _c("created_at", "datetime", "Created."),
        _c("updated_at", "datetime", "Last published."),
    ),
    lambda src: _stream(
        src,
        select(
            _CA.id,
            _CA.name,
            _CA.active,
            _CA.valid_from,
            _CA.valid_until,
            _CA.version,
            _CA.store_ids,
            _CA.document,
            _CA.created_at,
            _CA.updated_at,
        ).order_by(_CA.id),
    ),  # fmt: skip
)

SETTINGS = Table(
    "settings",
    "The chain's settings (tier ladder, redemption caps, ...), one JSON value per key: a new "
    "server takes them with the same keys.",
    (
        _c("key", "text", "Setting name."),
        _c("value", "json", "Its value (JSON)."),
        _c("updated_at", "datetime", "Last change."),
    ),
    lambda src: _stream(
        src,
        select(ChainSetting.key, ChainSetting.value, ChainSetting.updated_at).order_by(
            ChainSetting.key
        ),
    ),
)

TABLES: tuple[Table, ...] = (
    STORES, MEMBERS, CARDS, CONSENTS, BALANCES, LEDGER, VOUCHERS, VOUCHER_USES, SALES,
    REFUNDS, CAMPAIGNS, SETTINGS,
)  # fmt: skip
"""The archive's tables, in this order. A new area (cases) adds its :class:`Table` here and
its columns to ``docs/export.md`` (``tests/server/services/test_exports.py`` checks the doc)."""


def names(tables: Sequence[Table] = TABLES) -> list[str]:
    return [t.name for t in tables]
