"""Terminal lifecycle: head office registers a terminal (a one-time registration code), the
till completes its registration (code -> credential), revoke, auth."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from .. import clock
from ..models import Store, Terminal, TerminalStatus
from ..security import (
    credential_matches,
    new_credential,
    new_registration_code,
    normalize_registration_code,
    parse_credential,
    sha256_hex,
)
from ..timezones import is_zone
from .uow import SqlUnitOfWork


class TerminalError(ValueError):
    """A terminal command that cannot be carried out; the message names the bad value."""


@dataclass(frozen=True)
class Registration:
    terminal_id: str
    store_id: str
    registration_code: str
    expires_at: dt.datetime


@dataclass(frozen=True)
class Registered:
    """A till's completed registration: its ids and credential (shown once)."""

    terminal_id: str
    store_id: str
    credential: str
    store_timezone: str | None = None  # the store's own zone (master data; None: not set)


@dataclass(frozen=True)
class TerminalIdentity:
    terminal_id: str
    store_id: str


class UnknownTimeZone(TerminalError):
    """A store time zone that is not an IANA name ``zoneinfo`` knows."""

    def __init__(self, zone: str) -> None:
        super().__init__(f"unknown time zone {zone!r} (use an IANA name such as America/Manaus)")
        self.zone = zone


def add_store(
    uow: SqlUnitOfWork,
    store_id: str,
    name: str,
    *,
    timezone: str | None = None,
    actor: str = "cli",
    from_web: bool = False,
) -> None:
    """:param timezone: the store's IANA zone (master data). The CLI and the web pass the
        chain's ``chain_time_zone`` when head office gives none; ``None`` leaves it unset, as
        for stores made before the column existed (the campaigns' zones then apply).
    :param from_web: the head-office user ``actor`` did it in the web: its one audit row is
        theirs (``admin:<e-mail>``, before and after); otherwise the one row is the CLI's.
    :raises UnknownTimeZone: ``timezone`` is no IANA zone (nothing is written).
    :raises TerminalError: if the store id exists already or is not 1-32 safe characters.

    .. versionchanged:: issue 28
        ``timezone``.
    """
    if timezone is not None and not is_zone(timezone):
        raise UnknownTimeZone(timezone)
    if not store_id or len(store_id) > 32 or not all(c.isalnum() or c in "_-" for c in store_id):
        raise TerminalError(
            f"store id must be 1-32 characters of A-Z, a-z, 0-9, '_', '-': {store_id!r}"
        )
    with uow:
        if uow.session.get(Store, store_id) is not None:
            raise TerminalError(f"store {store_id!r} exists already")
        uow.session.add(
            Store(id=store_id, name=name, active=True, created_at=clock.now(), timezone=timezone)
        )
        if from_web:
            after = {"id": store_id, "name": name, "timezone": timezone}
            uow.audit_change(actor, "store.create", "store", store_id, after=after)
        else:
            uow.audit("cli", actor, "store.add", "store", store_id, name=name, timezone=timezone)
        uow.commit()


def set_store_timezone(
    uow: SqlUnitOfWork, store_id: str, timezone: str, *, actor: str = "cli", from_web: bool = False
) -> bool:
    """Set a store's time zone (master data). The store's tills get it on their next pull and
    price with it; re-pricing and the simulation use it for sales from then on.

    :param from_web: as :func:`add_store`.
    :returns: whether it changed (an unchanged zone writes nothing, not even an audit row).
    :raises UnknownTimeZone: ``timezone`` is no IANA zone (nothing is written).
    :raises TerminalError: an unknown store.
    """
    if not is_zone(timezone):
        raise UnknownTimeZone(timezone)
    with uow:
        store = uow.session.get(Store, store_id)
        if store is None:
            raise TerminalError(f"unknown store {store_id!r}")
        before = store.timezone
        if before == timezone:
            return False
        store.timezone = timezone
        if from_web:
            uow.audit_change(
                actor,
                "store.timezone",
                "store",
                store_id,
                before={"timezone": before},
                after={"timezone": timezone},
            )
        else:
            uow.audit("cli", actor, "store.timezone", "store", store_id, timezone=timezone)
        uow.commit()
    return True


