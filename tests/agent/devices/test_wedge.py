"""Keyboard wedge: a scanner's burst is told apart from a person typing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from agent.devices.errors import WedgeTimingError
from agent.devices.reads import Accepted, Rejected, ScanSource
from agent.devices.wedge import WedgeConfig, classify_keys, read_wedge
from loyalty.identification import IdentificationConfig, card_number

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
CPF = "39053344705"


def times(gaps_ms: list[float]) -> list[float]:
    out = [1000.0]
    for gap in gaps_ms:
        out.append(out[-1] + gap)
    return out


def test_a_fast_burst_is_a_scanner() -> None:
    code = card_number(42)
    assert classify_keys(code, times([8] * 12)) is ScanSource.WEDGE_SCANNER


def test_a_burst_with_one_usb_hiccup_is_still_a_scanner() -> None:
    assert classify_keys("TC424242", times([6, 6, 90, 6, 6, 6, 6])) is ScanSource.WEDGE_SCANNER


def test_a_cashier_typing_is_a_person() -> None:
    assert (
        classify_keys(CPF, times([180, 95, 240, 130, 160, 120, 300, 110, 150, 140]))
        is ScanSource.WEDGE_TYPED
    )


def test_a_fast_typist_with_one_pause_is_a_person() -> None:
    assert classify_keys(CPF, times([30] * 5 + [400] + [30] * 4)) is ScanSource.WEDGE_TYPED


def test_no_timings_means_unknown_and_an_enter_key_time_is_allowed() -> None:
    assert classify_keys(CPF, None) is ScanSource.WEDGE_UNKNOWN
    assert classify_keys("TC42", times([5, 5, 5, 5])) is ScanSource.WEDGE_SCANNER


def test_timings_that_do_not_fit_the_text_are_a_clear_error() -> None:
    with pytest.raises(WedgeTimingError, match="3 key times for 11 characters"):
        classify_keys(CPF, [1, 2, 3])
    with pytest.raises(WedgeTimingError, match="backwards"):
        classify_keys("TC42", [4, 3, 2, 1])


def test_cpf_burst_is_refused_and_typed_cpf_is_accepted() -> None:
    config = IdentificationConfig()
    burst = read_wedge(CPF, times([5] * 10), config, NOW)
    assert isinstance(burst, Rejected)
    assert burst.reason == "wrong_source_cpf"
    typed = read_wedge(CPF, times([150] * 10), config, NOW)
    assert isinstance(typed, Accepted)
    assert typed.source is ScanSource.WEDGE_TYPED


def test_thresholds_come_from_config() -> None:
    slow_scanner = WedgeConfig(burst_median_ms=60, burst_max_gap_ms=200)
    assert classify_keys("TC424242", times([50] * 7), slow_scanner) is ScanSource.WEDGE_SCANNER
    assert classify_keys("TC424242", times([50] * 7)) is ScanSource.WEDGE_TYPED
