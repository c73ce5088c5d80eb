"""Money (budgetopt.families.money): each source within its amount, every pound paid for."""

from __future__ import annotations

import pytest

from budgetopt import optimise
from tests.families.cases import Y, case, policy, problems, row, two_services


@case
def five_million():
    return two_services(5.0), policy()


def test_a_source_is_spent_within_its_amount_and_priced_at_the_marginal_band():
    """£5m: A1 2 × 10, B1 1 × 8, B2 2 × 6 = 40; one more £1m buys 6 (B2)."""
    res = optimise(*five_million())
    assert res.objective == pytest.approx(40.0)
    money = row(res, "money_source_limit", source_id="pool", year=Y)
    assert money["shadow_price"] == pytest.approx(6.0) and money["limit"] == pytest.approx(5.0)


def test_money_rows_are_keyed_by_source_and_year():
    from budgetopt.api import build

    rows = build(*five_million()).compiled.rows
    assert {(r.component, tuple(r.keys.items())) for r in rows} >= {
        ("money_source_limit", (("source_id", "pool"), ("year", Y))),
        ("funding_balance", (("service_id", "A"), ("year", Y)))}


def test_an_override_of_a_source_year_not_in_the_funding_table_is_named():
    found = problems(lambda: (two_services(5.0), policy(money={"amounts": {
        "pool": {"2030/31": 4.0}, "dfg": {Y: 1.0}}})))
    assert found == [("rules.money.amounts.pool.2030/31: names source 'pool' in year '2030/31', "
                     "not in the funding table"),
                     ("rules.money.amounts.dfg.2026/27: names source 'dfg' in year '2026/27', "
                     "not in the funding table")]
