"""Intermediate-care capacity and demand: the capacity the plan buys meets a share of demand.

.. math::

    Σ_s K_ℓ[s] · S[s,h,y] ≥ ς_ℓ · Dm[h,y,ℓ]      ∀ h, y, ℓ with demand      (capacity_demand)

With a ``demand`` row whose hwb_id is blank the left side is ICS-wide, Σ_s K_ℓ[s] · S[s,y].

=========  ==========================================================  ========
symbol     meaning                                                      unit
=========  ==========================================================  ========
ℓ          an intermediate-care pathway (P1-P3, step-up, …)             —
K_ℓ[s]     people a year scheme s serves on pathway ℓ per £1m           per £m
           (``capacity.per_m``)
Dm[h,y,ℓ]  people expected to need pathway ℓ in HWB h in year y         people
           (``demand.demand``)
ς_ℓ        the share of demand capacity must meet (``share``, or        —
           ``shares[ℓ]``)
=========  ==========================================================  ========

:func:`capacity_table` gives the capacity-and-demand figures of a plan (for the reports and
each HWB's BCF plan).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
from pydantic import Field

from budgetopt.errors import Problem
from budgetopt.families.common import Params, hwb_names, problem
from budgetopt.families.family import Family
from budgetopt.families.rows import add_rows, linear

if TYPE_CHECKING:
    import pyomo.environ as pyo

    from budgetopt.model.data import ModelData


class CapacityRule(Params):
    """Intermediate-care capacity meets a stated share of expected demand."""

    enabled: bool = True
    share: float = Field(1.0, ge=0.0, le=2.0, description="Capacity at least this share of "
                         "demand on every pathway (1 = all of it).")
    shares: dict[str, float] = Field(default_factory=dict, description="The share per pathway, "
                                     "{pathway: share}, overriding ``share``.")


def _demand(data: ModelData) -> pd.DataFrame:
    d = data.inputs.demand
    return d[d["year"].isin(data.years)].assign(
        hwb_id=[h if isinstance(h, str) and h else "" for h in d.loc[
            d["year"].isin(data.years), "hwb_id"]])


def check(data: ModelData) -> list[Problem]:
    """Demand to meet, and some scheme with capacity on each pathway named."""
    rule = data.policy.rules.capacity
    d = data.inputs.demand
    if d.empty:
        return [problem("rules.capacity", "needs a demand table (hwb_id, year, pathway, "
                        "demand) and a capacity table (service_id, pathway, per_m)")]
    paths = set(data.inputs.capacity["pathway"])
    out = [problem(f"rules.capacity.shares.{q}", f"{q!r} is not a pathway of the demand table")
           for q in rule.shares if q not in set(d["pathway"])]
    out += [problem("rules.capacity", f"pathway {q!r} has demand but no scheme has capacity on "
                    "it in the capacity table") for q in sorted(set(d["pathway"]) - paths)]
    return out


def required_share(data: ModelData, pathway: str) -> float | None:
    """ς_ℓ where the policy holds capacity to demand, else None."""
    return _share(data, pathway) if data.policy.enabled("capacity") else None


def _share(data: ModelData, pathway: str) -> float:
    rule = data.policy.rules.capacity
    return float(rule.shares.get(pathway, rule.share))


def add(m: pyo.ConcreteModel, data: ModelData) -> None:
    d = _demand(data)
    cap = data.inputs.capacity
    per_m = {q: list(zip(g["service_id"], g["per_m"])) for q, g in cap.groupby("pathway")}
    limit = {(h, y, q): _share(data, q) * float(v)
             for h, y, q, v in zip(d["hwb_id"], d["year"], d["pathway"], d["demand"])}
    hwbs = hwb_names(data)

    def terms(k: tuple[str, str, str]) -> list:
        h, y, q = k
        out = []
        for s, kappa in per_m.get(q, ()):
            xs = m.terms.spend_hwb.get((s, h, y), ()) if h else m.terms.spend.get((s, y), ())
            out += [(float(kappa), x) for x in xs]
        return out

    def where(k: tuple[str, str, str]) -> str:
        return f" in {hwbs[k[0]]}" if k[0] else ""

    add_rows(m, "capacity_demand", "capacity", list(limit),
             body=lambda k: linear(terms(k)) if terms(k) else None,
             sense=">=", limit=limit,
             name=lambda k: f"Intermediate-care capacity on pathway {k[2]}{where(k)} in {k[1]} "
             f"at least {limit[k]:,.0f} people",
             labels=lambda k: {"pathway": k[2] + where(k), "year": k[1]},
             keys=lambda k: {"pathway": k[2], "year": k[1], **({"hwb_id": k[0]} if k[0] else {})})


def capacity_table(data: ModelData, allocation: pd.DataFrame) -> pd.DataFrame:
    """Capacity and demand of a plan: one row per HWB (None: ICS-wide), year and pathway with
    ``capacity`` (people a year the plan's spend serves), ``demand`` and ``share_met``.

    `allocation` is the results' allocation (service_id, place_id, year, spend_m)."""
    cols = ["hwb_id", "year", "pathway", "capacity", "demand", "share_met"]
    d = data.inputs.demand
    if d.empty:
        return pd.DataFrame(columns=cols)
    hwb_of = data.inputs.hwb_of_place()
    alloc = allocation.assign(hwb_id=[hwb_of.get(p) for p in allocation["place_id"]])
    cap = data.inputs.capacity
    rows = []
    for h, y, q, demand in zip(d["hwb_id"], d["year"], d["pathway"], d["demand"]):
        here = alloc[(alloc["year"] == y) & ((alloc["hwb_id"] == h) if isinstance(h, str) and h
                                             else True)]
        spend = here.groupby("service_id")["spend_m"].sum()
        kappa = cap[cap["pathway"] == q]
        capacity = float(sum(spend.get(s, 0.0) * k for s, k in zip(kappa["service_id"],
                                                                      kappa["per_m"])))
        rows.append((h if isinstance(h, str) and h else None, y, q, capacity, float(demand),
                     capacity / demand if demand > 0 else None))
    return pd.DataFrame(rows, columns=cols)


FAMILY = Family("capacity", CapacityRule, CapacityRule(enabled=False), ("capacity_demand",),
                add=add, check=check)
