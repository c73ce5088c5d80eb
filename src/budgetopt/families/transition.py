"""Managed transition: each line's spend moves at most a stated share a year.

.. math::

    S[s,y] − S[s,y−1] ≤ max(ρ⁺_s · B[s], δ)      ∀ s, y      (transition_rise)
    S[s,y−1] − S[s,y] ≤ max(ρ⁻_s · B[s], δ)      ∀ s, y      (transition_fall)

with S[s,y₀−1] = B[s] (year one moves from the baseline). A line with no limit on a side has
no row there. No cliff-edge: a service cannot lose more than ρ⁻ of its baseline in a year.

=========  ==========================================================  ========
symbol     meaning                                                      unit
=========  ==========================================================  ========
ρ⁺_s       largest rise a year, as a share of B[s]: the service's       —
           limit, else its sector's, else ``max_rise``
ρ⁻_s       largest fall a year, as a share of B[s] (``max_fall``)       —
δ          every line may move this much a year (``min_step_m``)        £m
=========  ==========================================================  ========
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from pydantic import Field

from budgetopt.errors import Problem
from budgetopt.families.common import (
    Params,
    baseline_by_service,
    fmt_m,
    group_terms,
    service_names,
    unknown_sectors,
    unknown_services,
)
from budgetopt.families.family import Amount, Family, Requirement, Spend
from budgetopt.families.rows import add_rows, linear

if TYPE_CHECKING:
    import pyomo.environ as pyo
    from pyomo.core.expr.numeric_expr import LinearExpression

    from budgetopt.model.data import ModelData


class StepLimits(Params):
    """Per-sector or per-service transition limits (blank = as the level above).

    To free a line from a limit, give a large share (e.g. ``max_rise: 100``)."""

    max_rise: float | None = Field(
        None, ge=0.0, description="Largest rise a year, as a share of the line's baseline.")
    max_fall: float | None = Field(
        None, ge=0.0, le=1.0, description="Largest fall a year, as a share of the baseline.")


class TransitionRule(Params):
    """Managed transition: each line's spend moves at most a stated share a year."""

    enabled: bool = True
    max_rise: float | None = Field(
        0.25, ge=0.0,
        description="Largest rise in a line's spend from one year to the next, as a share of "
        "its baseline (0.25 = 25% of baseline a year). Null = rises are not limited.")
    max_fall: float | None = Field(
        0.10, ge=0.0, le=1.0,
        description="Largest fall from one year to the next, as a share of the baseline "
        "(0.10 = 10% a year). Year one moves from the baseline. Null = falls not limited.")
    min_step_m: float = Field(
        0.5, ge=0.0,
        description="Every line may move by at least this many £m a year, so that new and "
        "small schemes can start (a share of a zero baseline is zero).")
    sectors: dict[str, StepLimits] = Field(
        default_factory=dict, description="Limits for every line of a sector, e.g. "
        "{acute: {max_fall: 0.03}}.")
    services: dict[str, StepLimits] = Field(
        default_factory=dict, description="Limits for one service (over its sector's).")


SIDES = (("transition_rise", "max_rise", "rises", 1.0), ("transition_fall", "max_fall", "falls",
                                                           -1.0))
"""(component, parameter, verb, sign) of each side."""


def check(data: ModelData) -> list[Problem]:
    rule = data.policy.rules.transition
    return (unknown_services(data, "rules.transition.services", rule.services)
            + unknown_sectors("rules.transition.sectors", rule.sectors))


def steps(data: ModelData) -> dict[str, dict[tuple[str, str], float]]:
    """How far each line may move in a year (£m): ``{"transition_rise": {(s, y): step}, ...}``
    with step = max(ρ · B[s], δ); a line with no limit on a side has no entry there."""
    rule = data.policy.rules.transition
    svc = data.inputs.services
    sector_of = dict(zip(svc["service_id"], svc["sector"]))
    base = baseline_by_service(data)

    def limit_of(s: str, side: str) -> float | None:
        for over in (rule.services.get(s), rule.sectors.get(sector_of[s])):
            if over is not None and getattr(over, side) is not None:
                return getattr(over, side)
        return getattr(rule, side)

    out: dict[str, dict[tuple[str, str], float]] = {}
    for component, side, _, _ in SIDES:
        out[component] = {}
        for s in data.inputs.service_ids:
            share = limit_of(s, side)
            if share is not None:
                step = max(share * base.get(s, 0.0), rule.min_step_m)
                out[component].update({(s, y): step for y in data.years})
    return out


def row_name(service: str, verb: str, step: float, year: str) -> str:
    """'<service> rises (or falls) by at most £Xm in <year>': the row's and the checklist's."""
    return f"{service} {verb} by at most {fmt_m(step)} in {year}"


def add(m: pyo.ConcreteModel, data: ModelData) -> None:
    names = service_names(data)
    base = baseline_by_service(data)
    prev = {y: data.years[t - 1] for t, y in enumerate(data.years) if t}
    step = steps(data)

    def side(component: str, verb: str, sign: float) -> None:
        limit = {(s, y): v + (sign * base.get(s, 0.0) if y not in prev else 0.0)
                 for (s, y), v in step[component].items()}

        def body(k: tuple[str, str]) -> LinearExpression | None:
            s, y = k
            terms = group_terms(m, [s], y, sign)
            if y in prev:
                terms += group_terms(m, [s], prev[y], -sign)
            return linear(terms) if terms else None

        add_rows(
            m, component, "transition", list(limit), body=body, sense="<=", limit=limit,
            name=lambda k:
                row_name(names[k[0]], verb, step[component][k], k[1]),
            labels=lambda k: {"service": names[k[0]], "year": k[1]},
            keys=lambda k: {"service_id": k[0], "year": k[1]},
        )

    for component, _, verb, sign in SIDES:
        side(component, verb, sign)


def checklist(data: ModelData, years: list[str]) -> list[Requirement]:
    """How far each line's planned spend moves from the year before (the baseline in the
    first year) against its step."""
    base = baseline_by_service(data)
    names = service_names(data)
    step = steps(data)
    rows = []
    for component, _, verb, _ in SIDES:
        for (s, y), v in step[component].items():
            t = years.index(y)
            now = Spend(y, services=(s,))
            before = (Spend(years[t - 1], services=(s,)) if t else Amount(base.get(s, 0.0)))
            change = ((now, _negated(before)) if verb == "rises" else (before, _negated(now)))
            rows.append(Requirement(row_name(names[s], verb, v, y), y, change, "<=",
                                    (Amount(v),)))
    return rows


def _negated(term: Spend | Amount) -> Spend | Amount:
    return Amount(-term.value) if isinstance(term, Amount) else replace(term, minus=True)


FAMILY = Family("transition", TransitionRule, TransitionRule(enabled=False),
                ("transition_rise", "transition_fall"), add=add, check=check,
                checklist=checklist)
