"""Personal budgets (budgetopt.families.personal_budgets): a case solved by hand."""

from __future__ import annotations

import pytest

from budgetopt import optimise
from tests.builders import make_inputs
from tests.families.cases import Y1, case, policy, problems, row


def care_inputs(scheme: str = "Personalised Budgeting and Commissioning"):
    return make_inputs(
        services=[{"service_id": "P", "sector": "social_care", "scheme_type": scheme},
                  {"service_id": "X", "sector": "social_care"}],
        curves=[("P", "m", 1, 30, 1), ("X", "m", 1, 30, 3)], funding=[("pool", Y1, 10)])


@case
def a_fifth_of_social_care():
    return care_inputs(), policy(personal_budgets={"min_share": 0.2})


def test_personal_budgets_take_a_share_of_social_care():
    """Personal budgets P buy 1, care X buys 3, both social care; £10m. P at least 20% of
    social care spend: £2m, so 2 + 24 = 26."""
    res = optimise(*a_fifth_of_social_care())
    assert res.objective == pytest.approx(26)


def test_personal_budgets_need_a_line():
    found = problems(lambda: (care_inputs("Other"), policy(personal_budgets={
        "min_share": 0.2})))
    assert found == [("rules.personal_budgets: no personal-budget line (scheme type "
                     "'Personalised Budgeting and Commissioning', or list services)")]
    typo = problems(lambda: (care_inputs(), policy(personal_budgets={
        "min_share": 0.2, "eligible_sectors": ["socialcare"]})))
    assert typo[0].startswith("rules.personal_budgets.eligible_sectors[0]: 'socialcare' is "
                              "not a sector")


def two_councils():
    """Places P1 (HWB H1, effect 1) and P2 (HWB H2, effect 2) share every band equally; each
    HWB's pool is £10m of its own."""
    return make_inputs(
        services=[{"service_id": "P", "sector": "social_care",
                   "scheme_type": "Personalised Budgeting and Commissioning"},
                  {"service_id": "X", "sector": "social_care"}],
        curves=[("P", "m", 1, 30, 1), ("X", "m", 1, 30, 3)],
        funding=[("pool1", Y1, 10.0, "H1"), ("pool2", Y1, 10.0, "H2")],
        places=[{"place_id": "P1", "weighted_population": 1.0, "hwb_id": "H1"},
                {"place_id": "P2", "weighted_population": 1.0, "hwb_id": "H2", "effect": 2.0}],
        hwbs=[{"hwb_id": "H1", "name": "Shire County"}, {"hwb_id": "H2", "name": "Riverside"}])


def _by_place(res, service):
    a = res.allocation
    return a[a["service_id"] == service].set_index("place_id")["spend_m"]


def test_each_council_holds_its_own_personal_budget_share():
    """Per HWB (the default): each council's personal budgets at least 20% of its own social
    care spend, £2m of its £10m: H1 2 + 24 = 26, H2 (2 + 24) × 2 = 52; 78 in all. Held once
    across the ICS instead, all £4m of personal budgets would go where they cost least (H1,
    where a £1m moved from X to P loses 2, against 4 in H2): 4 + 18 + 60 = 82. One more £1m
    of personal budgets costs 2 in H1 and 4 in H2: the shadow prices say so."""
    per_hwb = optimise(two_councils(), policy(personal_budgets={"min_share": 0.2}))
    assert per_hwb.objective == pytest.approx(78)
    p, x = _by_place(per_hwb, "P"), _by_place(per_hwb, "X")
    for place in ("P1", "P2"):
        assert p[place] >= 0.2 * (p[place] + x[place]) - 1e-9
        assert p[place] == pytest.approx(2.0)
    h1 = row(per_hwb, "personal_budgets", hwb_id="H1", year=Y1)
    h2 = row(per_hwb, "personal_budgets", hwb_id="H2", year=Y1)
    assert h1["name"] == ("Personal budgets in Shire County in 2026/27 at least 20% of "
                          "eligible social care spend")
    assert h1["shadow_price"] == pytest.approx(-2.0) and h2["shadow_price"] == pytest.approx(-4.0)
    assert "in Riverside in 2026/27 would" in h2["meaning"]
    ics = optimise(two_councils(), policy(personal_budgets={"min_share": 0.2, "scope": "ics"}))
    assert ics.objective == pytest.approx(82)
    assert _by_place(ics, "P")["P1"] == pytest.approx(4.0)
    only = ics.constraints[ics.constraints["component"] == "personal_budgets"]
    assert len(only) == 1 and "hwb_id" not in only.columns or only["hwb_id"].isna().all()


def test_an_unknown_scope_is_refused_with_the_choices():
    from budgetopt.errors import PolicyError
    from budgetopt.policy import policy_from_dict

    with pytest.raises(PolicyError) as info:
        policy_from_dict({"rules": {"personal_budgets": {"min_share": 0.2, "scope": "place"}}})
    text = str(info.value)
    assert "rules.personal_budgets.scope" in text and "'hwb'" in text and "'ics'" in text
