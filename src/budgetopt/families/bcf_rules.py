"""Better Care Fund rule sets: the year's funding streams, their eligibility, the ASC minimum's
uplift and the national conditions, as versioned files (``policy/bcf_rules/<id>.yaml``).

A policy model chooses one with ``bcf: {rules: 2026-27}``; with none, the BCF rules are only
what ``rules.bcf_conditions`` states (the 2023-25 reading: one ICS-wide pool, floors in £m).
A rule set is data, not code: next year's set is a new file. What a set drives:

- the plan's years must lie within ``first_year`` … ``last_year`` (:func:`rule_set_problems`);
- a source whose ``bcf_source`` is a stream with ``pays_for`` and that has no eligibility rows
  of its own may pay only for the services ``pays_for`` names (:func:`stream_services`);
- the NHS minimum contribution to adult social care rises by ``asc_uplift`` a year in each HWB
  (:mod:`budgetopt.families.bcf_conditions`);
- the national conditions' names, for the checklist and the BCF plans;
- ``facts``: what the set rests on, each verified against a named public source or marked
  unverified (an assumption to check), shown on each BCF plan's Summary sheet.

>>> rule_set("2026-27").first_year
'2026/27'
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from budgetopt.data.safe_yaml import load_shipped_yaml
from budgetopt.errors import Problem
from budgetopt.families.common import WHERE

if TYPE_CHECKING:
    import pandas as pd

    from budgetopt.data.inputs import Inputs


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PaysFor(_Frozen):
    """Services a stream may pay for: those with one of these areas of spend or scheme types."""

    area_of_spend: tuple[str, ...] = ()
    scheme_type: tuple[str, ...] = ()


class Stream(_Frozen):
    bcf_source: str
    name: str
    national_m: float | None = None
    capital: bool = False
    pays_for: Literal["any"] | PaysFor = "any"


class Condition(_Frozen):
    id: str
    title: str
    text: str = ""


FACT_WORDS = {"verified": "Verified against the source",
              "unverified": "Unverified: an assumption to check"}
"""How a fact's status reads (the BCF plans' Summary, the app's Rules page)."""


class Fact(_Frozen):
    """One fact a rule set rests on, whether a public source confirms it, and which."""

    what: str
    status: Literal["verified", "unverified"]
    source: str = ""

    @property
    def checked(self) -> str:
        """The status in words."""
        return FACT_WORDS[self.status]


class RuleSet(_Frozen):
    """One year's BCF rules (a ``policy/bcf_rules/<id>.yaml`` file)."""

    id: str
    title: str
    sources: str = ""
    first_year: str
    last_year: str
    asc_uplift: float = Field(ge=0.0)
    streams: tuple[Stream, ...]
    retired: dict[str, str] = Field(default_factory=dict)
    conditions: tuple[Condition, ...]
    national_metrics: tuple[str, ...] = ()
    facts: tuple[Fact, ...] = ()

    def stream(self, bcf_source: str) -> Stream | None:
        return next((s for s in self.streams if s.bcf_source == bcf_source), None)

    @property
    def capital_sources(self) -> tuple[str, ...]:
        """The BCF sources of funding that are capital grants (the DFG)."""
        return tuple(s.bcf_source for s in self.streams if s.capital)


def _folder():
    return resources.files("budgetopt").joinpath("policy", "bcf_rules")


@cache
def rule_set_ids() -> tuple[str, ...]:
    """The rule sets that ship, oldest first."""
    return tuple(sorted(p.name[:-5] for p in _folder().iterdir() if p.name.endswith(".yaml")))


@cache
def rule_set(rule_id: str) -> RuleSet:
    """The rule set `rule_id` (one of :func:`rule_set_ids`).

    Raises
    ------
    KeyError
        No such rule set (a policy model's choice is checked before this is called).
    """
    if rule_id not in rule_set_ids():
        raise KeyError(rule_id)
    text = _folder().joinpath(f"{rule_id}.yaml").read_text(encoding="utf-8")
    return RuleSet.model_validate(load_shipped_yaml(text))


def _year_key(label: str) -> tuple[int, ...]:
    import re

    return tuple(int(n) for n in re.findall(r"\d+", label))


def rule_set_problems(rule_id: str | None, years: tuple[str, ...]) -> list[Problem]:
    """The plan's years against the chosen rule set: each year outside its range is named."""
    if rule_id is None:
        return []
    rules = rule_set(rule_id)
    lo, hi = _year_key(rules.first_year), _year_key(rules.last_year)
    outside = [y for y in years if not lo <= _year_key(y) <= hi]
    if not outside:
        return []
    span = (rules.first_year if rules.first_year == rules.last_year
            else f"{rules.first_year} to {rules.last_year}")
    fits = [r for r in rule_set_ids() if r != rule_id and not any(
        not _year_key(rule_set(r).first_year) <= _year_key(y) <= _year_key(rule_set(r).last_year)
        for y in years)]
    hint = f": choose bcf.rules {fits[0]}" if fits else (
        "; plan those years under another rule set, or limit horizon.years")
    return [Problem(WHERE, f"bcf.rules: the {rules.id} rule set ({rules.title}) covers {span}, "
                    f"but the plan has {', '.join(outside)}{hint}")]


def stream_services(rules: RuleSet, services: pd.DataFrame, bcf_source: str) -> list[str] | None:
    """The services a stream may pay for (in the services table's order), or None for any."""
    stream = rules.stream(bcf_source)
    if stream is None or stream.pays_for == "any":
        return None
    pf = stream.pays_for
    keep = services["area_of_spend"].isin(pf.area_of_spend) | services["scheme_type"].isin(
        pf.scheme_type)
    return list(services.loc[keep, "service_id"])


def retired_stream_warnings(rules: RuleSet, inputs: Inputs) -> list[str]:
    """A funding source whose BCF source of funding the rule set no longer has."""
    fund = inputs.funding.drop_duplicates("source_id")
    return [f"Funding source {name} is '{src}', which the {rules.id} BCF rules fold into "
            f"'{rules.retired[src]}': relabel it (its money still counts as given)."
            for name, src in zip(fund["name"], fund["bcf_source"]) if src in rules.retired]


__all__ = ["Fact", "RuleSet", "retired_stream_warnings", "rule_set", "rule_set_ids",
           "rule_set_problems", "stream_services"]
