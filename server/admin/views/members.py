"""Member search, the member page, adjustments and card block/replace."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from loyalty.identification import mask_cpf
from loyalty.identification.cpf import looks_like_cpf

from ... import clock
from ...i18n.web import gettext as _
from ...security import CpfCipher
from ...services import adjustments, cards, members
from ...services.roles import Perm
from .. import bp, uow
from ..access import current, require
from ..forms import AdjustForm, ReplaceCardForm


def _cipher() -> CpfCipher:
    cipher: CpfCipher = current_app.extensions["tillclub.cpf"]
    return cipher


@bp.route("/members", methods=["GET", "POST"], endpoint="members")
@require(Perm.MEMBERS_READ)
def members_list() -> str:
    # The search form POSTs: a CPF, card number, phone or e-mail typed into it never reaches
    # a URL, so no web server's or proxy's access log, nor the browser history, records it.
    # GET ?q= still works (links, bookmarks of a name); the log filter masks what it carries.
    source = request.form if request.method == "POST" else request.args
    q = source.get("q", "")
    page = max(1, source.get("page", 1, type=int) or 1)
    per_page = int(current_app.config["ADMIN_PAGE_SIZE"])
    error = None
    result = None
    with uow().reading() as s:
        try:
            result = members.search(
                s, _cipher(), q, page=page, per_page=per_page, stores=current().stores
            )
        except members.MemberError as exc:
            error = _(exc.message, **exc.values)
    pages = max(1, -(-result.total // per_page)) if result else 1

    def args(p: int) -> str:
        return urlencode({"q": q, "page": p})

    status = 200 if error is None else 400
    # A CPF is never written back into the page whole, not even into the search box.
    shown = mask_cpf(q) if looks_like_cpf(q.strip()) else q
    return render_template(
        "admin/members.html",
        q=shown,
        # the pager re-posts the query; a CPF (one member at most) is never echoed back
        repost=None if looks_like_cpf(q.strip()) else q,
        posted=request.method == "POST",
        result=result,
        error=error,
        page=page,
        pages=pages,
        args=args,
    ), status  # type: ignore[return-value]


def _page(
    member_id: str,
    adjust_form: AdjustForm | None = None,
    replace_form: ReplaceCardForm | None = None,
    status: int = 200,
) -> tuple[str, int]:
    admin = current()
    with uow().reading() as s:
        if not members.visible_to(s, member_id, admin.stores):
            abort(403)
        page = members.member_page(
            s,
            _cipher(),
            member_id,
            at=clock.now(),
            stores=admin.stores,
            notice_days=int(current_app.config.get("EXPIRY_NOTICE_DAYS", 30)),
        )
        if page is None:
            abort(404)
        html = render_template(
            "admin/member.html",
            p=page,
            adjust_form=adjust_form or AdjustForm(formdata=None),
            replace_form=replace_form or ReplaceCardForm(formdata=None),
        )
    return html, status


@bp.get("/members/<member_id>")
@require(Perm.MEMBERS_READ)
def member(member_id: str) -> tuple[str, int]:
    return _page(member_id)


@bp.post("/members/<member_id>/adjust")
@require(Perm.MEMBERS_WRITE)
def member_adjust(member_id: str) -> Response | tuple[str, int]:
    form = AdjustForm()
    if not form.validate_on_submit():
        return _page(member_id, adjust_form=form, status=400)
    try:
        entry = adjustments.adjust(
            uow(),
            member_id,
            form.currency.data or "",
            form.amount.data or "",
            form.reason.data or "",
            actor=current().email,
            now=clock.now(),
        )
    except members.MemberError as exc:
        target = getattr(form, exc.field or "", None)
        message = _(exc.message, **exc.values)
        if target is not None:
            target.errors = [message]
        else:
            flash(message, "error")
        return _page(member_id, adjust_form=form, status=400)
    flash(_("Adjustment recorded: {entry}", entry=entry.entry_id), "ok")
    return redirect(url_for("admin.member", member_id=member_id))


@bp.post("/members/<member_id>/cards/<number>/block")
@require(Perm.MEMBERS_WRITE)
def card_block(member_id: str, number: str) -> Response | tuple[str, int]:
    try:
        cards.block_card(uow(), number, member_id=member_id, actor=current().email, now=clock.now())
    except members.CardNotFound:
        abort(404)
    except members.MemberError as exc:
        flash(_(exc.message, **exc.values), "error")
        return _page(member_id, status=400)
    flash(_("Card blocked."), "ok")
    return redirect(url_for("admin.member", member_id=member_id))


@bp.post("/members/<member_id>/cards/<number>/replace")
@require(Perm.MEMBERS_WRITE)
def card_replace(member_id: str, number: str) -> Response | tuple[str, int]:
    form = ReplaceCardForm()
    if not form.validate_on_submit():
        return _page(member_id, replace_form=form, status=400)
    try:
        cards.replace_card(
            uow(),
            number,
            form.new_number.data or "",
            member_id=member_id,
            actor=current().email,
            now=clock.now(),
        )
    except members.CardNotFound:
        abort(404)
    except members.MemberError as exc:
        form.new_number.errors = [_(exc.message, **exc.values)]
        return _page(member_id, replace_form=form, status=400)
    flash(_("Card replaced."), "ok")
    return redirect(url_for("admin.member", member_id=member_id))
