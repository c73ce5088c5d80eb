"""The example ICS: a fictional Integrated Care System of 1.5 million people.

Built from the figures in the domain notes (DOMAIN.md's schemes and unit costs; the Better Care
Fund as it is from 2025-26: one pool per Health and Wellbeing Board, the NHS minimum
contribution, the Local Authority Better Care Grant and the DFG scaled from the national totals,
the three national metrics) so that every feature of budgetopt has something realistic to work
on. Three HWBs: Shire County (a two-tier county of three places: Northgate, Riverside and the
Wolds) and two unitary councils (Eastbrook, Harbourside), each with its own pool for 2026/27 to
2028/29, plus an ICS-wide transformation fund. The numbers are public-domain
magnitudes rounded for realism; the ICS, its places and its effect sizes are illustrative.

>>> tables = example_tables()
>>> sorted(tables)                                             # doctest: +NORMALIZE_WHITESPACE
['baseline', 'capacity', 'demand', 'eligibility', 'evidence', 'funding', 'hwbs', 'metrics',
 'notes', 'places', 'services', 'workforce', 'workforce_need']
>>> write_example("my-ics")                                    # doctest: +SKIP

How the numbers are made
------------------------
Outcomes are valued in **£ thousand of social value** (metric ``weight``): NHS and council costs
avoided plus health gain at £20,000 a QALY. So the objective is in £k, and a budget shadow price
of 1,400 reads "£1m more buys £1.4m of value".

Every curve is derived from evidence (the ``evidence`` table; docs/evidence.md): per scheme,
the cost of serving one person (DOMAIN.md's unit costs times the units a person uses), the
people who could benefit a year across the ICS and the share the scheme can reach, and per
metric the effect per person (central, low, high) from the source family named, with its
certainty. The first pound buys people at the unit cost; the hardest to reach cost more, so
every curve is concave and stops at the people reachable. Low and high effects carry the
strength of the evidence (falls prevention is well evidenced; social prescribing is not).
:func:`example_with_bands` writes the same curves as spend bands.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from budgetopt.data.dataset import write_dataset

YEARS: tuple[str, ...] = ("2026/27", "2027/28", "2028/29")


# -- metrics ------------------------------------------------------------------------------------
# metric_id, name, unit, weight (£k of value per unit), bcf, better, level, level unit,
# change in the level per unit of outcome, acute £ avoided per unit (the acute offset's saving)
# The three national metrics from 2025-26 (bcf yes) come first; the 2023-25 ones are kept as
# local metrics. EMADM65 and DISDELAY are weighted 0: their value is already counted through
# the local metrics they overlap (an admission avoided is valued once, as ACSC or FALLS65).
_METRICS = [
    ("EMADM65", "Emergency admissions of people aged 65+", "admissions avoided", 0.0, True,
     "lower", 9_300.0, "per 100,000 people aged 65+", -100_000 / 270_000, 0.0),
    ("DISDELAY", "Average length of discharge delay (acute adult patients)",
     "days of delay avoided", 0.0, True, "lower", 1.0, "days of delay per discharge (average)",
     -1 / 150_000, 0.0),
    ("RESADM", "Long-term admissions of people aged 65+ to residential and nursing care",
     "admissions avoided", 30.0, True, "lower", 560.0, "per 100,000 people aged 65+",
     -100_000 / 270_000, 0.0),
    ("ACSC", "Unplanned admissions for chronic ambulatory-care-sensitive conditions",
     "admissions avoided", 4.8, False, "lower", 760.0, "per 100,000 population",
     -100_000 / 1.5e6, 2_800.0),
    ("FALLS65", "Emergency admissions due to falls, people aged 65+", "admissions avoided", 7.5,
     False, "lower", 1_930.0, "per 100,000 people aged 65+", -100_000 / 270_000, 3_600.0),
    ("HOMEDIS", "Discharge to usual place of residence", "discharges home instead of to a bed",
     2.0, False, "higher", 92.5, "% of discharges", 100 / 150_000, 800.0),
    ("REAB91", "Older people still at home 91 days after reablement", "more people at home",
     12.0, False, "higher", 82.0, "% of people reabled", 100 / 6_000, 0.0),
    ("QALY", "Quality-adjusted life years gained", "QALYs", 20.0, False, "higher", None, "",
     None, 0.0),
]


@dataclass(frozen=True)
class Evidence:
    """What an analyst holds about a scheme: who it can reach and what it does per person.

    The cost of serving one person is the scheme's unit cost times ``per_person`` (the units of
    its output a person typically uses); ``eligible`` people a year across the ICS could
    benefit, of whom ``coverage`` can realistically be reached; ``effects`` gives, per metric,
    the outcome per person served (central, low, high) from the source family named."""

    eligible: float
    coverage: float
    effects: dict[str, tuple[float, float, float]]
    source: str
    certainty: str
    per_person: float = 1.0


@dataclass(frozen=True)
class Scheme:
    """One example service line: its BCF fields, money and evidence."""

    service_id: str
    name: str
    sector: str
    baseline_m: float
    scheme_type: str
    area_of_spend: str
    commissioner: str
    provider: str
    output_unit: str
    unit_cost_gbp: float
    evidence: Evidence
    description: str = ""
    sub_type: str = ""
    min_m: float | None = None
    max_m: float | None = None
    pct_nhs: float | None = None
    mhis: bool = False
    new: bool = False
    pooled: bool = True
    workforce: dict[str, float] = field(default_factory=dict)  # group -> WTE per £m


# Effects are per person served, a year: e.g. falls classes' 0.035 falls admissions avoided is
# a rate ratio of 0.77 on the 0.15 falls admissions a year of an older person who has fallen.
_SCHEMES: tuple[Scheme, ...] = (
    Scheme("REABLE", "Home reablement", "social_care", 22.0,
           "Home-based intermediate care services", "Social Care", "LA", "Local Authority",
           "reablement episodes", 1_900,
           Evidence(19_000, 0.6, {"REAB91": (0.18, 0.12, 0.24), "RESADM": (0.04, 0.025, 0.055),
                                  "HOMEDIS": (0.3, 0.2, 0.4)},
                    "PSSRU Unit Costs (reablement episode); NICE guideline NG74 (intermediate "
                    "care); ASCOF reablement at 91 days", "moderate"),
           description="Up to six weeks of support at home to regain independence.",
           sub_type="Reablement at home (to support discharge)",
           workforce={"CAREWK": 20, "THERAPY": 4}),
    Scheme("D2A", "Discharge-to-assess home care", "social_care", 18.0,
           "Home Care or Domiciliary Care", "Social Care", "LA", "Private Sector",
           "hours of home care", 28.5,
           Evidence(15_600, 0.6, {"HOMEDIS": (0.7, 0.5, 0.85), "RESADM": (0.03, 0.015, 0.04),
                                  "QALY": (0.02, 0.01, 0.03)},
                    "PSSRU Unit Costs (home care hour, 60 hours a package); NHS England "
                    "hospital discharge guidance", "moderate", per_person=60),
           description="Home care from the day of discharge while long-term needs are assessed.",
           sub_type="Domiciliary care to support hospital discharge",
           workforce={"CAREWK": 28}),
    Scheme("STEPDOWN", "Step-down intermediate care beds", "community", 16.0,
           "Bed based intermediate Care Services", "Community Health", "Joint",
           "NHS Community Provider", "bed weeks", 1_270,
           Evidence(8_750, 0.6, {"HOMEDIS": (0.5, 0.3, 0.6), "RESADM": (0.12, 0.06, 0.18),
                                 "ACSC": (0.1, 0.05, 0.15)},
                    "PSSRU Unit Costs (nursing week, 3 weeks a stay); NICE guideline NG74",
                    "moderate", per_person=3),
           description="Short-stay beds with therapy for people not yet ready to go home.",
           sub_type="Step down (discharge to assess pathway 2)", pct_nhs=60,
           workforce={"NURSE": 5, "CAREWK": 10, "THERAPY": 3}),
    Scheme("RESPLACE", "Residential and nursing placements", "social_care", 40.0,
           "Residential Placements", "Social Care", "LA", "Private Sector",
           "care home weeks", 950,
           Evidence(1_000, 0.9, {"QALY": (0.3, 0.25, 0.35), "HOMEDIS": (0.3, 0.25, 0.35)},
                    "PSSRU Unit Costs (care home week, a year a placement); Care Act 2014 "
                    "duties", "high", per_person=52),
           description="Long-term care home placements the council must arrange (Care Act).",
           sub_type="Care home", min_m=36.0),
    Scheme("DN", "District nursing", "community", 35.0,
           "Community Based Schemes", "Community Health", "ICB", "NHS Community Provider",
           "district nurse contacts", 57,
           Evidence(40_000, 0.8, {"ACSC": (0.14, 0.1, 0.18), "QALY": (0.06, 0.04, 0.075)},
                    "PSSRU Unit Costs (district nurse contact, 20 contacts a patient); NHS "
                    "England community services data", "moderate", per_person=20),
           description="Nursing care at home for housebound patients.",
           sub_type="Integrated neighbourhood services", min_m=30.0,
           workforce={"NURSE": 18}),
    Scheme("UCR", "Urgent community response", "community", 9.0,
           "Urgent Community Response", "Community Health", "ICB", "NHS Community Provider",
           "two-hour responses", 420,
           Evidence(42_800, 0.5, {"ACSC": (0.2, 0.12, 0.28), "FALLS65": (0.05, 0.03, 0.07)},
                    "NHS England urgent community response data (two-hour standard)",
                    "moderate"),
           description="A team at the door within two hours to avoid an ambulance and admission.",
           workforce={"NURSE": 8, "THERAPY": 6}),
    Scheme("VWARD", "Virtual wards (hospital at home)", "community", 6.0,
           "Home-based intermediate care services", "Community Health", "ICB",
           "NHS Acute Provider", "virtual ward admissions", 2_000,
           Evidence(12_000, 0.5, {"ACSC": (0.4, 0.25, 0.5), "HOMEDIS": (0.15, 0.08, 0.2)},
                    "NHS England virtual ward evaluations (one admission avoided per 2-3 "
                    "virtual-ward admissions)", "moderate"),
           description="Acute care at home with remote monitoring: about one admission avoided "
           "per two to three virtual-ward admissions.",
           sub_type="Virtual ward", max_m=14.0, new=True,
           workforce={"NURSE": 10, "THERAPY": 2}),
    Scheme("FALLS", "Strength and balance (falls prevention)", "public_health", 2.0,
           "Prevention / Early Intervention", "Other", "LA", "Charity/Voluntary Sector",
           "course places", 300,
           Evidence(30_000, 0.3, {"FALLS65": (0.035, 0.02, 0.05), "QALY": (0.015, 0.008, 0.02)},
                    "Cochrane review of exercise for preventing falls (rate ratio 0.77); NICE "
                    "guideline NG249 (falls)", "high"),
           description="Exercise classes for older people at risk of falling (falls rate ratio "
           "about 0.77).", sub_type="Physical health/wellbeing",
           workforce={"THERAPY": 5}),
    Scheme("SOCPRES", "Social prescribing", "vcse", 3.0,
           "Prevention / Early Intervention", "Other", "Joint", "Charity/Voluntary Sector",
           "people supported", 350,
           Evidence(40_000, 0.3, {"ACSC": (0.025, 0.005, 0.05), "QALY": (0.008, 0.002, 0.016)},
                    "NICE evidence review of social prescribing", "low"),
           description="Link workers connecting people to community groups (low-certainty "
           "evidence).", sub_type="Social Prescribing", pct_nhs=50),
    Scheme("CARERS", "Carers' support", "vcse", 6.0,
           "Carers Services", "Social Care", "Joint", "Charity/Voluntary Sector",
           "carers supported", 600,
           Evidence(25_000, 0.4, {"RESADM": (0.01, 0.004, 0.015), "QALY": (0.02, 0.01, 0.03)},
                    "Carers UK surveys", "low"),
           description="Breaks, advice and training for unpaid carers.",
           sub_type="Respite services", pct_nhs=50),
    Scheme("DFGADAPT", "Disabled Facilities Grant adaptations", "housing", 19.0,
           "DFG Related Schemes", "Other", "LA", "Local Authority",
           "adaptations", 7_000,
           Evidence(5_000, 0.6, {"FALLS65": (0.06, 0.03, 0.08), "RESADM": (0.04, 0.02, 0.05),
                                 "QALY": (0.2, 0.1, 0.3)},
                    "Foundations DFG data; PSSRU Unit Costs (average grant)", "moderate"),
           description="Stairlifts, level-access showers and ramps so people can stay at home.",
           sub_type="Adaptations, including statutory DFG grants"),
    Scheme("HANDY", "Handyperson service", "housing", 1.0,
           "Housing Related Schemes", "Other", "LA", "Charity/Voluntary Sector",
           "jobs completed", 150,
           Evidence(20_000, 0.4, {"FALLS65": (0.01, 0.005, 0.015), "QALY": (0.003, 0.001, 0.005)},
                    "Care and Repair England evaluations", "low"),
           description="Small repairs and grab rails that prevent falls at home."),
    Scheme("TELECARE", "Telecare and community equipment", "social_care", 8.0,
           "Assistive Technologies and Equipment", "Social Care", "Joint", "Local Authority",
           "people with telecare", 250,
           Evidence(64_000, 0.5, {"FALLS65": (0.01, 0.003, 0.015),
                                  "RESADM": (0.004, 0.001, 0.006),
                                  "QALY": (0.004, 0.0, 0.008)},
                    "Whole System Demonstrator trial", "low"),
           description="Alarms, sensors and equipment at home.",
           sub_type="Telecare", pct_nhs=40),
    Scheme("EHCH", "Enhanced health in care homes", "primary_care", 4.0,
           "Personalised Care at Home", "Primary Care", "ICB", "NHS Primary Care",
           "care home beds supported", 900,
           Evidence(10_000, 0.8, {"ACSC": (0.28, 0.18, 0.35), "QALY": (0.01, 0.005, 0.015)},
                    "NHS England Enhanced Health in Care Homes evaluation (emergency "
                    "admissions about 0.6 of usual)", "moderate"),
           description="GP and nursing support to care homes: emergency admissions about 0.6 "
           "of usual.", max_m=8.0, workforce={"NURSE": 8}),
    Scheme("HOMELESS", "Homeless hospital discharge service", "housing", 1.5,
           "Housing Related Schemes", "Other", "Joint", "Charity/Voluntary Sector",
           "people housed on discharge", 3_000,
           Evidence(1_200, 0.5, {"HOMEDIS": (0.6, 0.4, 0.8), "ACSC": (0.25, 0.1, 0.35),
                                 "QALY": (0.04, 0.015, 0.06)},
                    "Pathway homeless team evaluations", "low"),
           description="Housing workers on the wards for people with nowhere safe to go.",
           new=True, pct_nhs=50),
    Scheme("MHSAFE", "Mental-health crisis safe haven", "mental_health", 3.0,
           "Community Based Schemes", "Mental Health", "ICB", "Charity/Voluntary Sector",
           "crisis contacts", 250,
           Evidence(30_000, 0.4, {"ACSC": (0.03, 0.01, 0.05), "QALY": (0.01, 0.004, 0.015)},
                    "Crisis alternatives evaluations", "low"),
           description="An evening alternative to A&E for people in mental-health crisis.",
           mhis=True, workforce={"NURSE": 4}),
    Scheme("MHCOMM", "Community mental-health home treatment", "mental_health", 3.0,
           "Community Based Schemes", "Mental Health", "ICB", "NHS Mental Health Provider",
           "home treatment episodes", 3_500,
           Evidence(2_000, 0.5, {"ACSC": (0.35, 0.2, 0.45), "QALY": (0.1, 0.05, 0.14)},
                    "NICE guidance on crisis resolution and home treatment", "moderate"),
           description="Crisis resolution and home treatment instead of an inpatient bed.",
           mhis=True, workforce={"NURSE": 6}),
    Scheme("DEMENTIA", "Dementia advisers", "mental_health", 1.5,
           "Integrated Care Planning and Navigation", "Mental Health", "Joint",
           "Charity/Voluntary Sector", "people supported", 400,
           Evidence(10_000, 0.4, {"RESADM": (0.01, 0.004, 0.015), "QALY": (0.01, 0.004, 0.015)},
                    "Alzheimer's Society evaluation", "low"),
           description="Post-diagnosis support for people with dementia and their carers "
           "(outside the MHIS base).", pct_nhs=50),
    Scheme("NAV", "Care navigation and coordination", "community", 8.0,
           "Integrated Care Planning and Navigation", "Community Health", "Joint",
           "NHS Community Provider", "people coordinated", 500,
           Evidence(32_000, 0.5, {"ACSC": (0.04, 0.01, 0.06), "HOMEDIS": (0.08, 0.03, 0.1),
                                  "QALY": (0.005, 0.002, 0.008)},
                    "NHS England care coordination evaluations", "low"),
           description="Named coordinators for people with complex needs.",
           sub_type="Care navigation and planning", pct_nhs=60),
    Scheme("WFRET", "Care workforce recruitment and retention", "social_care", 3.0,
           "Workforce recruitment and retention", "Social Care", "LA", "Local Authority",
           "staff retained", 3_000,
           Evidence(3_000, 0.4, {"HOMEDIS": (0.8, 0.3, 1.2), "REAB91": (0.12, 0.05, 0.18)},
                    "Skills for Care workforce data", "low"),
           description="Pay supplements, training and travel support for care workers."),
    Scheme("CAREACT", "Care Act duties (assessment, safeguarding, advocacy)", "social_care",
           18.0, "Care Act Implementation Related Duties", "Social Care", "LA",
           "Local Authority", "assessments", 800,
           Evidence(25_000, 0.9, {"QALY": (0.025, 0.018, 0.032), "RESADM": (0.01, 0.007, 0.012)},
                    "Care Act 2014 duties; PSSRU Unit Costs (assessment)", "moderate"),
           description="Statutory assessment, safeguarding and advocacy duties.",
           min_m=16.0),
    Scheme("PB", "Personal budgets and direct payments", "social_care", 5.0,
           "Personalised Budgeting and Commissioning", "Social Care", "LA", "Local Authority",
           "people with a personal budget", 12_000,
           Evidence(1_000, 0.5, {"QALY": (0.4, 0.28, 0.5), "RESADM": (0.05, 0.03, 0.07)},
                    "Personal health budgets evaluation (PSSRU)", "moderate"),
           description="Money in people's own hands to arrange their care and support.",
           workforce={"CAREWK": 10}),
    Scheme("TOCH", "Transfer of care hub", "acute", 4.0,
           "High Impact Change Model for Managing Transfer of Care", "Acute Care", "ICB",
           "NHS Acute Provider", "discharges coordinated", 400,
           Evidence(16_700, 0.6, {"HOMEDIS": (0.2, 0.12, 0.25)},
                    "High Impact Change Model evaluations", "moderate"),
           description="Hospital, council and community staff planning discharge together.",
           sub_type="Multi-disciplinary/multi-agency discharge teams"),
    Scheme("FRAILTY", "Acute frailty same-day emergency care", "acute", 0.0,
           "Other", "Acute Care", "ICB", "NHS Acute Provider", "frailty assessments", 600,
           Evidence(10_000, 0.5, {"ACSC": (0.15, 0.08, 0.2), "HOMEDIS": (0.1, 0.05, 0.15)},
                    "Acute frailty network same-day emergency care data", "moderate"),
           description="Same-day frailty assessment at the front door, home the same day.",
           max_m=6.0, new=True, workforce={"NURSE": 6}),
)

# -- places --------------------------------------------------------------------------------------
# place_id, name, population, need-weighted population, share in the most deprived national
# quintile (Core20), effect multiplier
_PLACES = [
    ("NORTHGATE", "Northgate", 380_000, 405_000, 0.32, 1.00),
    ("RIVERSIDE", "Riverside", 290_000, 265_000, 0.12, 1.05),
    ("EASTBROOK", "Eastbrook", 310_000, 335_000, 0.28, 0.95),
    ("WOLDS", "The Wolds", 220_000, 200_000, 0.06, 0.90),
    ("HARBOUR", "Harbourside", 300_000, 295_000, 0.35, 1.00),
]

# -- Health and Wellbeing Boards -------------------------------------------------------------------
# hwb_id, name, two-tier (DFG passed to the district councils), its places, share of the ICS's
# need-weighted population (how the national totals' ICS share is split among the boards)
_HWBS = [
    ("SHIRE", "Shire County", True, ("NORTHGATE", "RIVERSIDE", "WOLDS")),
    ("EASTBROOK", "Eastbrook", False, ("EASTBROOK",)),
    ("HARBOUR", "Harbourside", False, ("HARBOUR",)),
]

# -- funding (£m a year) -------------------------------------------------------------------------
# The 2025-26 national totals (DOMAIN.md; NHS England "Better Care Fund: grants and funding")
# scaled to the ICS's 1.5 million of England's 57.7 million people (2.6%), then split among the
# HWBs by need-weighted population. The NHS minimum contribution is assumed to rise 3% a year
# from 2026/27; the grant and the DFG are held flat (the multi-year settlement's detail is not
# public).
ICS_SHARE = 0.026
_NATIONAL_M = {"NHSMIN": 5_614.0, "LABCG": 2_640.0, "DFG": 711.0}
_GROWTH = {"NHSMIN": (1.0, 1.03, 1.03 ** 2), "LABCG": (1.0, 1.0, 1.0), "DFG": (1.0, 1.0, 1.0)}
# NHS minimum contribution to adult social care in 2026/27 for the whole ICS (£60m in 2025/26
# raised by the 3.9% uplift), split among the HWBs like the money; it rises by the BCF rule
# set's uplift after that
ASC_MIN_ICS_M = 60.0 * 1.039

_SOCIAL_CARE_AND_DISCHARGE = ("REABLE", "D2A", "STEPDOWN", "RESPLACE", "CARERS", "TELECARE",
                              "HOMELESS", "WFRET", "CAREACT", "PB", "TOCH", "NAV", "DEMENTIA")
# stream id, name, BCF source of funding, ICS amounts per year, services it may pay for (None =
# any); each HWB has its own source of each stream ("NHSMIN_SHIRE", ...)
_STREAMS = [
    ("NHSMIN", "NHS minimum contribution", "Minimum NHS Contribution", None,
     tuple(s for s in (
         "REABLE", "D2A", "STEPDOWN", "RESPLACE", "DN", "UCR", "VWARD", "FALLS", "SOCPRES",
         "CARERS", "HANDY", "TELECARE", "EHCH", "HOMELESS", "MHSAFE", "MHCOMM", "DEMENTIA",
         "NAV", "WFRET", "CAREACT", "PB", "TOCH", "FRAILTY"))),
    ("LABCG", "Local Authority Better Care Grant", "Local Authority Better Care Grant", None,
     _SOCIAL_CARE_AND_DISCHARGE),
    ("DFG", "Disabled Facilities Grant (capital)", "DFG", None, ("DFGADAPT",)),
    ("ADDNHS", "Additional NHS contribution", "Additional NHS Contribution", (4.0, 4.0, 4.0),
     None),
    ("ADDLA", "Additional local authority contribution", "Additional LA Contribution",
     (5.0, 5.0, 5.0), None),
]
_ICS_WIDE = [
    ("TRANSFORM", "ICS transformation fund (ring-fenced)", "Transformation Fund",
     (10.0, 8.0, 5.0), ("VWARD", "HOMELESS", "FRAILTY")),
]


def _ics_amounts(stream: str, given: tuple[float, ...] | None) -> tuple[float, ...]:
    if given is not None:
        return given
    return tuple(_NATIONAL_M[stream] * ICS_SHARE * g for g in _GROWTH[stream])


def _hwb_shares() -> dict[str, float]:
    weight = {p[0]: p[3] for p in _PLACES}
    w = {h: sum(weight[p] for p in places) for h, _, _, places in _HWBS}
    total = sum(w.values())
    return {h: v / total for h, v in w.items()}


_FundingRow = tuple[str, str, str, tuple[float, ...], tuple[str, ...] | None, str | None]
"""(source_id, name, bcf_source, amounts per year, may pay for, hwb_id) of one source."""


def _funding_rows() -> list[_FundingRow]:
    """(source_id, name, bcf_source, amounts per year, may pay for, hwb_id) of every source."""
    shares = _hwb_shares()
    rows: list[_FundingRow] = []
    for hwb, hwb_name, _, _ in _HWBS:
        for stream, name, bcf, given, services in _STREAMS:
            amounts = tuple(round(a * shares[hwb], 2) for a in _ics_amounts(stream, given))
            rows.append((f"{stream}_{hwb}", f"{name}, {hwb_name}", bcf, amounts, services, hwb))
    rows += [(sid, name, bcf, amounts, services, None)
             for sid, name, bcf, amounts, services in _ICS_WIDE]
    return rows


# -- workforce (WTE available a year) --------------------------------------------------------------
_WORKFORCE = [
    ("NURSE", "Community and mental-health nurses", (935.0, 950.0, 965.0)),
    ("CAREWK", "Home care and reablement workers", (1_170.0, 1_185.0, 1_200.0)),
    ("THERAPY", "Occupational therapists and physiotherapists", (225.0, 232.0, 240.0)),
]

_NOTES = [  # topic, note, sources
    ("About",
     ("A fictional ICS of 1.5 million people in five places and three Health and Wellbeing "
      "Boards: Shire County (a two-tier county: Northgate, Riverside and the Wolds) and the "
      "unitary councils of Eastbrook and Harbourside. Every name is invented; the figures are "
      "rounded public magnitudes for realism, not any real system's plan."),
     "budgetopt"),
    ("Money",
     ("One Better Care Fund pool per HWB (an HWB's money pays only for its own places' "
      "schemes), from the 2025-26 national totals scaled to the ICS's 2.6% of England's "
      "population and split among the HWBs by need-weighted population: NHS minimum "
      "contribution £5,614m nationally (£146.0m here in 2026/27, assumed to rise 3% a year), "
      "Local Authority Better Care Grant £2,640m (£68.6m, flat), Disabled Facilities Grant "
      "£711m (£18.5m, flat), additional NHS £4m and LA £5m contributions; plus an ICS-wide "
      "ring-fenced transformation fund of £10m, £8m and £5m for new schemes and double "
      "running. The plan years are 2026/27 to 2028/29, as the multi-year settlement allows."),
     ("NHS England, Better Care Fund: grants and funding; BCF policy framework 2025 to 2026; "
     "BCF framework 2026 to 2027; ONS mid-year population estimates")),
    ("Ring-fences",
     ("Under the 2025-26 and 2026-27 rules the iBCF and the discharge funds are gone: the "
      "Local Authority Better Care Grant pays for social care and discharge schemes, the NHS "
      "minimum contribution for every scheme but the DFG adaptations, the DFG (a capital "
      "grant, passed to the district councils in Shire County) only for DFG adaptations, and "
      "the transformation fund only for new schemes (virtual wards, the homeless discharge "
      "service, acute frailty). Each HWB's NHS minimum contribution to adult social care is at "
      "least its share of £62.3m in 2026/27 (the former £60m raised by the 3.9% uplift) and "
      "rises by the uplift each year."),
     "BCF policy framework 2025 to 2026; BCF planning requirements"),
    ("Intermediate care",
     ("Capacity per £1m from the unit costs: reablement 450 people a year and "
      "discharge-to-assess 500 (pathway 1), step-down beds 190 (pathway 2, four weeks at "
      "£1,270), care home placements 20 (pathway 3), urgent community response 2,000 and "
      "virtual wards 500 (step-up). Expected demand: 19,500 people on pathway 1, 3,100 on "
      "pathway 2, 820 on pathway 3 and 21,500 step-up in 2026/27 across the ICS, about 3% "
      "above what today's spend serves, growing 2% a year, split by need-weighted "
      "population."),
     ("PSSRU Unit Costs; NHS England intermediate care framework; BCF capacity and demand "
     "template")),
    ("Metrics",
     ("The national metrics from 2025-26: emergency admissions of people aged 65+ (taken as "
      "55% of the ambulatory-care-sensitive admissions avoided plus the falls admissions), "
      "the average length of discharge delay (in linear form: days of delay avoided, 2.5 for "
      "each discharge home instead of to a bed, over 150,000 acute adult discharges a year "
      "for the average) and long-term admissions of people aged 65+ to residential and "
      "nursing care. The first two have weight 0: their value is counted once, through the "
      "local metrics they overlap. The 2023-25 metrics are kept as local metrics."),
     "BCF policy framework 2025 to 2026; NHS England discharge delays data"),
    ("Schemes",
     ("The pool's lines and baselines follow the domain notes' example pool: reablement £22m, "
      "discharge-to-assess £18m, step-down beds £16m, placements £40m, district nursing £35m "
      "and so on. Acute frailty SDEC and virtual wards are new schemes."),
     "budgetopt domain notes"),
    ("Unit costs",
     ("Home care hour £28.50; residential week £950, nursing week £1,270; reablement episode "
      "£1,900; district nurse contact £57; DFG grant £7,000; non-elective bed day £900; "
      "emergency admission £2,800."),
     "PSSRU Unit Costs of Health and Social Care; NHS England National Cost Collection"),
    ("Effects",
     ("Each effect is per person served, a year. Falls classes: a falls rate ratio of 0.77 on "
      "the 0.15 falls admissions a year of an older person who has fallen (0.035 avoided). "
      "Virtual wards: one admission avoided per 2-3 virtual-ward admissions (0.4). Enhanced "
      "health in care homes: emergency admissions about 0.6 of a resident's usual 0.7 a year "
      "(0.28 avoided). Social prescribing: A&E attendances down by up to a quarter, few "
      "admissions avoided (low certainty, hence a wide low-high range). Reablement: about "
      "cost-neutral for the NHS, 0.18 more people at home at 91 days. The national metrics' "
      "effects follow from the local ones: emergency admissions 65+ = 55% of the "
      "ambulatory-care-sensitive ones plus the falls ones; 2.5 days of delay avoided per "
      "discharge home."),
     "NICE evidence reviews; Cochrane reviews; NHS England virtual ward evaluations"),
    ("Curves",
     ("Every response curve is derived from the evidence table, not written by hand: the cost "
      "of serving one person (the unit cost times the units a person uses: 60 home care "
      "hours, 3 nursing weeks, 52 care home weeks, 20 district nurse contacts, one episode "
      "otherwise), the people who could benefit a year and the share the service can reach, "
      "and the effect per person with its low and high values. The first £1m buys people at "
      "the unit cost; each further person is harder to reach (a saturating cost-coverage "
      "curve, docs/evidence.md), so returns fall as a scheme grows. The eligible populations "
      "are set so that today's spend reaches about 40% to two thirds of the people a scheme "
      "could reach."),
     "budgetopt modelling assumption (cost-coverage form as in the Optima model)"),
    ("Value weights",
     ("Outcomes are valued in £ thousand of social value: costs avoided plus health gain at "
      "£20,000 a QALY. Emergency admission avoided 4.8 (£2,800 of hospital cost and 0.1 "
      "QALY); fall admission avoided 7.5; discharge home instead of to a bed 2.0; care home "
      "admission avoided 30 (a year of net care cost and quality of life); at home at 91 days "
      "12; QALY 20. So a shadow price of 1,400 on the budget means £1m buys £1.4m of value."),
     "NICE methods guide (QALY threshold); PSSRU"),
    ("Acute savings",
     ("saving_gbp is the acute cost a unit of outcome avoids: £2,800 an emergency admission, "
      "£3,600 a falls admission (longer stays), £800 for a discharge home instead of a bed "
      "(about two bed days at £400). The acute demand offset counts only the cash-releasing "
      "share, after a lag."),
     "NHS England National Cost Collection"),
    ("Places",
     ("Need-weighted populations follow the fair-shares formula's direction (older and more "
      "deprived places weigh more); Core20 share is the population in the most deprived "
      "national IMD quintile. The Wolds is rural: the same £ reaches fewer people (effect "
      "0.9)."),
     "NHS England allocations; English Indices of Deprivation"),
    ("Workforce",
     ("WTE per £1m from typical pay and overheads: a community nurse costs about £55,000 with "
      "on-costs (18 WTE per £1m of district nursing); a home care worker about £36,000 (28 "
      "per £1m of home care). Care workers are the scarce group."),
     "Skills for Care; NHS Agenda for Change pay scales"),
]


# The national metrics' effects, from the local ones they are built on: 55% of the
# ambulatory-care-sensitive admissions avoided are of people aged 65+, and every falls admission
# is; a discharge home instead of to a bed avoids about 2.5 days of delay.
EMERGENCY_65_SHARE = 0.55
DELAY_DAYS_PER_DISCHARGE_HOME = 2.5


def _effects(s: Scheme) -> dict[str, tuple[float, ...]]:
    """The scheme's effects per person with the national metrics' derived from them."""
    zero = (0.0, 0.0, 0.0)
    given = s.evidence.effects
    acsc, falls, home = (given.get(m, zero) for m in ("ACSC", "FALLS65", "HOMEDIS"))
    derived = {
        "EMADM65": tuple(_sig(EMERGENCY_65_SHARE * a + f) for a, f in zip(acsc, falls,
                                                                          strict=True)),
        "DISDELAY": tuple(_sig(DELAY_DAYS_PER_DISCHARGE_HOME * h) for h in home),
    }
    return {**given, **{m: v for m, v in derived.items() if any(v)}}


def _sig(value: float, digits: int = 4) -> float:
    return float(f"{value:.{digits}g}")


def _evidence() -> pd.DataFrame:
    """One evidence row per scheme and metric: cost per person, reach, effect, source."""
    return pd.DataFrame([{
        "service_id": s.service_id, "metric_id": metric,
        "unit_cost_gbp": _sig(s.unit_cost_gbp * s.evidence.per_person),
        "eligible": float(s.evidence.eligible), "max_coverage": s.evidence.coverage,
        "effect": central, "effect_low": low, "effect_high": high,
        "source": s.evidence.source, "certainty": s.evidence.certainty,
    } for s in _SCHEMES for metric, (central, low, high) in _effects(s).items()])


# -- intermediate care: capacity per £1m and expected demand ------------------------------------
# people a year served per £1m, by discharge pathway (P1 home with support, P2 bed-based
# rehabilitation, P3 a long-term bed) and community step-up, from the unit costs: a reablement
# episode £1,900 and a discharge-to-assess package of about 60 hours at £28.50 (with set-up),
# four weeks of a step-down bed at £1,270, a year in a care home at £950 a week, a two-hour
# response at £420 (with follow-up) and a virtual-ward admission at £2,000
_CAPACITY = [("REABLE", "P1", 450.0), ("D2A", "P1", 500.0), ("STEPDOWN", "P2", 190.0),
             ("RESPLACE", "P3", 20.0), ("UCR", "STEPUP", 2_000.0), ("VWARD", "STEPUP", 500.0)]
# people expected on each pathway in 2026/27 across the ICS (about 3% above what today's spend
# serves), growing 2% a year, split among the HWBs by need-weighted population
_DEMAND_ICS = {"P1": 19_500.0, "P2": 3_100.0, "P3": 820.0, "STEPUP": 21_500.0}
_DEMAND_GROWTH = 0.02


def _demand() -> pd.DataFrame:
    shares = _hwb_shares()
    return pd.DataFrame([{"hwb_id": h, "year": y, "pathway": q,
                          "demand": round(v * shares[h] * (1 + _DEMAND_GROWTH) ** t)}
                         for h, _, _, _ in _HWBS for t, y in enumerate(YEARS)
                         for q, v in _DEMAND_ICS.items()])


def example_tables() -> dict[str, pd.DataFrame]:
    """The example ICS as data-set tables (plus a ``notes`` table of assumptions and sources).

    Returns
    -------
    dict of str to pandas.DataFrame
        services, metrics, evidence, funding, eligibility, places, workforce, workforce_need,
        baseline, hwbs, demand, capacity and notes, in the columns of the data-set contract (and the BCF fields).
    """
    services = pd.DataFrame([{
        "service_id": s.service_id, "name": s.name, "sector": s.sector,
        "baseline_m": s.baseline_m, "min_m": s.min_m, "max_m": s.max_m,
        "description": s.description, "scheme_type": s.scheme_type, "sub_type": s.sub_type,
        "area_of_spend": s.area_of_spend, "commissioner": s.commissioner,
        "pct_nhs": s.pct_nhs if s.commissioner == "Joint" else
        (100.0 if s.commissioner == "ICB" else 0.0),
        "provider": s.provider, "pooled": "yes" if s.pooled else "no",
        "mhis": "yes" if s.mhis else "no", "output_unit": s.output_unit,
        "unit_cost_gbp": float(s.unit_cost_gbp), "new_or_existing": "New" if s.new else "Existing",
    } for s in _SCHEMES])

    metrics = pd.DataFrame([{
        "metric_id": m[0], "name": m[1], "unit": m[2], "weight": m[3], "weight_unit": "£k",
        "bcf_metric": "yes" if m[4] else "no", "better": m[5], "baseline_level": m[6],
        "level_unit": m[7],
        "level_per_outcome": None if m[8] is None else float(f"{m[8]:.6g}"), "saving_gbp": m[9],
    } for m in _METRICS])

    funding_rows = _funding_rows()
    funding = pd.DataFrame([{
        "source_id": sid, "name": name, "year": year, "amount_m": amount, "bcf_source": bcf,
        "hwb_id": hwb,
    } for sid, name, bcf, amounts, _, hwb in funding_rows
        for year, amount in zip(YEARS, amounts, strict=True)])

    eligibility = pd.DataFrame([{"source_id": sid, "service_id": service}
                                for sid, _, _, _, services_, _ in funding_rows if services_
                                for service in services_])

    hwb_of = {p: h for h, _, _, places in _HWBS for p in places}
    places = pd.DataFrame(_PLACES, columns=["place_id", "name", "population",
                                            "weighted_population", "core20_share", "effect"])
    places["hwb_id"] = places["place_id"].map(hwb_of)
    shares = _hwb_shares()
    hwbs = pd.DataFrame([{"hwb_id": h, "name": name, "two_tier": "yes" if two else "no",
                          "asc_min_m": round(ASC_MIN_ICS_M * shares[h], 2)}
                         for h, name, two, _ in _HWBS])

    workforce = pd.DataFrame([{"group_id": gid, "year": year, "wte_available": wte, "name": name}
                              for gid, name, wtes in _WORKFORCE
                              for year, wte in zip(YEARS, wtes, strict=True)])
    workforce_need = pd.DataFrame([{"group_id": gid, "service_id": s.service_id,
                                    "wte_per_m": float(wte)}
                                   for s in _SCHEMES for gid, wte in s.workforce.items()])

    baseline = _place_baseline(services, places)
    notes = pd.DataFrame(_NOTES, columns=["topic", "note", "source"])
    return {"services": services, "metrics": metrics, "evidence": _evidence(), "funding": funding,
            "eligibility": eligibility, "places": places, "workforce": workforce,
            "workforce_need": workforce_need, "baseline": baseline, "hwbs": hwbs,
            "demand": _demand(),
            "capacity": pd.DataFrame(_CAPACITY, columns=["service_id", "pathway", "per_m"]),
            "notes": notes}


# Today's spend is not shared by need: the larger towns have grown services that the rural and
# most deprived places lack (the gap the fair-shares rule exists to close).
_BASELINE_TILT = {"NORTHGATE": 0.96, "RIVERSIDE": 1.12, "EASTBROOK": 0.97, "WOLDS": 1.06,
                  "HARBOUR": 0.92}


def _place_baseline(services: pd.DataFrame, places: pd.DataFrame) -> pd.DataFrame:
    """Baseline by place, today's spend in every year: weighted population, tilted by history."""
    w = places.set_index("place_id")["weighted_population"] * pd.Series(_BASELINE_TILT)
    share = w / w.sum()
    rows = [{"service_id": sid, "place_id": pid, "year": year,
             "amount_m": round(float(base) * float(share[pid]), 4)}
            for sid, base in zip(services["service_id"], services["baseline_m"], strict=True)
            if base > 0 for year in YEARS for pid in places["place_id"]]
    return pd.DataFrame(rows)


