"""Printer profiles: paper width, columns, dots and the code page that prints pt-BR accents.

58 mm paper prints 32 columns in font A (384 dots); 80 mm prints 48 (576 dots at 203 dpi) or
42 on Epson TM-T88-style heads (512 dots). Brazilian text needs a code page with ã, õ, ç:
CP860 (Portuguese, ``ESC t 3``) is the default; CP850 (``ESC t 2``) and CP858 also work.
python-escpos 3.1 left on ``AUTO`` picks CP857 (Turkish) for ``ã``, which many Brazilian
printers do not have; the profile therefore always forces its code page. Characters the
code page lacks are folded (``€`` → ``EUR``, accents dropped) instead of printing ``?``.
"""

from __future__ import annotations

import copy
import os
import sys
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .errors import PrintConfigError

if TYPE_CHECKING:
    from escpos.capabilities import Profile

# paper mm -> {columns: printable dots}
_WIDTHS: dict[int, dict[int, int]] = {58: {32: 384}, 80: {48: 576, 42: 512}}
_DEFAULT_COLUMNS = {58: 32, 80: 48}
CODEPAGES: dict[str, str] = {
    "CP860": "cp860",
    "CP850": "cp850",
    "CP858": "cp858",
    "CP437": "cp437",
    "CP1252": "cp1252",
}
_REPLACE = {"€": "EUR", "“": '"', "”": '"', "‘": "'", "’": "'", "–": "-", "—": "-", "…": "..."}


@dataclass(frozen=True)
class PrinterProfile:
    """How one printer lays out a slip.

    :param paper_mm: 58 or 80.
    :param columns: characters per line in font A (32 for 58 mm; 48 or 42 for 80 mm).
    :param codepage: one of ``CODEPAGES``; CP860 prints ã, ç, é on Brazilian printers.
    :param qr: ``"native"`` sends ``GS ( k`` (the printer draws it), ``"image"`` a raster.
    :param cut: cut the paper after each slip.
    """

    paper_mm: int = 80
    columns: int = 48
    codepage: str = "CP860"
    qr: Literal["native", "image"] = "native"
    cut: bool = True
    dpi: int = 203

    def __post_init__(self) -> None:
        if self.paper_mm not in _WIDTHS:
            raise _bad("paper_mm", self.paper_mm, "58 or 80")
        if self.columns not in _WIDTHS[self.paper_mm]:
            allowed = " or ".join(str(c) for c in _WIDTHS[self.paper_mm])
            raise _bad("columns", self.columns, f"{allowed} for {self.paper_mm} mm paper")
        if self.codepage not in CODEPAGES:
            raise _bad("codepage", self.codepage, "one of " + ", ".join(CODEPAGES))
        if self.qr not in ("native", "image"):
            raise _bad("qr", self.qr, "native or image")

    @property
    def width_px(self) -> int:
        return _WIDTHS[self.paper_mm][self.columns]

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> PrinterProfile:
        """Build from the config's ``printer.profile`` table (``paper_mm`` alone is enough)."""
        unknown = sorted(set(data) - set(cls.__dataclass_fields__))
        if unknown:
            raise PrintConfigError(
                f"unknown printer profile setting(s): {', '.join(unknown)}",
                f"configuração de perfil de impressora desconhecida: {', '.join(unknown)}",
            )
        values = dict(data)
        paper = values.get("paper_mm", 80)
        if "columns" not in values and paper in _DEFAULT_COLUMNS:
            values["columns"] = _DEFAULT_COLUMNS[paper]
        if isinstance(values.get("codepage"), str):
            values["codepage"] = values["codepage"].upper()
        return cls(**values)

    def escpos_profile(self) -> Profile:
        """A python-escpos profile with this width, so no ``media.width.pixel`` warning."""
        # Imported here: escpos loads (and pickles) its printer database on import.
        from escpos.capabilities import Profile, get_profile

        base = get_profile("default")
        profile = Profile(columns=self.columns, features=dict(base.features))
        data = copy.deepcopy(base.profile_data)
        data["media"] = {"dpi": self.dpi, "width": {"mm": self.paper_mm, "pixels": self.width_px}}
        data["fonts"] = {"0": {"name": "Font A", "columns": self.columns}}
        profile.profile_data = data
        return profile

    def fold(self, text: str) -> str:
        """``text`` with every character the code page lacks replaced by its nearest ASCII."""
        codec = CODEPAGES[self.codepage]
        return "".join(_fold_char(c, codec) for c in text)


def use_escpos_cache(directory: Path) -> bool:
    """Keep python-escpos's printer database cache in ``directory`` (created, mode 0700).

    On import, escpos 3.1 pickles its capabilities into a fresh ``mkdtemp()`` directory unless
    ``ESCPOS_CAPABILITIES_PICKLE_DIR`` is set: one stray directory per agent start or CLI run.
    Call this before anything imports escpos; returns ``False`` if it was too late.
    """
    if "escpos.capabilities" in sys.modules:
        return False
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.environ["ESCPOS_CAPABILITIES_PICKLE_DIR"] = str(directory)
    return True


def profile_for(paper_mm: int, columns: int | None = None, **kwargs: Any) -> PrinterProfile:
    """The profile for ``paper_mm`` paper with its usual columns unless told otherwise."""
    if paper_mm not in _DEFAULT_COLUMNS:
        raise _bad("paper_mm", paper_mm, "58 or 80")
    return PrinterProfile(paper_mm, columns or _DEFAULT_COLUMNS[paper_mm], **kwargs)


def _fold_char(char: str, codec: str) -> str:
    if _encodes(char, codec):
        return char
    if char in _REPLACE:
        return _REPLACE[char]
    base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    return base if base and _encodes(base, codec) else "?"


def _encodes(text: str, codec: str) -> bool:
    try:
        text.encode(codec)
    except UnicodeEncodeError:
        return False
    return True


def _bad(key: str, value: object, allowed: str) -> PrintConfigError:
    return PrintConfigError(
        f"printer.profile.{key} must be {allowed}; got {value!r}",
        f"printer.profile.{key} deve ser {allowed}; recebido {value!r}",
    )
