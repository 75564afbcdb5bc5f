"""Raffles ("sorteios"): the list, creating a raffle, one raffle's blocks per terminal,
reserving a block, numbering owed tickets now, and entering the Loteria Federal result."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from loyalty.errors import LoyaltyError
from loyalty.rewards.raffle_rules import RaffleRatioMismatch

from ... import clock
from ...i18n.web import gettext as _
from ...i18n.web import language
from ...models import RaffleCampaign
from ...services import raffles
from ...services.raffle import RaffleServiceError, positions_left
from ...services.raffles import add_raffle
from ...services.roles import Perm
from .. import bp, uow
from ..access import current, require
from ..forms import DrawResultForm, RaffleBlockForm, RaffleForm


def _error_text(exc: RaffleServiceError | LoyaltyError) -> str:
    if isinstance(exc, RaffleServiceError):
        return _(exc.message, **exc.values)
    return exc.message(language())


def _list_page(form: RaffleForm | None = None, status: int = 200) -> tuple[str, int]:
    with uow().reading() as s:
        rows = raffles.list_raffles(s)
    html = render_template("admin/raffles.html", rows=rows, form=form or RaffleForm(formdata=None))
    return html, status


@bp.get("/raffles", endpoint="raffles")
@require(Perm.RAFFLES_READ)
def raffles_page() -> tuple[str, int]:
    return _list_page()


@bp.post("/raffles")
@require(Perm.RAFFLES_WRITE)
def raffle_create() -> Response | tuple[str, int]:
    form = RaffleForm()
    if not form.validate_on_submit():
        return _list_page(form, 400)
    first, last, draw = form.starts_on.data, form.ends_on.data, form.draw_date.data
    assert first is not None
    assert last is not None
    assert draw is not None
    if last < first:
        form.ends_on.errors = [_("The last day of sales is before the first.")]
        return _list_page(form, 400)
    if draw <= last:
        form.draw_date.errors = [_("The draw must come after the last day of sales.")]
        return _list_page(form, 400)
    spend = form.spend_per_number.amount  # parsed and bounded by the field
    assert spend is not None
    rules: dict[str, Any] = {
        "series_count": int(form.series_count.data or 1),
        "draw_date": draw.isoformat(),
        "regulation": {"prizes": int(form.prizes.data or 1)},
    }
    if form.max_numbers_per_sale.data:
        rules["max_numbers_per_sale"] = int(form.max_numbers_per_sale.data)
    raffle_id = form.raffle_id.data or ""
    try:
        add_raffle(
            uow(),
            raffle_id,
            (form.name.data or "").strip(),
            (form.authorisation.data or "").strip(),
            spend,
            raffles.local_day_start(first),
            raffles.local_day_start(last + dt.timedelta(days=1)),
            rules,
            actor=current().email,
        )
    except RaffleServiceError as exc:
        target = getattr(form, exc.field or "", None) or form.raffle_id
        target.errors = [_error_text(exc)]
        return _list_page(form, 400)
    except LoyaltyError as exc:
        mismatch = isinstance(exc, RaffleRatioMismatch)  # a published rule counts otherwise
        (form.spend_per_number if mismatch else form.name).errors = [_error_text(exc)]
        return _list_page(form, 400)
    flash(_("Raffle {id} created.", id=raffle_id), "ok")
    return redirect(url_for("admin.raffle", raffle_id=raffle_id))


def _block_form(s: Any, form: RaffleBlockForm | None = None) -> RaffleBlockForm:
    form = form or RaffleBlockForm(formdata=None)
    form.terminal_id.choices = {
        f"{st.store_id} · {st.store_name}": [
            (tid, f"{name} ({tid})" + ("" if status == "active" else f" · {_(status)}"))
            for tid, name, status in st.terminals
        ]
        for st in raffles.terminal_choices(s)
    }
    return form


def _raffle_page(
    raffle_id: str,
    block_form: RaffleBlockForm | None = None,
    draw_form: DrawResultForm | None = None,
    status: int = 200,
) -> tuple[str, int]:
    with uow().reading() as s:
        row = s.get(RaffleCampaign, raffle_id)
        if row is None:
            abort(404)
        html = render_template(
            "admin/raffle.html",
            raffle=row,
            info=raffles.raffle_summary(s, row),
            blocks=raffles.blocks(s, raffle_id),
            left=positions_left(s, row),
            bform=_block_form(s, block_form),
            dform=draw_form or DrawResultForm(formdata=None),
            draw=raffles.draw_view(s, row, current_app.extensions["tillclub.cpf"]),
        )
    return html, status


@bp.get("/raffles/<raffle_id>")
@require(Perm.RAFFLES_READ)
def raffle(raffle_id: str) -> tuple[str, int]:
    return _raffle_page(raffle_id)


@bp.post("/raffles/<raffle_id>/blocks")
@require(Perm.RAFFLES_WRITE)
def raffle_block(raffle_id: str) -> Response | tuple[str, int]:
    form = RaffleBlockForm()
    if not form.validate_on_submit():
        return _raffle_page(raffle_id, block_form=form, status=400)
    if not form.terminal_id.data:
        form.terminal_id.errors = [_("This field is required.")]
        return _raffle_page(raffle_id, block_form=form, status=400)
    try:
        first, size, terminal = raffles.reserve_block(
            uow(), raffle_id, form.terminal_id.data, int(form.size.data or 0), actor=current().email
        )
    except raffles.RaffleNotFound:
        abort(404)
    except RaffleServiceError as exc:
        target = getattr(form, exc.field or "", None) or form.size
        target.errors = [_error_text(exc)]
        return _raffle_page(raffle_id, block_form=form, status=400)
    flash(
        _(
            "Positions {first}-{last} reserved for terminal {terminal}; it receives them at its next sync.",  # noqa: E501
            first=first,
            last=first + size - 1,
            terminal=terminal,
        ),
        "ok",
    )
    return redirect(url_for("admin.raffle", raffle_id=raffle_id))


@bp.post("/raffles/<raffle_id>/owed")
@require(Perm.RAFFLES_WRITE)
def raffle_number_owed(raffle_id: str) -> Response:
    try:
        done = raffles.number_owed(uow(), raffle_id, actor=current().email)
    except raffles.RaffleNotFound:
        abort(404)
    except (RaffleServiceError, LoyaltyError) as exc:
        flash(_error_text(exc), "error")
        return redirect(url_for("admin.raffle", raffle_id=raffle_id))
    if done:
        flash(_("{n} owed tickets numbered.", n=done), "ok")
    else:
        flash(_("No tickets were waiting for a number."), "info")
    return redirect(url_for("admin.raffle", raffle_id=raffle_id))


@bp.post("/raffles/<raffle_id>/draw")
@require(Perm.RAFFLES_WRITE)
def raffle_draw(raffle_id: str) -> Response | tuple[str, int]:
    form = DrawResultForm()
    if not form.validate_on_submit():
        return _raffle_page(raffle_id, draw_form=form, status=400)
    assert form.contest.data is not None
    assert form.drawn_on.data is not None
    prizes = [form[f"prize{i}"].data or "" for i in range(1, 6)]
    try:
        found = raffles.record_draw(
            uow(),
            raffle_id,
            contest=int(form.contest.data),
            drawn_on=form.drawn_on.data,
            prizes=prizes,
            excluded=raffles.parse_member_ids(form.excluded.data or ""),
            actor=current().email,
            now=clock.now(),
        )
    except raffles.RaffleNotFound:
        abort(404)
    except raffles.DrawError as exc:
        target = getattr(form, exc.field or "", None)
        if target is None:
            flash(_error_text(exc), "error")
        else:
            target.errors = [_error_text(exc)]
        return _raffle_page(raffle_id, draw_form=form, status=400)
    if found:
        flash(_("Result recorded: {n} winner(s).", n=found), "ok")
    else:
        flash(_("Result recorded, but no eligible number was distributed."), "error")
    return redirect(url_for("admin.raffle", raffle_id=raffle_id) + "#draw")
