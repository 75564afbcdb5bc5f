"""Stores and terminals: list, create a store, register and revoke terminals."""

from __future__ import annotations

import shlex

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ...i18n.web import gettext as _
from ...models import Store, Terminal
from ...services import stores
from ...services.roles import Perm
from ...services.terminals import (
    TerminalError,
    UnknownTimeZone,
    add_store,
    register_terminal,
    revoke_terminal,
    set_store_timezone,
)
from ...timezones import BRAZIL_ZONES
from .. import bp, uow
from ..access import current, refused, require, require_store
from ..forms import StoreForm, StoreZoneForm, TerminalForm

# The agent CLI's default ``--config`` (``agent/cli_commands.py``; the server does not import
# the agent, a test pins the two together).
AGENT_CONFIG = "/etc/tillclub/agent.toml"


def register_command(server_url: str, code: str) -> str:
    """The line the store runs on the till to register it: the real ``tillclub agent
    register`` with this server's URL and the one-time code filled in, shell-quoted."""
    words = ["tillclub", "agent", "register", "--config", AGENT_CONFIG]
    words += ["--server", server_url.rstrip("/"), "--code", code]
    return shlex.join(words)


def _render(form: StoreForm | None = None, status: int = 200) -> tuple[str, int]:
    with uow().reading() as s:
        rows = stores.list_stores(s, current().stores)
    html = render_template(
        "admin/stores.html",
        rows=rows,
        form=form or StoreForm(formdata=None),
        tform=TerminalForm(formdata=None),
        zones=BRAZIL_ZONES,
        chain_zone=current_app.config["CHAIN_TIME_ZONE"],
    )
    return html, status


@bp.get("/stores", endpoint="stores")
@require(Perm.STORES_READ)
def stores_page() -> tuple[str, int]:
    return _render()


@bp.post("/stores")
@require(Perm.STORES_WRITE)
def store_create() -> Response | tuple[str, int]:
    form = StoreForm()
    if not form.validate_on_submit():
        return _render(form, 400)
    store_id, name = form.store_id.data or "", form.name.data or ""
    zone = form.timezone.data or str(current_app.config["CHAIN_TIME_ZONE"])
    try:
        add_store(uow(), store_id, name, timezone=zone, actor=current().email, from_web=True)
    except UnknownTimeZone:  # the form checked it; a race with nothing, kept for safety
        refused("store.create", "store", store_id, f"unknown time zone {zone}")
        form.timezone.errors = [
            _("Unknown time zone {zone}: use an IANA name such as America/Manaus.", zone=zone)
        ]  # noqa: E501
        return _render(form, 400)
    except TerminalError as exc:
        refused("store.create", "store", store_id, str(exc))
        form.store_id.errors = [_("Store {id} exists already.", id=store_id)]
        return _render(form, 400)
    flash(_("Store {id} created.", id=store_id), "ok")
    return redirect(url_for("admin.stores"))


def _zone_form(row: Store) -> StoreZoneForm:
    form = StoreZoneForm(formdata=None)
    form.timezone.data = row.timezone or ""
    return form


def _store_page(
    store_id: str, *, zform: StoreZoneForm | None = None, status: int = 200
) -> tuple[str, int]:
    with uow().reading() as s:
        row = s.get(Store, store_id)
        if row is None:
            abort(404)
        terms = stores.terminals(s, store_id)
    if zform is None:
        zform = _zone_form(row)
    html = render_template(
        "admin/store.html",
        store=row,
        terminals=terms,
        tform=TerminalForm(formdata=None),
        code=None,
        zform=zform,
        zones=BRAZIL_ZONES,
    )
    return html, status


@bp.get("/stores/<store_id>")
@require(Perm.STORES_READ)
def store(store_id: str) -> tuple[str, int]:
    require_store(store_id)
    return _store_page(store_id)


@bp.post("/stores/<store_id>/timezone")
@require(Perm.STORES_WRITE)
def store_timezone(store_id: str) -> Response | tuple[str, int]:
    """Change the store's time zone (master data), audited with before and after."""
    require_store(store_id)
    form = StoreZoneForm()
    if not form.validate_on_submit():
        return _store_page(store_id, zform=form, status=400)
    zone = form.timezone.data or ""
    try:
        set_store_timezone(uow(), store_id, zone, actor=current().email, from_web=True)
    except UnknownTimeZone:
        refused("store.timezone", "store", store_id, f"unknown time zone {zone}")
        form.timezone.errors = [
            _("Unknown time zone {zone}: use an IANA name such as America/Manaus.", zone=zone)
        ]  # noqa: E501
        return _store_page(store_id, zform=form, status=400)
    except TerminalError:
        abort(404)
    flash(_("Time zone of store {id} set to {zone}.", id=store_id, zone=zone), "ok")
    return redirect(url_for("admin.store", store_id=store_id))


@bp.post("/stores/<store_id>/terminals")
@require(Perm.TERMINALS_WRITE)
def terminal_register(store_id: str) -> str | tuple[str, int]:
    require_store(store_id)
    form = TerminalForm()
    with uow().reading() as s:
        row = s.get(Store, store_id)
        if row is None:
            abort(404)
    if not form.validate_on_submit():
        with uow().reading() as s:
            terms = stores.terminals(s, store_id)
        return render_template(
            "admin/store.html", store=row, terminals=terms, tform=form, code=None,
            zform=_zone_form(row), zones=BRAZIL_ZONES,
        ), 400  # fmt: skip
    reg = register_terminal(
        uow(),
        store_id,
        form.name.data or "",
        ttl_hours=int(current_app.config["REGISTRATION_CODE_TTL_HOURS"]),
        actor=current().email,
        from_web=True,
    )
    with uow().reading() as s:
        terms = stores.terminals(s, store_id)
    # The code is shown once, here; only its hash is stored.
    return render_template(
        "admin/store.html", store=row, terminals=terms, tform=TerminalForm(formdata=None), code=reg,
        zform=_zone_form(row), zones=BRAZIL_ZONES,
        command=register_command(request.host_url, reg.registration_code),
    )  # fmt: skip


@bp.post("/terminals/<terminal_id>/revoke")
@require(Perm.TERMINALS_WRITE)
def terminal_revoke(terminal_id: str) -> Response:
    with uow().reading() as s:
        term = s.get(Terminal, terminal_id)
        if term is None:
            abort(404)
        store_id = term.store_id
    require_store(store_id)
    revoke_terminal(uow(), terminal_id, actor=current().email, from_web=True)
    flash(_("Terminal {id} revoked: its credential no longer works.", id=terminal_id), "ok")
    return redirect(url_for("admin.store", store_id=store_id))
