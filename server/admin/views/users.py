"""Admin users: the list with lock state (admins and auditors); create, deactivate, unlock, set
a new password (which, as deactivating, ends every session of that user): admins only."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ... import clock
from ...i18n.web import gettext as _
from ...services import admin_accounts as accounts
from ...services.roles import Perm
from .. import bp, uow
from ..access import current, require
from ..forms import UserForm


def _page(form: UserForm | None = None, status: int = 200) -> tuple[str, int]:
    with uow().reading() as s:
        rows = accounts.list_users(s)
        html = render_template(
            "admin/users.html", rows=rows, form=form or UserForm(formdata=None), now=clock.now()
        )
    return html, status


@bp.get("/users", endpoint="users")
@require(Perm.USERS_READ)
def users_page() -> tuple[str, int]:
    return _page()


@bp.post("/users")
@require(Perm.USERS_WRITE)
def user_create() -> Response | tuple[str, int]:
    form = UserForm()
    if not form.validate_on_submit():
        return _page(form, 400)
    stores = tuple(x.strip() for x in (form.stores.data or "").split(",") if x.strip())
    try:
        accounts.create_admin(
            uow(),
            form.email.data or "",
            form.password.data or "",
            role=form.role.data or "",
            name=form.name.data or "",
            store_ids=stores,
            actor=current().email,
            now=clock.now(),
        )
    except accounts.AccountError as exc:
        field = getattr(form, exc.field or "email", form.email)
        field.errors = [_(exc.message, **exc.values)]
        return _page(form, 400)
    flash(_("User created."), "ok")
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/<any(activate, deactivate, unlock):action>")
@require(Perm.USERS_WRITE)
def user_action(user_id: int, action: str) -> Response:
    try:
        if action == "unlock":
            accounts.unlock(uow(), user_id, actor=current().email)
        else:
            accounts.set_active(
                uow(), user_id, action == "activate", actor=current().email, now=clock.now()
            )
    except accounts.AccountError as exc:
        flash(_(exc.message, **exc.values), "error")
    else:
        flash(_("Done."), "ok")
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/password")
@require(Perm.USERS_WRITE)
def user_password(user_id: int) -> Response:
    try:
        ended = accounts.set_password(
            uow(),
            user_id,
            request.form.get("new_password", ""),
            actor=current().email,
            now=clock.now(),
        )
    except accounts.AccountError as exc:
        flash(_(exc.message, **exc.values), "error")
    else:
        flash(_("Password changed; {n} session(s) of the user ended.", n=ended), "ok")
    return redirect(url_for("admin.users"))
