"""Fair shares across places (budgetopt.families.fair_shares): cases solved by hand."""

from __future__ import annotations

import pytest

from budgetopt import optimise
from budgetopt.errors import PolicyError
from tests.builders import make_inputs
from tests.families.cases import Y1, case, policy, problems
from tests.families.models import PLACES


def two_places():
    return make_inputs(services=[{"service_id": "A"}], curves=[("A", "m", 1, 20, 1)],
                       funding=[("pool", Y1, 10)], places=PLACES)


@case
def ten_per_cent_band():
    return two_places(), policy(fair_shares={"band": 0.1})


def test_fair_shares_hold_each_place_near_its_need_weighted_share():
    """One service, 1 a £1m, band £20m shared 50/50 between two places of equal need; P1's
    effect is 2. £10m: unconstrained all to P1 (20). Fair shares ±10%: P1 at most
    1.1 × 5 = £5.5m: 2 × 5.5 + 4.5 = 15.5."""
    assert optimise(two_places()).objective == pytest.approx(20)
    res = optimise(*ten_per_cent_band())
    assert res.objective == pytest.approx(15.5)


def test_places_rules_need_a_places_table():
    inputs = make_inputs(services=[{"service_id": "A"}], curves=[("A", "m", 1, 20, 1)],
                         funding=[("pool", Y1, 10)])
    with pytest.raises(PolicyError, match="places table"):
        optimise(inputs, policy(fair_shares={"band": 0.1}))


def test_fair_share_rows_are_keyed_by_place_and_year():
    from budgetopt.api import build

    rows = [r for r in build(*ten_per_cent_band()).compiled.rows
            if r.component == "fair_share_max"]
    assert [r.keys for r in rows] == [{"place_id": "P1", "year": Y1},
                                      {"place_id": "P2", "year": Y1}]
    assert problems(lambda: (two_places(), policy(fair_shares={"sectors": ["acutes"]}))) == [
        ("rules.fair_shares.sectors[0]: 'acutes' is not a sector (the sectors: acute, "
        "community, mental_health, primary_care, social_care, housing, vcse, public_health)")]
