"""Benchmark of the pricing engine on a realistic supermarket load; prints one JSON object per line.

Catalogue: 5,000 SKUs in 60 categories and 300 brands, 5 % weighed. Store "S1" runs 500 live
rules of every kind (club prices on 300 SKUs). Baskets of 20 and of 100 lines are drawn with a
skewed popularity (promoted items sell more, as in real tills). The floor is a bare loop that
multiplies and sums the Decimal line amounts of the same baskets.

The issue-28 figure (``p99_20_lines_500_rules_vs_floor``: the engine within 50× of the floor)
is measured so that load from other processes on a shared machine cannot move it: each basket
is priced and then floor-summed back to back (interleaved, so both see the same machine and the
same caches), both timed in thread CPU time (wall time of a 0.2 ms call on a loaded 2-core VM is
dominated by scheduler stalls, which are neither's work), the clock's own cost subtracted from
both, and each basket's cost taken as the least of its repeats (other processes, interrupts and
cache thrashing only ever add time; a median still kept some of it on a loaded machine and
moved the floor's p99, the figure's denominator, by 2×). The p50 and p99 are then over the
baskets: the p99 is the dear basket, which is what the engine controls. The engine does all
of a real sale's work, explanations included; the floor is the same bare loop as above. The
wall-time figures are printed beside.

The scale check prices the same baskets with 5,000 live rules two ways: (a) the store's 500
plus 4,500 for the chain's other stores, as a chain's central campaign file holds them (the
store index at work); (b) the store's 500 plus 4,500 more in the same store on other
departments' products, not in these baskets (the sku/category/brand index at work). A last,
informational figure puts all 5,000 rules in the same store over the same catalogue: then 10×
as many rules can touch each basket, and the cost grows accordingly.

Run: ``.venv/bin/python bench/pricing.py`` (about a minute).
"""

from __future__ import annotations

import gc
import json
import os
import random
import statistics
import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from loyalty.money import Money
from loyalty.pricing import BasketLine, MemberContext, RuleSet, compile_rules, price

SKUS = 5_000
AT = datetime(2026, 3, 4, 13, 0, tzinfo=UTC)
MEMBER = MemberContext(
    "m1", "gold", frozenset({"app"}), frozenset({"offer-7"}), frozenset({"PROMO10"})
)


def catalogue(
    rnd: random.Random, first: int = 0, dept: str = ""
) -> list[tuple[str, str, str, frozenset[str], str, bool]]:
    items = []
    for i in range(first, first + SKUS):
        price = f"{rnd.randint(99, 8_000) / 100:.2f}"
        tags = frozenset(
            rnd.sample(["organic", "kids", "light", "import", "local", "vegan"], rnd.randint(0, 2))
        )
        items.append(
            (
                f"{7890000000000 + i}",
                f"{dept}cat{i % 60}",
                f"{dept}brand{rnd.randrange(300)}",
                tags,
                price,
                i % 20 == 0,
            )
        )
    return items


