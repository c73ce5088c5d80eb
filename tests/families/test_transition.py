"""Managed transition (budgetopt.families.transition): cases small enough to solve by hand."""

from __future__ import annotations

import pytest

from budgetopt import optimise
from tests.builders import make_inputs
from tests.families.cases import Y1, case, policy, problems, spend


def falls_inputs():
    return make_inputs(
        services=[{"service_id": "A", "baseline_m": 10}, {"service_id": "B", "baseline_m": 10}],
        curves=[("A", "m", 1, 30, 5), ("B", "m", 1, 30, 1)], funding=[("pool", Y1, 20)])


@case
def falls_limited():
    return falls_inputs(), policy(transition={"max_rise": None, "max_fall": 0.1,
                                              "min_step_m": 0})


@case
def new_line_rises():
    inputs = make_inputs(
        services=[{"service_id": "N"}, {"service_id": "O", "baseline_m": 10}],
        curves=[("N", "m", 1, 30, 5), ("O", "m", 1, 30, 1)], funding=[("pool", Y1, 10)])
    return inputs, policy(transition={"max_rise": 0.25, "max_fall": None, "min_step_m": 2})


def test_transition_limits_how_fast_a_line_falls():
    """A buys 5 a £1m, B 1; £20m; both have a £10m baseline. Unlimited, A takes all £20m
    (100). Falls limited to 10% of baseline a year: B keeps at least £9m, A gets £11m:
    55 + 9 = 64."""
    assert optimise(falls_inputs()).objective == pytest.approx(100)
    res = optimise(*falls_limited())
    assert res.objective == pytest.approx(64)
    assert spend(res, "B") == pytest.approx(9)
    c = res.constraints
    (row,) = c[(c["component"] == "transition_fall") & (c["service_id"] == "B")
               & (c["year"] == Y1)].itertuples()
    assert row.binding and row.limit == pytest.approx(1.0 - 10.0)  # S[B] ≥ 9: −S[B] ≤ 1 − 10
    assert "falls by at most £1.0m" in row.name


def test_transition_rise_and_the_minimum_step_for_new_lines():
    """New line N (no baseline) buys 5; old line O (baseline £10m) buys 1; £10m. Rises limited
    to 25% of baseline: N's is 0, but the £2m minimum step lets it reach £2m: 10 + 8 = 18.
    O may fall by £2m (the step) only because the money has nowhere else to go."""
    res = optimise(*new_line_rises())
    assert spend(res, "N") == pytest.approx(2)
    assert res.objective == pytest.approx(18)


def test_transition_names_unknown_services_and_sectors_by_their_key():
    def bad():
        return falls_inputs(), policy(transition={"services": {"ZZ": {"max_fall": 0.1}},
                                                  "sectors": {"hospital": {"max_fall": 0.1}}})

    found = problems(bad)
    assert any(m.startswith("rules.transition.services.ZZ: 'ZZ' is not a service")
               for m in found)
    assert any(m.startswith("rules.transition.sectors.hospital: 'hospital' is not a sector")
               for m in found)
