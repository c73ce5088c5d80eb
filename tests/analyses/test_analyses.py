"""Trade-off analyses on cases solved by hand, plus their properties on the example ICS."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import stats
from typer.testing import CliRunner

from budgetopt.analyses.compare import compare_many, compare_results
from budgetopt.analyses.pareto import pareto_frontier
from budgetopt.analyses.sweeps import budget_curve, price_of_minimums
from budgetopt.analyses.uncertainty import (
    _quantiles,
    cvar,
    monte_carlo,
    robust_allocation,
    sample_values,
)
from budgetopt.api import build, optimise
from budgetopt.cli import app
from budgetopt.data.dataset import load_dataset
from budgetopt.policy import Policy, load_policy
from tests.builders import make_inputs

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "inputs" / "example"
Y = "2026/27"


def two_services(budget=10.0, base=(0.0, 0.0), min_b=0.0, a=(2.0, 2.0, 2.0),
                 b=(3.0, 3.0, 3.0), metrics=("M1", "M2")):
    """A buys metrics[0] at a per £1m, B buys metrics[1] at b per £1m; £10m each at most."""
    return make_inputs(
        services=[{"service_id": "A", "baseline_m": base[0]},
                  {"service_id": "B", "baseline_m": base[1], "min_m": min_b}],
        curves=[("A", metrics[0], 1, 10, *a), ("B", metrics[1], 1, 10, *b)],
        funding=[("POOL", Y, budget)])


# -- Pareto frontier ---------------------------------------------------------------------------


def test_frontier_between_two_metrics_is_the_line_worked_by_hand():
    # £10m: M1 = 2x, M2 = 3(10 - x). Ends (20, 0) and (0, 30); eps 0, 15, 30 -> M1 20, 10, 0.
    frame = pareto_frontier(two_services(base=(5, 5)), Policy(), "metric:M1", "metric:M2", 3)
    assert list(frame["status"]) == ["optimal"] * 3
    assert frame["first"].tolist() == pytest.approx([20, 10, 0], abs=1e-6)
    assert frame["second"].tolist() == pytest.approx([0, 15, 30], abs=1e-6)
    base = frame.attrs["baseline"]  # £5m each: (10, 15), on the line
    assert (base["first"], base["second"]) == pytest.approx((10, 15))
    assert base["dominated"] is False


def test_each_frontier_point_names_and_prices_the_row_that_holds_the_second_aim():
    """M1 = 2x and M2 = 3(10 − x): holding M2 ≥ ε leaves M1 = 20 − 2ε/3, so one more unit of
    M2 costs 2/3 of a unit of M1 at the middle point. The row is the analysis's own, through
    the row door: named, family pareto, its price in a sentence."""
    frame = pareto_frontier(two_services(base=(5, 5)), Policy(), "metric:M1", "metric:M2", 3)
    middle = frame.iloc[1]
    assert middle["rule"] == "M2 over the plan held at least at the frontier point's level"
    assert middle["trade_off"] == pytest.approx(-2 / 3)
    assert middle["meaning"] == "Raising M2 over the plan by 1 units would give up 0.67 units."
    assert frame["advice"].isna().all()


def test_the_equity_frontier_prices_a_pound_a_head_of_gap_in_weighted_outcomes():
    """Outcome against equity on the example: the trade-off is what £1 a head more of allowed
    gap buys, and it matches the slope between neighbouring points (concave: the slope between
    two points lies between their prices)."""
    inputs = load_dataset(EXAMPLE)
    frame = pareto_frontier(inputs, load_policy(ROOT / "models" / "default.yaml"),
                            "outcome", "equity", 5)
    held = ("The gap in spend per need-weighted head between places held at most at the "
            "frontier point's level")
    assert set(frame["rule"]) == {held}
    for (_, hi), (_, lo) in zip(frame.iloc[:-1].iterrows(), frame.iloc[1:].iterrows()):
        slope = (hi["first"] - lo["first"]) / (hi["second"] - lo["second"])
        assert hi["trade_off"] - 1e-6 <= slope <= lo["trade_off"] + 1e-6
    price = frame["trade_off"].iloc[2]
    assert frame["meaning"].iloc[2] == ("Allowing the gap in spend per need-weighted head "
                                        "between places £1 a head more would buy "
                                        f"{price:,.2f} more weighted outcomes.")


def test_an_allocation_that_leaves_money_unspent_is_dominated():
    frame = pareto_frontier(two_services(base=(3, 3)), Policy(), "metric:M1", "metric:M2", 3)
    assert frame.attrs["baseline"]["dominated"] is True  # (6, 9) is below the line


def test_the_example_frontier_trades_outcome_for_equity_and_the_baseline_is_dominated():
    inputs = load_dataset(EXAMPLE)
    policy = load_policy(ROOT / "models" / "default.yaml")
    frame = pareto_frontier(inputs, policy, "outcome", "equity", 5)
    best = optimise(inputs, policy).objective
    assert frame["first"].iloc[0] == pytest.approx(best, rel=1e-6)
    assert frame["first"].is_monotonic_decreasing  # less gap costs outcome ...
    assert frame["second"].is_monotonic_decreasing  # ... as the allowed gap shrinks
    assert frame["second"].iloc[-1] == pytest.approx(0.0, abs=1e-3)
    assert frame.attrs["baseline"]["dominated"]


# -- budget curve and the price of minimums -------------------------------------------------


def test_services_enter_the_budget_curve_in_order_of_return():
    inputs = make_inputs(services=[{"service_id": "A"}, {"service_id": "B"}],
                         curves=[("A", "M", 1, 4, 5.0), ("B", "M", 1, 4, 3.0)],
                         funding=[("POOL", Y, 6.0)])
    curve = budget_curve(inputs, Policy(), [2.0, 4.0, 6.0, 8.0])
    assert curve["objective"].tolist() == pytest.approx([10, 20, 26, 32])
    assert curve["marginal"].tolist() == pytest.approx([5, 5, 3, 3])  # at a kink: either side
    entries = curve.attrs["entries"].set_index("service_id")
    assert entries.loc["A", "enters_at_m"] == 2.0 and entries.loc["B", "enters_at_m"] == 6.0


@pytest.mark.parametrize("model", ["default", "shift-left"])
def test_the_budget_curve_at_the_plans_own_budget_is_the_plan(model):
    """At the first-year budget of the data the curve re-solves the very problem the solve
    does. Under shift-left the acute money released by avoided demand is a funding source
    with a £1.5bn cap: it is not pooled money, so the budget neither counts nor scales it
    (it once did, and every point of the curve was infeasible)."""
    policy = load_policy(ROOT / "models" / f"{model}.yaml")
    inputs = load_dataset(EXAMPLE, nonconcave=policy.nonconcave)
    first = inputs.funding.loc[inputs.funding["year"] == inputs.years[0], "amount_m"].sum()
    curve = budget_curve(inputs, policy, [float(first), float(first) + 5.0])
    solved = build(inputs, policy).solve().objective
    assert curve["status"].tolist() == ["optimal", "optimal"]
    assert curve["objective"].iloc[0] == pytest.approx(solved, rel=1e-9)
    assert curve["objective"].iloc[1] >= solved


def test_a_long_sweep_gives_every_solve_its_own_time_limit(monkeypatch):
    """The limit is per solve: HiGHS counts run time over the object's life, so a sweep that
    set the limit once saw later points stop at 'time limit'. Every run of a budget curve
    and a Pareto frontier must start with the whole per-solve limit ahead of it: no clock in
    this test, only what each run is given (the time already used does not count)."""
    import highspy

    from budgetopt.policy import apply_overrides

    ahead = []
    run = highspy.Highs.run

    def spying(self, *args, **kwargs):
        limit = self.getOptionValue("time_limit")
        limit = limit[-1] if isinstance(limit, tuple) else limit  # (status, value) in some
        ahead.append(limit - self.getRunTime())
        return run(self, *args, **kwargs)

    monkeypatch.setattr(highspy.Highs, "run", spying)
    policy = apply_overrides(load_policy(ROOT / "models" / "default.yaml"),
                             ["solver.time_limit_s=30"])
    curve = budget_curve(load_dataset(EXAMPLE), policy, list(np.linspace(210, 270, 40)))
    assert set(curve["status"]) == {"optimal"}
    frontier = pareto_frontier(load_dataset(EXAMPLE), policy, "outcome", "equity", 12)
    assert set(frontier["status"]) == {"optimal"}
    assert len(ahead) >= 52
    assert min(ahead) >= 30.0 - 1e-9, sorted(ahead)[:5]


def test_the_price_of_a_protected_minimum_worked_by_hand():
    # £5m; A buys 5 per £1m, B only 1 but must get £2m: with it 3*5 + 2*1 = 17, without 25.
    inputs = make_inputs(services=[{"service_id": "A"}, {"service_id": "B", "min_m": 2.0}],
                         curves=[("A", "M", 1, 10, 5.0), ("B", "M", 1, 10, 1.0)],
                         funding=[("POOL", Y, 5.0)])
    prices = price_of_minimums(inputs, Policy())
    assert prices.loc[0, "service_id"] == "B" and prices.loc[0, "price"] == pytest.approx(8.0)
    assert build(inputs, Policy()).solve().objective == pytest.approx(17.0)  # restored


# -- uncertainty -------------------------------------------------------------------------------


def test_quantile_functions():
    lo, mode, hi = np.array([0.0, 2.0]), np.array([0.5, 2.0]), np.array([1.0, 2.0])
    u = np.array([[0.125, 0.9], [0.5, 0.1]])
    tri = _quantiles(u, lo, mode, hi, "triangular")
    assert tri[0, 0] == pytest.approx(0.25)  # sqrt(0.125 * 1 * 0.5)
    assert tri[1, 0] == pytest.approx(0.5)  # symmetric: median = mode
    assert tri[:, 1].tolist() == [2.0, 2.0]  # no spread: always the central value
    pert = _quantiles(np.array([[0.3]]), np.array([1.0]), np.array([5.0]), np.array([9.0]),
                      "pert")
    assert pert[0, 0] == pytest.approx(1 + 8 * stats.beta.ppf(0.3, 3, 3))


def test_samples_with_no_spread_are_the_central_plan():
    inputs = two_services()
    res = optimise(inputs, Policy())
    mc = monte_carlo(inputs, Policy(), 50, seed=3)
    assert mc["outcomes"]["central_plan"].to_numpy() == pytest.approx(res.objective)
    assert mc["outcomes"]["optimal"].to_numpy() == pytest.approx(res.objective)


def test_samples_are_reproducible_from_the_seed_and_correlated_within_a_service():
    session = build(load_dataset(EXAMPLE), load_policy(ROOT / "models" / "default.yaml"))
    a = sample_values(session, 200, seed=7)
    b = sample_values(session, 200, seed=7)
    c = sample_values(session, 200, seed=8)
    assert np.array_equal(a.values, b.values) and not np.array_equal(a.values, c.values)
    # one draw per service: when REABLE's draw is in its top 5%, all its segments are high
    seg = session.data.segments
    cols = np.flatnonzero((seg["service_id"] == "REABLE").to_numpy())
    high = a.draws[:, a.services.index("REABLE")] > 0.95
    assert high.any()
    central = session.compiled.cost[session.compiled.columns(session.model.x)][cols]
    above = (a.values[:, cols] >= central - 1e-9).all(axis=1)
    assert (above[high]).all()


def test_how_often_a_scheme_is_funded_matches_its_odds():
    # A: PERT(1, 5, 9) per £1m; B: a sure 4 per £1m, no minimum; £5m buys one of them (width 5).
    # B gets the money exactly when A's draw is below 4: P = BetaCDF(3/8; 3, 3).
    inputs = make_inputs(services=[{"service_id": "A"}, {"service_id": "B"}],
                         curves=[("A", "M", 1, 5, 5.0, 1.0, 9.0), ("B", "M", 1, 5, 4.0)],
                         funding=[("POOL", Y, 5.0)])
    mc = monte_carlo(inputs, Policy(), 2000, seed=11)
    schemes = mc["schemes"].set_index("service_id")
    expected = stats.beta.cdf(3 / 8, 3, 3)
    assert schemes.loc["B", "p_beyond_minimum"] == pytest.approx(expected, abs=0.03)
    assert schemes.loc["A", "p_beyond_minimum"] == pytest.approx(1 - expected, abs=0.03)


def test_monte_carlo_in_two_processes_gives_the_one_process_answer():
    """Every sample starts from the central plan's basis, so where it is solved does not
    matter: two spawned worker processes give one process's outcomes (to rounding) and
    exactly its odds per scheme."""
    inputs = load_dataset(EXAMPLE)
    policy = load_policy(ROOT / "models" / "default.yaml")
    one = monte_carlo(inputs, policy, 60, seed=4, workers=1)
    two = monte_carlo(inputs, policy, 60, seed=4, workers=2)
    assert two["outcomes"].attrs["workers"] == 2 and one["outcomes"].attrs["workers"] == 1
    assert two["outcomes"]["optimal"].to_numpy() == pytest.approx(
        one["outcomes"]["optimal"].to_numpy(), rel=1e-9)
    cols = ["service_id", "p_beyond_minimum", "p_grows"]
    assert two["schemes"][cols].equals(one["schemes"][cols])
    assert two["schemes"]["mean_spend_m"].to_numpy() == pytest.approx(
        one["schemes"]["mean_spend_m"].to_numpy(), abs=1e-9)


def test_the_robust_plan_is_best_on_its_own_criterion():
    inputs = load_dataset(EXAMPLE)
    policy = load_policy(ROOT / "models" / "default.yaml")
    for objective, column in (("cvar", "cvar_10"), ("expected", "mean")):
        res = robust_allocation(inputs, policy, 100, seed=5, objective=objective, alpha=0.10)
        assert res["status"] == "Optimal"
        comp = res["comparison"].set_index("allocation")
        robust, central = comp.iloc[1][column], comp.loc["central estimate", column]
        assert robust >= central - 1e-6 * abs(central)
        # and it is a plan within the same money: no more spent than the central one
        assert res["x_robust"].sum() <= res["x_central"].sum() + 1e-6


def test_the_robust_plans_rows_are_named_keyed_and_priced_as_the_models_are():
    """One row per sample (family robust, key sample). Their shadow prices are the weights of
    the samples in the worst α share: each between −1/(αS) and 0, adding up to −1 (η is free:
    1 − Σ weights = 0)."""
    inputs = load_dataset(EXAMPLE)
    res = robust_allocation(inputs, load_policy(ROOT / "models" / "default.yaml"), 50,
                            seed=3, alpha=0.2)
    c = res["constraints"]
    tail = c[c["family"] == "robust"]
    assert list(tail["sample"]) == [str(s) for s in range(50)]
    assert (tail["component"] == "robust_tail").all() and tail["name"].is_unique
    assert tail["name"].iloc[7] == "Shortfall of sample 7 below the worst-20% threshold"
    assert tail["shadow_price"].sum() == pytest.approx(-1.0)
    assert tail["shadow_price"].between(-1 / (0.2 * 50) - 1e-9, 1e-9).all()
    priced = tail[tail["shadow_price"] < -1e-9].iloc[0]
    assert priced["meaning"] == (
        f"One weighted outcome less in sample {priced['sample']} would give up "
        f"{-priced['shadow_price']:,.2f} weighted outcomes in the mean of the worst 20% of "
        "samples.")
    money = c[c["component"] == "money_source_limit"].iloc[0]  # the model's rows, priced too
    assert money["meaning"].endswith("in the mean of the worst 20% of samples.")


def test_cvar_is_the_mean_of_the_worst_share():
    assert cvar(np.arange(1, 11), 0.2) == pytest.approx(1.5)


# -- comparing scenarios -----------------------------------------------------------------------


def _pool(budget: float, min_b: float = 0.0):
    """A buys 2 a £1m (at most £10m), B 3 (at most £10m): B first."""
    return optimise(two_services(budget=budget, min_b=min_b), Policy())


def test_a_moved_limit_is_one_rule_whose_limit_moved_and_binds_in_both():
    """£4.0m and £3.8m: the money row is named "... within its £4.0m" in one and "... within
    its £3.8m" in the other; matched by its keys it is one rule, binding in both."""
    a, b = _pool(4.0), _pool(3.8)
    assert a.constraints["name"].iloc[0] != b.constraints["name"].iloc[0]
    cmp = compare_results(a, b)
    (money,) = cmp.rules[cmp.rules["component"] == "money_source_limit"].itertuples()
    assert (money.source_id, money.year) == ("POOL", Y)
    assert (money.limit_a, money.limit_b) == pytest.approx((4.0, 3.8))
    assert money.binding_a and money.binding_b
    assert (money.name_a, money.name_b) == (a.constraints["name"].iloc[0],
                                            b.constraints["name"].iloc[0])
    moved = [s for s in cmp.sentences if s.startswith("Limits that moved")]
    assert moved == [f"Limits that moved: {money.name_b} (the limit moved from £4.0m to £3.8m)."]
    assert f"Binding in both A and B: {money.name_b}." in cmp.sentences
    assert not any(s.startswith(("Binding in A but not", "Binding in B but not"))
                   for s in cmp.sentences)
    many = compare_many({"A": a, "B": b})
    (row,) = many.rules[many.rules["rule"] == money.name_b].itertuples()
    assert (row.A, row.B) == pytest.approx((3.0, 3.0))  # one rule, priced in both


