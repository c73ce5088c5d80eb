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

The frontier's rows go through the model's own row door (:mod:`budgetopt.families.rows`, family
``pareto``): the equity rows (``pareto_equity_top`` / ``_bottom``, one per place) and the row that holds an aim at a level
(``pareto_at_least`` for an aim better higher, ``pareto_at_most`` for one better lower; one
aim's at a time, removed when the other's is needed). They are appended to the session's
compiled HiGHS model, which re-solves warm from point to point. Each point's hold row is
named, and its shadow price, the trade-off (first aim per unit of the second), is read in a
sentence like any rule's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyomo.core as pyo
from scipy import sparse

from budgetopt.api import Progress, Session, build
from budgetopt.data.inputs import Inputs
from budgetopt.families.rows import Sense, add_matrix_rows
from budgetopt.policy import Policy
from budgetopt.results.tables import baseline_segments, describe_row, provenance
from budgetopt.results.words import diagnose_infeasibility, effect_phrase
from budgetopt.solve.highs import SolveOutcome, run

HOLD = {True: "pareto_at_least", False: "pareto_at_most"}  # by whether the aim is maximised


@dataclass(frozen=True)
class Objective:
    name: str
    label: str
    maximise: bool
    coef: dict[int, float]  # HiGHS column -> coefficient (with the equity columns)
    constant: float = 0.0
    noun: str = ""  # the aim in a sentence: "the gap in spend per need-weighted head ..."
    unit: str = ""  # its unit: "weighted outcomes", "£ per head", a metric's unit
    amount: str = ""  # one unit of it in words: "£1 a head", "one weighted outcome"
    words: Callable[[float], str] = str  # a change of this aim by delta, in words

    def value(self, sol: np.ndarray) -> float:
        return self.constant + sum(c * sol[j] for j, c in self.coef.items())


def objective_names(inputs: Inputs) -> list[str]:
    names = ["outcome", *(f"metric:{m}" for m in inputs.metrics["metric_id"])]
    return [*names, "equity"] if inputs.has_places else names


def _signed(delta: float, more: str, less: str) -> str:
    return more.format(abs(delta)) if delta >= 0 else less.format(abs(delta))


