"""Pages for a signed-in shopper: home, digital card, statement, offers, rewards, privacy."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from flask import (
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from ..i18n.web import gettext as _
from ..i18n.web import language
from ..limits import limiter
from ..models import Member, MemberOffer
from ..models.portal import ConsentRecord
from ..services.offers import activate_offer
from . import lgpd, sessions, wallet
from .accounts import change_password
from .blueprint import bp, cipher, hours, login_required, now, state, uow
from .cards import ean13_svg, member_number, mint_windows, qr_svg
from .consents import current_consents, update_consents
from .errors import PortalError
from .forms import ActionForm, ConsentForm, DeleteForm, PasswordForm
from .settings import setting


def _password_checks() -> str:
    """Rate-limit key for pages that check the password of a signed-in member."""
    who = sessions.signed_in()
    return f"portal-member:{who.member_id if who else request.remote_addr or '-'}"


def _signin_limit() -> str:
    return str(setting("PORTAL_RATELIMIT_SIGNIN_PER_ID"))


def _notice_days() -> int:
    return int(current_app.config.get("EXPIRY_NOTICE_DAYS", 30))


def _me() -> str:
    who = sessions.signed_in()
    assert who is not None  # login_required ran
    return who.member_id


@bp.route("/")
@login_required
def home() -> ResponseReturnValue:
    at = now()
    with uow().reading() as s:
        rows = wallet.ledger_rows(s, _me())
        bal = wallet.balances(rows, at)
        soon = wallet.expiring(rows, at, _notice_days())
        offers = wallet.offers(s, _me(), at)
    waiting = sum(1 for o in offers if o.requires_activation and o.activated_at is None)
    return render_template("portal/home.html", bal=bal, waiting=waiting, expiring=soon)


@bp.route("/card")
@login_required
def card() -> ResponseReturnValue:
    with uow().reading() as s:
        found = member_number(s, _me(), str(setting("CARD_PREFIX")))
    barcode = ean13_svg(found[1]) if found else None
    return render_template(
        "portal/card.html", card_number=found[1] if found else None, barcode=barcode
    )


@bp.route("/card/tokens")
def card_tokens() -> ResponseReturnValue:
    """Pre-minted QR tokens for the next windows (JSON), fetched by the card page while online."""
    if sessions.signed_in() is None:
        return jsonify(
            {"code": "signed_out", "message": _("Sign in again to refresh your code.")}
        ), 401
    with uow().reading() as s:
        found = member_number(s, _me(), str(setting("CARD_PREFIX")))
    if found is None:
        return jsonify({"code": "no_card", "message": _("Your account has no active card.")}), 404
    at = now()
    try:
        windows = mint_windows(
            state().signing_key(),
            found[0],
            at,
            int(setting("PORTAL_QR_TOKENS")),
            dt.timedelta(seconds=int(setting("PORTAL_QR_STEP_SECONDS"))),
        )
    except PortalError as exc:
        return jsonify({"code": exc.code, "message": exc.message(language())}), 503
    response = jsonify(
        {
            "card_number": found[1],
            "fetched_at": at.isoformat(),
            "tokens": [
                {
                    "token": w.token,
                    "svg": qr_svg(w.token),
                    "not_before": w.not_before.isoformat(),
                    "expires_at": w.expires_at.isoformat(),
                }
                for w in windows
            ],
        }
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/statement")
@login_required
def statement() -> ResponseReturnValue:
    at = now()
    with uow().reading() as s:
        rows = wallet.ledger_rows(s, _me())
        bal = wallet.balances(rows, at)
        soon = wallet.expiring(rows, at, _notice_days())
        lines = wallet.statement(s, rows, _me())
    return render_template(
        "portal/statement.html",
        bal=bal,
        lines=[x for x in lines if x.kind != "mature"],
        expiring=soon,
    )


@bp.route("/offers")
@login_required
def offers() -> ResponseReturnValue:
    with uow().reading() as s:
        items = wallet.offers(s, _me(), now())
    return render_template("portal/offers.html", offers=items, form=ActionForm())


@bp.route("/offers/<offer_id>/activate", methods=["POST"])
@login_required
def activate(offer_id: str) -> ResponseReturnValue:
    with uow().reading() as s:
        live = {o.id: o for o in wallet.offers(s, _me(), now())}
        offer = s.get(MemberOffer, offer_id)
    if offer is None or offer.member_id != _me():
        abort(404)  # another member's offer is "not found", not "forbidden": no probing
    if offer_id not in live:
        flash(_("This offer has ended."))
        return redirect(url_for("portal.offers"))
    activate_offer(uow(), offer_id, "portal")
    flash(_("Offer activated: the offer price applies at the till from the next purchase."))
    return redirect(url_for("portal.offers") + f"#offer-{offer_id}")


@bp.route("/rewards")
@login_required
def rewards() -> ResponseReturnValue:
    at = now()
    with uow().reading() as s:
        vouchers = wallet.vouchers(s, _me(), at)
        raffles = wallet.raffles(s, _me(), at)
    return render_template("portal/rewards.html", vouchers=vouchers, raffles=raffles)


@bp.route("/privacy", methods=["GET", "POST"])
@login_required
def privacy() -> ResponseReturnValue:
    form = ConsentForm()
    message = None
    if request.method == "POST":
        done = update_consents(
            uow(),
            _me(),
            marketing_email=bool(form.marketing_email.data),
            marketing_sms=bool(form.marketing_sms.data),
            now=now(),
        )
        if not done.refused:
            flash(_("Your choices were saved.") if done.changed else _("Nothing changed."))
            return redirect(url_for("portal.privacy"))
        # The valid part is saved; each refused grant is shown next to its box.
        for refusal in done.refused:
            getattr(form, refusal.field or "marketing_email").errors = [refusal.message(language())]
        message = (
            _("Your other choices were saved; see the marked box.")
            if done.changed
            else _("Nothing changed; see the marked box.")
        )
    with uow().reading() as s:
        consents = current_consents(s, _me())
        history = list(
            s.scalars(
                select(ConsentRecord)
                .where(ConsentRecord.member_id == _me())
                .order_by(ConsentRecord.id.desc())
            )
        )
        m = s.get_one(Member, _me())
        profile = {
            "name": m.name,
            "email": m.email,
            "phone": m.phone,
            "birth_date": m.birth_date,
            "cpf": cipher().decrypt(m.cpf_encrypted, m.id) if m.cpf_encrypted else None,
        }
    if request.method == "GET":
        form.marketing_email.data = consents.get("marketing_email", False)
        form.marketing_sms.data = consents.get("marketing_sms", False)
    page = render_template(
        "portal/privacy.html",
        form=form,
        consents=consents,
        history=history,
        profile=profile,
        message=message,
        delete_form=DeleteForm(),
        action=ActionForm(),
    )
    return (page, 400) if message else page


@bp.route("/privacy/export.json")
@login_required
def export() -> ResponseReturnValue:
    with uow().reading() as s:
        data = lgpd.export(s, cipher(), _me(), now())
    body = json.dumps(data, ensure_ascii=False, indent=2)
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="meus-dados-{_me()}.json"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/privacy/delete", methods=["POST"])
@limiter.shared_limit(
    _signin_limit, scope="portal-password-check", key_func=_password_checks, methods=["POST"]
)
@login_required
def delete() -> ResponseReturnValue:
    form = DeleteForm()
    if not form.confirm.data:
        return render_template(
            "portal/error.html",
            title=_("Not deleted"),
            message=_("Tick the box to confirm that you want to delete your account."),
        ), 400
    try:
        lgpd.delete_account(uow(), _me(), form.password.data or "", now=now())
    except PortalError as exc:
        return render_template(
            "portal/error.html", title=_("Not deleted"), message=exc.message(language())
        ), 400
    sessions.forget_cookie()
    response = Response(render_template("portal/deleted.html"))
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


@bp.route("/password", methods=["GET", "POST"])
@limiter.shared_limit(
    _signin_limit, scope="portal-password-check", key_func=_password_checks, methods=["POST"]
)
@login_required
def password() -> ResponseReturnValue:
    form = PasswordForm()
    if request.method == "POST":
        try:
            sid = change_password(
                uow(),
                _me(),
                form.current.data or "",
                form.password.data or "",
                form.password_confirm.data or "",
                now=now(),
                session_hours=hours(),
            )
        except PortalError as exc:
            return render_template(
                "portal/password.html", form=form, message=exc.message(language())
            ), 400
        sessions.put_cookie(sid)
        flash(_("Password changed. Other devices were signed out."))
        return redirect(url_for("portal.home"))
    return render_template("portal/password.html", form=form, message=None)


@bp.route("/sw.js")
def service_worker() -> ResponseReturnValue:
    # Served from /portal/ (not /portal/static/) so its scope covers the card page.
    path = Path(bp.static_folder or "", "sw.js")
    response = Response(path.read_text(encoding="utf-8"), mimetype="text/javascript")
    response.headers["Service-Worker-Allowed"] = "/portal/"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/manifest.webmanifest")
def manifest() -> ResponseReturnValue:
    doc = {
        "name": _("Club card"),
        "short_name": _("Club"),
        "lang": language(),
        "start_url": url_for("portal.card"),
        "scope": url_for("portal.home"),
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0b5d3b",
        "icons": [
            {
                "src": url_for("portal.static", filename="icon.svg"),
                "sizes": "any",
                "type": "image/svg+xml",
            }
        ],
    }
    return Response(json.dumps(doc, ensure_ascii=False), mimetype="application/manifest+json")
