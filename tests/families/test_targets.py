"""Outcome targets (budgetopt.families.targets): cases solved by hand."""

from __future__ import annotations

import pytest

from budgetopt import Policy, optimise
from tests.families.cases import Y, case, policy, problems, row, two_services


@case
def least_cost_of_25():
    return two_services(5.0), Policy.model_validate({"objective": "min_cost", "rules": {
        "targets": {"items": [{"metric": "m", "min": 25}]}}})


@case
def outcome_ceiling():
    return two_services(5.0), policy(targets={"items": [{"metric": "m", "max": 30}]})


def test_min_cost_buys_the_target_with_the_cheapest_outcomes():
    """Target 25: A1 gives 20 for £2m, then B1 5 more for £0.625m → £2.625m.
    Each extra unit of target costs 1/8 £m."""
    res = optimise(*least_cost_of_25())
    assert res.status == "optimal"
    assert res.objective == pytest.approx(2.625)
    target = row(res, "targets_min", metric_id="m", year=Y)
    assert target["family"] == "targets"
    assert target["shadow_price"] == pytest.approx(0.125)
    assert "add £0.125m to the cost" in target["meaning"]


def test_a_ceiling_on_an_outcome_holds_the_optimum_to_it():
    """£5m could buy 40 of m; at most 30 holds the optimum to 30, and each unit more of the
    ceiling is one more unit of outcome (the money is there to buy it)."""
    res = optimise(*outcome_ceiling())
    assert res.objective == pytest.approx(30.0)
    ceiling = row(res, "targets_max", metric_id="m", year=Y)
    assert ceiling["binding"] and ceiling["shadow_price"] == pytest.approx(1.0)


def test_every_target_problem_is_named_at_once_by_its_item():
    """An unknown metric and a year outside the plan, then (once those are right) a metric
    no service has a curve for."""
    found = problems(lambda: (two_services(5.0), policy(targets={"items": [
        {"metric": "zz", "min": 1}, {"metric": "m", "year": "2030/31", "min": 1}]})))
    assert found == ["rules.targets.items[0].metric: unknown metric 'zz'",
                     ("rules.targets.items[1].year: '2030/31' is not a planning year (the "
                      "planning years: 2026/27)")]
    from tests.builders import make_inputs

    inputs = make_inputs(services=[{"service_id": "A"}], curves=[("A", "m", 1, 2, 10)],
                         funding=[("pool", "2026/27", 5.0)],
                         metrics=[{"metric_id": "m", "name": "m"}, {"metric_id": "k", "name": "k"}])
    assert problems(lambda: (inputs, policy(targets={"items": [{"metric": "k", "min": 1}]}))) == [
        "rules.targets.items[0]: target on k in 2026/27: no service has a curve for this metric"]
