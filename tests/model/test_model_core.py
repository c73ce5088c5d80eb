"""The core model on cases small enough to solve by hand: bands, places, years, shadow prices,
infeasibility advice and re-solves (each family's own cases are in tests/families/).

Each test's docstring gives the hand calculation; the assertions check the optimum, the
allocation and the shadow prices against it.
"""

from __future__ import annotations

import math

import pytest

from budgetopt import Policy, apply_overrides, optimise
from budgetopt.api import build
from budgetopt.errors import PolicyError
from budgetopt.policy import Relax, policy_from_dict
from tests.builders import make_inputs
from tests.families.cases import row, spend, two_services

Y = "2026/27"


def test_budget_goes_to_best_bands_first_and_prices_the_marginal_band():
    """Greedy: A1 2×10=20, B1 1×8=8, then B2 gets the last £2m at 6 → 40.
    One more £1m buys one more £1m of B2: shadow price 6."""
    res = optimise(two_services(5.0))
    assert res.status == "optimal"
    assert res.objective == pytest.approx(40.0)
    assert spend(res, "A") == pytest.approx(2.0)
    assert spend(res, "B") == pytest.approx(3.0)
    money = row(res, "money_source_limit", source_id="pool", year=Y)
    assert money["binding"] and money["family"] == "money"
    assert money["shadow_price"] == pytest.approx(6.0)
    assert "£1m more from pool in 2026/27 would buy 6.00 more weighted outcomes" in money["meaning"]


def test_shadow_price_equals_finite_difference_of_the_optimum():
    base, more = optimise(two_services(5.0)), optimise(two_services(5.1))
    price = row(base, "money_source_limit", source_id="pool", year=Y)["shadow_price"]
    assert (more.objective - base.objective) / 0.1 == pytest.approx(price)


def test_reduced_cost_says_how_much_better_an_unfunded_band_must_be():
    """At £3.5m: A1 2, B1 1, B2 0.5; the marginal £ buys 6 (B2). A2 buys 4 → needs 2 more (50%).
    B still has room in the band being filled, so it needs nothing and is not listed."""
    res = optimise(two_services(3.5))
    rc = res.reduced_costs.set_index("service_id")
    assert rc.at["A", "needs_per_m"] == pytest.approx(2.0)
    assert rc.at["A", "relative"] == pytest.approx(0.5)
    assert "would need to buy 2.00 more weighted outcomes per £1m (50% more effective)" in \
        rc.at["A", "meaning"]
    assert "B" not in rc.index


def test_places_share_band_width_by_need_and_multiply_effect():
    """Width 4 @ 10 split 1:3 between p1 (effect 1) and p2 (effect 2); £2m goes to p2 → 40."""
    inputs = make_inputs(
        services=[{"service_id": "A"}], curves=[("A", "m", 1, 4, 10)],
        funding=[("pool", Y, 2.0)],
        places=[{"place_id": "p1", "weighted_population": 1.0, "effect": 1.0},
                {"place_id": "p2", "weighted_population": 3.0, "effect": 2.0}],
    )
    res = optimise(inputs)
    assert res.objective == pytest.approx(40.0)
    alloc = res.allocation.set_index("place_id")
    assert alloc.at["p2", "spend_m"] == pytest.approx(2.0)
    full = optimise(inputs, apply_overrides(Policy(), ["rules.money.scale=5"]))
    assert full.objective == pytest.approx(1 * 10 * 1 + 3 * 10 * 2)


def test_discount_rate_weighs_later_years_less():
    """Same £1m @ 10 in two years, r = 10%: 10 + 10 / 1.1."""
    inputs = make_inputs(services=[{"service_id": "A"}], curves=[("A", "m", 1, 1, 10)],
                         funding=[("pool", "2026/27", 1.0), ("pool", "2027/28", 1.0)])
    res = optimise(inputs, Policy.model_validate({"horizon": {"discount_rate": 0.1}}))
    assert res.objective == pytest.approx(10 + 10 / 1.1)
    assert list(res.outcomes["value"]) == pytest.approx([10.0, 10.0])


