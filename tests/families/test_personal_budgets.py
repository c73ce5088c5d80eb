"""Personal budgets (budgetopt.families.personal_budgets): a case solved by hand."""

from __future__ import annotations

import pytest

from budgetopt import optimise
from tests.builders import make_inputs
from tests.families.cases import Y1, case, policy, problems


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
