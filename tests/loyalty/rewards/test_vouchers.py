"""Voucher rules: every refusal reason, redemption, offline settlement, issuing."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loyalty.money import Money
from loyalty.rewards import (
    InvalidVoucherCode,
    Voucher,
    VoucherRefusal,
    VoucherRefused,
    VoucherUse,
    make_voucher_code,
    redeem_voucher,
)
from loyalty.rewards.errors import RewardsError
from loyalty.rewards.voucher_issue import (
    NextPurchaseRule,
    VoucherTemplate,
    issue_vouchers,
    next_purchase_coupon,
)
from loyalty.rewards.voucher_settlement import settle
from loyalty.rewards.vouchers import refusal

from .conftest import T0, day

CODE = make_voucher_code(bytes.fromhex("0123456789abcdef"))
V = Voucher(
    voucher_id="v-1",
    code=CODE,
    name="R$ 10 off",
    percent=None,
    amount=Money("10.00"),
    min_subtotal=Money("50.00"),
    valid_from=day(0),
    valid_until=day(30),
    stores=frozenset({"LOJA-01", "LOJA-02"}),
    member_id="m-1",
)


def _ok(**over: object) -> dict[str, object]:
    base: dict[str, object] = {
        "at": day(1),
        "store_id": "LOJA-01",
        "member_id": "m-1",
        "subtotal": Money("50.00"),
    }
    return {**base, **over}


def _use(sale: str, at_day: float, terminal: str = "PDV-01", **kw: object) -> VoucherUse:
    return VoucherUse("v-1", sale, "LOJA-01", terminal, day(at_day), "m-1", **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("voucher", "over", "reason"),
    [
        (V, {}, None),
        (None, {}, VoucherRefusal.UNKNOWN_CODE),
        (replace(V, void=True), {}, VoucherRefusal.VOID),
        (V, {"at": day(-1)}, VoucherRefusal.NOT_YET_VALID),
        (V, {"at": day(30)}, VoucherRefusal.EXPIRED),  # valid_until is exclusive
        (V, {"at": day(30) - timedelta(seconds=1)}, None),
        (V, {"store_id": "LOJA-09"}, VoucherRefusal.STORE_NOT_ALLOWED),
        (V, {"member_id": None}, VoucherRefusal.MEMBER_REQUIRED),
        (V, {"member_id": "m-2"}, VoucherRefusal.OTHER_MEMBER),
        (V, {"subtotal": Money("49.99")}, VoucherRefusal.BELOW_MINIMUM),
        (V, {"uses": [_use("s-0", 0.5)]}, VoucherRefusal.ALREADY_USED),
        (V, {"uses": [_use("s-0", 0.5, restored=True)]}, None),
        (
            replace(V, max_uses=2),
            {"uses": [_use("a", 0), _use("b", 0)]},
            VoucherRefusal.NO_USES_LEFT,
        ),
        (replace(V, max_uses=2), {"uses": [_use("a", 0), _use("a", 0)]}, None),
        (replace(V, max_uses=None), {"uses": [_use(str(i), 0) for i in range(50)]}, None),
    ],
)
def test_refusal_reasons(
    voucher: Voucher | None, over: dict[str, object], reason: VoucherRefusal | None
) -> None:
    assert refusal(voucher, **_ok(**over)) == reason  # type: ignore[arg-type]


def test_redeem_marks_it_used_and_a_second_use_is_refused() -> None:
    use = redeem_voucher(
        V,
        code=CODE.lower(),
        sale_id="s-1",
        store_id="LOJA-01",
        terminal_id="PDV-01",
        at=day(1),
        member_id="m-1",
        subtotal=Money("80"),
    )
    assert use == VoucherUse("v-1", "s-1", "LOJA-01", "PDV-01", day(1), "m-1")
    with pytest.raises(VoucherRefused) as err:
        redeem_voucher(
            V,
            code=CODE,
            sale_id="s-2",
            store_id="LOJA-01",
            terminal_id="PDV-02",
            at=day(2),
            member_id="m-1",
            subtotal=Money("80"),
            uses=[use],
        )
    assert err.value.reason is VoucherRefusal.ALREADY_USED
    assert err.value.code == "voucher_already_used"
    assert "já foi usado" in err.value.message_pt


def test_a_typo_is_caught_before_the_lookup() -> None:
    typo = ("3" if CODE[0] != "3" else "4") + CODE[1:]
    with pytest.raises(InvalidVoucherCode):
        redeem_voucher(
            V,
            code=typo,
            sale_id="s-1",
            store_id="LOJA-01",
            terminal_id="PDV-01",
            at=day(1),
            member_id="m-1",
            subtotal=Money("80"),
        )


def test_pricing_fields_match_voucher_application() -> None:
    assert V.pricing_fields() == {
        "voucher_id": "v-1",
        "code": CODE,
        "name": "R$ 10 off",
        "percent": None,
        "amount": Money("10.00"),
        "min_subtotal": Money("50.00"),
    }


@pytest.mark.parametrize(
    "over",
    [
        {"percent": Decimal(10)},  # both
        {"amount": None},  # neither
        {"amount": None, "percent": Decimal(0)},
        {"amount": None, "percent": Decimal(101)},
        {"valid_until": day(0)},
        {"max_uses": 0},
        {"code": "NOT-A-CODE"},
        {"code": CODE.lower()},
    ],
)
def test_bad_vouchers_are_refused(over: dict[str, object]) -> None:
    with pytest.raises(RewardsError):
        replace(V, **over)


def test_offline_double_use_settles_by_sale_time_then_terminal() -> None:
    """Two tills offline both accepted single-use v-1. PDV-02's sale was 5 minutes earlier:
    it stands; PDV-01's use is reported. At the same second, PDV-01 beats PDV-02."""
    late = _use("s-late", 1, "PDV-01")
    early = replace(_use("s-early", 1, "PDV-02"), used_at=day(1) - timedelta(minutes=5))
    result = settle(V, [late, early])
    assert result.accepted == (early,)
    assert [(c.use, c.reason, c.winners) for c in result.conflicts] == [
        (late, VoucherRefusal.ALREADY_USED, ("s-early",))
    ]
    tie = settle(V, [_use("s-a", 1, "PDV-02"), _use("s-b", 1, "PDV-01")])
    assert [u.terminal_id for u in tie.accepted] == ["PDV-01"]


