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
from budgetopt.families.money import balance_keys
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

    @cached_property
    def spend_hwb_columns(self) -> dict[tuple[str, str, str], np.ndarray]:
        """The segment columns j whose sum is S[s,h,y] (as :attr:`spend_hwb` holds them)."""
        return dict(self._data.segments.groupby(["service_id", "hwb_id", "year"], sort=False)
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


class Flows:
    """The money flows f[i,s,y] (``data.flows``, flow k at row k) as model terms.

    Where two or more flows pay for a service's spend in a year (with HWBs: in one HWB's places),
    each is a column of ``m.flow`` and the funding balance S − Σ f = 0 ties them to the spend.
    Where only one flow pays for it, that flow *is* the spend, S[s,y] (S[s,h,y]): the sum of its
    segment columns, with no column or balance row of its own (the LP is smaller by one column
    and one row per such service and year). Every reader of flows goes through this map:
    :meth:`terms` in a family's rows, :meth:`values` for the answer's flows.

    ``var[k]``: flow k's position in ``m.flow``, or −1 where it is a spend;
    ``segments[k]``: the segment columns of that spend (empty for a flow with a column).
    """

    def __init__(self, data: ModelData, terms: Terms, flow_vars: list, var: np.ndarray) -> None:
        self.var = var
        self._xs, self._fs = terms.columns, flow_vars
        spend = terms.spend_hwb_columns if data.inputs.has_hwbs else terms.spend_columns
        none = np.zeros(0, dtype=np.int64)
        keys = data.flows[balance_keys(data)].itertuples(index=False, name=None)
        self.segments = [none if v >= 0 else spend.get(k, none)
                         for k, v in zip(keys, var.tolist())]
        lengths = np.fromiter((len(c) for c in self.segments), dtype=np.int64,
                              count=len(self.segments))
        self._owner = np.repeat(np.arange(len(var)), lengths)
        self._cols = np.concatenate(self.segments) if self.segments else none

    @staticmethod
    def columns_needed(data: ModelData) -> np.ndarray:
        """Per flow, its position in ``m.flow`` (numbered in flow order), or −1 where it is the
        only flow paying for its spend."""
        flows = data.flows
        size = flows.groupby(balance_keys(data), sort=False)["col"].transform("size")
        own = size.to_numpy() > 1
        return np.where(own, np.cumsum(own) - 1, -1).astype(np.int64)

    @property
    def real(self) -> np.ndarray:
        """The flows that are columns of ``m.flow``."""
        return self.var >= 0

    def terms(self, k: int, weight: float = 1.0) -> list[tuple[float, object]]:
        """Flow k as (coefficient, variable) pairs: its column, or its spend's segments."""
        v = int(self.var[k])
        if v >= 0:
            return [(weight, self._fs[v])]
        xs = self._xs
        return [(weight, xs[j]) for j in self.segments[k].tolist()]

    def values(self, x: np.ndarray, f: np.ndarray) -> np.ndarray:
        """Every flow's amount from the segment values `x` and the ``m.flow`` values `f`."""
        out = np.bincount(self._owner, weights=np.asarray(x, dtype=float)[self._cols],
                          minlength=len(self.var)).astype(float)
        real = self.real
        out[real] = np.asarray(f, dtype=float)[self.var[real]]
        return out


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
    var = Flows.columns_needed(data)
    n_flow = int((var >= 0).sum())
    m.flow = pyo.Var(range(n_flow), within=pyo.NonNegativeReals,
                     doc="money from a funding source to a service in a year (£m), where "
                     "two or more sources pay for it")
    # The same bounds as arrays, so compiling need not read 100,000 variables one by one.
    m.bound_hints = {"x": (np.zeros(len(seg)), np.where(finite, widths, np.inf)),
                     "flow": (np.zeros(n_flow), np.full(n_flow, np.inf))}
    m.terms = Terms(xs, data)
    m.flows = Flows(data, m.terms, list(m.flow.values()), var)
    c = objective_coefficients(data)
    sense = pyo.minimize if data.policy.objective == "min_cost" else pyo.maximize
    m.objective = pyo.Objective(expr=linear(zip(c, xs)), sense=sense,
                                doc="discounted weighted outcome" if sense == pyo.maximize
                                else "discounted spend (£m)")
    for family in families.on(data):
        if family.add is not None:
            family.add(m, data)
    return m
