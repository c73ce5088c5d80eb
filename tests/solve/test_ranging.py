"""Shadow prices that hold (MODEL.md, "Shadow prices that hold"): the rise value, the fall
value where the limit sits at a kink, and the range of the limit over which each holds, each
checked against re-solves, by hand and on random instances."""

from __future__ import annotations

import math

import numpy as np
import pyomo.environ as pyo
import pytest
from hypothesis import HealthCheck, given, settings

from budgetopt import optimise
from budgetopt.api import build
from tests.builders import make_inputs
from tests.families.cases import row
from tests.helpers import instances

Y = "2026/27"


def kink(budget: float = 4.0):
    """A: £4m @ 3, B: £4m @ 2. At £4m, A is full and B empty: a rise buys B (2 per £1m, up
    to £8m), a fall takes from A (3 per £1m, down to £0m)."""
    return make_inputs(services=[{"service_id": "A"}, {"service_id": "B"}],
                       curves=[("A", "m", 1, 4, 3), ("B", "m", 1, 4, 2)],
                       funding=[("pool", Y, budget)])


def test_at_a_kink_the_rise_and_fall_values_differ_and_each_holds_over_its_range():
    res = optimise(kink())
    money = row(res, "money_source_limit", source_id="pool", year=Y)
    assert money["shadow_price"] == pytest.approx(2.0)
    assert money["shadow_price_down"] == pytest.approx(3.0)
    assert money["holds_from"] == pytest.approx(0.0)
    assert money["holds_to"] == pytest.approx(8.0)
    assert money["meaning"] == (
        "£1m more from pool in 2026/27 would buy 2.00 more weighted outcomes. This holds for "
        "up to £4.0m more. Below today's limit, each £1m less would give up 3.00 weighted "
        "outcomes (for up to £4.0m less).")
    # the re-solves the sentence claims
    assert optimise(kink(5.0)).objective - res.objective == pytest.approx(2.0)
    assert res.objective - optimise(kink(3.0)).objective == pytest.approx(3.0)
    doc = res.to_json_dict()["constraints"]
    entry = next(c for c in doc if c["family"] == "money")
    assert (entry["shadow_price_down"], entry["holds_from"], entry["holds_to"]) == \
        pytest.approx((3.0, 0.0, 8.0))


def test_away_from_a_kink_one_price_holds_both_ways():
    """At £2m, A is half full: ±£1m moves A at 3, from £0m up to £4m."""
    money = row(optimise(kink(2.0)), "money_source_limit", source_id="pool", year=Y)
    assert money["shadow_price"] == money["shadow_price_down"] == pytest.approx(3.0)
    assert (money["holds_from"], money["holds_to"]) == pytest.approx((0.0, 4.0))
    assert "This holds from £2.0m below today's limit to £2.0m above it." in money["meaning"]


def test_a_binding_minimum_with_no_price_says_what_a_move_would_do():
    """min A = £4m with £4m of money: A is full at its minimum. Raising the minimum cannot
    be met (A has no more band, and no more money); lowering it frees money for B at 2 while
    A loses 3: each £1m lower gives up 1."""
    inputs = make_inputs(services=[{"service_id": "A", "min_m": 4.0}, {"service_id": "B"}],
                         curves=[("A", "m", 1, 4, 3), ("B", "m", 1, 4, 2)],
                         funding=[("pool", Y, 4.0)])
    res = optimise(inputs)
    low = row(res, "bounds_min", service_id="A", year=Y)
    assert low["binding"]
    assert math.isnan(low["shadow_price"])  # cannot rise
    assert low["shadow_price_down"] == pytest.approx(0.0)
    assert low["meaning"].startswith("Raising the minimum on A in 2026/27 by £1m would not be "
                                     "possible without breaking another rule.")
    assert "At its limit, but" not in low["meaning"]


def test_a_binding_row_with_zero_price_names_no_rule_twice():
    """A's cap of £4m binds at a vertex where the money binds too (£4m, A best): lifting the
    cap buys nothing (no money), lowering it moves £1m to B, giving up 1."""
    inputs = make_inputs(services=[{"service_id": "A", "max_m": 4.0}, {"service_id": "B"}],
                         curves=[("A", "m", 1, 6, 3), ("B", "m", 1, 4, 2)],
                         funding=[("pool", Y, 4.0)])
    cap = row(optimise(inputs), "bounds_max", service_id="A", year=Y)
    assert cap["binding"]
    assert cap["shadow_price"] == pytest.approx(0.0, abs=1e-9)
    assert cap["shadow_price_down"] == pytest.approx(1.0)
    assert cap["name"] not in cap["meaning"]
    assert cap["meaning"].startswith("Lifting the cap on A in 2026/27 by £1m would change "
                                     "nothing.")
    assert "each £1m less would give up 1.00 weighted outcomes" in cap["meaning"]


