"""The ICS rules (budgetopt.model.rules): each family on a case small enough to solve by hand.

Every case states its hand calculation in the docstring; the solver must agree.
"""

from __future__ import annotations

import pytest

from budgetopt import Policy, load_dataset, load_policy, optimise
from budgetopt.errors import PolicyError

from .builders import make_inputs

Y1, Y2 = "2026/27", "2027/28"


def policy(**rules) -> Policy:
    return Policy.model_validate({"rules": rules})


def spend(res, service, year=Y1):
    a = res.allocation
    return a.loc[(a["service_id"] == service) & (a["year"] == year), "spend_m"].sum()


def test_transition_limits_how_fast_a_line_falls():
    """A buys 5 a £1m, B 1; £20m; both have a £10m baseline. Unlimited, A takes all £20m
    (100). Falls limited to 10% of baseline a year: B keeps at least £9m, A gets £11m:
    55 + 9 = 64."""
    inputs = make_inputs(
        services=[{"service_id": "A", "baseline_m": 10}, {"service_id": "B", "baseline_m": 10}],
        curves=[("A", "m", 1, 30, 5), ("B", "m", 1, 30, 1)], funding=[("pool", Y1, 20)])
    assert optimise(inputs).objective == pytest.approx(100)
    res = optimise(inputs, policy(transition={"max_rise": None, "max_fall": 0.1,
                                              "min_step_m": 0}))
    assert res.objective == pytest.approx(64)
    assert spend(res, "B") == pytest.approx(9)
    row = res.constraints[res.constraints["component"] == "transition_fall"]
    assert row["binding"].any() and "falls by at most £1.0m" in row["name"].iloc[0]


def test_transition_rise_and_the_minimum_step_for_new_lines():
    """New line N (no baseline) buys 5; old line O (baseline £10m) buys 1; £10m. Rises limited
    to 25% of baseline: N's is 0, but the £2m minimum step lets it reach £2m: 10 + 8 = 18.
    O may fall by £2m (the step) only because the money has nowhere else to go."""
    inputs = make_inputs(
        services=[{"service_id": "N"}, {"service_id": "O", "baseline_m": 10}],
        curves=[("N", "m", 1, 30, 5), ("O", "m", 1, 30, 1)], funding=[("pool", Y1, 10)])
    res = optimise(inputs, policy(transition={"max_rise": 0.25, "max_fall": None,
                                              "min_step_m": 2}))
    assert spend(res, "N") == pytest.approx(2)
    assert res.objective == pytest.approx(18)


def test_mhis_makes_mental_health_grow_with_the_allocation():
    """M (mental health, in scope, baseline £4m) buys 1; O buys 5; £10m. Without MHIS O takes
    all: 50. With 5% growth M needs £4.2m: 4.2 + 5 × 5.8 = 33.2."""
    inputs = make_inputs(
        services=[{"service_id": "M", "baseline_m": 4, "mhis": True},
                  {"service_id": "O", "baseline_m": 6}],
        curves=[("M", "m", 1, 30, 1), ("O", "m", 1, 30, 5)], funding=[("pool", Y1, 10)])
    assert optimise(inputs).objective == pytest.approx(50)
    res = optimise(inputs, policy(mhis={"allocation_growth": 0.05}))
    assert res.objective == pytest.approx(33.2)
    (row,) = res.constraints[res.constraints["family"] == "mhis"].itertuples()
    assert row.binding and row.shadow_price == pytest.approx(-4.0)  # each £1m costs 5 − 1


def test_mhis_excluded_services_do_not_count():
    """Dementia D is marked mhis but excluded: the standard must be met by M alone."""
    inputs = make_inputs(
        services=[{"service_id": "M", "baseline_m": 4, "mhis": True},
                  {"service_id": "D", "baseline_m": 4, "mhis": True},
                  {"service_id": "O", "baseline_m": 2}],
        curves=[("M", "m", 1, 30, 1), ("D", "m", 1, 30, 2), ("O", "m", 1, 30, 5)],
        funding=[("pool", Y1, 10)])
    res = optimise(inputs, policy(mhis={"allocation_growth": 0.0, "exclude": ["D"]}))
    assert spend(res, "M") == pytest.approx(4) and spend(res, "D") == pytest.approx(0)


