"""The admin UI's Flask-WTF forms (each carries the CSRF token); labels are English keys of
the catalogue, translated when rendered."""

from __future__ import annotations

from decimal import Decimal

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.i18n import get_translations
from wtforms.validators import (
    DataRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from loyalty.bounds import DEFAULT_BOUNDS

from ..i18n.web import gettext, language
from ..timezones import is_zone
from .money_fields import DecimalTextField, InputError, MoneyField, money_input, percent_input

BOUNDS = DEFAULT_BOUNDS


def Required() -> DataRequired:  # noqa: N802  (reads like the other validators)
    return DataRequired(message="This field is required.")


class Form(FlaskForm):
    """Base form: WTForms' own messages in the request's language (it ships pt_BR)."""

    class Meta:
        def get_translations(self, form: object) -> object:
            return get_translations(["pt_BR"] if language() == "pt-BR" else ["en"])

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        for f in self:
            choices = getattr(f, "choices", None)
            if choices and all(isinstance(c, SelectChoice) for c in choices):
                f.choices = [SelectChoice(c.value, gettext(c.label or c.value)) for c in choices]


class LoginForm(Form):
    email = EmailField("E-mail", validators=[Required(), Length(max=254)])
    password = PasswordField("Password", validators=[Required()])


class AdjustForm(Form):
    currency = SelectField(
        "Balance",
        choices=[SelectChoice("points", "Points"), SelectChoice("cashback", "Cashback (R$)")],
    )
    amount = DecimalTextField(
        "Amount (negative to remove)", validators=[Required(), Length(max=30)]
    )
    reason = TextAreaField(
        "Reason (mandatory, kept in the audit log)", validators=[Required(), Length(min=5, max=200)]
    )

    def validate_amount(self, field: DecimalTextField) -> None:
        """Cashback is money ("-12,50"); points are whole ("1.000"). The clean value replaces
        the text, so the adjustment use case receives "-12.50" or "1000"."""
        try:
            amount = money_input(field.data or "", minimum=-BOUNDS.form_amount)
        except InputError as exc:
            raise ValidationError(exc.message) from None
        if amount == 0:
            raise ValidationError(gettext("The amount must be a number other than zero."))
        if self.currency.data == "points":
            if amount != amount.to_integral_value():
                raise ValidationError(
                    gettext("Points are whole numbers, got {value}", value=field.data)
                )
            amount = amount.quantize(Decimal(1))
        field.data = f"{amount:f}"


class ReplaceCardForm(Form):
    new_number = StringField("New card number", validators=[Required(), Length(max=32)])


class StoreForm(Form):
    store_id = StringField(
        "Store code",
        validators=[
            Required(),
            Length(max=32),
            Regexp(r"^[A-Za-z0-9_-]+$", message="Only A-Z, 0-9, '-' and '_'."),
        ],
    )
    name = StringField("Store name", validators=[Required(), Length(max=200)])
    timezone = StringField(
        "Time zone (IANA; empty: the chain's)", validators=[Optional(), Length(max=64)]
    )

    def validate_timezone(self, field: StringField) -> None:
        _check_zone(field)


class StoreZoneForm(Form):
    timezone = StringField("Time zone (IANA)", validators=[Required(), Length(max=64)])

    def validate_timezone(self, field: StringField) -> None:
        _check_zone(field)


def _check_zone(field: StringField) -> None:
    """A store's zone must be an IANA name (``America/Manaus``); the clean name replaces it."""
    value = (field.data or "").strip()
    field.data = value
    if value and not is_zone(value):
        raise ValidationError(
            gettext(
                "Unknown time zone {zone}: use an IANA name such as America/Manaus.", zone=value
            )  # fmt: skip
        )


class TerminalForm(Form):
    name = StringField("Terminal name", validators=[Required(), Length(max=100)])


class VoucherBatchForm(Form):
    name = StringField("Name shown to the shopper", validators=[Required(), Length(max=200)])
    kind = SelectField(
        "Discount",
        choices=[SelectChoice("amount", "Amount (R$)"), SelectChoice("percent", "Percent (%)")],
    )
    parsed_value: Decimal | None = None  # set by validate_value
    # R$ or %, as ``kind`` says: parsed in validate_value (amount) or as a percentage.
    value = DecimalTextField("Value", validators=[Required(), Length(max=30)])
    min_subtotal = MoneyField("Minimum purchase (R$)", validators=[Optional(), Length(max=30)])
    valid_from = DateField("Valid from", validators=[Required()])
    valid_until = DateField("Valid until (inclusive)", validators=[Required()])
    max_uses = IntegerField(
        "Uses per voucher", default=1, validators=[Required(), NumberRange(min=1, max=1000)]
    )
    audience = SelectField(
        "Issue to",
        choices=[
            SelectChoice("segment", "A segment"),
            SelectChoice("list", "A list of member ids"),
        ],
    )
    segment = SelectField("Segment", choices=[], validate_choice=False)
    member_ids = TextAreaField("Member ids (one per line)")
    anonymous_count = IntegerField(
        "Or: number of codes not tied to a member",
        validators=[Optional(), NumberRange(min=1, max=10000)],
    )

    def validate_value(self, field: DecimalTextField) -> None:
        """R$ 0,01 up to the form bound for an amount; above 0 up to 100 for a percentage."""
        try:
            if self.kind.data == "percent":
                value = percent_input(field.data or "")
                if value == 0:
                    raise InputError(gettext("A percentage is between 0 and 100."))
            else:
                value = money_input(field.data or "", minimum=Decimal("0.01"))
        except InputError as exc:
            raise ValidationError(exc.message) from None
        self.parsed_value = value


class SimulateForm(Form):
    period_from = DateField("From", validators=[Required()])
    period_until = DateField("Until (inclusive)", validators=[Required()])


class ScheduleForm(Form):
    valid_from = DateField("Starts on", validators=[Optional()])
    valid_until = DateField("Ends on (inclusive)", validators=[Optional()])
    active = BooleanField("Active")


def id_field(label: str) -> StringField:
    """An id head office types (campaign, raffle): what URLs and the sync feed carry."""
    return StringField(
        label,
        validators=[
            Required(),
            Length(max=64),
            Regexp(r"^[A-Za-z0-9_.-]+$", message="Only A-Z, 0-9, '.', '-' and '_'."),
        ],
    )


class ImportForm(Form):
    campaign_id = id_field("Campaign id")
    name = StringField("Campaign name", validators=[Required(), Length(max=200)])
    document = TextAreaField("Campaign file (JSON)", validators=[Required()])
    # Set by the confirmation page: head office has seen which rules the import replaces.
    replace = BooleanField("Replace the existing rules")


class NewCampaignForm(Form):
    campaign_id = id_field("Campaign id")
    name = StringField("Campaign name", validators=[Required(), Length(max=200)])
    stores = StringField(
        "Stores (comma separated; empty for all)", validators=[Optional(), Length(max=500)]
    )


class UserForm(Form):
    email = EmailField("E-mail", validators=[Required(), Length(max=254)])
    name = StringField("Name", validators=[Optional(), Length(max=200)])
    role = SelectField(
        "Role",
        choices=[
            SelectChoice("admin", "admin"),
            SelectChoice("marketing", "marketing"),
            SelectChoice("store_manager", "store_manager"),
            SelectChoice("auditor", "auditor"),
        ],
    )
    stores = StringField(
        "Stores (store managers; comma separated)", validators=[Optional(), Length(max=500)]
    )
    password = PasswordField(
        "Initial password (at least 12 characters)",
        validators=[Required(), Length(min=12, max=200)],
    )


class RaffleForm(Form):
    raffle_id = id_field("Raffle id")
    name = StringField("Raffle name", validators=[Required(), Length(max=200)])
    authorisation = StringField(
        "SPA/MF authorisation certificate number", validators=[Required(), Length(max=64)]
    )
    spend_per_number = MoneyField(
        "One number per R$ spent in one purchase",
        validators=[Required(), Length(max=30)],
        minimum=Decimal("0.01"),
        maximum=Decimal("100000"),
    )
    starts_on = DateField("First day of sales", validators=[Required()])
    ends_on = DateField("Last day of sales (inclusive)", validators=[Required()])
    draw_date = DateField("Draw date (Loteria Federal extraction)", validators=[Required()])
    series_count = IntegerField(
        "Series of 100,000 numbers",
        default=1,
        validators=[Required(), NumberRange(min=1, max=1000)],
    )
    max_numbers_per_sale = IntegerField(
        "Most numbers per purchase (empty: no limit)",
        validators=[Optional(), NumberRange(min=1, max=10000)],
    )
    prizes = IntegerField(
        "Prizes per draw", default=1, validators=[Required(), NumberRange(min=1, max=1000)]
    )


class RaffleBlockForm(Form):
    terminal_id = SelectField("Store and terminal", choices=[], validate_choice=False)
    size = IntegerField(
        "Numbers in the block",
        default=1000,
        validators=[Required(), NumberRange(min=1, max=100_000)],
    )


class DrawResultForm(Form):
    contest = IntegerField(
        "Loteria Federal contest number", validators=[Required(), NumberRange(min=1)]
    )
    drawn_on = DateField("Extraction date", validators=[Required()])
    prize1 = StringField("1st prize", validators=[Required(), Length(max=8)])
    prize2 = StringField("2nd prize", validators=[Required(), Length(max=8)])
    prize3 = StringField("3rd prize", validators=[Required(), Length(max=8)])
    prize4 = StringField("4th prize", validators=[Required(), Length(max=8)])
    prize5 = StringField("5th prize", validators=[Required(), Length(max=8)])
    excluded = TextAreaField(
        "Member ids not eligible (employees; one per line)",
        validators=[Optional(), Length(max=20000)],
    )
