"""Opening balances: points and cashback carried over as ``migration`` ledger entries, and a tier.

Each row (``id_externo``) is one lot of the old programme with its own expiry date
(``validade``), so the ledger's first-expiring-first-out rule holds across the move: the
oldest carried-over points are spent first and each lot expires on its original date (the
whole of that day in the chain's time zone), by the expiry job, as any lot. Entries are made
by head office (store ``HQ``, terminal ``IMPORT``), reach the tills through the ledger feed
and bring the member into ``ledger_due`` like any entry. A row may also carry the member's
tier (``nivel``) and the date it was reached (``nivel_desde``): the next full tier review is
then due ``review_every_months`` after that date, not at once. The ledger is append-only, so
a balance already imported is never changed by a re-import: the same row is unchanged, a
different one under the same ``id_externo`` is rejected (correct it with an adjustment).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, select, update

from loyalty.rewards import Currency, EntryKind, LedgerEntry
from loyalty.rewards.errors import InvalidEntry
from loyalty.rewards.ids import SERVER_STORE, make_entry_id

from ...models import ImportKey, LedgerEntryRow, Member
from ...models.sync import reserve_seqs
from ..tiers import TierLadderError, load_ladder
from . import fields
from .copy import write_rows
from .errors import RowError
from .kinds import Action, Context, Decision
from .lookups import MemberRef, chunks, key_owners, reserve_ids
from .report import OnDuplicate
from .source import Line

KIND = "balances"
TERMINAL = "IMPORT"
REASON = "migration"
_CURRENCY = {
    "": Currency.POINTS,
    "pontos": Currency.POINTS,
    "points": Currency.POINTS,
    "cashback": Currency.CASHBACK,
}


@dataclass
class BalanceRow:
    ext: str
    key: tuple[str, str]
    currency: Currency
    amount: Decimal | None
    effective_at: dt.datetime
    expires_at: dt.datetime | None
    tier: str | None
    tier_at: dt.datetime | None


class BalancesImporter:
    required = ("id_externo",)
    aliases = {
        "external_id": "id_externo",
        "member_external_id": "cliente_id_externo",
        "cliente": "cliente_id_externo",
        "currency": "moeda",
        "amount": "valor",
        "saldo": "valor",
        "date": "data",
        "expires": "validade",
        "expires_at": "validade",
        "vencimento": "validade",
        "tier": "nivel",
        "tier_since": "nivel_desde",
        "categoria": "nivel",
    }

    def parse(self, ctx: Context, line: Line, tiers: frozenset[str] | None) -> BalanceRow:
        c = line.cells
        ext = c.get("id_externo", "")
        if not ext:
            raise RowError("missing_field", "{column} is empty", column="id_externo")
        fields.text_cell(ext, "id_externo", 100)
        key = MemberRef.key(ctx, c)
        if key is None:
            raise RowError(
                "missing_field", "{column} is empty", column="cliente_id_externo / cpf / cartao"
            )
        currency = _CURRENCY.get(c.get("moeda", "").lower())
        if currency is None:
            raise RowError(
                "bad_currency", "moeda: {value} is not pontos or cashback", value=c["moeda"]
            )
        amount = None
        if c.get("valor"):
            if currency is Currency.POINTS:
                amount = fields.points(c["valor"], "valor")
            else:
                amount = fields.money(c["valor"], "valor")
            if amount <= 0:
                raise RowError(
                    "bad_amount", "valor: {value} must be more than zero", value=c["valor"]
                )
        effective = fields.moment(c["data"], "data", ctx.zone) if c.get("data") else ctx.now
        if effective > ctx.now:
            raise RowError(
                "bad_date", "{column}: {value} is in the future", column="data", value=c["data"]
            )
        expires = (
            fields.end_of_day(fields.date(c["validade"], "validade"), ctx.zone)
            if c.get("validade")
            else None
        )
        if expires is not None and expires <= effective:
            raise RowError(
                "bad_date",
                "{column}: {value} is before the balance's date",
                column="validade",
                value=c["validade"],
            )
        tier = c.get("nivel") or None
        if tier is not None and (tiers is None or tier not in tiers):
            raise RowError(
                "unknown_tier", "tier {tier} is not on the chain's tier ladder", tier=tier
            )
        tier_at = (
            fields.moment(c["nivel_desde"], "nivel_desde", ctx.zone)
            if c.get("nivel_desde")
            else None
        )
        if tier_at is not None and tier_at > ctx.now:
            raise RowError(
                "bad_date",
                "{column}: {value} is in the future",
                column="nivel_desde",
                value=c["nivel_desde"],
            )
        if amount is None and tier is None:
            raise RowError("missing_field", "{column} is empty", column="valor / nivel")
        return BalanceRow(ext, key, currency, amount, effective, expires, tier, tier_at)

    def decide(self, ctx: Context, lines: Sequence[Line]) -> list[Decision]:
        try:
            ladder = load_ladder(ctx.session)
        except TierLadderError:
            ladder = None
        tiers = None if ladder is None else frozenset(t.name for t in ladder.tiers)
        parsed: list[BalanceRow | Decision] = []
        for line in lines:
            try:
                parsed.append(self.parse(ctx, line, tiers))
            except RowError as exc:
                parsed.append(ctx.reject(line, exc.code, exc.message, **exc.values))
        good = [p for p in parsed if isinstance(p, BalanceRow)]
        members = MemberRef.resolve(ctx, [p.key for p in good])
        done = key_owners(
            ctx.session, KIND, [p.ext for p in good if ("bal", p.ext) not in ctx.seen.owner]
        )
        stored = _entries(ctx, list(done.values()))
        for ext, target in done.items():
            ctx.seen.owner[("bal", ext)] = target
            ctx.seen.state["bal:" + ext] = stored.get(target, {})
        tier_state = _tiers(
            ctx, sorted({m for m in members.values() if "tier:" + m not in ctx.seen.state})
        )
        ctx.seen.state.update(tier_state)
        out: list[Decision] = []
        for line, p in zip(lines, parsed, strict=True):
            if isinstance(p, Decision):
                out.append(p)
                continue
            member = members.get(p.key)
            if member is None:
                out.append(
                    ctx.reject(
                        line,
                        "unknown_member",
                        "no member with {key}",
                        key=MemberRef.describe(p.key),
                    )
                )
                continue
            if p.amount is not None:
                try:  # the rewards core's own checks (whole points, cents)
                    LedgerEntry(
                        make_entry_id(SERVER_STORE, TERMINAL, 1),
                        member,
                        p.currency,
                        EntryKind.MIGRATION,
                        p.amount,
                        p.effective_at,
                        expires_at=p.expires_at,
                    )
                except InvalidEntry as exc:
                    out.append(ctx.reject(line, "bad_amount", "valor: {value}", value=str(exc)))
                    continue
            mine = {
                "member_id": member,
                "currency": p.currency.value,
                "amount": p.amount,
                "expires_at": p.expires_at,
                "tier": p.tier,
            }
            if ("bal", p.ext) in ctx.seen.owner:
                before = ctx.seen.state.get("bal:" + p.ext, {})
                keys = ("member_id", "currency", "amount", "expires_at")
                if p.amount is not None and any(before.get(k) != mine[k] for k in keys):
                    out.append(self._duplicate(ctx, line, p, member))
                elif _tier_same(ctx, member, p):
                    out.append(Decision(line, Action.UNCHANGED))
                elif ctx.options.on_duplicate is OnDuplicate.REPORT:
                    out.append(self._duplicate(ctx, line, p, member))
                else:
                    ctx.seen.state["tier:" + member] = {"tier": p.tier, "at": p.tier_at or ctx.now}
                    out.append(Decision(line, Action.UPDATE, (member, p, False)))
                continue
            ctx.seen.owner[("bal", p.ext)] = "new"
            ctx.seen.state["bal:" + p.ext] = mine
            if p.tier is not None:
                ctx.seen.state["tier:" + member] = {"tier": p.tier, "at": p.tier_at or ctx.now}
            out.append(Decision(line, Action.CREATE, (member, p, True)))
        return out

    @staticmethod
    def _duplicate(ctx: Context, line: Line, p: BalanceRow, member: str) -> Decision:
        return ctx.reject(
            line,
            "duplicate_external_id",
            "external id {ext} was already imported with other data (member {member})",
            ext=p.ext,
            member=member,
        )

    def write(self, ctx: Context, decisions: Sequence[Decision]) -> None:
        s, now = ctx.session, ctx.now
        todo = [d.payload for d in decisions if d.action in (Action.CREATE, Action.UPDATE)]
        with_amount = [(m, p) for m, p, new in todo if new and p.amount is not None]
        tier_rows = {m: p for m, p, _ in todo if p.tier is not None}  # the last row wins
        ids = iter(reserve_ids(s, TERMINAL, len(with_amount)))
        seqs = iter(reserve_seqs(s, len(with_amount) + len(tier_rows)))
        entries: list[dict[str, Any]] = []
        keys: list[dict[str, Any]] = []
        targets: dict[str, str] = {}
        for member, p in with_amount:
            entry_id = make_entry_id(SERVER_STORE, TERMINAL, next(ids))
            targets[p.ext] = entry_id
            entries.append(
                {
                    "entry_id": entry_id,
                    "member_id": member,
                    "currency": p.currency.value,
                    "kind": EntryKind.MIGRATION.value,
                    "amount": p.amount,
                    "effective_at": p.effective_at,
                    "available_at": None,
                    "expires_at": p.expires_at,
                    "sale_id": None,
                    "rule_id": None,
                    "store_id": SERVER_STORE,
                    "terminal_id": TERMINAL,
                    "reverses": None,
                    "reason": REASON,
                    "event_id": None,
                    "recorded_at": now,
                    "change_seq": next(seqs),
                }
            )
        for member, p, new in todo:
            if new:
                keys.append(
                    {
                        "kind": KIND,
                        "external_id": p.ext,
                        "target_id": targets.get(p.ext, "tier:" + member),
                        "run_id": ctx.run_id,
                    }
                )
        write_rows(s, LedgerEntryRow.__table__, entries)
        write_rows(s, ImportKey.__table__, keys)
        t = Member.__table__
        if tier_rows:
            s.execute(
                update(t).where(t.c.id == bindparam("mid")),
                [
                    {
                        "mid": m,
                        "tier": p.tier,
                        "tier_reviewed_at": p.tier_at or now,
                        "updated_at": now,
                        "change_seq": next(seqs),
                    }
                    for m, p in tier_rows.items()
                ],
            )


def _entries(ctx: Context, entry_ids: list[str]) -> dict[str, dict[str, Any]]:
    t = LedgerEntryRow.__table__
    out: dict[str, dict[str, Any]] = {}
    for part in chunks(sorted(entry_ids)):
        stmt = select(t.c.entry_id, t.c.member_id, t.c.currency, t.c.amount, t.c.expires_at).where(
            t.c.entry_id.in_(part)
        )
        for r in ctx.session.execute(stmt):
            amount = r.amount.quantize(Decimal(1)) if r.currency == "points" else r.amount
            out[r.entry_id] = {
                "member_id": r.member_id,
                "currency": r.currency,
                "amount": amount,
                "expires_at": r.expires_at,
            }
    return out


def _tiers(ctx: Context, member_ids: list[str]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for part in chunks(member_ids):
        stmt = select(Member.id, Member.tier, Member.tier_reviewed_at).where(Member.id.in_(part))
        for r in ctx.session.execute(stmt):
            out["tier:" + r.id] = {"tier": r.tier, "at": r.tier_reviewed_at}
    return out


def _tier_same(ctx: Context, member: str, p: BalanceRow) -> bool:
    """Whether the member already has the row's tier (and its date, when the row gives one)."""
    if p.tier is None:
        return True
    now = ctx.seen.state.get("tier:" + member, {})
    return now.get("tier") == p.tier and (p.tier_at is None or now.get("at") == p.tier_at)