def rules_for(
    rnd: random.Random,
    items: list[Any],
    prefix: str,
    stores: list[str] | None,
    *,
    basket_wide: bool = True,
) -> list[dict[str, Any]]:
    skus = [it[0] for it in items]
    sample_skus = lambda n: rnd.sample(skus, n)  # noqa: E731
    dept = items[0][1].removesuffix("cat0")
    cat = lambda: f"{dept}cat{rnd.randrange(60)}"  # noqa: E731
    brand = lambda: f"{dept}brand{rnd.randrange(300)}"  # noqa: E731
    out: list[dict[str, Any]] = []

    def add(kind: str, **fields: Any) -> None:
        r = {"id": f"{prefix}-{len(out)}", "kind": kind, "name": f"{kind} {len(out)}", **fields}
        if stores is not None:
            r.setdefault("valid", {})["stores"] = stores
        out.append(r)

    for sku in sample_skus(300):
        price = next(it[4] for it in items if it[0] == sku)
        club = f"{Decimal(price) * Decimal('0.9'):.2f}"
        add("member_price", sku=sku, price=club, audience={"members_only": True})
    for _ in range(40):
        add(
            "percent_off",
            percent=rnd.choice(["5", "10", "15", "20"]),
            applies_to={"skus": sample_skus(rnd.randint(1, 5))},
        )
    for _ in range(10):
        add(
            "percent_off",
            percent="5",
            applies_to={"brands": [brand()]},
            stackable=rnd.random() < 0.3,
        )
    for _ in range(5):
        add(
            "percent_off",
            percent="3",
            applies_to={"categories": [cat()]},
            valid={"weekdays": [3]},
            priority=200,
        )
    for _ in range(30):
        add(
            "amount_off",
            amount=rnd.choice(["0.50", "1.00", "2.00"]),
            applies_to={"skus": sample_skus(rnd.randint(1, 3))},
            max_units_per_sale=6,
        )
    for _ in range(25):
        add("take_pay", take=3, pay=2, applies_to={"skus": sample_skus(rnd.randint(1, 4))})
    for _ in range(5):
        add("take_pay", take=4, pay=3, applies_to={"brands": [brand()]})
    for _ in range(20):
        add(
            "buy_get",
            buy={"applies_to": {"skus": sample_skus(2)}, "qty": 2},
            get={"applies_to": {"skus": sample_skus(2)}, "qty": 1, "percent": "50"},
        )
    for _ in range(25):
        add(
            "quantity_price",
            applies_to={"skus": sample_skus(1)},
            tiers=[{"min_qty": 6, "unit_price": "1.79"}, {"min_qty": 12, "unit_price": "1.59"}],
        )
    for _ in range(15):
        add(
            "bundle_price",
            components=[
                {"applies_to": {"skus": sample_skus(2)}, "qty": 1},
                {"applies_to": {"skus": sample_skus(2)}, "qty": 1},
            ],
            price="9.90",
        )
    if not basket_wide:
        while len(out) < 500:
            add("percent_off", percent="10", applies_to={"skus": sample_skus(2)})
        return out
    if not basket_wide:
        while len(out) < 500:
            add("percent_off", percent="10", applies_to={"skus": sample_skus(2)})
        return out
    add("basket_amount_off", amount="10.00", min_subtotal="150.00", coupon="PROMO10")
    add("basket_percent_off", percent="5", min_subtotal="100.00", audience={"tiers": ["gold"]})
    add("basket_percent_off", percent="2", min_subtotal="300.00", stackable=True)
    add("basket_amount_off", amount="5.00", min_subtotal="80.00", requires_activation=True)
    add(
        "basket_amount_off",
        amount="3.00",
        min_subtotal="50.00",
        valid={"hours": ["20:00", "23:00"]},
    )
    add("points", per_amount="1.00", points=1)
    add("points", per_amount="10.00", points=3, applies_to={"categories": [cat(), cat()]})
    add("points_multiplier", factor="2", audience={"tiers": ["gold"]})
    add("points_multiplier", factor="3", applies_to={"brands": [brand()]})
    for _ in range(10):
        add("points_bonus", points=rnd.choice([5, 10, 20]), applies_to={"brands": [brand()]})
    add("cashback", percent="2", audience={"segments": ["app"]})
    add("raffle", per_amount="100.00", campaign="verao")
    while len(out) < 500:
        add(
            "percent_off",
            percent="10",
            applies_to={"skus": sample_skus(2)},
            requires_activation=True,
        )
    return out


def baskets(
    rnd: random.Random, items: list[Any], promoted: list[str], size: int, count: int
) -> list[list[BasketLine]]:
    by_sku = {it[0]: it for it in items}
    out = []
    for _ in range(count):
        lines = []
        for _ in range(size):
            # A third of the lines are promoted items: they sell more, and they cost the engine.
            it = by_sku[rnd.choice(promoted)] if rnd.random() < 0.33 else rnd.choice(items)
            sku, category, brand, tags, price, weighed = it
            qty = (
                Decimal(f"{rnd.randint(100, 2_500) / 1000:.3f}")
                if weighed
                else Decimal(rnd.choice([1, 1, 1, 2, 2, 3, 6, 12]))
            )
            lines.append(BasketLine(sku, qty, Money(price), category, brand, tags))
        out.append(lines)
    return out


