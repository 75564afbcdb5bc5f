"""Jobs registered only in tests (``jobs_extra_modules = ["tests.server.jobs.testjobs"]``).

- ``test-count`` appends "<period> <pid>" to the file named by ``TILLCLUB_TEST_JOB_LOG``, so a
  test counts how many times each period really ran, across processes.
- ``test-flaky`` raises while the file named by ``TILLCLUB_TEST_FLAKY_FILE`` exists.
- ``test-slow-vouchers`` is the voucher expiry, one voucher per transaction, pausing
  ``TILLCLUB_TEST_SLOW_SECONDS`` per voucher: a fifth of it inside the transaction (a kill
  there leaves an uncommitted write) and the rest between transactions (so the heartbeat and
  readers get SQLite's write lock): slow enough to be killed mid-run.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from sqlalchemy import select

from server.jobs.contract import JobContext, JobReport
from server.jobs.registry import JobSpec, register
from server.models import Voucher
from server.services.uow import SqlUnitOfWork


def count(ctx: JobContext) -> JobReport:
    with open(os.environ["TILLCLUB_TEST_JOB_LOG"], "a", encoding="utf-8") as fh:
        fh.write(f"{ctx.period} {os.getpid()}\n")
    return JobReport(processed=1, changed=1)


def flaky(ctx: JobContext) -> JobReport:
    flag = os.environ.get("TILLCLUB_TEST_FLAKY_FILE")
    if flag and Path(flag).exists():
        raise RuntimeError("the flaky job failed on purpose")
    return JobReport(processed=1)


def slow_vouchers(ctx: JobContext) -> JobReport:
    pause = float(os.environ.get("TILLCLUB_TEST_SLOW_SECONDS", "0.05"))
    uow = SqlUnitOfWork.for_app(ctx.app)
    report = JobReport()
    while True:
        time.sleep(pause * 0.8)
        with uow:
            voucher = uow.session.scalars(
                select(Voucher)
                .where(Voucher.expired_at.is_(None), Voucher.valid_until < ctx.now)
                .order_by(Voucher.voucher_id)
                .limit(1)
            ).first()
            if voucher is None:
                return report
            voucher.expired_at = ctx.now
            uow.session.flush()
            time.sleep(pause * 0.2)
            uow.commit()
        report.processed += 1
        report.changed += 1


for spec in (
    JobSpec("test-count", count, "off", 1, "Contagem (teste)", "Count (test)"),
    JobSpec("test-flaky", flaky, "off", 1, "Instável (teste)", "Flaky (test)"),
    JobSpec("test-slow-vouchers", slow_vouchers, "off", 1, "Lenta (teste)", "Slow (test)"),
):
    register(spec)
