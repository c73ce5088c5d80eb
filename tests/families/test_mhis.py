"""Mental Health Investment Standard (budgetopt.families.mhis): cases solved by hand."""

from __future__ import annotations

import pytest

from budgetopt import optimise
from tests.builders import make_inputs
from tests.families.cases import Y1, case, policy, problems, spend


def mh_inputs(max_m: float = float("inf")):
    return make_inputs(
        services=[{"service_id": "M", "baseline_m": 4, "mhis": True, "max_m": max_m},
                  {"service_id": "O", "baseline_m": 6}],
        curves=[("M", "m", 1, 30, 1), ("O", "m", 1, 30, 5)], funding=[("pool", Y1, 10)])


@case
def five_per_cent_growth():
    return mh_inputs(), policy(mhis={"allocation_growth": 0.05})


@case
def dementia_excluded():
    inputs = make_inputs(
        services=[{"service_id": "M", "baseline_m": 4, "mhis": True},
                  {"service_id": "D", "baseline_m": 4, "mhis": True},
                  {"service_id": "O", "baseline_m": 2}],
        curves=[("M", "m", 1, 30, 1), ("D", "m", 1, 30, 2), ("O", "m", 1, 30, 5)],
        funding=[("pool", Y1, 10)])
    return inputs, policy(mhis={"allocation_growth": 0.0, "exclude": ["D"]})


def test_mhis_makes_mental_health_grow_with_the_allocation():
    """M (mental health, in scope, baseline £4m) buys 1; O buys 5; £10m. Without MHIS O takes
    all: 50. With 5% growth M needs £4.2m: 4.2 + 5 × 5.8 = 33.2."""
    assert optimise(mh_inputs()).objective == pytest.approx(50)
    res = optimise(*five_per_cent_growth())
    assert res.objective == pytest.approx(33.2)
    (row,) = res.constraints[res.constraints["family"] == "mhis"].itertuples()
    assert row.binding and row.shadow_price == pytest.approx(-4.0)  # each £1m costs 5 − 1


def test_mhis_excluded_services_do_not_count():
    """Dementia D is marked mhis but excluded: the standard must be met by M alone."""
    res = optimise(*dementia_excluded())
    assert spend(res, "M") == pytest.approx(4) and spend(res, "D") == pytest.approx(0)


def test_presolve_warns_of_an_mhis_the_money_cannot_reach():
    """MHIS at 50% growth on a £4m mental health baseline needs £6m; the line's maximum is £5m:
    the warning says so before the solver runs, and the solve is infeasible."""
    res = optimise(mh_inputs(max_m=5), policy(mhis={"allocation_growth": 0.5}))
    assert res.status == "infeasible"
    assert any("needs £6.0m of mental health spend in 2026/27" in w
               and "maximums allow only £5.0m" in w for w in res.warnings)


def test_mhis_names_each_unknown_service_and_an_empty_scope():
    found = problems(lambda: (mh_inputs(), policy(mhis={"include": ["M", "XX"],
                                                        "exclude": ["YY"]})))
    assert [m.split(":")[0] for m in found] == ["rules.mhis.include[1]", "rules.mhis.exclude[0]"]
    empty = problems(lambda: (mh_inputs(), policy(mhis={"exclude": ["M"]})))
    assert empty == [("rules.mhis: no service is in scope (mark services mhis = yes or list "
                     "them in rules.mhis.include)")]
