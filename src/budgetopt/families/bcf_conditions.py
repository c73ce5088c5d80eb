"""BCF national conditions: the NHS minimum contribution's floors.

.. math::

    Σ_{s∈ASC} f[NM,s,y] ≥ ASC_min[y]                   (bcf_asc)
    Σ_{s∈OOH} ν_s · f[NM,s,y] ≥ OOH_min[y]             (bcf_ooh)

=========  ==========================================================  ========
symbol     meaning                                                      unit
=========  ==========================================================  ========
NM         the NHS minimum contribution: ``source``, or every source    —
           whose bcf_source is 'Minimum NHS Contribution'
ASC        adult social care: ``asc_services``, or the services whose   —
           area of spend is Social Care
OOH        NHS-commissioned out-of-hospital services: ``ooh_services``, —
           or commissioner ICB or Joint, never acute
ν_s        the NHS share of s: 1 for ICB (and listed services),         —
           pct_nhs/100 for Joint (0.5 if blank)
ASC_min[y] the floor on adult social care (``asc_min_m``)               £m
OOH_min[y] the floor on out-of-hospital services (``ooh_min_m``)        £m
NM_h       the NHS minimum contribution's sources in HWB h's pool        —
υ          yearly uplift of the HWB floors (``asc_uplift``, else the     —
           BCF rule set's)
=========  ==========================================================  ========

With Health and Wellbeing Boards each HWB h with a stated minimum (the hwbs table's
``asc_min_m``, or ``hwb_asc_min_m``) has its own floor, rising by the uplift each year
(:func:`hwb_floors`), paid from its own pool:

.. math::

    Σ_{s∈ASC} f[NM_h,s,h,y] ≥ ASC_min[h,y₀] · (1 + υ)^t(y)          (bcf_asc_hwb)
    Σ_{s∈OOH} ν_s · f[NM_h,s,h,y] ≥ OOH_min[h,y₀] · (1 + υ)^t(y)    (bcf_ooh_hwb)

ASC_min[h,y₀] and OOH_min[h,y₀] are HWB h's minimums in the first plan year (£m): the hwbs
table's ``asc_min_m`` or ``hwb_asc_min_m``, and ``hwb_ooh_min_m``. The out-of-hospital floor
per HWB is the 2023-25 condition as each HWB's
plan stated it; the 2025-26 national conditions, as far as public copies say, name only the
adult social care minimum (see the rule sets' ``facts``), so it is there for a plan that still
states one, and off unless given. The ICS-wide floors above still apply where ``asc_min_m`` /
``ooh_min_m`` are given.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

import pandas as pd
from pydantic import Field

from budgetopt.errors import Problem
from budgetopt.families.bcf_rules import rule_set
from budgetopt.families.common import (
    Params,
    YearValue,
    fmt_m,
    hwb_names,
    money_against,
    problem,
    unknown_ids,
    unknown_services,
    year_value,
)
from budgetopt.families.family import Amount, Family, Requirement, Spend
from budgetopt.families.rows import add_rows, linear

if TYPE_CHECKING:
    import pyomo.environ as pyo

    from budgetopt.model.data import ModelData

NHS_MINIMUM = "Minimum NHS Contribution"
"""The BCF source of funding of the NHS minimum contribution."""


class BcfConditionsRule(Params):
    """BCF national conditions: the NHS minimum contribution's floors."""

    enabled: bool = True
    source: str | None = Field(
        None, description="Funding source id of the NHS minimum contribution. Blank = every "
        "source whose bcf_source is 'Minimum NHS Contribution'.")
    asc_min_m: YearValue | None = Field(
        None, description="£m of the NHS minimum contribution that must fund adult social "
        "care (services with area of spend 'Social Care'), a year or {year: £m}.")
    ooh_min_m: YearValue | None = Field(
        None, description="£m that must fund NHS-commissioned out-of-hospital services "
        "(commissioner ICB, or the NHS share of Joint; not acute), a year or {year: £m}.")
    asc_uplift: float | None = Field(
        None, ge=0.0, description="Yearly uplift of each HWB's adult social care minimum "
        "(0.039 = 3.9%). Blank = the BCF rule set's (bcf.rules), or none without one.")
    hwb_asc_min_m: dict[str, float] = Field(
        default_factory=dict, description="Each HWB's adult social care minimum in the first "
        "plan year, {hwb_id: £m}, overriding the hwbs table's asc_min_m; later years rise by "
        "the uplift.")
    hwb_ooh_min_m: dict[str, float] = Field(
        default_factory=dict, description="Each HWB's minimum for NHS-commissioned "
        "out-of-hospital services from its own NHS minimum contribution in the first plan "
        "year, {hwb_id: £m} (the 2023-25 condition, for a plan that still states it); later "
        "years rise by the uplift.")
    asc_services: list[str] | None = Field(
        None, description="Services that count as adult social care (overrides area_of_spend).")
    ooh_services: list[str] | None = Field(
        None, description="Services that count as NHS-commissioned out-of-hospital "
        "(overrides commissioner; each counts in full).")


