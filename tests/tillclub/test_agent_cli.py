"""``tillclub agent reprint`` and ``tillclub agent print-preview``."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from agent.printing.document import Document, Text
from agent.printing.queue import PrintQueue, ensure_schema
from tillclub.cli import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "printer_templates" / "examples"
TILLCLUB = shutil.which("tillclub") or str(Path(sys.executable).parent / "tillclub")
T0 = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


@pytest.fixture
def journal(tmp_path: Path) -> Path:
    path = tmp_path / "agent.db"
    conn = sqlite3.connect(path)
    ensure_schema(conn)
    queue = PrintQueue(conn)
    job = queue.enqueue("L3-T2-000123", "loyalty_slip", Document((Text("slip"),)), T0)
    conn.commit()
    queue.mark_done(job, T0)
    conn.close()
    return path


def test_reprint_queues_the_sales_slips_again(journal: Path) -> None:
    result = CliRunner().invoke(
        main, ["agent", "reprint", "L3-T2-000123", "--journal", str(journal)]
    )
    assert result.exit_code == 0, result.output
    assert "queued 1 slip(s) of sale L3-T2-000123 for reprint (jobs 2)" in result.output
    conn = sqlite3.connect(journal)
    (job,) = PrintQueue(conn).pending("receipt")
    assert (job.id, job.reprint_of, job.template) == (2, 1, "loyalty_slip")
    conn.close()


def test_reprint_of_an_unknown_sale_fails_clearly(journal: Path) -> None:
    result = CliRunner().invoke(main, ["agent", "reprint", "X1", "--journal", str(journal)])
    assert result.exit_code == 1
    assert "nenhum comprovante da venda 'X1'" in result.output
    result = CliRunner().invoke(
        main, ["agent", "reprint", "X1", "--journal", str(journal), "--lang", "en"]
    )
    assert "no printed slips for sale 'X1'" in result.output


def test_reprint_never_creates_a_journal(tmp_path: Path) -> None:
    missing = tmp_path / "typo.db"
    result = CliRunner().invoke(main, ["agent", "reprint", "S1", "--journal", str(missing)])
    assert result.exit_code == 1
    assert "journal not found" in result.output
    assert not missing.exists()
    (tmp_path / "junk.db").write_bytes(b"not a database at all" * 100)
    result = CliRunner().invoke(
        main, ["agent", "reprint", "S1", "--journal", str(tmp_path / "junk.db")]
    )
    assert result.exit_code == 1
    assert "cannot use journal" in result.output


def test_print_preview_writes_text_and_png(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        [
            "agent",
            "print-preview",
            "raffle_numbers",
            "--data",
            str(EXAMPLES / "raffle_numbers.json"),
            "--out",
            str(tmp_path / "out"),
            "--lang",
            "en",
            "--paper",
            "58",
            "--scale",
            "2",
        ],
    )
    assert result.exit_code == 0, result.output
    text = (tmp_path / "out" / "raffle_numbers-en.txt").read_text(encoding="utf-8")
    assert "LUCKYNUMBERS" in text.replace(" ", "")
    assert "Series 012  No. 34567" in text
    with Image.open(tmp_path / "out" / "raffle_numbers-en.png") as image:
        assert image.width == 2 * (32 * 6 + 16)


def test_print_preview_takes_inline_json_and_reports_missing_data(tmp_path: Path) -> None:
    data = json.dumps({"store": {"name": "Loja"}, "voucher": {"code": "V1", "value": "5"}})
    result = CliRunner().invoke(
        main, ["agent", "print-preview", "voucher", "--data", data, "--out", str(tmp_path)]
    )
    assert result.exit_code == 1
    assert "precisa do dado 'voucher.valid_until'" in result.output
    result = CliRunner().invoke(
        main, ["agent", "print-preview", "voucher", "--data", "{oops", "--out", str(tmp_path)]
    )
    assert result.exit_code == 1
    assert "--data is not valid JSON" in result.output


def test_installed_command_runs_print_preview(tmp_path: Path) -> None:
    """The console script, as a cashier's or the demo's script runs it."""
    proc = subprocess.run(
        [
            TILLCLUB,
            "agent",
            "print-preview",
            "voucher",
            "--data",
            str(EXAMPLES / "voucher.json"),
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        str(tmp_path / "voucher-pt-BR.txt"),
        str(tmp_path / "voucher-pt-BR.png"),
    ]
    assert proc.stderr == ""


def test_print_preview_refuses_what_the_paper_cannot_print(tmp_path: Path) -> None:
    data = json.loads((EXAMPLES / "voucher.json").read_text(encoding="utf-8"))
    data["voucher"]["code"] = "VC-" + "X" * 20
    result = CliRunner().invoke(
        main,
        [
            "agent",
            "print-preview",
            "voucher",
            "--data",
            json.dumps(data),
            "--out",
            str(tmp_path),
            "--paper",
            "58",
            "--lang",
            "en",
        ],
    )
    assert result.exit_code == 1
    assert "too wide for 58 mm paper" in result.output
    assert not list(tmp_path.iterdir())


def test_print_preview_uses_a_shops_own_templates(tmp_path: Path) -> None:
    own = tmp_path / "templates"
    own.mkdir()
    (own / "hello.json").write_text(
        json.dumps(
            {
                "requires": ["name"],
                "strings": {"pt-BR": {"hi": "Olá"}, "en": {"hi": "Hello"}},
                "blocks": [{"type": "text", "text": "{{ s.hi }}, {{ name }}!"}],
            }
        ),
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        main,
        [
            "agent",
            "print-preview",
            "hello",
            "--data",
            '{"name": "Ana"}',
            "--out",
            str(tmp_path / "out"),
            "--templates",
            str(own),
        ],
    )
    assert result.exit_code == 0, result.output
    assert (
        (tmp_path / "out" / "hello-pt-BR.txt").read_text(encoding="utf-8").startswith("Olá, Ana!")
    )


def test_cli_keeps_the_escpos_cache_in_one_place(tmp_path: Path) -> None:
    """escpos would otherwise leave a new temp directory behind on every run."""
    cache = tmp_path / "cache"
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    data = str(EXAMPLES / "voucher.json")
    for _ in range(2):
        proc = subprocess.run(
            [TILLCLUB, "agent", "print-preview", "voucher", "--data", data, "--out", str(tmp_path)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env=env,
        )
        assert proc.returncode == 0, proc.stderr
    pickles = list((cache / "tillclub" / "escpos").iterdir())
    assert [p.name.endswith(".capabilities.pickle") for p in pickles] == [True]