def test_year_specific_bands_replace_the_all_years_curve():
    inputs = make_inputs(
        services=[{"service_id": "A"}],
        curves=[("A", "m", 1, 1, 10), ("A", "m", 1, 1, 3, 3, 3, "2027/28")],
        funding=[("pool", "2026/27", 1.0), ("pool", "2027/28", 1.0)],
    )
    res = optimise(inputs)
    assert res.outcomes.set_index("year")["value"].to_dict() == pytest.approx(
        {"2026/27": 10.0, "2027/28": 3.0})


def test_metric_curves_with_different_bands_are_merged_exactly():
    """Metric a: 2 @ 5 then 2 @ 1; metric b: 1 @ 4 then 3 @ 2 (weights 1). £3m:
    segments [0,1]: 9, [1,2]: 7, [2,4]: 3 → 9 + 7 + 3 = 19."""
    inputs = make_inputs(
        services=[{"service_id": "A"}],
        curves=[("A", "a", 1, 2, 5), ("A", "a", 2, 2, 1), ("A", "b", 1, 1, 4), ("A", "b", 2, 3, 2)],
        funding=[("pool", Y, 3.0)],
    )
    res = optimise(inputs)
    assert res.objective == pytest.approx(19.0)
    assert res.outcomes.set_index("metric_id")["value"].to_dict() == pytest.approx(
        {"a": 11.0, "b": 8.0})


def test_infeasible_minimums_report_the_smallest_relaxation_found_by_the_solver():
    """Minimums 4 + 3 = 7 against £5m: every relaxation found adds up to £2m."""
    inputs = make_inputs(
        services=[{"service_id": "A", "min_m": 4.0}, {"service_id": "B", "min_m": 3.0}],
        curves=[("A", "m", 1, 10, 1), ("B", "m", 1, 10, 1)],
        funding=[("pool", Y, 5.0)],
    )
    res = optimise(inputs)
    assert res.status == "infeasible"
    assert res.objective is None
    assert any("Minimum spend adds up to £7.0m against £5.0m of funding in 2026/27" in w
               for w in res.warnings)
    relax = res.infeasibility.relaxations
    assert sum(r.relax_by for r in relax) == pytest.approx(2.0)
    assert {r.family for r in relax} <= {"money", "bounds"}
    assert "relax" in res.infeasibility.message and "£2.0m" in res.infeasibility.message


def test_infeasible_target_is_relaxed_in_its_own_units():
    """The best £5m buys 40 (see the first test); a target of 50 is 10 short. Relaxing the
    target by 10 outcome units is 20% of what it asks (penalty 10/50 = 0.2); finding the money
    instead needs £(10/6)m, a third of the £5m fund, and money is a fact weighted 10 (penalty
    10 × (10/6)/5 = 3.3). So the advice is: relax the target by 10 units."""
    policy = Policy.model_validate({"rules": {"targets": {"items": [{"metric": "m", "min": 50}]}}})
    res = optimise(two_services(5.0), policy)
    assert res.status == "infeasible"
    (relax,) = res.infeasibility.relaxations
    assert relax.family == "targets"
    assert relax.relax_by == pytest.approx(10.0)


def test_applying_the_advice_makes_the_model_feasible_with_the_stated_changes():
    """The target of 50 relaxed by 10 (the advice above) is a target of 40: exactly what the
    best £5m buys, so the relaxed model is optimal with objective 40."""
    policy = Policy.model_validate({"rules": {"targets": {"items": [{"metric": "m", "min": 50}]}}})
    advice = optimise(two_services(5.0), policy).infeasibility.relaxations
    relaxed = policy.model_copy(update={"relax": [Relax(rule=r.name, by=r.relax_by)
                                                  for r in advice]})
    res = optimise(two_services(5.0), relaxed)
    assert res.status == "optimal"
    assert res.objective == pytest.approx(40.0)
    (target,) = res.constraints[res.constraints["family"] == "targets"].itertuples()
    assert target.limit == pytest.approx(40.0)


