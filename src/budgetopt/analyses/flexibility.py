"""Flexibility: what else is nearly as good (modelling to generate alternatives).

With the objective held within a stated slack of the optimum z* and every rule kept, the
least and the most each service can receive in each year (MODEL.md, "Flexibility"):

.. math::

    min / max  S[s,y]   subject to every rule and   c·x ≥ z* − σ·|z*|   (maximising;
                                                    c·x ≤ z* + σ·|z*| when minimising cost)

one pair of re-solves per service and year, from the optimal basis (only the objective
changes), in several processes when there are many. Then a handful of maximally different
near-optimal plans: within the same slack, the plan that most favours each sector in turn
(the most spend on that sector over the plan), with its outcome and where it differs from the
chosen plan.

=========  ==========================================================  ========
symbol     meaning                                                      unit
=========  ==========================================================  ========
σ          the slack: the share of the optimum that may be given up      —
z*         the optimum's objective                                      —
=========  ==========================================================  ========
"""

from __future__ import annotations

import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from budgetopt.api import Progress, Session, build
from budgetopt.data.inputs import Inputs
from budgetopt.data.schema import SECTOR_LABELS
from budgetopt.families.rows import add_matrix_rows
from budgetopt.policy import Policy
from budgetopt.results.tables import Results, provenance
from budgetopt.solve.highs import run

PARALLEL_FROM = 400
"""Re-solves above which the ranges are shared between processes (each process builds and
solves the model once: a second or two on the example, worth it only for many re-solves)."""


class _Held:
    """A session whose objective is held within the slack of its optimum: the model's own
    row door (family ``flexibility``), appended to the compiled HiGHS object."""

    def __init__(self, inputs: Inputs, policy: Policy, slack: float, overrides: Any = None
                 ) -> None:
        self.session: Session = build(inputs, policy, overrides)
        self.results: Results = self.session.results()
        if not self.results.optimal or self.results.objective is None:
            raise ValueError(f"the model is {self.results.status}: flexibility needs an optimal "
                             "plan")
        compiled = self.session.compiled
        self.cost = compiled.cost.copy()
        self.maximise = compiled.maximise
        z = self.optimum = float(self.results.objective)
        give = slack * max(abs(z), 1e-12)
        level = (z - give if self.maximise else z + give) - compiled.obj_constant
        nz = np.flatnonzero(self.cost)
        matrix = sparse.csr_matrix((self.cost[nz], (np.zeros(len(nz), int), nz)),
                                   shape=(1, len(compiled.cols)))
        add_matrix_rows(self.session.model, "flexibility_hold", "flexibility", ["objective"],
                        list(compiled.cols), matrix, ">=" if self.maximise else "<=",
                        {"objective": level},
                        name=lambda _: f"Outcome within {slack:.1%} of the optimum",
                        report=False, relaxable=False)
        compiled.extend()
        self.basis = compiled.highs.getBasis()
        seg = self.session.data.segments
        self.xcols = compiled.columns(self.session.model.x)
        self.groups = {k: self.xcols[v] for k, v in
                       seg.groupby(["service_id", "year"], sort=False).indices.items()}

    def extreme(self, cols: np.ndarray, maximise: bool) -> tuple[float, np.ndarray | None]:
        """The least (or most) Σ x[cols] within the slack, and the plan's columns."""
        compiled = self.session.compiled
        cost = np.zeros(len(compiled.cols))
        cost[cols] = 1.0
        compiled.set_costs(cost, maximise=maximise)
        compiled.highs.setBasis(self.basis)
        out = run(compiled, self.session.data.policy.solver, load=False)
        if not out.ok or out.col_value is None:
            return np.nan, None
        return float(out.col_value[cols].sum()), out.col_value

    def objective(self, x: np.ndarray) -> float:
        return float(self.cost @ x) + self.session.compiled.obj_constant


def _ranges(held: _Held, keys: list[tuple[str, str]], progress: Progress | None = None,
            done: int = 0, total: int | None = None) -> list[tuple[float, float]]:
    out = []
    for i, key in enumerate(keys):
        cols = held.groups[key]
        out.append((held.extreme(cols, False)[0], held.extreme(cols, True)[0]))
        if progress:
            progress(done + i + 1, total or len(keys))
    return out


_WORKER: dict[str, _Held] = {}


def _start_worker(inputs: Inputs, policy: Policy, slack: float, overrides: Any) -> None:
    _WORKER["held"] = _Held(inputs, policy, slack, overrides)


def _chunk(keys: list[tuple[str, str]]) -> list[tuple[float, float]]:
    return _ranges(_WORKER["held"], keys)


