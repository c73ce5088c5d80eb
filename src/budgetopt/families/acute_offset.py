"""Acute demand offset with double running: hospital money moves only as demand moves.

.. math::

    H[y] + θ · Σ_m γ_m · (O[m,y−L] − Ō[m,y−L]) / 10⁶ ≥ C[y]         (acute_demand)
    H[y] − D[y] ≤ Hᴮ[y]                                              (acute_budget)
    Σ_s f[R,s,y] + λ · (H[y] − D[y]) ≤ λ · Hᴮ[y]                     (acute_release)
    D[y] − D̄[y] · u[y] ≤ 0                                           (double_running_switch)
    Σ_s f[R,s,y] + λ · Hᴮ[y] · u[y] ≤ λ · Hᴮ[y]                      (release_switch)

Acute spend needed H[y] is today's demand cost C[y] less the cash-releasing saving of the extra
admissions and bed-days the pool's schemes avoid (metric m's extra outcome over what the
baseline buys, times £γ_m a unit, times the realisation rate θ), realised only after a lag of L
years (savings of years before the plan are nil). The acute budget Hᴮ pays for H; what it
cannot pay (the double running: new services running while the beds they replace are still
open) must come from the transformation fund, D[y] (zero unless that fund may pay double
running; D[y] ≤ D̄[y] = max(0, C[y] − Hᴮ[y]), the double running needed if nothing were
saved).
A year either pays double running or releases money, never both (the binary u[y]), so the fund
cannot become general money by paying acute costs the acute budget could meet; the model is
then a small mixed-integer programme and its shadow prices come from the LP with u fixed. What
the acute budget no longer needs is released to the pool (the funding source R,
``ACUTE_RELEASE``), at most the share λ of it. The shadow price of ``acute_demand`` is what £1m
more acute demand would do to the objective (it costs: a negative price); ``acute_release``'s
limit is λ · Hᴮ[y], so its name states the acute budget.

=========  ==========================================================  ========
symbol     meaning                                                      unit
=========  ==========================================================  ========
H[y]       acute spend needed (outside the pool)                        £m
D[y]       double running paid by the transformation fund               £m
D̄[y]       the most double running a year can need: max(0, C − Hᴮ)      £m
u[y]       1 if year y pays double running (and releases nothing)       0/1
C[y]       acute demand cost at today's activity (``baseline_cost_m``)  £m
Hᴮ[y]      acute budget (``budget_m``; blank: C in the first year)      £m
θ          share of the gross saving that is cash (``realisation``)     —
γ_m        acute cost avoided per unit of metric m (``saving_gbp``)     £
L          years before savings release cash (``lag_years``)            years
Ō[m,y]     outcome of metric m the baseline allocation buys             unit
R          the released acute money, a funding source                   —
λ          share of released money the pool may spend (reinvest_share)  —
=========  ==========================================================  ========
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd
import pyomo.core as pyo
from pydantic import Field, model_validator

from budgetopt.errors import Problem
from budgetopt.families.common import (
    Params,
    YearValue,
    fmt_m,
    problem,
    unknown_ids,
    unknown_sectors,
    year_value,
)
from budgetopt.families.family import Family
from budgetopt.families.rows import add_rows, linear

if TYPE_CHECKING:
    from budgetopt.data.inputs import Inputs
    from budgetopt.model.data import ModelData
    from budgetopt.policy import Policy

RELEASE_SOURCE = "ACUTE_RELEASE"
"""Pseudo funding source R: acute money released to the pool's services."""


class AcuteOffsetRule(Params):
    """Acute demand offset with double running (outside the pool, where savings land)."""

    enabled: bool = True
    baseline_cost_m: YearValue | None = Field(
        None, description="Cost of acute non-elective demand at today's activity, £m a year "
        "(or {year: £m} for demand growth): what the hospital costs if nothing changes.")
    budget_m: YearValue | None = Field(
        None, description="Acute budget, £m a year. Blank = the baseline cost (held flat).")
    lag_years: int = Field(
        1, ge=0, description="Years before avoided admissions and bed-days release cash: "
        "wards close only after the demand has gone.")
    realisation: float = Field(
        0.5, ge=0.0, le=1.0,
        description="Share of the gross saving that is cash-releasing (freed beds are "
        "partly refilled by waiting-list work).")
    savings_gbp: dict[str, float] = Field(
        default_factory=dict, description="£ of acute cost avoided per unit of a metric "
        "{metric_id: £}; overrides metrics.saving_gbp.")
    reinvest_share: float = Field(
        1.0, ge=0.0, le=1.0,
        description="Share of released acute money that may be reinvested in the pool's "
        "services (the rest is kept by the acute budget).")
    reinvest_in: list[str] | None = Field(
        None, description="Sectors reinvested savings may pay for; blank = every sector "
        "but acute.")

    @model_validator(mode="after")
    def _cost_given(self) -> AcuteOffsetRule:
        if self.enabled and self.baseline_cost_m is None:
            raise ValueError("baseline_cost_m is needed: the acute demand cost (£m a year)")
        return self


