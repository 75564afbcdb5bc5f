"""Moving in: import a chain's members, cards, opening balances and sales history from CSV.

One use case for the CLI (``tillclub server import …``), the head-office "Importar" page and
its background job: :func:`plan` is the dry run (nothing written), :func:`run` applies it in
resumable, idempotent batches, :func:`write_errors` writes the rejected rows as a CSV with
``linha`` and ``motivo``. Columns and reasons: ``docs/import.md``.
"""

from __future__ import annotations

from .errors import ImportFileError as ImportFileError
from .errors import RowError as RowError
from .errors_csv import errors_csv_bytes as errors_csv_bytes
from .errors_csv import write_errors as write_errors
from .options import options_for_app as options_for_app
from .report import ImportOptions as ImportOptions
from .report import ImportReport as ImportReport
from .report import Kind as Kind
from .report import OnDuplicate as OnDuplicate
from .report import Progress as Progress
from .report import Rejection as Rejection
from .runner import ProgressCallback as ProgressCallback
from .runner import plan as plan
from .runner import run as run
