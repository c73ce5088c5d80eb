"""Personal budgets: at least a share of eligible social-care spend.

.. math::

    S[PB,y] − τ · S[EL,y] ≥ 0        ∀ y        (personal_budgets)

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
    group_terms,
    problem,
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


def row_name(year: str, share: float) -> str:
    return f"Personal budgets in {year} at least {share:.0%} of eligible social care spend"


def add(m: pyo.ConcreteModel, data: ModelData) -> None:
    tau = data.policy.rules.personal_budgets.min_share
    pb, eligible = lines(data)
    add_rows(m, "personal_budgets", "personal_budgets", list(data.years),
             body=lambda y: linear(group_terms(m, pb, y) + group_terms(m, eligible, y, -tau)),
             sense=">=", limit={y: 0.0 for y in data.years},
             name=lambda y: row_name(y, tau),
             labels=lambda y: {"year": y}, keys=lambda y: {"year": y})


def checklist(data: ModelData, years: list[str]) -> list[Requirement]:
    """The personal-budget lines' planned spend against the share of the eligible services'."""
    pb, eligible = (tuple(x) for x in lines(data))
    tau = data.policy.rules.personal_budgets.min_share
    return [Requirement(row_name(y, tau), y, (Spend(y, services=pb),), ">=",
                        (Spend(y, services=eligible, factor=tau),)) for y in years]


FAMILY = Family("personal_budgets", PersonalBudgetsRule, PersonalBudgetsRule(enabled=False),
                ("personal_budgets",), add=add, check=check, checklist=checklist)
