"""Kill -9 of ``tillclub server import members`` mid-file, a few times, then a run to the end:
the database equals one clean import of the same file (no member, card or key twice), on
SQLite and on PostgreSQL.

Each kill lands in a real child process (the real CLI, a real database connection) once its
run has committed a batch. What a killed batch wrote is rolled back by the database; the next
run of the same file resumes the unfinished run after its last committed line, and the
external ids make whatever it reads again a no-op.
"""

from __future__ import annotations

import base64
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from server import create_app
from server.db import get_engine
from server.services.terminals import add_store
from server.services.uow import SqlUnitOfWork
from tests.support.databases import migrated_database

from .files import MEMBERS_HEADER, member_lines

ROOT = Path(__file__).resolve().parents[4]
MEMBERS = 5000
KILLS = 4
SECRETS = {
    "secret_key": base64.b64encode(b"s" * 32).decode(),
    "cpf_key": base64.b64encode(b"k" * 32).decode(),
    "cpf_hash_secret": base64.b64encode(b"h" * 32).decode(),
}

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


def _config(folder: Path, url: str) -> Path:
    path = folder / "server.toml"
    lines = [f'database_url = "{url}"', 'log_level = "WARNING"']
    lines += [f'{k} = "{v}"' for k, v in SECRETS.items()]
    path.write_text("\n".join(lines) + "\n")
    app = create_app({"DATABASE_URL": url, **{k.upper(): v for k, v in SECRETS.items()}})
    add_store(SqlUnitOfWork.for_app(app), "LOJA-01", "Loja 1")
    get_engine(app).dispose()
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def two_databases(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with (
        migrated_database(request.param, tmp_path / "a", "tc_imp9") as killed,
        migrated_database(request.param, tmp_path / "b", "tc_imp9") as clean,
    ):
        yield _config(tmp_path / "a", killed), _config(tmp_path / "b", clean)


def _start(config: Path, file: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tillclub.cli", "server", "--config", str(config), "import",
         "members", str(file), "--batch-size", "200", "--json"],
        cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip


def _url(config: Path) -> str:
    return config.read_text().split('"')[1]


def _query(config: Path, sql: str) -> list[tuple[object, ...]]:
    engine = create_engine(_url(config))
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql))]
    finally:
        engine.dispose()


def _position(config: Path) -> int:
    rows = _query(config, "SELECT coalesce(max(position), 0) FROM import_runs")
    return int(rows[0][0])  # type: ignore[call-overload]


def _state(config: Path) -> dict[str, list[tuple[object, ...]]]:
    return {
        "members": _query(
            config,
            "SELECT k.external_id, m.name, m.cpf_hash, m.email, m.phone, m.birth_date, "
            "m.consent_marketing FROM members m JOIN import_keys k ON k.target_id = m.id "
            "ORDER BY k.external_id",
        ),
        "cards": _query(
            config,
            "SELECT c.number, k.external_id FROM cards c JOIN import_keys k "
            "ON k.target_id = c.member_id ORDER BY c.number",
        ),
        "counts": _query(
            config,
            "SELECT (SELECT count(*) FROM members), (SELECT count(*) FROM cards), "
            "(SELECT count(*) FROM import_keys), (SELECT count(*) FROM portal_consents)",
        ),
        "runs": _query(
            config,
            "SELECT status, rows_read, created, updated, unchanged, rejected FROM import_runs",
        ),
    }


def test_kills_mid_file_then_a_run_to_the_end_equal_one_clean_import(
    two_databases: tuple[Path, Path], tmp_path: Path
) -> None:
    killed, clean = two_databases
    file = tmp_path / "members.csv"
    file.write_text(MEMBERS_HEADER + "".join(member_lines(MEMBERS, bad_every=500)))
    rnd = random.Random(27)
    landed = 0
    for _ in range(KILLS):
        before = _position(killed)
        child = _start(killed, file)
        deadline = time.monotonic() + 120
        while _position(killed) == before and child.poll() is None:
            assert time.monotonic() < deadline, "the import made no progress"
            time.sleep(0.02)
        time.sleep(rnd.uniform(0.0, 0.2))
        if child.poll() is None:
            landed += 1
        child.send_signal(signal.SIGKILL)
        child.communicate()
    assert landed >= KILLS - 1, f"only {landed} of {KILLS} kills landed while the import ran"
    assert 0 < _position(killed) < MEMBERS
    last = _start(killed, file)
    out, err = last.communicate(timeout=600)
    assert last.returncode == 1, err  # some rows were rejected (the bad dates), none lost
    assert '"resumed_from": ' in out
    assert '"resumed_from": 0' not in out
    first = _start(clean, file)
    first_out, err = first.communicate(timeout=600)
    assert first.returncode == 1, err
    got, want = _state(killed), _state(clean)
    assert got["members"] == want["members"]
    assert got["cards"] == want["cards"]
    assert got["counts"] == want["counts"]
    assert got["runs"] == want["runs"]  # one run, resumed, with the same totals
    good = want["runs"][0][2]
    assert isinstance(good, int)
    assert 0 < MEMBERS - good < MEMBERS // 100  # the bad rows, and only those, are out
    assert want["counts"][0][0] == good
