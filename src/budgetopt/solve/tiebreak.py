"""The plan chosen among equally good ones: a lexicographic second stage after the optimum.

Where several allocations reach the optimal objective, the solver's plan is whatever vertex
it lands on: a scheme's funding source can swap from year to year for no reason. After the
optimum (MODEL.md, "The plan chosen among equally good ones"):

.. math::

    stage 2:  min Σ_{s,p,y} (d⁺[s,p,y] + d⁻[s,p,y])   over the optimal face, with
              S[s,p,y] − d⁺[s,p,y] + d⁻[s,p,y] = B[s,p,y]
    stage 3:  min Σ_{i,s,y>y₀} (e⁺[i,s,y] + e⁻[i,s,y])   over the optimal face, x as stage 2
              chose it, with f[i,s,y] − f[i,s,y−1] − e⁺[i,s,y] + e⁻[i,s,y] = 0

The optimal face is the set of plans as good as the optimum: by complementary slackness with
the optimum's duals, every column with a reduced cost stays at its bound and every row with a
shadow price at its limit (a reduced cost or price below 10⁻⁹ of the largest objective
coefficient counts as zero, so the objective moves by less than 10⁻⁹ relative, and no
tolerance is left for the later stages to trade outcome for nearness). Stage 2 picks, among
the optimal plans, the one that moves least from the baseline B (least total absolute change
of spend by service, place and year); stage 3 keeps that spend and picks the funding whose
source for each service changes least from year to year (a source paying a scheme keeps
paying it unless money or eligibility forces a change). Both are re-solves of the same HiGHS
object from the optimal basis (the added rows start basic, the added columns at zero);
afterwards every added row and column is deleted and the costs, bounds and basis of the
optimum are put back, so later re-solves (sweeps) see the model as it was. A mixed-integer
model's integer choices are held at the optimum's values for both stages. The shadow prices
stay those of the optimum: a dual optimum is optimal for every primal optimum, so they hold
for the chosen plan too.

=========  ==========================================================  ========
symbol     meaning                                                      unit
=========  ==========================================================  ========
d⁺, d⁻     rise and fall of S[s,p,y] from the baseline B[s,p,y]         £m
B[s,p,y]   baseline spend on service s in place p and year y            £m
e⁺, e⁻     rise and fall of f[i,s,y] from the year before               £m
=========  ==========================================================  ========
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import TYPE_CHECKING

import highspy
import numpy as np

from budgetopt.model.data import ModelData
from budgetopt.solve.highs import Compiled, SolveOutcome, change_rows_bounds, set_time_limit

if TYPE_CHECKING:
    from budgetopt.policy import SolverSettings

_OPTIMAL = highspy.HighsModelStatus.kOptimal
FACE_TOL = 1e-9  # a reduced cost or dual below this (× the largest cost) counts as zero


def _spend_groups(data: ModelData) -> tuple[np.ndarray, np.ndarray]:
    """(group of each segment column, baseline £m of each group): a group is a service, place
    and year, numbered in order of first appearance."""
    key = ["service_id", "place_id", "year"]
    seg = data.segments[key]
    codes = seg.groupby(key, sort=False, dropna=False).ngroup().to_numpy()
    base = data.baseline.groupby(key, sort=False, dropna=False)["amount_m"].sum().to_dict()
    firsts = seg.drop_duplicates(key).itertuples(index=False, name=None)
    return codes, np.array([float(base.get(k, 0.0)) for k in firsts])


def _flow_pairs(data: ModelData) -> tuple[np.ndarray, np.ndarray]:
    """(this year's flow, last year's flow) positions of each source, service and year after
    the first, where both flows exist."""
    flows = data.flows.reset_index(drop=True)
    pos = {(i, s, y): k for k, (i, s, y) in enumerate(
        zip(flows["source_id"], flows["service_id"], flows["year"]))}
    prev = dict(zip(data.years[1:], data.years[:-1]))
    cur, before = [], []
    for (i, s, y), k in pos.items():
        j = pos.get((i, s, prev.get(y)))
        if j is not None:
            cur.append(k)
            before.append(j)
    return np.array(cur, dtype=np.int64), np.array(before, dtype=np.int64)


def _stage(h: highspy.Highs, n_cols: int, n_rows: int, group_cols: list[np.ndarray],
           targets: np.ndarray, options: SolverSettings) -> np.ndarray | None:
    """Minimise the total absolute deviation of Σ group_cols[g] from targets[g]: adds a rise
    and a fall column and a row per group, solves, returns the solution's first `n_cols`
    values (None if not optimal). The added columns and rows stay (the caller deletes them)."""
    k = len(group_cols)
    first = h.getNumCol()
    h.addCols(2 * k, np.ones(2 * k), np.zeros(2 * k), np.full(2 * k, highspy.kHighsInf), 0,
              np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0))
    sizes = np.array([len(c) + 2 for c in group_cols], dtype=np.int64)
    starts = np.r_[0, np.cumsum(sizes)[:-1]].astype(np.int32)
    index = np.concatenate([np.r_[c, first + 2 * g, first + 2 * g + 1]
                            for g, c in enumerate(group_cols)]).astype(np.int32)
    value = np.concatenate([np.r_[np.ones(len(c)), -1.0, 1.0] for c in group_cols])
    h.addRows(k, targets, targets, len(index), starts, index, value)
    set_time_limit(h, options.time_limit_s)
    h.run()
    if h.getModelStatus() != _OPTIMAL:
        return None
    return np.asarray(h.getSolution().col_value, dtype=float)[:n_cols]


def tie_break(compiled: Compiled, data: ModelData, outcome: SolveOutcome,
              options: SolverSettings) -> SolveOutcome:
    """The plan among `outcome`'s equally good ones that moves least from the baseline, then
    whose funding changes least from year to year (see the module's docstring); `outcome`
    itself when a stage cannot be solved. The HiGHS object is left as the optimum had it."""
    rc = outcome.col_dual
    if (not outcome.ok or outcome.col_value is None or outcome.objective is None
            or rc is None or outcome.row_dual is None or not np.isfinite(rc).all()):
        return outcome
    t0 = time.perf_counter()
    h = compiled.highs
    n_cols, n_rows = len(compiled.cols), compiled.n_hrows  # HiGHS's rows of the model
    basis = h.getBasis()
    cost = compiled.cost.copy()
    ints = np.flatnonzero(compiled.integer)
    x = outcome.col_value
    try:
        if len(ints):  # hold the integer choices: the later stages are linear programmes
            fixed = np.round(x[ints])
            h.changeColsBounds(len(ints), ints.astype(np.int32), fixed, fixed)
            h.changeColsIntegrality(len(ints), ints.astype(np.int32), np.array(
                [highspy.HighsVarType.kContinuous] * len(ints)))
        # the optimal face: columns with a reduced cost stay at their bound, rows with a
        # shadow price at their limit (complementary slackness with the optimum's duals)
        scale = max(1.0, float(np.abs(cost).max(initial=0.0)))
        held = np.flatnonzero(np.abs(rc) > FACE_TOL * scale).astype(np.int32)
        if len(held):
            h.changeColsBounds(len(held), held, x[held], x[held])
        upper = np.array([info.sense == "<=" for info in compiled.rows], dtype=bool)
        tight = np.flatnonzero(np.abs(outcome.row_dual) > FACE_TOL * scale)
        if len(tight):
            limit = np.where(upper[tight], compiled.row_upper[tight], compiled.row_lower[tight])
            hr, at = np.unique(compiled.hrow[tight], return_index=True)  # one per HiGHS row
            change_rows_bounds(h, hr, limit[at], limit[at])
        h.changeColsCost(n_cols, np.arange(n_cols, dtype=np.int32), np.zeros(n_cols))
        h.changeObjectiveSense(highspy.ObjSense.kMinimize)
        xcols = compiled.columns(compiled.model.x)
        codes, base = _spend_groups(data)
        order = np.argsort(codes, kind="stable")
        bounds = np.searchsorted(codes[order], np.arange(len(base) + 1))
        free = np.ones(n_cols, dtype=bool)
        free[held] = False
        free &= compiled.col_lower < compiled.col_upper
        if len(ints):
            free[ints] = False
        groups = [xcols[order[bounds[g]:bounds[g + 1]]] for g in range(len(base))]
        # a group whose every column is fixed on the face has a spend that cannot move
        moving = [g for g, c in enumerate(groups) if free[c].any()]
        spent = (_stage(h, n_cols, n_rows, [groups[g] for g in moving], base[moving], options)
                 if moving else x.copy())
        if spent is None:
            return outcome
        result = spent
        cur, before = _flow_pairs(data)
        fmap = compiled.model.flows
        # a flow with a column of its own, or −1 where the flow is its service's spend (which
        # stage 3 holds at stage 2's value: a constant)
        fcol = np.full(len(fmap.var), -1, dtype=np.int64)
        fcol[fmap.real] = compiled.columns(compiled.model.flow)[fmap.var[fmap.real]]
        moves = fmap.real.copy()
        moves[fmap.real] = free[fcol[fmap.real]]
        pick = moves[cur] | moves[before] if len(cur) else np.zeros(0, dtype=bool)
        if pick.any():
            # stage 3: spend as stage 2 chose it; the flows change least from year to year
            h.changeColsBounds(len(xcols), xcols.astype(np.int32), spent[xcols], spent[xcols])
            h.changeColsCost(h.getNumCol(), np.arange(h.getNumCol(), dtype=np.int32),
                             np.zeros(h.getNumCol()))
            amount = fmap.values(spent[xcols], spent[compiled.columns(compiled.model.flow)])
            a, b = cur[pick], before[pick]
            k = len(a)
            first = h.getNumCol()
            h.addCols(2 * k, np.ones(2 * k), np.zeros(2 * k),
                      np.full(2 * k, highspy.kHighsInf), 0, np.zeros(0, np.int32),
                      np.zeros(0, np.int32), np.zeros(0))
            # f_a − f_b − rise + fall = 0, a spend's flow moved to the right-hand side
            rise, fall = first + 2 * np.arange(k), first + 2 * np.arange(k) + 1
            cols = np.column_stack([fcol[a], fcol[b], rise, fall])
            vals = np.broadcast_to(np.array([1.0, -1.0, -1.0, 1.0]), cols.shape)
            keep = cols >= 0
            rhs = (np.where(fcol[b] < 0, amount[b], 0.0)
                   - np.where(fcol[a] < 0, amount[a], 0.0))
            starts = np.r_[0, np.cumsum(keep.sum(axis=1))[:-1]].astype(np.int32)
            index = cols[keep].astype(np.int32)
            h.addRows(k, rhs, rhs, len(index), starts, index, vals[keep])
            set_time_limit(h, options.time_limit_s)
            h.run()
            if h.getModelStatus() == _OPTIMAL:
                result = np.asarray(h.getSolution().col_value, dtype=float)[:n_cols]
        sol = h.getSolution()
        row_value = compiled.model_values(np.asarray(sol.row_value, dtype=float)[:n_rows]) \
            if h.getModelStatus() == _OPTIMAL else None
    finally:
        extra_rows = h.getNumRow() - n_rows
        if extra_rows:
            h.deleteRows(extra_rows, np.arange(n_rows, n_rows + extra_rows, dtype=np.int32))
        extra_cols = h.getNumCol() - n_cols
        if extra_cols:
            h.deleteCols(extra_cols, np.arange(n_cols, n_cols + extra_cols, dtype=np.int32))
        change_rows_bounds(h, np.arange(n_rows), *compiled.hbounds())
        h.changeColsCost(n_cols, np.arange(n_cols, dtype=np.int32), cost)
        h.changeObjectiveSense(highspy.ObjSense.kMaximize if compiled.maximise
                               else highspy.ObjSense.kMinimize)
        h.changeColsBounds(n_cols, np.arange(n_cols, dtype=np.int32), compiled.col_lower,
                           compiled.col_upper)
        if len(ints):
            h.changeColsIntegrality(len(ints), ints.astype(np.int32), np.array(
                [highspy.HighsVarType.kInteger] * len(ints)))
        h.setBasis(basis)
    if row_value is None:  # stage 3 failed: the rows at stage 2's plan
        row_value = _activities(compiled, result)
    objective = float(cost @ result) + compiled.obj_constant
    return replace(outcome, col_value=result, objective=objective, _row_value=row_value,
                   seconds=outcome.seconds + time.perf_counter() - t0)


def _activities(compiled: Compiled, x: np.ndarray) -> np.ndarray:
    """Row activities of the original rows at `x`."""
    lp = compiled.highs.getLp()
    a = lp.a_matrix_
    from scipy import sparse  # here: a solve loads no scipy (tests/cli/test_startup.py)

    shape = (lp.num_row_, lp.num_col_)
    if a.format_ == highspy.MatrixFormat.kRowwise:
        mat = sparse.csr_matrix((a.value_, a.index_, a.start_), shape=shape)
    else:
        mat = sparse.csc_matrix((a.value_, a.index_, a.start_), shape=shape)
    return compiled.model_values(np.asarray(mat @ x)[: compiled.n_hrows])
