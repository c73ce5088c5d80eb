"""Workforce (budgetopt.families.workforce): a case solved by hand."""

from __future__ import annotations

import pytest

from budgetopt import Policy, apply_overrides, optimise
from tests.builders import make_inputs
from tests.families.cases import Y, case, policy, row


def nurses_inputs():
    return make_inputs(
        services=[{"service_id": "A"}, {"service_id": "B"}],
        curves=[("A", "m", 1, 2, 10), ("A", "m", 2, 2, 4), ("B", "m", 1, 1, 8),
                ("B", "m", 2, 5, 6)],
        funding=[("pool", Y, 5.0)],
        workforce=[("nurses", Y, 15.0)], workforce_need=[("nurses", "A", 10.0)],
    )


@case
def fifteen_nurses():
    return nurses_inputs(), policy()


def test_workforce_limit_caps_staff_hungry_service_and_prices_a_wte():
    """A needs 10 WTE per £m; 15 WTE → A ≤ £1.5m (15). Budget 5: B1 1 (8) + B2 2.5 (15) → 38.
    One more WTE lets £0.1m move from B2 (6) to A1 (10): +0.4 per WTE."""
    inputs, _ = fifteen_nurses()
    res = optimise(inputs)
    assert res.objective == pytest.approx(38.0)
    wte = row(res, "workforce_limit", group_id="nurses", year=Y)
    assert wte["family"] == "workforce" and wte["unit"] == "WTE"
    assert wte["shadow_price"] == pytest.approx(0.4)
    scaled = optimise(inputs, apply_overrides(Policy(), ["rules.workforce.scale=2"]))
    assert scaled.objective == pytest.approx(40.0)  # workforce no longer binds


def test_workforce_rows_are_keyed_by_group_and_year():
    from budgetopt.api import build

    (info,) = [r for r in build(*fifteen_nurses()).compiled.rows if r.family == "workforce"]
    assert info.keys == {"group_id": "nurses", "year": Y}
    assert info.labels == {"group": "nurses", "year": Y}
