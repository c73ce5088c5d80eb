"""Ring-fenced transformation fund: new schemes and double running only.

.. math::

    Σ_{s∉NS} f[TF,s,y] ≤ 0                                            (tf_scope)
    Σ_s f[TF,s,y] + D[y] ≤ F[TF,y]                                    (tf_limit)
    Σ_{y′≤y} (Σ_s f[TF,s,y′] + D[y′]) ≤ Σ_{y′≤y} F[TF,y′]   (carry_forward)   (tf_limit)

With ``carry_forward`` unspent money rolls on to later years (the fund's yearly money limit,
:mod:`budgetopt.families.money`, is then replaced by the cumulative one). D[y] is the double
running of the acute offset (:mod:`budgetopt.families.acute_offset`), counted when the fund
may pay it and the offset is on.

A transformation fund is ICS-wide money (``funding.hwb_id`` blank), so its rows hold once
across the ICS even where the data has Health and Wellbeing Boards; a fund given to one HWB
(its ``hwb_id`` set) pays only for that HWB's places through the money rows
(:mod:`budgetopt.families.money`), and these rows still cap and ring-fence it.

=========  ==========================================================  ========
symbol     meaning                                                      unit
=========  ==========================================================  ========
TF         the fund's funding source(s)                                 —
NS         the schemes it may pay for (``schemes``, or those marked New) —
=========  ==========================================================  ========
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from pydantic import Field

from budgetopt.errors import Problem
from budgetopt.families import acute_offset
from budgetopt.families.common import Params, fmt_m, problem, unknown_services
from budgetopt.families.family import Family
from budgetopt.families.rows import add_rows, linear

if TYPE_CHECKING:
    import pyomo.environ as pyo

    from budgetopt.model.data import ModelData

TF_SOURCE = "Transformation Fund"
"""The BCF source of funding that marks a transformation fund."""


class TransformationFundRule(Params):
    """Ring-fenced transformation fund: new schemes and double running only."""

    enabled: bool = True
    source: str | None = Field(
        None, description="Funding source id of the fund. Blank = every source whose "
        "bcf_source is 'Transformation Fund'.")
    schemes: list[str] | None = Field(
        None, description="Services it may pay for. Blank = services marked 'New' "
        "(new_or_existing).")
    double_running: bool = Field(
        True, description="It may pay double running: acute capacity still paid for while "
        "the new services that replace it run (needs the acute offset).")
    carry_forward: bool = Field(
        False, description="Money unspent in a year may be spent in later years.")


def sources(data: ModelData) -> list[str]:
    """TF: ``source``, or every source whose bcf_source is 'Transformation Fund' (sorted)."""
    rule = data.policy.rules.transformation_fund
    fund = data.inputs.funding
    if rule.source:
        return [rule.source] if rule.source in set(fund["source_id"]) else []
    return sorted(set(fund.loc[fund["bcf_source"] == TF_SOURCE, "source_id"]))


def check(data: ModelData) -> list[Problem]:
    rule = data.policy.rules.transformation_fund
    problems = unknown_services(data, "rules.transformation_fund.schemes", rule.schemes)
    if rule.source and rule.source not in set(data.inputs.funding["source_id"]):
        problems.append(problem("rules.transformation_fund.source",
                                f"{rule.source!r} is not in the funding table"))
    elif not sources(data):
        problems.append(problem("rules.transformation_fund", "no funding source has "
                                f"bcf_source '{TF_SOURCE}': name it in "
                                "rules.transformation_fund.source"))
    return problems


def carried_forward_sources(data: ModelData) -> set[str]:
    """Sources whose yearly money limit the fund's cumulative one replaces."""
    rule = data.policy.rules.transformation_fund
    if data.policy.enabled("transformation_fund") and rule.carry_forward:
        return set(sources(data))
    return set()


def add(m: pyo.ConcreteModel, data: ModelData) -> None:
    rule = data.policy.rules.transformation_fund
    tf = sources(data)
    svc = data.inputs.services
    schemes = set(rule.schemes if rule.schemes is not None else
                  svc.loc[svc["new_or_existing"] == "New", "service_id"])
    flows = data.flows[data.flows["source_id"].isin(tf)]
    outside: dict[str, list] = defaultdict(list)
    inside: dict[str, list] = defaultdict(list)
    for col, s, y in zip(flows["col"], flows["service_id"], flows["year"]):
        (inside if s in schemes else outside)[y] += m.flows.terms(col)
    source_names = dict(zip(data.inputs.funding["source_id"], data.inputs.funding["name"]))
    label = " and ".join(source_names[s] for s in tf)

    def by_year(y):
        return {"year": y}

    add_rows(m, "tf_scope", "transformation_fund", list(data.years),
             body=lambda y: linear(outside[y]) if outside[y] else None, sense="<=",
             limit={y: 0.0 for y in data.years},
             name=lambda y: f"{label} in {y} pays only for new schemes and double running",
             labels=by_year, keys=by_year, relaxable=False)
    fund = data.funding[data.funding["source_id"].isin(tf)].groupby("year")["amount_m"].sum()
    dr = data.policy.enabled("acute_offset") and rule.double_running
    if dr:
        acute_offset.acute_vars(m, data)
    years = list(data.years)

    def upto(y: str) -> list[str]:
        return years[: years.index(y) + 1] if rule.carry_forward else [y]

    def body(y):
        terms = [t for u in upto(y) for t in inside[u] + outside[u]]
        if dr:
            terms += [(1.0, m.double_running[u]) for u in upto(y)]
        return linear(terms) if terms else None

    limit = {y: float(sum(fund.get(u, 0.0) for u in upto(y))) for y in years}
    add_rows(m, "tf_limit", "transformation_fund", years, body=body, sense="<=", limit=limit,
             name=lambda y: (f"{label} spent by the end of {y} within {fmt_m(limit[y])} "
                             "(unspent money carried forward)" if rule.carry_forward else
                             f"{label} in {y} (schemes and double running) within "
                             f"{fmt_m(limit[y])}"),
             labels=by_year, keys=by_year)


FAMILY = Family("transformation_fund", TransformationFundRule,
                TransformationFundRule(enabled=False), ("tf_scope", "tf_limit"),
                add=add, check=check)
