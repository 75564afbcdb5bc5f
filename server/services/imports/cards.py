"""Cards: card numbers of the old programme (or tillclub's own), each linked to a member.

A card already there for the same member is unchanged (or its status updated, with
``merge``); a card of another member is rejected in both modes: a card is never moved
silently. The till identifies an imported card through the normal card feed; a number with
an old prefix needs the prefix in the agents' ``identification.legacy_card_prefixes``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, update

from ...models import Card, CardStatus
from ...models.sync import reserve_seqs
from . import fields
from .cards_check import check_card, mask_card
from .copy import write_rows
from .errors import RowError
from .kinds import Action, Context, Decision
from .lookups import MemberRef, card_owners
from .report import OnDuplicate
from .source import Line

_STATUS = {
    "ativo": CardStatus.ACTIVE,
    "active": CardStatus.ACTIVE,
    "": CardStatus.ACTIVE,
    "bloqueado": CardStatus.BLOCKED,
    "blocked": CardStatus.BLOCKED,
    "substituido": CardStatus.REPLACED,
    "replaced": CardStatus.REPLACED,
}


class CardsImporter:
    required = ("numero",)
    aliases = {
        "number": "numero",
        "card": "numero",
        "cartao": "numero",
        "numero_cartao": "numero",
        "member_external_id": "cliente_id_externo",
        "cliente": "cliente_id_externo",
        "issued_at": "emitido_em",
        "emitido": "emitido_em",
        "situacao": "status",
    }

    def decide(self, ctx: Context, lines: Sequence[Line]) -> list[Decision]:
        parsed: list[Decision | tuple[str, tuple[str, str], CardStatus, dt.datetime | None]] = []
        for line in lines:
            c = line.cells
            try:
                if not c.get("numero"):
                    raise RowError("missing_field", "{column} is empty", column="numero")
                number = check_card(c["numero"], ctx.options)
                key = MemberRef.key(ctx, {k: v for k, v in c.items() if k != "cartao"})
                if key is None:
                    raise RowError(
                        "missing_field", "{column} is empty", column="cliente_id_externo / cpf"
                    )
                status = _STATUS.get(c.get("status", "").lower())
                if status is None:
                    raise RowError(
                        "bad_status",
                        "status: {value} is not ativo, bloqueado or substituido",
                        value=c["status"],
                    )
                issued = (
                    fields.moment(c["emitido_em"], "emitido_em", ctx.zone)
                    if c.get("emitido_em")
                    else None
                )
                parsed.append((number, key, status, issued))
            except RowError as exc:
                parsed.append(ctx.reject(line, exc.code, exc.message, **exc.values))
        good = [p for p in parsed if not isinstance(p, Decision)]
        members = MemberRef.resolve(ctx, [p[1] for p in good])
        owners = card_owners(
            ctx.session, [p[0] for p in good if ("card", p[0]) not in ctx.seen.owner]
        )
        for n, (m, st) in owners.items():
            ctx.seen.owner.setdefault(("card", n), m)
            ctx.seen.state.setdefault("card:" + n, {"status": st})
        out: list[Decision] = []
        for line, p in zip(lines, parsed, strict=True):
            if isinstance(p, Decision):
                out.append(p)
                continue
            number, key, status, issued = p
            member = members.get(key)
            if member is None:
                out.append(
                    ctx.reject(
                        line, "unknown_member", "no member with {key}", key=MemberRef.describe(key)
                    )
                )
                continue
            owner = ctx.seen.owner.get(("card", number))
            state = ctx.seen.state.get("card:" + number, {})
            if owner is None:
                ctx.seen.owner[("card", number)] = member
                ctx.seen.state["card:" + number] = {"status": status.value}
                out.append(Decision(line, Action.CREATE, (number, member, status, issued)))
            elif owner != member:
                out.append(
                    ctx.reject(
                        line,
                        "card_taken",
                        "card {card} belongs to another member ({member})",
                        card=mask_card(number),
                        member=owner,
                    )
                )
            elif state.get("status") == status.value:
                out.append(Decision(line, Action.UNCHANGED))
            elif ctx.options.on_duplicate is OnDuplicate.REPORT:
                out.append(
                    ctx.reject(
                        line,
                        "duplicate_card",
                        "a member with this card already exists (member {member})",
                        member=owner,
                    )
                )
            else:
                ctx.seen.state["card:" + number] = {"status": status.value}
                out.append(Decision(line, Action.UPDATE, (number, member, status, issued)))
        return out

    def write(self, ctx: Context, decisions: Sequence[Decision]) -> None:
        s, now = ctx.session, ctx.now
        creates = [d.payload for d in decisions if d.action is Action.CREATE]
        updates = [d.payload for d in decisions if d.action is Action.UPDATE]
        seqs = iter(reserve_seqs(s, len(creates) + len(updates)))
        rows: list[dict[str, Any]] = [
            {
                "number": n,
                "member_id": m,
                "status": st,
                "replaced_by": None,
                "issued_at": issued or now,
                "updated_at": now,
                "change_seq": next(seqs),
            }
            for n, m, st, issued in creates
        ]
        write_rows(s, Card.__table__, rows)
        t = Card.__table__
        if updates:
            s.execute(
                update(t).where(t.c.number == bindparam("n")),
                [
                    {"n": n, "status": st.value, "updated_at": now, "change_seq": next(seqs)}
                    for n, _, st, _ in updates
                ],
            )
