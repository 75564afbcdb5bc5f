"""The full export of the chain's data: CSV and Parquet of every table in one zip archive.

- :mod:`.columns`: a column's type and how it is written in CSV and in Parquet.
- :mod:`.tables`: the tables, their columns (``docs/export.md``) and their streaming readers.
- :mod:`.archive`: the zip writer (bounded memory, written as ``.part`` then renamed).
- :mod:`.run`: the use case (``tillclub server export``) and the ``export`` job (admin UI).
"""

from __future__ import annotations

from .archive import ExportReport as ExportReport
from .archive import write_archive as write_archive
from .run import export_chain as export_chain
from .run import export_job as export_job
from .run import exports_dir as exports_dir
from .tables import TABLES as TABLES
from .tables import Source as Source