def example_notes() -> pd.DataFrame:
    """Assumptions and sources of the example (the workbook's notes sheet)."""
    return example_tables()["notes"]


def example_with_bands(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The example's `tables` with its evidence written out as the curves it gives: a
    ``curves`` table of bands (:func:`budgetopt.data.evidence.derive_bands`, to 6 significant
    figures) in place of the ``evidence`` table, for editing the bands by hand."""
    from budgetopt.data.evidence import derive_bands

    parts = [derive_bands(r.unit_cost_gbp, r.eligible, r.max_coverage, r.effect, r.effect_low,
                          r.effect_high).assign(service_id=r.service_id, metric_id=r.metric_id)
             for r in tables["evidence"].itertuples(index=False)]
    curves = pd.concat(parts, ignore_index=True)
    for col in ("width_m", "per_m", "per_m_low", "per_m_high"):
        curves[col] = [_sig(v, 6) for v in curves[col]]
    out = {k: v for k, v in tables.items() if k != "evidence"}
    out["curves"] = curves[["service_id", "metric_id", "band", "width_m", "per_m", "per_m_low",
                            "per_m_high"]]
    return out


def write_example(directory: str | Path, *, bands: bool = False) -> dict[str, Path]:
    """Write the example ICS and a blank template into `directory`.

    Parameters
    ----------
    directory : str or pathlib.Path
        Created if missing. Receives ``example/`` (CSV folder), ``example.xlsx`` (the same
        data set as one workbook, with a notes sheet) and ``template.xlsx`` (blank).
    bands : bool, default False
        Write the curves the evidence gives as a ``curves`` table of bands instead of the
        ``evidence`` table (:func:`example_with_bands`); the plan is the same.

    Returns
    -------
    dict of str to pathlib.Path
        ``{"csv": ..., "xlsx": ..., "template": ...}``.
    """
    from budgetopt.data.template import write_template

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    tables = example_with_bands(example_tables()) if bands else example_tables()
    return {"csv": write_dataset(tables, out / "example"),
            "xlsx": write_dataset(tables, out / "example.xlsx"),
            "template": write_template(out / "template.xlsx")}


__all__ = ["YEARS", "example_notes", "example_tables", "example_with_bands", "write_example"]
