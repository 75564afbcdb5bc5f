"""The installed ``tillclub`` command, run as a subprocess, as a cashier's script would."""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from loyalty.identification import load_private_key, mint_qr

TILLCLUB = shutil.which("tillclub") or str(Path(sys.executable).parent / "tillclub")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [TILLCLUB, *args], capture_output=True, text=True, timeout=60, check=False
    )


def test_card_number() -> None:
    result = run("code", "card-number", "42")
    assert (result.returncode, result.stdout) == (0, "2900000000421\n")
    assert run("code", "card-number", "42", "--code128").stdout == "TC42\n"


def test_card_number_out_of_range_is_a_usage_error() -> None:
    result = run("code", "card-number", "99999999999")
    assert result.returncode == 2
    assert "does not fit 10 digits" in result.stderr
    assert "Traceback" not in result.stderr


def test_check_card_as_json() -> None:
    result = run("code", "check", "]E02900000000421", "--json")
    assert result.returncode == 0
    assert json.loads(result.stdout) == {
        "ok": True,
        "kind": "card",
        "symbology": "ean13",
        "member_number": 42,
    }


def test_check_refuses_a_product_code_with_exit_1() -> None:
    result = run("code", "check", "7891000100103", "--json", "--lang", "en")
    assert result.returncode == 1
    payload = json.loads(result.stdout)
    assert payload["ok"] is False
    assert payload["reason"] == "not_member_code"
    assert "not a member card" in payload["message"]
    plain = run("code", "check", "7891000100103")
    assert plain.returncode == 1
    assert "não é cartão do clube" in plain.stderr


def test_cpf_is_masked_in_output() -> None:
    result = run("code", "check", "390.533.447-05")
    assert result.returncode == 0
    assert "39053344705" not in result.stdout
    assert "***.533.447-**" in result.stdout


def test_keys_generate_then_check_a_qr(tmp_path: Path) -> None:
    result = run("keys", "generate", str(tmp_path / "keys"))
    assert result.returncode == 0, result.stderr
    private = tmp_path / "keys" / "qr-signing-key.pem"
    public = tmp_path / "keys" / "qr-public-key.pem"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    at = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    token = mint_qr(load_private_key(private.read_bytes()), 9, now=at, nonce=b"123456")
    ok = run("code", "check", token, "--public-key", str(public), "--at", at.isoformat(), "--json")
    assert json.loads(ok.stdout)["member_id"] == 9
    late = run("code", "check", token, "--public-key", str(public), "--at", "2026-11-23T13:00Z")
    assert late.returncode == 1
    assert "expirou" in late.stderr
    again = run("keys", "generate", str(tmp_path / "keys"))
    assert again.returncode != 0
    assert "already exists" in again.stderr


@pytest.mark.parametrize("at", ["yesterday", "2026-11-23T12:00"])
def test_bad_at_is_a_usage_error(at: str) -> None:
    result = run("code", "check", "TC42", "--at", at)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
