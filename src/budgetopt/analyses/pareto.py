"""The Pareto frontier between two objectives, by the epsilon-constraint method.

Objectives (:func:`objective_names` lists them for a data set):

* ``outcome`` — the policy model's own objective (discounted weighted outcome), maximised;
* ``metric:<ID>`` — one metric's total outcome over the plan (e.g. ``metric:ACSC`` admissions
  avoided), maximised;
* ``equity`` — the gap in spend per need-weighted head between the best- and the worst-funded
  place over the plan (£ per head), minimised: ``max_p S_p / W_p − min_p S_p / W_p`` with two
  extra columns u ≥ S_p / W_p ≥ l and the gap u − l.

Method: the first objective is optimised with the second held to at least (or, for equity, at
most) ε, for ε on an even grid between the second objective's value at the first's optimum and
its own optimum (each end found lexicographically, so the ends are not dominated). Every rule
of the policy model is kept at every point. The current (baseline) allocation is placed on the
same axes and marked dominated when some frontier point is at least as good on both and
better on one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import highspy
import numpy as np
import pandas as pd

from budgetopt.api import Session, build
from budgetopt.data.inputs import Inputs
from budgetopt.policy import Policy
from budgetopt.results.tables import baseline_segments, provenance
from budgetopt.solve.highs import new_highs, set_time_limit

Progress = Callable[[int, int], None]
INF = highspy.kHighsInf


@dataclass(frozen=True)
class Objective:
    name: str
    label: str
    maximise: bool
    coef: dict[int, float]  # HiGHS column -> coefficient (on the copy with equity columns)
    constant: float = 0.0

    def value(self, sol: np.ndarray) -> float:
        return self.constant + sum(c * sol[j] for j, c in self.coef.items())


def objective_names(inputs: Inputs) -> list[str]:
    names = ["outcome", *(f"metric:{m}" for m in inputs.metrics["metric_id"])]
    return [*names, "equity"] if inputs.has_places else names


class _Model:
    """A private HiGHS copy of a session's model, with the equity columns when asked."""

    def __init__(self, session: Session, need_equity: bool) -> None:
        self.session = session
        lp = session.compiled.highs.getLp()
        self.h = new_highs()
        self.h.passModel(lp)
        self.time_limit = float(session.data.policy.solver.time_limit_s)
        self.n = lp.num_col_
        self.cols = session.compiled.columns(session.model.x)
        self.gap_cols: tuple[int, int] | None = None
        if need_equity:
            self._add_equity()

    def _add_equity(self) -> None:
        data = self.session.data
        seg = data.segments
        places = data.inputs.places.set_index("place_id")["weighted_population"]
        u, low = self.n, self.n + 1
        self.h.addCols(2, np.zeros(2), np.full(2, -INF), np.full(2, INF), 0,
                       np.array([], np.int32), np.array([], np.int32), np.array([]))
        self.n += 2
        for pid, heads in places.items():
            js = self.cols[(seg["place_id"] == pid).to_numpy()]
            per_head = np.full(len(js), 1e6 / float(heads))  # £ per head from £m
            for bound_col, lo, up in ((u, -INF, 0.0), (low, 0.0, INF)):
                idx = np.r_[js, bound_col].astype(np.int32)
                self.h.addRow(lo, up, len(idx), idx, np.r_[per_head, -1.0])
        self.gap_cols = (u, low)

    def objective(self, name: str) -> Objective:
        data, comp = self.session.data, self.session.compiled
        if name == "outcome":
            coef = {int(j): float(c) for j, c in enumerate(comp.cost) if c}
            return Objective(name, "Weighted outcome (the policy's objective)",
                             comp.maximise, coef, comp.obj_constant)
        if name.startswith("metric:"):
            metric = name.split(":", 1)[1]
            co = data.coefs[data.coefs["metric_id"] == metric]
            if co.empty:
                known = ", ".join(data.inputs.metrics["metric_id"])
                raise ValueError(f"no metric '{metric}' in the data set (metrics: {known})")
            per_col = np.bincount(co["col"].to_numpy(), weights=co["per_m"].to_numpy(float),
                                  minlength=len(data.segments))
            row = data.inputs.metrics.set_index("metric_id").loc[metric]
            coef = {int(self.cols[k]): float(v) for k, v in enumerate(per_col) if v}
            return Objective(name, f"{row['name']} ({row['unit']}, over the plan)", True, coef)
        if name == "equity":
            if self.gap_cols is None:
                raise ValueError("the equity objective needs a places table")
            u, low = self.gap_cols
            return Objective(name, "Gap in spend per need-weighted head between places (£)",
                             False, {u: 1.0, low: -1.0})
        raise ValueError(f"unknown objective '{name}': use outcome, metric:<ID> or equity")

    def optimise(self, obj: Objective) -> tuple[str, np.ndarray | None]:
        costs = np.zeros(self.n)
        for j, c in obj.coef.items():
            costs[j] = c
        self.h.changeColsCost(self.n, np.arange(self.n, dtype=np.int32), costs)
        self.h.changeObjectiveSense(highspy.ObjSense.kMaximize if obj.maximise
                                    else highspy.ObjSense.kMinimize)
        set_time_limit(self.h, self.time_limit)
        self.h.run()
        status = self.h.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            return self.h.modelStatusToString(status), None
        return "optimal", np.asarray(self.h.getSolution().col_value)

    def hold(self, obj: Objective, at_least: float | None, at_most: float | None) -> int:
        """Add the row lo ≤ objective ≤ up; return its index (to move or remove)."""
        idx = np.array(list(obj.coef), dtype=np.int32)
        lo = -INF if at_least is None else at_least - obj.constant
        up = INF if at_most is None else at_most - obj.constant
        self.h.addRow(lo, up, len(idx), idx, np.array(list(obj.coef.values())))
        return self.h.getNumRow() - 1

    def move(self, row: int, at_least: float | None, at_most: float | None,
             obj: Objective) -> None:
        lo = -INF if at_least is None else at_least - obj.constant
        up = INF if at_most is None else at_most - obj.constant
        self.h.changeRowBounds(row, lo, up)