def timed(
    rulesets: list[RuleSet], sets: list[list[BasketLine]], repeat: int
) -> tuple[list[list[float]], list[list[float]]]:
    """Wall and thread-CPU ms per basket for each rule set, interleaved basket by basket so a
    burst of load from other processes on the shared machine hits every rule set alike. CPU
    time is largely immune to other processes taking the cores; wall time is what a till sees.
    """
    for ruleset in rulesets:
        for basket in sets[:20]:
            price(ruleset, basket, MEMBER, "S1", AT)
    wall: list[list[float]] = [[] for _ in rulesets]
    cpu: list[list[float]] = [[] for _ in rulesets]
    for _ in range(repeat):
        for n, basket in enumerate(sets):
            # Rotate which rule set goes first: the first to touch a basket pays its cold cache.
            for i in (*range(n % len(rulesets), len(rulesets)), *range(n % len(rulesets))):
                ruleset = rulesets[i]
                c0 = time.thread_time_ns()
                t0 = time.perf_counter_ns()
                price(ruleset, basket, MEMBER, "S1", AT)
                wall[i].append((time.perf_counter_ns() - t0) / 1e6)
                cpu[i].append((time.thread_time_ns() - c0) / 1e6)
    return wall, cpu


def floor(sets: list[list[BasketLine]], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        for basket in sets:
            t0 = time.perf_counter_ns()
            total = Decimal(0)
            for ln in basket:
                total += ln.unit_price.amount * ln.qty
            samples.append((time.perf_counter_ns() - t0) / 1e6)
    return samples


def versus_floor(
    ruleset: RuleSet, sets: list[list[BasketLine]], repeat: int
) -> tuple[list[float], list[float]]:
    """Per basket, the least thread-CPU ms of pricing it and of the floor loop over it,
    interleaved call by call, less the clock's own cost (see the module docstring)."""
    clock = time.thread_time_ns
    overhead = statistics.median(_clock_cost(clock) for _ in range(2_000))
    for basket in sets[:20]:
        price(ruleset, basket, MEMBER, "S1", AT)
    eng: list[list[int]] = [[] for _ in sets]
    flo: list[list[int]] = [[] for _ in sets]
    for _ in range(repeat):
        for n, basket in enumerate(sets):
            c0 = clock()
            price(ruleset, basket, MEMBER, "S1", AT)
            c1 = clock()
            total = Decimal(0)
            for ln in basket:
                total += ln.unit_price.amount * ln.qty
            c2 = clock()
            eng[n].append(c1 - c0)
            flo[n].append(c2 - c1)

    def per_basket(samples: list[list[int]]) -> list[float]:
        return [max(min(s) - overhead, 1) / 1e6 for s in samples]

    return per_basket(eng), per_basket(flo)


def _clock_cost(clock: Any) -> int:
    c0 = clock()
    return int(clock() - c0)


def pct(samples: list[float], q: float) -> float:
    return (
        statistics.quantiles(samples, n=100, method="inclusive")[int(q) - 1]
        if q < 100
        else max(samples)
    )


def emit(
    figure: str,
    value: float,
    unit: str,
    baseline: float | None,
    target: float | None,
    *,
    ratio_target: bool = False,
) -> None:
    ratio = round(value / baseline, 2) if baseline else None
    checked = ratio if ratio_target else value
    met = None if target is None or checked is None else checked <= target
    print(json.dumps({"bench": "pricing", "figure": figure, "value": round(value, 4), "unit": unit,
                      "baseline": None if baseline is None else round(baseline, 4), "ratio": ratio,
                      "target": target, "met": met}))  # fmt: skip


def main() -> None:
    rnd = random.Random(2026)
    items = catalogue(rnd)
    store_rules = rules_for(rnd, items, "s1", None)
    promoted = sorted(
        {s for r in store_rules for s in r.get("applies_to", {}).get("skus", [])}
        | {r["sku"] for r in store_rules if r["kind"] == "member_price"}
    )
    chain = store_rules + [
        r for i in range(9) for r in rules_for(random.Random(i), items, f"o{i}", [f"S{i + 2}"])
    ]
    same_store = store_rules + [
        r for i in range(9) for r in rules_for(random.Random(i), items, f"x{i}", None)
    ]
    # Other departments' products (not in these baskets), same store: only the index saves us.
    other_items = catalogue(random.Random(99), first=SKUS * 2, dept="season-")
    elsewhere = store_rules + [
        r
        for i in range(9)
        for r in rules_for(random.Random(i), other_items, f"e{i}", None, basket_wide=False)
    ]
    t0 = time.perf_counter()
    rs500 = compile_rules({"rules": store_rules})
    rs5000 = compile_rules({"rules": chain})
    compile_ms = (time.perf_counter() - t0) * 1000
    rs5000_same = compile_rules({"rules": same_store})
    rs5000_elsewhere = compile_rules({"rules": elsewhere})
    b20 = baskets(rnd, items, promoted, 20, 300)
    b100 = baskets(rnd, items, promoted, 100, 150)
    # The agent loads the rule set once and keeps it for hours: freezing it out of the cyclic
    # garbage collector's sight (gc.freeze, as long-lived servers do) keeps GC pauses short.
    gc.collect()
    gc.freeze()
    emit("load_average_1min", os.getloadavg()[0], "processes", None, None)
    emit("compile_5500_rules", compile_ms, "ms", None, None)
    for label, sets, target in (("20_lines", b20, 1.0), ("100_lines", b100, 5.0)):
        flo = floor(sets, 5)
        (eng, big, other), (cpu, big_cpu, other_cpu) = timed(
            [rs500, rs5000, rs5000_elsewhere], sets, 5
        )
        emit(f"p50_{label}_500_rules", pct(eng, 50), "ms", pct(flo, 50), None)
        emit(f"p99_{label}_500_rules", pct(eng, 99), "ms", pct(flo, 99), target)
        # Issue 28: the engine's p99 within 50× of the bare Decimal loop's p99 (20 lines),
        # in CPU time, interleaved, each basket's least of 7 (module docstring).
        vs_eng, vs_flo = versus_floor(rs500, sets, 7)
        emit(f"p50_{label}_500_rules_vs_floor", pct(vs_eng, 50), "ms", pct(vs_flo, 50), None)
        emit(
            f"p99_{label}_500_rules_vs_floor",
            pct(vs_eng, 99),
            "ms",
            pct(vs_flo, 99),
            50.0 if label == "20_lines" else None,
            ratio_target=True,
        )
        emit(f"p50_cpu_{label}_500_rules", pct(cpu, 50), "ms", pct(flo, 50), None)
        emit(f"p99_cpu_{label}_500_rules", pct(cpu, 99), "ms", pct(flo, 99), target)
        for name, wall_ms, cpu_ms in (
            ("chain", big, big_cpu),
            ("other_products", other, other_cpu),
        ):
            emit(
                f"p50_{label}_5000_{name}",
                pct(wall_ms, 50),
                "ms",
                pct(eng, 50),
                1.5,
                ratio_target=True,
            )
            emit(
                f"p50_cpu_{label}_5000_{name}",
                pct(cpu_ms, 50),
                "ms",
                pct(cpu, 50),
                1.5,
                ratio_target=True,
            )
            emit(f"p99_cpu_{label}_5000_{name}", pct(cpu_ms, 99), "ms", pct(cpu, 99), None)
        (same,), (same_cpu,) = timed([rs5000_same], sets, 1)
        emit(f"p50_cpu_{label}_5000_same_store", pct(same_cpu, 50), "ms", pct(cpu, 50), None)


if __name__ == "__main__":
    main()
