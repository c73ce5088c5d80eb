"""Core20PLUS5: prevention money reaches the most deprived 20%.

.. math::

    Σ_p χ_p P[p,y] − μ · Σ_p P[p,y] ≥ 0                                (core20_share)
    Σ_p χ_p P[p,y] / N₂₀ − ω · Σ_p (1 − χ_p) P[p,y] / N₈₀ ≥ 0           (core20_ratio)

The people of place p in the most deprived national quintile (its share χ_p) are assumed to
receive that share of its prevention spend. The ratio row is written per million people
(both terms times 10⁶), so its shadow price is per £1 a head.

=========  ==========================================================  ========
symbol     meaning                                                      unit
=========  ==========================================================  ========
PV         the prevention services (of ``sectors``, plus ``services``)  —
P[p,y]     prevention spend in place p: Σ_{s∈PV} S[s,p,y]               £m
χ_p        place p's core20_share                                       —
h_p        place p's population                                         people
N₂₀        Σ_p χ_p · h_p, the Core20 population                         people
N₈₀        Σ_p (1 − χ_p) · h_p, everyone else                           people
μ          least share of prevention spend to Core20 (``min_share``)    —
ω          least ratio of spend per head, Core20 to the rest            —
           (``min_ratio``)
=========  ==========================================================  ========
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field, model_validator

from budgetopt.errors import Problem
from budgetopt.families.common import (
    Params,
    needs_places,
    place_terms,
    problem,
    sector_services,
    unknown_sectors,
    unknown_services,
)
from budgetopt.families.family import Family
from budgetopt.families.rows import add_rows, linear

if TYPE_CHECKING:
    import pyomo.environ as pyo

    from budgetopt.model.data import ModelData


class Core20Rule(Params):
    """Core20PLUS5: prevention money reaches the most deprived 20%."""

    enabled: bool = True
    sectors: list[str] = Field(
        default_factory=lambda: ["public_health"],
        description="Sectors that count as prevention.")
    services: list[str] = Field(
        default_factory=list, description="Further services that count as prevention.")
    min_share: float | None = Field(
        None, ge=0.0, le=1.0,
        description="At least this share of prevention spend reaches people in the most "
        "deprived national quintile (each place's spend is shared by its core20_share).")
    min_ratio: float | None = Field(
        None, ge=0.0,
        description="Prevention spend per head in the most deprived quintile at least this "
        "multiple of spend per head elsewhere (1.2 = 20% more).")

    @model_validator(mode="after")
    def _one_floor(self) -> Core20Rule:
        if self.enabled and self.min_share is None and self.min_ratio is None:
            raise ValueError("Core20PLUS5 needs min_share or min_ratio")
        return self


def prevention(data: ModelData) -> list[str]:
    """PV, the sectors' services first."""
    rule = data.policy.rules.core20
    return list(dict.fromkeys(sector_services(data, rule.sectors) + list(rule.services)))


def _populations(data: ModelData) -> tuple[dict[str, float], float, float]:
    """(χ_p per place, N₂₀, N₈₀)."""
    places = data.inputs.places
    chi = dict(zip(places["place_id"], places["core20_share"].astype(float)))
    pop = dict(zip(places["place_id"], places["population"].astype(float)))
    return (chi, sum(chi[p] * pop[p] for p in chi), sum((1 - chi[p]) * pop[p] for p in chi))


def check(data: ModelData) -> list[Problem]:
    rule = data.policy.rules.core20
    problems = needs_places(data, "core20")
    if problems:
        return problems
    problems = (unknown_sectors("rules.core20.sectors", rule.sectors)
                + unknown_services(data, "rules.core20.services", rule.services))
    if not problems and not prevention(data):
        problems.append(problem("rules.core20", "no prevention service (name sectors or "
                                "services)"))
    if rule.min_ratio is not None:
        _, n20, n80 = _populations(data)
        if n20 <= 0 or n80 <= 0:
            problems.append(problem("rules.core20.min_ratio", "needs places with "
                                    "core20_share between 0 and 1"))
    return problems


def add(m: pyo.ConcreteModel, data: ModelData) -> None:
    rule = data.policy.rules.core20
    pv = prevention(data)
    chi, n20, n80 = _populations(data)
    years = list(data.years)

    def by_year(y):
        return {"year": y}

    if rule.min_share is not None:
        mu = rule.min_share
        add_rows(m, "core20_share", "core20", years,
                 body=lambda y: linear([t for p in chi for t in place_terms(
                     m, pv, p, y, chi[p] - mu)]),
                 sense=">=", limit={y: 0.0 for y in years},
                 name=lambda y: f"At least {mu:.0%} of prevention spend reaches the most "
                                f"deprived 20% in {y} (Core20PLUS5)",
                 labels=by_year, keys=by_year)
    if rule.min_ratio is not None:
        omega = rule.min_ratio
        add_rows(m, "core20_ratio", "core20", years,
                 body=lambda y: linear([t for p in chi for t in place_terms(
                     m, pv, p, y, chi[p] / n20 * 1e6 - omega * (1 - chi[p]) / n80 * 1e6)]),
                 sense=">=", limit={y: 0.0 for y in years},
                 name=lambda y: f"Prevention spend per head in the most deprived 20% at least "
                                f"{omega:.2f} times elsewhere in {y} (Core20PLUS5)",
                 labels=by_year, keys=by_year)


FAMILY = Family("core20", Core20Rule, Core20Rule(enabled=False),
                ("core20_share", "core20_ratio"), add=add, check=check)