def test_bcf_conditions_floor_social_care_from_the_nhs_minimum():
    """NHS minimum £10m; social care S buys 1, NHS community H buys 5. ASC minimum £3m from the
    NHS minimum: 3 + 5 × 7 = 38."""
    inputs = make_inputs(
        services=[{"service_id": "S", "area_of_spend": "Social Care", "commissioner": "LA"},
                  {"service_id": "H", "commissioner": "ICB"}],
        curves=[("S", "m", 1, 30, 1), ("H", "m", 1, 30, 5)], funding=[("NHSMIN", Y1, 10)])
    res = optimise(inputs, policy(bcf_conditions={"source": "NHSMIN", "asc_min_m": 3}))
    assert res.objective == pytest.approx(38)


def test_bcf_out_of_hospital_counts_joint_services_at_their_nhs_share():
    """J (joint, 50% NHS) buys 5, S (LA) buys 1: an out-of-hospital minimum of £2m needs £4m on
    J; J is the best use anyway, so the floor costs nothing. A minimum of £6m needs £12m on J:
    more than the £10m, so it is infeasible and the advice relaxes it by £1m."""
    inputs = make_inputs(
        services=[{"service_id": "J", "commissioner": "Joint", "pct_nhs": 50.0},
                  {"service_id": "S", "commissioner": "LA"}],
        curves=[("J", "m", 1, 30, 5), ("S", "m", 1, 30, 1)], funding=[("NHSMIN", Y1, 10)])
    ok = optimise(inputs, policy(bcf_conditions={"source": "NHSMIN", "ooh_min_m": 2}))
    assert ok.objective == pytest.approx(50)
    bad = optimise(inputs, policy(bcf_conditions={"source": "NHSMIN", "ooh_min_m": 6}))
    assert bad.status == "infeasible"
    (relax,) = bad.infeasibility.relaxations
    assert relax.family == "bcf_conditions" and relax.relax_by == pytest.approx(1.0)


def test_sector_share_ceiling_shifts_money_left():
    """Acute A buys 5, community C 1; £10m. Acute at most 60%: 5 × 6 + 4 = 34."""
    inputs = make_inputs(
        services=[{"service_id": "A", "sector": "acute"}, {"service_id": "C"}],
        curves=[("A", "m", 1, 30, 5), ("C", "m", 1, 30, 1)], funding=[("pool", Y1, 10)])
    res = optimise(inputs, policy(sector_shares={"limits": [{"sectors": ["acute"],
                                                             "max": 0.6}]}))
    assert res.objective == pytest.approx(34)
    assert spend(res, "A") == pytest.approx(6)


def test_sector_share_floor_and_an_unknown_sector():
    """VCSE V buys 1, C buys 5; £10m. VCSE at least 30%: 3 + 35 = 38."""
    inputs = make_inputs(
        services=[{"service_id": "V", "sector": "vcse"}, {"service_id": "C"}],
        curves=[("V", "m", 1, 30, 1), ("C", "m", 1, 30, 5)], funding=[("pool", Y1, 10)])
    res = optimise(inputs, policy(sector_shares={"limits": [{"sectors": ["vcse"],
                                                             "min": 0.3}]}))
    assert res.objective == pytest.approx(38)
    with pytest.raises(PolicyError, match="hospital"):
        optimise(inputs, policy(sector_shares={"limits": [{"sectors": ["hospital"],
                                                           "min": 0.3}]}))


def test_personal_budgets_take_a_share_of_social_care():
    """Personal budgets P buy 1, care X buys 3, both social care; £10m. P at least 20% of
    social care spend: £2m, so 2 + 24 = 26."""
    inputs = make_inputs(
        services=[{"service_id": "P", "sector": "social_care",
                   "scheme_type": "Personalised Budgeting and Commissioning"},
                  {"service_id": "X", "sector": "social_care"}],
        curves=[("P", "m", 1, 30, 1), ("X", "m", 1, 30, 3)], funding=[("pool", Y1, 10)])
    res = optimise(inputs, policy(personal_budgets={"min_share": 0.2}))
    assert res.objective == pytest.approx(26)


PLACES = [{"place_id": "P1", "weighted_population": 1.0, "population": 1.0, "effect": 2.0,
           "core20_share": 1.0},
          {"place_id": "P2", "weighted_population": 1.0, "population": 1.0, "effect": 1.0,
           "core20_share": 0.0}]


