"""The importer's reads and id minting, one query per key per batch.

``find_members`` resolves what a row of any kind names a member by (external id, CPF, card)
to member ids, through what earlier lines decided (:class:`.kinds.Seen`) and then the
database. New member and ledger-entry ids come from the server's id counters
(``admin_id_counters``) in blocks, so a batch takes one counter update.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from loyalty.identification import mask_cpf

from ...models import AdminIdCounter, Card, ImportKey, Member
from .errors import RowError
from .kinds import Context, table_of

CHUNK = 900  # values per IN (...) list: below SQLite's old 999-variable limit


def chunks(values: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


def key_owners(session: Session, kind: str, external_ids: Iterable[str]) -> dict[str, str]:
    ids = sorted(set(external_ids))
    out: dict[str, str] = {}
    for part in chunks(ids):
        stmt = select(ImportKey.external_id, ImportKey.target_id).where(
            ImportKey.kind == kind, ImportKey.external_id.in_(part)
        )
        out.update({e: t for e, t in session.execute(stmt)})
    return out


def cpf_owners(session: Session, hashes: Iterable[str]) -> dict[str, str]:
    values = sorted(set(hashes))
    out: dict[str, str] = {}
    for part in chunks(values):
        stmt = select(Member.cpf_hash, Member.id).where(Member.cpf_hash.in_(part))
        out.update({h: m for h, m in session.execute(stmt) if h is not None})
    return out


def card_owners(session: Session, numbers: Iterable[str]) -> dict[str, tuple[str, str]]:
    """Card number -> (member id, status)."""
    values = sorted(set(numbers))
    out: dict[str, tuple[str, str]] = {}
    for part in chunks(values):
        stmt = select(Card.number, Card.member_id, Card.status).where(Card.number.in_(part))
        out.update({n: (m, s.value) for n, m, s in session.execute(stmt)})
    return out


def reserve_ids(session: Session, worker: str, count: int) -> range:
    """``count`` consecutive numbers of the server counter ``worker`` (locked until commit)."""
    if count <= 0:
        return range(0)
    module: Any = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(
        module.insert(table_of(AdminIdCounter))
        .values(worker=worker, next_seq=1)
        .on_conflict_do_nothing()
    )
    top = session.execute(
        update(AdminIdCounter)
        .where(AdminIdCounter.worker == worker)
        .values(next_seq=AdminIdCounter.next_seq + count)
        .returning(AdminIdCounter.next_seq)
    ).scalar_one()
    return range(top - count, top)


class MemberRef:
    """How a row of cards, balances or sales names its member: ``cliente_id_externo``, else
    ``cpf``, else ``cartao`` (the first one given)."""

    columns = ("cliente_id_externo", "cpf", "cartao")

    @staticmethod
    def key(ctx: Context, cells: dict[str, str]) -> tuple[str, str] | None:
        """``("ext", id)``, ``("cpf", hash)`` or ``("card", number)``; None if none is given.

        :raises RowError: ``bad_cpf`` for a CPF that is not valid.
        """
        from . import fields

        ext = cells.get("cliente_id_externo", "")
        if ext:
            return ("ext", ext)
        cpf = cells.get("cpf", "")
        if cpf:
            return ("cpf", ctx.cipher.lookup_hash(fields.cpf(cpf)))
        card = cells.get("cartao", "").replace(" ", "")
        if card:
            return ("card", card)
        return None

    @staticmethod
    def resolve(ctx: Context, keys: Iterable[tuple[str, str] | None]) -> dict[tuple[str, str], str]:
        """Each key -> member id, for the keys that name a member (earlier lines first)."""
        wanted = {k for k in keys if k is not None}
        out = {k: ctx.seen.owner[k] for k in wanted if k in ctx.seen.owner}
        rest = wanted - out.keys()
        exts = key_owners(ctx.session, "members", [v for t, v in rest if t == "ext"])
        cpfs = cpf_owners(ctx.session, [v for t, v in rest if t == "cpf"])
        cards = card_owners(ctx.session, [v for t, v in rest if t == "card"])
        for t, v in rest:
            found = (
                exts.get(v)
                if t == "ext"
                else cpfs.get(v)
                if t == "cpf"
                else cards.get(v, (None,))[0]
            )
            if found is not None:
                out[(t, v)] = found
        return out

    @staticmethod
    def describe(key: tuple[str, str]) -> str:
        t, v = key
        if t == "cpf":
            return "CPF"
        if t == "card":
            return "cartao ..." + v[-4:]
        return f"cliente_id_externo {v}"


def masked(cpf: str) -> str:
    return mask_cpf(cpf)


_ = RowError
