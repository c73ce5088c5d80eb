"""Sector shares (budgetopt.families.sector_shares): cases solved by hand."""

from __future__ import annotations

import pytest

from budgetopt import optimise
from budgetopt.errors import PolicyError
from tests.builders import make_inputs
from tests.families.cases import Y1, case, policy, problems, spend


def vcse_inputs():
    return make_inputs(
        services=[{"service_id": "V", "sector": "vcse"}, {"service_id": "C"}],
        curves=[("V", "m", 1, 30, 1), ("C", "m", 1, 30, 5)], funding=[("pool", Y1, 10)])


@case
def acute_ceiling():
    inputs = make_inputs(
        services=[{"service_id": "A", "sector": "acute"}, {"service_id": "C"}],
        curves=[("A", "m", 1, 30, 5), ("C", "m", 1, 30, 1)], funding=[("pool", Y1, 10)])
    return inputs, policy(sector_shares={"limits": [{"sectors": ["acute"], "max": 0.6}]})


@case
def vcse_floor():
    return vcse_inputs(), policy(sector_shares={"limits": [{"sectors": ["vcse"], "min": 0.3}]})


def test_sector_share_ceiling_shifts_money_left():
    """Acute A buys 5, community C 1; £10m. Acute at most 60%: 5 × 6 + 4 = 34."""
    res = optimise(*acute_ceiling())
    assert res.objective == pytest.approx(34)
    assert spend(res, "A") == pytest.approx(6)


def test_sector_share_floor_and_an_unknown_sector():
    """VCSE V buys 1, C buys 5; £10m. VCSE at least 30%: 3 + 35 = 38."""
    res = optimise(*vcse_floor())
    assert res.objective == pytest.approx(38)
    with pytest.raises(PolicyError, match="hospital"):
        optimise(vcse_inputs(), policy(sector_shares={"limits": [{"sectors": ["hospital"],
                                                                  "min": 0.3}]}))


def test_presolve_warns_when_share_floors_exceed_the_whole():
    """VCSE ≥ 60% and public health ≥ 50% of spend: 110% of the whole, met only by spending
    nothing (then both shares hold trivially): the warning says so."""
    inputs = make_inputs(
        services=[{"service_id": "V", "sector": "vcse"}, {"service_id": "P",
                                                          "sector": "public_health"}],
        curves=[("V", "m", 1, 30, 1), ("P", "m", 1, 30, 5)], funding=[("pool", Y1, 10)])
    res = optimise(inputs, policy(sector_shares={"limits": [
        {"sectors": ["vcse"], "min": 0.6}, {"sectors": ["public_health"], "min": 0.5}]}))
    assert any("add up to 110%" in w for w in res.warnings)
    assert res.allocation["spend_m"].sum() == pytest.approx(0.0)  # the only way to meet both


def test_sector_share_rows_are_keyed_by_their_group_of_sectors():
    from budgetopt.api import build

    rows = [r for r in build(*acute_ceiling()).compiled.rows if r.family == "sector_shares"]
    assert [r.keys for r in rows] == [{"sector_group_id": "acute", "year": Y1}]


def test_a_share_of_the_system_needs_the_acute_offset():
    found = problems(lambda: (vcse_inputs(), policy(sector_shares={"limits": [
        {"sectors": ["vcse", "hospital"], "min": 0.3, "of": "system"}]})))
    assert found == [("rules.sector_shares: 'of: system' needs rules.acute_offset (the acute "
                     "budget outside the pool)"),
                     ("rules.sector_shares.limits[0].sectors: names sector(s) ['hospital'] that "
                     "no service has")]
