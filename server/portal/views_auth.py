"""Pages for joining, signing in and out, and resetting a forgotten password."""

from __future__ import annotations

import logging
import re
import smtplib

from flask import current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from ..i18n.web import gettext as _
from ..i18n.web import language
from ..limits import limiter
from . import sessions
from .accounts import CardPlan, SignUp
from .accounts import sign_in as do_sign_in
from .accounts import sign_out as do_sign_out
from .accounts import sign_up as do_sign_up
from .blueprint import bp, cipher, hours, now, safe_next, uow
from .errors import PortalError
from .forms import ActionForm, ResetForm, ResetRequestForm, SignInForm, SignUpForm
from .mailer import send_mail
from .reset import check_token, complete_reset, request_reset
from .settings import setting

log = logging.getLogger("tillclub.server.portal")


def _addr() -> str:
    return f"portal-addr:{request.remote_addr or '-'}"


def _signin_id() -> str:
    raw = (request.form.get("identifier") or "").strip().lower()
    key = raw if "@" in raw else re.sub(r"\D", "", raw)
    return f"portal-signin:{key or '-'}"


def _reset_id() -> str:
    return f"portal-reset:{(request.form.get('email') or '').strip().lower() or '-'}"


def _refusal(exc: PortalError) -> str:
    return exc.message(language())


@bp.route("/join", methods=["GET", "POST"])
@limiter.limit(lambda: str(setting("PORTAL_RATELIMIT_SIGNUP")), key_func=_addr, methods=["POST"])
def sign_up() -> ResponseReturnValue:
    form = SignUpForm()
    error: PortalError | None = None
    if request.method == "POST":
        data = SignUp(
            cpf=form.cpf.data or "",
            name=form.name.data or "",
            email=form.email.data,
            phone=form.phone.data,
            birth_date=form.birth_date.data or "",
            password=form.password.data or "",
            password_confirm=form.password_confirm.data or "",
            consent_terms=bool(form.consent_terms.data),
            consent_email=bool(form.consent_email.data),
            consent_sms=bool(form.consent_sms.data),
            card_number=form.card_number.data,
        )
        try:
            joined = do_sign_up(
                uow(),
                cipher(),
                data,
                now=now(),
                cards=CardPlan(
                    str(setting("CARD_PREFIX")), int(setting("PORTAL_CARD_NUMBER_BASE"))
                ),
                terms_version=str(setting("PORTAL_TERMS_VERSION")),
                session_hours=hours(),
            )
        except PortalError as exc:
            error = exc
        else:
            sessions.put_cookie(joined.session_id)
            flash(
                _("Welcome! Your card is ready.")
                if not joined.claimed
                else _("Welcome back! Your store card is now linked to this account.")
            )
            return redirect(url_for("portal.card"))
    form.password.data = form.password_confirm.data = ""
    status = 400 if error else 200
    return render_template(
        "portal/join.html", form=form, error=error, message=_refusal(error) if error else None
    ), status


@bp.route("/signin", methods=["GET", "POST"])
@limiter.limit(
    lambda: str(setting("PORTAL_RATELIMIT_SIGNIN")),
    key_func=_addr,
    methods=["POST"],
    scope="portal-signin-addr",
)
@limiter.limit(
    lambda: str(setting("PORTAL_RATELIMIT_SIGNIN_PER_ID")),
    key_func=_signin_id,
    methods=["POST"],
    scope="portal-signin-id",
)
def sign_in() -> ResponseReturnValue:
    form = SignInForm()
    message = None
    if request.method == "POST":
        try:
            sid = do_sign_in(
                uow(),
                cipher(),
                form.identifier.data or "",
                form.password.data or "",
                now=now(),
                session_hours=hours(),
            )
        except PortalError as exc:
            message = _refusal(exc)
        else:
            sessions.put_cookie(sid)
            return redirect(safe_next(request.args.get("next")))
    elif request.args.get("expired"):
        message = _("Your session has ended. Please sign in again.")
    form.password.data = ""
    return render_template(
        "portal/signin.html", form=form, message=message
    ), 401 if message else 200


@bp.route("/signout", methods=["POST"])
def sign_out() -> ResponseReturnValue:
    ActionForm()
    sid = sessions.cookie_sid()
    if sid is not None:
        do_sign_out(uow(), sid, now=now())
    sessions.forget_cookie()
    response = redirect(url_for("portal.sign_in"))
    # Drop the cached card page and the pre-minted QR codes from this phone.
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit(
    lambda: str(setting("PORTAL_RATELIMIT_RESET")),
    key_func=_addr,
    methods=["POST"],
    scope="portal-reset-addr",
)
@limiter.limit(
    lambda: str(setting("PORTAL_RATELIMIT_RESET")),
    key_func=_reset_id,
    methods=["POST"],
    scope="portal-reset-id",
)
def reset_request() -> ResponseReturnValue:
    form = ResetRequestForm()
    if request.method == "POST":
        try:
            link = request_reset(
                uow(),
                form.email.data or "",
                now=now(),
                ttl_minutes=int(setting("PORTAL_RESET_TTL_MINUTES")),
            )
        except PortalError as exc:
            return render_template(
                "portal/reset_request.html", form=form, message=_refusal(exc)
            ), 400
        if link is not None:
            _send_reset(link.email, link.name, link.token)
        return render_template("portal/reset_sent.html"), 200
    return render_template("portal/reset_request.html", form=form, message=None), 200


def _send_reset(email: str, name: str, token: str) -> None:
    base = setting("PORTAL_BASE_URL") or request.host_url
    url = base.rstrip("/") + url_for("portal.reset_form", token=token)
    minutes = int(setting("PORTAL_RESET_TTL_MINUTES"))
    body = _(
        "Hello {name},\n\nTo choose a new password for your club account, open this link "
        "(valid for {minutes} minutes, once):\n\n{url}\n\nIf you did not ask for it, ignore "
        "this message: your password stays the same.\n",
        name=name,
        minutes=minutes,
        url=url,
    )
    try:
        send_mail(
            current_app._get_current_object(),  # type: ignore[attr-defined]
            email,
            _("Reset your club password"),
            body,
        )
    except (OSError, smtplib.SMTPException) as exc:
        # The page answers the same either way (no account discovery); operators see the log.
        log.error("password reset e-mail not sent", extra={"error": type(exc).__name__})


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit(
    lambda: str(setting("PORTAL_RATELIMIT_RESET")),
    key_func=_addr,
    methods=["POST"],
    scope="portal-reset-done",
)
def reset_form(token: str) -> ResponseReturnValue:
    form = ResetForm()
    try:
        if request.method == "POST":
            complete_reset(
                uow(), token, form.password.data or "", form.password_confirm.data or "", now=now()
            )
            sessions.forget_cookie()
            flash(_("Your password was changed. Sign in with the new one."))
            return redirect(url_for("portal.sign_in"))
        check_token(uow(), token, now=now())
    except PortalError as exc:
        if exc.code == "reset_invalid":
            return render_template(
                "portal/error.html", title=_("Link not valid"), message=_refusal(exc)
            ), 400
        return render_template(
            "portal/reset_form.html", form=form, token=token, message=_refusal(exc)
        ), 400
    return render_template("portal/reset_form.html", form=form, token=token, message=None), 200
