"""Sector shares: a group of sectors at least (or at most) a share of the money.

.. math::

    S[G,y] − σ_min · S[ALL,y] ≥ 0       (share_min)
    S[G,y] − σ_max · S[ALL,y] ≤ 0       (share_max)

S[ALL,y] is total pool spend. The BCF has one pool per Health and Wellbeing Board, so a share
of the pool holds in each HWB h's places on its own (``scope: hwb``, the default where the data
has HWBs): S[G,h,y] − σ · S[ALL,h,y] in place of S[G,y] − σ · S[ALL,y], one row per HWB and
year; ``scope: ics`` states it once across the ICS. A share of the system is ICS-wide whatever
the scope (the acute budget outside the pool is the ICS's, not an HWB's). With ``of: system`` (which needs the acute offset,
:mod:`budgetopt.families.acute_offset`) the whole also counts the acute spend needed H[y], and
H[y] counts in a group that includes acute. The shadow price is per £1m of the group's spend
(the row is in £m).

=========  ==========================================================  ========
symbol     meaning                                                      unit
=========  ==========================================================  ========
G          the services of a limit's sectors                            —
ALL        every service                                                —
σ_min      the group's least share (``min``)                            —
σ_max      the group's largest share (``max``)                          —
=========  ==========================================================  ========
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field, model_validator

from budgetopt.errors import Problem
from budgetopt.families.common import (
    Params,
    Scope,
    hwb_key,
    in_hwb,
    problem,
    scope_field,
    scope_terms,
    scopes,
    sector_services,
)
from budgetopt.families.family import Family, Requirement, Spend
from budgetopt.families.rows import add_rows, linear

if TYPE_CHECKING:
    import pyomo.environ as pyo

    from budgetopt.model.data import ModelData


class SectorShare(Params):
    """A floor or ceiling on one group of sectors' share of the money."""

    sectors: list[str] = Field(..., min_length=1, description="Sectors counted together.")
    label: str | None = Field(None, description="Name used in results, e.g. 'Prevention'.")
    min: float | None = Field(None, ge=0.0, le=1.0, description="At least this share.")
    max: float | None = Field(None, ge=0.0, le=1.0, description="At most this share.")
    of: Literal["pool", "system"] = Field(
        "pool", description="Share of the pooled money (every funding source), or of the "
        "system (the pool plus the acute budget of the acute offset, acute spend needed "
        "counted as acute).")
    years: list[str] | None = Field(None, description="Years it applies in; blank = all.")
    scope: Scope = scope_field("the share of that HWB's pooled spend")

    @model_validator(mode="after")
    def _one_side(self) -> SectorShare:
        if self.min is None and self.max is None:
            raise ValueError("a sector share needs min or max")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is above max ({self.max})")
        return self


class SectorSharesRule(Params):
    """Sector shares: e.g. acute at most a share ('shift left'), prevention at least one."""

    enabled: bool = True
    limits: list[SectorShare] = Field(default_factory=list)


SIDES: tuple[tuple[str, str, Literal[">=", "<="], str], ...] = (
    ("share_min", "min", ">=", "at least"), ("share_max", "max", "<=", "at most"))
"""(component, parameter, sense, words) of each side."""


def label(lim: SectorShare) -> str:
    """A limit's group in words: its label, or its sectors."""
    return lim.label or " and ".join(s.replace("_", " ") for s in lim.sectors)


def group_id(lim: SectorShare) -> str:
    """A limit's group as an id: its sectors joined by '+', '@system' for a share of the
    system (the row key ``sector_group_id``)."""
    return "+".join(sorted(lim.sectors)) + ("@system" if lim.of == "system" else "")


def row_name(lim: SectorShare, words: str, share: float, year: str, where: str = "") -> str:
    """'<Group> at least (at most) X% of pooled (system) spend[ in <HWB>] in <year>'."""
    text = label(lim)
    return (f"{text[:1].upper() + text[1:]} {words} {share:.0%} of "
            f"{'system' if lim.of == 'system' else 'pooled'} spend{where} in {year}")


def limit_scopes(data: ModelData, lim: SectorShare) -> list[str | None]:
    """The HWB groups a limit holds in (None: once, ICS-wide); a share of the system is
    ICS-wide."""
    return [None] if lim.of == "system" else scopes(data, lim.scope)