def test_fair_shares_hold_each_place_near_its_need_weighted_share():
    """One service, 1 a £1m, band £20m shared 50/50 between two places of equal need; P1's
    effect is 2. £10m: unconstrained all to P1 (20). Fair shares ±10%: P1 at most
    1.1 × 5 = £5.5m: 2 × 5.5 + 4.5 = 15.5."""
    inputs = make_inputs(services=[{"service_id": "A"}], curves=[("A", "m", 1, 20, 1)],
                         funding=[("pool", Y1, 10)], places=PLACES)
    assert optimise(inputs).objective == pytest.approx(20)
    res = optimise(inputs, policy(fair_shares={"band": 0.1}))
    assert res.objective == pytest.approx(15.5)


def test_core20_sends_prevention_money_to_the_most_deprived():
    """Prevention service, P1 wholly Core20 (effect 1), P2 not (effect 2): unconstrained all
    £10m to P2 (20). At least 30% to the Core20 population: 3 + 2 × 7 = 17."""
    places = [{**PLACES[0], "effect": 1.0}, {**PLACES[1], "effect": 2.0}]
    inputs = make_inputs(services=[{"service_id": "PH", "sector": "public_health"}],
                         curves=[("PH", "m", 1, 20, 1)], funding=[("pool", Y1, 10)],
                         places=places)
    assert optimise(inputs).objective == pytest.approx(20)
    res = optimise(inputs, policy(core20={"min_share": 0.3}))
    assert res.objective == pytest.approx(17)


def test_places_rules_need_a_places_table():
    inputs = make_inputs(services=[{"service_id": "A"}], curves=[("A", "m", 1, 20, 1)],
                         funding=[("pool", Y1, 10)])
    with pytest.raises(PolicyError, match="places table"):
        optimise(inputs, policy(fair_shares={"band": 0.1}))


def _offset_inputs(tf: float = 0.0):
    """Community C: 1 admission avoided a £1m (worth £1m to the hospital). Pool £10m a year;
    a transformation fund TF for the new scheme N (which buys nothing: it tests the scope)."""
    funding = [("pool", Y1, 10), ("pool", Y2, 10)]
    if tf:
        funding += [("TF", Y1, tf), ("TF", Y2, tf)]
    return make_inputs(
        services=[{"service_id": "C"}, {"service_id": "N", "new_or_existing": "New"}],
        curves=[("C", "adm", 1, 100, 1), ("N", "adm", 1, 100, 0.5)], funding=funding)


def test_acute_offset_releases_savings_after_the_lag():
    """Year 1: the hospital needs its full £100m. £10m on C avoids 10 admissions; half the
    £1m a time saved is cash, a year later: £5m released to the pool in year 2, which then
    spends £15m. Outcome 10 + 15 = 25 (no discounting)."""
    res = optimise(_offset_inputs(), policy(acute_offset={
        "baseline_cost_m": 100, "budget_m": 100, "lag_years": 1, "realisation": 0.5,
        "savings_gbp": {"adm": 1e6}}))
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
    rule = {"baseline_cost_m": {Y1: 100, Y2: 106}, "budget_m": 100, "lag_years": 1,
            "realisation": 0.5, "savings_gbp": {"adm": 1e6}}
    bad = optimise(_offset_inputs(), policy(acute_offset=rule))
    assert bad.status == "infeasible"
    assert {r.family for r in bad.infeasibility.relaxations} <= {"acute_offset", "money"}
    good = optimise(_offset_inputs(tf=3.0), policy(
        acute_offset=rule, transformation_fund={"source": "TF", "double_running": True}))
    assert good.status == "optimal"
    assert spend(good, "N", Y2) == pytest.approx(2.75)
    assert spend(good, "C", Y1) == pytest.approx(10.0)  # TF may not pay the old scheme


def test_transformation_fund_pays_only_for_new_schemes():
    """TF £3m may pay only N (0.5 a £1m), not C (1 a £1m): C gets the pool, N the fund."""
    res = optimise(_offset_inputs(tf=3.0), policy(transformation_fund={"source": "TF"}))
    assert spend(res, "N") == pytest.approx(3.0) and spend(res, "C") == pytest.approx(10.0)
    assert res.objective == pytest.approx(2 * (10 + 1.5))


