"""Checks before the solver runs: obvious conflicts, said in plain words.

These do not stop a solve: the solver still runs and, when the rules conflict, the elastic
model finds the exact smallest relaxation. They make the first message a person reads the
obvious one ("minimum spend adds up to £243.0m against £235.0m of funding in 2026/27").
Each check is a function ``(data) -> list[str]`` in :data:`CHECKS`.
"""

from __future__ import annotations

from collections.abc import Callable

from budgetopt.model.data import ModelData


def minimums_within_funding(data: ModelData) -> list[str]:
    """Σ_s min_s against Σ_i F[i,y], per year (with the policy's bound overrides)."""
    if not data.policy.enabled("bounds"):
        return []
    mins = dict(zip(data.inputs.services["service_id"], data.inputs.services["min_m"]))
    for sid, o in data.policy.rules.bounds.services.items():
        if o.min_m is not None:
            mins[sid] = o.min_m
    need = sum(mins.values())
    out = []
    for year, money in data.funding.groupby("year", sort=False)["amount_m"].sum().items():
        if need > money + 1e-9:
            out.append(f"Minimum spend adds up to £{need:,.1f}m against £{money:,.1f}m of "
                       f"funding in {year}.")
    return out


def minimums_within_eligible_money(data: ModelData) -> list[str]:
    """Each service's minimum against the money of the sources allowed to pay for it."""
    if not data.policy.enabled("bounds"):
        return []
    svc = data.inputs.services.set_index("service_id")
    fund = data.funding.set_index(["source_id", "year"])["amount_m"]
    out = []
    for (sid, year), grp in data.flows.groupby(["service_id", "year"], sort=False):
        minimum = svc.at[sid, "min_m"]
        override = data.policy.rules.bounds.services.get(sid)
        if override is not None and override.min_m is not None:
            minimum = override.min_m
        money = sum(fund[(s, year)] for s in grp["source_id"])
        if minimum > money + 1e-9:
            out.append(f"The minimum on {svc.at[sid, 'name']} (£{minimum:,.1f}m) is more than "
                       f"the £{money:,.1f}m its eligible sources hold in {year}.")
    return out


CHECKS: list[Callable[[ModelData], list[str]]] = [
    minimums_within_funding,
    minimums_within_eligible_money,
]


def presolve_warnings(data: ModelData) -> tuple[str, ...]:
    return tuple(msg for check in CHECKS for msg in check(data))
