"""Flexibility (MODEL.md, "Flexibility: what else is nearly as good"): each service-year's
least and most within the slack of the optimum, worked by hand, the sector-favouring
alternatives, and ``budgetopt analyse flexibility``'s CSV."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from budgetopt import Policy
from budgetopt.analyses.flexibility import flexibility, flexibility_sentences
from budgetopt.cli import app
from tests.builders import make_inputs

Y = "2026/27"


def pair():
    """A (community): £10m @ 10; B (housing): £10m @ 9; £10m. The optimum puts all on A
    (100). Within 5% (outcome ≥ 95): 10a + 9b ≥ 95 with a + b ≤ 10, so b ≤ 5 and a ≥ 5."""
    return make_inputs(
        services=[{"service_id": "A", "sector": "community"},
                  {"service_id": "B", "sector": "housing"}],
        curves=[("A", "m", 1, 10, 10), ("B", "m", 1, 10, 9)], funding=[("pool", Y, 10.0)])


def test_a_flexibility_range_worked_by_hand():
    res = flexibility(pair(), Policy(), 0.05)
    flex = res["flexibility"].set_index("service_id")
    assert list(res["flexibility"].columns[:5]) == ["service_id", "year", "spend_m", "min_m",
                                                     "max_m"]
    assert flex.loc["A", ["spend_m", "min_m", "max_m"]].tolist() == pytest.approx([10, 5, 10])
    assert flex.loc["B", ["spend_m", "min_m", "max_m"]].tolist() == pytest.approx([0, 0, 5])
    assert res["flexibility"].attrs["slack"] == 0.05


def test_the_alternatives_favour_each_sector_in_turn_within_the_slack():
    alt = flexibility(pair(), Policy(), 0.05)["alternatives"].set_index("favours")
    assert alt.loc["housing", "spend_housing"] == pytest.approx(5.0)
    assert alt.loc["housing", "objective"] == pytest.approx(95.0)
    assert alt.loc["housing", "given_up_pct"] == pytest.approx(5.0)
    assert alt.loc["housing", "differs"] == "A −£5.0m; B +£5.0m"
    assert alt.loc["community", "differs"] == "the same as the chosen plan"


def test_no_slack_leaves_only_the_ties():
    """With slack 0 only equally good plans count: the optimum is unique, so every range is
    the plan's own figure."""
    flex = flexibility(pair(), Policy(), 0.0)["flexibility"]
    assert (flex["max_m"] - flex["min_m"]).abs().max() == pytest.approx(0.0, abs=1e-7)
    sentences = flexibility_sentences(flexibility(pair(), Policy(), 0.05))
    assert sentences[0] == ("A in 2026/27 could receive anything from £5.0m to £10.0m (the "
                            "plan: £10.0m) for an outcome within 5% of the best.")


def test_the_command_writes_the_contract_csv(tmp_path, example_dir, models_dir):
    out = tmp_path / "flex"
    res = CliRunner().invoke(app, ["analyse", "flexibility", str(example_dir), "--model",
                                   str(models_dir / "default.yaml"), "--out", str(out)],
                             catch_exceptions=False)
    assert res.exit_code == 0, res.output
    flex = pd.read_csv(out / "flexibility.csv")
    assert list(flex.columns[:5]) == ["service_id", "year", "spend_m", "min_m", "max_m"]
    assert (flex["min_m"] <= flex["spend_m"] + 1e-9).all()
    assert (flex["spend_m"] <= flex["max_m"] + 1e-9).all()
    assert (out / "alternatives.csv").is_file() and (out / "chart.html").is_file()


def test_the_comparison_says_when_plans_are_equally_good_and_which_moves_are_free():
    """Twins A and B (2 per £1m) with £4m: baselines (3, 1) and (1, 3) give plans (3, 1) and
    (1, 3), equally good (8). Against the first plan's flexibility at 0 slack (A 0..4, B
    0..4: every split is optimal) every move is free; a £10m plan has a forced move."""
    from budgetopt import optimise
    from budgetopt.analyses.compare import compare_results

    def twins(base_a, base_b, money=4.0):
        return make_inputs(
            services=[{"service_id": "A", "baseline_m": base_a},
                      {"service_id": "B", "baseline_m": base_b}],
            curves=[("A", "m", 1, 10, 2), ("B", "m", 1, 10, 2)], funding=[("pool", Y, money)])

    a, b = optimise(twins(3.0, 1.0)), optimise(twins(1.0, 3.0))
    flex = flexibility(twins(3.0, 1.0), Policy(), 0.0)["flexibility"]
    cmp = compare_results(a, b, "Plan 1", "Plan 2", flexibility=flex)
    assert any(s.startswith("Plan 1 and Plan 2 are equally good") for s in cmp.sentences)
    assert set(cmp.allocation["kind"].dropna()) == {"free"}
    assert any(s.startswith("Moves that are free choices within Plan 1's flexibility ranges")
               for s in cmp.sentences)
    # £10m: one of the two gets at least £5m, beyond any plan of Plan 1's (at most £4m each)
    more = compare_results(a, optimise(twins(3.0, 1.0, 10.0)), "Plan 1", "More money",
                           flexibility=flex)
    assert not any("equally good" in s for s in more.sentences)
    assert "forced" in set(more.allocation["kind"].dropna())