def _objective_at(session, r: int, limit: float) -> float | None:
    """Re-solve the session's model with row `r`'s limit at `limit` (model units)."""
    compiled = session.compiled
    info = compiled.rows[r]
    param = getattr(session.model, f"{info.component}_limit")[info.index]
    old = pyo.value(param)
    param.value = limit + (compiled._constants[r])
    compiled.update_limits([info.component])
    try:
        out = session.solve()
        return out.objective if out.ok else None
    finally:
        param.value = old
        compiled.update_limits([info.component])


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_shadow_price_equals_the_gain_of_a_re_solve_with_the_limit_moved(inputs):
    """For every binding row: a rise of the limit within its range gains `shadow_price` per
    unit, a fall within its range gives up `shadow_price_down` per unit, and a side that
    cannot move is infeasible."""
    session = build(inputs)
    res = session.results()
    if not res.optimal:
        return
    obj = res.objective
    reported = [r for r, info in enumerate(session.compiled.rows) if info.report]
    for r, c in zip(reported, res.constraints.itertuples(index=False)):
        if not c.binding or c.sense == "==":
            continue
        info = session.compiled.rows[r]
        limit = c.limit / info.scale
        for sign, price, end in ((1, c.shadow_price, c.holds_to),
                                 (-1, c.shadow_price_down, c.holds_from)):
            room = abs(end / info.scale - limit) if np.isfinite(end) else 1.0
            step = min(1e-2, room / 2) if room > 1e-6 else 1e-3
            got = _objective_at(session, r, limit + sign * step)
            if math.isnan(price):
                assert got is None, f"{c.name}: said it cannot move ({sign:+d}) but can"
                continue
            assert got is not None, f"{c.name}: a move within its range is infeasible"
            if room <= 1e-6:
                continue
            slope = sign * (got - obj) / step
            assert slope == pytest.approx(price * info.scale, rel=1e-5, abs=1e-5), \
                f"{c.name}: {'rise' if sign > 0 else 'fall'} value {price} but a re-solve " \
                f"gives {slope}"


def test_a_reduced_cost_says_up_to_what_effect_the_plan_stays_the_same():
    """two_services(3.5): A1 2, B1 1, B2 0.5; the margin is B2 at 6. A2 buys 4: it needs 2
    more (50%), and the plan stays the same while A2 buys anything up to 6."""
    from tests.families.cases import two_services

    rc = optimise(two_services(3.5)).reduced_costs.set_index("service_id")
    assert rc.at["A", "per_m"] == pytest.approx(4.0)
    assert rc.at["A", "holds_to_per_m"] == pytest.approx(6.0)
    assert rc.at["A", "meaning"].endswith("The plan stays the same while its next £1m buys "
                                          "anything up to 6.00 (today 4.00).")


# -- how much ranging: the price_ranging setting and its cap ------------------------------------


