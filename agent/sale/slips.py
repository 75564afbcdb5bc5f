"""Queue the loyalty slip of a recorded sale, off the till's path.

The sale is already durable when this runs: a background thread renders the slip and adds
it to the print queue (in the journal, its own connection and transaction), then wakes the
print worker. Anonymous sales print nothing here (the POS prints its own receipt). A slip
that cannot be rendered is logged, never an error for the sale.
"""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from loyalty.errors import LoyaltyError

log = logging.getLogger("tillclub.agent.slips")


class SlipQueue:
    def __init__(
        self,
        connect: Callable[[], sqlite3.Connection],
        store_name: str,
        language: str,
        notify: Callable[[], None] = lambda: None,
    ) -> None:
        self.connect = connect
        self.store_name = store_name
        self.language = language
        self.notify = notify
        self._jobs: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="tillclub-slips", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._jobs.put(None)
            self._thread.join(5)

    def submit(self, answer: dict[str, Any]) -> None:
        if answer.get("member_id") is not None:
            self._jobs.put(answer)

    def _run(self) -> None:
        from agent.printing.queue import PrintQueue
        from agent.printing.worker import submit

        conn = self.connect()
        try:
            while (answer := self._jobs.get()) is not None:
                data = slip_fields(answer, self.store_name)
                try:
                    conn.execute("BEGIN IMMEDIATE")
                    submit(
                        PrintQueue(conn),
                        sale_id=answer["sale_id"],
                        template="loyalty_slip",
                        data=data,
                        now=datetime.now(UTC),
                        lang=self.language,
                    )
                    conn.execute("COMMIT")
                    self.notify()
                except (LoyaltyError, sqlite3.Error) as exc:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    log.error("slip of %s not queued: %s", answer["sale_id"], exc)
        finally:
            conn.close()


def slip_fields(answer: dict[str, Any], store_name: str) -> dict[str, Any]:
    """The loyalty slip's template data from a recorded sale's answer."""
    from agent.printing.data import slip_data

    return slip_data(
        store={"name": store_name},
        sale={"id": answer["sale_id"], "at": answer["occurred_at"][:19]},
        member={"name": answer.get("member_name", ""), "card": answer.get("card")},
        lines=[
            {
                # Answers recorded before names were synced have none: the SKU it is.
                "description": line.get("name") or line["sku"],
                "discounts": [
                    {"rule": d["id"], "name": d["name"], "amount": d["amount"]}
                    for d in line["discounts"]
                ],
            }
            for line in answer["lines"]
        ],
        points_earned=answer["points_earned"],
        points_balance=answer["balance"]["points"],
        cashback_earned=answer["cashback_earned"],
        cashback_balance=answer["balance"]["cashback"],
        total_discount=answer["discount"],
        raffle_numbers=answer.get("raffle_numbers"),
    )


def slip_text(
    answer: dict[str, Any] | None, store_name: str, language: str, paper_mm: int
) -> str | None:
    """The loyalty slip as plain text (what the POS can show or print itself).

    ``None`` for no recorded sale, or an anonymous one (no loyalty slip).
    """
    if answer is None or answer.get("member_id") is None:
        return None
    from agent.printing.preview import to_text
    from agent.printing.profiles import profile_for
    from agent.printing.templates import render_template

    document = render_template("loyalty_slip", slip_fields(answer, store_name), language)
    return to_text(document, profile_for(paper_mm))
