"""Members: name, CPF, e-mail, phone, birth date, store of origin, consents, a card, external id.

A row names a member by its external id (``id_externo``), its CPF and its card. When one of
them is already known, the row is that member: unchanged if it says nothing new; otherwise,
with ``on_duplicate=merge`` its non-empty cells update the member (and its external id is
recorded for the member it matched), with ``report`` it is rejected as a duplicate. A row
whose keys name two different members is rejected in both modes. The CPF is stored as the
server stores it (AES-GCM bound to the member id, plus the keyed lookup hash) and appears in
no message, only masked. Consents are recorded per channel (``portal_consents``) with their
date and source; the member row keeps the summary flags the tills read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, insert, select, update

from ...models import Card, CardStatus, ImportKey, Member
from ...models.portal import ConsentRecord
from ...models.sync import reserve_seqs
from ..tiers import first_step
from . import fields
from .cards_check import check_card
from .copy import write_rows
from .errors import RowError
from .kinds import Action, Context, Decision
from .lookups import card_owners, chunks, cpf_owners, key_owners, reserve_ids
from .report import OnDuplicate
from .source import Line

KIND = "members"
ID_WORKER = "IMPORT-MEMBER"
_STATE = (
    "name",
    "cpf_hash",
    "email",
    "phone",
    "birth_date",
    "enrolled_store_id",
    "consent_terms",
    "consent_marketing",
)
_CONSENTS = (
    ("termos", "terms"),
    ("consentimento_email", "marketing_email"),
    ("consentimento_sms", "marketing_sms"),
)


def member_id_for(seq: int) -> str:
    return f"IMP-{seq:09d}"


@dataclass
class MemberRow:
    ext: str
    values: dict[str, Any]  # the member columns the row gives (non-empty cells only)
    cpf: str | None = None
    card: str | None = None
    consents: list[tuple[str, bool, dt.datetime | None]] = field(default_factory=list)
    source: str = "import"


class MembersImporter:
    required = ("id_externo", "nome")
    aliases = {
        "external_id": "id_externo",
        "codigo": "id_externo",
        "id": "id_externo",
        "name": "nome",
        "e_mail": "email",
        "phone": "telefone",
        "celular": "telefone",
        "birth_date": "nascimento",
        "data_nascimento": "nascimento",
        "data_de_nascimento": "nascimento",
        "store": "loja",
        "loja_origem": "loja",
        "card": "cartao",
        "numero_cartao": "cartao",
        "terms": "termos",
        "terms_at": "termos_em",
        "consent_email": "consentimento_email",
        "consent_email_at": "consentimento_email_em",
        "consent_sms": "consentimento_sms",
        "consent_sms_at": "consentimento_sms_em",
        "consent_source": "consentimento_origem",
        "origem_consentimento": "consentimento_origem",
    }

    def parse(self, ctx: Context, line: Line) -> MemberRow:
        c = line.cells
        ext = c.get("id_externo", "")
        if not ext:
            raise RowError("missing_field", "{column} is empty", column="id_externo")
        fields.text_cell(ext, "id_externo", 100)
        name = c.get("nome", "")
        if not name:
            raise RowError("missing_field", "{column} is empty", column="nome")
        values: dict[str, Any] = {"name": fields.text_cell(name, "nome", 200)}
        row = MemberRow(ext, values)
        if c.get("cpf"):
            row.cpf = fields.cpf(c["cpf"])
            values["cpf_hash"] = ctx.cipher.lookup_hash(row.cpf)
        if c.get("email"):
            values["email"] = fields.email(c["email"])
        if c.get("telefone"):
            values["phone"] = fields.phone(c["telefone"])
        if c.get("nascimento"):
            born = fields.date(c["nascimento"], "nascimento")
            if born > ctx.now.date() or born.year < 1900:
                raise RowError(
                    "bad_date",
                    "{column}: {value} is not a date (dd/mm/aaaa)",
                    column="nascimento",
                    value=c["nascimento"],
                )
            values["birth_date"] = born
        if c.get("loja"):
            if c["loja"] not in ctx.stores:
                raise RowError(
                    "unknown_store",
                    "store {store} does not exist (create it first)",
                    store=c["loja"],
                )
            values["enrolled_store_id"] = c["loja"]
        if c.get("cartao"):
            row.card = check_card(c["cartao"], ctx.options)
        row.source = fields.text_cell(
            c.get("consentimento_origem") or "import", "consentimento_origem", 16
        )
        for column, purpose in _CONSENTS:
            if c.get(column, "") == "":
                continue
            granted = fields.flag(c[column], column)
            at_text = c.get(column + "_em", "")
            at = fields.moment(at_text, column + "_em", ctx.zone) if at_text else None
            row.consents.append((purpose, granted, at))
        given = {p: g for p, g, _ in row.consents}
        if "terms" in given:
            values["consent_terms"] = given["terms"]
        if "marketing_email" in given or "marketing_sms" in given:
            values["consent_marketing"] = bool(
                given.get("marketing_email") or given.get("marketing_sms")
            )
        return row

    def decide(self, ctx: Context, lines: Sequence[Line]) -> list[Decision]:
        parsed: list[tuple[Line, MemberRow | Decision]] = []
        for line in lines:
            try:
                parsed.append((line, self.parse(ctx, line)))
            except RowError as exc:
                parsed.append((line, ctx.reject(line, exc.code, exc.message, **exc.values)))
        rows = [p for _, p in parsed if isinstance(p, MemberRow)]
        seen = ctx.seen
        exts = key_owners(
            ctx.session, KIND, [r.ext for r in rows if ("ext", r.ext) not in seen.owner]
        )
        hashes = cpf_owners(
            ctx.session, [r.values["cpf_hash"] for r in rows if "cpf_hash" in r.values]
        )
        cards = {
            n: m for n, (m, _) in card_owners(ctx.session, [r.card for r in rows if r.card]).items()
        }
        for k, v in exts.items():
            seen.owner.setdefault(("ext", k), v)
        for k, v in hashes.items():
            seen.owner.setdefault(("cpf", k), v)
        for k, v in cards.items():
            seen.owner.setdefault(("card", k), v)
        self._load_state(ctx, {*exts.values(), *hashes.values(), *cards.values()})
        out: list[Decision] = []
        for line, p in parsed:
            out.append(p if isinstance(p, Decision) else self._decide_row(ctx, line, p))
        return out

    def _load_state(self, ctx: Context, member_ids: set[str]) -> None:
        wanted = sorted(m for m in member_ids if m not in ctx.seen.state)
        cols = [getattr(Member, n) for n in _STATE]
        for part in chunks(wanted):
            stmt = select(Member.id, *cols).where(Member.id.in_(part))
            for r in ctx.session.execute(stmt):
                ctx.seen.state[r.id] = {n: getattr(r, n) for n in _STATE} | {"cards": set()}
        for part in chunks(wanted):
            for number, member in ctx.session.execute(
                select(Card.number, Card.member_id).where(Card.member_id.in_(part))
            ):
                ctx.seen.state[member]["cards"].add(number)

    def _decide_row(self, ctx: Context, line: Line, row: MemberRow) -> Decision:
        seen = ctx.seen
        keys = [("ext", row.ext)]
        if "cpf_hash" in row.values:
            keys.append(("cpf", row.values["cpf_hash"]))
        if row.card:
            keys.append(("card", row.card))
        owners = {k: seen.owner[k] for k in keys if k in seen.owner}
        distinct = sorted(set(owners.values()))
        if len(distinct) > 1:
            return ctx.reject(
                line,
                "conflict",
                "the external id, CPF and card of this row belong to different members ({members})",
                members=", ".join(distinct),
            )
        if not distinct:
            member_id = f"new:{line.number}"
            for k in keys:
                seen.owner[k] = member_id
            seen.state[member_id] = {n: row.values.get(n) for n in _STATE} | {
                "cards": {row.card} if row.card else set()
            }
            return Decision(line, Action.CREATE, row)
        member_id = distinct[0]
        state = seen.state.get(member_id, {"cards": set()})
        changes = {n: v for n, v in row.values.items() if state.get(n) != v}
        new_card = row.card if row.card and row.card not in state["cards"] else None
        by_ext = ("ext", row.ext) in owners
        if by_ext and not changes and not new_card:
            return Decision(line, Action.UNCHANGED)
        if ctx.options.on_duplicate is OnDuplicate.REPORT:
            if by_ext:
                return ctx.reject(
                    line,
                    "duplicate_external_id",
                    "external id {ext} was already imported with other data (member {member})",
                    ext=row.ext,
                    member=member_id,
                )
            if ("cpf", row.values.get("cpf_hash", "")) in owners:
                return ctx.reject(
                    line,
                    "duplicate_cpf",
                    "a member with this CPF already exists (member {member})",
                    member=member_id,
                )
            return ctx.reject(
                line,
                "duplicate_card",
                "a member with this card already exists (member {member})",
                member=member_id,
            )
        for k in keys:
            seen.owner[k] = member_id
        state.update(changes)
        if new_card:
            state["cards"].add(new_card)
        seen.state[member_id] = state
        payload = {
            "member_id": member_id,
            "row": row,
            "changes": changes,
            "new_key": not by_ext,
            "new_card": new_card,
        }
        return Decision(line, Action.UPDATE, payload)

    def write(self, ctx: Context, decisions: Sequence[Decision]) -> None:
        s, now = ctx.session, ctx.now
        creates = [d.payload for d in decisions if d.action is Action.CREATE]
        updates = [d.payload for d in decisions if d.action is Action.UPDATE]
        ids = reserve_ids(s, ID_WORKER, len(creates))
        real: dict[str, str] = {}
        tier = first_step(s) if creates else None
        members, keys, cards, consents = [], [], [], []
        for d, seq in zip([d for d in decisions if d.action is Action.CREATE], ids, strict=True):
            real[f"new:{d.line.number}"] = member_id_for(seq)
        card_rows: list[tuple[str, str]] = []
        for d in decisions:
            if d.action is Action.CREATE:
                row: MemberRow = d.payload
                mid = real[f"new:{d.line.number}"]
                v = row.values
                members.append(
                    {
                        "id": mid,
                        "name": v["name"],
                        "cpf_encrypted": ctx.cipher.encrypt(row.cpf, mid) if row.cpf else None,
                        "cpf_hash": v.get("cpf_hash"),
                        "phone": v.get("phone"),
                        "email": v.get("email"),
                        "birth_date": v.get("birth_date"),
                        "consent_terms": bool(v.get("consent_terms")),
                        "consent_terms_at": _at(row, "terms", now)
                        if v.get("consent_terms")
                        else None,
                        "consent_marketing": bool(v.get("consent_marketing")),
                        "consent_marketing_at": _marketing_at(row, now)
                        if v.get("consent_marketing")
                        else None,
                        "active": True,
                        "enrolled_store_id": v.get("enrolled_store_id"),
                        "created_at": now,
                        "updated_at": now,
                        "tier": tier,
                    }
                )
                keys.append(
                    {"kind": KIND, "external_id": row.ext, "target_id": mid, "run_id": ctx.run_id}
                )
                if row.card:
                    card_rows.append((row.card, mid))
                consents.extend(_consents(mid, row, now))
        update_rows = []
        for p in updates:
            mid = real.get(p["member_id"], p["member_id"])
            row = p["row"]
            if p["new_key"]:
                keys.append(
                    {"kind": KIND, "external_id": row.ext, "target_id": mid, "run_id": ctx.run_id}
                )
            if p["new_card"]:
                card_rows.append((p["new_card"], mid))
            if p["changes"]:
                update_rows.append((mid, row, p["changes"]))
                consents.extend(_consents(mid, row, now))
        seqs = iter(reserve_seqs(s, len(members) + len(card_rows) + len(update_rows)))
        for m in members:
            m["change_seq"] = next(seqs)
        write_rows(s, Member.__table__, members)
        for number, mid in card_rows:
            cards.append(
                {
                    "number": number,
                    "member_id": mid,
                    "status": CardStatus.ACTIVE,
                    "replaced_by": None,
                    "issued_at": now,
                    "updated_at": now,
                    "change_seq": next(seqs),
                }
            )
        write_rows(s, Card.__table__, cards)
        write_rows(s, ImportKey.__table__, keys)
        if consents:
            s.execute(insert(ConsentRecord.__table__), consents)
        for mid, row, changes in update_rows:
            values = dict(changes)
            if "cpf_hash" in changes and row.cpf:
                values["cpf_encrypted"] = ctx.cipher.encrypt(row.cpf, mid)
            if "consent_terms" in changes:
                values["consent_terms_at"] = _at(row, "terms", now)
            if "consent_marketing" in changes:
                values["consent_marketing_at"] = _marketing_at(row, now)
            values["updated_at"] = now
            values["change_seq"] = next(seqs)
            s.execute(
                update(Member.__table__).where(Member.__table__.c.id == bindparam("mid")),
                [{"mid": mid, **values}],
            )


def _at(row: MemberRow, purpose: str, now: dt.datetime) -> dt.datetime:
    for p, _, at in row.consents:
        if p == purpose:
            return at or now
    return now


def _marketing_at(row: MemberRow, now: dt.datetime) -> dt.datetime:
    times = [at for p, g, at in row.consents if p.startswith("marketing") and g and at]
    return min(times) if times else now


def _consents(member_id: str, row: MemberRow, now: dt.datetime) -> list[dict[str, Any]]:
    return [
        {
            "member_id": member_id,
            "purpose": p,
            "granted": g,
            "at": at or now,
            "channel": row.source,
            "terms_version": None,
        }
        for p, g, at in row.consents
    ]