def test_relaxing_a_maximum_raises_it_and_a_minimum_lowers_it():
    """£5m; A (3 a £1m) at most £1m, B (1 a £1m) at least £4.5m: A gets the £0.5m left,
    3 × 0.5 + 4.5 = 6. Relaxing each by 0.5 gives A ≤ 1.5 and B ≥ 4.0: now A gets £1m
    (money binds before A's cap), 3 + 4 = 7."""
    inputs = make_inputs(
        services=[{"service_id": "A", "max_m": 1.0}, {"service_id": "B", "min_m": 4.5}],
        curves=[("A", "m", 1, 10, 3), ("B", "m", 1, 10, 1)],
        funding=[("pool", Y, 5.0)],
    )
    base = optimise(inputs)
    assert base.objective == pytest.approx(6.0)
    names = dict(zip(base.constraints["component"], base.constraints["name"]))
    policy = Policy(relax=[Relax(rule=names["bounds_max"], by=0.5),
                           Relax(rule=names["bounds_min"], by=0.5)])
    res = optimise(inputs, policy)
    limits = dict(zip(res.constraints["component"], res.constraints["limit"]))
    assert limits["bounds_max"] == pytest.approx(1.5) and limits["bounds_min"] == pytest.approx(4.0)
    assert res.objective == pytest.approx(7.0)


def test_relaxing_an_unknown_rule_names_it_and_suggests_the_nearest():
    base = optimise(two_services(5.0))
    name = base.constraints["name"].iloc[0]
    with pytest.raises(PolicyError, match="did you mean"):
        optimise(two_services(5.0), Policy(relax=[Relax(rule=name + "x", by=1.0)]))


def test_json_result_follows_the_contract():
    res = optimise(two_services(5.0))
    doc = res.to_json_dict()
    assert doc["status"] == "optimal" and doc["objective"] == pytest.approx(40.0)
    assert set(doc["allocation"][0]) >= {"service_id", "place_id", "year", "spend_m"}
    assert doc["allocation"][0]["place_id"] is None
    assert set(doc["outcomes"][0]) >= {"metric_id", "year", "value"}
    assert set(doc["constraints"][0]) >= {"name", "family", "binding", "shadow_price", "meaning",
                                          "component", "keys"}
    money = next(c for c in doc["constraints"] if c["component"] == "money_source_limit")
    assert money["keys"] == {"source_id": "pool", "year": Y}  # only the keys that apply
    assert doc["infeasibility"] is None
    assert doc["provenance"]["solver"] == "HiGHS"


def test_unknown_policy_key_names_it_and_suggests_the_nearest():
    with pytest.raises(PolicyError, match=r"unknown key 'rules.workfroce': did you mean "
                                          r"'workforce'\?"):
        policy_from_dict({"rules": {"workfroce": {"enabled": False}}})


def test_limits_change_and_resolve_without_rebuilding():
    session = build(two_services(5.0))
    first = session.solve()
    session.model.money_source_limit_limit[("pool", Y)] = 3.0
    session.compiled.update_limits()
    second = session.solve()
    assert first.objective == pytest.approx(40.0)
    assert second.objective == pytest.approx(optimise(two_services(3.0)).objective)


def test_updating_one_kind_of_limit_leaves_the_others_as_highs_has_them():
    """B's maximum is cut to £0.5m in the model but only the money rows are re-read: HiGHS
    still solves with B at £100m (40 on £5m). Re-reading every row applies the cap: B 0.5 @ 8,
    A 2 @ 10 then 2 @ 4 → 4 + 20 + 8 = 32 (£0.5m unspent)."""
    session = build(two_services(5.0, max_m=100.0))
    session.model.bounds_max_limit[("B", Y)] = 0.5
    session.compiled.update_limits(["money_source_limit"])
    assert session.solve().objective == pytest.approx(40.0)
    session.compiled.update_limits()
    assert session.solve().objective == pytest.approx(32.0)


def test_spend_above_every_curve_is_allowed_but_buys_nothing():
    inputs = make_inputs(services=[{"service_id": "A", "min_m": 5.0}],
                         curves=[("A", "m", 1, 1, 10)], funding=[("pool", Y, 6.0)])
    res = optimise(inputs)
    assert 5.0 - 1e-9 <= spend(res, "A") <= 6.0 + 1e-9
    assert res.objective == pytest.approx(10.0)
    assert math.isfinite(res.baseline_objective)
