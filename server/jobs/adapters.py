"""The existing periodic use cases (tier review, segments) in the job contract's shape.

They keep their own signatures (the CLI and the Segments button call them too); these
adapters only pass the run's clock reading, batch size and config, and turn their results
into a :class:`~server.jobs.contract.JobReport`. Both are safe to run twice: the tier review
computes each member's tier from the ledger, the segment job replaces all segments at once.
"""

from __future__ import annotations

from decimal import Decimal

from ..services import segment_job
from ..services.uow import SqlUnitOfWork
from .contract import JobContext, JobReport


def segments_job(ctx: JobContext) -> JobReport:
    cfg = ctx.app.config
    scored = segment_job.compute(
        SqlUnitOfWork.for_app(ctx.app),
        ctx.now,
        margin=Decimal(str(cfg["ADMIN_GROSS_MARGIN"])),
        point_value=Decimal(str(cfg["ADMIN_POINT_VALUE"])),
        actor=f"job:segments:{ctx.period}",
    )
    return JobReport(processed=scored, changed=scored)
