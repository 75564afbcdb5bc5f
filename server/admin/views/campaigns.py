"""Campaign pages: list, drafts, the rule form per kind, import/export, simulate, publish, pause."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from ... import clock
from ...i18n.web import gettext as _
from ...i18n.web import language
from ...models import Campaign, CampaignDraft
from ...services import campaign_import as campaign_import_case
from ...services import campaign_publish as publishing
from ...services import campaigns
from ...services.roles import Perm
from .. import bp, campaign_forms, uow
from ..access import current, require
from ..forms import ImportForm, NewCampaignForm, ScheduleForm, SimulateForm


def _msg(exc: campaigns.CampaignFormError) -> str:
    return exc.message_pt if language() == "pt-BR" else exc.message_en


def _zone() -> ZoneInfo:
    """The chain's zone (``chain_time_zone``, checked at start): the days head office types."""
    return ZoneInfo(str(current_app.config["CHAIN_TIME_ZONE"]))


def _day(d: dt.date | None, *, end: bool = False) -> dt.datetime | None:
    """The UTC instant where day ``d`` starts in the chain's zone (``end``: where it ends,
    the next day's 00:00, exclusive), so "01/12 to 31/12" is 1 Dec 00:00 to 1 Jan 00:00
    local."""
    if d is None:
        return None
    day = d + dt.timedelta(days=1) if end else d
    return dt.datetime.combine(day, dt.time(), _zone()).astimezone(dt.UTC)


def _shown_day(at: dt.datetime | None, *, end: bool = False) -> dt.date | None:
    """The day of the chain's zone an instant falls in (``end``: an exclusive end, so the
    day of the last instant before it): the inverse of :func:`_day`."""
    if at is None:
        return None
    if end:
        at = at - dt.timedelta(microseconds=1)
    return at.astimezone(_zone()).date()


@bp.get("/campaigns", endpoint="campaigns")
@require(Perm.CAMPAIGNS_READ)
def campaigns_page(
    new_form: NewCampaignForm | None = None, import_form: ImportForm | None = None
) -> str:
    with uow().reading() as s:
        rows = campaigns.list_campaigns(s)
        return render_template(
            "admin/campaigns.html",
            rows=rows,
            new_form=new_form or NewCampaignForm(formdata=None),
            import_form=import_form or ImportForm(formdata=None, prefix="import"),
        )


@bp.post("/campaigns")
@require(Perm.CAMPAIGNS_WRITE)
def campaign_create() -> BaseResponse | tuple[str, int]:
    form = NewCampaignForm()
    if form.validate_on_submit():
        try:
            campaigns.create_draft(
                uow(),
                form.campaign_id.data or "",
                form.name.data or "",
                form.stores.data or "",
                actor=current().email,
                now=clock.now(),
            )
        except campaigns.CampaignFormError as exc:
            getattr(form, exc.field or "campaign_id").errors = [_msg(exc)]
        else:
            return redirect(url_for("admin.campaign", campaign_id=form.campaign_id.data))
    return campaigns_page(new_form=form), 400


@bp.post("/campaigns/import")
@require(Perm.CAMPAIGNS_WRITE)
def campaign_import() -> BaseResponse | tuple[str, int]:
    form = ImportForm(prefix="import")
    upload = request.files.get("file")
    if upload is not None and upload.filename and not (form.document.data or "").strip():
        form.document.data = upload.read(2_000_000).decode("utf-8", errors="replace")
    if form.validate_on_submit():
        try:
            campaign_import_case.import_campaign(
                uow(),
                form.campaign_id.data or "",
                form.name.data or "",
                form.document.data or "",
                actor=current().email,
                now=clock.now(),
                replace=bool(form.replace.data),
            )
        except campaign_import_case.WouldReplace as exc:
            # Nothing written: show what the import replaces and ask before replacing it.
            html = render_template(
                "admin/campaign_import_confirm.html",
                form=form,
                existing=exc.existing,
                incoming=campaign_import_case.rule_lines(
                    campaign_import_case.read_document(form.document.data or "")
                ),
            )
            return html, 409
        except campaigns.CampaignFormError as exc:
            form.document.errors = [_msg(exc)]
        else:
            flash(_("Campaign file imported into the draft."), "ok")
            return redirect(url_for("admin.campaign", campaign_id=form.campaign_id.data))
    return campaigns_page(import_form=form), 400


