"""Money and percent inputs of the head-office UI: one parser and one form field for each.

A browser's ``<input type=number>`` reads "12,50" by the page's locale and may send "1250";
every money or percent input is therefore a text input with ``inputmode="decimal"`` (the
phone shows the number pad) whose text is parsed here, the same way in every form:
:func:`loyalty.l10n.parse_money` for money ("12,50", "12.50", "R$ 1.234,56") and
:func:`loyalty.l10n.parse_percent` for percentages ("5,5", "5.5", "5,5 %"), within the bounds
of :mod:`loyalty.bounds` (money up to ``DEFAULT_BOUNDS.form_amount``, percent 0 to 100).
Anything else ("abc", "1e400", "-3") is an :class:`InputError` whose message is in the
request's language, shown on the field; nothing is stored.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from wtforms import StringField
from wtforms.validators import ValidationError

from loyalty.bounds import DEFAULT_BOUNDS, Bounds
from loyalty.errors import LoyaltyError
from loyalty.l10n import parse_money, parse_percent

from ..i18n.web import gettext as _
from ..i18n.web import money as show_money

# What every money and percent input carries (the template macros add the same).
DECIMAL_INPUT: dict[str, str] = {"inputmode": "decimal", "autocomplete": "off"}
ZERO = Decimal(0)
HUNDRED = Decimal(100)


class InputError(ValueError):
    """Typed text that is no acceptable amount; ``message`` is already translated."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def money_input(
    text: str,
    *,
    minimum: Decimal = ZERO,
    maximum: Decimal | None = None,
    bounds: Bounds = DEFAULT_BOUNDS,
) -> Decimal:
    """The amount (two decimals) head office typed in ``text``.

    :param minimum: the smallest accepted amount (inclusive); ``-bounds.form_amount`` for
        inputs that take removals.
    :param maximum: the largest (inclusive); at most ``bounds.form_amount``.
    :raises InputError: unparseable text or an amount out of range, in the user's language.
    """
    top = min(maximum, bounds.form_amount) if maximum is not None else bounds.form_amount
    try:
        amount = parse_money(text).amount
    except (LoyaltyError, ArithmeticError):
        raise InputError(
            _('Not an amount of money: "{value}". Write it like 12,50 or R$ 1.234,56.', value=text)
        ) from None
    if not minimum <= amount <= top:
        raise InputError(
            _(
                "The amount must be between {low} and {high}, got {value}.",
                low=show_money(minimum),
                high=show_money(top),
                value=show_money(amount),
            )
        )
    return amount


def percent_input(text: str, *, minimum: Decimal = ZERO, maximum: Decimal = HUNDRED) -> Decimal:
    """The percentage head office typed in ``text`` (``5,5`` is 5.5 %).

    :raises InputError: unparseable text or a value outside ``[minimum, maximum]``.
    """
    try:
        value = parse_percent(text)
    except (LoyaltyError, ArithmeticError):
        raise InputError(
            _('Not a percentage: "{value}". Write it like 5,5 or 5,5 %.', value=text)
        ) from None
    if not minimum <= value <= maximum:
        raise InputError(
            _(
                "The percentage must be between {low} and {high}, got {value}.",
                low=plain(minimum),
                high=plain(maximum),
                value=plain(value),
            )
        )
    return value


def plain(value: Decimal) -> str:
    """``5.5`` as the campaign file writes it (no trailing zeros, never an exponent)."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


class DecimalTextField(StringField):
    """A text input with ``inputmode="decimal"``; its form parses the text (for inputs whose
    meaning, money or percent, depends on another field)."""

    def __init__(self, label: str, validators: Any = None, **kwargs: Any) -> None:
        render_kw = {**DECIMAL_INPUT, **kwargs.pop("render_kw", {})}
        super().__init__(label, validators, render_kw=render_kw, **kwargs)


class MoneyField(DecimalTextField):
    """A money input: ``data`` is the text typed, ``amount`` the parsed ``Decimal`` once the
    form validated (``None`` when left empty)."""

    def __init__(
        self,
        label: str,
        validators: Any = None,
        *,
        minimum: Decimal = ZERO,
        maximum: Decimal | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(label, validators, **kwargs)
        self.minimum = minimum
        self.maximum = maximum
        self.amount: Decimal | None = None

    def pre_validate(self, form: Any) -> None:
        self.amount = None
        text = (self.data or "").strip()
        if text:
            try:
                self.amount = money_input(text, minimum=self.minimum, maximum=self.maximum)
            except InputError as exc:
                raise ValidationError(exc.message) from None


class PercentField(DecimalTextField):
    """A percent input: ``value`` is the parsed ``Decimal`` once the form validated."""

    def __init__(
        self,
        label: str,
        validators: Any = None,
        *,
        minimum: Decimal = ZERO,
        maximum: Decimal = HUNDRED,
        **kwargs: Any,
    ) -> None:
        super().__init__(label, validators, **kwargs)
        self.minimum = minimum
        self.maximum = maximum
        self.value: Decimal | None = None

    def pre_validate(self, form: Any) -> None:
        self.value = None
        text = (self.data or "").strip()
        if text:
            try:
                self.value = percent_input(text, minimum=self.minimum, maximum=self.maximum)
            except InputError as exc:
                raise ValidationError(exc.message) from None
