"""The importer's values: what to import, how, and what came of it (:class:`ImportReport`)."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from typing import Any

from ...i18n import translate
from .messages_pt import MESSAGES


class Kind(enum.Enum):
    """What a file holds; each kind's columns are documented in ``docs/import.md``."""

    MEMBERS = "members"
    CARDS = "cards"
    BALANCES = "balances"
    SALES = "sales"


class OnDuplicate(enum.Enum):
    """What a row that names a record already there does (by CPF, card or external id).

    ``MERGE``: the row's non-empty fields update that record. ``REPORT``: the row is rejected
    as a duplicate (a row identical to what is stored is unchanged either way, so re-running a
    file is harmless in both modes).
    """

    MERGE = "merge"
    REPORT = "report"


@dataclass(frozen=True)
class ImportOptions:
    """:param batch_size: rows per transaction (one commit and one resume point each).
    :param time_zone: the IANA zone dates without a time are read in (the chain's).
    :param actor: who runs it (the admin's e-mail, or ``cli``), for ``import_runs`` and the audit.
    :param file_name: the name recorded for the file (an uploaded file's original name).
    :param card_prefix: the chain's EAN-13 card prefix (``CARD_PREFIX``).
    :param legacy_card_prefixes: the old programme's card prefixes the chain declares
        (``CARD_LEGACY_PREFIXES``): card numbers starting with one are kept as they are.
    """

    on_duplicate: OnDuplicate = OnDuplicate.REPORT
    batch_size: int = 5000
    time_zone: str = "America/Sao_Paulo"
    actor: str = "cli"
    file_name: str | None = None
    card_prefix: str = "29"
    legacy_card_prefixes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rejection:
    """One rejected row: its line in the file (the header is line 1), why, and its columns.

    ``message`` is the English text with ``{name}`` placeholders filled from ``values``
    (:meth:`text` gives it in a language); a CPF never appears in it, only masked.
    """

    line: int
    code: str
    message: str
    values: dict[str, Any] = field(default_factory=dict)
    row: dict[str, str] = field(default_factory=dict)

    def text(self, lang: str = "pt-BR") -> str:
        return translate(MESSAGES, lang, self.message, **self.values)


@dataclass(frozen=True)
class Progress:
    """Where a run is, for a progress bar: file bytes read of the total, rows so far."""

    bytes_read: int
    bytes_total: int
    rows_read: int
    line: int


@dataclass
class ImportReport:
    """What a dry run would do, or a run did.

    ``created``/``updated``/``unchanged`` count rows (a sale with its lines is one row);
    ``resumed_from`` is the line a resumed run started after (0: from the start).
    """

    kind: Kind
    dry_run: bool
    file_sha256: str
    rows_read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    rejected_count: int = 0  # all rejections, also those beyond the kept list's cap
    run_id: int | None = None
    status: str = "planned"  # planned | running | done | failed
    resumed_from: int = 0
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    header: list[str] = field(default_factory=list)  # the file's columns, as written

    def counts(self) -> dict[str, int]:
        return {
            "rows_read": self.rows_read,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected_count,
        }
