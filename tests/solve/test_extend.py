"""An analysis's own rows and columns through the row door, appended to a compiled model.

``Compiled.extend`` must give the same model as compiling everything at once, keep every array
in step with HiGHS, and leave the new rows speaking as the model's do: named, in a family,
priced in a sentence, and named by the infeasibility advice.
"""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo
import pytest
from scipy import sparse

from budgetopt import Policy
from budgetopt.api import build
from budgetopt.families.rows import add_matrix_rows, add_rows, linear
from budgetopt.model.build import build_model
from budgetopt.model.data import prepare
from budgetopt.results.tables import constraint_table
from budgetopt.results.words import diagnose_infeasibility
from budgetopt.solve.highs import compile_model, run
from tests.builders import make_inputs

Y = "2026/27"


def inputs():
    """£5m; A buys 2 of M1 per £1m, B 3 of M2 (at most £4m each): the optimum puts £4m in B
    (12) and £1m in A (2): 14."""
    return make_inputs(services=[{"service_id": "A", "max_m": 4.0},
                                 {"service_id": "B", "max_m": 4.0}],
                       curves=[("A", "M1", 1, 10, 2.0), ("B", "M2", 1, 10, 3.0)],
                       funding=[("POOL", Y, 5.0)])


def add_floor(m, level: float, *, matrix: bool = False) -> None:
    """A new column t ≤ spend on A (a free Var) and the row t ≥ level, through the door."""
    seg = m.data.segments
    a_cols = np.flatnonzero(seg["service_id"].to_numpy() == "A").tolist()
    m.t = pyo.Var(doc="spend on A, copied (£m)")
    words = {"objective": "spend on A", "amount": "£1m"}
    if matrix:  # the same two rows as a sparse matrix over (x..., t)
        xs = list(m.x.values())
        dense = np.zeros((2, len(xs) + 1))
        dense[0, a_cols], dense[0, -1] = 1.0, -1.0
        dense[1, -1] = 1.0
        add_matrix_rows(m, "pareto_at_least", "pareto", ["copy", "floor"], [*xs, m.t],
                        sparse.csr_matrix(dense), ">=", {"copy": 0.0, "floor": level},
                        name=lambda i: f"Spend on A held ({i})", labels=lambda i: words,
                        keys=lambda i: {"objective": i}, unit=lambda i: "£m")
        return
    add_rows(m, "pareto_at_least", "pareto", ["copy", "floor"],
             body=lambda i: linear([*((1.0, m.x[j]) for j in a_cols), (-1.0, m.t)])
             if i == "copy" else linear([(1.0, m.t)]),
             sense=">=", limit={"copy": 0.0, "floor": level},
             name=lambda i: f"Spend on A held ({i})", labels=lambda i: words,
             keys=lambda i: {"objective": i}, unit=lambda i: "£m")


@pytest.mark.parametrize("matrix", [False, True])
def test_extending_a_solved_model_equals_compiling_it_whole(matrix):
    """A floor of £2m on A moves £1m from B (3) to A (2): 13, and the floor's price is −1."""
    session = build(inputs(), Policy())
    first = session.solve()
    assert first.objective == pytest.approx(14.0)
    compiled, highs = session.compiled, session.compiled.highs
    before = (compiled.row_lower.copy(), compiled.row_upper.copy(), compiled.n_rows)
    add_floor(session.model, 2.0, matrix=matrix)
    new_cols, new_rows = compiled.extend()
    assert compiled.highs is highs and len(new_cols) == 1 and len(new_rows) == 2
    lp = highs.getLp()
    assert lp.num_row_ == compiled.n_rows == len(compiled.cons) == len(compiled.limits)
    assert lp.num_col_ == len(compiled.cols) == len(compiled.cost) == len(compiled.col_lower)
    assert np.array_equal(lp.row_lower_, compiled.row_lower)
    assert np.array_equal(lp.row_upper_, compiled.row_upper)
    assert np.array_equal(compiled.row_lower[:before[2]], before[0])  # nothing recompiled
    extended = run(compiled)

    data = prepare(inputs(), Policy())
    whole = build_model(data)
    add_floor(whole, 2.0, matrix=matrix)
    fresh = run(compile_model(whole))
    assert extended.objective == pytest.approx(13.0) == fresh.objective
    assert extended.row_dual == pytest.approx(fresh.row_dual)
    table = constraint_table(compiled, extended, "max_outcome")
    (floor,) = table[(table["component"] == "pareto_at_least")
                     & (table["objective"] == "floor")].itertuples()
    assert floor.family == "pareto" and floor.name == "Spend on A held (floor)"
    assert floor.shadow_price == pytest.approx(-1.0)
    assert floor.meaning == "Raising spend on A by £1m would give up 1.00 weighted outcomes."


