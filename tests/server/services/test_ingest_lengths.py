"""The lengths the till checks (``loyalty.bounds.TEXT_LENGTHS``) are the server's columns.

The server checks every pushed string against its model's column (``ingest_lengths``); the
till checks the POS's text against the same numbers from ``loyalty`` (it cannot import the
models). This pins one to the other, so widening a column without the table fails here.
"""

from __future__ import annotations

from loyalty.bounds import TEXT_LENGTHS
from server.models import Member, Refund, SaleLine
from server.services.ingest_lengths import column_length


def test_the_tills_text_lengths_are_the_servers_columns() -> None:
    columns = {
        "sku": SaleLine.sku,
        "category_id": SaleLine.category_id,
        "brand": SaleLine.brand,
        "refund_reason": Refund.reason,
        "member_name": Member.name,
        "phone": Member.phone,
        "email": Member.email,
    }
    assert {k: column_length(c) for k, c in columns.items()} == TEXT_LENGTHS
