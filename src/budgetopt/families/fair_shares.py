"""Fair shares across places: spend per need-weighted head within a band of the ICS figure.

.. math::

    Φ[p,y] − Σ_{s∈FS} S[s,p,y] = 0                       (fair_share_spend)
    Φ[p,y] − (1 + b[p,y]) · φ_p · Σ_q Φ[q,y] ≤ 0         (fair_share_max)
    Φ[p,y] − (1 − b[p,y]) · φ_p · Σ_q Φ[q,y] ≥ 0         (fair_share_min)

Φ[p,y] is a variable of its own, defined once by the first rows, so that each fair-share row
has one term per place rather than one per band variable of the year (a dense row slows
HiGHS). With a pace of change π, a place whose baseline is further from its fair share than
the band moves towards it: b[p,y] = max(b, |Δ_p| · (1 − π)^(t(y)+1)).

=========  ==========================================================  ========
symbol     meaning                                                      unit
=========  ==========================================================  ========
FS         the services in scope (of ``sectors``; blank: every one)     —
Φ[p,y]     spend in place p on the services in scope                    £m
φ_p        place p's share of need-weighted population                  —
b          the band (``band``): ±b of the fair share                    —
π          pace of change (``pace``): share of the gap closed a year    —
Δ_p        the baseline's relative distance from p's fair share         —
b[p,y]     the band of place p in year y                                —
=========  ==========================================================  ========
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import pyomo.core as pyo
from pydantic import Field

from budgetopt.errors import Problem
from budgetopt.families.common import (
    Params,
    names_by_id,
    needs_places,
    place_terms,
    sector_services,
    unknown_sectors,
)
from budgetopt.families.family import Family
from budgetopt.families.rows import Sense, add_rows, linear

if TYPE_CHECKING:
    from pyomo.core.expr.numeric_expr import LinearExpression

    from budgetopt.model.data import ModelData


class FairSharesRule(Params):
    """Fair shares across places: spend per need-weighted head near the ICS figure."""

    enabled: bool = True
    band: float = Field(
        0.05, ge=0.0,
        description="Each place's spend may differ from its fair share (its share of need-"
        "weighted population times the money) by at most this share of it: 0.05 = ±5%.")
    pace: float | None = Field(
        None, gt=0.0, le=1.0,
        description="Pace of change: a place whose baseline is further from its fair share "
        "than the band must close at least this share of the remaining gap each year (0.5 = "
        "half a year). Blank = the band applies from year one.")
    sectors: list[str] | None = Field(
        None, description="Sectors whose spend is shared fairly; blank = every sector.")


def check(data: ModelData) -> list[Problem]:
    return (needs_places(data, "fair_shares")
            + unknown_sectors("rules.fair_shares.sectors", data.policy.rules.fair_shares.sectors))


SIDES: tuple[tuple[str, float, Literal["<=", ">="], str], ...] = (
    ("fair_share_max", 1.0, "<=", "at most"), ("fair_share_min", -1.0, ">=", "at least"))
"""(component, sign, sense, words) of each side of a place's band."""

def add(m: pyo.ConcreteModel, data: ModelData) -> None:
    rule = data.policy.rules.fair_shares
    services = (sector_services(data, rule.sectors) if rule.sectors else
                data.inputs.service_ids)
    places = data.inputs.places
    share = dict(zip(places["place_id"], places["weighted_population"]
                     / places["weighted_population"].sum()))
    place_names = names_by_id(places, "place_id")
    first = data.baseline[(data.baseline["year"] == data.years[0])
                          & data.baseline["service_id"].isin(services)]
    by_place = first.groupby("place_id")["amount_m"].sum()
    total = float(by_place.sum())
    gap = {p: (by_place.get(p, 0.0) / (share[p] * total) - 1.0) if total > 0 else 0.0
           for p in share}

    def band(p: str, t: int) -> float:
        if rule.pace is None:
            return rule.band
        return max(rule.band, abs(gap[p]) * (1.0 - rule.pace) ** (t + 1))

    keys = [(p, y) for y in data.years for p in share]
    bands = {(p, y): band(p, data.years.index(y)) for p, y in keys}
    m.fair_place_spend = pyo.Var(keys, within=pyo.NonNegativeReals,
                                 doc="spend in scope of the fair-shares rule, by place (£m)")

    def words(k):
        return {"place": place_names[k[0]], "year": k[1]}

    def coords(k):
        return {"place_id": k[0], "year": k[1]}

    add_rows(m, "fair_share_spend", "fair_shares", keys,
             body=lambda k: linear([(1.0, m.fair_place_spend[k]),
                                    *place_terms(m, services, k[0], k[1], -1.0)]),
             sense="==", limit={k: 0.0 for k in keys},
             name=lambda k: f"Spend in {place_names[k[0]]} in {k[1]} that fair shares count",
             labels=words, keys=coords, relaxable=False, report=False)

    def side(component: str, sign: float, sense: Sense, word: str) -> None:
        def body(k: tuple[str, str]) -> LinearExpression:
            p, y = k
            factor = (1.0 + sign * bands[k]) * share[p]
            return linear([(1.0, m.fair_place_spend[k]),
                           *((-factor, m.fair_place_spend[(q, y)]) for q in share)])

        add_rows(m, component, "fair_shares", keys, body=body, sense=sense,
                 limit={k: 0.0 for k in keys},
                 name=lambda k:
                     f"{place_names[k[0]]} spend in {k[1]} {word} its fair share "
                     f"{'+' if sign > 0 else '−'}{bands[k]:.0%}",
                 labels=words, keys=coords)

    for spec in SIDES:
        side(*spec)


FAMILY = Family("fair_shares", FairSharesRule, FairSharesRule(enabled=False),
                ("fair_share_spend", "fair_share_max", "fair_share_min"), add=add, check=check)