def _detail(
    campaign_id: str,
    *,
    status: int = 200,
    schedule: ScheduleForm | None = None,
    sim: SimulateForm | None = None,
    error: str | None = None,
) -> tuple[str, int]:
    with uow().reading() as s:
        pub = s.get(Campaign, campaign_id)
        draft = s.get(CampaignDraft, campaign_id)
        if pub is None and draft is None:
            abort(404)
        last = publishing.latest_simulation(s, campaign_id)
        src = draft or pub
        assert src is not None
        if schedule is None:
            schedule = ScheduleForm(formdata=None)
            schedule.valid_from.data = _shown_day(src.valid_from)
            schedule.valid_until.data = _shown_day(src.valid_until, end=True)
        if sim is None:
            sim = SimulateForm(formdata=None)
            today = clock.now().date()
            first = today.replace(day=1)
            prev_last = first - dt.timedelta(days=1)
            sim.period_from.data, sim.period_until.data = prev_last.replace(day=1), prev_last
        can_publish = (
            draft is not None
            and draft.simulated_at is not None
            and draft.simulated_at >= draft.updated_at
        )
        html = render_template(
            "admin/campaign.html",
            pub=pub,
            draft=draft,
            last=last,
            schedule=schedule,
            sim=sim,
            error=error,
            kinds=campaign_forms.KIND_LABELS,
            can_publish=can_publish,
            campaign_id=campaign_id,
            chain_zone=current_app.config["CHAIN_TIME_ZONE"],
        )
    return html, status


@bp.get("/campaigns/<campaign_id>")
@require(Perm.CAMPAIGNS_READ)
def campaign(campaign_id: str) -> tuple[str, int]:
    return _detail(campaign_id)


def _rule_page(
    campaign_id: str,
    kind: str,
    values: dict[str, Any],
    errors: dict[str, str],
    top_error: str | None,
    rule_id: str | None,
    status: int,
) -> tuple[str, int]:
    if kind not in campaign_forms.KIND_LABELS:
        abort(404)
    html = render_template(
        "admin/rule_form.html",
        campaign_id=campaign_id,
        kind=kind,
        kind_label=campaign_forms.KIND_LABELS[kind],
        specs=campaign_forms.specs_for(kind),
        values=values,
        errors=errors,
        top_error=top_error,
        rule_id=rule_id,
        selector_keys=campaign_forms.SELECTOR_KEYS,
    )
    return html, status


@bp.route("/campaigns/<campaign_id>/rules/new", methods=["GET", "POST"])
@bp.route("/campaigns/<campaign_id>/rules/<rule_id>", methods=["GET", "POST"])
@require(Perm.CAMPAIGNS_WRITE)
def rule_edit(campaign_id: str, rule_id: str | None = None) -> BaseResponse | tuple[str, int]:
    kind = request.values.get("kind", "")
    if request.method == "GET":
        values: dict[str, Any] = {}
        if rule_id is not None:
            with uow().reading() as s:
                src = s.get(CampaignDraft, campaign_id) or s.get(Campaign, campaign_id)
                if src is None:
                    abort(404)
                rule = next(
                    (r for r in src.document.get("rules", []) if r.get("id") == rule_id), None
                )
                if rule is None:
                    abort(404)
                kind = str(rule.get("kind"))
                values = campaign_forms.form_from_rule(rule)
        return _rule_page(campaign_id, kind, values, {}, None, rule_id, 200)
    if kind not in campaign_forms.KIND_LABELS:
        abort(400)
    values = {
        k: (request.form.getlist(k) if k == "valid.weekdays" else v)
        for k, v in request.form.items()
    }
    try:
        rule = campaign_forms.rule_from_form(kind, request.form)
    except campaign_forms.RuleInputError as exc:
        return _rule_page(campaign_id, kind, values, exc.errors, None, rule_id, 400)
    try:
        campaigns.save_rule(
            uow(), campaign_id, rule, rule_id, actor=current().email, now=clock.now()
        )
    except campaigns.CampaignNotFound:
        abort(404)
    except campaigns.CampaignFormError as exc:
        message = _msg(exc)
        target = (
            campaign_forms.error_input(exc.field, kind)
            if exc.rule_id in (None, rule.get("id"))
            else None
        )
        if exc.field == "id" and target is None:
            target = "id"
        errors = {target: message} if target else {}
        return _rule_page(
            campaign_id, kind, values, errors, None if target else message, rule_id, 400
        )
    flash(_("Rule saved in the draft. Simulate before publishing."), "ok")
    return redirect(url_for("admin.campaign", campaign_id=campaign_id))