def _tie_break(model: _Model, first: Objective, second: Objective) -> np.ndarray | None:
    """Optimise `first`, then `second` with `first` held at its optimum: a non-dominated end."""
    status, sol = model.optimise(first)
    if sol is None:
        raise ValueError(f"the model is {status} for {first.name}: fix it first")
    best = first.value(sol)
    slack = 1e-9 * max(1.0, abs(best))
    row = model.hold(first, best - slack if first.maximise else None,
                     None if first.maximise else best + slack)
    _, sol2 = model.optimise(second)
    model.h.deleteRows(1, np.array([row], np.int32))
    return sol2 if sol2 is not None else sol


def pareto_frontier(inputs: Inputs, policy: Policy, first: str = "outcome",
                    second: str = "equity", points: int = 11, *, overrides: Any = None,
                    progress: Progress | None = None) -> pd.DataFrame:
    """Points on the frontier between `first` and `second` (see the module's docstring).

    Returns
    -------
    pandas.DataFrame
        One row per point: ``point``, ``epsilon``, ``status``, ``first``, ``second`` and spend
        by sector over the plan (``spend_<sector>``, £m). ``frame.attrs`` holds the objectives'
        labels and directions, the baseline point (``baseline``: first, second, dominated) and
        provenance.
    """
    if points < 2:
        raise ValueError("a frontier needs at least 2 points")
    session = build(inputs, policy, overrides)
    model = _Model(session, need_equity="equity" in (first, second))
    f1, f2 = model.objective(first), model.objective(second)
    ends = [_tie_break(model, f1, f2), _tie_break(model, f2, f1)]
    lo_eps, hi_eps = f2.value(ends[0]), f2.value(ends[1])
    grid = np.linspace(lo_eps, hi_eps, points)
    seg = session.data.segments
    sector = seg["service_id"].map(dict(zip(inputs.services["service_id"],
                                            inputs.services["sector"]))).to_numpy()
    sectors = list(dict.fromkeys(inputs.services["sector"]))
    row = model.hold(f2, None, None)
    rows = []
    for k, eps in enumerate(grid):
        tol = 1e-9 * max(1.0, abs(eps))
        if f2.maximise:
            model.move(row, eps - tol, None, f2)
        else:
            model.move(row, None, eps + tol, f2)
        status, sol = model.optimise(f1)
        rec: dict[str, Any] = {"point": k + 1, "epsilon": float(eps), "status": status,
                               "first": None, "second": None}
        if sol is not None:
            rec["first"], rec["second"] = f1.value(sol), f2.value(sol)
            x = sol[model.cols]
            for s in sectors:
                rec[f"spend_{s}"] = float(x[sector == s].sum())
        rows.append(rec)
        if progress:
            progress(k + 1, points)
    frame = pd.DataFrame(rows)
    base = _baseline_point(model, f1, f2, session)
    ok = frame.dropna(subset=["first", "second"])
    better1 = ok["first"] >= base[0] - 1e-9 if f1.maximise else ok["first"] <= base[0] + 1e-9
    better2 = ok["second"] >= base[1] - 1e-9 if f2.maximise else ok["second"] <= base[1] + 1e-9
    strictly = ((ok["first"] - base[0]).abs() > 1e-6) | ((ok["second"] - base[1]).abs() > 1e-6)
    frame.attrs.update(
        first={"name": first, "label": f1.label, "maximise": f1.maximise},
        second={"name": second, "label": f2.label, "maximise": f2.maximise},
        baseline={"first": base[0], "second": base[1],
                  "dominated": bool((better1 & better2 & strictly).any())},
        sectors=sectors, provenance=provenance(session.data, overrides))
    return frame


def _baseline_point(model: _Model, f1: Objective, f2: Objective,
                    session: Session) -> tuple[float, float]:
    """Both objectives at the baseline allocation (equity columns set to its gap)."""
    sol = np.zeros(model.n)
    sol[model.cols] = baseline_segments(session.data)
    if model.gap_cols is not None:
        seg = session.data.segments
        places = session.data.inputs.places.set_index("place_id")["weighted_population"]
        x = sol[model.cols]
        per_head = [x[(seg["place_id"] == p).to_numpy()].sum() * 1e6 / float(w)
                    for p, w in places.items()]
        sol[model.gap_cols[0]], sol[model.gap_cols[1]] = max(per_head), min(per_head)
    return f1.value(sol), f2.value(sol)


__all__ = ["objective_names", "pareto_frontier"]
