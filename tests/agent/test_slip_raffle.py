"""The loyalty slip prints the sale's raffle numbers, and says how many are still to come."""

from __future__ import annotations

from typing import Any

from agent.sale.slips import slip_text


def _answer(**extra: Any) -> dict[str, Any]:
    return {
        "member_id": "m1", "member_name": "Paula Carvalho", "card": "2900000000018",
        "sale_id": "S:loja:T1:000000000001", "occurred_at": "2026-11-23T10:00:00+00:00",
        "lines": [], "points_earned": 40, "balance": {"points": 40, "cashback": "0.00"},
        "cashback_earned": "0.80", "discount": "0.00", **extra,
    }  # fmt: skip


def test_numbers_and_owed_tickets_are_printed() -> None:
    text = slip_text(
        _answer(raffle_numbers={"natal-2026": ["93062", "94225", None]}), "Loja", "pt-BR", 80
    )
    assert text is not None
    assert "NÚMEROS DA SORTE" in text
    row = next(line for line in text.splitlines() if line.startswith("natal-2026"))
    assert row.endswith("93062, 94225")
    assert "+1 números a receber" in text


def test_english_and_no_raffle_block_without_tickets() -> None:
    english = slip_text(_answer(raffle_numbers={"natal-2026": ["00042"]}), "Shop", "en", 58)
    assert english is not None
    assert "LUCKY NUMBERS" in english
    plain = slip_text(_answer(), "Loja", "pt-BR", 80)
    assert plain is not None
    assert "SORTE" not in plain
