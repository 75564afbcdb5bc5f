"""SQLite failures the agent must name: a full disk, and a rollback that has nothing to undo.

When SQLite cannot write a page (``SQLITE_FULL``: the disk, or a size limit), it has already
rolled the transaction back; a plain ``ROLLBACK`` in the caller's ``except`` then fails with
"cannot rollback - no transaction is active" and that second error is what reached the POS.
:func:`rollback` undoes only what is open, so the first error is the one raised, and
:func:`is_disk_full` tells it apart (errors: ``disk_full``, ``agent/sale/errors.py``).
"""

from __future__ import annotations

import errno
import sqlite3

from loyalty.errors import LoyaltyError

SQLITE_FULL = 13


def rollback(conn: sqlite3.Connection) -> None:
    """Roll back the open transaction, if SQLite has not already done so."""
    if conn.in_transaction:
        try:
            conn.execute("ROLLBACK")
        except sqlite3.OperationalError:
            if conn.in_transaction:  # it really is open: that is worth raising
                raise


def is_disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` is a write refused for lack of space (SQLite or the OS)."""
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", None)
        if code is not None and code & 0xFF == SQLITE_FULL:
            return True
        return "database or disk is full" in str(exc)
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)


class DiskFull(LoyaltyError):
    """The till's disk (or the journal's size limit) is full: nothing was recorded; the POS
    may retry once space is freed (same answer, same ids)."""

    code = "disk_full"

    def __init__(self) -> None:
        super().__init__(
            "the till's disk is full: the loyalty sale was not recorded; free disk space "
            "(call support) and send it again",
            "disco do caixa cheio: a venda do clube não foi registrada; libere espaço em "
            "disco (chame o suporte) e envie de novo",
        )
