"""Build the Pyomo model: the variables, the shared terms, the objective, then the families.

``build_model(data)`` creates the decision variables, the shared linear terms (spend per
service and year, outcome per metric and year), the objective, and then the rows of every
constraint family that applies, in the registry's order (:data:`budgetopt.families.FAMILIES`).
The model carries ``row_info`` (what each row means) and ``data`` (the tables it was built
from) for the solver and the results. The symbols are those of :mod:`budgetopt.families`.
"""

from __future__ import annotations

from collections import defaultdict
from functools import cached_property

import numpy as np
import pyomo.core as pyo

from budgetopt import families
from budgetopt.families.rows import linear
from budgetopt.model.data import ModelData


def objective_coefficients(data: ModelData) -> np.ndarray:
    """Objective coefficient of each segment column (:attr:`ModelData.objective_vector`,
    worked out once per model data; a copy to each caller).

    ``max_outcome``: c[j] = d[y(j)] · Σ_m v[m] · a[j,m]  (discounted weighted outcome per £m);
    ``min_cost``:    c[j] = d[y(j)]                      (discounted £m).
    """
    return data.objective_vector.copy()


class Terms:
    """The model's shared linear terms, each grouped on first use (a model whose families do
    not need one does not pay for it: at national size each grouping is a tenth of a second).

    ``spend[(s, y)]``: the segment variables whose sum is S[s,y];
    ``spend_place[(s, p, y)]``: those of one place; ``spend_hwb[(s, h, y)]``: those of one
    HWB's places; ``outcome[(m, y)]``: [(a[j,m], x[j])].
    """

    def __init__(self, xs: list, data: ModelData) -> None:
        self._xs, self._data = xs, data  # column j is xs[j] (indexing the Var is slower)

    @property
    def columns(self) -> list:
        """The segment variables: x[j] at j (the columns of a row matrix over them)."""
        return self._xs

    @cached_property
    def spend_columns(self) -> dict[tuple[str, str], np.ndarray]:
        """The segment columns j whose sum is S[s,y], ascending (as :attr:`spend` holds them)."""
        return dict(self._data.segments.groupby(["service_id", "year"], sort=False)
                    .indices.items())

    def _grouped(self, keys: list[str]) -> dict:
        xs = self._xs
        return {k: [xs[j] for j in idx]
                for k, idx in self._data.segments.groupby(keys, sort=False).indices.items()}

    @cached_property
    def spend(self) -> dict[tuple[str, str], list]:
        return self._grouped(["service_id", "year"])

    @cached_property
    def spend_place(self) -> dict[tuple[str, str, str], list]:
        return self._grouped(["service_id", "place_id", "year"])

    @cached_property
    def spend_hwb(self) -> dict[tuple[str, str, str], list]:
        """``(s, h, y)``: the segment variables of service s in HWB h's places in year y
        (h is ICS_WIDE, "", for places without an HWB)."""
        return self._grouped(["service_id", "hwb_id", "year"])

    @cached_property
    def outcome(self) -> dict[tuple[str, str], list]:
        xs, co = self._xs, self._data.coefs
        years = self._data.segments["year"].tolist()
        out: dict[tuple[str, str], list] = defaultdict(list)
        for col, metric, per_m in zip(co["col"].tolist(), co["metric_id"].tolist(),
                                      co["per_m"].tolist()):
            if per_m:
                out[(metric, years[col])].append((float(per_m), xs[col]))
        return dict(out)


def build_model(data: ModelData) -> pyo.ConcreteModel:
    """The allocation model for `data` (a :func:`~budgetopt.model.data.prepare` result, whose
    policy has been checked against the data)."""
    m = pyo.ConcreteModel(name=data.policy.name)
    m.data = data
    m.row_info = []
    seg = data.segments
    widths = seg["width_m"].to_numpy(dtype=float)
    finite = np.isfinite(widths)
    m.x = pyo.Var(range(len(seg)), within=pyo.NonNegativeReals,
                  doc="spend on a curve segment of a service in a place and year (£m)")
    xs = list(m.x.values())
    # x[j] ≤ width[j]: one loop over the finite widths costs less than a bounds rule per index
    for j, w in zip(np.flatnonzero(finite).tolist(), widths[finite].tolist()):
        xs[j].setub(w)
    m.flow = pyo.Var(range(len(data.flows)), within=pyo.NonNegativeReals,
                     doc="money from a funding source to a service in a year (£m)")
    # The same bounds as arrays, so compiling need not read 100,000 variables one by one.
    m.bound_hints = {"x": (np.zeros(len(seg)), np.where(finite, widths, np.inf)),
                     "flow": (np.zeros(len(data.flows)), np.full(len(data.flows), np.inf))}
    m.terms = Terms(xs, data)
    c = objective_coefficients(data)
    sense = pyo.minimize if data.policy.objective == "min_cost" else pyo.maximize
    m.objective = pyo.Objective(expr=linear(zip(c, xs)), sense=sense,
                                doc="discounted weighted outcome" if sense == pyo.maximize
                                else "discounted spend (£m)")
    for family in families.on(data):
        if family.add is not None:
            family.add(m, data)
    return m
