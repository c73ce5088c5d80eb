"""Hand-checked models that more than one test module solves (each is solved by hand where
its docstring says), kept here so that no test module imports from another."""

from __future__ import annotations

from tests.builders import make_inputs
from tests.families.cases import Y1, Y2, policy

NM = "Minimum NHS Contribution"

PLACES = [{"place_id": "P1", "weighted_population": 1.0, "population": 1.0, "effect": 2.0,
           "core20_share": 1.0},
          {"place_id": "P2", "weighted_population": 1.0, "population": 1.0, "effect": 1.0,
           "core20_share": 0.0}]
"""Two places of equal weighted population for fair shares: P1 (effect 2, all Core20PLUS5)
and P2 (effect 1, none)."""


def boards(asc_min=4.0, years=(Y1, Y2)):
    """SC (Social Care) 1 per £1m and OT (Community Health) 5 per £1m; P1 in HWB H1 (Shire
    County, adult social care minimum `asc_min` £m), P2 in H2; each HWB's pool an NHS minimum
    contribution of £10m a year."""
    return make_inputs(
        services=[{"service_id": "SC", "area_of_spend": "Social Care"},
                  {"service_id": "OT", "area_of_spend": "Community Health"}],
        curves=[("SC", "m", 1, 100, 1), ("OT", "m", 1, 100, 5)],
        funding=[(src, y, 10.0, h, NM) for y in years for src, h in (("NM1", "H1"),
                                                                      ("NM2", "H2"))],
        places=[{"place_id": "P1", "weighted_population": 1.0, "hwb_id": "H1"},
                {"place_id": "P2", "weighted_population": 1.0, "hwb_id": "H2"}],
        hwbs=[{"hwb_id": "H1", "name": "Shire County", "asc_min_m": asc_min}])


def asc_minimum_per_board():
    """Each HWB's adult social care minimum rising 10% a year (a case of test_bcf_conditions;
    solved by hand in test_hwb_bcf)."""
    return boards(), policy(bcf_conditions={"asc_uplift": 0.10})


def ooh_per_board():
    """H2's out-of-hospital minimum (a case of test_bcf_conditions; solved by hand in
    test_hwb_bcf and checked in the BCF plans' workbook test)."""
    inputs = make_inputs(
        services=[{"service_id": "SC", "area_of_spend": "Social Care", "commissioner": "LA"},
                  {"service_id": "OT", "area_of_spend": "Community Health",
                   "commissioner": "ICB"},
                  {"service_id": "JT", "area_of_spend": "Community Health",
                   "commissioner": "Joint", "pct_nhs": 50}],
        curves=[("SC", "m", 1, 100, 6), ("OT", "m", 1, 100, 1), ("JT", "m", 1, 100, 4)],
        funding=[(src, y, 10.0, h, NM) for y in (Y1, Y2) for src, h in (("NM1", "H1"),
                                                                        ("NM2", "H2"))],
        places=[{"place_id": "P1", "weighted_population": 1.0, "hwb_id": "H1"},
                {"place_id": "P2", "weighted_population": 1.0, "hwb_id": "H2"}],
        hwbs=[{"hwb_id": "H2", "name": "Riverside"}])
    return inputs, policy(bcf_conditions={"hwb_ooh_min_m": {"H2": 3.0}, "asc_uplift": 0.10})


def offset_inputs(tf: float = 0.0):
    """Community C: 1 admission avoided a £1m (worth £1m to the hospital). Pool £10m a year;
    a transformation fund TF for the new scheme N (which buys nothing: it tests the scope)."""
    funding = [("pool", Y1, 10), ("pool", Y2, 10)]
    if tf:
        funding += [("TF", Y1, tf), ("TF", Y2, tf)]
    return make_inputs(
        services=[{"service_id": "C"}, {"service_id": "N", "new_or_existing": "New"}],
        curves=[("C", "adm", 1, 100, 1), ("N", "adm", 1, 100, 0.5)], funding=funding)
