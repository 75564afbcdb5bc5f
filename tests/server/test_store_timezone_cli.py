"""``tillclub server add-store --timezone`` and ``set-store-timezone``: the store's zone is
master data; the chain's ``chain_time_zone`` is the default and is checked at start; the zone
reaches the till at enrolment and in its ``store`` record of the changes feed."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from server import create_app
from server.config import ConfigError, load_config
from server.db import get_engine, new_session
from server.models import AuditLog, Store
from tillclub.cli import main


def _run(config: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["server", "--config", str(config), *args])


def _setup(tmp_path: Path, extra: str = "") -> Path:
    config = tmp_path / "server.toml"
    db = tmp_path / "tz.db"
    assert (
        _run(config, "init-config", str(config), "--database-url", f"sqlite:///{db}").exit_code == 0
    )
    if extra:
        config.write_text(config.read_text() + extra)
    assert _run(config, "init-db").exit_code == 0
    return config


def test_add_store_takes_its_zone_or_the_chain_s(tmp_path: Path) -> None:
    config = _setup(tmp_path, 'chain_time_zone = "America/Cuiaba"\n')
    done = _run(config, "add-store", "MAO-01", "Manaus", "--timezone", "America/Manaus")
    assert done.exit_code == 0, done.output
    assert "time zone America/Manaus" in done.output
    assert _run(config, "add-store", "CGB-01", "Cuiabá").exit_code == 0
    bad = _run(config, "add-store", "XXX-01", "Bad", "--timezone", "Mars/Olympus")
    assert bad.exit_code == 1
    assert "unknown time zone 'Mars/Olympus'" in bad.output
    app = create_app(load_config(config))
    try:
        with new_session(app) as s:
            zones = {r.id: r.timezone for r in s.execute(select(Store.id, Store.timezone))}
            assert zones == {"MAO-01": "America/Manaus", "CGB-01": "America/Cuiaba"}
    finally:
        get_engine(app).dispose()


def test_the_zone_reaches_the_till_at_enrolment_and_in_the_feed(tmp_path: Path) -> None:
    config = _setup(tmp_path)
    assert (
        _run(config, "add-store", "MAO-01", "Manaus", "--timezone", "America/Manaus").exit_code == 0
    )
    code = _run(config, "register-terminal", "MAO-01", "PDV 1").stdout.strip()
    app = create_app(load_config(config))
    try:
        client = app.test_client()
        enrolled = client.post("/api/v1/terminals/register", json={"code": code}).get_json()
        assert enrolled["store_timezone"] == "America/Manaus"
        headers = {"Authorization": f"Bearer {enrolled['credential']}"}
        body = client.get("/api/v1/changes", headers=headers).get_json()
        [store] = [c for c in body["changes"] if c["type"] == "store"]
        assert store["data"] == {
            "id": "MAO-01", "name": "Manaus", "timezone": "America/Manaus", "active": True
        }  # fmt: skip
        # editing the zone later is a new change the till pulls, and is audited
        changed = _run(config, "set-store-timezone", "MAO-01", "America/Porto_Velho")
        assert changed.exit_code == 0, changed.output
        again = client.get(
            f"/api/v1/changes?cursor={body['next_cursor']}", headers=headers
        ).get_json()
        assert [(c["type"], c["data"]["timezone"]) for c in again["changes"]] == [
            ("store", "America/Porto_Velho")
        ]
        bad = _run(config, "set-store-timezone", "MAO-01", "Porto Velho")
        assert bad.exit_code == 1
        assert "unknown time zone" in bad.output
        with new_session(app) as s:
            assert s.get_one(Store, "MAO-01").timezone == "America/Porto_Velho"
            actions = s.scalars(select(AuditLog.action).where(AuditLog.target_id == "MAO-01")).all()
            assert sorted(actions) == ["store.add", "store.timezone"]
    finally:
        get_engine(app).dispose()


def test_a_bad_chain_time_zone_stops_the_start_naming_the_key(tmp_path: Path) -> None:
    config = _setup(tmp_path)
    config.write_text(config.read_text() + 'chain_time_zone = "Brasil/Manaus"\n')
    with pytest.raises(ConfigError, match=r"chain_time_zone: unknown time zone 'Brasil/Manaus'"):
        create_app(load_config(config))
    result = _run(config, "add-store", "MAO-01", "Manaus")
    assert result.exit_code == 1
    assert "chain_time_zone" in result.output
