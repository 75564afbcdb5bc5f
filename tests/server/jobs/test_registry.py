"""Schedules in config: defaults, overrides, and a start-up error naming the key."""

from __future__ import annotations

from typing import Any

import pytest

from server import create_app
from server.config import DEFAULTS, ConfigError, load_config
from server.jobs.registry import configure, specs

from ..conftest import SECRETS


def config(**overrides: Any) -> dict[str, Any]:
    return dict(DEFAULTS) | SECRETS | {"DATABASE_URL": "sqlite://"} | overrides


def test_every_builtin_job_is_registered_with_a_description_in_both_languages() -> None:
    names = set(specs())
    assert {"tier-review", "segments", "voucher-expiry", "lgpd-retention"} <= names
    for spec in specs().values():
        assert spec.description_pt
        assert spec.description_en
        assert spec.batch_size >= 1


def test_config_overrides_schedule_and_batch_size_and_off_means_by_hand_only() -> None:
    jobs, tz = configure(
        config(
            JOBS={
                "segments": {"schedule": "15 1 * * 0", "batch_size": 50},
                "voucher-expiry": {"schedule": "off"},
            },
            JOBS_TIME_ZONE="America/Manaus",
        )
    )
    assert str(tz) == "America/Manaus"
    assert jobs["segments"].schedule is not None
    assert jobs["segments"].schedule.text == "15 1 * * 0"
    assert jobs["segments"].batch_size == 50
    assert jobs["voucher-expiry"].schedule is None
    assert jobs["tier-review"].schedule is not None  # untouched: the default


@pytest.mark.parametrize(
    ("jobs", "message"),
    [
        ({"segmints": {"schedule": "0 3 * * *"}}, r"jobs\.segmints: unknown job \(known jobs: "),
        ({"segments": {"schedule": "0 25 * * *"}}, r"jobs\.segments\.schedule: hour field '25'"),
        ({"segments": {"schedule": "nightly"}}, r"jobs\.segments\.schedule: 'nightly': expected 5"),
        ({"segments": {"schedule": 3}}, r"jobs\.segments\.schedule: expected a string"),
        ({"segments": {"batch_size": 0}}, r"jobs\.segments\.batch_size: expected 1-1000000"),
        ({"segments": {"every": "day"}}, r"jobs\.segments: unknown field 'every'"),
    ],
)
def test_broken_job_config_stops_the_app_at_start(jobs: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        create_app(config(JOBS=jobs))


def test_bad_time_zone_and_retention_period_stop_the_app() -> None:
    with pytest.raises(ConfigError, match="jobs_time_zone: unknown time zone 'Brasilia'"):
        create_app(config(JOBS_TIME_ZONE="Brasilia"))
    with pytest.raises(ConfigError, match="retention_reset_token_days: expected a whole number"):
        create_app(config(RETENTION_RESET_TOKEN_DAYS=0))


def test_jobs_table_from_toml_and_from_the_environment(tmp_path: Any) -> None:
    path = tmp_path / "server.toml"
    path.write_text('[jobs.segments]\nschedule = "0 4 * * *"\n', encoding="utf-8")
    assert load_config(path, env={})["JOBS"] == {"segments": {"schedule": "0 4 * * *"}}
    env = {"TILLCLUB_SERVER_JOBS": '{"segments": {"schedule": "off"}}'}
    assert load_config(None, env=env)["JOBS"] == {"segments": {"schedule": "off"}}
    with pytest.raises(ConfigError, match="TILLCLUB_SERVER_JOBS: expected JSON"):
        load_config(None, env={"TILLCLUB_SERVER_JOBS": "segments=off"})


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("JOBS_STORAGE", "rabbit", "jobs_storage: expected 'sqlite' or 'redis', got 'rabbit'"),
        ("JOBS_TICK_SECONDS", 90, "jobs_tick_seconds: expected a whole number 1-60, got 90"),
        ("JOBS_LEASE_SECONDS", 0, "jobs_lease_seconds: expected a whole number 1-86400, got 0"),
        ("JOBS_EXTRA_MODULES", ["no.such.module"], "jobs_extra_modules: cannot import"),
    ],
)
def test_broken_worker_settings_stop_the_app(key: str, value: Any, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        create_app(config(**{key: value}))
