"""Service bounds: minimum and maximum spend per service and year (ICS-wide).

.. math::

    S[s,y] ≥ min_s        ∀ s, y with min_s > 0          (bounds_min)
    S[s,y] ≤ max_s        ∀ s, y with max_s finite       (bounds_max)

=========  ==========================================================  ========
symbol     meaning                                                      unit
=========  ==========================================================  ========
min_s      service s's minimum a year: services.min_m, or               £m
           ``services.<s>.min_m`` in the policy
max_s      its maximum a year (services.max_m, or ``max_m``)            £m
=========  ==========================================================  ========
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from budgetopt.errors import Problem
from budgetopt.families.acute_offset import RELEASE_SOURCE
from budgetopt.families.common import (
    Params,
    fmt_m,
    money_against,
    service_names,
    unknown_services,
)
from budgetopt.families.family import Amount, Family, Requirement, Spend
from budgetopt.families.rows import Csr, Sense, add_matrix_rows

if TYPE_CHECKING:
    import pyomo.environ as pyo

    from budgetopt.data.inputs import Inputs
    from budgetopt.model.data import ModelData
    from budgetopt.policy import Policy


class ServiceBounds(Params):
    min_m: float | None = Field(None, ge=0.0)
    max_m: float | None = Field(None, ge=0.0)


class BoundsRule(Params):
    """Service bounds: minimum and maximum spend per service and year."""

    enabled: bool = True
    services: dict[str, ServiceBounds] = Field(
        default_factory=dict, description="Per-service overrides of min_m / max_m (£m a year)."
    )


SIDES: tuple[tuple[str, Literal[">=", "<="], str], ...] = (
    ("bounds_min", ">=", "Minimum"), ("bounds_max", "<=", "Maximum"))
"""(component, sense, word) of each side."""


def service_bounds(inputs: Inputs, policy: Policy) -> tuple[dict[str, float], dict[str, float]]:
    """(min_s, max_s) per service (£m a year): the services table, overridden by
    ``rules.bounds.services``."""
    svc = inputs.services
    ids = svc["service_id"].tolist()
    lo = {s: float(v) for s, v in zip(ids, svc["min_m"].tolist())}
    hi = {s: float(v) for s, v in zip(ids, svc["max_m"].tolist())}
    known = set(lo)
    for sid, o in policy.rules.bounds.services.items():
        if sid not in known:
            continue  # named by check()
        if o.min_m is not None:
            lo[sid] = float(o.min_m)
        if o.max_m is not None:
            hi[sid] = float(o.max_m)
    return lo, hi


def check(data: ModelData) -> list[Problem]:
    return unknown_services(data, "rules.bounds.services", data.policy.rules.bounds.services)


def _rows(data: ModelData) -> list[tuple[str, Sense, str, dict[str, float],
                                         list[tuple[str, str]]]]:
    """(component, sense, word, bound per service, [(s, y)] rows) of each side."""
    lo, hi = service_bounds(data.inputs, data.policy)
    out: list[tuple[str, Sense, str, dict[str, float], list[tuple[str, str]]]] = []
    for (component, sense, word), bound in zip(SIDES, (lo, hi)):
        keys = [(s, y) for y in data.years for s in data.inputs.service_ids
                if (bound[s] > 0 if sense == ">=" else math.isfinite(bound[s]))]
        out.append((component, sense, word, bound, keys))
    return out


def add(m: pyo.ConcreteModel, data: ModelData) -> None:
    """The rows as a matrix over the segment columns (S[s,y] = Σ x[j] over its segments): at
    national size 40,000 Pyomo constraints built and read back cost more than the solve."""
    names = service_names(data)
    cols = m.terms.columns
    groups = m.terms.spend_columns

    def side(component: str, sense: Sense, word: str, bound: dict[str, float],
             keys: list[tuple[str, str]]) -> None:
        # the maximum of a service-year is the same sum as its minimum: one ranged row in
        # HiGHS (min ≤ S ≤ max), two rows in the model and the answer
        add_matrix_rows(
            m, component, "bounds", keys, cols,
            Csr.of_rows([groups[k] for k in keys], len(cols)),
            sense=sense, limit={k: bound[k[0]] for k in keys},
            name=lambda k: f"{word} spend on {names[k[0]]} in {k[1]} ({fmt_m(bound[k[0]])})",
            labels=lambda k: {"service": names[k[0]], "year": k[1]},
            keys=lambda k: {"service_id": k[0], "year": k[1]},
            twin="bounds_min" if component == "bounds_max" else None,
        )

    for row in _rows(data):
        side(*row)


def presolve(data: ModelData) -> list[str]:
    """Σ_s min_s against Σ_i F[i,y] each year; each min_s against the money of the sources
    allowed to pay for s."""
    mins, _ = service_bounds(data.inputs, data.policy)
    need = sum(mins.values())
    out = []
    pool = data.funding[data.funding["source_id"] != RELEASE_SOURCE]
    for year, money in pool.groupby("year", sort=False)["amount_m"].sum().items():
        if need > money + 1e-9:
            asked, held = money_against(need, money)
            out.append(f"Minimum spend adds up to {asked} against {held} of funding in {year}.")
    names = service_names(data)
    fund = data.funding.groupby(["source_id", "year"], sort=False, as_index=False)["amount_m"].sum()
    # each service-year's eligible money: the sum over its flows' sources (ICS-wide money has
    # a flow per HWB: counted once)
    money = (data.flows[["source_id", "service_id", "year"]].drop_duplicates()
             .merge(fund, on=["source_id", "year"], how="left")
             .groupby(["service_id", "year"], sort=False)["amount_m"].sum())
    return out + ["The minimum on {} ({}) is more than the {} its eligible sources hold in {}."
                  .format(names[sid], *money_against(mins[sid], held), year)
                  for (sid, year), held in money.items() if mins[sid] > held + 1e-9]


def checklist(data: ModelData, years: list[str]) -> list[Requirement]:
    """Each service's planned spend against its minimum and maximum, year by year."""
    lo, hi = service_bounds(data.inputs, data.policy)
    names = service_names(data)
    rows = []
    for sid in data.inputs.service_ids:
        for y in years:
            figure = (Spend(y, services=(sid,)),)
            if lo[sid] > 0:
                rows.append(Requirement(f"Minimum spend on {names[sid]}", y, figure, ">=",
                                        (Amount(lo[sid]),)))
            if math.isfinite(hi[sid]):
                rows.append(Requirement(f"Maximum spend on {names[sid]}", y, figure, "<=",
                                        (Amount(hi[sid]),)))
    return rows


FAMILY = Family("bounds", BoundsRule, BoundsRule(), ("bounds_min", "bounds_max"), add=add,
                check=check, presolve=presolve, checklist=checklist)
