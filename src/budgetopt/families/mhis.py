"""Mental Health Investment Standard: in-scope mental-health spend grows with allocation.

.. math::

    S[MH,y] − (1 + α_y) · S[MH,y−1] ≥ 0       ∀ y > y₀                 (mhis)
    S[MH,y₀] ≥ (1 + α_y₀) · B[MH]                                       (mhis)

Learning disability, autism, dementia and specialised services are out of scope (``exclude``).

The standard is a duty of each integrated care board on its own allocation (NHS England's
Mental Health Investment Standard), not a BCF condition and not a duty of a Health and
Wellbeing Board: so it holds once across the ICS (one ICB) even where the data has HWBs, and
counts mental-health spend in every HWB's places together.

=========  ==========================================================  ========
symbol     meaning                                                      unit
=========  ==========================================================  ========
MH         the in-scope services: ``mhis`` yes in the data, plus        —
           ``include``, less ``exclude``
α_y        allocation growth: ``allocation_growth``, or the growth of   —
           total funding on the year before (year one: on baseline)
=========  ==========================================================  ========
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from budgetopt.errors import Problem
from budgetopt.families.acute_offset import RELEASE_SOURCE
from budgetopt.families.common import (
    Params,
    YearValue,
    baseline_by_service,
    group_terms,
    problem,
    unknown_services,
    year_value,
)
from budgetopt.families.family import Amount, Family, Requirement, Spend
from budgetopt.families.rows import add_rows, linear

if TYPE_CHECKING:
    import pyomo.environ as pyo

    from budgetopt.model.data import ModelData


class MhisRule(Params):
    """Mental Health Investment Standard: in-scope mental-health spend grows with allocation."""

    enabled: bool = True
    allocation_growth: YearValue | None = Field(
        None,
        description="Allocation growth the MHIS is measured against, e.g. 0.035, or per year "
        "{2026/27: 0.035, 2027/28: 0.03}. Blank = from the funding table: growth in total "
        "funding on the year before (year one: on total baseline spend).")
    include: list[str] = Field(
        default_factory=list, description="Services counted although not marked mhis.")
    exclude: list[str] = Field(
        default_factory=list, description="Services marked mhis but out of scope (e.g. "
        "learning disability, autism, dementia, specialised).")


def services(data: ModelData) -> list[str]:
    """MH, in the services table's order."""
    rule = data.policy.rules.mhis
    svc = data.inputs.services
    scope = set(svc.loc[svc["mhis"].astype(bool), "service_id"]) | set(rule.include)
    return [s for s in data.inputs.service_ids if s in scope and s not in set(rule.exclude)]


def growth(data: ModelData) -> dict[str, float]:
    """α_y per planning year."""
    rule = data.policy.rules.mhis
    fund = data.funding[data.funding["source_id"] != RELEASE_SOURCE]
    total = fund.groupby("year")["amount_m"].sum()
    base_total = float(data.baseline[data.baseline["year"] == data.years[0]]["amount_m"].sum())
    out: dict[str, float] = {}
    for t, y in enumerate(data.years):
        before = total[data.years[t - 1]] if t else base_total
        default = float(total[y] / before - 1.0) if before > 0 else 0.0
        out[y] = year_value(rule.allocation_growth, y, default)
    return out


def check(data: ModelData) -> list[Problem]:
    rule = data.policy.rules.mhis
    problems = (unknown_services(data, "rules.mhis.include", rule.include)
                + unknown_services(data, "rules.mhis.exclude", rule.exclude))
    if not problems and not services(data):
        problems.append(problem("rules.mhis", "no service is in scope (mark services mhis = "
                                "yes or list them in rules.mhis.include)"))
    return problems


def _first_year_need(data: ModelData, mh: list[str], g: float) -> float:
    """(1 + α_y₀) · B[MH]: what the standard asks of year one (£m)."""
    base = baseline_by_service(data)
    return (1 + g) * sum(base.get(s, 0.0) for s in mh)


def add(m: pyo.ConcreteModel, data: ModelData) -> None:
    mh = services(data)
    g = growth(data)
    years = data.years

    def body(y):
        t = years.index(y)
        terms = group_terms(m, mh, y)
        if t:
            terms += group_terms(m, mh, years[t - 1], -(1.0 + g[y]))
        return linear(terms)

    limit = {y: (_first_year_need(data, mh, g[y]) if years.index(y) == 0 else 0.0)
             for y in years}
    add_rows(m, "mhis", "mhis", list(years), body=body, sense=">=", limit=limit,
             name=lambda y: f"Mental health spend in {y} grows at least {g[y]:.1%} "
                            "(Mental Health Investment Standard)",
             labels=lambda y: {"year": y, "growth": g[y]}, keys=lambda y: {"year": y})


def presolve(data: ModelData) -> list[str]:
    """The first year's requirement against the in-scope services' capacity (max_m), the
    pool's money, and (with managed transition) how far those lines may rise in a year."""
    mh = services(data)
    if not mh:
        return []
    year = data.years[0]
    g = growth(data)[year]
    base = baseline_by_service(data)
    need = _first_year_need(data, mh, g)
    svc = data.inputs.services.set_index("service_id")
    cap = float(svc.loc[mh, "max_m"].sum())
    pool = float(data.funding[(data.funding["source_id"] != RELEASE_SOURCE)
                              & (data.funding["year"] == year)]["amount_m"].sum())
    out = []
    for what, limit in (("the in-scope services' maximums", cap), ("the pool's funding", pool)):
        if need > limit + 1e-9:
            out.append(f"The Mental Health Investment Standard needs £{need:,.1f}m of mental "
                       f"health spend in {year} ({g:.1%} growth) but {what} allow only "
                       f"£{limit:,.1f}m.")
    if data.policy.enabled("transition"):
        rule = data.policy.rules.transition
        if rule.max_rise is not None:
            reach = sum(base.get(s, 0.0) + max(rule.max_rise * base.get(s, 0.0),
                                               rule.min_step_m) for s in mh)
            if need > reach + 1e-9:
                out.append(f"The Mental Health Investment Standard needs £{need:,.1f}m of "
                           f"mental health spend in {year}, but managed transition lets those "
                           f"lines reach only £{reach:,.1f}m.")
    return out


def checklist(data: ModelData, years: list[str]) -> list[Requirement]:
    """In-scope spend each year at least (1 + α) times the year before's (the baseline's in
    the first year)."""
    mh, g = tuple(services(data)), growth(data)
    rows = []
    for t, y in enumerate(years):
        limit = (Amount(_first_year_need(data, list(mh), g[y])) if t == 0
                 else Spend(years[t - 1], services=mh, growth=g[y]))
        before = "the baseline" if t == 0 else years[t - 1]
        rows.append(Requirement(f"Mental health spend grows at least {g[y]:.1%} on {before} "
                                "(Mental Health Investment Standard)", y,
                                (Spend(y, services=mh),), ">=", (limit,)))
    return rows


FAMILY = Family("mhis", MhisRule, MhisRule(enabled=False), ("mhis",), add=add, check=check,
                presolve=presolve, checklist=checklist)
