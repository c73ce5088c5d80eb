"""Money per Health and Wellbeing Board (MODEL.md, "Health and Wellbeing Board pools"): an
HWB's pool pays only for spend in its own places; ICS-wide money (blank hwb_id) for any place.

The hand case: one service A with one band of £10m at 10 outcomes per £1m, shared equally by
two places (£5m each); place P1 (HWB H1) has effect 2, P2 (HWB H2) effect 1.
"""

from __future__ import annotations

import pytest

from budgetopt import optimise
from tests.builders import make_inputs
from tests.families.cases import Y, case, policy, row, spend

PLACES = [{"place_id": "P1", "weighted_population": 1.0, "effect": 2.0, "hwb_id": "H1"},
          {"place_id": "P2", "weighted_population": 1.0, "effect": 1.0, "hwb_id": "H2"}]


def two_boards(funding, hwbs=True):
    places = PLACES if hwbs else [{**p, "hwb_id": None} for p in PLACES]
    return make_inputs(services=[{"service_id": "A"}], curves=[("A", "m", 1, 10, 10)],
                       funding=funding, places=places,
                       hwbs=[{"hwb_id": "H1", "name": "Shire County"}])


@case
def pools_per_board():
    return two_boards([("N1", Y, 2.0, "H1"), ("N2", Y, 4.0, "H2")]), policy()


@case
def pools_with_a_transformation_fund():
    return two_boards([("N1", Y, 2.0, "H1"), ("N2", Y, 4.0, "H2"), ("TF", Y, 1.0)]), policy()


def place_spend(res, place):
    a = res.allocation
    return float(a.loc[a["place_id"] == place, "spend_m"].sum())


def test_money_stays_in_its_board_and_the_optimum_differs_from_one_ics_wide_pool():
    """Per HWB: H1's £2m in P1 at 20 = 40, H2's £4m in P2 at 10 = 40: 80.
    One ICS-wide £6m: £5m in P1 at 20 = 100, £1m in P2 at 10 = 10: 110."""
    res = optimise(*pools_per_board())
    assert res.objective == pytest.approx(80.0)
    assert place_spend(res, "P1") == pytest.approx(2.0)
    assert place_spend(res, "P2") == pytest.approx(4.0)
    h1 = row(res, "money_source_limit", source_id="N1", year=Y)
    h2 = row(res, "money_source_limit", source_id="N2", year=Y)
    assert h1["shadow_price"] == pytest.approx(20.0) and h1["hwb_id"] == "H1"
    assert h2["shadow_price"] == pytest.approx(10.0) and h2["hwb_id"] == "H2"
    assert "Shire County's pool" in h1["name"] and "Shire County's pool" in h1["meaning"]
    assert "H2's pool" in h2["name"]
    flows = res.funding_flows.set_index("source_id")
    assert flows.loc["N1", "hwb_id"] == flows.loc["N1", "pool_hwb_id"] == "H1"
    assert flows.loc["N2", "hwb_id"] == flows.loc["N2", "pool_hwb_id"] == "H2"

    ics_wide = optimise(two_boards([("N1", Y, 2.0), ("N2", Y, 4.0)], hwbs=False), policy())
    assert ics_wide.objective == pytest.approx(110.0)
    assert place_spend(ics_wide, "P1") == pytest.approx(5.0)


def test_blank_hwb_id_is_ics_wide_money_that_may_pay_for_any_place():
    """The £1m transformation fund goes where it buys most: P1 at 20 (80 + 20 = 100)."""
    res = optimise(*pools_with_a_transformation_fund())
    assert res.objective == pytest.approx(100.0)
    assert place_spend(res, "P1") == pytest.approx(3.0)
    tf = row(res, "money_source_limit", source_id="TF", year=Y)
    assert tf["shadow_price"] == pytest.approx(20.0) and tf["hwb_id"] is None
    f = res.funding_flows
    assert f.loc[f["source_id"] == "TF", "hwb_id"].tolist() == ["H1"]
    assert f.loc[f["source_id"] == "TF", "pool_hwb_id"].tolist() == [None]


