"""Bands filled in order, for curves that are not concave (``nonconcave: milp``).

.. math::

    x[j−1] − w[j−1] · z[j] ≥ 0        (segment_order_prev_full)
    x[j] − M[j] · z[j] ≤ 0            (segment_order_use)          z[j] ∈ {0, 1}

for each segment j after the first of a service whose curve is not concave. A concave curve
needs none of this: the LP fills its best bands first by itself. This is not a policy rule
(it applies whenever a curve needs it); its rows count as service bounds in the results.

=========  ==========================================================  ========
symbol     meaning                                                      unit
=========  ==========================================================  ========
z[j]       1 if segment j is switched on                                0/1
M[j]       w[j], or for the last, uncapped segment an upper bound on    £m
           any service's spend (the largest year's funding + 1)
=========  ==========================================================  ========
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pyomo.core as pyo

from budgetopt.families.family import Family
from budgetopt.families.rows import add_rows, linear

if TYPE_CHECKING:
    from budgetopt.model.data import ModelData


def add(m: pyo.ConcreteModel, data: ModelData) -> None:
    seg = data.segments
    rows = seg[seg["nonconcave"] & (seg["seg"] > 1)]
    if rows.empty:
        return
    big = float(data.funding.groupby("year")["amount_m"].sum().max()) + 1.0
    cols = list(rows["col"])
    m.z = pyo.Var(cols, within=pyo.Binary, doc="segment switched on (mixed-integer mode)")
    width = dict(zip(seg["col"], seg["width_m"]))
    where = rows[["col", "service_id", "place_id", "year", "seg"]].itertuples(index=False)
    label, coords = {}, {}
    for c, s, p, y, k in where:
        label[c] = f"{s} band {k} ({p + ', ' if p else ''}{y})"
        coords[c] = {"service_id": s, **({"place_id": p} if p else {}), "year": y,
                     "band": str(k)}
    add_rows(m, "segment_order_prev_full", "bounds", cols,
             body=lambda j: linear([(1.0, m.x[j - 1]), (-width[j - 1], m.z[j])]),
             sense=">=", limit={j: 0.0 for j in cols},
             name=lambda j: f"Band before {label[j]} full before it is used",
             keys=coords.__getitem__, relaxable=False, report=False)
    add_rows(m, "segment_order_use", "bounds", cols,
             body=lambda j: linear([(1.0, m.x[j]),
                                    (-(width[j] if math.isfinite(width[j]) else big), m.z[j])]),
             sense="<=", limit={j: 0.0 for j in cols},
             name=lambda j: f"{label[j]} used only when switched on",
             keys=coords.__getitem__, relaxable=False, report=False)


FAMILY = Family("segment_order", None, None, ("segment_order_prev_full", "segment_order_use"),
                add=add, applies=lambda data: data.milp)
