"""Cards of the chain's previous programme: read as printed when their prefix is declared."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from loyalty.identification import CardRead, CpfRead, IdentificationError, identify
from loyalty.identification.scan import IdentificationConfig

NOW = datetime(2026, 12, 7, tzinfo=UTC)
OLD = IdentificationConfig(card_prefix="29", legacy_prefixes=("27", "FID"))


@pytest.mark.parametrize("code", ["2700000054321", "27123", "FID00042", "270000000000000001"])
def test_a_declared_old_prefix_is_a_card_read_as_printed(code: str) -> None:
    read = identify(f" {code}\r\n", OLD, NOW)
    assert read == CardRead(0, "legacy", code)


def test_without_the_declaration_an_old_ean_is_not_a_member_code() -> None:
    with pytest.raises(IdentificationError):
        identify("2700000054321", IdentificationConfig(card_prefix="29"), NOW)


def test_the_chain_own_cards_and_typed_cpfs_keep_their_meaning() -> None:
    own = identify(
        "2900000000018", IdentificationConfig(card_prefix="29", legacy_prefixes=("2",)), NOW
    )
    assert isinstance(own, CardRead)
    assert own.symbology == "ean13"
    cpf = identify("27144477757", IdentificationConfig(legacy_prefixes=("27",)), NOW)
    assert isinstance(cpf, CpfRead)


def test_a_malformed_prefix_is_refused() -> None:
    with pytest.raises(ValueError, match="legacy card prefix"):
        IdentificationConfig(legacy_prefixes=("2-7",))