def test_transformation_fund_carry_forward():
    """TF £3m a year for N only, N's band in year 1 only £1m wide... with carry forward the
    unspent £2m of year 1 may be spent in year 2: N spends 1 then 5."""
    inputs = make_inputs(
        services=[{"service_id": "N", "new_or_existing": "New"}],
        curves=[("N", "m", 1, 1, 1, 1, 1, Y1), ("N", "m", 1, 10, 1, 1, 1, Y2)],
        funding=[("TF", Y1, 3), ("TF", Y2, 3)])
    plain = optimise(inputs, policy(transformation_fund={"source": "TF"}))
    rolled = optimise(inputs, policy(transformation_fund={"source": "TF",
                                                          "carry_forward": True}))
    assert plain.objective == pytest.approx(1 + 3)
    assert rolled.objective == pytest.approx(1 + 5)


def test_bed_capacity_limits_how_fast_pooled_acute_spend_falls():
    """Pooled acute H (baseline £10m) buys nothing; C buys 1; £10m. 10 beds a year at £100k
    close £1m of acute spend: H keeps £9m, C gets £1m."""
    inputs = make_inputs(
        services=[{"service_id": "H", "sector": "acute", "baseline_m": 10}, {"service_id": "C"}],
        curves=[("H", "m", 1, 30, 0), ("C", "m", 1, 30, 1)], funding=[("pool", Y1, 10)])
    res = optimise(inputs, policy(bed_capacity={"beds_per_year": 10,
                                                "cost_per_bed_gbp": 100_000}))
    assert res.objective == pytest.approx(1)


@pytest.mark.parametrize("model", ["default", "ics-statutory", "shift-left", "fair-shares"])
def test_the_example_solves_optimally_under_every_shipped_model(model, example_dir, models_dir):
    res = optimise(load_dataset(example_dir), load_policy(models_dir / f"{model}.yaml"))
    assert res.status == "optimal"
    families = set(res.constraints["family"])
    expected = {"default": set(), "ics-statutory": {"mhis", "bcf_conditions", "transition",
                                                    "personal_budgets"},
                "shift-left": {"acute_offset", "transformation_fund", "sector_shares",
                               "bed_capacity"},
                "fair-shares": {"fair_shares", "core20"}}[model]
    assert expected <= families


def test_every_rule_in_the_example_is_named_in_the_catalogue(example_dir, models_dir):
    from budgetopt.families.rows import catalogue

    for model in ("shift-left", "fair-shares"):
        res = optimise(load_dataset(example_dir), load_policy(models_dir / f"{model}.yaml"))
        assert set(res.constraints["component"]) <= set(catalogue())
        assert res.constraints["name"].is_unique


def test_presolve_warns_of_an_mhis_the_money_cannot_reach():
    """MHIS at 50% growth on a £4m mental health baseline needs £6m; the line's maximum is £5m:
    the warning says so before the solver runs, and the solve is infeasible."""
    inputs = make_inputs(
        services=[{"service_id": "M", "baseline_m": 4, "mhis": True, "max_m": 5},
                  {"service_id": "O", "baseline_m": 6}],
        curves=[("M", "m", 1, 30, 1), ("O", "m", 1, 30, 5)], funding=[("pool", Y1, 10)])
    res = optimise(inputs, policy(mhis={"allocation_growth": 0.5}))
    assert res.status == "infeasible"
    assert any("needs £6.0m of mental health spend in 2026/27" in w
               and "maximums allow only £5.0m" in w for w in res.warnings)


def test_presolve_warns_when_share_floors_exceed_the_whole():
    """VCSE ≥ 60% and public health ≥ 50% of spend: 110% of the whole, met only by spending
    nothing (then both shares hold trivially): the warning says so."""
    inputs = make_inputs(
        services=[{"service_id": "V", "sector": "vcse"}, {"service_id": "P",
                                                          "sector": "public_health"}],
        curves=[("V", "m", 1, 30, 1), ("P", "m", 1, 30, 5)], funding=[("pool", Y1, 10)])
    res = optimise(inputs, policy(sector_shares={"limits": [
        {"sectors": ["vcse"], "min": 0.6}, {"sectors": ["public_health"], "min": 0.5}]}))
    assert any("add up to 110%" in w for w in res.warnings)
    assert res.allocation["spend_m"].sum() == pytest.approx(0.0)  # the only way to meet both
