"""BCF national conditions (budgetopt.families.bcf_conditions): cases solved by hand."""

from __future__ import annotations

import pytest

from budgetopt import optimise
from tests.builders import make_inputs
from tests.families.cases import Y1, case, policy, problems
from tests.families.models import asc_minimum_per_board, ooh_per_board


def social_care_inputs():
    return make_inputs(
        services=[{"service_id": "S", "area_of_spend": "Social Care", "commissioner": "LA"},
                  {"service_id": "H", "commissioner": "ICB"}],
        curves=[("S", "m", 1, 30, 1), ("H", "m", 1, 30, 5)], funding=[("NHSMIN", Y1, 10)])


def joint_inputs():
    return make_inputs(
        services=[{"service_id": "J", "commissioner": "Joint", "pct_nhs": 50.0},
                  {"service_id": "S", "commissioner": "LA"}],
        curves=[("J", "m", 1, 30, 5), ("S", "m", 1, 30, 1)], funding=[("NHSMIN", Y1, 10)])


@case
def social_care_floor():
    return social_care_inputs(), policy(bcf_conditions={"source": "NHSMIN", "asc_min_m": 3})


@case
def out_of_hospital_floor():
    return joint_inputs(), policy(bcf_conditions={"source": "NHSMIN", "ooh_min_m": 2})


def test_bcf_conditions_floor_social_care_from_the_nhs_minimum():
    """NHS minimum £10m; social care S buys 1, NHS community H buys 5. ASC minimum £3m from the
    NHS minimum: 3 + 5 × 7 = 38."""
    res = optimise(*social_care_floor())
    assert res.objective == pytest.approx(38)


def test_bcf_out_of_hospital_counts_joint_services_at_their_nhs_share():
    """J (joint, 50% NHS) buys 5, S (LA) buys 1: an out-of-hospital minimum of £2m needs £4m on
    J; J is the best use anyway, so the floor costs nothing. A minimum of £6m needs £12m on J:
    more than the £10m, so it is infeasible and the advice relaxes it by £1m."""
    ok = optimise(*out_of_hospital_floor())
    assert ok.objective == pytest.approx(50)
    bad = optimise(joint_inputs(), policy(bcf_conditions={"source": "NHSMIN", "ooh_min_m": 6}))
    assert bad.status == "infeasible"
    (relax,) = bad.infeasibility.relaxations
    assert relax.family == "bcf_conditions" and relax.relax_by == pytest.approx(1.0)


def test_presolve_warns_when_the_floors_exceed_the_contribution():
    """£7m of adult social care and £5m out of hospital asked of a £10m contribution."""
    res = optimise(joint_inputs(), policy(bcf_conditions={"source": "NHSMIN", "asc_min_m": 7,
                                                          "ooh_min_m": 5}))
    assert ("The BCF national conditions ask £12.0m of the NHS minimum contribution in "
            "2026/27, which holds £10.0m." in res.warnings)


def test_bcf_conditions_need_a_known_source_and_known_services():
    found = problems(lambda: (joint_inputs(), policy(bcf_conditions={
        "source": "NHS", "asc_min_m": 1, "asc_services": ["J", "Q"]})))
    assert [m.split(":")[0] for m in found] == ["rules.bcf_conditions.asc_services[1]",
                                               "rules.bcf_conditions.source"]
    unnamed = problems(lambda: (joint_inputs(), policy(bcf_conditions={"asc_min_m": 1})))
    assert unnamed == [("rules.bcf_conditions: no funding source has bcf_source 'Minimum NHS "
                       "Contribution': name it in rules.bcf_conditions.source")]


@case
def asc_minimum_per_hwb():
    """Each HWB's adult social care minimum with its uplift (tests/families/test_hwb_bcf.py)."""
    return asc_minimum_per_board()


@case
def ooh_minimum_per_hwb():
    """Each HWB's out-of-hospital minimum (tests/families/test_hwb_bcf.py)."""
    return ooh_per_board()
