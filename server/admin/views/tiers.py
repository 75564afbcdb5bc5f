"""The tier ladder (Níveis): see and edit the chain's ladder; every change audited."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ... import clock
from ...i18n.web import gettext as _
from ...models import ChainSetting
from ...services.roles import Perm
from ...services.tiers import SETTING, TierLadderError, set_ladder
from .. import bp, uow
from ..access import current, require
from ..tier_ladder import ROWS, LadderForm


def _render(form: LadderForm | None = None, status: int = 200) -> tuple[str, int]:
    with uow().reading() as s:
        row = s.get(ChainSetting, SETTING)
        value = None if row is None else row.value
        updated = None if row is None else row.updated_at
    html = render_template(
        "admin/tiers.html",
        form=form or LadderForm.from_setting(value),
        rows=range(ROWS),
        updated=updated,
        configured=value is not None,
    )
    return html, status


@bp.get("/tiers", endpoint="tiers")
@require(Perm.CAMPAIGNS_READ)
def tiers_page() -> tuple[str, int]:
    return _render()


@bp.post("/tiers")
@require(Perm.CAMPAIGNS_WRITE)
def tiers_save() -> Response | tuple[str, int]:
    form = LadderForm.from_request(request.form)
    value = form.setting()
    if value is None:
        return _render(form, 400)
    try:
        set_ladder(uow(), value, actor=current().email, now=clock.now(), actor_type="admin")
    except TierLadderError as exc:
        form.errors["name_0"] = _("The ladder was not saved: {detail}", detail=str(exc))
        return _render(form, 400)
    flash(_("Tier ladder saved: members move at the next sale or the nightly review."), "ok")
    return redirect(url_for("admin.tiers"))
