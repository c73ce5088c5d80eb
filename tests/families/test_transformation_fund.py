"""The transformation fund (budgetopt.families.transformation_fund): cases solved by hand
(its double running is in test_acute_offset.py)."""

from __future__ import annotations

import pytest

from budgetopt import optimise
from tests.builders import make_inputs
from tests.families.cases import Y1, Y2, case, policy, problems, spend
from tests.families.models import offset_inputs


def rolling_inputs():
    return make_inputs(
        services=[{"service_id": "N", "new_or_existing": "New"}],
        curves=[("N", "m", 1, 1, 1, 1, 1, Y1), ("N", "m", 1, 10, 1, 1, 1, Y2)],
        funding=[("TF", Y1, 3), ("TF", Y2, 3)])


@case
def new_schemes_only():
    return offset_inputs(tf=3.0), policy(transformation_fund={"source": "TF"})


@case
def carried_forward():
    return rolling_inputs(), policy(transformation_fund={"source": "TF", "carry_forward": True})


def test_transformation_fund_pays_only_for_new_schemes():
    """TF £3m may pay only N (0.5 a £1m), not C (1 a £1m): C gets the pool, N the fund."""
    res = optimise(*new_schemes_only())
    assert spend(res, "N") == pytest.approx(3.0) and spend(res, "C") == pytest.approx(10.0)
    assert res.objective == pytest.approx(2 * (10 + 1.5))


def test_transformation_fund_carry_forward():
    """TF £3m a year for N only, N's band in year 1 only £1m wide... with carry forward the
    unspent £2m of year 1 may be spent in year 2: N spends 1 then 5."""
    plain = optimise(rolling_inputs(), policy(transformation_fund={"source": "TF"}))
    rolled = optimise(*carried_forward())
    assert plain.objective == pytest.approx(1 + 3)
    assert rolled.objective == pytest.approx(1 + 5)


def test_the_fund_must_be_a_funding_source():
    assert problems(lambda: (offset_inputs(), policy(transformation_fund={
        "source": "TF", "schemes": ["N", "Q"]}))) == [
        "rules.transformation_fund.schemes[1]: 'Q' is not a service (the services: C, N)",
        "rules.transformation_fund.source: 'TF' is not in the funding table"]
    assert problems(lambda: (offset_inputs(), policy(transformation_fund={}))) == [
        ("rules.transformation_fund: no funding source has bcf_source 'Transformation Fund': "
        "name it in rules.transformation_fund.source")]
