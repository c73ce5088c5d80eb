"""Eligibility, the ring-fences (budgetopt.families.eligibility): a case solved by hand."""

from __future__ import annotations

import pytest

from budgetopt import Policy, apply_overrides, optimise
from tests.builders import make_inputs
from tests.families.cases import Y, case, policy, row

COMMON = {
    "services": [{"service_id": "A"}, {"service_id": "B"}],
    "curves": [("A", "m", 1, 4, 10), ("B", "m", 1, 1, 8), ("B", "m", 2, 5, 1)],
    "funding": [("dfg", Y, 3.0), ("pool", Y, 2.0)],
}


@case
def ring_fenced_dfg():
    return make_inputs(**COMMON, eligibility=[("dfg", "B")]), policy()


def test_eligibility_keeps_a_ring_fenced_source_on_its_services():
    """DFG (£3m) may pay only for B (1 @ 8, 5 @ 1); the pool (£2m) pays for anything.
    B takes all DFG: 8 + 2 = 10; the pool funds A1: 20 → 30 (not 36 without the ring-fence).
    Shadow prices: DFG 1 (B2), pool 10 (A1 has room)."""
    fenced = optimise(*ring_fenced_dfg())
    free = optimise(make_inputs(**COMMON))
    assert fenced.objective == pytest.approx(30.0)
    assert free.objective == pytest.approx(8 + 40)  # A takes £4m (40), B1 £1m (8)
    flows = fenced.funding_flows
    dfg = flows[flows["source_id"] == "dfg"]
    assert set(dfg["service_id"]) == {"B"}
    price = {s: row(fenced, "money_source_limit", source_id=s, year=Y)["shadow_price"]
             for s in ("dfg", "pool")}
    assert price == {"dfg": pytest.approx(1.0), "pool": pytest.approx(10.0)}
    off = optimise(make_inputs(**COMMON, eligibility=[("dfg", "B")]),
                   apply_overrides(Policy(), ["rules.eligibility.enabled=false"]))
    assert off.objective == pytest.approx(free.objective)
