"""Log in, log out, and the start page."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ... import clock
from ...i18n.web import gettext as _
from ...limits import limiter
from ...services.admin_accounts import authenticate
from ...services.roles import Perm
from .. import bp, uow
from ..access import end_session, login_required, start_session
from ..forms import LoginForm

TILES = (
    ("Members", "admin.members", Perm.MEMBERS_READ),
    ("Campaigns", "admin.campaigns", Perm.CAMPAIGNS_READ),
    ("Vouchers", "admin.vouchers", Perm.VOUCHERS_READ),
    ("Stores", "admin.stores", Perm.STORES_READ),
    ("Reports", "admin.reports", Perm.REPORTS_READ),
    ("Segments", "admin.segments", Perm.SEGMENTS_READ),
    ("Jobs", "admin.jobs", Perm.JOBS_READ),
    ("Audit log", "admin.audit_log", Perm.AUDIT_READ),
    ("Users", "admin.users", Perm.USERS_READ),
)


def _safe_next(target: str | None) -> str:
    # Only paths inside the admin UI: never an open redirect to another site.
    if (
        target
        and target.startswith("/admin/")
        and not urlsplit(target).netloc
        and not target.startswith("//")
    ):
        return target
    return url_for("admin.home")


def _login_limit() -> str:
    return str(current_app.config["ADMIN_LOGIN_RATE_LIMIT"])


def _by_address() -> str:
    return f"admin-login:{request.remote_addr or '-'}"


@bp.route("/login", methods=["GET", "POST"])
# Lockout protects one account; this limits one address trying many accounts.
@limiter.limit(_login_limit, key_func=_by_address, methods=["POST"])
def login() -> str | Response | tuple[str, int]:
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        cfg = current_app.config
        outcome = authenticate(
            uow(),
            form.email.data or "",
            form.password.data or "",
            now=clock.now(),
            threshold=int(cfg["ADMIN_LOCKOUT_THRESHOLD"]),
            lock_minutes=int(cfg["ADMIN_LOCKOUT_MINUTES"]),
        )
        user_id = outcome.user.id if outcome.user else None
        if user_id is not None:
            start_session(user_id)
            return redirect(_safe_next(request.args.get("next")))
        error = _(
            "E-mail or password not accepted. After {n} failed attempts the account is locked for {m} minutes.",  # noqa: E501
            n=cfg["ADMIN_LOCKOUT_THRESHOLD"],
            m=cfg["ADMIN_LOCKOUT_MINUTES"],
        )
        return render_template("admin/login.html", form=form, error=error), 401
    return render_template("admin/login.html", form=form, error=error)


@bp.post("/logout")
def logout() -> Response:
    end_session()
    flash(_("You have logged out."), "ok")
    return redirect(url_for("admin.login"))


@bp.get("/")
@login_required
def home() -> str:
    return render_template("admin/home.html", tiles=TILES)