def nhs_minimum_sources(data: ModelData, hwb: str | None = None) -> list[str]:
    """NM: the one choice of the NHS minimum contribution's sources, for the rows, the
    pre-solve check and the checklist (sorted ids; empty when none is found); with `hwb`,
    NM_h: those of that HWB's pool."""
    rule = data.policy.rules.bcf_conditions
    fund = data.inputs.funding
    if rule.source:
        found = [rule.source] if rule.source in set(fund["source_id"]) else []
    else:
        found = sorted(set(fund.loc[fund["bcf_source"] == NHS_MINIMUM, "source_id"]))
    if hwb is None:
        return found
    pool = data.inputs.hwb_of_funding()
    return [s for s in found if any(pool.get((s, y)) == hwb for y in data.years)]


def asc_uplift(data: ModelData) -> float:
    """υ: the yearly uplift of the HWBs' adult social care minimums."""
    rule = data.policy.rules.bcf_conditions
    if rule.asc_uplift is not None:
        return rule.asc_uplift
    if data.policy.bcf.rules:
        return rule_set(data.policy.bcf.rules).asc_uplift
    return 0.0


def hwb_floors(data: ModelData, component: str = "bcf_asc_hwb"
               ) -> dict[str, dict[str, float]]:
    """ASC_min[h,y] = ASC_min[h,y₀] · (1 + υ)^t(y): each HWB's adult social care minimum per
    plan year, from ``hwb_asc_min_m`` or the hwbs table's asc_min_m (HWBs with neither have
    none); with `component` ``bcf_ooh_hwb``, OOH_min[h,y] from ``hwb_ooh_min_m``."""
    rule = data.policy.rules.bcf_conditions
    if component == "bcf_ooh_hwb":
        base = {h: float(v) for h, v in rule.hwb_ooh_min_m.items() if h in data.inputs.hwb_ids}
    else:
        table = data.inputs.hwb_table()
        base = {h: float(v) for h, v in zip(table["hwb_id"], table["asc_min_m"]) if pd.notna(v)}
        base.update({h: float(v) for h, v in rule.hwb_asc_min_m.items()
                     if h in data.inputs.hwb_ids})
    u = asc_uplift(data)
    return {h: {y: b * (1.0 + u) ** t for t, y in enumerate(data.years)}
            for h, b in base.items()}


HWB_FLOORS = (("bcf_asc_hwb", "bcf_asc", "hwb_asc_min_m", "adult social care"),
              ("bcf_ooh_hwb", "bcf_ooh", "hwb_ooh_min_m",
               "NHS-commissioned out-of-hospital services"))
"""(component, the ICS-wide floor whose weights it uses, parameter, what it funds) of each
HWB's floor."""


def check(data: ModelData) -> list[Problem]:
    rule = data.policy.rules.bcf_conditions
    problems = (unknown_services(data, "rules.bcf_conditions.asc_services", rule.asc_services)
                + unknown_services(data, "rules.bcf_conditions.ooh_services",
                                   rule.ooh_services)
                + unknown_ids("rules.bcf_conditions.hwb_asc_min_m", rule.hwb_asc_min_m,
                              data.inputs.hwb_ids, "Health and Wellbeing Board"))
    problems += unknown_ids("rules.bcf_conditions.hwb_ooh_min_m", rule.hwb_ooh_min_m,
                            data.inputs.hwb_ids, "Health and Wellbeing Board")
    for component, _, param, what in HWB_FLOORS:
        for hwb in hwb_floors(data, component):
            if not nhs_minimum_sources(data, hwb):
                problems.append(problem(f"rules.bcf_conditions.{param}.{hwb}", "the HWB has a "
                                        f"minimum for {what} but no funding source in its pool "
                                        f"has bcf_source '{NHS_MINIMUM}'"))
    if rule.source and rule.source not in set(data.inputs.funding["source_id"]):
        problems.append(problem("rules.bcf_conditions.source", f"{rule.source!r} is not in "
                                "funding: no NHS minimum contribution source"))
    elif not nhs_minimum_sources(data):
        problems.append(problem("rules.bcf_conditions", f"no funding source has bcf_source "
                                f"'{NHS_MINIMUM}': name it in rules.bcf_conditions.source"))
    return problems


