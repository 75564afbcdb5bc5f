"""One raffle ratio: a raffle rule counts one number per the raffle's ``spend_per_number``."""

from __future__ import annotations

import pytest

from loyalty.money import Money
from loyalty.rewards.raffle_rules import (
    RaffleRatioMismatch,
    UnknownRaffle,
    check_raffle_against,
    check_raffle_rules,
)


def _doc(per_amount: str, campaign: str = "natal") -> dict:  # type: ignore[type-arg]
    return {
        "rules": [
            {"id": "pontos", "kind": "points", "name": "P", "per_amount": "1.00", "points": 1},
            {"id": "sorteio", "kind": "raffle", "name": "S", "per_amount": per_amount,
             "campaign": campaign},
        ]
    }  # fmt: skip


def test_a_rule_with_the_raffles_ratio_passes_in_any_decimal_spelling() -> None:
    check_raffle_rules(_doc("50.00"), {"natal": Money("50.00")})
    check_raffle_rules(_doc("50"), {"natal": Money("50.00")})


def test_another_ratio_is_refused_naming_both_numbers_in_both_languages() -> None:
    with pytest.raises(RaffleRatioMismatch, match=r"R\$ 40\.00.*R\$ 50\.00") as caught:
        check_raffle_rules(_doc("40.00"), {"natal": Money("50.00")})
    assert "sorteio 'natal' promete um a cada R$ 50.00" in caught.value.message_pt
    assert caught.value.rule_id == "sorteio"


def test_an_unknown_raffle_is_refused_only_when_asked() -> None:
    check_raffle_rules(_doc("40.00", "pascoa"), {"natal": Money("50.00")})
    with pytest.raises(UnknownRaffle, match="'pascoa'"):
        check_raffle_rules(_doc("40.00", "pascoa"), {}, require_known=True)


def test_a_new_raffle_is_checked_against_published_rules_naming_it() -> None:
    published = [_doc("40.00"), {"rules": []}]
    with pytest.raises(RaffleRatioMismatch):
        check_raffle_against(published, "natal", Money("50.00"))
    check_raffle_against(published, "natal", Money("40.00"))
    check_raffle_against(published, "pascoa", Money("50.00"))
