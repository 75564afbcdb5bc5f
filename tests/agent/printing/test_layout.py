"""Line layout: nothing ever runs past the paper, and values stay flush right."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from agent.printing.document import Pair
from agent.printing.layout import aligned, pair_lines, wrap

words = st.text(alphabet="abcçãé XYZ019-,.R$", min_size=0, max_size=120)
columns = st.sampled_from([32, 42, 48])


@given(left=words, right=st.text(alphabet="0123456789,.R$ -", max_size=20), cols=columns)
def test_pair_lines_fit_and_keep_the_value_flush_right(left: str, right: str, cols: int) -> None:
    lines = pair_lines(Pair(left, right), cols)
    assert all(len(line) <= cols for line in lines)
    assert lines[-1].endswith(right)
    if right.strip():
        assert len(lines[-1]) == cols


@given(text=words, cols=columns)
def test_wrap_never_exceeds_the_width_and_loses_no_letters(text: str, cols: int) -> None:
    lines = wrap(text, cols)
    assert all(len(line) <= cols for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")


def test_pair_worked_examples() -> None:
    """| left                      | right      | 32 columns                          |
    | Pontos                    | 1.234      | 'Pontos' + 21 spaces + '1.234'      |
    | a 40-letter rule name     | -R$ 27,90  | wrapped; value on its own last line |"""
    assert pair_lines(Pair("Pontos", "1.234"), 32) == ["Pontos" + " " * 21 + "1.234"]
    long = "Leve 3 pague 2 em toda a mercearia seca"
    assert pair_lines(Pair(long, "-R$ 27,90"), 32) == [
        "Leve 3 pague 2 em toda a",
        "mercearia seca         -R$ 27,90",
    ]


def test_aligned_places_like_the_printer() -> None:
    assert aligned("abc", 9, "center") == "   abc"
    assert aligned("abc", 9, "right") == "      abc"
    assert aligned("abc", 9, "left") == "abc"
