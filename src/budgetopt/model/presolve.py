"""Checks before the solver runs: obvious conflicts, said in plain words.

These do not stop a solve: the solver still runs and, when the rules conflict, the elastic
model finds the exact smallest relaxation. They make the first message a person reads the
obvious one ("minimum spend adds up to £243.0m against £235.0m of funding in 2026/27").
Each check is a function ``(data) -> list[str]`` in :data:`CHECKS`.
"""

from __future__ import annotations

from collections.abc import Callable

from budgetopt.model.data import RELEASE_SOURCE, ModelData, year_value
from budgetopt.model.families import service_bounds


def minimums_within_funding(data: ModelData) -> list[str]:
    """Σ_s min_s against Σ_i F[i,y], per year (with the policy's bound overrides)."""
    if not data.policy.enabled("bounds"):
        return []
    mins, _ = service_bounds(data.inputs, data.policy)
    need = sum(mins.values())
    out = []
    pool = data.funding[data.funding["source_id"] != RELEASE_SOURCE]
    for year, money in pool.groupby("year", sort=False)["amount_m"].sum().items():
        if need > money + 1e-9:
            out.append(f"Minimum spend adds up to £{need:,.1f}m against £{money:,.1f}m of "
                       f"funding in {year}.")
    return out


def minimums_within_eligible_money(data: ModelData) -> list[str]:
    """Each service's minimum against the money of the sources allowed to pay for it."""
    if not data.policy.enabled("bounds"):
        return []
    names = dict(zip(data.inputs.services["service_id"], data.inputs.services["name"]))
    mins, _ = service_bounds(data.inputs, data.policy)
    fund = data.funding.groupby(["source_id", "year"], sort=False, as_index=False)["amount_m"].sum()
    # each service-year's eligible money: the sum over its flows' sources (one flow per source)
    money = (data.flows[["source_id", "service_id", "year"]]
             .merge(fund, on=["source_id", "year"], how="left")
             .groupby(["service_id", "year"], sort=False)["amount_m"].sum())
    return [f"The minimum on {names[sid]} (£{mins[sid]:,.1f}m) is more than the "
            f"£{held:,.1f}m its eligible sources hold in {year}."
            for (sid, year), held in money.items() if mins[sid] > held + 1e-9]


def mhis_within_reach(data: ModelData) -> list[str]:
    """The MHIS's first-year requirement against the in-scope services' capacity (max_m), the
    pool's money, and (with managed transition) how far those lines may rise in a year."""
    if not data.policy.enabled("mhis"):
        return []
    from budgetopt.model.rules import _baseline_by_service, mhis_growth, mhis_services

    mh = mhis_services(data)
    if not mh:
        return []
    year = data.years[0]
    g = mhis_growth(data)[year]
    base = _baseline_by_service(data)
    need = (1 + g) * sum(base.get(s, 0.0) for s in mh)
    svc = data.inputs.services.set_index("service_id")
    cap = float(svc.loc[mh, "max_m"].sum())
    pool = float(data.funding[(data.funding["source_id"] != RELEASE_SOURCE)
                              & (data.funding["year"] == year)]["amount_m"].sum())
    out = []
    for what, limit in (("the in-scope services' maximums", cap), ("the pool's funding", pool)):
        if need > limit + 1e-9:
            out.append(f"The Mental Health Investment Standard needs £{need:,.1f}m of mental "
                       f"health spend in {year} ({g:.1%} growth) but {what} allow only "
                       f"£{limit:,.1f}m.")
    if data.policy.enabled("transition"):
        rule = data.policy.rules.transition
        if rule.max_rise is not None:
            reach = sum(base.get(s, 0.0) + max(rule.max_rise * base.get(s, 0.0),
                                               rule.min_step_m) for s in mh)
            if need > reach + 1e-9:
                out.append(f"The Mental Health Investment Standard needs £{need:,.1f}m of "
                           f"mental health spend in {year}, but managed transition lets those "
                           f"lines reach only £{reach:,.1f}m.")
    return out


def shares_add_up(data: ModelData) -> list[str]:
    """Sector-share floors of the same year and base adding up to more than 100%."""
    if not data.policy.enabled("sector_shares"):
        return []
    out = []
    for year in data.years:
        for base in ("pool", "system"):
            floors = [lim for lim in data.policy.rules.sector_shares.limits
                      if lim.min is not None and lim.of == base
                      and (lim.years is None or year in lim.years)]
            total = sum(lim.min for lim in floors)
            if total > 1 + 1e-9:
                out.append(f"Sector-share floors add up to {total:.0%} of {base} spend in "
                           f"{year}: only spending nothing meets them all.")
    return out


def bcf_floors_within_contribution(data: ModelData) -> list[str]:
    """The BCF floors on the NHS minimum contribution against its amount."""
    if not data.policy.enabled("bcf_conditions"):
        return []
    rule = data.policy.rules.bcf_conditions
    fund = data.inputs.funding
    sources = ([rule.source] if rule.source else
               list(fund.loc[fund["bcf_source"] == "Minimum NHS Contribution", "source_id"]))
    out = []
    for year in data.years:
        floors = sum(year_value(v, year, 0.0) or 0.0 for v in (rule.asc_min_m, rule.ooh_min_m))
        money = float(data.funding[data.funding["source_id"].isin(sources)
                                   & (data.funding["year"] == year)]["amount_m"].sum())
        if floors > money + 1e-9:
            out.append(f"The BCF national conditions ask £{floors:,.1f}m of the NHS minimum "
                       f"contribution in {year}, which holds £{money:,.1f}m.")
    return out


CHECKS: list[Callable[[ModelData], list[str]]] = [
    minimums_within_funding,
    minimums_within_eligible_money,
    mhis_within_reach,
    shares_add_up,
    bcf_floors_within_contribution,
]


def presolve_warnings(data: ModelData) -> tuple[str, ...]:
    return tuple(msg for check in CHECKS for msg in check(data))
