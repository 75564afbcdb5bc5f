"""Segments: the RFM and value-class counts, recomputing them, and the members of each."""

from __future__ import annotations

from decimal import Decimal

from flask import current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from ... import clock
from ...i18n.web import gettext as _
from ...models import Member, MemberSegment
from ...services import segment_job
from ...services.roles import Perm
from ...services.segments import RFM, RFM_SEGMENTS, VALUE, VALUE_CLASSES, parse_segment_name
from .. import bp, uow
from ..access import current, require


@bp.get("/segments", endpoint="segments")
@require(Perm.SEGMENTS_READ)
def segments_page() -> str:
    chosen = request.args.get("segment", "")
    kind, name = parse_segment_name(chosen) or ("", "")
    with uow().reading() as s:
        counts = segment_job.summary(s)
        computed = s.scalar(select(MemberSegment.computed_at).limit(1))
        members = []
        column = {VALUE: MemberSegment.value_class, RFM: MemberSegment.rfm_segment}.get(kind)
        if column is not None and name:
            members = list(
                s.execute(
                    select(MemberSegment, Member.name)
                    .join(Member, Member.id == MemberSegment.member_id)
                    .where(column == name)
                    .order_by(MemberSegment.contribution.desc())
                    .limit(200)
                )
            )
    chart = {
        key: {
            "type": "bar",
            "labels": [_(c) for c in names],
            "series": [{"label": _("Members"), "data": [counts[key].get(c, 0) for c in names]}],
        }
        for key, names in ((VALUE, VALUE_CLASSES), (RFM, RFM_SEGMENTS))
    }
    return render_template(
        "admin/segments.html",
        counts=counts,
        computed=computed,
        members=members,
        chosen=chosen,
        value_classes=VALUE_CLASSES,
        rfm_segments=RFM_SEGMENTS,
        chart=chart,
    )


@bp.post("/segments/compute")
@require(Perm.SEGMENTS_WRITE)
def segments_compute() -> Response:
    cfg = current_app.config
    n = segment_job.compute(
        uow(),
        clock.now(),
        margin=Decimal(str(cfg["ADMIN_GROSS_MARGIN"])),
        point_value=Decimal(str(cfg["ADMIN_POINT_VALUE"])),
        actor=current().email,
    )
    flash(_("{n} members scored.", n=n), "ok")
    return redirect(url_for("admin.segments"))
