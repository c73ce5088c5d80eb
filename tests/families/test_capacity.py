"""Intermediate-care capacity and demand (budgetopt.families.capacity).

Hand case: two places, P1 in HWB H1 and P2 in HWB H2, sharing every band equally; £10m of
ICS-wide money. REABLE buys 1 per £1m and serves 100 people on pathway P1 per £1m; OT buys 5
per £1m and serves no one on a pathway. H1 expects 300 people on P1 in the year.
"""

from __future__ import annotations

import pytest

from budgetopt import optimise
from budgetopt.families.capacity import capacity_table
from tests.builders import make_inputs
from tests.families.cases import Y, case, policy, problems, row


def capacity_inputs(demand_hwb="H1"):
    return make_inputs(
        services=[{"service_id": "REABLE"}, {"service_id": "OT"}],
        curves=[("REABLE", "m", 1, 40, 1), ("OT", "m", 1, 40, 5)],
        funding=[("POOL", Y, 10.0)],
        places=[{"place_id": "P1", "weighted_population": 1.0, "hwb_id": "H1"},
                {"place_id": "P2", "weighted_population": 1.0, "hwb_id": "H2"}],
        demand=[(demand_hwb, Y, "P1", 300.0)], capacity=[("REABLE", "P1", 100.0)])


@case
def capacity_meets_most_of_demand():
    return capacity_inputs(), policy(capacity={"share": 0.8})


def test_capacity_meets_the_stated_share_of_its_boards_demand():
    """80% of 300 = 240 people at 100 per £1m: £2.4m of reablement in H1's place; the rest,
    £7.6m, to OT at 5: 2.4 + 38 = 40.4. Each extra person costs £0.01m moved from OT (5) to
    REABLE (1): −0.04 a person."""
    res = optimise(*capacity_meets_most_of_demand())
    assert res.objective == pytest.approx(40.4)
    a = res.allocation.set_index(["service_id", "place_id"])["spend_m"]
    assert a[("REABLE", "P1")] == pytest.approx(2.4) and a[("REABLE", "P2")] == pytest.approx(0)
    r = row(res, "capacity_demand", hwb_id="H1", pathway="P1", year=Y)
    assert r["limit"] == pytest.approx(240.0) and r["shadow_price"] == pytest.approx(-0.04)
    assert r["name"] == f"Intermediate-care capacity on pathway P1 in H1 in {Y} at least 240 people"


def test_ics_wide_demand_counts_every_place_and_the_table_reports_capacity():
    from budgetopt.api import build

    inputs = capacity_inputs(demand_hwb=None)
    built = build(inputs, policy(capacity={}))
    res = built.results()
    assert res.objective == pytest.approx(3 * 1 + 7 * 5)  # 300 people: £3m anywhere
    table = capacity_table(built.data, res.allocation)
    assert table.to_dict("records") == [{"hwb_id": None, "year": Y, "pathway": "P1",
                                         "capacity": pytest.approx(300.0), "demand": 300.0,
                                         "share_met": pytest.approx(1.0)}]


def test_demand_on_a_pathway_no_scheme_serves_and_no_demand_table_are_named():
    inputs = make_inputs(services=[{"service_id": "A"}], curves=[("A", "m", 1, 10, 1)],
                         funding=[("POOL", Y, 1.0)], demand=[(None, Y, "P2", 5.0)])
    found = problems(lambda: (inputs, policy(capacity={})))
    assert found == [("rules.capacity: pathway 'P2' has demand but no scheme has capacity on it "
                     "in the capacity table")]
    bare = make_inputs(services=[{"service_id": "A"}], curves=[("A", "m", 1, 10, 1)],
                       funding=[("POOL", Y, 1.0)])
    assert "needs a demand table" in problems(lambda: (bare, policy(capacity={})))[0]