def _weights(data: ModelData) -> dict[str, dict[str, float]]:
    """{component: {service: weight}}: ASC (each 1) and OOH (ν_s)."""
    rule = data.policy.rules.bcf_conditions
    svc = data.inputs.services
    asc = {s: 1.0 for s in (rule.asc_services if rule.asc_services is not None else
                            svc.loc[svc["area_of_spend"] == "Social Care", "service_id"])}
    if rule.ooh_services is not None:
        ooh = {s: 1.0 for s in rule.ooh_services}
    else:
        ooh = {}
        for s, sector, comm, pct in zip(svc["service_id"], svc["sector"], svc["commissioner"],
                                        svc["pct_nhs"]):
            if sector == "acute":
                continue
            if comm == "ICB":
                ooh[s] = 1.0
            elif comm == "Joint":
                ooh[s] = float(pct) / 100.0 if pd.notna(pct) else 0.5
    return {"bcf_asc": asc, "bcf_ooh": ooh}


FLOORS = (("bcf_asc", "asc_min_m", "adult social care"),
          ("bcf_ooh", "ooh_min_m", "NHS-commissioned out-of-hospital services"))
"""(component, parameter, what it funds) of each floor."""


def _floors(data: ModelData) -> list[tuple[str, str, dict[str, float], dict[str, list]]]:
    """(component, what, limit per year, flow terms per year) of each floor: a year whose
    floor is blank has no limit, one whose NM flows reach no counted service has no terms."""
    rule = data.policy.rules.bcf_conditions
    weights = _weights(data)
    flows = data.flows[data.flows["source_id"].isin(nhs_minimum_sources(data))]
    out = []
    for component, param, what in FLOORS:
        limit = {y: v for y in data.years
                 if (v := year_value(getattr(rule, param), y)) is not None}
        terms: dict[str, list] = defaultdict(list)
        w = weights[component]
        for col, s, y in zip(flows["col"], flows["service_id"], flows["year"]):
            if w.get(s):
                terms[y].append((w[s], col))
        out.append((component, what, limit, terms))
    return out


def _hwb_terms(data: ModelData, component: str = "bcf_asc_hwb"
               ) -> dict[tuple[str, str], list[tuple[float, int]]]:
    """(h, y) -> the flow columns (with their weights) of NM_h's money to the services the
    HWB floor `component` counts (adult social care; or out-of-hospital at ν_s) in year y."""
    ics = {c: w for c, w, _, _ in HWB_FLOORS}[component]
    weights = _weights(data)[ics]
    out: dict[tuple[str, str], list[tuple[float, int]]] = defaultdict(list)
    for h in hwb_floors(data, component):
        flows = data.flows[data.flows["source_id"].isin(nhs_minimum_sources(data, h))
                           & (data.flows["hwb_id"] == h)]
        for col, s, y in zip(flows["col"], flows["service_id"], flows["year"]):
            if weights.get(s):
                out[(h, y)].append((weights[s], col))
    return out


def add(m: pyo.ConcreteModel, data: ModelData) -> None:
    hwbs = hwb_names(data)

    def hwb_side(component: str, what: str) -> None:
        floors = hwb_floors(data, component)
        if not floors:
            return
        terms = _hwb_terms(data, component)
        limit = {(h, y): v for h, by_year in floors.items() for y, v in by_year.items()}
        add_rows(m, component, "bcf_conditions", list(limit),
                 body=lambda k: (linear([t for w, c in terms[k] for t in m.flows.terms(c, w)])
                                 if terms[k] else None),
                 sense=">=", limit=limit,
                 name=lambda k: f"NHS minimum contribution to {what} "
                 f"in {hwbs[k[0]]} in {k[1]} at least {fmt_m(limit[k])}",
                 labels=lambda k: {"hwb": hwbs[k[0]], "year": k[1]},
                 keys=lambda k: {"hwb_id": k[0], "year": k[1]})

    for component, _, _, what in HWB_FLOORS:
        hwb_side(component, what)

    def side(component: str, what: str, floor: dict[str, float],
             flows: dict[str, list[tuple[float, int]]]) -> None:
        add_rows(m, component, "bcf_conditions", list(floor),
                 body=lambda y: (linear([t for w, c in flows[y] for t in m.flows.terms(c, w)])
                                 if flows[y] else None),
                 sense=">=", limit=floor,
                 name=lambda y:
                     f"NHS minimum contribution to {what} in {y} at least {fmt_m(floor[y])}",
                 labels=lambda y: {"year": y}, keys=lambda y: {"year": y})

    for floor in _floors(data):
        side(*floor)


