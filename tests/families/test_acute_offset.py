"""The acute offset and double running (budgetopt.families.acute_offset), with the
transformation fund that pays the double running: cases solved by hand."""

from __future__ import annotations

import pytest

from budgetopt import optimise
from tests.families.cases import Y1, Y2, case, policy, problems, spend
from tests.families.models import offset_inputs

DEMAND_GROWS = {"baseline_cost_m": {Y1: 100, Y2: 106}, "budget_m": 100, "lag_years": 1,
                "realisation": 0.5, "savings_gbp": {"adm": 1e6}}



@case
def savings_after_the_lag():
    return offset_inputs(), policy(acute_offset={
        "baseline_cost_m": 100, "budget_m": 100, "lag_years": 1, "realisation": 0.5,
        "savings_gbp": {"adm": 1e6}})


@case
def double_running_from_the_fund():
    return offset_inputs(tf=3.0), policy(
        acute_offset=DEMAND_GROWS, transformation_fund={"source": "TF", "double_running": True})


def test_acute_offset_releases_savings_after_the_lag():
    """Year 1: the hospital needs its full £100m. £10m on C avoids 10 admissions; half the
    £1m a time saved is cash, a year later: £5m released to the pool in year 2, which then
    spends £15m. Outcome 10 + 15 = 25 (no discounting)."""
    res = optimise(*savings_after_the_lag())
    assert res.objective == pytest.approx(25)
    assert spend(res, "C", Y2) == pytest.approx(15)
    released = res.funding_flows[res.funding_flows["source_id"] == "ACUTE_RELEASE"]
    assert released["amount_m"].sum() == pytest.approx(5)


def test_double_running_needs_the_transformation_fund():
    """Demand grows to £106m in year 2 against a £100m budget. Without a fund: year 1's £10m
    on C saves £5m, the hospital needs £101m, £1m over its budget, and nothing may pay it:
    infeasible, and the advice points at the acute rows. With a £3m fund a year for the new
    scheme N (0.5 admissions a £1m): year 1 avoids 10 + 1.5 admissions, saving £5.75m, so the
    hospital needs £100.25m; £0.25m of year 2's fund pays the double running and £2.75m
    goes to N."""
    bad = optimise(offset_inputs(), policy(acute_offset=DEMAND_GROWS))
    assert bad.status == "infeasible"
    assert {r.family for r in bad.infeasibility.relaxations} <= {"acute_offset", "money"}
    good = optimise(*double_running_from_the_fund())
    assert good.status == "optimal"
    assert spend(good, "N", Y2) == pytest.approx(2.75)
    assert spend(good, "C", Y1) == pytest.approx(10.0)  # TF may not pay the old scheme


def test_the_acute_offset_names_unknown_metrics_and_years_without_a_cost():
    found = problems(lambda: (offset_inputs(), policy(acute_offset={
        "baseline_cost_m": {Y1: 100}, "savings_gbp": {"adm": 1e6, "bed": 200.0},
        "reinvest_in": ["community", "hospice"]})))
    assert [m.split(":")[0] for m in found] == ["rules.acute_offset.savings_gbp.bed",
                                               "rules.acute_offset.baseline_cost_m",
                                               "rules.acute_offset.reinvest_in[1]"]
    assert found[1] == "rules.acute_offset.baseline_cost_m: has no value for 2027/28"