def release_services(inputs: Inputs, policy: Policy) -> list[str]:
    """The services released acute money may pay for: those of ``reinvest_in``, or every
    service but acute."""
    into = policy.rules.acute_offset.reinvest_in
    return [s for s, sector in zip(inputs.services["service_id"].tolist(),
                                   inputs.services["sector"].tolist())
            if (sector != "acute" if into is None else sector in into)]


def release_funding(policy: Policy, years: tuple[str, ...]) -> pd.DataFrame:
    """R as a funding source (``source_id, name, year, amount_m``), when the offset is on and
    may reinvest. Its amount (λ · Hᴮ[y]) is only an upper bound: ``acute_release`` says how
    much is really released."""
    rule = policy.rules.acute_offset
    columns = ["source_id", "name", "year", "amount_m"]
    if not (policy.enabled("acute_offset") and rule.reinvest_share > 0):
        return pd.DataFrame(columns=columns)
    budget = budgets(rule, years)
    rows = [(RELEASE_SOURCE, "Acute money released by avoided demand", y,
             budget[y] * rule.reinvest_share) for y in years]
    return pd.DataFrame(rows, columns=columns)


def savings(data: ModelData) -> dict[str, float]:
    """γ_m per metric (£ a unit): metrics.saving_gbp, overridden by ``savings_gbp``."""
    rule = data.policy.rules.acute_offset
    metrics = data.inputs.metrics
    given = metrics["saving_gbp"] if "saving_gbp" in metrics else [None] * len(metrics)
    out = {k: float(v) for k, v in zip(metrics["metric_id"], given)
           if pd.notna(v) and float(v) > 0}
    out.update({k: float(v) for k, v in rule.savings_gbp.items()})
    return out


def check(data: ModelData) -> list[Problem]:
    rule = data.policy.rules.acute_offset
    problems = unknown_ids("rules.acute_offset.savings_gbp", rule.savings_gbp,
                           list(data.inputs.metrics["metric_id"]), "metric")
    missing = [y for y in data.years if year_value(rule.baseline_cost_m, y) is None]
    if missing:
        problems.append(problem("rules.acute_offset.baseline_cost_m",
                                f"has no value for {', '.join(missing)}"))
    return problems + unknown_sectors("rules.acute_offset.reinvest_in", rule.reinvest_in)


def _baseline_outcomes(data: ModelData) -> dict[tuple[str, str], float]:
    """Ō[m,y]: the outcome the baseline allocation buys, filled band by band."""
    x = data.baseline_segments()
    year_of = data.segments["year"].to_numpy()
    out: dict[tuple[str, str], float] = defaultdict(float)
    for col, metric, per_m in data.coefs[["col", "metric_id", "per_m"]].itertuples(index=False):
        out[(metric, year_of[col])] += float(per_m) * float(x[col])
    return out


def acute_vars(m: pyo.ConcreteModel, data: ModelData) -> None:
    """H[y] (``m.acute``) and D[y] (``m.double_running``), once, for every family that uses
    them (this one, the transformation fund, bed capacity)."""
    if hasattr(m, "acute"):
        return
    m.acute = pyo.Var(data.years, within=pyo.NonNegativeReals,
                      doc="acute spend needed (outside the pool, £m)")
    m.double_running = pyo.Var(data.years, within=pyo.NonNegativeReals,
                               doc="double running paid by the transformation fund (£m)")
    tf = data.policy.rules.transformation_fund
    ao = data.policy.rules.acute_offset
    budget = budgets(ao, data.years)
    for y in data.years:
        if not (data.policy.enabled("transformation_fund") and tf.double_running
                and data.policy.enabled("acute_offset")):
            m.double_running[y].fix(0.0)
            continue
        # D̄[y]: the fund cannot be turned into general money by paying acute costs the acute
        # budget could have met.
        cost = year_value(ao.baseline_cost_m, y, 0.0)
        m.double_running[y].setub(max(0.0, cost - budget[y]))


