"""Acute bed capacity closes only at a stated rate.

.. math::

    H[y−1] − H[y] ≤ β · ψ / 10⁶      ∀ y       (bed_capacity)

with the acute offset on (H[y₀−1] = its acute budget Hᴮ[y₀],
:mod:`budgetopt.families.acute_offset`), else on the pool's acute lines,
S[AC,y−1] − S[AC,y] ≤ β · ψ / 10⁶ (S[AC,y₀−1] = their baseline): acute spend falls at most as
fast as wards can close.

=========  ==========================================================  ========
symbol     meaning                                                      unit
=========  ==========================================================  ========
β          acute beds that can close in a year (``beds_per_year``)      beds
ψ          annual cost of one acute bed (``cost_per_bed_gbp``)          £
AC         the pool's acute services (sector acute)                     —
=========  ==========================================================  ========
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field, model_validator

from budgetopt.families import acute_offset
from budgetopt.families.common import (
    Params,
    baseline_by_service,
    fmt_m,
    group_terms,
    sector_services,
)
from budgetopt.families.family import Family
from budgetopt.families.rows import add_rows, linear

if TYPE_CHECKING:
    import pyomo.environ as pyo

    from budgetopt.model.data import ModelData


class BedCapacityRule(Params):
    """Acute bed capacity closes only at a stated rate."""

    enabled: bool = True
    beds_per_year: float | None = Field(
        None, ge=0.0,
        description="Acute beds that can close (or be moved out of hospital) in a year: "
        "wards close after consultation and re-deployment of staff.")
    cost_per_bed_gbp: float = Field(
        300_000.0, gt=0.0,
        description="Annual cost of one acute bed in £ (about £900 a bed day at 92% "
        "occupancy is about £300,000 a year): the acute spend one closed bed releases.")

    @model_validator(mode="after")
    def _rate_given(self) -> BedCapacityRule:
        if self.enabled and self.beds_per_year is None:
            raise ValueError("beds_per_year is needed: how many acute beds can close in a year")
        return self


def add(m: pyo.ConcreteModel, data: ModelData) -> None:
    rule = data.policy.rules.bed_capacity
    step = rule.beds_per_year * rule.cost_per_bed_gbp / 1e6
    years = data.years
    if data.policy.enabled("acute_offset"):
        acute_offset.acute_vars(m, data)
        start = acute_offset.acute_budget(data)[years[0]]

        def body(y):
            t = years.index(y)
            terms = [(-1.0, m.acute[y])] + ([(1.0, m.acute[years[t - 1]])] if t else [])
            return linear(terms)

        what = "Acute spend needed"
    else:
        acute = sector_services(data, ["acute"])
        base = baseline_by_service(data)
        start = sum(base.get(s, 0.0) for s in acute)

        def body(y):
            t = years.index(y)
            terms = group_terms(m, acute, y, -1.0)
            if t:
                terms += group_terms(m, acute, years[t - 1], 1.0)
            return linear(terms) if terms else None

        what = "Pooled acute spend"
    limit = {y: step - (start if years.index(y) == 0 else 0.0) for y in years}
    add_rows(m, "bed_capacity", "bed_capacity", list(years), body=body, sense="<=", limit=limit,
             name=lambda y: f"{what} falls in {y} by at most {rule.beds_per_year:,.0f} beds' "
                            f"worth ({fmt_m(step)})",
             labels=lambda y: {"year": y, "beds": rule.beds_per_year},
             keys=lambda y: {"year": y})


FAMILY = Family("bed_capacity", BedCapacityRule, BedCapacityRule(enabled=False),
                ("bed_capacity",), add=add)
