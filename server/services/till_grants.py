"""What a till may grant on its own, and which of the entries it sent are held for head office.

A till credits members offline, and the server cannot trust it to: every credit is re-derived
or bounded here, and what is beyond is *held* (``held_entries``), listed on the *Ajustes
retidos* page and applied only when head office approves it. The rules, per event:

- **a sale**: its ``earn`` entries are what the server's re-pricing gives (the same
  ``loyalty`` code, ``check_sale_rewards``): when the till earned more points (or cashback)
  than the re-priced sale gives, or the sale could not be re-priced, that currency's earn
  entries are held (``earn_not_derived``). Redemptions are debits and always apply (the
  member spent them; redemptions beyond the offline caps are flagged ``reprice_mismatch``).
  Any other kind of entry in a sale (``adjust``, ``reverse``…) is held (``kind_not_allowed``).
- **a refund**: its reversals (``reverse`` entries naming the entry they undo) are capped
  cumulatively by that entry, across every refund and in any order
  (``services/refund_caps.py``: a give-back never returns more than was redeemed, a reversal
  never takes more than was earned, a reversal of a held credit reduces the held entry);
  any other entry that credits is held (``kind_not_allowed``).
- **a stand-alone ledger entry**: ``adjust`` within ``[till_adjustments]`` (per entry, and
  per terminal per day, both currencies apart; default 0: every till adjustment waits for
  head office) applies, beyond it is held (``adjust_over_limit``); a ``redeem`` (a debit)
  applies; anything else is held (``kind_not_allowed``).

Held entries are decided per event inside the push's transaction (the day's use is read
there), so the event is still applied exactly once: its id is claimed, its other effects
written, and its answer carries one ``entry_held`` flag per held entry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from loyalty.rewards.ledger import Currency, EntryKind, LedgerEntry

_ZERO = Decimal(0)

#: Config keys of ``[till_adjustments]`` (server config) and their defaults.
ADJUSTMENT_KEYS: Mapping[str, Decimal] = {
    "max_points_per_entry": _ZERO,
    "max_points_per_day": _ZERO,
    "max_cashback_per_entry_brl": _ZERO,
    "max_cashback_per_day_brl": _ZERO,
}


@dataclass(frozen=True, slots=True)
class AdjustmentLimits:
    """How much one terminal may adjust a balance by itself (absolute values, inclusive)."""

    points_per_entry: Decimal = _ZERO
    points_per_day: Decimal = _ZERO
    cashback_per_entry: Decimal = _ZERO
    cashback_per_day: Decimal = _ZERO

    def per_entry(self, currency: Currency) -> Decimal:
        return self.points_per_entry if currency is Currency.POINTS else self.cashback_per_entry

    def per_day(self, currency: Currency) -> Decimal:
        return self.points_per_day if currency is Currency.POINTS else self.cashback_per_day

    @classmethod
    def from_config(cls, values: Mapping[str, object]) -> AdjustmentLimits:
        """From the ``[till_adjustments]`` table; absent keys are 0 (not allowed).

        :raises ValueError: an unknown key, or a value that is not an amount ≥ 0 (points: a
            whole number; cashback: a decimal string of whole cents).
        """
        got: dict[str, Decimal] = {}
        for key, raw in values.items():
            if key not in ADJUSTMENT_KEYS:
                raise ValueError(
                    f"unknown key {key!r}; expected one of {', '.join(ADJUSTMENT_KEYS)}"
                )
            if isinstance(raw, bool) or not isinstance(raw, str | int):
                raise ValueError(f'{key} must be a whole number or a string such as "10.00"')
            try:
                value = Decimal(raw)
                ok = value.is_finite() and value >= 0 and value.adjusted() < 15
                ok = ok and value == value.quantize(
                    Decimal(1) if "points" in key else Decimal("0.01")
                )
            except InvalidOperation:
                ok = False
            if not ok:
                unit = "a whole number of points" if "points" in key else "whole cents"
                raise ValueError(f"{key} must be ≥ 0 and {unit}, got {raw!r}")
            got[key] = value
        return cls(
            got.get("max_points_per_entry", _ZERO),
            got.get("max_points_per_day", _ZERO),
            got.get("max_cashback_per_entry_brl", _ZERO),
            got.get("max_cashback_per_day_brl", _ZERO),
        )


@dataclass(frozen=True, slots=True)
class Hold:
    """Why an entry is held (a stable code) and what the server found (for head office)."""

    code: str
    detail: str


def sale_holds(
    entries: Iterable[LedgerEntry], differences: Mapping[str, Any] | None, repriced: bool
) -> dict[str, Hold]:
    """The held entries of a sale, by entry id.

    :param differences: the re-pricing's differences (``check_sale_rewards`` keys).
    :param repriced: whether the server could re-price the sale at all.
    """
    held: dict[str, Hold] = {}
    over: dict[Currency, str] = {}
    for currency in Currency:
        diff = (differences or {}).get(currency.value)
        if not repriced:
            over[currency] = "the server could not re-price this sale"
        elif isinstance(diff, Mapping):
            try:
                if Decimal(str(diff["till"])) > Decimal(str(diff["server"])):
                    over[currency] = (
                        f"till earned {diff['till']} {currency.value}, "
                        f"the re-priced sale gives {diff['server']}"
                    )
            except (InvalidOperation, KeyError):
                over[currency] = "earnings could not be compared"
    for e in entries:
        if e.kind is EntryKind.REDEEM:
            continue
        if e.kind is not EntryKind.EARN:
            held[e.entry_id] = Hold("kind_not_allowed", f"a sale may not carry {e.kind.value}")
        elif e.currency in over:
            held[e.entry_id] = Hold("earn_not_derived", over[e.currency])
    return held


def is_reversal(entry: LedgerEntry) -> bool:
    """A refund's reversal: capped by the entry it names (``services/refund_caps.py``)."""
    return entry.kind is EntryKind.REVERSE and entry.reverses is not None


def refund_holds(entries: Iterable[LedgerEntry]) -> dict[str, Hold]:
    """The held entries of a refund: credits that are not reversals (those are capped by
    ``services/refund_caps.py``, never held); debits that are not reversals apply."""
    return {
        e.entry_id: Hold("kind_not_allowed", f"a refund may not carry {e.kind.value}")
        for e in entries
        if e.amount > 0 and not is_reversal(e)
    }


def adjustment_hold(
    entry: LedgerEntry, limits: AdjustmentLimits, used_today: Decimal
) -> Hold | None:
    """Whether a stand-alone entry from a till is held; ``used_today``: the absolute amount of
    this currency the terminal's applied adjustments already moved today."""
    if entry.kind is EntryKind.REDEEM:
        return None
    if entry.kind is not EntryKind.ADJUST:
        return Hold("kind_not_allowed", f"a till may not send a {entry.kind.value} entry alone")
    size = abs(entry.amount)
    per_entry, per_day = limits.per_entry(entry.currency), limits.per_day(entry.currency)
    if size > per_entry:
        return Hold(
            "adjust_over_limit", f"{size:f} {entry.currency.value} > {per_entry:f} per entry"
        )
    if used_today + size > per_day:
        return Hold(
            "adjust_over_limit",
            f"{used_today + size:f} {entry.currency.value} today > {per_day:f} per day",
        )
    return None


def day_start(now: dt.datetime) -> dt.datetime:
    """The start of the server's UTC day ``now`` is in (the per-day limits' window)."""
    return now.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
