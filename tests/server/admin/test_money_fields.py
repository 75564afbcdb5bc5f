"""The head-office UI's one money parser and one percent parser, and their form fields: what
people type ("12,50", "R$ 1.234,56", "5,5 %") becomes exact decimals, anything else (or out
of bounds) a message in the request's language, never an exception that escapes."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from flask import Flask
from werkzeug.datastructures import MultiDict

from loyalty.bounds import DEFAULT_BOUNDS
from server.admin import I18N
from server.admin.forms import Form
from server.admin.money_fields import (
    InputError,
    MoneyField,
    PercentField,
    money_input,
    percent_input,
)
from server.i18n import web

BAD = ["abc", "1e400", "1E5", "NaN", "Infinity", "12,345,6", "9" * 40, "R$"]


@pytest.fixture(params=["pt-BR", "en"])
def lang(request: pytest.FixtureRequest) -> Iterator[str]:
    app = Flask(__name__)
    app.config.update(SECRET_KEY="x", WTF_CSRF_ENABLED=False)
    with app.test_request_context("/"):
        web.enter(I18N, request.param)
        yield request.param


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("12,50", "12.50"),
        ("12.50", "12.50"),
        ("R$ 1.234,56", "1234.56"),
        ("1.234,56", "1234.56"),
        ("0", "0.00"),
        (" 7,9 ", "7.90"),
    ],
)
def test_money_is_read_as_people_write_it(lang: str, text: str, amount: str) -> None:
    assert money_input(text) == Decimal(amount)


@pytest.mark.parametrize("text", [*BAD, "-3", "-R$ 0,01", "10.000.000,01"])
def test_bad_or_out_of_range_money_is_an_input_error_in_the_users_language(
    lang: str, text: str
) -> None:
    with pytest.raises(InputError) as info:
        money_input(text)
    words = ("valor", "Valor") if lang == "pt-BR" else ("amount", "Amount")
    assert any(w in info.value.message for w in words), info.value.message


def test_money_bounds_come_from_loyalty_bounds(lang: str) -> None:
    top = DEFAULT_BOUNDS.form_amount
    assert money_input(f"{top:f}") == top
    assert money_input(f"-{top:f}", minimum=-top) == -top
    with pytest.raises(InputError):
        money_input("0,00", minimum=Decimal("0.01"))
    with pytest.raises(InputError):
        money_input("100.000,01", maximum=Decimal("100000"))


def test_out_of_range_message_names_the_range_in_portuguese() -> None:
    app = Flask(__name__)
    with app.test_request_context("/"):
        web.enter(I18N, "pt-BR")
        with pytest.raises(InputError) as info:
            money_input("-3")
        assert info.value.message == (
            "O valor deve ser um número entre R$ 0,00 e R$ 10.000.000,00, recebido -R$ 3,00."
        )
        with pytest.raises(InputError) as info:
            money_input("1e400")
        assert info.value.message.startswith('Valor em dinheiro inválido: "1e400"')


@pytest.mark.parametrize(
    ("text", "value"), [("5,5", "5.5"), ("5.5", "5.5"), ("5,5 %", "5.5"), ("100", "100")]
)
def test_percent_is_read_as_people_write_it(lang: str, text: str, value: str) -> None:
    assert percent_input(text) == Decimal(value)


@pytest.mark.parametrize("text", [*BAD, "-3", "100,01", "150 %"])
def test_bad_or_out_of_range_percent_is_an_input_error(lang: str, text: str) -> None:
    with pytest.raises(InputError) as info:
        percent_input(text)
    word = "percentual" if lang == "pt-BR" else "percentage"
    assert word in info.value.message.lower()


class _Form(Form):
    class Meta:
        csrf = False

    price = MoneyField("Price", minimum=Decimal("0.01"))
    share = PercentField("Share")


def test_the_fields_render_a_decimal_text_input_and_parse_on_validate(lang: str) -> None:
    form = _Form(formdata=MultiDict({"price": "1.234,56", "share": "5,5 %"}))
    html = str(form.price())
    assert 'type="text"' in html
    assert 'inputmode="decimal"' in html
    assert "number" not in html
    assert 'inputmode="decimal"' in str(form.share())
    assert form.validate()
    assert form.price.amount == Decimal("1234.56")
    assert form.share.value == Decimal("5.5")


def test_the_fields_put_the_error_on_themselves(lang: str) -> None:
    form = _Form(formdata=MultiDict({"price": "1e400", "share": "abc"}))
    assert not form.validate()
    assert form.price.amount is None
    assert len(form.price.errors) == 1
    assert len(form.share.errors) == 1
    assert "1e400" in form.price.errors[0]