@given(
    st.lists(st.tuples(st.integers(0, 5), st.sampled_from(["P1", "P2", "P3"])), max_size=12),
    st.integers(1, 4),
    st.randoms(use_true_random=False),
)
def test_settlement_is_the_same_for_any_arrival_order_and_loses_nothing(
    raw: list[tuple[int, str]], max_uses: int, rnd: random.Random
) -> None:
    uses = [_use(f"s-{i}", d, t) for i, (d, t) in enumerate(raw)]
    voucher = replace(V, max_uses=max_uses)
    first = settle(voucher, uses)
    rnd.shuffle(uses)
    assert settle(voucher, uses + uses[:3]) == first
    assert len(first.accepted) == min(max_uses, len(uses))
    assert len(first.accepted) + len(first.conflicts) == len(uses)


TEMPLATE = VoucherTemplate(
    name="10 % de desconto",
    percent=Decimal(10),
    amount=None,
    min_subtotal=Money("0"),
    valid_from=day(0),
    valid_until=day(60),
    campaign_id="c-verao",
)


def test_bulk_issue_redraws_colliding_codes() -> None:
    draws = iter([bytes(8), bytes(8), bytes.fromhex("ffffffffffffffff"), bytes(8), b"\x01" * 8])
    taken = {make_voucher_code(b"\x01" * 8)}
    vouchers = issue_vouchers(
        TEMPLATE, count=2, id_prefix="c-verao", random=lambda n: next(draws), taken=taken
    )
    assert [v.voucher_id for v in vouchers] == ["c-verao-000001", "c-verao-000002"]
    assert [v.code for v in vouchers] == [
        make_voucher_code(bytes(8)),
        make_voucher_code(bytes.fromhex("ffffffffffffffff")),
    ]


def test_bulk_issue_one_per_member() -> None:
    rnd = random.Random(7)
    vouchers = issue_vouchers(
        TEMPLATE, count=0, id_prefix="c", random=rnd.randbytes, member_ids=["m-1", "m-2"]
    )
    assert [v.member_id for v in vouchers] == ["m-1", "m-2"]


def test_a_stuck_random_source_is_reported() -> None:
    with pytest.raises(RewardsError, match="random"):
        issue_vouchers(TEMPLATE, count=2, id_prefix="c", random=lambda n: bytes(n))


def test_next_purchase_coupon_from_the_threshold_inclusive() -> None:
    rule = NextPurchaseRule(
        "np-100",
        threshold=Money("100.00"),
        template=TEMPLATE,
        valid_days=15,
        valid_after_days=1,
        this_store_only=True,
    )
    kw = {
        "sale_id": "s-9",
        "at": T0,
        "store_id": "LOJA-01",
        "member_id": "m-1",
        "random_bytes": bytes.fromhex("0123456789abcdef"),
    }
    assert next_purchase_coupon(rule, sale_total=Money("99.99"), **kw) is None  # type: ignore[arg-type]
    coupon = next_purchase_coupon(rule, sale_total=Money("100.00"), **kw)  # type: ignore[arg-type]
    assert coupon is not None
    assert (coupon.voucher_id, coupon.code, coupon.member_id) == ("np-100:s-9", CODE, "m-1")
    assert (coupon.valid_from, coupon.valid_until) == (day(1), day(16))
    assert coupon.stores == frozenset({"LOJA-01"})
    assert coupon.percent == 10
