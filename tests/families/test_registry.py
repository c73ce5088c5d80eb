"""The registry is the one list of families: a new family is one module (here a toy one,
written in this file) plus its line in the registry and its catalogue entry, and it then has
a policy key, rows in the model, checks, pre-solve warnings and checklist rows."""

from __future__ import annotations

import pyomo.environ as pyo
import pytest
from pydantic import create_model

from budgetopt import families, optimise
from budgetopt.families import rows
from budgetopt.families.common import Params, fmt_m, problem, service_names, unknown_services
from budgetopt.families.family import Amount, Family, Requirement, Spend
from budgetopt.families.rows import add_rows, unit_sum
from budgetopt.model.data import check_policy, prepare
from budgetopt.policy import Policy, rules_model
from tests.families.cases import Y, two_services

# -- the toy family: what a new module holds -----------------------------------------------------


class ToyFloorRule(Params):
    """One service's spend at least a floor."""

    enabled: bool = True
    service: str = ""
    min_m: float = 0.0


def check(data) -> list:
    rule = data.policy.rules.toy_floor
    return unknown_services(data, "rules.toy_floor.service", [rule.service]) or (
        [problem("rules.toy_floor.min_m", "is more than the whole budget")]
        if rule.min_m > data.funding["amount_m"].sum() else [])


def add(m: pyo.ConcreteModel, data) -> None:
    rule = data.policy.rules.toy_floor
    names = service_names(data)
    years = list(data.years)
    add_rows(m, "toy_floor", "toy_floor", years,
             body=lambda y: unit_sum(m.terms.spend[(rule.service, y)]), sense=">=",
             limit={y: rule.min_m for y in years},
             name=lambda y: f"{names[rule.service]} in {y} at least {fmt_m(rule.min_m)}",
             labels=lambda y: {"service": names[rule.service], "year": y},
             keys=lambda y: {"service_id": rule.service, "year": y})


def presolve(data) -> list[str]:
    rule = data.policy.rules.toy_floor
    return [f"The toy floor is £{rule.min_m:,.1f}m."]


def checklist(data, years) -> list[Requirement]:
    rule = data.policy.rules.toy_floor
    return [Requirement(f"Toy floor on {rule.service}", y, (Spend(y, services=(rule.service,)),),
                        ">=", (Amount(rule.min_m),)) for y in years]


TOY = Family("toy_floor", ToyFloorRule, ToyFloorRule(enabled=False), ("toy_floor",), add=add,
             check=check, presolve=presolve, checklist=checklist)

ENTRY = {"constraints": {"toy_floor": {"title": "Toy floor", "meaning": "A floor.",
                                       "unit": "£m", "dual": "A £1m higher floor in {year} "
                                       "would {effect}."}},
         "families": {"toy_floor": {"title": "Toy floor", "help": "A floor on one service."}}}

# -- registering it -------------------------------------------------------------------------------


@pytest.fixture
def toy_policy(monkeypatch):
    """The toy registered (its registry line and its catalogue entry) and a policy class whose
    rules include it, built as budgetopt.policy builds its own."""
    file = rows._catalogue_file()
    merged = {part: {**file[part], **ENTRY[part]} for part in ("constraints", "families")}
    monkeypatch.setattr(rows, "_catalogue_file", lambda: merged)
    monkeypatch.setattr(families, "FAMILIES", [*families.FAMILIES[:-1], TOY,
                                               families.FAMILIES[-1]])
    rules = rules_model(families.FAMILIES)
    return create_model("ToyPolicy", __base__=Policy, rules=(rules, rules()))


def test_a_registered_family_has_a_policy_key_rows_and_a_shadow_price(toy_policy):
    """two_services with £5m buys 40 with £3m on B; a floor of £4m on B moves £1m from A1 (10)
    to B2 (6): 36, and each £1m more of the floor costs 4."""
    policy = toy_policy.model_validate({"rules": {"toy_floor": {"service": "B", "min_m": 4}}})
    assert policy.enabled("toy_floor") and "toy_floor" in families.names()
    res = optimise(two_services(5.0), policy)
    assert res.objective == pytest.approx(36.0)
    (row,) = res.constraints[res.constraints["family"] == "toy_floor"].itertuples()
    assert row.name == "B in 2026/27 at least £4.0m" and row.binding
    assert row.shadow_price == pytest.approx(-4.0)
    assert row.meaning.startswith("A £1m higher floor in 2026/27 would")
    assert "The toy floor is £4.0m." in res.warnings


def test_a_registered_family_is_checked_with_the_others(toy_policy):
    policy = toy_policy.model_validate({"rules": {"toy_floor": {"service": "Q", "min_m": 1},
                                                  "mhis": {"include": ["Z"]}}})
    _, found = check_policy(two_services(5.0), policy)
    assert [p.message.split(":")[0] for p in found] == ["rules.mhis.include[0]",
                                                       "rules.toy_floor.service[0]"]


def test_a_registered_family_gives_its_checklist_rows(toy_policy):
    policy = toy_policy.model_validate({"rules": {"toy_floor": {"service": "B", "min_m": 4}}})
    live = {f.name: r for f, r in families.checklist(prepare(two_services(5.0), policy),
                                                           [Y])}
    assert live["toy_floor"] == [Requirement("Toy floor on B", Y, (Spend(Y, services=("B",)),),
                                             ">=", (Amount(4.0),))]
