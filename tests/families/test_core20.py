"""Core20PLUS5 (budgetopt.families.core20): cases solved by hand."""

from __future__ import annotations

import pytest

from budgetopt import optimise
from tests.builders import make_inputs
from tests.families.cases import Y1, case, policy, problems
from tests.families.models import PLACES

# P1 wholly Core20 (effect 1), P2 not (effect 2); one person each
DEPRIVED = [{**PLACES[0], "effect": 1.0}, {**PLACES[1], "effect": 2.0}]


def prevention(places=DEPRIVED):
    return make_inputs(services=[{"service_id": "PH", "sector": "public_health"}],
                       curves=[("PH", "m", 1, 20, 1)], funding=[("pool", Y1, 10)],
                       places=places)


@case
def thirty_per_cent_share():
    return prevention(), policy(core20={"min_share": 0.3})


@case
def half_again_per_head():
    return prevention(), policy(core20={"min_ratio": 1.5})


def test_core20_sends_prevention_money_to_the_most_deprived():
    """Prevention service, P1 wholly Core20 (effect 1), P2 not (effect 2): unconstrained all
    £10m to P2 (20). At least 30% to the Core20 population: 3 + 2 × 7 = 17."""
    assert optimise(prevention()).objective == pytest.approx(20)
    res = optimise(*thirty_per_cent_share())
    assert res.objective == pytest.approx(17)


def test_core20_ratio_of_spend_per_head():
    """One person in each place: spend per head is spend. Core20 spend per head at least 1.5
    times elsewhere: P1 = 1.5 × P2 and P1 + P2 = 10, so P1 £6m (6) and P2 £4m (8): 14."""
    res = optimise(*half_again_per_head())
    assert res.objective == pytest.approx(14)
    spend = res.allocation.set_index("place_id")["spend_m"]
    assert spend["P1"] == pytest.approx(6) and spend["P2"] == pytest.approx(4)
    (row,) = res.constraints[res.constraints["component"] == "core20_ratio"].itertuples()
    assert row.binding and row.unit == "£ per head"


def test_core20_ratio_needs_people_on_both_sides():
    everyone = [{**p, "core20_share": 1.0} for p in DEPRIVED]
    assert problems(lambda: (prevention(everyone), policy(core20={"min_ratio": 1.5}))) == [
        "rules.core20.min_ratio: needs places with core20_share between 0 and 1"]
    assert problems(lambda: (prevention(), policy(core20={
        "min_share": 0.3, "sectors": [], "services": ["XX"]}))) == [
        "rules.core20.services[0]: 'XX' is not a service (the services: PH)"]
