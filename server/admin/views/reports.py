"""Reports with charts (Chart.js, vendored) and CSV export, filtered by period and store."""

from __future__ import annotations

from decimal import Decimal

from flask import Response, abort, current_app, render_template
from sqlalchemy import select

from ...i18n.web import gettext as _
from ...models import Store
from ...services import reports
from ...services.roles import Perm
from .. import bp, uow
from ..access import current, require
from ..campaign_forms import KIND_LABELS
from ..period import period_from_request


def _filter() -> tuple[reports.Filter, dict[str, str]]:
    """The checked period and store of the query string (see ``period_from_request``)."""
    period, args = period_from_request()
    return reports.Filter(period.begin, period.end, period.stores), args


def _series(rows: list[dict], key: str) -> list[float]:  # type: ignore[type-arg]
    return [float(r[key]) for r in rows]


@bp.get("/reports", endpoint="reports")
@require(Perm.REPORTS_READ)
def reports_page() -> str:
    f, args = _filter()
    point_value = Decimal(str(current_app.config["ADMIN_POINT_VALUE"]))
    with uow().reading() as s:
        sales = reports.sales_by_day(s, f)
        members = reports.new_members_by_day(s, f)
        points = reports.rewards_by_day(s, f, "points")
        cashback = reports.cashback_totals(s, f)
        cashback_days = reports.rewards_by_day(s, f, "cashback")
        points_out = reports.outstanding(s, f, "points")
        rules = reports.discounts_per_rule(s, f)
        campaigns = reports.redemption_per_campaign(s, f)
        products = reports.top_products(s, f)
        store_stmt = select(Store.id, Store.name).order_by(Store.id)
        scope = current().stores
        if scope is not None:
            store_stmt = store_stmt.where(Store.id.in_(scope))
        stores = list(s.execute(store_stmt))
    n_sales = sum(r["sales"] for r in sales)
    n_ident = sum(r["identified"] for r in sales)
    kpis = {
        "sales": n_sales,
        "revenue": sum((r["total"] for r in sales), Decimal(0)),
        "rate": (n_ident / n_sales) if n_sales else 0.0,
        "new_members": sum(r["new_members"] for r in members),
        "points_issued": sum((r["issued"] for r in points), Decimal(0)),
        "points_redeemed": sum((r["redeemed"] for r in points), Decimal(0)),
        "points_expired": sum((r["expired"] for r in points), Decimal(0)),
        "points_outstanding": points_out,
        "liability": (points_out * point_value).quantize(Decimal("0.01")) + cashback["outstanding"],
        "cashback": cashback,
    }
    days = [r["day"] for r in sales]
    charts = {
        "sales": {
            "type": "bar",
            "labels": days,
            "series": [
                {"label": _("Sales"), "data": _series(sales, "sales")},
                {
                    "label": _("Identification rate (%)"),
                    "data": [round(r["rate"] * 100, 1) for r in sales],
                    "axis": "y2",
                    "type": "line",
                },
            ],
        },
        "members": {
            "type": "bar",
            "labels": days,
            "series": [{"label": _("New members"), "data": _series(members, "new_members")}],
        },
        "points": {
            "type": "line",
            "labels": days,
            "series": [
                {"label": _("Issued"), "data": _series(points, "issued")},
                {"label": _("Redeemed"), "data": _series(points, "redeemed")},
                {"label": _("Expired"), "data": _series(points, "expired")},
            ],
        },
        "cashback": {
            "type": "line",
            "money": True,
            "labels": days,
            "series": [
                {"label": _("Issued"), "data": _series(cashback_days, "issued")},
                {"label": _("Redeemed"), "data": _series(cashback_days, "redeemed")},
            ],
        },
        "rules": {
            "type": "bar",
            "money": True,
            "labels": [r["rule_id"] for r in rules[:15]],
            "series": [{"label": _("Discounts"), "data": [float(r["amount"]) for r in rules[:15]]}],
        },
        "campaigns": {
            "type": "bar",
            "labels": [r["name"] for r in campaigns],
            "series": [
                {
                    "label": _("Redemption rate (%)"),
                    "data": [round(r["rate"] * 100, 1) for r in campaigns],
                }
            ],
        },
        "products": {
            "type": "bar",
            "money": True,
            "labels": [r["name"] or r["sku"] for r in products],
            "series": [
                {"label": _("Net sales to members"), "data": [float(r["net"]) for r in products]}
            ],
        },
    }
    return render_template(
        "admin/reports.html",
        args=args,
        stores=stores,
        kpis=kpis,
        charts=charts,
        rules=rules,
        campaigns=campaigns,
        products=products,
        sales=sales,
        reports_list=reports.REPORTS,
        kind_labels=KIND_LABELS,
    )


@bp.get("/reports/<name>.csv")
@require(Perm.REPORTS_READ)
def report_csv(name: str) -> Response:
    if name not in reports.REPORTS:
        abort(404)
    f, args = _filter()
    with uow().reading() as s:
        header, rows = reports.table(s, f, name)
    filename = (
        f"{name}-{args['from']}-{args['until']}{'-' + args['store'] if args['store'] else ''}.csv"
    )
    return Response(
        reports.to_csv(header, rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
