"""Sync issues: voucher conflicts, rejected events, re-price mismatches and till issues (clocks,
validity by server time, overdrafts), read-only, with CSV.

Readable by every role holding ``reports.read``; a store manager's lists are limited to their
stores, and asking for another store's filter is a 403, as on the reports page.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from flask import Response, abort, current_app, render_template, request
from sqlalchemy import select

from ...models import Store
from ...services import sync_issues
from ...services.epochs import epoch_history
from ...services.roles import Perm
from .. import bp, uow
from ..access import current, require
from ..period import period_from_request

# What each refusal code means, in words the admin's table translates; the stored message (the
# till's English detail naming the values) stays on the page as the cell's title. A code not
# listed shows its stored message.
REFUSALS = {
    "unknown_voucher": "No voucher with this code.",
    "too_long": "A text is longer than the server stores.",
    "unknown_event_type": "An event of a type the server does not know.",
    "duplicate_member": "This member id exists already.",
    "cpf_already_enrolled": "This CPF belongs to an enrolled member.",
    "card_taken": "This card number belongs to another member.",
    "duplicate_sale": "This sale was already sent by another event.",
    "duplicate_refund": "This refund was already sent by another event.",
    "raffle_ticket": "A raffle ticket that is not of this sale.",
    "unknown_raffle": "A raffle the server does not know.",
    "raffle_number": "A raffle number outside this terminal's blocks.",
    "wrong_terminal": "The event names another store or terminal.",
    "ledger_conflict": "A ledger entry that conflicts with one the server has.",
    "invalid_id": "An id not in the form tills make.",
}


def _scope() -> tuple[sync_issues.Scope, dict[str, str]]:
    """The checked period and store of the query string (see ``period_from_request``)."""
    period, args = period_from_request()
    return sync_issues.Scope(period.begin, period.end, period.stores), args


def _page_arg(name: str) -> int:
    return max(1, request.args.get(name, 1, type=int) or 1)


@bp.get("/sync-issues", endpoint="sync_issues")
@require(Perm.REPORTS_READ)
def sync_issues_page() -> str:
    scope, args = _scope()
    per_page = int(current_app.config["ADMIN_PAGE_SIZE"])
    pages = {name: _page_arg(f"{name}_page") for name in sync_issues.LISTS}
    with uow().reading() as s:
        lists = {
            "conflicts": sync_issues.conflicts(s, scope, pages["conflicts"], per_page),
            "rejected": sync_issues.rejected(s, scope, pages["rejected"], per_page),
            "reprice": sync_issues.reprice(s, scope, pages["reprice"], per_page),
            "till": sync_issues.till(s, scope, pages["till"], per_page),
        }
        store_stmt = select(Store.id, Store.name).order_by(Store.id)
        mine = current().stores
        if mine is not None:
            store_stmt = store_stmt.where(Store.id.in_(mine))
        stores = list(s.execute(store_stmt))
        epochs = epoch_history(s, mine)

    def pager_args(name: str) -> object:
        # One pager per list: keep the filter and the other lists' pages, jump to the list.
        def args_for(p: int) -> str:
            current_pages = {f"{n}_page": lists[n].page for n in sync_issues.LISTS}
            query = {**args, **current_pages, f"{name}_page": p}
            return urlencode(query) + f"#{name}"

        return args_for

    return render_template(
        "admin/sync_issues.html",
        args=args,
        stores=stores,
        lists=lists,
        pager_args=pager_args,
        epochs=epochs,
        refusals=REFUSALS,
    )


@bp.get("/sync-issues/<name>.csv", endpoint="sync_issues_csv")
@require(Perm.REPORTS_READ)
def sync_issues_csv(name: str) -> Response:
    if name not in sync_issues.LISTS:
        abort(404)
    scope, args = _scope()
    with uow().reading() as s:
        text = sync_issues.to_csv(s, scope, name)
    # the store id is only echoed into the file name in a safe form
    store = "-" + re.sub(r"[^A-Za-z0-9_.-]", "_", args["store"]) if args["store"] else ""
    filename = f"sync-{name}-{args['from']}-{args['until']}{store}.csv"
    return Response(
        text,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
