"""The mixed-integer band order (budgetopt.families.segment_order): curves that need scale."""

from __future__ import annotations

import pytest

from budgetopt import Policy, optimise
from budgetopt.errors import PolicyError
from tests.builders import make_inputs
from tests.families.cases import Y, case, spend


def nonconcave_inputs(budget: float):
    """A needs scale: band 1 (1 @ 1) must be full before band 2 (1 @ 10). B: 2 @ 5."""
    return make_inputs(
        services=[{"service_id": "A"}, {"service_id": "B"}],
        curves=[("A", "m", 1, 1, 1), ("A", "m", 2, 1, 10), ("B", "m", 1, 2, 5)],
        funding=[("pool", Y, budget)],
    )


@case
def scale_needed():
    return nonconcave_inputs(2.0), Policy(nonconcave="milp")


def test_nonconcave_curve_is_rejected_unless_milp():
    with pytest.raises(PolicyError, match="nonconcave: milp"):
        optimise(nonconcave_inputs(2.0))


@pytest.mark.parametrize(("budget", "best", "a_spend"), [(2.0, 11.0, 2.0), (1.5, 7.5, 0.0)])
def test_milp_fills_bands_in_order(budget, best, a_spend):
    """£2m: all of A (1 + 10 = 11) beats all of B (10). £1.5m: A would give 1 + 5 = 6 only
    (band 1 first), B gives 7.5 — an LP that skipped band 1 would wrongly claim 1.5 × 10 = 15."""
    res = optimise(nonconcave_inputs(budget), Policy(nonconcave="milp"))
    assert res.status == "optimal"
    assert res.objective == pytest.approx(best)
    assert spend(res, "A") == pytest.approx(a_spend)
    assert "mixed-integer choices fixed" in res.duals_note


def test_band_order_rows_are_keyed_by_service_year_and_band():
    from budgetopt.api import build

    rows = [r for r in build(*scale_needed()).compiled.rows
            if r.component == "segment_order_use"]
    assert [r.keys for r in rows] == [{"service_id": "A", "year": Y, "band": "2"},
                                      {"service_id": "A", "year": Y, "band": "3"}]
