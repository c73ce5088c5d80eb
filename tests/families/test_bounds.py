"""Service bounds (budgetopt.families.bounds): minimums and maximums, solved by hand."""

from __future__ import annotations

import pytest

from budgetopt import optimise
from tests.builders import make_inputs
from tests.families.cases import Y, case, policy, problems, row, spend, two_services


@case
def protected_minimum():
    inputs = make_inputs(
        services=[{"service_id": "A"}, {"service_id": "C", "min_m": 2.0}],
        curves=[("A", "m", 1, 2, 10), ("C", "m", 1, 5, 1)],
        funding=[("pool", Y, 3.0)],
    )
    return inputs, policy()


@case
def capped_maximum():
    return two_services(5.0, max_m=1.5), policy()


def test_minimum_spend_forces_money_into_a_weak_service_and_has_a_negative_price():
    """A: 2 @ 10; C: 5 @ 1 with min 2; budget 3 → A 1 (10), C 2 (2) → 12.
    Raising C's minimum by £1m moves £1m from A (10) to C (1): −9."""
    res = optimise(*protected_minimum())
    assert res.objective == pytest.approx(12.0)
    assert spend(res, "C") == pytest.approx(2.0)
    minimum = row(res, "bounds_min", service_id="C", year=Y)
    assert minimum["family"] == "bounds" and minimum["binding"]
    assert minimum["shadow_price"] == pytest.approx(-9.0)
    assert "give up 9.00 weighted outcomes" in minimum["meaning"]


def test_maximum_spend_caps_a_service_and_prices_the_cap():
    """B capped at 1.5: A1 2 (20), B1 1 (8), B2 0.5 (3), A2 1.5 (6) → 37.
    Lifting B's cap £1m swaps A2 (4) for B2 (6): +2."""
    res = optimise(*capped_maximum())
    assert res.objective == pytest.approx(37.0)
    cap = row(res, "bounds_max", service_id="B", year=Y)
    assert cap["shadow_price"] == pytest.approx(2.0)


def test_a_policy_override_replaces_the_data_and_an_unknown_service_is_named():
    """The policy caps B at £1.5m (the data has no cap): the same 37 as above."""
    res = optimise(two_services(5.0), policy(bounds={"services": {"B": {"max_m": 1.5}}}))
    assert res.objective == pytest.approx(37.0)
    assert problems(lambda: (two_services(5.0), policy(bounds={"services": {
        "Z": {"max_m": 1.5}}}))) == [
        "rules.bounds.services.Z: 'Z' is not a service (the services: A, B)"]


def test_a_minimum_beyond_its_eligible_sources_is_named_before_the_solve():
    """B may be paid only by DFG (£3m) and the pool (£2m); A only by the pool. B's minimum of
    £6m is more than the £5m that may pay for it; A's £1m minimum is within its £2m."""
    inputs = make_inputs(
        services=[{"service_id": "A", "min_m": 1.0}, {"service_id": "B", "min_m": 6.0}],
        curves=[("A", "m", 1, 10, 1), ("B", "m", 1, 10, 1)],
        funding=[("dfg", Y, 3.0), ("pool", Y, 2.0)],
        eligibility=[("dfg", "B")],
    )
    res = optimise(inputs)
    assert res.status == "infeasible"
    eligible = [w for w in res.warnings if "its eligible sources hold" in w]
    assert eligible == [(f"The minimum on B (£6.0m) is more than the £5.0m its eligible "
                         f"sources hold in {Y}.")]


@pytest.mark.parametrize("pence", [1, 5, 50])
def test_minimums_over_the_funding_by_pence_are_infeasible_and_say_so_in_pence(pence):
    """A's minimum is £2m, C's £1m and a few pence, the pool £3m: no plan meets both. The
    solver's tolerance is far below a penny, so even 1p over is infeasible (HiGHS's default,
    10p in £m, called 5p over "optimal"), and the messages show the pence that matter: the
    pre-solve warning sets the two sums against each other to the penny, and the advice
    relaxes a minimum by exactly those pence (not "£0.0m")."""
    over_m = pence / 100 / 1e6
    inputs = make_inputs(
        services=[{"service_id": "A", "min_m": 2.0}, {"service_id": "C", "min_m": 1.0 + over_m}],
        curves=[("A", "m", 1, 2, 10), ("C", "m", 1, 5, 1)],
        funding=[("pool", Y, 3.0)],
    )
    res = optimise(inputs, policy())
    assert res.status == "infeasible"
    message = res.infeasibility.message
    assert (f"Minimum spend adds up to £3,000,000.{pence:02d} against £3,000,000.00 of "
            f"funding in {Y}") in message
    assert f"by £0.{pence:02d}" in message, message
    (relax,) = res.infeasibility.relaxations
    assert relax.unit == "£m" and relax.relax_by * 1e6 == pytest.approx(pence / 100, abs=1e-3)
    assert relax.amount() == f"£0.{pence:02d}"  # as the board paper's table shows it
