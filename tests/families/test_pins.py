"""Pinned lines (budgetopt.families.pins): a pin and its price, a pin by place and year, a pin
that cannot be met and its advice, and the checks of a policy's pins, solved by hand."""

from __future__ import annotations

import pytest
import yaml

from budgetopt import Policy, optimise
from budgetopt.policy import policy_from_dict
from tests.builders import make_inputs
from tests.families.cases import Y2, Y, case, problems, row, spend, two_services


def pinned(**pin) -> Policy:
    return Policy.model_validate({"pins": [pin]})


@case
def pin_b():
    return two_services(5.0), pinned(service_id="B", spend_m=4.0)


def test_a_pin_fixes_the_line_and_its_price_is_what_a_higher_pin_costs():
    """two_services(5): A 2 @ 10 then 2 @ 4; B 1 @ 8 then 5 @ 6. Unpinned: A1 2 (20), B1 1
    (8), B2 2 (12) → 40. B pinned at £4m: B 8 + 3·6 = 26, A's £1m 10 → 36 (the pin costs 4).
    One more £1m on B (6) takes £1m from A1 (10): −4 a £1m, up to a pin of £5m (A empty);
    one less gives 4 back, down to £3m (A1 full)."""
    res = optimise(*pin_b())
    assert res.objective == pytest.approx(36.0)
    assert spend(res, "B") == pytest.approx(4.0)
    pin = row(res, "pins", service_id="B", year=Y)
    assert pin["family"] == "pins" and pin["binding"]
    assert pin["name"] == "Pin: B in 2026/27 at £4.0m"
    assert pin["shadow_price"] == pytest.approx(-4.0)
    assert pin["shadow_price_down"] == pytest.approx(-4.0)
    assert (pin["holds_from"], pin["holds_to"]) == pytest.approx((3.0, 5.0))
    assert pin["meaning"] == ("Pinning B £1m higher in 2026/27 would give up 4.00 weighted "
                              "outcomes. This holds from £1.0m below today's limit to £1.0m "
                              "above it.")
    assert optimise(two_services(5.0)).objective - res.objective == pytest.approx(4.0)
    assert res.unpinned_objective == pytest.approx(40.0)  # what the pin costs: 40 − 36
    assert res.to_json_dict()["unpinned_objective"] == pytest.approx(40.0)


@case
def pin_by_place_and_year():
    inputs = make_inputs(
        services=[{"service_id": "A"}], curves=[("A", "m", 1, 4, 10)],
        funding=[("pool", Y, 2.0), ("pool", Y2, 2.0)],
        places=[{"place_id": "p1", "weighted_population": 1.0, "effect": 1.0},
                {"place_id": "p2", "weighted_population": 1.0, "effect": 2.0}])
    return inputs, pinned(service_id="A", spend_m=1.5, year=Y, place_id="p1")


def test_a_pin_by_place_and_year_holds_only_there():
    """A's £4m band is shared 2:2; p2 buys twice as much. Unpinned, £2m a year all go to p2
    (40 a year). Pinned, p1 gets £1.5m in 2026/27 (15) and p2 the other £0.5m (10)."""
    res = optimise(*pin_by_place_and_year())
    alloc = res.allocation.set_index(["place_id", "year"])["spend_m"]
    assert alloc[("p1", Y)] == pytest.approx(1.5)
    assert alloc[("p2", Y2)] == pytest.approx(2.0)
    assert res.objective == pytest.approx(15 + 10 + 40)
    pin = row(res, "pins", service_id="A", year=Y, place_id="p1")
    assert pin["name"] == "Pin: A in p1 in 2026/27 at £1.5m"


@case
def pin_too_high():
    """B's curve absorbs £4m and more spend buys nothing; with £5m, a pin of £6m cannot be
    paid for."""
    return two_services(5.0), pinned(service_id="B", spend_m=6.0)


def test_a_pin_that_cannot_be_met_gets_the_relaxation_advice():
    res = optimise(*pin_too_high())
    assert res.status == "infeasible"
    names = {r.name: r.relax_by for r in res.infeasibility.relaxations}
    assert names == {"Pin: B in 2026/27 at £6.0m": pytest.approx(1.0)}
    assert "relax 'Pin: B in 2026/27 at £6.0m' by £1.0m" in res.infeasibility.message


def test_a_pin_without_a_year_holds_in_every_year_and_years_may_be_numbers():
    policy = policy_from_dict(yaml.safe_load("pins: [{service_id: A, spend_m: 1, year: 2026}]"))
    assert policy.pins[0].year == "2026"
    inputs = make_inputs(services=[{"service_id": "A"}, {"service_id": "B"}],
                         curves=[("A", "m", 1, 4, 1), ("B", "m", 1, 4, 5)],
                         funding=[("pool", Y, 3.0), ("pool", Y2, 3.0)])
    res = optimise(inputs, pinned(service_id="A", spend_m=1.0))
    assert [spend(res, "A", y) for y in (Y, Y2)] == pytest.approx([1.0, 1.0])


def test_pins_naming_what_is_not_there_are_each_named():
    inputs = two_services(5.0)
    found = problems(lambda: (inputs, Policy.model_validate({"pins": [
        {"service_id": "Z", "spend_m": 1.0},
        {"service_id": "A", "spend_m": 1.0, "year": "2030/31"},
        {"service_id": "A", "spend_m": 1.0, "place_id": "north"},
        {"service_id": "B", "spend_m": 1.0},
        {"service_id": "B", "spend_m": 2.0, "year": Y}]})))
    assert found == [
        "pins[0].service_id: 'Z' is not a service",
        "pins[1].year: '2030/31' is not a planning year (the planning years: 2026/27)",
        "pins[2].place_id: 'north' is not a place (the data set has no places table)",
        "pins[4]: pins B in 2026/27 again (pins[3] already does)",
    ]
