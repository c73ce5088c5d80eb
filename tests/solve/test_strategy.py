"""The solver strategy chosen from the LP's size and structure (solve/highs.py ``strategy``):
which one each shape gets, and that every strategy reaches the same optimum on each shape.
The thresholds are lowered here so that tiny instances take the large-LP route; timings are
the benchmark's (docs/performance.md), never the tests'."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from budgetopt.api import build
from budgetopt.data.dataset import load_dataset
from budgetopt.policy import apply_overrides, load_policy
from budgetopt.solve import highs

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

import shapes  # (benchmarks/ is not a package: on sys.path above)

SHAPES = [shapes.Case("flat", "default", "tiny"), shapes.Case("stacked", "default", "tiny"),
          shapes.Case("stacked", "fair-shares", "tiny"),
          shapes.Case("places-years", shapes.ALL_RULES, "tiny"),
          shapes.Case("stacked", "shift-left", "tiny")]  # integer columns


def session(case, root, sets=()):
    folder = shapes.write_case(case, root)
    policy = load_policy(folder / "model.yaml")
    if sets:
        policy = apply_overrides(policy, list(sets))
    return build(load_dataset(folder / "data", nonconcave=policy.nonconcave), policy)


def test_the_example_is_left_to_highs_and_a_re_solve_starts_from_its_basis(example_dir):
    s = build(load_dataset(example_dir), load_policy(None))
    assert highs.strategy(s.compiled.highs) == ("choose", "choose")
    assert s.solve().ok
    assert highs.strategy(s.compiled.highs, warm=True) == ("off", "simplex")
    assert highs.strategy(s.compiled.highs, integer=True) == ("choose", "choose")


def test_a_large_lp_of_short_rows_goes_to_the_interior_point_method(tmp_path, monkeypatch):
    s = session(SHAPES[0], tmp_path)
    h = s.compiled.highs
    rows, nnz = h.getNumRow(), h.getNumNz()
    monkeypatch.setattr(highs, "IPM_ROWS", rows)
    assert highs.strategy(h) == ("off", "ipm")
    monkeypatch.setattr(highs, "IPM_ROW_LENGTH", nnz / rows - 0.01)  # rows a little longer
    assert highs.strategy(h) == ("choose", "choose")
    monkeypatch.setattr(highs, "IPM_ROW_LENGTH", nnz / rows)
    monkeypatch.setattr(highs, "IPM_ROWS", rows + 1)  # one row fewer than the threshold
    assert highs.strategy(h) == ("choose", "choose")


@pytest.mark.parametrize("case", SHAPES, ids=lambda c: c.name)
def test_every_strategy_reaches_the_same_optimum_on_each_shape(case, tmp_path, monkeypatch):
    shipped = session(case, tmp_path).results()
    assert shipped.optimal
    monkeypatch.setattr(highs, "IPM_ROWS", 1)  # every LP takes the large-LP route
    monkeypatch.setattr(highs, "IPM_ROW_LENGTH", 1e9)
    large = session(case, tmp_path)
    integer = bool(large.compiled.integer.any())
    assert integer == (case.model in ("shift-left", shapes.ALL_RULES))  # the acute offset's
    assert highs.strategy(large.compiled.highs, integer=integer) == (
        ("choose", "choose") if integer else ("off", "ipm"))
    routes = [large.results(),
              session(case, tmp_path, ['solver.presolve="on"', "solver.method=simplex"]).results(),
              session(case, tmp_path, ['solver.presolve="off"', "solver.method=ipm"]).results()]
    for res in routes:
        assert res.optimal
        assert res.objective == pytest.approx(shipped.objective, rel=1e-9)
        assert res.constraints["name"].tolist() == shipped.constraints["name"].tolist()
    # a re-solve after a change starts from the last basis by dual simplex, and agrees with a
    # cold solve of the changed model
    again = large.compiled
    again.set_costs(again.cost * 1.01)
    warm = highs.run(again, large.data.policy.solver, load=False)
    assert warm.ok and warm.objective == pytest.approx(1.01 * shipped.objective, rel=1e-9)
