"""The one redaction rule of every log: what is masked, and what is left readable."""

from __future__ import annotations

import io
import logging

import pytest

from loyalty.redaction import RedactingFilter, scrub


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("cpf 390.533.447-05 typed", "390.533.447-05"),
        ("cpf 39053344705 typed", "39053344705"),
        ("card 2900000000774 scanned", "2900000000774"),
        ("pan 4111111111111111", "4111111111111111"),
        ("phone (11) 91234-5678", "91234-5678"),
        ("phone +55 11 91234-5678", "91234-5678"),
        ("phone 11 3232-4545", "3232-4545"),
        ("phone 1132324545", "1132324545"),
        ("mail Ana.Lima+club@example.com.br", "example.com"),
        ('"GET /admin/members?q=390.533.447-05&page=2 HTTP/1.1" 200', "q="),
        ('"GET /portal/reset/AbCdEf0123456789_-xyz HTTP/1.1" 200', "AbCdEf0123456789"),
        ("token " + "A1b2" * 11, "A1b2A1b2"),
        ("auth Bearer tc1.T0001.abcdefghijklmnop", "abcdefghijklmnop"),
    ],
)
def test_scrub_masks(text: str, secret: str) -> None:
    assert secret not in scrub(text)


def test_scrub_leaves_ids_counts_and_times_readable() -> None:
    text = (
        "2026-12-07 15:29:43 event E:T0001:000000000042 sale S:LOJA-01:T0001:7 "
        "applied 12 of 500 in 18.5 ms, status 200"
    )
    assert scrub(text) == text


def test_the_filter_scrubs_arguments_extras_and_tracebacks() -> None:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(RedactingFilter())
    log = logging.getLogger("tests.redaction")
    log.addHandler(handler)
    log.propagate = False
    try:
        log.warning("member %s", "39053344705", extra={"email": "a@b.example"})
        try:
            raise ValueError("bad cpf 390.533.447-05")
        except ValueError:
            log.exception("failed")
    finally:
        log.removeHandler(handler)
    text = out.getvalue()
    assert "member [number]" in text
    assert "390.533.447-05" not in text
    assert "39053344705" not in text
    assert "[cpf]" in text  # the traceback's message was scrubbed too