def presolve(data: ModelData) -> list[str]:
    """The floors on the NHS minimum contribution against its amount (ICS-wide, and each
    HWB's against its own pool's)."""
    rule = data.policy.rules.bcf_conditions
    sources = nhs_minimum_sources(data)
    out = []
    hwbs = hwb_names(data)
    asc, ooh = hwb_floors(data), hwb_floors(data, "bcf_ooh_hwb")
    for h in dict.fromkeys([*asc, *ooh]):
        mine = data.funding[data.funding["source_id"].isin(nhs_minimum_sources(data, h))
                            & (data.funding["hwb_id"] == h)]
        for year in data.years:
            floor = asc.get(h, {}).get(year, 0.0) + ooh.get(h, {}).get(year, 0.0)
            money = float(mine.loc[mine["year"] == year, "amount_m"].sum())
            if floor > money + 1e-9:
                what = " and ".join(w for w, f in (("adult social care", asc),
                                                   ("out-of-hospital", ooh)) if h in f)
                asked, held = money_against(floor, money)
                out.append(f"The {what} minimum{'s' if ' and ' in what else ''} of {hwbs[h]} "
                           f"in {year} ({asked}) is more than its NHS minimum contribution "
                           f"({held}).")
    for year in data.years:
        floors = sum(year_value(v, year, 0.0) or 0.0 for v in (rule.asc_min_m, rule.ooh_min_m))
        money = float(data.funding[data.funding["source_id"].isin(sources)
                                   & (data.funding["year"] == year)]["amount_m"].sum())
        if floors > money + 1e-9:
            asked, held = money_against(floors, money)
            out.append(f"The BCF national conditions ask {asked} of the NHS minimum "
                       f"contribution in {year}, which holds {held}.")
    return out


def checklist(data: ModelData, years: list[str]) -> list[Requirement]:
    """Each floor as the template's columns state it: NM's spend on rows whose area of spend
    is Social Care; NM's spend at its NHS share (commissioner) on rows not in acute care."""
    rows = []
    hwbs = hwb_names(data)
    for component, _, _, what in HWB_FLOORS:
        for h, by_year in hwb_floors(data, component).items():
            mine = tuple(nhs_minimum_sources(data, h))
            rows += [Requirement(f"NHS minimum contribution to {what} in {hwbs[h]}", y,
                                 (_nm_spend(component, y, mine),), ">=", (Amount(v),))
                     for y, v in by_year.items() if y in years and mine]
    sources = tuple(nhs_minimum_sources(data))
    if not sources:
        return rows
    for component, what, limit, terms in _floors(data):
        for y in limit:
            if y not in years or not terms[y]:
                continue
            rows.append(Requirement(f"NHS minimum contribution to {what}", y,
                                    (_nm_spend(component, y, sources),), ">=",
                                    (Amount(limit[y]),)))
    return rows


def _nm_spend(component: str, year: str, sources: tuple[str, ...]) -> Spend:
    """The NHS minimum contribution's spend a floor counts in the workbook: on rows whose area
    of spend is Social Care (the adult social care floors), else at its NHS share."""
    if component in ("bcf_asc", "bcf_asc_hwb"):
        return Spend(year, sources=sources, area="Social Care")
    return Spend(year, sources=sources, nhs_share=True)


FAMILY = Family("bcf_conditions", BcfConditionsRule, BcfConditionsRule(enabled=False),
                ("bcf_asc", "bcf_ooh", "bcf_asc_hwb", "bcf_ooh_hwb"), add=add, check=check,
                presolve=presolve, checklist=checklist)
