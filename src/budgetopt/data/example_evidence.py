"""The example ICS with its response curves derived from evidence rows.

:func:`example_evidence` gives each example service's evidence: a cost per person served (the
services table's unit cost times the units a person typically uses, PSSRU-style figures from
docs/DOMAIN), the people a service could reach, and an effect per person with its low and high
values, each with its source family and certainty. The effects and reach are calibrated so that
the derived curve starts at the example's first-band return and reaches the example's total
outcome: the example stays the same ICS, described the way an analyst holds the evidence.
:func:`example_from_evidence` is the example's tables with ``curves`` replaced by that
``evidence`` (``budgetopt example DIR --from-evidence``).
"""

from __future__ import annotations

import math

import pandas as pd

from budgetopt.data.evidence import REACH, breakpoints

# service -> (units of its output a person uses, share of the eligible it can reach,
#             source families, certainty)
_PEOPLE: dict[str, tuple[float, float, str, str]] = {
    "REABLE": (1, 0.6, "PSSRU Unit Costs; NICE guideline NG74 (intermediate care)", "moderate"),
    "D2A": (60, 0.6, "PSSRU Unit Costs (home care hour); NHS England discharge guidance",
            "moderate"),
    "STEPDOWN": (3, 0.5, "PSSRU Unit Costs (nursing week); NICE NG74", "moderate"),
    "RESPLACE": (52, 0.9, "PSSRU Unit Costs (care home week); Care Act 2014 duties", "high"),
    "DN": (20, 0.8, "PSSRU Unit Costs (district nurse contact); NHS England community data",
           "moderate"),
    "UCR": (1, 0.5, "NHS England urgent community response data", "moderate"),
    "VWARD": (1, 0.5, "NHS England virtual ward evaluations (one admission avoided per 2-3)",
              "moderate"),
    "FALLS": (1, 0.3, "Cochrane review of exercise for falls prevention (rate ratio 0.77)",
              "high"),
    "SOCPRES": (1, 0.3, "NICE evidence review of social prescribing", "low"),
    "CARERS": (1, 0.4, "Carers UK; PSSRU Unit Costs", "low"),
    "DFGADAPT": (1, 0.5, "Foundations DFG data; PSSRU Unit Costs", "moderate"),
    "HANDY": (1, 0.4, "Care and Repair England evaluations", "low"),
    "TELECARE": (1, 0.5, "Whole System Demonstrator trial; PSSRU Unit Costs", "low"),
    "EHCH": (1, 0.8, ("NHS England Enhanced Health in Care Homes evaluation (admissions 0.6 "
             "of usual)"), "moderate"),
    "HOMELESS": (1, 0.5, "Pathway hospital homeless team evaluations", "low"),
    "MHSAFE": (1, 0.4, "Mental-health crisis alternatives evaluations", "low"),
    "MHCOMM": (1, 0.5, "NICE guideline on crisis resolution and home treatment", "moderate"),
    "DEMENTIA": (1, 0.4, "Alzheimer's Society dementia adviser evaluation", "low"),
    "NAV": (1, 0.5, "NHS England care coordination evaluations", "low"),
    "WFRET": (1, 0.4, "Skills for Care workforce data", "low"),
    "CAREACT": (1, 0.9, "Care Act 2014 duties; PSSRU Unit Costs", "moderate"),
    "PB": (1, 0.5, "Personal health budgets evaluation (PSSRU)", "moderate"),
    "TOCH": (1, 0.6, "High Impact Change Model evaluations", "moderate"),
    "FRAILTY": (1, 0.5, "Acute frailty network SDEC data", "moderate"),
}
_DEFAULT = (1.0, 0.5, "budgetopt modelling assumption", "low")


def _sig(value: float, digits: int = 4) -> float:
    return float(f"{value:.{digits}g}") if value else 0.0


def example_evidence(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Evidence rows for every service-metric curve of the example `tables`, calibrated so
    the derived curve starts at the curve's first-band return and reaches its total outcome."""
    t = breakpoints()
    first_band = -math.expm1(-t[1]) / t[1]  # band 1's per_m as a share of the initial slope
    unit = dict(zip(tables["services"]["service_id"], tables["services"]["unit_cost_gbp"],
                    strict=True))
    rows = []
    for (sid, mid), c in tables["curves"].groupby(["service_id", "metric_id"], sort=False):
        c = c.sort_values("band")
        uses, coverage, source, certainty = _PEOPLE.get(sid, _DEFAULT)
        cost = float(unit[sid]) * uses
        p1 = float(c["per_m"].iloc[0])
        total = float((c["width_m"] * c["per_m"]).sum())
        if p1 <= 0 or total <= 0:
            continue
        effect = _sig(p1 * cost / 1e6 / first_band)
        people = total / (REACH * effect)
        rows.append({
            "service_id": sid, "metric_id": mid, "unit_cost_gbp": _sig(cost),
            "eligible": float(round(people / coverage, -1) or 10.0), "max_coverage": coverage,
            "effect": effect,
            "effect_low": _sig(effect * float(c["per_m_low"].iloc[0]) / p1),
            "effect_high": _sig(effect * float(c["per_m_high"].iloc[0]) / p1),
            "source": source, "certainty": certainty})
    return pd.DataFrame(rows)


def example_from_evidence(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The example ICS's `tables` (:func:`budgetopt.data.example.example_tables`) with every
    curve replaced by its evidence row."""
    tables = dict(tables)
    tables["evidence"] = example_evidence(tables)
    tables["metrics"] = tables["metrics"].assign(weight_unit="£k")
    del tables["curves"]
    return tables


__all__ = ["example_evidence", "example_from_evidence"]
