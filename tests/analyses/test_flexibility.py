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


# -- free and forced moves from the command line ---------------------------------------------


def _twins_dir(where, base_a: float, base_b: float):
    """Twins A and B, each £10m at 2 per £1m, £4m in one pool, as a folder of CSV files
    (the twins of the test above): the plan is the baseline split, (base_a, base_b)."""
    from tests.datasets import write_csv

    frame = lambda cols, rows: pd.DataFrame(rows, columns=cols, dtype=object)
    return write_csv({
        "services": frame(["service_id", "name", "sector", "baseline_m", "min_m", "max_m"],
                          [["A", "Alpha", "community", base_a, "", ""],
                           ["B", "Beta", "community", base_b, "", ""]]),
        "metrics": frame(["metric_id", "name", "unit", "weight"], [["m", "M", "units", 1]]),
        "curves": frame(["service_id", "metric_id", "band", "width_m", "per_m"],
                        [["A", "m", 1, 10, 2], ["B", "m", 1, 10, 2]]),
        "funding": frame(["source_id", "name", "year", "amount_m"], [["pool", "Pool", Y, 4]]),
    }, where)


def test_analyse_compare_with_flexibility_tells_free_moves_from_forced(tmp_path):
    """Against 'As is' (3, 1) at slack 0 (A 0..4, B 0..4): 'Swapped' (1, 3) is equally good
    and both its moves are free; with £10m one of A and B gets at least £5m: forced."""
    _twins_dir(tmp_path / "as-is", 3.0, 1.0)
    _twins_dir(tmp_path / "swapped", 1.0, 3.0)
    manifest = tmp_path / "scenarios.yaml"
    manifest.write_text("name: twins\ndata: as-is\nscenarios:\n  - name: As is\n"
                        "  - name: Swapped\n    data: swapped\n"
                        "  - name: More money\n    set: {budget_m: 10}\n", encoding="utf-8")
    out = tmp_path / "cmp"
    done = CliRunner().invoke(app, ["analyse", "compare", str(manifest), "--flexibility",
                                    "--slack", "0", "--out", str(out)],
                              catch_exceptions=False)
    assert done.exit_code == 0, done.output
    text = " ".join(done.output.split())
    assert "As is and Swapped are equally good" in text
    assert ("Moves that are free choices within As is's flexibility ranges (a plan within 0% "
            "of As is's best could do the same): Alpha −£2.0m; Beta +£2.0m.") in text
    assert "Moves that are forced: outside what any plan within 0% of As is's best" in text
    moves = pd.read_csv(out / "moves.csv")
    assert list(moves.columns) == ["scenario", "service_id", "name", "sector", "year",
                                   "spend_a", "spend_b", "difference", "min_m", "max_m",
                                   "kind"]
    swapped = moves[moves["scenario"] == "Swapped"].set_index("service_id")
    assert swapped["kind"].tolist() == ["free", "free"]
    assert swapped.loc["A", ["spend_a", "spend_b", "min_m", "max_m"]].tolist() == \
        pytest.approx([3, 1, 0, 4])
    more = moves[moves["scenario"] == "More money"]
    assert "forced" in set(more["kind"])
    assert (more.loc[more["kind"] == "forced", "spend_b"] > 4 + 1e-6).all()
    flex = pd.read_csv(out / "flexibility.csv")
    assert list(flex.columns[:5]) == ["service_id", "year", "spend_m", "min_m", "max_m"]
    # without the flag: no ranges, no free or forced, no extra files
    plain = CliRunner().invoke(app, ["analyse", "compare", str(manifest)],
                               catch_exceptions=False)
    assert plain.exit_code == 0 and "Moves that are" not in plain.output


def test_scenario_diff_with_flexibility_works_out_the_first_scenarios_ranges(tmp_path):
    db = str(tmp_path / "s.db")
    for name, (a, b) in (("Base", (3.0, 1.0)), ("Swap", (1.0, 3.0))):
        data = _twins_dir(tmp_path / name, a, b)
        saved = CliRunner().invoke(app, ["scenario", "save", str(data), "--name", name,
                                         "--db", db], catch_exceptions=False)
        assert saved.exit_code == 0, saved.output
    done = CliRunner().invoke(app, ["scenario", "diff", "Base", "Swap", "--flexibility",
                                    "--slack", "0", "--db", db], catch_exceptions=False)
    assert done.exit_code == 0, done.output
    text = " ".join(done.output.split())
    assert "Base@1 and Swap@1 are equally good" in text
    assert ("Moves that are free choices within Base@1's flexibility ranges (a plan within 0% "
            "of Base@1's best could do the same): Alpha −£2.0m; Beta +£2.0m.") in text
    plain = CliRunner().invoke(app, ["scenario", "diff", "Base", "Swap", "--db", db],
                               catch_exceptions=False)
    assert plain.exit_code == 0 and "Moves that are" not in plain.output