def test_a_new_rows_limit_moves_through_its_parameter_and_update_limits():
    session = build(inputs(), Policy())
    session.solve()
    add_floor(session.model, 2.0)
    session.compiled.extend()
    session.model.pareto_at_least_limit["floor"] = 3.0
    session.compiled.update_limits(["pareto_at_least"])
    assert session.solve().objective == pytest.approx(12.0)  # £3m in A (6), £2m in B (6)


def test_the_infeasibility_advice_names_an_analysis_row_in_its_own_unit():
    """A floor of £6m on A is above A's £4m cap: the advice relaxes the floor (a policy-like
    choice, weight 1) rather than the cap or the money, by £2m."""
    session = build(inputs(), Policy())
    add_floor(session.model, 6.0)
    session.compiled.extend()
    out = session.solve()
    assert out.status == "infeasible"
    advice = diagnose_infeasibility(session.compiled)
    (relax,) = advice.relaxations
    assert (relax.name, relax.family, relax.relax_by) == ("Spend on A held (floor)", "pareto",
                                                          pytest.approx(2.0))
    assert "relax 'Spend on A held (floor)' by £2.0m" in advice.message


def test_a_variable_that_grew_since_it_was_compiled_is_refused():
    session = build(inputs(), Policy())
    m = session.model
    m.extra = pyo.Var([0])
    session.compiled.extend()
    m.extra._index_set.add(1)  # an indexed Var given a new index after compiling
    m.extra[1]
    with pytest.raises(ValueError, match="changed size"):
        session.compiled.extend()


def test_a_matrix_row_must_match_its_index_and_columns():
    m = build(inputs(), Policy()).model
    with pytest.raises(ValueError, match="matrix for 2 rows"):
        add_matrix_rows(m, "robust_tail", "robust", [0, 1], list(m.x.values()),
                        sparse.csr_matrix(np.ones((3, len(m.x)))), ">=", {0: 0.0, 1: 0.0},
                        name=str)


def test_removing_an_analysis_rows_restores_the_model_it_extended():
    """The floor added, solved (13), removed: the model is the one compiled (14), in HiGHS, in
    this object's arrays and in the Pyomo model; the same component can be added again."""
    session = build(inputs(), Policy())
    compiled = session.compiled
    n_rows, n_hrows, lower = compiled.n_rows, compiled.n_hrows, compiled.row_lower.copy()
    add_floor(session.model, 2.0, matrix=True)
    compiled.extend()
    assert session.solve().objective == pytest.approx(13.0)
    compiled.remove("pareto_at_least")
    assert compiled.highs.getNumRow() == compiled.n_hrows == n_hrows
    assert compiled.n_rows == n_rows == len(session.model.row_info)
    assert len(compiled.cons) == len(compiled.limits) == n_rows
    assert np.array_equal(compiled.row_lower, lower)
    assert not hasattr(session.model, "pareto_at_least_limit")
    assert session.solve().objective == pytest.approx(14.0)
    add_rows(session.model, "pareto_at_least", "pareto", ["again"],
             body=lambda i: linear([(1.0, session.model.x[0])]), sense=">=",
             limit={"again": 0.0}, name=lambda i: "again")
    compiled.extend()
    assert compiled.rows[-1].name == "again" and compiled.highs.getNumRow() == n_hrows + 1


def test_every_analysis_catalogue_entry_is_built_by_an_analysis():
    """The analyses' rows are catalogued apart from the model's families (no policy switches
    them); each entry is one that an analysis builds (the Pareto frontier's with equity as the
    held aim and with an aim that is better higher, the robust plan's, the flexibility
    analysis's held outcome)."""
    from budgetopt.analyses.flexibility import _Held
    from budgetopt.analyses.pareto import HOLD
    from budgetopt.families.rows import analysis_catalogue, catalogue, family_catalogue
    from tests.families.cases import two_services

    held = _Held(two_services(5.0), Policy(), 0.01)
    assert "flexibility_hold" in {info.component for info in held.session.compiled.rows}
    built = {"pareto_equity_top", "pareto_equity_bottom", *HOLD.values(), "robust_tail",
             "flexibility_hold"}
    families = {"pareto", "robust", "flexibility"}
    assert set(analysis_catalogue()["constraints"]) == built
    assert set(analysis_catalogue()["families"]) == families
    assert not built & set(catalogue()) and not families & set(family_catalogue())
