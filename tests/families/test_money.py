"""Money (budgetopt.families.money): each source within its amount, every pound paid for."""

from __future__ import annotations

import pytest

from budgetopt import optimise
from tests.builders import make_inputs
from tests.families.cases import Y, case, policy, problems, row, spend, two_services


@case
def five_million():
    return two_services(5.0), policy()


def test_a_source_is_spent_within_its_amount_and_priced_at_the_marginal_band():
    """£5m: A1 2 × 10, B1 1 × 8, B2 2 × 6 = 40; one more £1m buys 6 (B2)."""
    res = optimise(*five_million())
    assert res.objective == pytest.approx(40.0)
    money = row(res, "money_source_limit", source_id="pool", year=Y)
    assert money["shadow_price"] == pytest.approx(6.0) and money["limit"] == pytest.approx(5.0)


@case
def two_sources():
    """£3m of pool and £2m of grant, each of which may pay for A and B: the same £5m."""
    return make_inputs(  # two_services' curves
        services=[{"service_id": "A"}, {"service_id": "B"}],
        curves=[("A", "m", 1, 2, 10), ("A", "m", 2, 2, 4), ("B", "m", 1, 1, 8),
                ("B", "m", 2, 5, 6)],
        funding=[("pool", Y, 3.0), ("grant", Y, 2.0)]), policy()


def test_money_rows_are_keyed_by_source_and_year():
    from budgetopt.api import build

    rows = build(*two_sources()).compiled.rows
    assert {(r.component, tuple(r.keys.items())) for r in rows} >= {
        ("money_source_limit", (("source_id", "pool"), ("year", Y))),
        ("money_source_limit", (("source_id", "grant"), ("year", Y))),
        ("funding_balance", (("service_id", "A"), ("year", Y))),
        ("funding_balance", (("service_id", "B"), ("year", Y)))}


def test_two_sources_split_the_same_plan_and_each_flow_is_reported():
    res = optimise(*two_sources())
    assert res.objective == pytest.approx(40.0)
    f = res.funding_flows
    assert f.groupby("source_id")["amount_m"].sum().to_dict() == pytest.approx(
        {"pool": 3.0, "grant": 2.0})
    paid = f.groupby("service_id")["amount_m"].sum()
    assert paid["A"] == pytest.approx(spend(res, "A")) and paid["B"] == pytest.approx(
        spend(res, "B"))


def test_a_service_one_source_pays_for_has_no_flow_column_or_balance_row_but_its_flow():
    """The flow is the service's spend itself (model.build.Flows): the LP is smaller, the
    answer reports it as before."""
    from budgetopt.api import build

    session = build(*five_million())
    assert len(session.model.flow) == 0
    assert "funding_balance" not in {r.component for r in session.compiled.rows}
    assert len(session.compiled.cols) == len(session.model.x)
    res = session.results()
    f = res.funding_flows.set_index("service_id")
    assert set(f["source_id"]) == {"pool"}
    assert f.loc["A", "amount_m"] == pytest.approx(spend(res, "A")) == pytest.approx(2.0)
    assert f.loc["B", "amount_m"] == pytest.approx(spend(res, "B")) == pytest.approx(3.0)


def test_an_override_of_a_source_year_not_in_the_funding_table_is_named():
    found = problems(lambda: (two_services(5.0), policy(money={"amounts": {
        "pool": {"2030/31": 4.0}, "dfg": {Y: 1.0}}})))
    assert found == [("rules.money.amounts.pool.2030/31: names source 'pool' in year '2030/31', "
                     "not in the funding table"),
                     ("rules.money.amounts.dfg.2026/27: names source 'dfg' in year '2026/27', "
                     "not in the funding table")]
