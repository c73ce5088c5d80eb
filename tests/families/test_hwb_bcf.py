"""The BCF per Health and Wellbeing Board: each HWB's adult social care minimum, paid from its
own NHS minimum contribution and rising by the uplift each year; the versioned rule sets.

Hand case: SC (Social Care) buys 1 per £1m, OT (Community Health) 5 per £1m, each with room to
spare; places P1 (HWB H1) and P2 (HWB H2) share every band equally. Each HWB's pool is an NHS
minimum contribution of £10m a year. H1 must spend £4m on adult social care in year one,
rising 10% a year: £4.4m in year two. H2 states no minimum.
"""

from __future__ import annotations

import pytest

from budgetopt import optimise
from tests.builders import make_inputs
from tests.families.cases import Y1, Y2, policy, problems, row
from tests.families.models import asc_minimum_per_board, boards, ooh_per_board


def test_each_boards_asc_minimum_rises_by_the_uplift_and_is_paid_from_its_own_pool():
    """H1: SC 4 and OT 6 in year one (4 + 30), SC 4.4 and OT 5.6 in year two (4.4 + 28);
    H2: OT 10 a year (50 each). Total 84 + 82.4 = 166.4. A £1m higher floor moves £1m from
    OT to SC: −4."""
    res = optimise(*asc_minimum_per_board())
    assert res.objective == pytest.approx(166.4)
    a = res.allocation
    sc = a[(a["service_id"] == "SC")].set_index(["place_id", "year"])["spend_m"]
    assert sc[("P1", Y1)] == pytest.approx(4.0) and sc[("P1", Y2)] == pytest.approx(4.4)
    assert sc[("P2", Y1)] == pytest.approx(0.0)
    r2 = row(res, "bcf_asc_hwb", hwb_id="H1", year=Y2)
    assert r2["limit"] == pytest.approx(4.4) and r2["shadow_price"] == pytest.approx(-4.0)
    assert r2["name"] == ("NHS minimum contribution to adult social care in Shire County in "
                          f"{Y2} at least £4.4m")
    assert "adult social care minimum for Shire County" in r2["meaning"]
    floors = res.constraints[res.constraints["component"] == "bcf_asc_hwb"]
    assert set(floors["hwb_id"]) == {"H1"}  # H2 states no minimum


def test_the_rule_sets_uplift_applies_when_the_policy_states_none():
    from budgetopt.policy import policy_from_dict

    pol = policy_from_dict({"bcf": {"rules": "2026-27"}, "rules": {"bcf_conditions": {}}})
    res = optimise(boards(), pol)
    r2 = row(res, "bcf_asc_hwb", hwb_id="H1", year=Y2)
    assert r2["limit"] == pytest.approx(4.0 * 1.039)


def test_the_policy_may_state_a_boards_minimum_and_unknown_boards_are_named():
    pol = policy(bcf_conditions={"hwb_asc_min_m": {"H2": 3.0}})
    res = optimise(boards(), pol)
    assert row(res, "bcf_asc_hwb", hwb_id="H2", year=Y2)["limit"] == pytest.approx(3.0)
    found = problems(lambda: (boards(), policy(bcf_conditions={"hwb_asc_min_m": {"H9": 1}})))
    assert any("hwb_asc_min_m.H9" in p and "'H9' is not a Health and Wellbeing Board" in p
               for p in found), found


def test_a_plan_year_outside_the_rule_set_is_named_with_the_set_that_fits():
    from budgetopt.policy import policy_from_dict

    pol = policy_from_dict({"bcf": {"rules": "2025-26"}})
    found = problems(lambda: (boards(), pol))
    assert found == [(f"bcf.rules: the 2025-26 rule set (Better Care Fund policy framework "
                      f"2025 to 2026) covers 2025/26, but the plan has {Y1}, {Y2}: choose "
                      "bcf.rules 2026-27")]


def test_an_unknown_rule_set_lists_the_ones_that_ship():
    from budgetopt.errors import PolicyError
    from budgetopt.policy import policy_from_dict

    with pytest.raises(PolicyError) as info:
        policy_from_dict({"bcf": {"rules": "2023-25"}})
    assert "the rule sets: 2025-26, 2026-27" in str(info.value)


def test_under_a_rule_set_the_dfg_pays_only_for_dfg_schemes_and_the_grant_for_social_care():
    """No eligibility rows: the 2026-27 streams' own rules apply. The DFG's £2m can go only to
    the DFG scheme (which buys 1 per £1m), the LA Better Care Grant's £3m only to SC."""
    from budgetopt.policy import policy_from_dict

    inputs = make_inputs(
        services=[{"service_id": "ADAPT", "scheme_type": "DFG Related Schemes"},
                  {"service_id": "SC", "area_of_spend": "Social Care"},
                  {"service_id": "OT"}],
        curves=[("ADAPT", "m", 1, 10, 1), ("SC", "m", 1, 10, 2), ("OT", "m", 1, 10, 5)],
        funding=[("DFG", Y1, 2.0, None, "DFG"),
                 ("LABCG", Y1, 3.0, None, "Local Authority Better Care Grant")])
    free = optimise(inputs, policy())
    assert free.objective == pytest.approx(25.0)  # all £5m to OT
    ruled = optimise(inputs, policy_from_dict({"bcf": {"rules": "2026-27"}}))
    assert ruled.objective == pytest.approx(2 * 1 + 3 * 2)
    f = ruled.funding_flows
    assert set(f.loc[f["source_id"] == "DFG", "service_id"]) == {"ADAPT"}



def test_each_boards_out_of_hospital_minimum_counts_joint_schemes_at_their_nhs_share():
    """SC (social care, LA) buys 6 per £1m, OT (ICB) 1, JT (Joint, 50% NHS) 4. H1 states no
    out-of-hospital minimum: all £10m a year to SC (60). H2 must fund £3m of out-of-hospital
    services in year one, £3.3m in year two (+10%). £1m of floor through OT gives up 6 − 1 = 5;
    through JT, whose £1m counts £0.5m, 2 × (6 − 4) = 4: so JT £6m (24) and SC £4m (24) in
    year one, JT £6.6m (26.4) and SC £3.4m (20.4) in year two; a £1m higher floor costs 4.
    Total 120 + 48 + 46.8 = 214.8."""
    res = optimise(*ooh_per_board())
    assert res.objective == pytest.approx(214.8)
    a = res.allocation.set_index(["service_id", "place_id", "year"])["spend_m"]
    assert a[("JT", "P2", Y1)] == pytest.approx(6.0) and a[("JT", "P2", Y2)] == pytest.approx(6.6)
    assert a[("JT", "P1", Y1)] == pytest.approx(0.0) and a[("SC", "P1", Y1)] == pytest.approx(10)
    r = row(res, "bcf_ooh_hwb", hwb_id="H2", year=Y2)
    assert r["limit"] == pytest.approx(3.3) and r["shadow_price"] == pytest.approx(-4.0)
    assert r["name"] == ("NHS minimum contribution to NHS-commissioned out-of-hospital "
                         f"services in Riverside in {Y2} at least £3.3m")
    assert "out-of-hospital minimum for Riverside" in r["meaning"]
    found = problems(lambda: (ooh_per_board()[0],
                              policy(bcf_conditions={"hwb_ooh_min_m": {"H7": 1.0}})))
    assert any("hwb_ooh_min_m.H7" in p for p in found), found
