"""The tier ladder form of the head-office UI: read what an admin typed, or say what is wrong.

Thresholds are money typed as text (``2.000,00``, ``R$ 2000``), parsed with
:func:`loyalty.l10n.parse_money`; blank rows are ignored. The result is the chain setting's
JSON (``server.services.tiers``), which :func:`~server.services.tiers.set_ladder` checks
again and stores, audited. Errors name the field and the value, in the admin's language.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from loyalty.l10n import MoneyParseError, parse_money

from ..i18n.web import gettext as _

ROWS = 6  # steps the form offers; a chain with more edits them with the CLI


@dataclass
class LadderForm:
    """The form's values (as typed) and its errors by field name."""

    window_months: str = "12"
    review_every_months: str = "1"
    names: list[str] = field(default_factory=lambda: [""] * ROWS)
    thresholds: list[str] = field(default_factory=lambda: [""] * ROWS)
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_setting(cls, value: Mapping[str, Any] | None) -> LadderForm:
        form = cls()
        if not value:
            return form
        form.window_months = str(value.get("window_months", 12))
        form.review_every_months = str(value.get("review_every_months", 1))
        steps = list(value.get("tiers", []))[:ROWS]
        for i, step in enumerate(steps):
            form.names[i] = str(step.get("name", ""))
            form.thresholds[i] = str(step.get("threshold", ""))
        return form

    @classmethod
    def from_request(cls, data: Mapping[str, str]) -> LadderForm:
        return cls(
            window_months=data.get("window_months", "").strip(),
            review_every_months=data.get("review_every_months", "").strip(),
            names=[data.get(f"name_{i}", "").strip() for i in range(ROWS)],
            thresholds=[data.get(f"threshold_{i}", "").strip() for i in range(ROWS)],
        )

    def setting(self) -> dict[str, Any] | None:
        """The chain setting's JSON, or ``None`` with :attr:`errors` filled in."""
        self.errors = {}
        months = self._months("window_months", self.window_months, 1, 120)
        every = self._months("review_every_months", self.review_every_months, 1, 120)
        tiers = []
        for i, (name, text) in enumerate(zip(self.names, self.thresholds, strict=True)):
            if not name and not text:
                continue
            if not name or len(name) > 32:
                self.errors[f"name_{i}"] = _("A tier needs a name of 1 to 32 characters.")
                continue
            try:
                amount = parse_money(text or "0").amount
            except MoneyParseError:
                self.errors[f"threshold_{i}"] = _("{value} is not an amount of money.", value=text)
                continue
            tiers.append({"name": name, "threshold": f"{amount:f}"})
        if not tiers and not self.errors:
            self.errors["name_0"] = _("The ladder needs at least one tier.")
        if self.errors or months is None or every is None:
            return None
        return {"window_months": months, "review_every_months": every, "tiers": tiers}

    def _months(self, name: str, text: str, low: int, high: int) -> int | None:
        if not text.isdigit() or not low <= int(text) <= high:
            self.errors[name] = _(
                "{value} is not a number of months from {low} to {high}.",
                value=text, low=low, high=high,
            )  # fmt: skip
            return None
        return int(text)