def test_a_rule_binding_in_one_scenario_only_is_reported_so():
    """With £12m the money binds (B's £10m band full, A takes £2m); with £25m both bands are
    full and £5m is left: the same rule, binding in A only, named as it is in A."""
    a, b = _pool(12.0), _pool(25.0)
    cmp = compare_results(a, b)
    (money,) = cmp.rules[cmp.rules["component"] == "money_source_limit"].itertuples()
    assert money.binding_a and not money.binding_b
    assert "Binding in A but not in B: Spend from POOL in 2026/27 within its £12.0m." \
        in cmp.sentences
    assert not any(s.startswith("Binding in both") for s in cmp.sentences)


def test_a_scenario_saved_before_rows_kept_keys_is_compared_by_name():
    """A stored record from before keys has none: its rules are matched by name, as then (the
    same budget: every rule matches, binding in both)."""
    from budgetopt.results.tables import Results, key_columns

    a = _pool(4.0)
    record = a.to_record()
    frame = record["constraints"]
    keep = [i for i, c in enumerate(frame["columns"]) if c not in key_columns(a.constraints)]
    record["constraints"] = {k: [frame[k][i] for i in keep] for k in ("columns", "dtypes")}
    record["constraints"]["rows"] = [[r[i] for i in keep] for r in frame["rows"]]
    cmp = compare_results(Results.from_record(record), _pool(4.0))
    assert len(cmp.rules) == len(a.constraints)
    assert cmp.rules["binding_a"].eq(cmp.rules["binding_b"]).all()


