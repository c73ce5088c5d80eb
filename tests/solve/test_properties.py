"""Properties that must hold on every instance (MODEL.md, "Checks that must always hold").

Random instances from Hypothesis: money is never over-spent; with one budget and separable
concave curves the optimum equals greedy marginal analysis (an independent check of the
model); more budget never lowers the optimum, a tighter rule never raises it; the optimum is
never below the baseline allocation's outcome when the baseline is feasible.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from budgetopt import Policy, apply_overrides, optimise
from tests.builders import make_inputs

Y1, Y2 = "2026/27", "2027/28"
SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@st.composite
def concave_services(draw, max_services: int = 6):
    """Services with 1-4 bands each, per_m non-increasing (concave curves)."""
    n = draw(st.integers(1, max_services))
    services, curves = [], []
    for i in range(n):
        sid = f"S{i}"
        bands = draw(st.integers(1, 4))
        per = sorted(draw(st.lists(st.floats(0, 20, allow_nan=False), min_size=bands,
                                   max_size=bands)), reverse=True)
        widths = draw(st.lists(st.floats(0.1, 5), min_size=bands, max_size=bands))
        services.append({"service_id": sid})
        curves += [(sid, "m", b + 1, w, p) for b, (w, p) in enumerate(zip(widths, per))]
    return services, curves


def greedy(curves: list[tuple], budget: float) -> float:
    """Marginal analysis: fund the best outcome per £ first until the money runs out."""
    total, left = 0.0, budget
    for _sid, _m, _band, width, per in sorted(curves, key=lambda c: -c[4]):
        take = min(width, left)
        total += take * per
        left -= take
        if left <= 0:
            break
    return total


@SETTINGS
@given(concave_services(), st.floats(0, 40))
def test_optimum_equals_greedy_marginal_analysis(case, budget):
    services, curves = case
    res = optimise(make_inputs(services, curves, [("pool", Y1, budget)]))
    assert res.status == "optimal"
    assert res.objective == pytest.approx(greedy(curves, budget), rel=1e-7, abs=1e-6)


@st.composite
def funded_instances(draw):
    """Several sources over two years, some ring-fenced, with minimums that fit the money."""
    services, curves = draw(concave_services())
    ids = [s["service_id"] for s in services]
    sources = ["pool", "dfg", "ibcf"][: draw(st.integers(1, 3))]
    funding = [(s, y, draw(st.floats(0, 15))) for s in sources for y in (Y1, Y2)]
    eligibility = []
    for s in sources[1:]:
        allowed = draw(st.lists(st.sampled_from(ids), min_size=1, unique=True))
        eligibility += [(s, sid) for sid in allowed]
    smallest_year = min(sum(a for s, y, a in funding if y == yr) for yr in (Y1, Y2))
    for svc in services:
        if draw(st.booleans()):
            svc["min_m"] = draw(st.floats(0, smallest_year / (2 * len(services))))
        if draw(st.booleans()):
            svc["max_m"] = svc.get("min_m", 0.0) + draw(st.floats(0, 10))
        svc["baseline_m"] = draw(st.floats(0, 5))
    return make_inputs(services, curves, funding, eligibility=eligibility)


@SETTINGS
@given(funded_instances())
def test_money_is_never_over_spent(inputs):
    res = optimise(inputs)
    if res.status != "optimal":
        assert res.status == "infeasible" and res.infeasibility is not None
        return
    flows = res.funding_flows.groupby(["source_id", "year"])["amount_m"].sum()
    amounts = inputs.funding.set_index(["source_id", "year"])["amount_m"]
    for key, spent in flows.items():
        assert spent <= amounts[key] + 1e-7, f"{key} over-spent: {spent} > {amounts[key]}"
    spent_by_year = res.allocation.groupby("year")["spend_m"].sum()
    funded_by_year = inputs.funding.groupby("year")["amount_m"].sum()
    for year, spent in spent_by_year.items():
        assert spent <= funded_by_year[year] + 1e-7
    # every service's spend is fully paid for by sources allowed to pay for it
    paid = res.funding_flows.groupby(["service_id", "year"])["amount_m"].sum()
    alloc = res.allocation.groupby(["service_id", "year"])["spend_m"].sum()
    for key, value in alloc.items():
        assert paid.get(key, 0.0) == pytest.approx(value, abs=1e-7)
    fenced = inputs.eligibility.groupby("source_id")["service_id"].apply(set).to_dict()
    for src, sid in zip(res.funding_flows["source_id"], res.funding_flows["service_id"]):
        assert src not in fenced or sid in fenced[src]


@SETTINGS
@given(funded_instances(), st.floats(1.0, 3.0))
def test_more_budget_never_lowers_the_optimum(inputs, factor):
    low = optimise(inputs)
    high = optimise(inputs, apply_overrides(Policy(), [f"rules.money.scale={factor}"]))
    if low.status == "optimal":
        assert high.status == "optimal"
        assert high.objective >= low.objective - 1e-6 * max(1.0, abs(low.objective))


@SETTINGS
@given(funded_instances(), st.floats(0.0, 1.0))
def test_tightening_workforce_never_raises_the_optimum(inputs, scale):
    staffed = make_inputs(
        services=inputs.services.to_dict("records"),
        curves=[tuple(r) for r in inputs.curves[["service_id", "metric_id", "band", "width_m",
                                                 "per_m"]].itertuples(index=False)],
        funding=[tuple(r) for r in inputs.funding[["source_id", "year", "amount_m"]]
                 .itertuples(index=False)],
        workforce=[("staff", Y1, 40.0), ("staff", Y2, 40.0)],
        workforce_need=[("staff", sid, 5.0) for sid in inputs.service_ids],
    )
    loose = optimise(staffed)
    tight = optimise(staffed, apply_overrides(Policy(), [f"rules.workforce.scale={scale}"]))
    if tight.status == "optimal":
        assert loose.status == "optimal"
        assert tight.objective <= loose.objective + 1e-6 * max(1.0, abs(loose.objective))


@SETTINGS
@given(concave_services(), st.data())
def test_optimum_never_below_a_feasible_baseline(case, data):
    services, curves = case
    for svc in services:
        svc["baseline_m"] = data.draw(st.floats(0, 5))
    budget = sum(s["baseline_m"] for s in services) + data.draw(st.floats(0, 5))
    res = optimise(make_inputs(services, curves, [("pool", Y1, budget)]))
    assert res.status == "optimal"
    assert res.objective >= res.baseline_objective - 1e-6 * max(1.0, res.baseline_objective)


def test_row_order_of_the_input_does_not_change_the_answer():
    services = [{"service_id": s} for s in "ABC"]
    curves = [("A", "m", 1, 2, 9), ("A", "m", 2, 2, 3), ("B", "m", 1, 3, 7), ("C", "m", 1, 1, 5)]
    forward = optimise(make_inputs(services, curves, [("pool", Y1, 4.0)]))
    backward = optimise(make_inputs(services[::-1], curves[::-1], [("pool", Y1, 4.0)]))
    assert forward.objective == pytest.approx(backward.objective)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.sampled_from([-2.5, -1.0, 0.0, 1.0, 0.5, 3.0])),
                min_size=1, max_size=12))
def test_a_row_with_repeated_variables_has_each_once_with_its_coefficients_added(terms):
    """linear() merges a repeated variable (a place's spend less a share of the total it is
    part of): each variable once, its coefficient the sum, zeros dropped — and the compiler
    reads it by the fast route to the same coefficients."""
    import pyomo.environ as pyo

    from budgetopt.families.rows import linear
    from budgetopt.solve.highs import _row_terms

    m = pyo.ConcreteModel()
    m.x = pyo.Var(range(5))
    expected: dict[int, float] = {}
    for j, c in terms:
        expected[j] = expected.get(j, 0.0) + c
    expected = {j: c for j, c in expected.items() if c}
    expr = linear((c, m.x[j]) for j, c in terms)
    col_of = {id(m.x[j]): j for j in range(5)}
    read = _row_terms(expr, col_of, set())
    assert read is not None
    cols, coefs = read
    assert len(cols) == len(set(cols))
    assert dict(zip(cols, coefs)) == pytest.approx(expected)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pools=st.tuples(st.floats(0.5, 20), st.floats(0.5, 20)),
       effect=st.floats(0.5, 3.0), pb_share=st.floats(0.0, 0.6), vcse=st.floats(0.0, 0.4),
       per=st.lists(st.floats(0.1, 10), min_size=3, max_size=3))
def test_per_hwb_shares_and_money_hold_in_each_hwb(pools, effect, pb_share, vcse, per):
    """Two HWBs with their own pools (no ICS-wide money): whatever the figures, each HWB's
    places spend at most its own pool, and its personal budgets and its VCSE share hold in its
    own places, as the rows (scope: hwb) say; the optimum is never above the same rules held
    once across the ICS (a looser rule)."""
    inputs = make_inputs(
        services=[{"service_id": "PB", "sector": "social_care",
                   "scheme_type": "Personalised Budgeting and Commissioning"},
                  {"service_id": "SC", "sector": "social_care"},
                  {"service_id": "V", "sector": "vcse"}],
        curves=[("PB", "m", 1, 40, per[0]), ("SC", "m", 1, 40, per[1]),
                ("V", "m", 1, 40, per[2])],
        funding=[("pool1", Y1, pools[0], "H1"), ("pool2", Y1, pools[1], "H2")],
        places=[{"place_id": "P1", "weighted_population": 1.0, "hwb_id": "H1"},
                {"place_id": "P2", "weighted_population": 1.0, "hwb_id": "H2",
                 "effect": effect}])
    rules = {"personal_budgets": {"min_share": pb_share},
             "sector_shares": {"limits": [{"sectors": ["vcse"], "min": vcse}]}}
    res = optimise(inputs, Policy.model_validate({"rules": rules}))
    assert res.optimal
    a = res.allocation.groupby(["place_id", "service_id"])["spend_m"].sum()
    for place, pool in (("P1", pools[0]), ("P2", pools[1])):
        spend = {s: float(a.get((place, s), 0.0)) for s in ("PB", "SC", "V")}
        assert sum(spend.values()) <= pool + 1e-6
        assert spend["PB"] >= pb_share * (spend["PB"] + spend["SC"]) - 1e-6
        assert spend["V"] >= vcse * sum(spend.values()) - 1e-6
    ics = {"personal_budgets": {**rules["personal_budgets"], "scope": "ics"},
           "sector_shares": {"limits": [{"sectors": ["vcse"], "min": vcse, "scope": "ics"}]}}
    looser = optimise(inputs, Policy.model_validate({"rules": ics}))
    assert res.objective <= looser.objective + 1e-6 * max(1.0, abs(looser.objective))