def budgets(rule: AcuteOffsetRule, years: Sequence[str]) -> dict[str, float]:
    """Hᴮ[y] per year: ``budget_m``, blank C in the first year (£0m where neither is given,
    which :func:`check` refuses before any build)."""
    first = year_value(rule.baseline_cost_m, years[0], 0.0)
    return {y: year_value(rule.budget_m, y, first) for y in years}


def acute_budget(data: ModelData) -> dict[str, float]:
    """Hᴮ[y] per planning year."""
    return budgets(data.policy.rules.acute_offset, data.years)


def add(m: pyo.ConcreteModel, data: ModelData) -> None:
    rule = data.policy.rules.acute_offset
    acute_vars(m, data)
    saving = savings(data)
    base_out = _baseline_outcomes(data)
    years = data.years
    cost = {y: year_value(rule.baseline_cost_m, y, 0.0) for y in years}  # check(): all given
    budget = acute_budget(data)

    def demand_body(y):
        t = years.index(y) - rule.lag_years
        terms = [(1.0, m.acute[y])]
        if t >= 0:
            src = years[t]
            for metric, g in saving.items():
                terms += [(rule.realisation * g / 1e6 * a, x)
                          for a, x in m.terms.outcome.get((metric, src), ())]
        return linear(terms)

    def demand_limit(y):
        t = years.index(y) - rule.lag_years
        if t < 0:
            return cost[y]
        return cost[y] + sum(rule.realisation * g / 1e6 * base_out.get((mt, years[t]), 0.0)
                             for mt, g in saving.items())

    def by_year_keys(y):
        return {"year": y}

    add_rows(m, "acute_demand", "acute_offset", list(years), body=demand_body, sense=">=",
             limit={y: demand_limit(y) for y in years},
             name=lambda y: f"Acute spend needed in {y}: demand cost {fmt_m(cost[y])} less "
                            f"realised savings",
             labels=by_year_keys, keys=by_year_keys)
    add_rows(m, "acute_budget", "acute_offset", list(years),
             body=lambda y: linear([(1.0, m.acute[y]), (-1.0, m.double_running[y])]),
             sense="<=", limit=budget,
             name=lambda y: f"Acute spend in {y} within the acute budget of {fmt_m(budget[y])} "
                            "(plus double running)",
             labels=by_year_keys, keys=by_year_keys)
    flows = data.flows[data.flows["source_id"] == RELEASE_SOURCE]
    by_year: dict[str, list] = defaultdict(list)
    for col, y in zip(flows["col"], flows["year"]):
        by_year[y] += m.flows.terms(col)
    s = rule.reinvest_share
    add_rows(m, "acute_release", "acute_offset", list(years),
             body=lambda y: linear([*by_year[y], (s, m.acute[y]), (-s, m.double_running[y])]),
             sense="<=", limit={y: s * budget[y] for y in years},
             name=lambda y: f"Acute money released to the pool in {y} at most "
                            f"{s:.0%} of what the acute budget of {fmt_m(budget[y])} no longer "
                            "needs",
             labels=by_year_keys, keys=by_year_keys, relaxable=False)
    open_years = [y for y in years if not m.double_running[y].fixed and m.double_running[y].ub]
    if open_years:  # a year pays double running or releases money, never both
        m.double_running_on = pyo.Var(open_years, within=pyo.Binary,
                                      doc="1 if the year pays double running (no release)")
        add_rows(m, "double_running_switch", "acute_offset", open_years,
                 body=lambda y: linear([(1.0, m.double_running[y]),
                                        (-m.double_running[y].ub, m.double_running_on[y])]),
                 sense="<=", limit={y: 0.0 for y in open_years},
                 name=lambda y: f"Double running in {y} only in a year that releases nothing",
                 labels=by_year_keys, keys=by_year_keys, relaxable=False, report=False)
        add_rows(m, "release_switch", "acute_offset", open_years,
                 body=lambda y: linear([*by_year[y], (s * budget[y], m.double_running_on[y])])
                 if by_year[y] else None,
                 sense="<=", limit={y: s * budget[y] for y in open_years},
                 name=lambda y: f"Acute money released in {y} only in a year without double "
                                "running",
                 labels=by_year_keys, keys=by_year_keys, relaxable=False, report=False)


FAMILY = Family("acute_offset", AcuteOffsetRule, AcuteOffsetRule(enabled=False),
                ("acute_demand", "acute_budget", "acute_release", "double_running_switch",
                 "release_switch"), add=add, check=check)
