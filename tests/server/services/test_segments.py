"""RFM scoring and value classes: properties (hypothesis) and a worked example."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from server.services.segments import (
    RFM_SEGMENTS,
    VALUE_CLASSES,
    MemberFigures,
    quantile_scores,
    rfm_segment,
    score_members,
)

values = st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=60)


@given(values)
def test_scores_are_1_to_5_and_the_best_scores_5(xs: list[int]) -> None:
    scores = quantile_scores(xs)
    assert all(1 <= s <= 5 for s in scores)
    assert scores[xs.index(max(xs))] == 5


@given(values)
def test_a_better_value_never_scores_lower_and_ties_share(xs: list[int]) -> None:
    scores = quantile_scores(xs)
    for a, sa in zip(xs, scores, strict=True):
        for b, sb in zip(xs, scores, strict=True):
            if a > b:
                assert sa >= sb
            if a == b:
                assert sa == sb


@given(values)
def test_order_of_members_does_not_matter(xs: list[int]) -> None:
    scores = dict(zip(xs, quantile_scores(xs), strict=True))
    rev = list(reversed(xs))
    assert dict(zip(rev, quantile_scores(rev), strict=True)) == scores


@given(values)
def test_recency_is_scored_fewer_days_better(xs: list[int]) -> None:
    scores = quantile_scores(xs, higher_is_better=False)
    assert scores[xs.index(min(xs))] == 5


@given(st.integers(1, 5), st.integers(1, 5))
def test_every_score_pair_has_one_segment(r: int, f: int) -> None:
    assert rfm_segment(r, f) in RFM_SEGMENTS


figures = st.lists(
    st.builds(
        MemberFigures,
        member_id=st.uuids().map(str),
        recency_days=st.integers(0, 365),
        frequency=st.integers(1, 50),
        monetary=st.decimals(min_value=0, max_value=10000, places=2),
        rewards_cost=st.decimals(min_value=0, max_value=500, places=2),
    ),
    min_size=1,
    max_size=40,
    unique_by=lambda f: f.member_id,
)


@given(figures)
def test_value_classes(figs: list[MemberFigures]) -> None:
    margin = Decimal("0.25")
    scored = score_members(figs, margin=margin)
    assert [s.member_id for s in scored] == [f.member_id for f in figs]
    for f, s in zip(figs, scored, strict=True):
        assert s.value_class in VALUE_CLASSES
        assert s.contribution == (f.monetary * margin - f.rewards_cost).quantize(Decimal("0.01"))
        assert (s.value_class == "below_zero") == (s.contribution < 0)
    top = [s for s in scored if s.value_class == "most_valuable"]
    rest = [s for s in scored if s.value_class in ("most_potential", "intermediate")]
    if top and rest:
        assert min(s.contribution for s in top) >= max(s.contribution for s in rest)


def test_worked_example() -> None:
    """
    ====  ====  ===  ========  =======  =====  ===  ===  ===============  =============
    id    days  n    spend     rewards  contr  R    F    segment          class
    ====  ====  ===  ========  =======  =====  ===  ===  ===============  =============
    a     2     12   2000.00   100.00   400    5    5    champions        most_valuable
    b     3     5    400.00    10.00    90     4    4    champions        most_potential
    c     200   1    80.00     30.00    -10    2    2    hibernating      below_zero
    d     30    2    150.00    5.00     32.50  3    3    need_attention   intermediate
    e     300   1    60.00     0.00     15     1    2    lost             intermediate
    ====  ====  ===  ========  =======  =====  ===  ===  ===============  =============
    """
    rows = [
        ("a", 2, 12, "2000.00", "100.00"),
        ("b", 3, 5, "400.00", "10.00"),
        ("c", 200, 1, "80.00", "30.00"),
        ("d", 30, 2, "150.00", "5.00"),
        ("e", 300, 1, "60.00", "0.00"),
    ]
    figs = [MemberFigures(i, d, n, Decimal(m), Decimal(r)) for i, d, n, m, r in rows]
    got = {
        s.member_id: (s.r, s.f, s.rfm_segment, s.contribution, s.value_class)
        for s in score_members(figs, margin=Decimal("0.25"))
    }
    assert got == {
        "a": (5, 5, "champions", Decimal("400.00"), "most_valuable"),
        "b": (4, 4, "champions", Decimal("90.00"), "most_potential"),
        "c": (2, 2, "hibernating", Decimal("-10.00"), "below_zero"),
        "d": (3, 3, "need_attention", Decimal("32.50"), "intermediate"),
        "e": (1, 2, "lost", Decimal("15.00"), "intermediate"),
    }


def test_segment_names_are_made_and_parsed_in_one_place() -> None:
    from server.services.segments import RFM, VALUE, parse_segment_name, segment_name

    assert segment_name(RFM, "champions") == "rfm:champions"
    assert segment_name(VALUE, "most_valuable") == "value:most_valuable"
    assert parse_segment_name("value:most_valuable") == (VALUE, "most_valuable")
    assert parse_segment_name("rfm:") is None
    assert parse_segment_name("tier:gold") is None
    assert parse_segment_name("champions") is None
