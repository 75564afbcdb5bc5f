"""``tillclub price`` run as the installed console command, in a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
TILLCLUB = Path(sys.executable).parent / "tillclub"
EXAMPLES = ROOT / "docs" / "examples"


def tillclub(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(TILLCLUB), "price", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def write(tmp_path: Path, name: str, doc: Any) -> Path:
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
    return path


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    rules = {
        "rules": [
            {"id": "club", "kind": "member_price", "name": "Preço Clube", "sku": "A",
             "price": "8.00", "audience": {"members_only": True}},
            {"id": "l3p2", "kind": "take_pay", "name": "Leve 3 Pague 2", "take": 3, "pay": 2,
             "applies_to": {"categories": ["bev"]}},
            {"id": "pts", "kind": "points", "name": "Pontos", "per_amount": "1.00", "points": 1},
        ]
    }  # fmt: skip
    basket = {
        "lines": [
            {
                "sku": "A",
                "qty": 2,
                "unit_price": "10.00",
                "category": "food",
                "brand": "x",
                "tags": [],
            },
            {"sku": "B", "qty": 3, "unit_price": "10.00", "category": "bev", "brand": "y"},
            {"sku": "C", "qty": 3, "unit_price": "5.00", "category": "bev", "brand": "y"},
        ]
    }
    return {
        "rules": write(tmp_path, "rules.json", rules),
        "basket": write(tmp_path, "basket.json", basket),
        "member": write(tmp_path, "member.json", {"id": "m1", "tier": "gold"}),
    }


def test_prices_a_basket_and_prints_json(files: dict[str, Path]) -> None:
    """
    GIVEN a club price on A and "leve 3 pague 2" on drinks
    WHEN a member's basket is priced
    THEN the JSON shows gross, each discount with its rule, net, totals and points.
    """
    out = tillclub("--rules", files["rules"], "--basket", files["basket"], "--member",
                   files["member"], "--store", "S1", "--at", "2026-03-04T10:00")  # fmt: skip
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    first = result["lines"][0]
    assert (first["sku"], first["qty"], first["unit_price"], first["gross"], first["net"]) == (
        "A", "2", "10.00", "20.00", "16.00",
    )  # fmt: skip
    assert [(d["rule"], d["name"], d["amount"]) for d in first["discounts"]] == [
        ("club", "Preço Clube", "4.00")
    ]
    assert [ln["net"] for ln in result["lines"]] == ["16.00", "30.00", "5.00"]
    assert (result["subtotal"], result["discount"], result["total"]) == ("65.00", "14.00", "51.00")
    assert result["rewards"]["points"] == 51
    assert result["rewards"]["cashback"] == "0.00"
    assert result["rewards"]["raffle_tickets"] == {}
    assert result["rewards"]["details"] == [
        {"rule": "pts", "name": "Pontos", "kind": "points", "amount": 51}
    ]


def test_anonymous_sale_gets_no_member_price(files: dict[str, Path]) -> None:
    out = tillclub(
        "--rules", files["rules"], "--basket", files["basket"], "--at", "2026-03-04T10:00-03:00"
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert (result["total"], result["rewards"]["points"]) == ("55.00", 0)


def test_the_documented_examples_price(tmp_path: Path) -> None:
    out = tillclub("--rules", EXAMPLES / "campaign.json", "--basket", EXAMPLES / "basket.json",
                   "--member", EXAMPLES / "member.json", "--store", "sp-01",
                   "--at", "2026-03-04T10:00")  # fmt: skip
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    fired = {a["rule"] for a in result["applied"]}
    assert {"gold-arroz", "perso-cafe-m42", "refri-l3p2", "cafe-da-manha", "agua-atacado"} <= fired
    assert result["total"] == f"{sum(float(ln['net']) for ln in result['lines']):.2f}"


@pytest.mark.parametrize(
    ("which", "doc", "message"),
    [
        (
            "rules",
            {"rules": [{"id": "r7", "kind": "percent_off", "name": "X", "percent": "150"}]},
            "Error: rule 'r7': field 'percent': must be a number between 0 and 100, got \"150\"",
        ),
        (
            "rules",
            {"rules": [{"id": "r8", "kind": "free_lunch", "name": "X"}]},
            "Error: rule 'r8': field 'kind': unknown kind \"free_lunch\"; expected one of "
            "member_price, percent_off, amount_off, take_pay, buy_get, quantity_price, "
            "bundle_price, basket_amount_off, basket_percent_off, points, points_multiplier, "
            "points_bonus, cashback, raffle",
        ),
        (
            "basket",
            {
                "lines": [
                    {"sku": "A", "qty": 1, "unit_price": "1.00"},
                    {"sku": "B", "qty": 1, "unit_price": "-2.00"},
                ]
            },
            "Error: line 2: field 'unit_price': must be an amount of money ≥ 0 with at most 2 "
            "decimals, got -2.00",
        ),
        (
            "basket",
            {"lines": [{"sku": "A", "qty": "0", "unit_price": "1.00"}]},
            "Error: line 1: field 'qty': must be a number greater than 0 and at most 100000 with "
            "at most 3 decimals, got 0",
        ),
        (
            "basket",
            '{"lines": [',
            "Error: basket file '{path}': not valid JSON: Expecting value (line 1, column 12)",
        ),
        ("member", {"tier": "gold"}, "Error: member: field 'id': is required"),
    ],
)
def test_bad_input_exits_2_with_a_message_and_no_traceback(
    files: dict[str, Path], tmp_path: Path, which: str, doc: Any, message: str
) -> None:
    files[which] = write(tmp_path, f"bad-{which}.json", doc)
    out = tillclub(
        "--rules", files["rules"], "--basket", files["basket"], "--member", files["member"]
    )
    assert out.returncode == 2
    assert out.stdout == ""
    assert out.stderr.strip() == message.format(path=files[which])
    assert "Traceback" not in out.stderr


def test_messages_in_portuguese(files: dict[str, Path], tmp_path: Path) -> None:
    bad = write(
        tmp_path,
        "b.json",
        {"lines": [{"sku": "A", "qty": "1.5", "unit_price": "1", "weighed": False}]},
    )
    out = tillclub("--rules", files["rules"], "--basket", bad, "--lang", "pt-BR")
    assert out.returncode == 2
    assert out.stderr.strip() == (
        "Error: linha 1: campo 'qty': deve ser um número inteiro para item não pesado, recebido 1.5"
    )


def test_missing_file_and_bad_time_exit_2(files: dict[str, Path], tmp_path: Path) -> None:
    out = tillclub("--rules", tmp_path / "nope.json", "--basket", files["basket"])
    assert out.returncode == 2
    assert "rules file" in out.stderr
    assert "cannot read it" in out.stderr
    out = tillclub("--rules", files["rules"], "--basket", files["basket"], "--at", "tomorrow")
    assert (out.returncode, out.stderr.strip()) == (
        2,
        "Error: --at: not an ISO-8601 date-time: 'tomorrow'",
    )
