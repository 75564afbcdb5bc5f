"""The till's one-pass basket parser gives what the three steps give, errors included.

``limits.parse_lines`` reads the usual POS line once (bounds, parsing, line amounts, sale
total); everything else goes through ``check_raw_lines``, ``parse_basket`` and
``check_basket``. On valid and invalid baskets alike, both give the same lines (exponents
kept: "2.50" stays "2.50") or the same error, naming the same line and field.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from agent.sale import limits
from loyalty.bounds import Bounds
from loyalty.errors import LoyaltyError
from loyalty.pricing import BasketLine

BOUNDS = Bounds(
    unit_price=Decimal("5000.00"),
    quantity=Decimal("500"),
    line_amount=Decimal("20000.00"),
    sale_total=Decimal("30000.00"),
    lines=6,
)

good_qty = st.sampled_from(["1", "2", " 3 ", "0.5", "1.250", "12", "500"]) | st.decimals(
    "0.001", 500, places=3
).map(str)
good_price = st.sampled_from(["9.99", "2.50", "0", "0.01", " 4999.99 ", "5000"]) | st.decimals(
    0, 5000, places=2
).map(str)
bad_number: st.SearchStrategy[Any] = st.sampled_from(
    ["0", "-1", "1.2345", "501", "5000.01", "1e3", "1e400", "NaN", "Infinity", "abc", "", "12,50",
     "3.499", None, 2, 2.5, True, [], {}]
)  # fmt: skip
FIELDS = {
    "sku": (st.sampled_from(["ARROZ", " FEIJAO ", "78910001"]), st.sampled_from(["", " ", 7])),
    "qty": (good_qty, bad_number),
    "unit_price": (good_price, bad_number),
    "category": (st.sampled_from([None, "mercearia", " bebidas "]), st.sampled_from([5, ["x"]])),
    "brand": (st.sampled_from([None, "", "Nestlé "]), st.sampled_from([5, {}])),
    "tags": (st.sampled_from([[], ["a"], [" b ", "a"]]), st.sampled_from([None, [""], ["a", 3]])),
    "weighed": (st.sampled_from([None, True, False]), st.sampled_from(["yes", 1])),
}


@st.composite
def raw_lines(draw: st.DrawFn) -> Any:
    """Mostly valid lines; now and then a bad field, a missing one, an unknown one."""
    if draw(st.integers(0, 40)) == 0:
        return draw(st.sampled_from([None, "line", ["sku"], 3]))
    line: dict[str, Any] = {}
    for name, (good, bad) in FIELDS.items():
        roll = draw(st.integers(0, 40))
        if roll == 0:
            continue  # missing
        if roll == 1:
            line[name] = draw(bad)
        elif name in ("sku", "qty", "unit_price") or roll % 2:
            line[name] = draw(good)
    if draw(st.integers(0, 40)) == 0:
        line["colour"] = "red"
    return line


def outcome(parse: Any, lines: list[Any]) -> Any:
    try:
        parsed: tuple[BasketLine, ...] = parse(lines, BOUNDS)
    except LoyaltyError as exc:
        return type(exc).__name__, exc.code, exc.message_en, exc.message_pt
    return [
        (ln.sku, str(ln.qty), str(ln.unit_price.amount), ln.category, ln.brand, ln.tags, ln.weighed)
        for ln in parsed
    ]


@settings(max_examples=200, deadline=None)
@given(st.lists(raw_lines(), min_size=1, max_size=8))
def test_one_pass_equals_three_steps(lines: list[Any]) -> None:
    assert outcome(limits.parse_lines, lines) == outcome(limits._three_steps, lines)


def test_the_usual_basket_is_parsed() -> None:
    lines = [{"sku": "A", "qty": "2", "unit_price": "2.50", "tags": [" x "]}]
    (line,) = limits.parse_lines(lines, BOUNDS)
    assert (str(line.qty), str(line.unit_price.amount), line.tags) == (
        "2",
        "2.50",
        frozenset({"x"}),
    )
