"""The registry, the catalogue and the model agree, and every catalogue entry is exercised.

As Calliope's tests/math/math_test.py does for its maths: every constraint in the catalogue is
built by some test model of the family tests (tests/families/cases.py) and its row exists in
that model, solved; and each family of the registry names its catalogue entries.
"""

from __future__ import annotations

import pytest

from budgetopt import load_dataset, load_policy, optimise
from budgetopt.api import build
from budgetopt.families import FAMILIES, names
from budgetopt.families.rows import catalogue, family_catalogue
from budgetopt.policy import Rules
from tests.families import (  # noqa: F401 - imported for their @case models
    test_acute_offset,
    test_bcf_conditions,
    test_bed_capacity,
    test_bounds,
    test_capacity,
    test_core20,
    test_eligibility,
    test_fair_shares,
    test_mhis,
    test_money,
    test_personal_budgets,
    test_pins,
    test_sector_shares,
    test_segment_order,
    test_targets,
    test_transformation_fund,
    test_transition,
    test_workforce,
)
from tests.families.cases import CASES


def test_the_registry_names_every_catalogue_entry_once():
    components = [c for f in FAMILIES for c in f.components]
    assert len(components) == len(set(components))
    assert set(components) == set(catalogue())


def test_every_policy_family_has_a_catalogue_entry_and_a_policy_key():
    assert set(names()) == set(family_catalogue())
    assert list(Rules.model_fields) == list(family_catalogue())  # the policy's order


@pytest.fixture(scope="module")
def built() -> dict[str, set[str]]:
    """Each case's components, with the case solved."""
    out = {}
    for name, make in CASES.items():
        session = build(*make())
        outcome = session.solve()
        assert outcome.status in {"optimal", "infeasible"}, (name, outcome.status)
        out[name] = {info.component for info in session.compiled.rows}
    return out


def test_every_catalogue_entry_is_built_by_a_family_test_and_solved(built):
    exercised = set().union(*built.values())
    missing = sorted(set(catalogue()) - exercised)
    assert not missing, f"no family test builds {missing}: add a case for each"


def test_each_family_module_has_cases_for_its_own_components(built):
    for family in FAMILIES:
        own = {c for name, comps in built.items()
               if name.startswith(f"test_{family.name}.") for c in comps}
        assert set(family.components) <= own, family.name


@pytest.mark.parametrize("model", ["default", "ics-statutory", "shift-left", "fair-shares"])
def test_the_example_solves_optimally_under_every_shipped_model(model, example_dir, models_dir):
    res = optimise(load_dataset(example_dir), load_policy(models_dir / f"{model}.yaml"))
    assert res.status == "optimal"
    families = set(res.constraints["family"])
    expected = {"default": set(), "ics-statutory": {"mhis", "bcf_conditions", "transition",
                                                    "personal_budgets"},
                "shift-left": {"acute_offset", "transformation_fund", "sector_shares",
                               "bed_capacity"},
                "fair-shares": {"fair_shares", "core20"}}[model]
    assert expected <= families


def test_every_rule_in_the_example_is_named_in_the_catalogue(example_dir, models_dir):
    for model in ("shift-left", "fair-shares"):
        res = optimise(load_dataset(example_dir), load_policy(models_dir / f"{model}.yaml"))
        assert set(res.constraints["component"]) <= set(catalogue())
        assert res.constraints["name"].is_unique
