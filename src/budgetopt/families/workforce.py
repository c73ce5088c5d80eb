"""Workforce: staff needed within staff available, per group and year.

.. math::

    Σ_s n[g,s] · S[s,y] ≤ κ · W[g,y]       ∀ g, y              (workforce_limit)

The shadow price is the objective gained per extra WTE.

=========  ==========================================================  ========
symbol     meaning                                                      unit
=========  ==========================================================  ========
n[g,s]     staff of group g needed per £1m on service s                 WTE/£m
           (workforce_need)
W[g,y]     staff of group g available in year y (workforce)             WTE
κ          multiplier of every group's staff (``scale``)                —
=========  ==========================================================  ========
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from pydantic import Field

from budgetopt.families.common import Params
from budgetopt.families.family import Amount, Family, Requirement, Spend
from budgetopt.families.rows import add_rows, linear

if TYPE_CHECKING:
    import pyomo.environ as pyo

    from budgetopt.model.data import ModelData


class WorkforceRule(Params):
    """Workforce: WTE needed by the allocation within WTE available, per group and year."""

    enabled: bool = True
    scale: float = Field(1.0, ge=0.0, description="Multiply every group's WTE available.")


def limits(data: ModelData) -> tuple[dict[tuple[str, str], float], dict[str, str],
                                     dict[str, list[tuple[str, float]]]]:
    """(κ · W[g,y] per (group, year), each group's name, n[g,s] as [(service, WTE per £1m)]
    per group)."""
    wf, need = data.inputs.workforce, data.inputs.workforce_need
    scale = data.policy.rules.workforce.scale
    wf = wf[wf["year"].isin(data.years)]
    avail = {(g, y): a * scale for g, y, a in zip(wf["group_id"], wf["year"], wf["wte_available"])}
    names = {g: (n or g) for g, n in zip(wf["group_id"], wf["name"])}
    per_group: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for g, s, n in zip(need["group_id"], need["service_id"], need["wte_per_m"]):
        per_group[g].append((s, float(n)))
    return avail, names, per_group


def row_name(group: str, year: str, available: float) -> str:
    return f"{group} needed in {year} within {available:,.0f} WTE available"


def add(m: pyo.ConcreteModel, data: ModelData) -> None:
    if data.inputs.workforce.empty or data.inputs.workforce_need.empty:
        return
    avail, names, per_group = limits(data)
    add_rows(
        m, "workforce_limit", "workforce", list(avail),
        body=lambda k: linear((n, x) for s, n in per_group[k[0]]
                              for x in m.terms.spend[(s, k[1])]) if per_group[k[0]] else None,
        sense="<=", limit=avail,
        name=lambda k: row_name(names[k[0]], k[1], avail[k]),
        labels=lambda k: {"group": names[k[0]], "year": k[1]},
        keys=lambda k: {"group_id": k[0], "year": k[1]},
    )


def checklist(data: ModelData, years: list[str]) -> list[Requirement]:
    """The staff each group needs for the planned spend (WTE per £1m times £m) against the
    staff available."""
    avail, names, per_group = limits(data)
    return [Requirement(f"{row_name(names[g], y, limit)} (WTE)", y,
                        tuple(Spend(y, services=(s,), factor=n) for s, n in per_group[g]), "<=",
                        (Amount(limit),), unit="WTE")
            for (g, y), limit in avail.items() if per_group[g] and y in years]


FAMILY = Family("workforce", WorkforceRule, WorkforceRule(), ("workforce_limit",), add=add,
                checklist=checklist)
