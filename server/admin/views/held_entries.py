"""Ajustes retidos: ledger entries tills sent beyond what a till may grant, for approval.

Listed for every role holding ``members.read`` (a store manager sees their stores' only);
approving or rejecting takes ``members.write``, as a manual adjustment does, and each
decision is a use case (``services/held_entries.py``), audited.
"""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ...i18n.web import gettext as _
from ...i18n.web import language
from ...services import held_entries
from ...services.roles import Perm
from .. import bp, uow
from ..access import current, require


@bp.get("/held-entries", endpoint="held_entries")
@require(Perm.MEMBERS_READ)
def held_entries_page() -> str:
    status = request.args.get("status", held_entries.HELD)
    if status not in held_entries.STATUSES:
        status = held_entries.HELD
    page = max(1, request.args.get("page", 1, type=int) or 1)
    per_page = int(current_app.config["ADMIN_PAGE_SIZE"])
    with uow().reading() as s:
        rows, total = held_entries.list_held(s, status, current().stores, page, per_page)
    pages = max(1, -(-total // per_page))
    return render_template(
        "admin/held_entries.html",
        rows=rows,
        total=total,
        status=status,
        statuses=held_entries.STATUSES,
        page=page,
        pages=pages,
        pager_args=lambda p: f"status={status}&page={p}",
    )


@bp.post("/held-entries/<path:entry_id>/<decision>", endpoint="held_entry_decide")
@require(Perm.MEMBERS_WRITE)
def held_entry_decide(entry_id: str, decision: str) -> Response:
    decide = {"approve": held_entries.approve, "reject": held_entries.reject}.get(decision)
    if decide is None:
        flash(_("Unknown decision."), "error")
        return redirect(url_for("admin.held_entries"))
    mine = current().stores
    with uow().reading() as s:
        store = held_entries.store_of(s, entry_id)
    if store is None or (mine is not None and store not in mine):
        flash(_("No held entry {id} among your stores.", id=entry_id), "error")
        return redirect(url_for("admin.held_entries"))
    try:
        decide(uow(), entry_id, actor=current().email, note=request.form.get("note", ""))
    except held_entries.HeldEntryError as exc:
        flash(exc.message_pt if language() == "pt-BR" else exc.message_en, "error")
        return redirect(url_for("admin.held_entries"))
    if decision == "approve":
        flash(_("Entry {id} approved and applied.", id=entry_id), "ok")
    else:
        flash(_("Entry {id} rejected.", id=entry_id), "ok")
    return redirect(url_for("admin.held_entries"))
