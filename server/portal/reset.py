"""Password reset by a one-time link sent by e-mail.

The token is 256 random bits; only its SHA-256 is stored, with an expiry. Using it sets the
password, ends every session and spends every outstanding token of that member. Asking for a
link answers the same whether or not the e-mail has an account (no account discovery).
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from sqlalchemy import select, update

from ..models import Member
from ..models.portal import PasswordResetToken, PortalAccount
from ..security import sha256_hex
from ..services.uow import SqlUnitOfWork
from .accounts import set_password
from .errors import PortalError
from .fields import clean_email
from .passwords import check_new_password


@dataclass(frozen=True)
class ResetLink:
    email: str
    name: str
    token: str


def request_reset(
    uow: SqlUnitOfWork, raw_email: str, *, now: dt.datetime, ttl_minutes: int
) -> ResetLink | None:
    """A new token for the account with this e-mail, or ``None`` if there is none.

    :raises PortalError: for text that is not an e-mail address.
    """
    email = clean_email(raw_email)
    if email is None:
        raise PortalError("email_invalid", "type your e-mail address", "digite seu e-mail", "email")
    with uow:
        account = uow.session.scalar(
            select(PortalAccount).where(PortalAccount.login_email == email)
        )
        if account is None or account.deleted_at is not None:
            return None
        member = uow.session.get_one(Member, account.member_id)
        token = secrets.token_urlsafe(32)
        uow.session.add(
            PasswordResetToken(
                token_hash=sha256_hex(token),
                member_id=account.member_id,
                created_at=now,
                expires_at=now + dt.timedelta(minutes=ttl_minutes),
                used_at=None,
            )
        )
        uow.audit(
            "member", account.member_id, "portal.reset_requested", "member", account.member_id
        )
        uow.commit()
        return ResetLink(email, member.name, token)


def _usable(uow: SqlUnitOfWork, token: str, now: dt.datetime) -> PasswordResetToken:
    row = uow.session.get(PasswordResetToken, sha256_hex(token))
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise PortalError(
            "reset_invalid",
            "this reset link is invalid, used or expired: ask for a new one",
            "este link de redefinição é inválido, já foi usado ou expirou: peça outro",
        )
    account = uow.session.get(PortalAccount, row.member_id)
    if account is None or account.deleted_at is not None:
        raise PortalError(
            "reset_invalid",
            "this reset link is invalid, used or expired: ask for a new one",
            "este link de redefinição é inválido, já foi usado ou expirou: peça outro",
        )
    return row


def check_token(uow: SqlUnitOfWork, token: str, *, now: dt.datetime) -> None:
    """:raises PortalError: unknown, used or expired token."""
    with uow:
        _usable(uow, token, now)


def complete_reset(
    uow: SqlUnitOfWork, token: str, password: str, confirm: str, *, now: dt.datetime
) -> str:
    """Set the new password from a valid link; returns the member id (who then signs in).

    :raises PortalError: a bad link or an unacceptable password (the link stays usable then).
    """
    with uow:
        row = _usable(uow, token, now)
        account = uow.session.get_one(PortalAccount, row.member_id)
        member = uow.session.get_one(Member, row.member_id)
        check_new_password(password, confirm, avoid=(account.login_email, member.phone))
        set_password(uow, row.member_id, password, now=now)
        uow.session.execute(
            update(PasswordResetToken)
            .where(
                PasswordResetToken.member_id == row.member_id, PasswordResetToken.used_at.is_(None)
            )
            .values(used_at=now)
        )
        uow.audit("member", row.member_id, "portal.reset_done", "member", row.member_id)
        uow.commit()
        return row.member_id
