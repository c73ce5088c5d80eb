"""The plan chosen among equally good ones (MODEL.md): the lexicographic stage after the
optimum moves least from the baseline, then keeps each service's funding sources from year to
year; it never changes the objective, and ``tie_break: off`` returns the solver's own plan."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import HealthCheck, given, settings

from budgetopt import Policy, optimise
from budgetopt.policy import policy_from_dict
from tests.builders import make_inputs
from tests.families.cases import spend
from tests.helpers import instances

Y1, Y2 = "2026/27", "2027/28"
OFF = Policy.model_validate({"tie_break": "off"})


def twins(base_a: float, base_b: float):
    """A and B buy the same, 2 per £1m over £10m each; £4m to share. Every split of the £4m
    is optimal (8); the one nearest the baseline is the baseline's split itself."""
    return make_inputs(
        services=[{"service_id": "A", "baseline_m": base_a},
                  {"service_id": "B", "baseline_m": base_b}],
        curves=[("A", "m", 1, 10, 2), ("B", "m", 1, 10, 2)], funding=[("pool", Y1, 4.0)])


@pytest.mark.parametrize(("base_a", "base_b"), [(3.0, 1.0), (1.0, 3.0), (0.5, 0.5)])
def test_a_tie_breaks_towards_the_baseline(base_a, base_b):
    """(0.5, 0.5): £3m must move anyway; any split with both at least their baseline is
    equally near (|ΔA| + |ΔB| = 3), so only the total is asserted."""
    res = optimise(twins(base_a, base_b))
    assert res.objective == pytest.approx(8.0)
    a, b = spend(res, "A"), spend(res, "B")
    assert a + b == pytest.approx(4.0)
    if base_a + base_b == pytest.approx(4.0):
        assert (a, b) == pytest.approx((base_a, base_b))
    assert abs(a - base_a) + abs(b - base_b) == pytest.approx(abs(4.0 - base_a - base_b))


def test_sources_do_not_swap_between_years():
    """S and T can each be paid by X or Y (£5m each a year); S takes £6m and T £4m in both
    years (their caps). Whatever split the first year has, the second keeps it: no change
    of source from year to year."""
    inputs = make_inputs(
        services=[{"service_id": "S", "max_m": 6.0}, {"service_id": "T", "max_m": 4.0}],
        curves=[("S", "m", 1, 10, 3), ("T", "m", 1, 10, 2)],
        funding=[("X", Y1, 5.0), ("Y", Y1, 5.0), ("X", Y2, 5.0), ("Y", Y2, 5.0)])
    res = optimise(inputs)
    flows = res.funding_flows.pivot_table(index=["source_id", "service_id"], columns="year",
                                          values="amount_m", fill_value=0.0)
    assert flows[Y1].to_numpy() == pytest.approx(flows[Y2].to_numpy(), abs=1e-9)


def test_the_same_data_always_gives_the_same_plan():
    inputs = twins(0.5, 0.5)
    first, again = optimise(inputs), optimise(inputs)
    assert first.allocation["spend_m"].tolist() == again.allocation["spend_m"].tolist()
    assert first.funding_flows.equals(again.funding_flows)


def test_tie_break_off_is_accepted_in_every_spelling_and_keeps_the_optimum():
    for text in ("tie_break: off", "tie_break: 'off'", "tie_break: false"):
        assert policy_from_dict(yaml.safe_load(text)).tie_break is False
    assert policy_from_dict(yaml.safe_load("tie_break: on")).tie_break is True
    assert Policy().tie_break is True
    inputs = twins(3.0, 1.0)
    assert optimise(inputs, OFF).objective == pytest.approx(optimise(inputs).objective)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_tie_break_never_changes_the_objective_and_never_moves_further(inputs):
    on, off = optimise(inputs), optimise(inputs, OFF)
    assert on.status == off.status
    if not on.optimal:
        return
    assert on.objective == pytest.approx(off.objective, rel=1e-9, abs=1e-9)
    moved = on.allocation["change_m"].abs().sum()
    assert moved <= off.allocation["change_m"].abs().sum() + 1e-6
