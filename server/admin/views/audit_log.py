"""The audit log, read-only, for admins and auditors."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from flask import render_template, request

from ...services import audit_log as audit
from ...services.roles import Perm
from .. import bp, uow
from ..access import require


@bp.get("/audit")
@require(Perm.AUDIT_READ)
def audit_log() -> str:
    actor = request.args.get("actor", "").strip()
    action = request.args.get("action", "").strip()
    target = request.args.get("target", "").strip()
    page = max(1, request.args.get("page", 1, type=int) or 1)
    with uow().reading() as s:
        result = audit.search(s, actor=actor, action=action, target=target, page=page)
        rows = [
            {
                "at": r.at,
                "actor": f"{r.actor_type}:{r.actor_id}",
                "action": r.action,
                "target": f"{r.target_type}:{r.target_id}",
                "detail": json.dumps(r.detail, ensure_ascii=False, sort_keys=True, default=str),
            }
            for r in result.rows
        ]

    def args(p: int) -> str:
        return urlencode({"actor": actor, "action": action, "target": target, "page": p})

    return render_template(
        "admin/audit.html",
        rows=rows,
        result=result,
        actor=actor,
        action=action,
        target=target,
        args=args,
    )
