"""The ledger's periodic jobs, for the registry (``server/jobs/registry.py``) to fold in.

``LEDGER_JOBS[name] = (function, default cron, description in English, in Portuguese)``; each
function has the :data:`server.jobs.contract.JobFunction` shape and lives with its concept in
``server/services/``. Schedules are in the chain's time zone.
"""

from __future__ import annotations

from ..services.expiry import expire_and_mature
from ..services.expiry_notice import list_expiry_notices
from ..services.tiers import tier_review_job
from .contract import JobFunction

LEDGER_JOBS: dict[str, tuple[JobFunction, str, str, str]] = {
    "ledger_expiry": (
        expire_and_mature,
        "15 0 * * *",
        "Expire points and cashback past their expiry (FIFO); mark matured cashback",
        "Expirar pontos e cashback vencidos (PEPS); marcar cashback liberado",
    ),
    "expiry_notice": (
        list_expiry_notices,
        "0 6 * * *",
        "List the members whose points or cashback expire in the next days",
        "Listar os clientes com pontos ou cashback a vencer nos próximos dias",
    ),
    "tier_review": (
        tier_review_job,
        "30 1 * * *",
        "Tier review: downgrades at each member's periodic review",
        "Revisão de níveis: rebaixamentos na revisão periódica de cada cliente",
    ),
}
