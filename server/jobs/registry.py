"""Every background job: its name, use case, default schedule, batch size and description.

Adding a job is one line in :data:`BUILTIN` (or a ``register(...)`` call in a module listed in
``jobs_extra_modules``). The schedules and batch sizes in the server config (``[jobs.<name>]``
tables) override the defaults here; :func:`configure` checks them at start so a typo stops
the server and the worker with the key and what is wrong, instead of a job that never runs.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from ..config import ConfigError
from ..services import expiry, expiry_notice, import_uploads, retention, tiers, voucher_expiry
from ..services.exports import run as export_run
from . import adapters
from .contract import JobFunction
from .schedule import Schedule, ScheduleError, period_of, time_zone

OFF = "off"


@dataclass(frozen=True)
class JobSpec:
    name: str
    function: JobFunction
    schedule: str  # cron fields in the chain's time zone, or "off"
    batch_size: int
    description_pt: str
    description_en: str


@dataclass(frozen=True)
class ConfiguredJob:
    """A job as this server runs it: the registry's entry with the config applied."""

    spec: JobSpec
    schedule: Schedule | None  # None: "off", runs only when asked
    batch_size: int

    @property
    def name(self) -> str:
        return self.spec.name

    def due_period(self, now: dt.datetime, tz: ZoneInfo) -> str | None:
        """The period of the last fire time at or before ``now`` (None when off)."""
        if self.schedule is None:
            return None
        fire = self.schedule.previous(now, tz)
        return None if fire is None else period_of(fire)

    def next_fire(self, now: dt.datetime, tz: ZoneInfo) -> dt.datetime | None:
        return None if self.schedule is None else self.schedule.next(now, tz)


BUILTIN: list[JobSpec] = [
    JobSpec("ledger-expiry", expiry.expire_and_mature, "15 0 * * *", 1000,
            "Expiração: expira pontos e cashback vencidos (PEPS) e libera o cashback pendente.",
            "Expiry: expires points and cashback past their expiry (FIFO) and matures pending cashback."),  # noqa: E501
    JobSpec("expiry-notice", expiry_notice.list_expiry_notices, "0 6 * * *", 1000,
            "Aviso de vencimento: lista os clientes com pontos ou cashback a vencer nos próximos dias.",  # noqa: E501
            "Expiry notice: lists the members whose points or cashback expire in the next days."),  # noqa: E501
    JobSpec("tier-review", tiers.tier_review_job, "30 2 * * *", 1000,
            "Revisão de níveis: aplica a escada de níveis a todos os clientes (rebaixamentos na revisão periódica).",  # noqa: E501
            "Tier review: applies the tier ladder to every member (downgrades at the periodic review)."),  # noqa: E501
    JobSpec("segments", adapters.segments_job, "0 3 * * *", 1000,
            "Segmentos: recalcula RFM e classe de valor de cada cliente.",
            "Segments: recomputes every member's RFM scores and value class."),
    JobSpec("voucher-expiry", voucher_expiry.expire_vouchers, "5 * * * *", 500,
            "Expiração de vales: marca como expirados os vales fora da validade e envia aos caixas.",  # noqa: E501
            "Voucher expiry: marks vouchers past their validity expired and syncs them to the tills."),  # noqa: E501
    JobSpec("lgpd-retention", retention.apply_retention, "30 4 * * *", 1000,
            "Retenção LGPD: apaga tokens de senha, sessões e eventos rejeitados além do prazo.",
            "LGPD retention: deletes reset tokens, sessions and rejected events past their period."),  # noqa: E501
    JobSpec(export_run.JOB, export_run.export_job, OFF, 10000,
            "Exportação completa: grava clientes, cartões, saldos, extrato, vales, vendas e campanhas em CSV e Parquet (um zip).",  # noqa: E501
            "Full export: writes members, cards, balances, ledger, vouchers, sales and campaigns as CSV and Parquet (one zip)."),  # noqa: E501
    JobSpec(import_uploads.JOB, import_uploads.import_job, OFF, 5000,
            "Importação: importa o arquivo enviado na página Importar (clientes, cartões, saldos ou vendas).",  # noqa: E501
            "Import: imports the file uploaded on the Import page (members, cards, balances or sales)."),  # noqa: E501
]  # fmt: skip

_registry: dict[str, JobSpec] = {}


def register(spec: JobSpec) -> JobSpec:
    """Add a job (a module of ``jobs_extra_modules`` calls this at import).

    :raises ValueError: a second job with the same name, or a broken default schedule.
    """
    if spec.name in _registry and _registry[spec.name] is not spec:
        raise ValueError(f"job {spec.name!r} is registered twice")
    if spec.schedule != OFF:
        Schedule.parse(spec.schedule)
    _registry[spec.name] = spec
    return spec


for _spec in BUILTIN:
    register(_spec)


def specs() -> dict[str, JobSpec]:
    return dict(_registry)


def configure(config: Mapping[str, Any]) -> tuple[dict[str, ConfiguredJob], ZoneInfo]:
    """The jobs this server runs, with the config's schedules and batch sizes applied.

    :raises ConfigError: an unknown job name or field, a broken schedule, a bad batch size or
        time zone, or an extra module that cannot be imported; the message names the key.
    """
    for module in config.get("JOBS_EXTRA_MODULES") or []:
        try:
            importlib.import_module(str(module))
        except ImportError as exc:
            raise ConfigError(f"jobs_extra_modules: cannot import {module!r}: {exc}") from None
    try:
        tz = time_zone(str(config.get("JOBS_TIME_ZONE")))
    except ScheduleError as exc:
        raise ConfigError(f"jobs_time_zone: {exc}") from None
    overrides = config.get("JOBS") or {}
    if not isinstance(overrides, Mapping):
        raise ConfigError("jobs: expected a table of [jobs.<name>] entries")
    for name in overrides:
        if name not in _registry:
            known = ", ".join(sorted(_registry))
            raise ConfigError(f"jobs.{name}: unknown job (known jobs: {known})")
    out: dict[str, ConfiguredJob] = {}
    for name, spec in _registry.items():
        entry = overrides.get(name) or {}
        if not isinstance(entry, Mapping):
            raise ConfigError(f"jobs.{name}: expected a table with schedule and batch_size")
        unknown = set(entry) - {"schedule", "batch_size"}
        if unknown:
            raise ConfigError(f"jobs.{name}: unknown field {sorted(unknown)[0]!r}")
        text = entry.get("schedule", spec.schedule)
        if not isinstance(text, str):
            raise ConfigError(f"jobs.{name}.schedule: expected a string, got {text!r}")
        schedule = None
        if text.strip().lower() != OFF:
            try:
                schedule = Schedule.parse(text)
            except ScheduleError as exc:
                raise ConfigError(f"jobs.{name}.schedule: {exc}") from None
        size = entry.get("batch_size", spec.batch_size)
        if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= 1_000_000:
            raise ConfigError(f"jobs.{name}.batch_size: expected 1-1000000, got {size!r}")
        out[name] = ConfiguredJob(spec, schedule, size)
    return out, tz
