"""Acute bed capacity (budgetopt.families.bed_capacity): a case solved by hand."""

from __future__ import annotations

import pytest

from budgetopt import optimise
from tests.builders import make_inputs
from tests.families.cases import Y1, case, policy


@case
def ten_beds_a_year():
    inputs = make_inputs(
        services=[{"service_id": "H", "sector": "acute", "baseline_m": 10}, {"service_id": "C"}],
        curves=[("H", "m", 1, 30, 0), ("C", "m", 1, 30, 1)], funding=[("pool", Y1, 10)])
    return inputs, policy(bed_capacity={"beds_per_year": 10, "cost_per_bed_gbp": 100_000})


def test_bed_capacity_limits_how_fast_pooled_acute_spend_falls():
    """Pooled acute H (baseline £10m) buys nothing; C buys 1; £10m. 10 beds a year at £100k
    close £1m of acute spend: H keeps £9m, C gets £1m."""
    res = optimise(*ten_beds_a_year())
    assert res.objective == pytest.approx(1)
