"""Solve a budgetopt Pyomo model with HiGHS.

The Pyomo model is compiled row by row into a sparse matrix (each constraint's linear
representation from Pyomo's own ``generate_standard_repn``) and passed to HiGHS through
``highspy`` in one call. This is the fast route measured in PERF-NOTES.md: Pyomo's stock
interfaces spend most of their time converting constraints, not solving. The compiled model
keeps its HiGHS object, so sweeps change limits (:meth:`Compiled.update_limits`) or costs
and re-solve without rebuilding, and analyses that add their own rows and columns to the Pyomo
model (through :mod:`budgetopt.families.rows`) append just those (:meth:`Compiled.extend`).

HiGHS's rows are the model's rows, except that a pair of rows declared twins (the same body,
opposite senses: a service's minimum and maximum, see
:func:`budgetopt.families.rows.add_matrix_rows`) is one ranged row in HiGHS. Everything the
callers see stays per model row (limits, activities, shadow prices); :class:`Compiled` maps
between the two (``hrow``, :meth:`Compiled.hbounds`, :meth:`Compiled.model_duals`), and code
that talks to the HiGHS object about rows goes through that map.

Statuses are reported in plain words (optimal, infeasible, unbounded, time_limit, error) with
HiGHS's own status kept alongside. Shadow prices are HiGHS row duals, which for both senses are
d(objective)/d(limit): a binding budget in a maximisation has a positive one. For a
mixed-integer model the duals come from the LP with the integer choices fixed, and say so.
"""

from __future__ import annotations

import contextlib
import math
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING

import highspy
import numpy as np
import pyomo.core as pyo
from pyomo.core.base.constraint import ConstraintData
from pyomo.core.base.param import ParamData
from pyomo.core.base.var import VarData
from pyomo.core.expr.numeric_expr import LinearExpression, MonomialTermExpression
from pyomo.core.expr.numvalue import NumericValue
from pyomo.repn.standard_repn import generate_standard_repn

from budgetopt.families.rows import RowInfo, RowMatrix
from budgetopt.solve.status import SolveStatus

if TYPE_CHECKING:
    from budgetopt.policy import SolverSettings

INF = highspy.kHighsInf
_MS = highspy.HighsModelStatus
STATUS_WORDS = {
    _MS.kOptimal: SolveStatus.OPTIMAL,
    _MS.kInfeasible: SolveStatus.INFEASIBLE,
    _MS.kUnbounded: SolveStatus.UNBOUNDED,
    _MS.kTimeLimit: SolveStatus.TIME_LIMIT,
    _MS.kIterationLimit: SolveStatus.TIME_LIMIT,
    _MS.kSolutionLimit: SolveStatus.TIME_LIMIT,
    _MS.kInterrupt: SolveStatus.TIME_LIMIT,
}


@contextlib.contextmanager
def _quiet_fd() -> Iterator[None]:
    """Silence C-level stdout (HiGHS prints a banner when the first object is made)."""
    try:
        fd = os.dup(1)
    except OSError:  # no real stdout (e.g. some embedded runners)
        yield
        return
    with open(os.devnull, "w") as null:
        try:
            os.dup2(null.fileno(), 1)
            yield
        finally:
            os.dup2(fd, 1)
            os.close(fd)


FEASIBILITY_TOL = 1e-9
"""How far HiGHS may leave a row or bound unmet, in the model's units: money is in £m, so this
is a tenth of a penny (HiGHS's own default, 1e-7 £m, is 10p: a minimum 5p over the funding
would solve "optimal"). For the mixed-integer solver too (its default is 1e-6, £1)."""


def new_highs() -> highspy.Highs:
    with _quiet_fd():
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("primal_feasibility_tolerance", FEASIBILITY_TOL)
    h.setOptionValue("mip_feasibility_tolerance", FEASIBILITY_TOL)
    return h


@dataclass(frozen=True)
class SolveOutcome:
    """What the solver said, in plain words and in its own."""

    status: SolveStatus
    solver_status: str  # HiGHS's own words
    objective: float | None
    col_value: np.ndarray | None
    row_dual: np.ndarray | None  # d objective / d limit, per row
    seconds: float
    mip: bool = False
    mip_gap: float | None = None
    duals_note: str = ""  # e.g. "from the LP with integer choices fixed"
    # Row activities and reduced costs: arrays, or HiGHS's solution to read them from when
    # first asked (a sweep re-solving hundreds of times reads neither).
    _row_value: np.ndarray | highspy.HighsSolution | None = None
    _col_dual: np.ndarray | highspy.HighsSolution | None = None
    _hrow: np.ndarray | None = None  # model row -> HiGHS row, where they differ


    @property
    def ok(self) -> bool:
        return self.status == SolveStatus.OPTIMAL

    @cached_property
    def row_value(self) -> np.ndarray | None:
        """Row activity (left-hand side), per row."""
        v = self._row_value
        if not isinstance(v, highspy.HighsSolution):
            return v
        values = np.asarray(v.row_value, dtype=float)
        return values if self._hrow is None else values[self._hrow]

    @cached_property
    def col_dual(self) -> np.ndarray | None:
        """Reduced costs, per column."""
        v = self._col_dual
        if isinstance(v, highspy.HighsSolution):
            return np.asarray(v.col_dual, dtype=float) if v.dual_valid else None
        return v


