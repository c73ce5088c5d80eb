"""Personal budgets: at least a share of eligible social-care spend.

.. math::

    S[PB,y] − τ · S[EL,y] ≥ 0        ∀ y        (personal_budgets)

Personal budgets are a duty of each council with adult social care responsibilities (the Care
Act 2014), and each such council is one Health and Wellbeing Board: so where the data has HWBs
the share holds in each HWB h's places on its own (``scope: hwb``, the default),
S[PB,h,y] − τ · S[EL,h,y] ≥ 0 ∀ h, y; ``scope: ics`` states it once across the ICS.

=========  ==========================================================  ========
symbol     meaning                                                      unit
=========  ==========================================================  ========
PB         the personal-budget lines: ``services``, or scheme type      —
           'Personalised Budgeting and Commissioning'
EL         the services of the eligible sectors (social care)           —
τ          the least share (``min_share``)                              —
=========  ==========================================================  ========
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from budgetopt.errors import Problem
from budgetopt.families.common import (
    Params,
    Scope,
    hwb_key,
    in_hwb,
    problem,
    scope_field,
    scope_terms,
    scopes,
    sector_services,
    unknown_sectors,
    unknown_services,
)
from budgetopt.families.family import Family, Requirement, Spend
from budgetopt.families.rows import add_rows, linear

if TYPE_CHECKING:
    import pyomo.environ as pyo

    from budgetopt.model.data import ModelData

PB_SCHEME = "Personalised Budgeting and Commissioning"
"""The BCF scheme type of a personal-budget line."""


class PersonalBudgetsRule(Params):
    """Personal budgets: a minimum share of eligible social-care spend."""

    enabled: bool = True
    services: list[str] | None = Field(
        None, description="Personal-budget lines. Blank = services whose scheme_type is "
        "'Personalised Budgeting and Commissioning'.")
    min_share: float = Field(
        0.0, ge=0.0, le=1.0,
        description="Personal budgets at least this share of eligible spend (0.3 = 30%).")
    eligible_sectors: list[str] = Field(
        default_factory=lambda: ["social_care"],
        description="Sectors whose spend is eligible to be taken as a personal budget.")
    scope: Scope = scope_field("the share of that HWB's eligible spend")


def lines(data: ModelData) -> tuple[list[str], list[str]]:
    """(PB, EL)."""
    rule = data.policy.rules.personal_budgets
    svc = data.inputs.services
    pb = (rule.services if rule.services is not None else
          list(svc.loc[svc["scheme_type"] == PB_SCHEME, "service_id"]))
    return list(pb), sector_services(data, rule.eligible_sectors)


def check(data: ModelData) -> list[Problem]:
    rule = data.policy.rules.personal_budgets
    problems = (unknown_services(data, "rules.personal_budgets.services", rule.services)
                + unknown_sectors("rules.personal_budgets.eligible_sectors",
                                  rule.eligible_sectors))
    if not problems and not lines(data)[0]:
        problems.append(problem("rules.personal_budgets", f"no personal-budget line (scheme "
                                f"type '{PB_SCHEME}', or list services)"))
    return problems


def row_name(year: str, share: float, where: str = "") -> str:
    return (f"Personal budgets{where} in {year} at least {share:.0%} of eligible social care "
            "spend")


def add(m: pyo.ConcreteModel, data: ModelData) -> None:
    rule = data.policy.rules.personal_budgets
    tau = rule.min_share
    pb, eligible = lines(data)
    index = [(y, h) for h in scopes(data, rule.scope) for y in data.years]
    add_rows(m, "personal_budgets", "personal_budgets", index,
             body=lambda k: linear(scope_terms(m, pb, k[1], k[0])
                                   + scope_terms(m, eligible, k[1], k[0], -tau)),
             sense=">=", limit={k: 0.0 for k in index},
             name=lambda k: row_name(k[0], tau, in_hwb(data, k[1])),
             labels=lambda k: {"year": k[0], "where": in_hwb(data, k[1])},
             keys=lambda k: {"year": k[0], **hwb_key(k[1])})


def checklist(data: ModelData, years: list[str]) -> list[Requirement]:
    """The personal-budget lines' planned spend against the share of the eligible services',
    in each HWB's lines where the rule holds per HWB (the Expenditure sheet's HWB column)."""
    rule = data.policy.rules.personal_budgets
    pb, eligible = (tuple(x) for x in lines(data))
    tau = rule.min_share
    return [Requirement(row_name(y, tau, in_hwb(data, h)), y, (Spend(y, services=pb, hwb=h),),
                        ">=", (Spend(y, services=eligible, factor=tau, hwb=h),))
            for h in scopes(data, rule.scope) for y in years]


FAMILY = Family("personal_budgets", PersonalBudgetsRule, PersonalBudgetsRule(enabled=False),
                ("personal_budgets",), add=add, check=check, checklist=checklist)