class _Frontier:
    """A session's model with the frontier's rows added through the row door: the equity
    columns and rows when asked, and one row per aim holding it at a level (free until held).
    """

    def __init__(self, session: Session, names: tuple[str, str]) -> None:
        self.session = session
        self.compiled = session.compiled
        self.cols = self.compiled.columns(session.model.x)
        self.gap_cols: tuple[int, int] | None = None
        if "equity" in names:
            self._add_equity()
        self.objectives = {n: self._objective(n) for n in dict.fromkeys(names)}
        self.held: Objective | None = None  # the aim whose hold row is in the model

    def _add_equity(self) -> None:
        """u ≥ S_p / W_p ≥ l for every place p (S_p its spend over the plan, £ per head)."""
        m, data = self.session.model, self.session.data
        places = data.inputs.places
        ids = places["place_id"].tolist()
        names = {p: n or p for p, n in zip(ids, places["name"].tolist())}
        seg_place = pd.Index(ids).get_indexer(data.segments["place_id"])  # -1: ICS-wide
        per_head = 1e6 / places["weighted_population"].to_numpy(float)  # £ per head from £m
        xs = list(m.x.values())
        m.pareto_top = pyo.Var(doc="highest spend per need-weighted head of any place (£)")
        m.pareto_bottom = pyo.Var(doc="lowest spend per need-weighted head of any place (£)")
        on = seg_place >= 0
        rows = np.r_[seg_place[on], np.arange(len(ids))]
        cols = np.r_[np.flatnonzero(on), np.full(len(ids), len(xs))]
        values = np.r_[per_head[seg_place[on]], np.full(len(ids), -1.0)]
        matrix = sparse.csr_matrix((values, (rows, cols)), shape=(len(ids), len(xs) + 1))

        def side(component: str, bound: Any, sense: Sense, where: str) -> None:
            add_matrix_rows(m, component, "pareto", ids, [*xs, bound], matrix, sense,
                            dict.fromkeys(ids, 0.0),
                            name=lambda p: (
                                f"Spend per need-weighted head in {names[p]} {where} of any "
                                "place"),
                            labels=lambda p: {"place": names[p], "place_id": p},
                            keys=lambda p: {"place_id": p}, relaxable=False)

        side("pareto_equity_top", m.pareto_top, "<=", "within the highest")
        side("pareto_equity_bottom", m.pareto_bottom, ">=", "at least the lowest")
        self.compiled.extend()
        self.gap_cols = (self.compiled.column(m.pareto_top),
                         self.compiled.column(m.pareto_bottom))

    def _objective(self, name: str) -> Objective:
        data, comp = self.session.data, self.compiled
        if name == "outcome":
            mode = data.policy.objective
            maximise = comp.maximise
            coef = {int(j): float(c) for j, c in enumerate(comp.cost) if c}
            return Objective(name, "Weighted outcome (the policy's objective)", maximise, coef,
                             comp.obj_constant,
                             noun="the weighted outcome" if maximise else "the discounted spend",
                             unit="weighted outcomes" if maximise else "£m",
                             amount="1 weighted outcome" if maximise else "£1m",
                             words=lambda d: effect_phrase(d, mode))
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
            unit = str(row["unit"])
            return Objective(name, f"{row['name']} ({unit}, over the plan)", True, coef,
                             noun=f"{row['name']} over the plan", unit=unit,
                             amount=f"1 {unit}",
                             words=lambda d: _signed(d, "gain {:,.2f} " + unit,
                                                     "give up {:,.2f} " + unit))
        if name == "equity":
            if self.gap_cols is None:
                raise ValueError("the equity objective needs a places table")
            u, low = self.gap_cols
            return Objective(name, "Gap in spend per need-weighted head between places (£)",
                             False, {u: 1.0, low: -1.0},
                             noun="the gap in spend per need-weighted head between places",
                             unit="£ per head", amount="£1 a head",
                             words=lambda d: _signed(d, "widen the gap between places by "
                                                     "£{:,.2f} a head", "narrow the gap "
                                                     "between places by £{:,.2f} a head"))
        raise ValueError(f"unknown objective '{name}': use outcome, metric:<ID> or equity")

    def hold(self, obj: Objective, level: float) -> int:
        """Hold `obj` at least (better higher) or at most (better lower) at `level`: its row,
        ``aim ≥ level`` or ``aim ≤ level``, is added the first time (one aim's row at a time:
        a free dense row would slow every later solve) and moved after. Returns its row."""
        component = HOLD[obj.maximise]
        if self.held is not obj:
            self.release()
            m, cols = self.session.model, self.compiled.cols
            matrix = sparse.csr_matrix(
                (list(obj.coef.values()), ([0] * len(obj.coef), list(obj.coef))),
                shape=(1, len(cols)))
            add_matrix_rows(m, component, "pareto", [obj.name], list(cols), matrix,
                            ">=" if obj.maximise else "<=", {obj.name: level - obj.constant},
                            name=lambda _: (f"{obj.noun[:1].upper()}{obj.noun[1:]} held at "
                                            f"{'least' if obj.maximise else 'most'} at the "
                                            "frontier point's level"),
                            labels=lambda _: {"objective": obj.noun, "amount": obj.amount},
                            keys=lambda n: {"objective": n}, unit=lambda _: obj.unit)
            self.compiled.extend()
            self.held = obj
        else:
            getattr(self.session.model, f"{component}_limit")[obj.name] = level - obj.constant
            self.compiled.update_limits([component])
        return self.compiled.n_rows - 1

    def release(self) -> None:
        """Take the held aim's row out of the model."""
        if self.held is not None:
            self.compiled.remove(HOLD[self.held.maximise])
            self.held = None

    def optimise(self, obj: Objective) -> SolveOutcome:
        costs = np.zeros(len(self.compiled.cols))
        for j, c in obj.coef.items():
            costs[j] = c
        self.compiled.set_costs(costs, maximise=obj.maximise)
        return run(self.compiled, self.session.data.policy.solver, load=False)


