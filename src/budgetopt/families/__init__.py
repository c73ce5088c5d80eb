"""The constraint families: one module per rule, and the registry that lists them in row order.

Each module owns everything about its family (:class:`~budgetopt.families.family.Family`): its
parameters (the pydantic class under ``rules.<family>`` of a policy model), its checks of the
policy against the data, its rows (through the one row door, :mod:`budgetopt.families.rows`),
its pre-solve warnings and its checklist rows for the BCF workbook, with its mathematics in
its docstring. :data:`FAMILIES` is the one list of them: the policy's ``rules`` are built from
it, the model adds rows by walking it, and the checks, the warnings, the workbook's checklist
and the catalogue test all come from it. Adding a family is one module, its line here and its
catalogue entry (``catalogue.yaml``).

The symbols every family shares (each family's own are in its docstring; no symbol means two
things across the package, which ``tests/families/test_symbols.py`` checks). Indices: s a
service, p and q places, y a year (y₀ the first planning year), m a metric, i a funding source,
j a segment column, g a staff group, k a band.

=========  ==========================================================  ========
symbol     meaning                                                      unit
=========  ==========================================================  ========
x[j]       spend on segment column j: band k of service s in place p    £m
           and year y
w[j]       width of that segment (the band's width × place p's share)   £m
a[j,m]     outcome of metric m per £1m on that segment (× p's effect)   unit/£m
c[j]       objective coefficient of x[j]                                —
f[i,s,y]   money from funding source i to service s in year y           £m
F[i,y]     amount of source i in year y (policy applied)                £m
S[s,y]     spend on service s in year y: Σ_p Σ_k x[s,p,y,k]             £m
S[s,p,y]   spend on service s in place p and year y                     £m
S[G,y]     spend on a set G of services: Σ_{s∈G} S[s,y]                 £m
O[m,y]     outcome of metric m in year y: Σ a · x                       unit
v[m]       value weight of metric m                                     per unit
d[y]       discount factor of year y: (1 + r)^−t(y)                     —
r          annual discount rate (``horizon.discount_rate``)             —
t(y)       position of year y in the plan (0 for y₀)                    —
B[s]       baseline spend on service s in the first planning year       £m
=========  ==========================================================  ========
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from budgetopt.errors import Problem
from budgetopt.families import (
    acute_offset,
    bcf_conditions,
    bed_capacity,
    bounds,
    capacity,
    core20,
    eligibility,
    fair_shares,
    mhis,
    money,
    personal_budgets,
    pins,
    sector_shares,
    segment_order,
    targets,
    transformation_fund,
    transition,
    workforce,
)
from budgetopt.families.family import Family, Requirement

if TYPE_CHECKING:
    from budgetopt.model.data import ModelData

FAMILIES: list[Family] = [
    money.FAMILY,
    eligibility.FAMILY,
    bounds.FAMILY,
    workforce.FAMILY,
    targets.FAMILY,
    # the acute offset before the rules that use H[y] (transition and beyond)
    acute_offset.FAMILY,
    transformation_fund.FAMILY,
    transition.FAMILY,
    bed_capacity.FAMILY,
    mhis.FAMILY,
    bcf_conditions.FAMILY,
    sector_shares.FAMILY,
    fair_shares.FAMILY,
    core20.FAMILY,
    personal_budgets.FAMILY,
    capacity.FAMILY,
    pins.FAMILY,  # lines a person fixes (the policy's pins:, not a rule)
    segment_order.FAMILY,  # the mixed-integer band order: last, and not a policy rule
]
"""Every constraint family, in the order the solver sees their rows."""


def policy_families() -> list[Family]:
    """The families a policy model switches and tunes (``rules.<name>``), in row order."""
    return [f for f in FAMILIES if f.params is not None]


def names() -> list[str]:
    """The names of :func:`policy_families`: money and eligibility first, then the others in
    row order."""
    return [f.name for f in policy_families()]


def on(data: ModelData) -> list[Family]:
    """The families that apply to `data`, in row order."""
    return [f for f in FAMILIES if f.on(data)]


def policy_problems(data: ModelData) -> list[Problem]:
    """Every switched-on family's checks of the policy against the data, in row order."""
    return [p for f in on(data) for p in f.check(data)]


def presolve_warnings(data: ModelData) -> tuple[str, ...]:
    """Every switched-on family's pre-solve warnings, in row order."""
    return tuple(w for f in on(data) for w in f.presolve(data))


def checklist(data: ModelData, years: list[str]
              ) -> list[tuple[Family, list[Requirement] | None]]:
    """Each switched-on family with its live checklist rows for the BCF workbook, or None
    when the workbook must show its rows with the solve's figures."""
    return [(f, f.checklist(data, years) if f.checklist else None) for f in on(data)]


__all__ = ["FAMILIES", "Family", "Requirement", "checklist", "names", "on", "policy_families",
           "policy_problems", "presolve_warnings"]
