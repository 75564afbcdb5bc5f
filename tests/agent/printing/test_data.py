"""Template data builders mask names, cards and CPFs."""

from __future__ import annotations

from agent.printing.data import mask_card, mask_name, member_data, slip_data, with_member
from agent.printing.templates import render_template


def test_names_keep_first_name_and_last_initial() -> None:
    assert mask_name("Maria da Conceição Silva") == "Maria S."
    assert mask_name("JOÃO") == "João"
    assert mask_name("   ") == ""


def test_card_shows_last_four_and_cpf_is_masked() -> None:
    assert mask_card("2900000004207") == "**** 4207"
    member = member_data("Ana Souza", card="TC424242", cpf="390.533.447-05")
    assert member == {"name": "Ana S.", "card": "**** 4242", "cpf": "***.533.447-**"}


def test_slip_data_keeps_only_discounted_lines_and_renders() -> None:
    data = slip_data(
        store={"name": "Loja"},
        sale={"id": "S1", "at": "2026-11-23T10:00:00"},
        member={"name": "Ana Souza", "card": "2900000004207", "cpf": "39053344705"},
        lines=[
            {"description": "Pão", "discounts": []},
            {
                "description": "Leite",
                "discounts": [{"rule": "R1", "name": "Clube", "amount": "1.00"}],
            },
        ],
        points_earned=10,
        points_balance=110,
    )
    assert [line["description"] for line in data["lines"]] == ["Leite"]
    assert data["cashback"] is None
    doc = render_template("loyalty_slip", data)
    assert "39053344705" not in doc.to_json()
    assert "2900000004207" not in doc.to_json()


def test_with_member_masks_for_the_other_templates() -> None:
    data = with_member({"x": 1}, {"name": "Ana Souza", "cpf": "39053344705"})
    assert data["member"] == {"name": "Ana S.", "cpf": "***.533.447-**"}