@dataclass
class Compiled:
    """A Pyomo model compiled into HiGHS, ready to solve and re-solve."""

    model: pyo.ConcreteModel
    highs: highspy.Highs
    cols: list[VarData]  # in column order
    col_of: dict[int, int]  # id(var) -> column
    rows: list[RowInfo]
    cons: list[ConstraintData | None]  # in row order (None for a row of a RowMatrix)
    row_lower: np.ndarray
    row_upper: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    cost: np.ndarray
    integer: np.ndarray  # bool per column
    maximise: bool
    obj_constant: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    _constants: np.ndarray = field(default_factory=lambda: np.zeros(0))
    blocks: dict[int, tuple[int, int]] = field(default_factory=dict)  # id(Var) -> (first, n)
    # components -> their rows (update_limits); None: every row
    _row_sets: dict[tuple[str, ...] | None, np.ndarray] = field(default_factory=dict)
    limits: list[ParamData] = field(default_factory=list)  # each row's mutable limit, in order
    fixed: set[int] = field(default_factory=set)  # columns fixed when compiled (constants)
    # model rows -> HiGHS rows: twins (one body, both senses) share a ranged HiGHS row
    hrow: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # per model row
    primary: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # per HiGHS row
    partner: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # twin or -1

    @property
    def n_rows(self) -> int:
        """Rows of the model (each a RowInfo; a ranged HiGHS row is two of them)."""
        return len(self.rows)

    @property
    def n_hrows(self) -> int:
        """Rows of the LP in HiGHS (without an analysis's rows added to HiGHS alone)."""
        return len(self.primary)

    @property
    def merged(self) -> bool:
        """Whether some model rows share a HiGHS row."""
        return self.n_hrows < self.n_rows

    def hbounds(self, hrows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """HiGHS rows' bounds (every row, or `hrows`) from the model rows' limits: a ranged
        row has its ≥ twin's lower and its ≤ twin's upper bound."""
        r = self.primary if hrows is None else self.primary[np.asarray(hrows, dtype=np.int64)]
        lo, up = self.row_lower[r].copy(), self.row_upper[r].copy()
        p = self.partner[r]
        two = p >= 0
        if two.any():
            lo[two] = np.maximum(lo[two], self.row_lower[p[two]])
            up[two] = np.minimum(up[two], self.row_upper[p[two]])
        return lo, up

    def set_hbounds(self, rows: np.ndarray) -> None:
        """Give HiGHS the bounds of model rows `rows` (their HiGHS rows, merged)."""
        hr = np.unique(self.hrow[np.asarray(rows, dtype=np.int64)])
        if len(hr):
            lo, up = self.hbounds(hr)
            change_rows_bounds(self.highs, hr, lo, up)

    def model_values(self, hvalues: np.ndarray) -> np.ndarray:
        """Per model row, from an array per HiGHS row (activities: twins share theirs)."""
        hvalues = np.asarray(hvalues, dtype=float)
        return hvalues[self.hrow] if self.merged else hvalues[:self.n_rows].copy()

    def model_duals(self, hdual: np.ndarray) -> np.ndarray:
        """Shadow prices per model row from HiGHS's row duals (d objective / d limit): a
        ranged row's dual belongs to the side it pushes against, the ≤ twin when raising the
        limit is worth something (maximising; when it costs, minimising), the ≥ twin
        otherwise; the other twin's is 0."""
        d = np.asarray(hdual, dtype=float)
        if not self.merged:
            return d[:self.n_rows].copy()
        d = d[self.hrow]
        twin = self.partner >= 0
        upper = self._senses == "<="
        to_upper = (d > 0) == self.maximise
        d[twin & (upper != to_upper)] = 0.0
        return d

    def at_bound(self, row_status: list[highspy.HighsBasisStatus], rows: Iterable[int]
                 ) -> dict[int, bool]:
        """Whether each of model rows `rows` is nonbasic at its own limit, from HiGHS's
        basis row statuses (a ranged row is at one twin's limit, or both when they meet)."""
        basic = highspy.HighsBasisStatus.kBasic
        side = {">=": highspy.HighsBasisStatus.kLower, "<=": highspy.HighsBasisStatus.kUpper}
        out: dict[int, bool] = {}
        for r in rows:
            status = row_status[int(self.hrow[r])]
            p = int(self.partner[r])
            if p < 0 or self.row_lower[min(r, p)] == self.row_upper[max(r, p)] or \
                    self.rows[r].sense == "==":
                out[r] = status != basic
            else:
                out[r] = status == side[self.rows[r].sense]
        return out

    @cached_property
    def _senses(self) -> np.ndarray:
        return np.array([info.sense for info in self.rows])

    def column(self, var: VarData) -> int:
        return self.col_of[id(var)]

    def columns(self, component: pyo.Var) -> np.ndarray:
        """Column numbers of an indexed Pyomo Var, in its index order."""
        block = self.blocks.get(id(component))
        if block is not None:  # compiled as one run of columns
            return np.arange(block[0], block[0] + block[1], dtype=np.int64)
        return np.fromiter((self.col_of[id(v)] for v in component.values()), dtype=np.int64)

    # -- changes for re-solves --------------------------------------------------------------
    def update_limits(self, components: Iterable[str] | None = None) -> None:
        """Re-read rows' limits from the model's mutable parameters into HiGHS: every row, or
        only the rows of the named constraint components (a sweep that moves one kind of
        limit need not re-read the other thousands)."""
        rows = self._rows_of(None if components is None else tuple(components))
        lo, up = _row_bounds([self.rows[r] for r in rows.tolist()],
                             [self.limits[r] for r in rows.tolist()], self._constants[rows])
        moved = (lo != self.row_lower[rows]) | (up != self.row_upper[rows])
        changed = rows[moved]
        if len(changed):
            self.row_lower[changed], self.row_upper[changed] = lo[moved], up[moved]
            self.set_hbounds(changed)

    def _rows_of(self, components: tuple[str, ...] | None) -> np.ndarray:
        rows = self._row_sets.get(components)
        if rows is None:
            rows = (np.arange(self.n_rows) if components is None else np.array(
                [r for r, info in enumerate(self.rows) if info.component in components], int))
            self._row_sets[components] = rows
        return rows

    def loosen(self, row: int, amount: float, direction: str | None = None) -> None:
        """Move row `row`'s limit by `amount` model units in the direction that loosens it
        (up for a ≤ row, down for a ≥ row; for an equality, `direction` "up" or "down"), in
        the model's mutable parameter and in HiGHS."""
        info = self.rows[row]
        if info.sense == "==":
            if direction not in ("up", "down"):
                raise ValueError(f"'{info.name}' is an equality: say which way to move it")
            up = direction == "up"
        else:
            up = info.sense == "<="
        param = getattr(self.model, f"{info.component}_limit")[info.index]
        param.value = float(pyo.value(param)) + (amount if up else -amount)
        self.update_limits([info.component])

    def set_costs(self, cost: np.ndarray, *, maximise: bool | None = None) -> None:
        """Replace the objective coefficients (in the model's own sense, or in the sense
        `maximise` says)."""
        cost = np.asarray(cost, dtype=float)
        idx = np.arange(len(cost), dtype=np.int32)
        self.highs.changeColsCost(len(cost), idx, cost)
        self.cost = cost
        if maximise is not None and maximise != self.maximise:
            self.highs.changeObjectiveSense(highspy.ObjSense.kMaximize if maximise
                                            else highspy.ObjSense.kMinimize)
            self.maximise = maximise

    def set_col_bounds(self, cols: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        cols = np.asarray(cols, dtype=np.int32)
        self.highs.changeColsBounds(len(cols), cols, np.asarray(lower, float),
                                    np.asarray(upper, float))
        self.col_lower[cols], self.col_upper[cols] = lower, upper

    # -- an analysis's own rows and columns ---------------------------------------------------
    def extend(self) -> tuple[np.ndarray, np.ndarray]:
        """Append to HiGHS the variables and rows added to the Pyomo model since it was
        compiled: new Var components become columns (cost 0: set the objective with
        :meth:`set_costs`), rows added through :func:`budgetopt.families.rows.add_rows` or
        :func:`~budgetopt.families.rows.add_matrix_rows` become rows, and every array of this
        object follows. HiGHS keeps its basis (new columns at a bound, new rows basic), so the
        next solve starts warm; nothing is recompiled.

        Returns the new columns and the new rows (numbers). A Var that was compiled must not
        have gained indices since.
        """
        m = self.model
        new_vars = []
        for comp in m.component_objects(pyo.Var, active=True, descend_into=True, sort=False):
            compiled = self.blocks.get(id(comp))
            if compiled is None:
                new_vars.append(comp)
            elif compiled[1] != len(comp):
                raise ValueError(f"variable {comp.local_name} changed size since it was compiled")
        first_col = len(self.cols)
        if new_vars:
            cols: list[VarData] = []
            lower: list[np.ndarray] = []
            upper: list[np.ndarray] = []
            integer: list[np.ndarray] = []
            for comp in new_vars:
                block = list(comp.values())
                self.blocks[id(comp)] = (first_col + len(cols), len(block))
                cols += block
                lo, up, ints = _column_bounds(block)
                lower.append(lo)
                upper.append(up)
                integer.append(ints)
            k = len(cols)
            lo, up, ints = np.concatenate(lower), np.concatenate(upper), np.concatenate(integer)
            self.highs.addCols(k, np.zeros(k), lo, up, 0, np.zeros(0, np.int32),
                               np.zeros(0, np.int32), np.zeros(0))
            if ints.any():
                self.highs.changeColsIntegrality(
                    k, np.arange(first_col, first_col + k, dtype=np.int32),
                    np.array([highspy.HighsVarType.kInteger if i else
                              highspy.HighsVarType.kContinuous for i in ints]))
            self.col_of.update({id(v): first_col + j for j, v in enumerate(cols)})
            self.fixed.update(first_col + j for j, v in enumerate(cols) if v.fixed)
            self.cols += cols
            self.col_lower = np.r_[self.col_lower, lo]
            self.col_upper = np.r_[self.col_upper, up]
            self.integer = np.r_[self.integer, ints]
            self.cost = np.r_[self.cost, np.zeros(k)]
        first_row = self.n_rows
        new_rows = list(m.row_info[first_row:])
        if new_rows:
            cons, limits, starts, index, value, constants = _compile_rows(
                m, new_rows, self.col_of, self.fixed)
            lo, up = _row_bounds(new_rows, limits, constants)
            hrow, primary, partner = _twins(m, new_rows, starts, index, value, constants)
            starts, index, value = _take_rows(starts, index, value, primary)
            hlo, hup = _merged_bounds(lo, up, primary, partner)
            self.highs.addRows(len(primary), hlo, hup, len(index), starts.astype(np.int32),
                               index, value)
            self.hrow = np.r_[self.hrow, self.n_hrows + hrow]
            self.primary = np.r_[self.primary, first_row + primary]
            self.partner = np.r_[self.partner, np.where(partner >= 0, first_row + partner, -1)]
            self.rows += new_rows
            self.cons += cons
            self.limits += limits
            self.row_lower = np.r_[self.row_lower, lo]
            self.row_upper = np.r_[self.row_upper, up]
            self._constants = np.r_[self._constants, constants]
            self._row_sets.clear()
            self.__dict__.pop("_senses", None)
        return (np.arange(first_col, len(self.cols), dtype=np.int64),
                np.arange(first_row, self.n_rows, dtype=np.int64))

    def remove(self, component: str) -> None:
        """Remove an analysis's rows of `component` (added through the row door and
        :meth:`extend`) from HiGHS, from this object and from the Pyomo model: the inverse of
        adding them, so that a row needed for one step (a lexicographic tie-break) does not
        weigh on every later solve. HiGHS keeps the basis of the other rows."""
        rows = np.array([r for r, info in enumerate(self.rows) if info.component == component],
                        dtype=np.int64)
        if not len(rows):
            raise KeyError(f"no rows of {component!r} in this model")
        if (self.partner[rows] >= 0).any():
            raise ValueError(f"{component!r} shares HiGHS rows with its twin: not removable")
        gone = self.hrow[rows]
        self.highs.deleteRows(len(gone), gone.astype(np.int32))
        keep = np.ones(self.n_rows, dtype=bool)
        keep[rows] = False
        hkeep = np.ones(self.n_hrows, dtype=bool)
        hkeep[gone] = False
        new_model = np.cumsum(keep) - 1
        self.hrow = (np.cumsum(hkeep) - 1)[self.hrow[keep]]
        self.primary = new_model[self.primary[hkeep]]
        partner = self.partner[keep]
        self.partner = np.where(partner >= 0, new_model[np.maximum(partner, 0)], -1)
        self.__dict__.pop("_senses", None)
        self.rows = [info for info, k in zip(self.rows, keep.tolist()) if k]
        self.cons = [c for c, k in zip(self.cons, keep.tolist()) if k]
        self.limits = [c for c, k in zip(self.limits, keep.tolist()) if k]
        self.row_lower, self.row_upper = self.row_lower[keep], self.row_upper[keep]
        self._constants = self._constants[keep]
        self._row_sets.clear()
        m = self.model
        m.row_info[:] = [info for info in m.row_info if info.component != component]
        getattr(m, "row_matrices", {}).pop(component, None)
        for name in (component, f"{component}_limit"):
            if m.component(name) is not None:
                m.del_component(name)
            elif hasattr(m, name):  # a matrix's limits (budgetopt.families.rows.Limits)
                delattr(m, name)


def change_rows_bounds(h: highspy.Highs, rows: np.ndarray, lower: np.ndarray,
                       upper: np.ndarray) -> None:
    """Set the bounds of rows `rows` of `h` in one call (the only way this package changes
    many rows' bounds)."""
    # highspy 1.16's stubs leave out changeRowsBounds; its binding has it (as it has
    # changeColsBounds, which the stubs do list)
    h.changeRowsBounds(len(rows), np.asarray(rows, dtype=np.int32),  # type: ignore[attr-defined]
                       np.asarray(lower, dtype=float), np.asarray(upper, dtype=float))


def _row_bounds(rows: list[RowInfo], limits: list[ParamData], constants: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """Each row's bounds in HiGHS: its limit (a mutable Param, see
    :func:`budgetopt.families.rows.add_rows`) less the constant its body carries, on the side its
    sense says. An infinite limit leaves the row free on that side."""
    lo = np.full(len(rows), -INF)
    up = np.full(len(rows), INF)
    for r, (info, limit) in enumerate(zip(rows, limits)):
        v = float(limit.value) - constants[r]
        if info.sense != "<=":
            lo[r] = v
        if info.sense != ">=":
            up[r] = v
    return lo, up


def _twins(m: pyo.ConcreteModel, rows: list[RowInfo], starts: np.ndarray, index: np.ndarray,
           value: np.ndarray, constants: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(HiGHS row of each row, the first model row of each HiGHS row, each row's twin or −1),
    numbered within `rows`. A row of a RowMatrix declared the twin of another component
    (:func:`budgetopt.families.rows.add_matrix_rows`) shares the HiGHS row of that
    component's row of the same index when the two have opposite inequality senses and the
    same terms and constant (checked here); every other row has one of its own."""
    n = len(rows)
    rep = np.arange(n, dtype=np.int64)
    twins = {c: rm.twin for c, rm in getattr(m, "row_matrices", {}).items()
             if getattr(rm, "twin", None)}
    pairs: list[tuple[int, int]] = []
    if twins:
        wanted = set(twins.values())
        where = {(info.component, info.index): r for r, info in enumerate(rows)
                 if info.component in wanted}
        for r, info in enumerate(rows):
            other = twins.get(info.component)
            q = where.get((other, info.index)) if other is not None else None
            if q is not None and {info.sense, rows[q].sense} == {"<=", ">="}:
                pairs.append((q, r))
    if pairs:
        a, b = (np.array(side, dtype=np.int64) for side in zip(*pairs))
        same = _same_rows(starts, index, value, a, b) & (constants[a] == constants[b])
        a, b = a[same], b[same]
        rep[b] = a
    partner = np.full(n, -1, dtype=np.int64)
    if pairs:
        partner[a], partner[b] = b, a
    primary = np.flatnonzero(rep == np.arange(n))
    number = np.cumsum(rep == np.arange(n)) - 1
    return number[rep], primary, partner


def _same_rows(starts: np.ndarray, index: np.ndarray, value: np.ndarray, a: np.ndarray,
               b: np.ndarray) -> np.ndarray:
    """Whether row a[k] and row b[k] of a row-wise matrix have the same terms, in order."""
    n = np.diff(starts)
    same = n[a] == n[b]
    a, b = a[same], b[same]
    if len(a):
        owner = np.repeat(np.arange(len(a)), n[a])
        offset = np.arange(len(owner)) - np.repeat(np.r_[0, np.cumsum(n[a])[:-1]], n[a])
        ia, ib = starts[a][owner] + offset, starts[b][owner] + offset
        bad = (index[ia] != index[ib]) | (value[ia] != value[ib])
        ok = np.ones(len(a), dtype=bool)
        ok[owner[bad]] = False
        same[np.flatnonzero(same)] = ok
    return same


def _take_rows(starts: np.ndarray, index: np.ndarray, value: np.ndarray, rows: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows `rows` (ascending) of a row-wise matrix (all of them: the arrays themselves)."""
    if len(rows) == len(starts) - 1:
        return starts, index, value
    n = np.diff(starts)[rows]
    first = np.r_[0, np.cumsum(n)]
    take = np.repeat(starts[rows] - first[:-1], n) + np.arange(first[-1])
    return first, index[take], value[take]


def _merged_bounds(lo: np.ndarray, up: np.ndarray, primary: np.ndarray, partner: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Bounds of the HiGHS rows `primary` (model rows) with their twins' limits merged."""
    hlo, hup = lo[primary].copy(), up[primary].copy()
    p = partner[primary]
    two = p >= 0
    hlo[two] = np.maximum(hlo[two], lo[p[two]])
    hup[two] = np.minimum(hup[two], up[p[two]])
    return hlo, hup


def _column_bounds(block: list[VarData]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lower and upper bounds and integrality of a list of Pyomo variables, read one by one."""
    return (np.array([v.lb if v.lb is not None else -INF for v in block], dtype=float),
            np.array([v.ub if v.ub is not None else INF for v in block], dtype=float),
            np.array([v.is_integer() or v.is_binary() for v in block], dtype=bool))


def _row_terms(body: NumericValue, col_of: dict[int, int], fixed: set[int]
               ) -> tuple[list[int], list[float]] | None:
    """(columns, coefficients) of a LinearExpression of variables and monomials, read
    directly (the model's rows are built so, see :func:`budgetopt.families.rows.linear`); None
    for anything else, and for a fixed variable (a constant that belongs in the limit): those
    go Pyomo's general route. A column appearing twice would be summed by HiGHS's duplicate
    check, so each (row, column) must be unique: such a body also goes the general route."""
    if type(body) is not LinearExpression:
        return None
    cols: list[int] = []
    coefs: list[float] = []
    for arg in body.args:
        if type(arg) is MonomialTermExpression:
            c, v = arg.args
            coefs.append(c if type(c) is float else pyo.value(c))
        else:
            v = arg
            coefs.append(1.0)
        j = col_of.get(id(v))  # None: not an active variable (a parameter or a constant)
        if j is None or j in fixed:
            return None
        cols.append(j)
    if len(set(cols)) != len(cols):
        return None
    return cols, coefs


def _compile_rows(m: pyo.ConcreteModel, rows: list[RowInfo], col_of: dict[int, int],
                  fixed: set[int]) -> tuple[list[ConstraintData | None], list[ParamData],
                                            np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Rows `rows` of `m` as a row-wise sparse matrix: (constraints, limits, starts, column
    indices, values, constants). A run of rows of one :class:`~budgetopt.families.rows.RowMatrix`
    is read from its matrix in one slice; any other row from its Pyomo body, directly or by
    Pyomo's general route."""
    matrices: dict[str, RowMatrix] = getattr(m, "row_matrices", {})
    cons: list[ConstraintData | None] = []
    limits: list[ParamData] = []
    counts = np.zeros(len(rows), dtype=np.int64)
    index_parts: list[np.ndarray] = []
    value_parts: list[np.ndarray] = []
    constants = np.zeros(len(rows))
    fixed_cols = np.fromiter(fixed, dtype=np.int64) if fixed else None
    # component -> (its Constraint, None for a RowMatrix's; its limits)
    components: dict[str, tuple[pyo.Constraint | None, pyo.Param]] = {}
    r = 0
    while r < len(rows):
        info = rows[r]
        comp = components.get(info.component)
        if comp is None:
            comp = components[info.component] = (getattr(m, info.component, None),
                                                 getattr(m, f"{info.component}_limit"))
        block = matrices.get(info.component)
        if block is not None:
            end = r + 1  # the run of this matrix's rows
            while end < len(rows) and rows[end].component == info.component:
                end += 1
            run = rows[r:end]
            limits += [comp[1][i.index] for i in run]
            cons += [None] * len(run)
            _matrix_rows(block, run, col_of, fixed_cols, r, counts, index_parts, value_parts,
                         constants)
            r = end
            continue
        limits.append(comp[1][info.index])
        if comp[0] is None:  # neither a Constraint nor a RowMatrix: the row door was bypassed
            raise KeyError(f"row {info.name!r}: the model has no rows {info.component!r}")
        con = comp[0][info.index]
        cons.append(con)
        terms = _row_terms(con.body, col_of, fixed)
        if terms is None:  # not a plain sum of terms: Pyomo's general route
            repn = generate_standard_repn(con.body, compute_values=True, quadratic=False)
            idx = [col_of[id(v)] for v in repn.linear_vars]
            coefs = repn.linear_coefs
            constants[r] = pyo.value(repn.constant)
        else:
            idx, coefs = terms
        index_parts.append(np.asarray(idx, dtype=np.int32))
        value_parts.append(np.asarray(coefs, dtype=float))
        counts[r] = len(idx)
        r += 1
    starts = np.r_[0, np.cumsum(counts)].astype(np.int64)
    index = np.concatenate(index_parts) if index_parts else np.zeros(0, np.int32)
    value = np.concatenate(value_parts) if value_parts else np.zeros(0)
    return cons, limits, starts, index, value, constants


def _matrix_rows(block: RowMatrix, run: list[RowInfo], col_of: dict[int, int],
                 fixed_cols: np.ndarray | None, first: int, counts: np.ndarray,
                 index_parts: list[np.ndarray], value_parts: list[np.ndarray],
                 constants: np.ndarray) -> None:
    """Rows `run` (numbered from `first`) of a RowMatrix, in one slice of its matrix: their
    columns, coefficients and counts appended, a fixed variable's term moved to the
    constants."""
    colmap = np.array([col_of[id(v)] for v in block.columns], dtype=np.int32)
    pos = np.fromiter((block.position[i.index] for i in run), dtype=np.int64, count=len(run))
    sub = block.matrix[pos] if not (len(pos) == block.matrix.shape[0]
                                    and (pos == np.arange(len(pos))).all()) else block.matrix
    idx = colmap[sub.indices]
    coefs = np.asarray(sub.data, dtype=float)
    n = np.diff(sub.indptr)
    if fixed_cols is not None:
        held = np.isin(idx, fixed_cols)  # a fixed variable is a constant
        if held.any():
            owner = np.repeat(np.arange(len(run)), n)
            values = np.array([block.columns[c].value for c in sub.indices[held]], dtype=float)
            np.add.at(constants, first + owner[held], coefs[held] * values)
            idx, coefs = idx[~held], coefs[~held]
            n = np.bincount(owner[~held], minlength=len(run))
    counts[first:first + len(run)] = n
    index_parts.append(idx.astype(np.int32))
    value_parts.append(coefs)


def compile_model(m: pyo.ConcreteModel) -> Compiled:
    """Compile `m` (a model from :func:`budgetopt.model.build.build_model`) into HiGHS."""
    t0 = time.perf_counter()
    hints = getattr(m, "bound_hints", {})
    cols: list[VarData] = []
    lower_parts: list[np.ndarray] = []
    upper_parts: list[np.ndarray] = []
    integer_parts: list[np.ndarray] = []
    blocks: dict[int, tuple[int, int]] = {}
    for comp in m.component_objects(pyo.Var, active=True, descend_into=True, sort=False):
        block = list(comp.values())
        blocks[id(comp)] = (len(cols), len(block))
        cols += block
        hint = hints.get(comp.local_name)
        if hint is not None and len(hint[0]) == len(block):
            # bounds the model took from the data (continuous): no per-variable reads
            lower_parts.append(np.asarray(hint[0], float))
            upper_parts.append(np.asarray(hint[1], float))
            integer_parts.append(np.zeros(len(block), bool))
        else:
            lo, up, ints = _column_bounds(block)
            lower_parts.append(lo)
            upper_parts.append(up)
            integer_parts.append(ints)
    col_of = {id(v): j for j, v in enumerate(cols)}
    fixed = {j for j, v in enumerate(cols) if v.fixed}
    n = len(cols)
    col_lower = np.concatenate(lower_parts) if cols else np.zeros(0)
    col_upper = np.concatenate(upper_parts) if cols else np.zeros(0)
    integer = np.concatenate(integer_parts) if cols else np.zeros(0, bool)

    rows: list[RowInfo] = list(m.row_info)
    cons, limits, starts, a_index, a_value, constants = _compile_rows(m, rows, col_of, fixed)
    row_lower, row_upper = _row_bounds(rows, limits, constants)
    hrow, primary, partner = _twins(m, rows, starts, a_index, a_value, constants)
    starts, a_index, a_value = _take_rows(starts, a_index, a_value, primary)
    h_lower, h_upper = _merged_bounds(row_lower, row_upper, primary, partner)

    obj = next(m.component_data_objects(pyo.Objective, active=True))
    cost = np.zeros(n)
    obj_constant = 0.0
    terms = _row_terms(obj.expr, col_of, fixed)
    if terms is None:
        orepn = generate_standard_repn(obj.expr, compute_values=True, quadratic=False)
        terms = ([col_of[id(v)] for v in orepn.linear_vars], orepn.linear_coefs)
        obj_constant = float(pyo.value(orepn.constant))
    np.add.at(cost, terms[0], np.asarray(terms[1], dtype=float))
    maximise = obj.sense == pyo.maximize
    t1 = time.perf_counter()

    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n, len(primary)
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = cost, col_lower, col_upper
    lp.row_lower_, lp.row_upper_ = h_lower, h_upper
    lp.offset_ = obj_constant
    lp.sense_ = highspy.ObjSense.kMaximize if maximise else highspy.ObjSense.kMinimize
    a = lp.a_matrix_
    a.format_ = highspy.MatrixFormat.kRowwise
    a.num_col_, a.num_row_ = n, len(primary)
    a.start_ = starts.astype(np.int32)
    a.index_, a.value_ = a_index, a_value
    if integer.any():
        lp.integrality_ = [highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous
                           for i in integer]
    h = new_highs()
    h.passModel(lp)
    return Compiled(model=m, highs=h, cols=cols, col_of=col_of, rows=rows, cons=cons,
                    row_lower=row_lower, row_upper=row_upper, col_lower=col_lower,
                    col_upper=col_upper, cost=cost, integer=integer, maximise=maximise,
                    obj_constant=lp.offset_,
                    timings={"compile_s": t1 - t0, "pass_s": time.perf_counter() - t1},
                    _constants=constants, blocks=blocks, limits=limits, fixed=fixed,
                    hrow=hrow, primary=primary, partner=partner)


def set_time_limit(h: highspy.Highs, seconds: float) -> None:
    """Give `h`'s next run `seconds`. HiGHS measures its time limit against the object's run
    time summed over every run since it was made: a sweep re-solving one object hundreds of
    times would otherwise hit the limit on later, quick solves. Call it before each run."""
    h.setOptionValue("time_limit", float(seconds) + h.getRunTime())


IPM_ROWS = 20_000
"""An LP with at least this many rows, short ones (:data:`IPM_ROW_LENGTH`), is solved cold by
the interior point method: see :func:`strategy`."""
IPM_ROW_LENGTH = 12.0
"""The largest mean number of non-zeros per row of an LP that :func:`strategy` gives to the
interior point method."""


def strategy(h: highspy.Highs, *, integer: bool = False, warm: bool = False
             ) -> tuple[str, str]:
    """(presolve, solver) for a solve whose settings say ``choose``, from the LP's size and
    structure (measured on the benchmark's shapes, docs/performance.md):

    - a re-solve from the last basis (`warm`): dual simplex, no presolve (it starts from the
      basis; an interior point method would start again from nothing);
    - a large LP of many short rows (a row per service's minimum, maximum and money balance
      over a few bands; :data:`IPM_ROWS`, :data:`IPM_ROW_LENGTH`): interior point with
      crossover (a vertex, so the duals are a basis's, as simplex's), presolve off: on such
      an LP the simplex method takes a pivot per service and HiGHS's presolve can run for many
      times its time limit (PERF-NOTES.md);
    - anything else, and every mixed-integer model: HiGHS's own choice (dual simplex for an
      LP, after presolve).
    """
    if integer:
        return "choose", "choose"
    if warm:
        return "off", "simplex"
    rows = h.getNumRow()
    if rows >= IPM_ROWS and h.getNumNz() <= IPM_ROW_LENGTH * rows:
        return "off", "ipm"
    return "choose", "choose"


def _set_options(h: highspy.Highs, opts: SolverSettings, *, integer: bool = False,
                 warm: bool = False) -> None:
    set_time_limit(h, opts.time_limit_s)
    h.setOptionValue("mip_rel_gap", float(opts.mip_rel_gap))
    presolve: str = opts.presolve
    method: str = opts.method
    if presolve == "choose" and method == "choose":
        presolve, method = strategy(h, integer=integer, warm=warm)
    h.setOptionValue("presolve", presolve)
    h.setOptionValue("solver", method)
    h.setOptionValue("random_seed", int(opts.random_seed))


COST_RANGE = (1e-3, 1e6)
"""The largest objective coefficient (outcome per £1m) HiGHS is given as it is; outside this
range the objective is scaled by a power of two towards 1 (:func:`objective_scale`)."""


def objective_scale(cost: np.ndarray) -> int:
    """HiGHS's ``user_objective_scale`` for an objective with coefficients `cost`: 0 (none)
    when the largest lies in :data:`COST_RANGE`, else the power of two that brings it to
    about 1. HiGHS's optimality tolerance (1e-7) is absolute: with outcomes of 1e-9 per £1m
    every plan looks optimal, and one 1% below the best was called optimal. HiGHS undoes the
    scaling in what it reports (objective and duals)."""
    big = float(np.abs(cost).max()) if len(cost) else 0.0
    if big == 0.0 or COST_RANGE[0] <= big <= COST_RANGE[1]:
        return 0
    return -round(math.log2(big))


def run(compiled: Compiled, options: SolverSettings | None = None, *, load: bool = True
        ) -> SolveOutcome:
    """Solve (or re-solve) a compiled model; with `load`, put the values into the Pyomo
    variables too (re-solves in a sweep skip that: the arrays in the outcome are enough)."""
    from budgetopt.policy import SolverSettings

    opts = options or SolverSettings()
    h = compiled.highs
    mip = bool(compiled.integer.any())
    # a basis from an earlier run of this object (a sweep's re-solve): start from it
    warm = h.getInfo().basis_validity == highspy.BasisValidity.kBasisValidityValid
    _set_options(h, opts, integer=mip, warm=warm)
    h.setOptionValue("user_objective_scale", objective_scale(compiled.cost))
    t0 = time.perf_counter()
    h.run()
    status = h.getModelStatus()
    if status == _MS.kUnboundedOrInfeasible:
        # Presolve could not tell which: ask again without it.
        h.setOptionValue("presolve", "off")
        h.run()
        status = h.getModelStatus()
        h.setOptionValue("presolve", opts.presolve)
    word = STATUS_WORDS.get(status, SolveStatus.ERROR)
    info = h.getInfo()
    has_solution = info.primal_solution_status == 2  # feasible
    col_value: np.ndarray | None = None
    row_dual: np.ndarray | None = None
    row_value: np.ndarray | highspy.HighsSolution | None = None
    col_dual: np.ndarray | highspy.HighsSolution | None = None
    objective = None
    gap = None
    note = ""
    if has_solution and word in (SolveStatus.OPTIMAL, SolveStatus.TIME_LIMIT):
        sol = h.getSolution()  # a copy: later solves of `h` leave it alone
        col_value = np.asarray(sol.col_value, dtype=float)
        row_value = sol
        objective = float(info.objective_function_value)
        if mip:
            gap = float(info.mip_gap)
            row_dual, col_dual = _fixed_lp_duals(compiled, col_value, opts)
            note = "from the LP with the mixed-integer choices fixed"
        elif sol.dual_valid:
            row_dual = compiled.model_duals(np.asarray(sol.row_dual, dtype=float))
            col_dual = sol
        if load:
            for v, val in zip(compiled.cols, col_value.tolist()):
                v.set_value(val, skip_validation=True)
    return SolveOutcome(
        status=word, solver_status=h.modelStatusToString(status), objective=objective,
        col_value=col_value, row_dual=row_dual, seconds=time.perf_counter() - t0, mip=mip,
        mip_gap=gap, duals_note=note, _row_value=row_value, _col_dual=col_dual,
        _hrow=compiled.hrow if compiled.merged else None,
    )


def fixed_integer_lp(compiled: Compiled, x: np.ndarray, opts: SolverSettings) -> Compiled:
    """`compiled` as the linear programme with every integer column fixed at its MILP value
    in `x`, in a HiGHS object of its own, solved: the model a mixed-integer solve's shadow
    prices (and their ranges, by re-solves of it) are read from. The original is untouched."""
    h = new_highs()
    lp = compiled.highs.getLp()
    ints = np.flatnonzero(compiled.integer)
    lower = np.array(lp.col_lower_, dtype=float)
    upper = np.array(lp.col_upper_, dtype=float)
    lower[ints] = upper[ints] = np.round(x[ints])
    lp.col_lower_, lp.col_upper_ = lower, upper
    lp.integrality_ = []
    h.passModel(lp)
    _set_options(h, opts)
    h.setOptionValue("user_objective_scale", objective_scale(compiled.cost))
    h.run()
    return replace(compiled, highs=h, integer=np.zeros_like(compiled.integer),
                   col_lower=lower, col_upper=upper)


def _fixed_lp_duals(compiled: Compiled, x: np.ndarray, opts: SolverSettings
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Duals of the LP with every integer column fixed at its MILP value."""
    h = fixed_integer_lp(compiled, x, opts).highs
    sol = h.getSolution()
    if h.getModelStatus() != _MS.kOptimal or not sol.dual_valid:
        n = compiled.n_rows
        return np.full(n, np.nan), np.full(len(compiled.cols), np.nan)
    return compiled.model_duals(np.asarray(sol.row_dual, float)), np.asarray(sol.col_dual,
                                                                                float)
