"""Sector shares (budgetopt.families.sector_shares): cases solved by hand."""

from __future__ import annotations

import pytest

from budgetopt import optimise
from budgetopt.errors import PolicyError
from tests.builders import make_inputs
from tests.families.cases import Y1, case, policy, problems, row, spend


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


def two_boards():
    """Places P1 (HWB H1, effect 1) and P2 (HWB H2, effect 2) share every band equally; each
    HWB's pool is £10m of its own. VCSE V buys 1 per £1m, community C 4."""
    return make_inputs(
        services=[{"service_id": "V", "sector": "vcse"}, {"service_id": "C"}],
        curves=[("V", "m", 1, 30, 1), ("C", "m", 1, 30, 4)],
        funding=[("pool1", Y1, 10.0, "H1"), ("pool2", Y1, 10.0, "H2")],
        places=[{"place_id": "P1", "weighted_population": 1.0, "hwb_id": "H1"},
                {"place_id": "P2", "weighted_population": 1.0, "hwb_id": "H2", "effect": 2.0}],
        hwbs=[{"hwb_id": "H1", "name": "Shire County"}, {"hwb_id": "H2", "name": "Riverside"}])


def test_a_share_of_the_pool_holds_in_each_boards_pool():
    """VCSE at least 10% of pooled spend. Per HWB (the default): £1m of each £10m pool, so
    H1 1 + 36 = 37 and H2 (1 + 36) × 2 = 74: 111. Held once across the ICS, the whole £2m
    would go to H1's VCSE (a £1m there loses 3, in H2 6): 2 + 32 + 80 = 114. A 1-point higher
    floor costs 3 in H1 and 6 in H2 (per £1m of the row)."""
    floor = {"limits": [{"sectors": ["vcse"], "label": "VCSE", "min": 0.1}]}
    res = optimise(two_boards(), policy(sector_shares=floor))
    assert res.objective == pytest.approx(111)
    a = res.allocation.groupby(["place_id", "service_id"])["spend_m"].sum()
    for place in ("P1", "P2"):
        assert a[(place, "V")] == pytest.approx(1.0)
        assert a[(place, "V")] >= 0.1 * (a[(place, "V")] + a[(place, "C")]) - 1e-9
    h1 = row(res, "share_min", hwb_id="H1", year=Y1, sector_group_id="vcse")
    h2 = row(res, "share_min", hwb_id="H2", year=Y1, sector_group_id="vcse")
    assert h1["name"] == "VCSE at least 10% of pooled spend in Shire County in 2026/27"
    assert h1["shadow_price"] == pytest.approx(-3.0) and h2["shadow_price"] == pytest.approx(-6.0)
    assert "VCSE in Riverside" in h2["meaning"]
    ics = optimise(two_boards(), policy(sector_shares={"limits": [
        {"sectors": ["vcse"], "label": "VCSE", "min": 0.1, "scope": "ics"}]}))
    assert ics.objective == pytest.approx(114)
    assert spend(ics, "V") == pytest.approx(2.0)
    one = ics.constraints[ics.constraints["component"] == "share_min"]
    assert list(one["name"]) == ["VCSE at least 10% of pooled spend in 2026/27"]


def test_without_boards_the_share_is_one_ics_wide_row_as_before():
    res = optimise(vcse_inputs(), policy(sector_shares={"limits": [{"sectors": ["vcse"],
                                                                    "min": 0.3}]}))
    rows = res.constraints[res.constraints["component"] == "share_min"]
    assert list(rows["name"]) == ["Vcse at least 30% of pooled spend in 2026/27"]