def test_without_hwbs_the_flows_and_rows_are_as_before():
    from budgetopt.api import build

    inputs = two_boards([("N1", Y, 2.0), ("N2", Y, 4.0)], hwbs=False)
    built = build(inputs, policy())
    assert len(built.data.flows) == 2 and set(built.data.flows["hwb_id"]) == {""}
    keys = {(r.component, tuple(r.keys.items())) for r in built.compiled.rows}
    assert ("funding_balance", (("service_id", "A"), ("year", Y))) in keys
    assert spend(optimise(inputs, policy()), "A") == pytest.approx(6.0)


def test_the_json_reports_each_boards_pool_and_spend_and_names_each_flows_pool():
    doc = optimise(*pools_with_a_transformation_fund()).to_json_dict()
    hwbs = {r["hwb_id"]: r for r in doc["hwbs"]}
    assert hwbs["H1"] == {"hwb_id": "H1", "name": "Shire County", "year": Y, "income_m": 2.0,
                          "from_pool_m": 2.0, "from_ics_wide_m": 1.0, "spend_m": 3.0,
                          "baseline_m": 0.0, "unspent_m": 0.0, "capital_m": 0.0,
                          "capital_to_districts": False}
    assert hwbs["H2"]["spend_m"] == 4.0 and hwbs["H2"]["from_ics_wide_m"] == 0.0
    tf = [f for f in doc["funding"] if f["source_id"] == "TF"]
    assert tf == [{"source_id": "TF", "service_id": "A", "year": Y, "amount_m": 1.0,
                   "hwb_id": "H1", "pool_hwb_id": None}]


def test_without_hwbs_the_json_funding_entries_keep_their_shape():
    doc = optimise(two_boards([("N1", Y, 2.0)], hwbs=False), policy()).to_json_dict()
    assert "hwbs" not in doc  # the JSON of a data set without HWBs is as before
    assert set(doc["funding"][0]) == {"source_id", "service_id", "year", "amount_m"}


def test_the_summary_tells_each_boards_pool_and_spend():
    from budgetopt.results.summary import summary_lines

    lines = summary_lines(optimise(*pools_with_a_transformation_fund()))
    assert ("  Shire County 2026/27: spend £3.0m (baseline £0.0m) from its pool £2.0m of £2.0m "
            "and ICS-wide money £1.0m") in lines


def test_a_target_on_one_boards_outcome_counts_only_its_places():
    """min_cost: H2 must buy 30 (P2 at 10 per £1m): £3m in P2; an ICS-wide target of 30 is
    met more cheaply in P1 (at 20): £1.5m."""
    inputs = two_boards([("N1", Y, 2.0, "H1"), ("N2", Y, 4.0, "H2")])
    res = optimise(inputs, policy(targets={"items": [{"metric": "m", "min": 30, "hwb": "H2"}]})
                   .model_copy(update={"objective": "min_cost"}))
    assert res.objective == pytest.approx(3.0) and place_spend(res, "P2") == pytest.approx(3.0)
    t = row(res, "targets_min", metric_id="m", hwb_id="H2")
    assert "in H2 in" in t["name"] and t["shadow_price"] == pytest.approx(0.1)  # £0.1m a unit
    wide = optimise(inputs, policy(targets={"items": [{"metric": "m", "min": 30}]})
                    .model_copy(update={"objective": "min_cost"}))
    assert wide.objective == pytest.approx(1.5)


def test_dfg_is_reported_as_capital_passed_to_the_districts_of_a_two_tier_board():
    inputs = make_inputs(services=[{"service_id": "A"}], curves=[("A", "m", 1, 10, 10)],
                         funding=[("DFG1", Y, 1.5, "H1", "DFG"), ("N1", Y, 2.0, "H1")],
                         places=PLACES[:1], hwbs=[{"hwb_id": "H1", "name": "Shire County",
                                                  "two_tier": True}])
    res = optimise(inputs, policy())
    (h1,) = res.to_json_dict()["hwbs"]
    assert h1["capital_m"] == 1.5 and h1["capital_to_districts"] is True
    from budgetopt.results.summary import summary_lines

    assert any("capital (DFG) £1.5m, passed to the district councils" in line
               for line in summary_lines(res))