def flexibility(inputs: Inputs, policy: Policy, slack: float = 0.01, *,
                overrides: Any = None, workers: int | None = None,
                progress: Progress | None = None) -> dict[str, pd.DataFrame]:
    """The flexibility ranges and the sector-favouring alternatives (see the module's
    docstring).

    Returns
    -------
    dict
        ``flexibility``: one row per service and year, ``service_id``, ``year``, ``spend_m``
        (the chosen plan), ``min_m``, ``max_m`` (£m; the contract's ``flexibility.csv``), then
        ``name`` and ``free_m`` (max − min); ``alternatives``: one row per sector, the plan
        that favours it: ``favours``, ``objective``, ``given_up_pct`` (of the optimum),
        ``spend_<sector>`` over the plan (£m) and ``differs`` (the largest differences from the
        chosen plan, in words). ``attrs``: slack, objective, workers, seconds, provenance.
    """
    if not 0.0 <= slack < 1.0:
        raise ValueError("the slack is a share of the optimum: at least 0 and below 1")
    t0 = time.perf_counter()
    held = _Held(inputs, policy, slack, overrides)
    keys = list(held.groups)
    n = 2 * len(keys)
    used = max(1, workers if workers is not None else
               (min(2, os.cpu_count() or 1) if n > PARALLEL_FROM else 1))
    if used > 1 and len(keys) > 1:
        chunks = [list(c) for c in np.array_split(np.array(keys, dtype=object), used * 4)
                  if len(c)]
        chunks = [[tuple(k) for k in c] for c in chunks]
        found: list[tuple[float, float]] = []
        with ProcessPoolExecutor(used, mp_context=multiprocessing.get_context("spawn"),
                                 initializer=_start_worker,
                                 initargs=(inputs, policy, slack, overrides)) as pool:
            done = 0
            for part in pool.map(_chunk, chunks):
                found += part
                done += len(part)
                if progress:
                    progress(done, len(keys))
    else:
        found = _ranges(held, keys, progress)
    plan = held.results.allocation.groupby(["service_id", "year"], sort=False)["spend_m"].sum()
    names = dict(zip(inputs.services["service_id"], inputs.services["name"]))
    frame = pd.DataFrame([{"service_id": s, "year": y, "spend_m": float(plan.get((s, y), 0.0)),
                           "min_m": lo, "max_m": hi} for (s, y), (lo, hi) in zip(keys, found)])
    # the plan lies within its own range: the extremes' rounding never puts it outside
    frame["min_m"] = np.minimum(frame["min_m"], frame["spend_m"])
    frame["max_m"] = np.maximum(frame["max_m"], frame["spend_m"])
    frame["name"] = frame["service_id"].map(names)
    frame["free_m"] = frame["max_m"] - frame["min_m"]
    alternatives = _alternatives(held, inputs, names)
    seconds = time.perf_counter() - t0
    for f in (frame, alternatives):
        f.attrs.update(slack=slack, objective=held.results.objective, workers=used,
                       mode=held.results.mode,
                       seconds=seconds, provenance=provenance(held.session.data, overrides))
    return {"flexibility": frame, "alternatives": alternatives}


def _alternatives(held: _Held, inputs: Inputs, names: dict[str, str], top: int = 3
                  ) -> pd.DataFrame:
    """Within the slack, the plan that most favours each sector in turn."""
    seg = held.session.data.segments
    sector_of = dict(zip(inputs.services["service_id"], inputs.services["sector"]))
    sector = seg["service_id"].map(sector_of).to_numpy()
    sectors = list(dict.fromkeys(inputs.services["sector"]))
    chosen_x = held.results.allocation.groupby("service_id", sort=False)["spend_m"].sum()
    z = held.optimum
    rows = []
    for sec in sectors:
        cols = held.xcols[sector == sec]
        if not len(cols):
            continue
        _, x = held.extreme(cols, True)
        if x is None:
            continue
        spend = pd.Series(x[held.xcols], index=seg.index).groupby(seg["service_id"],
                                                                    sort=False).sum()
        diff = (spend - chosen_x.reindex(spend.index, fill_value=0.0))
        moved = diff[diff.abs() > 0.05].sort_values(key=abs, ascending=False).head(top)
        obj = held.objective(x)
        rec: dict[str, Any] = {
            "favours": sec, "objective": obj,
            "given_up_pct": 100.0 * (z - obj) / abs(z) * (1 if held.maximise else -1)
            if z else 0.0}
        for s in sectors:
            rec[f"spend_{s}"] = float(x[held.xcols[sector == s]].sum())
        rec["differs"] = "; ".join(
            f"{names.get(s, s)} {'+' if v > 0 else '−'}£{abs(v):,.1f}m" for s, v in
            moved.items()) or "the same as the chosen plan"
        rows.append(rec)
    return pd.DataFrame(rows)


def sector_words(sector: str) -> str:
    """A sector's name inside a sentence: "adult social care", "voluntary, community and
    social enterprise" (never its id)."""
    label = SECTOR_LABELS.get(sector, sector.replace("_", " "))
    return label[:1].lower() + label[1:]


def flexibility_sentences(result: dict[str, pd.DataFrame], top: int = 5) -> list[str]:
    """The widest free choices and the alternatives, in words."""
    flex, alt = result["flexibility"], result["alternatives"]
    slack = flex.attrs.get("slack", 0.01)
    cost = flex.attrs.get("mode") == "min_cost"
    out = []
    wide = flex.sort_values("free_m", ascending=False).head(top)
    for r in wide.itertuples(index=False):
        if r.free_m < 0.05:
            break
        out.append(f"{r.name} in {r.year} could receive anything from £{r.min_m:,.1f}m to "
                   f"£{r.max_m:,.1f}m (the plan: £{r.spend_m:,.1f}m) for "
                   + (f"a cost within {slack:.0%} of the least." if cost else
                      f"an outcome within {slack:.0%} of the best."))
    fixed = int((flex["free_m"] < 0.05).sum())
    if fixed:
        out.append(f"{fixed} of {len(flex)} service-years are fixed to within £0.05m "
                   f"whatever plan within {slack:.0%} of the best is chosen.")
    for r in alt.itertuples(index=False):
        given = (f"{r.given_up_pct:.2f}% added to the least cost" if cost
                 else f"{r.given_up_pct:.2f}% of the best outcome given up")
        out.append(f"Favouring {sector_words(r.favours)}: {given}; {r.differs}.")
    return out