def test_basis_ranging_reports_the_kink_as_not_ranged_and_full_ranges_it():
    """The kink of kink(): HiGHS's ranging of the basis alone cannot tell the fall value (3)
    from the rise value (2); without the re-solve the row says it was not ranged, keeps the
    solver's dual for both sides and claims no range."""
    from budgetopt.results.tables import NOT_RANGED

    res = optimise(kink(), overrides=["solver.price_ranging=basis"])
    money = row(res, "money_source_limit", source_id="pool", year=Y)
    assert not money["ranged"]
    assert money["shadow_price_down"] == money["shadow_price"]
    assert money["shadow_price"] in (pytest.approx(2.0), pytest.approx(3.0))
    assert math.isnan(money["holds_from"]) and math.isnan(money["holds_to"])
    assert money["meaning"].endswith(NOT_RANGED)
    assert "holds" not in money["meaning"].replace(NOT_RANGED, "")
    assert res.price_ranging["setting"] == "basis"
    assert res.price_ranging["re_solves"] == 0
    assert res.price_ranging["kinks"] >= 1
    assert res.price_ranging["not_ranged"] >= 1
    doc = res.to_json_dict()
    entry = next(c for c in doc["constraints"] if c["family"] == "money")
    assert entry["ranged"] is False and entry["holds_from"] is None
    assert doc["price_ranging"] == res.price_ranging
    from budgetopt.results.summary import summary_lines

    said = [line for line in summary_lines(res) if "not ranged" in line]
    assert said and "1 of 1 binding rules not ranged" in said[0]
    assert not [line for line in summary_lines(optimise(kink())) if "not ranged" in line]

    full = optimise(kink(), overrides=["solver.price_ranging=full"])
    money = row(full, "money_source_limit", source_id="pool", year=Y)
    assert money["ranged"]
    assert (money["shadow_price"], money["shadow_price_down"]) == pytest.approx((2.0, 3.0))
    assert full.price_ranging["re_solves"] >= 1 and full.price_ranging["not_ranged"] == 0
    assert full.to_json_dict()["constraints"][0]["ranged"] in (True, False)


def test_choose_re_solves_kinks_only_on_an_lp_within_its_size_rule(monkeypatch):
    """``choose`` is ``full`` up to FULL_UP_TO columns and ``basis`` above: the same kink,
    with the size rule moved below this LP's size, is not ranged."""
    from budgetopt.solve import ranging

    assert ranging.probe_cap(100, "choose", 0.1, 60.0) == (ranging.MAX_PROBES, 2.0)
    assert ranging.probe_cap(ranging.FULL_UP_TO + 1, "choose", 5.0, 60.0) == (0, 0.0)
    assert ranging.probe_cap(10**6, "full", 5.0, 60.0) == (math.inf, 60.0)
    assert ranging.probe_cap(10, "basis", 5.0, 60.0) == (0, 0.0)
    with pytest.raises(ValueError, match="price_ranging"):
        ranging.probe_cap(10, "sometimes", 1.0, 60.0)
    ranged = row(optimise(kink()), "money_source_limit", source_id="pool", year=Y)
    assert ranged["ranged"] and ranged["shadow_price_down"] == pytest.approx(3.0)
    monkeypatch.setattr(ranging, "FULL_UP_TO", 1)
    res = optimise(kink())
    money = row(res, "money_source_limit", source_id="pool", year=Y)
    assert not money["ranged"]
    assert res.price_ranging == {"setting": "choose", "binding_rows": 1, "kinks": 1,
                                 "re_solves": 0, "not_ranged": 1}


def test_price_ranging_off_ranges_no_binding_row():
    res = optimise(kink(2.0), overrides=["solver.price_ranging=off"])
    binding = res.constraints[res.constraints["binding"]]
    assert len(binding) and not binding["ranged"].any()
    assert binding["holds_to"].isna().all()
    assert res.price_ranging["not_ranged"] == len(binding)
    assert res.price_ranging["re_solves"] == 0
    slack = res.constraints[~res.constraints["binding"]]
    assert slack["ranged"].all()  # a slack row's price 0 holds until the limit meets it


def test_loosening_a_basic_row_at_its_limit_is_worth_nothing_however_far():
    """A's cap of £4m and the £4m of money both bind (a degenerate vertex): one of the two
    rows is basic, and loosening it needs no re-solve: its price 0 holds for any rise. A
    re-solve with that limit £10m higher gains nothing."""
    inputs = make_inputs(services=[{"service_id": "A", "max_m": 4.0}, {"service_id": "B"}],
                         curves=[("A", "m", 1, 6, 3), ("B", "m", 1, 4, 2)],
                         funding=[("pool", Y, 4.0)])
    session = build(inputs)
    res = session.results()
    reported = [r for r, info in enumerate(session.compiled.rows) if info.report]
    free = [(r, c) for r, c in zip(reported, res.constraints.itertuples(index=False))
            if c.binding and c.ranged and c.sense == "<=" and abs(c.shadow_price) < 1e-9
            and math.isinf(c.holds_to)]
    assert free, "no binding row whose price 0 holds for any rise"
    for r, c in free:
        info = session.compiled.rows[r]
        got = _objective_at(session, r, c.limit / info.scale + 10.0)
        assert got == pytest.approx(res.objective, rel=1e-9)