def _tie_break(model: _Frontier, first: Objective, second: Objective) -> np.ndarray:
    """Optimise `first`, then `second` with `first` held at its optimum: a non-dominated end."""
    out = model.optimise(first)
    if out.col_value is None or not out.ok:
        raise ValueError(f"the model is {out.status} for {first.name}: fix it first")
    best = first.value(out.col_value)
    slack = 1e-9 * max(1.0, abs(best))
    model.hold(first, best - slack if first.maximise else best + slack)
    again = model.optimise(second)
    model.release()
    return again.col_value if again.ok and again.col_value is not None else out.col_value


def pareto_frontier(inputs: Inputs, policy: Policy, first: str = "outcome",
                    second: str = "equity", points: int = 11, *, overrides: Any = None,
                    progress: Progress | None = None) -> pd.DataFrame:
    """Points on the frontier between `first` and `second` (see the module's docstring).

    Returns
    -------
    pandas.DataFrame
        One row per point: ``point``, ``epsilon``, ``status``, ``first``, ``second``, spend
        by sector over the plan (``spend_<sector>``, £m), ``rule`` (the name of the row that
        holds the second aim), ``trade_off`` (its shadow price: the change of the first aim
        per unit of the second), ``meaning`` (that price in words) and ``advice`` (the
        infeasibility advice at a point that cannot be met, else None). ``frame.attrs``
        holds the objectives' labels and directions, the baseline point (``baseline``:
        first, second, dominated) and provenance.
    """
    if points < 2:
        raise ValueError("a frontier needs at least 2 points")
    session = build(inputs, policy, overrides)
    model = _Frontier(session, (first, second))
    f1, f2 = model.objectives[first], model.objectives[second]
    ends = [_tie_break(model, f1, f2), _tie_break(model, f2, f1)]
    lo_eps, hi_eps = f2.value(ends[0]), f2.value(ends[1])
    grid = np.linspace(lo_eps, hi_eps, points)
    seg = session.data.segments
    sector = seg["service_id"].map(dict(zip(inputs.services["service_id"],
                                            inputs.services["sector"]))).to_numpy()
    sectors = list(dict.fromkeys(inputs.services["sector"]))
    rows = []
    for k, eps in enumerate(grid):
        tol = 1e-9 * max(1.0, abs(eps))
        row = model.hold(f2, eps - tol if f2.maximise else eps + tol)
        out = model.optimise(f1)
        rec: dict[str, Any] = {"point": k + 1, "epsilon": float(eps), "status": out.status,
                               "first": None, "second": None}
        sol = out.col_value if out.ok else None
        if sol is not None:
            rec["first"], rec["second"] = f1.value(sol), f2.value(sol)
            x = sol[model.cols]
            for s in sectors:
                rec[f"spend_{s}"] = float(x[sector == s].sum())
        # the point's own row: its name, its price (first per unit of second) and its words
        described = describe_row(model.compiled, out, row, policy.objective, f1.words)
        rec.update(rule=described[0], trade_off=described[8] if sol is not None else None,
                   meaning=described[9], advice=(
                       diagnose_infeasibility(model.compiled).message
                       if out.status == "infeasible" else None))
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


def _baseline_point(model: _Frontier, f1: Objective, f2: Objective,
                    session: Session) -> tuple[float, float]:
    """Both objectives at the baseline allocation (equity columns set to its gap)."""
    sol = np.zeros(len(model.compiled.cols))
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