@bp.post("/campaigns/<campaign_id>/rules/<rule_id>/delete")
@require(Perm.CAMPAIGNS_WRITE)
def rule_delete(campaign_id: str, rule_id: str) -> BaseResponse:
    try:
        campaigns.delete_rule(uow(), campaign_id, rule_id, actor=current().email, now=clock.now())
    except campaigns.CampaignNotFound:
        abort(404)
    flash(_("Rule removed from the draft."), "ok")
    return redirect(url_for("admin.campaign", campaign_id=campaign_id))


@bp.post("/campaigns/<campaign_id>/schedule")
@require(Perm.CAMPAIGNS_WRITE)
def campaign_schedule(campaign_id: str) -> BaseResponse | tuple[str, int]:
    form = ScheduleForm()
    if not form.validate_on_submit():
        return _detail(campaign_id, status=400, schedule=form)
    try:
        campaigns.set_schedule(
            uow(),
            campaign_id,
            _day(form.valid_from.data),
            _day(form.valid_until.data, end=True),
            actor=current().email,
            now=clock.now(),
        )
    except campaigns.CampaignNotFound:
        abort(404)
    except campaigns.CampaignFormError as exc:
        form.valid_until.errors = [_msg(exc)]
        return _detail(campaign_id, status=400, schedule=form)
    flash(_("Schedule saved in the draft."), "ok")
    return redirect(url_for("admin.campaign", campaign_id=campaign_id))


@bp.post("/campaigns/<campaign_id>/simulate")
@require(Perm.CAMPAIGNS_WRITE)
def campaign_simulate(campaign_id: str) -> BaseResponse | tuple[str, int]:
    form = SimulateForm()
    if not form.validate_on_submit():
        return _detail(campaign_id, status=400, sim=form)
    start, end = _day(form.period_from.data), _day(form.period_until.data, end=True)
    assert start is not None
    assert end is not None
    if end <= start:
        form.period_until.errors = [_("The end must be on or after the start.")]
        return _detail(campaign_id, status=400, sim=form)
    cfg = current_app.config
    try:
        publishing.run_simulation(
            uow(),
            campaign_id,
            start,
            end,
            actor=current().email,
            now=clock.now(),
            point_value=Decimal(str(cfg["ADMIN_POINT_VALUE"])),
            max_sales=int(cfg["ADMIN_SIMULATION_MAX_SALES"]),
        )
    except campaigns.CampaignNotFound:
        abort(404)
    except campaigns.CampaignFormError as exc:
        return _detail(campaign_id, status=400, sim=form, error=_msg(exc))
    flash(_("Simulation done."), "ok")
    return redirect(url_for("admin.campaign", campaign_id=campaign_id) + "#simulation")


@bp.post("/campaigns/<campaign_id>/publish")
@require(Perm.CAMPAIGNS_WRITE)
def campaign_publish(campaign_id: str) -> BaseResponse | tuple[str, int]:
    try:
        row = publishing.publish(uow(), campaign_id, actor=current().email, now=clock.now())
        version = row.version
    except campaigns.CampaignFormError as exc:
        return _detail(campaign_id, status=400, error=_msg(exc))
    flash(_("Published as version {v}; agents receive it at their next sync.", v=version), "ok")
    return redirect(url_for("admin.campaign", campaign_id=campaign_id))


@bp.post("/campaigns/<campaign_id>/pause")
@bp.post("/campaigns/<campaign_id>/resume", endpoint="campaign_resume")
@require(Perm.CAMPAIGNS_WRITE)
def campaign_pause(campaign_id: str) -> BaseResponse | tuple[str, int]:
    active = request.path.endswith("/resume")
    try:
        publishing.set_active(uow(), campaign_id, active, actor=current().email, now=clock.now())
    except campaigns.CampaignFormError as exc:
        return _detail(campaign_id, status=400, error=_msg(exc))
    flash(_("Campaign resumed.") if active else _("Campaign paused."), "ok")
    return redirect(url_for("admin.campaign", campaign_id=campaign_id))


@bp.get("/campaigns/<campaign_id>/export.json")
@require(Perm.CAMPAIGNS_READ)
def campaign_export(campaign_id: str) -> Response:
    which = request.args.get("which", "published")
    with uow().reading() as s:
        src = (
            s.get(CampaignDraft, campaign_id) if which == "draft" else s.get(Campaign, campaign_id)
        )
        if src is None:
            abort(404)
        text = campaigns.export_json(src.document)
    return Response(
        text,
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{campaign_id}-{which}.json"'},
    )