def test_compare_many_scenarios():
    inputs = load_dataset(EXAMPLE)
    policy = load_policy(ROOT / "models" / "default.yaml")
    named = {"As planned": optimise(inputs, policy),
             "Less money": optimise(inputs, policy, ["budget_m=235"]),
             "Statutory": optimise(inputs, load_policy(ROOT / "models" / "ics-statutory.yaml"))}
    cmp = compare_many(named)
    assert list(cmp.summary["scenario"]) == list(named)
    assert cmp.summary["difference"].iloc[0] == 0 and cmp.summary["difference"].iloc[1] < 0
    assert list(cmp.sectors.columns) == ["sector", *named]
    assert any("Less money buys" in s for s in cmp.sentences)
    assert any("Statutory buys" in s for s in cmp.sentences)


# -- the command line ------------------------------------------------------------------------

runner = CliRunner()


def test_cli_analyses_write_tables_chart_and_provenance(tmp_path):
    done = runner.invoke(app, ["analyse", "curve", str(EXAMPLE), "--from", "220", "--to",
                               "260", "--points", "3", "--out", str(tmp_path / "curve")])
    assert done.exit_code == 0, done.output
    assert sorted(p.name for p in (tmp_path / "curve").iterdir()) == [
        "chart.html", "curve.csv", "entries.csv", "provenance.json"]
    done = runner.invoke(app, ["analyse", "compare", str(ROOT / "models" / "scenarios" /
                                                         "example.yaml")])
    assert done.exit_code == 0, done.output
    assert "Two per cent less money buys" in done.output
    done = runner.invoke(app, ["analyse", "pareto", str(EXAMPLE), "--second", "metric:NOPE"])
    assert done.exit_code == 2 and "not an objective" in done.output
