"""An export column: its name, its type, and how a value is written in CSV and in Parquet.

One table of kinds so that the CSV text and the Parquet type of a column never disagree:
money is ``Decimal`` with two places (``12.34`` in CSV, ``decimal128(18, 2)`` in Parquet), a
ledger amount as its currency has it (whole points ``250``, cashback ``12.50``),
quantities three places, instants ISO 8601 in UTC (``2026-12-07T23:18:29+00:00``, Parquet
``timestamp[us, UTC]``), dates ``2026-12-07``, booleans ``true``/``false``, JSON columns as
their compact JSON text. An empty CSV cell and a Parquet null both mean "none".
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pyarrow as pa

_CENT = Decimal("0.01")
_GRAM = Decimal("0.001")


def _text(value: Any) -> str:
    return str(value)


def _bool(value: Any) -> str:
    return "true" if value else "false"


def _money(value: Any) -> str:
    return str(Decimal(value).quantize(_CENT))


def _amount(value: Any) -> str:
    return str(Decimal(value))  # as given: whole points stay whole, cashback keeps its cents


def _qty(value: Any) -> str:
    return str(Decimal(value).quantize(_GRAM))


def _instant(value: Any) -> str:
    moment: dt.datetime = value
    return moment.astimezone(dt.UTC).isoformat()


def _date(value: Any) -> str:
    day: dt.date = value
    return day.isoformat()


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


@dataclass(frozen=True)
class Kind:
    """A column type: the Arrow type, the CSV writer and the value handed to Arrow."""

    name: str
    arrow: pa.DataType
    csv: Callable[[Any], str]
    to_arrow: Callable[[Any], Any]


def _same(value: Any) -> Any:
    return value


KINDS: dict[str, Kind] = {
    "text": Kind("text", pa.string(), _text, _text),
    "int": Kind("int", pa.int64(), _text, int),
    "bool": Kind("bool", pa.bool_(), _bool, bool),
    "money": Kind("money", pa.decimal128(18, 2), _money, lambda v: Decimal(v).quantize(_CENT)),
    "amount": Kind("amount", pa.decimal128(18, 2), _amount, lambda v: Decimal(v).quantize(_CENT)),
    "quantity": Kind("quantity", pa.decimal128(18, 3), _qty, lambda v: Decimal(v).quantize(_GRAM)),
    "datetime": Kind("datetime", pa.timestamp("us", tz="UTC"), _instant, _same),
    "date": Kind("date", pa.date32(), _date, _same),
    "json": Kind("json", pa.string(), _json, _json),
}


@dataclass(frozen=True)
class Column:
    """One column of an exported table (``docs/export.md`` lists every one)."""

    name: str
    kind: str
    doc: str

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r} for {self.name!r}")


def csv_cell(kind: Kind, value: Any) -> str:
    return "" if value is None else kind.csv(value)


def arrow_value(kind: Kind, value: Any) -> Any:
    return None if value is None else kind.to_arrow(value)


def schema(columns: tuple[Column, ...]) -> pa.Schema:
    return pa.schema([pa.field(c.name, KINDS[c.kind].arrow) for c in columns])