def check(data: ModelData) -> list[Problem]:
    rule = data.policy.rules.sector_shares
    problems = []
    if any(lim.of == "system" for lim in rule.limits) and not data.policy.enabled("acute_offset"):
        problems.append(problem("rules.sector_shares", "'of: system' needs rules.acute_offset "
                                "(the acute budget outside the pool)"))
    sectors = set(data.inputs.services["sector"])
    for i, lim in enumerate(rule.limits):
        unknown = [s for s in lim.sectors if s not in sectors]
        if unknown:
            problems.append(problem(f"rules.sector_shares.limits[{i}].sectors", f"names "
                                    f"sector(s) {unknown} that no service has"))
    return problems


def _applies(lim: SectorShare, year: str) -> bool:
    return lim.years is None or year in lim.years


def add(m: pyo.ConcreteModel, data: ModelData) -> None:
    rule = data.policy.rules.sector_shares
    everything = data.inputs.service_ids
    # (i, y, h) -> (share, group, lim); h None: the whole ICS
    rows: dict[str, dict] = {"share_min": {}, "share_max": {}}
    for i, lim in enumerate(rule.limits):
        group = sector_services(data, lim.sectors)
        for y in data.years:
            if not _applies(lim, y):
                continue
            for h in limit_scopes(data, lim):
                for component, side, _, _ in SIDES:
                    if getattr(lim, side) is not None:
                        rows[component][(i, y, h)] = (getattr(lim, side), group, lim)

    def body(k, spec):
        share, group, lim = spec[k]
        _, y, h = k
        terms = scope_terms(m, group, h, y) + scope_terms(m, everything, h, y, -share)
        if lim.of == "system":
            terms.append(((1.0 if "acute" in lim.sectors else 0.0) - share, m.acute[y]))
        return linear(terms)

    def side(component: str, sense: Literal[">=", "<="], words: str) -> None:
        spec = rows[component]
        add_rows(m, component, "sector_shares", list(spec),
                 body=lambda k: body(k, spec), sense=sense,
                 limit={k: 0.0 for k in spec},
                 name=lambda k: row_name(spec[k][2], words, spec[k][0], k[1],
                                         in_hwb(data, k[2])),
                 labels=lambda k: {"group": label(spec[k][2]) + in_hwb(data, k[2]),
                                   "year": k[1]},
                 keys=lambda k: {"sector_group_id": group_id(spec[k][2]), "year": k[1],
                                 **hwb_key(k[2])})

    for component, _, sense, words in SIDES:
        side(component, sense, words)


def presolve(data: ModelData) -> list[str]:
    """Floors of the same year and base adding up to more than 100%."""
    out = []
    for year in data.years:
        for base in ("pool", "system"):
            floors = [lim for lim in data.policy.rules.sector_shares.limits
                      if lim.min is not None and lim.of == base and _applies(lim, year)]
            total = sum(lim.min for lim in floors)
            if total > 1 + 1e-9:
                out.append(f"Sector-share floors add up to {total:.0%} of {base} spend in "
                           f"{year}: only spending nothing meets them all.")
    return out


def checklist(data: ModelData, years: list[str]) -> list[Requirement] | None:
    """A group's planned spend against its share of all planned spend that year (in each
    HWB's lines where the limit holds per HWB: the Expenditure sheet's HWB column). Shares of
    the system count the acute spend outside the pool, which the sheet does not hold: then
    every row is shown as solved."""
    limits = data.policy.rules.sector_shares.limits
    if any(lim.of == "system" for lim in limits):
        return None
    rows = []
    for lim in limits:
        group = tuple(sector_services(data, lim.sectors))
        for y in years:
            if not _applies(lim, y):
                continue
            for h in limit_scopes(data, lim):
                for _, side, sense, words in SIDES:
                    share = getattr(lim, side)
                    if share is not None:
                        rows.append(Requirement(
                            row_name(lim, words, share, y, in_hwb(data, h)), y,
                            (Spend(y, services=group, hwb=h),), sense,
                            (Spend(y, factor=share, hwb=h),)))
    return rows


FAMILY = Family("sector_shares", SectorSharesRule, SectorSharesRule(enabled=False),
                ("share_min", "share_max"), add=add, check=check, presolve=presolve,
                checklist=checklist)
