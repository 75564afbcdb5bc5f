"""Vouchers: issue a batch to a segment or a list, download the codes as CSV, see the uses."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask import Response, abort, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response as BaseResponse
from wtforms.fields.choices import SelectChoice

from ... import clock
from ...i18n.web import gettext as _
from ...models import VoucherBatch
from ...services import voucher_batches
from ...services.roles import Perm
from ...services.segments import RFM, RFM_SEGMENTS, VALUE, VALUE_CLASSES, segment_name
from .. import bp, uow
from ..access import current, require
from ..forms import VoucherBatchForm


def _form(form: VoucherBatchForm | None = None) -> VoucherBatchForm:
    form = form or VoucherBatchForm(formdata=None)
    form.segment.choices = [SelectChoice(segment_name(VALUE, c), _(c)) for c in VALUE_CLASSES] + [
        SelectChoice(segment_name(RFM, s), "RFM: " + _(s)) for s in RFM_SEGMENTS
    ]
    return form


def _page(form: VoucherBatchForm | None = None, status: int = 200) -> tuple[str, int]:
    with uow().reading() as s:
        batches = voucher_batches.list_batches(s)
        return render_template("admin/vouchers.html", batches=batches, form=_form(form)), status


@bp.get("/vouchers", endpoint="vouchers")
@require(Perm.VOUCHERS_READ)
def vouchers_page() -> tuple[str, int]:
    return _page()


@bp.post("/vouchers")
@require(Perm.VOUCHERS_WRITE)
def voucher_issue() -> BaseResponse | tuple[str, int]:
    form = _form(VoucherBatchForm())
    if not form.validate_on_submit():
        return _page(form, 400)
    assert form.valid_from.data is not None
    assert form.valid_until.data is not None
    assert form.parsed_value is not None
    start = dt.datetime.combine(form.valid_from.data, dt.time(), dt.UTC)
    end = dt.datetime.combine(form.valid_until.data, dt.time(), dt.UTC) + dt.timedelta(days=1)
    value = form.parsed_value
    spec = voucher_batches.BatchSpec(
        name=form.name.data or "",
        percent=value if form.kind.data == "percent" else None,
        amount=value if form.kind.data == "amount" else None,
        min_subtotal=form.min_subtotal.amount or Decimal("0.00"),
        valid_from=start,
        valid_until=end,
        max_uses=int(form.max_uses.data or 1),
    )
    try:
        if form.anonymous_count.data:
            audience = voucher_batches.Audience(anonymous=int(form.anonymous_count.data))
        elif form.audience.data == "segment":
            audience = voucher_batches.Audience(segment=form.segment.data)
        else:
            audience = voucher_batches.Audience(member_ids_text=form.member_ids.data or "")
        batch = voucher_batches.issue_batch(
            uow(), spec, audience, actor=current().email, now=clock.now()
        )
        batch_id, count = batch.id, batch.count
    except voucher_batches.BatchError as exc:
        target = getattr(form, exc.field or "", None) or form.audience
        target.errors = [_(exc.message, **exc.values)]
        return _page(form, 400)
    flash(_("{n} vouchers issued in batch {id}.", n=count, id=batch_id), "ok")
    return redirect(url_for("admin.voucher_batch", batch_id=batch_id))


@bp.get("/vouchers/<batch_id>")
@require(Perm.VOUCHERS_READ)
def voucher_batch(batch_id: str) -> str:
    with uow().reading() as s:
        batch = s.get(VoucherBatch, batch_id)
        if batch is None:
            abort(404)
        return render_template(
            "admin/voucher_batch.html",
            batch=batch,
            vouchers=voucher_batches.batch_vouchers(s, batch_id)[:200],
            uses=voucher_batches.batch_uses(s, batch_id),
        )


@bp.get("/vouchers/<batch_id>/codes.csv")
@require(Perm.VOUCHERS_READ)
def voucher_codes(batch_id: str) -> Response:
    with uow().reading() as s:
        if s.get(VoucherBatch, batch_id) is None:
            abort(404)
        text = voucher_batches.codes_csv(voucher_batches.batch_vouchers(s, batch_id))
    return Response(
        text,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{batch_id}.csv"'},
    )