def register_terminal(
    uow: SqlUnitOfWork,
    store_id: str,
    name: str,
    *,
    ttl_hours: int,
    actor: str = "cli",
    from_web: bool = False,
) -> Registration:
    """Create a pending terminal and a one-time registration code (only its hash is kept).

    :param from_web: as :func:`add_store`.
    :raises TerminalError: for an unknown or inactive store.
    """
    code = new_registration_code()
    now = clock.now()
    terminal_id = "T" + secrets.token_hex(6).upper()
    with uow:
        store = uow.session.get(Store, store_id)
        if store is None or not store.active:
            raise TerminalError(
                f"unknown store {store_id!r} (add it with 'tillclub server add-store')"
            )
        expires = now + dt.timedelta(hours=ttl_hours)
        uow.session.add(
            Terminal(
                id=terminal_id,
                store_id=store_id,
                name=name,
                status=TerminalStatus.PENDING,
                registration_code_hash=sha256_hex(normalize_registration_code(code)),
                registration_expires_at=expires,
                created_at=now,
            )
        )
        if from_web:
            after = {"store_id": store_id, "name": name, "status": "pending"}
            uow.audit_change(actor, "terminal.register", "terminal", terminal_id, after=after)
        else:
            uow.audit(
                "cli", actor, "terminal.register", "terminal", terminal_id, store_id=store_id,
                name=name,
            )  # fmt: skip
        uow.commit()
    return Registration(terminal_id, store_id, code, expires)


def complete_registration(uow: SqlUnitOfWork, code: str) -> Registered | None:
    """Exchange a valid, unexpired, unused registration code for a new credential, or ``None``."""
    code_hash = sha256_hex(normalize_registration_code(code))
    now = clock.now()
    with uow:
        terminal = uow.session.scalars(
            select(Terminal).where(Terminal.registration_code_hash == code_hash).with_for_update()
        ).one_or_none()
        if (
            terminal is None
            or terminal.status is not TerminalStatus.PENDING
            or terminal.registration_expires_at is None
            or terminal.registration_expires_at < now
        ):
            return None
        credential = new_credential(terminal.id)
        terminal.credential_hash = sha256_hex(credential.secret)
        terminal.registration_code_hash = None  # one use only
        terminal.registration_expires_at = None
        terminal.status = TerminalStatus.ACTIVE
        terminal.registered_at = now
        uow.audit("terminal", terminal.id, "terminal.activate", "terminal", terminal.id)
        store = uow.session.get(Store, terminal.store_id)
        zone = store.timezone if store is not None else None
        uow.commit()
        return Registered(terminal.id, terminal.store_id, str(credential), zone)


def revoke_terminal(
    uow: SqlUnitOfWork, terminal_id: str, *, actor: str = "cli", from_web: bool = False
) -> None:
    """Revoke a terminal: its credential (and any unused code) stops working at once.

    :param from_web: as :func:`add_store`.
    :raises TerminalError: for an unknown terminal.
    """
    with uow:
        terminal = uow.session.get(Terminal, terminal_id)
        if terminal is None:
            raise TerminalError(f"unknown terminal {terminal_id!r}")
        before = terminal.status.value
        terminal.status = TerminalStatus.REVOKED
        terminal.revoked_at = clock.now()
        terminal.registration_code_hash = None
        if from_web:
            uow.audit_change(
                actor,
                "terminal.revoke",
                "terminal",
                terminal_id,
                before={"status": before},
                after={"status": "revoked"},
            )
        else:
            uow.audit("cli", actor, "terminal.revoke", "terminal", terminal_id)
        uow.commit()


def list_terminals(s: Session) -> list[Terminal]:
    """Every terminal, by store and name (``tillclub server list-terminals``)."""
    return list(s.scalars(select(Terminal).order_by(Terminal.store_id, Terminal.name)))


class AuthFailure(Exception):
    def __init__(self, revoked: bool) -> None:
        super().__init__("revoked" if revoked else "bad credential")
        self.revoked = revoked


def authenticate(uow: SqlUnitOfWork, header: str | None) -> TerminalIdentity:
    """The terminal behind an ``Authorization: Bearer tc1.…`` header.

    :raises AuthFailure: missing, malformed, unknown or wrong credential; ``revoked`` set when the
        credential was right but the terminal has been revoked.
    """
    if not header or not header.startswith("Bearer "):
        raise AuthFailure(False)
    credential = parse_credential(header[len("Bearer ") :].strip())
    if credential is None:
        raise AuthFailure(False)
    now = clock.now()
    with uow:
        terminal = uow.session.get(Terminal, credential.terminal_id)
        if terminal is None or not credential_matches(credential, terminal.credential_hash):
            raise AuthFailure(False)
        if terminal.status is not TerminalStatus.ACTIVE:
            raise AuthFailure(True)
        identity = TerminalIdentity(terminal.id, terminal.store_id)
        if terminal.last_seen_at is None or now - terminal.last_seen_at > dt.timedelta(minutes=1):
            # Coarse on purpose: one write a minute per terminal, not one per request.
            uow.session.execute(
                update(Terminal).where(Terminal.id == terminal.id).values(last_seen_at=now)
            )
            uow.commit()
    return identity
