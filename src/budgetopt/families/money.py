"""Money: each funding source spends at most its amount, and every pound spent is paid for.

.. math::

    Σ_{s ∈ E(i)} f[i,s,y] ≤ F[i,y]          ∀ i, y        (money_source_limit)
    S[s,y] − Σ_{i : s ∈ E(i)} f[i,s,y] = 0  ∀ s, y        (funding_balance)

The balance rows are accounting identities (not relaxable, not reported); where one source
alone may pay for s in y, its flow is S[s,y] itself and there is no balance row (nor a flow
column: :class:`budgetopt.model.build.Flows`). Which flows f exist is the eligibility rule's (:mod:`budgetopt.families.eligibility`). A source whose unspent money
rolls on (the transformation fund with ``carry_forward``) has a cumulative limit there instead
of its yearly one here. The shadow price of a source's row is the objective gained per extra
£1m of that source. F[i,y] is the data's amount after ``amounts``, ``scale`` and ``budget_m``
(applied by :func:`budgetopt.model.data.prepare`).

No new symbols: f, F, S and E(i) are the package's (:mod:`budgetopt.families`).
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field, NonNegativeFloat

from budgetopt.errors import Problem
from budgetopt.families import transformation_fund
from budgetopt.families.common import Params, fmt_m, hwb_names, problem, service_names
from budgetopt.families.family import Family, Income, Requirement, Spend
from budgetopt.families.rows import Csr, add_matrix_rows, add_rows, linear

if TYPE_CHECKING:
    import pyomo.environ as pyo

    from budgetopt.model.data import ModelData


class MoneyRule(Params):
    """Money: spend in each year within each funding source's amount."""

    scale: float = Field(1.0, ge=0.0, description="Multiply every funding amount by this.")
    budget_m: float | None = Field(
        None, ge=0.0,
        description="Total pooled budget per year in £m: every source in every year is "
        "scaled by budget_m / (first year's total funding). Blank = as in the data.",
    )
    amounts: dict[str, dict[str, NonNegativeFloat]] = Field(
        default_factory=dict,
        description="Override amounts: {source_id: {year: £m}} (applied before scaling).",
    )


def check(data: ModelData) -> list[Problem]:
    """Each override in ``amounts`` names a source and a planning year of the funding table."""
    fund = data.inputs.funding
    have = set(zip(fund["source_id"], fund["year"]))
    return [problem(f"rules.money.amounts.{sid}.{year}", f"names source {sid!r} in year "
                    f"{year!r}, not in the funding table")
            for sid, by_year in data.policy.rules.money.amounts.items() for year in by_year
            if str(year) not in data.years or (sid, str(year)) not in have]


def balance_keys(data: ModelData) -> list[str]:
    """The columns of ``data.flows`` that name the spend a flow pays for: its service and year,
    and with Health and Wellbeing Boards its HWB group (the funding balance's keys)."""
    return ["service_id", "hwb_id", "year"] if data.inputs.has_hwbs else ["service_id", "year"]


def add(m: pyo.ConcreteModel, data: ModelData) -> None:
    flows = data.flows
    by_source: dict[tuple[str, str], list] = defaultdict(list)
    for k, (src, year) in enumerate(zip(flows["source_id"].tolist(), flows["year"].tolist())):
        by_source[(src, year)] += m.flows.terms(k)
    fund = data.funding
    rolled = transformation_fund.carried_forward_sources(data)
    amount = {(s, y): a for s, y, a in zip(fund["source_id"], fund["year"], fund["amount_m"])
              if s not in rolled}
    source_names = dict(zip(fund["source_id"], fund["name"]))
    pools = {(s, y): h for s, y, h in zip(fund["source_id"], fund["year"], fund["hwb_id"])}
    hwbs = hwb_names(data)

    def of_hwb(k: tuple[str, str]) -> str:
        """ " (Shire County's pool)" unless the source's own name says so."""
        name = hwbs.get(pools.get(k) or "", "")
        return f" ({name}'s pool)" if pools.get(k) and name not in source_names[k[0]] else ""

    def pool_key(k: tuple[str, str]) -> dict[str, str]:
        return {"hwb_id": pools[k]} if pools.get(k) else {}

    add_rows(
        m, "money_source_limit", "money", list(amount),
        body=lambda k: linear(by_source[k]) if by_source[k] else None,
        sense="<=", limit=amount,
        name=lambda k: f"Spend from {source_names[k[0]]}{of_hwb(k)} in {k[1]} within its "
        f"{fmt_m(amount[k])}",
        labels=lambda k: {"source": source_names[k[0]] + of_hwb(k), "year": k[1]},
        keys=lambda k: {"source_id": k[0], "year": k[1], **pool_key(k)},
    )
    services = service_names(data)
    pooled = data.inputs.has_hwbs
    # A spend paid for by one flow has no balance row: that flow is the spend (model.build.Flows)
    real = m.flows.real
    paid_by = flows.groupby(balance_keys(data), sort=False)["col"].size().to_dict()
    if pooled:
        _add_pooled_balance(m, data, paid_by)
        return
    keys = [(s, y) for y in data.years for s in data.inputs.service_ids
            if paid_by.get((s, y), 0) != 1]
    # S[s,y] − Σ f = 0 as a matrix over the segment and flow columns (the rows are regular:
    # building and reading back 20,000 Pyomo constraints at national size cost seconds)
    xs, n_x = m.terms.columns, len(m.terms.columns)
    fs = list(m.flow.values())
    segs = m.terms.spend_columns
    own = flows[real]
    flow_col = m.flows.var[real]
    paid = {k: flow_col[v] for k, v in
            own.groupby(["service_id", "year"], sort=False).indices.items()}
    none = np.zeros(0, dtype=np.int64)
    parts = [(segs.get(k, none), paid.get(k, none)) for k in keys]
    add_matrix_rows(
        m, "funding_balance", "money", keys, [*xs, *fs],
        Csr.signed_rows([x for x, _ in parts], [n_x + f for _, f in parts], n_x + len(fs)),
        sense="==", limit={k: 0.0 for k in keys},
        name=lambda k: f"Spend on {services[k[0]]} in {k[1]} is paid for by eligible sources",
        labels=lambda k: {"service": services[k[0]], "year": k[1]},
        keys=lambda k: {"service_id": k[0], "year": k[1]},
        relaxable=False, report=False,
    )


def _add_pooled_balance(m: pyo.ConcreteModel, data: ModelData,
                        paid_by: dict[tuple[str, ...], int]) -> None:
    """With Health and Wellbeing Boards the balance holds per HWB: spend on s in HWB h's
    places in year y is paid for by h's pool and ICS-wide money,
    S[s,h,y] − Σ_{i : pool(i) ∈ {h, ICS-wide}} f[i,s,h,y] = 0 (no row where one flow pays)."""
    services = service_names(data)
    hwbs = hwb_names(data)
    flows = data.flows
    by_service: dict[tuple[str, ...], list] = defaultdict(list)
    fs = list(m.flow.values())
    for v, key in zip(m.flows.var.tolist(), flows[balance_keys(data)].itertuples(
            index=False, name=None)):
        if v >= 0:
            by_service[key].append(fs[v])
    keys = [(s, h, y) for y in data.years for h in data.hwb_groups
            for s in data.inputs.service_ids if paid_by.get((s, h, y), 0) != 1]
    add_rows(
        m, "funding_balance", "money", keys,
        body=lambda k: linear([*((1.0, x) for x in m.terms.spend_hwb.get(k, ())),
                               *((-1.0, f) for f in by_service[k])]),
        sense="==", limit={k: 0.0 for k in keys},
        name=lambda k: f"Spend on {services[k[0]]} in {hwbs[k[1]]} in {k[2]} is paid for by "
        "eligible sources",
        labels=lambda k: {"service": services[k[0]], "hwb": hwbs[k[1]], "year": k[2]},
        keys=lambda k: {"service_id": k[0], "hwb_id": k[1] or None, "year": k[2]},
        relaxable=False, report=False,
    )


def checklist(data: ModelData, years: list[str]) -> list[Requirement]:
    """The plan's spend within the pooled budget each year, and each source's within its
    income (both as the Income sheet states them: the data set's amounts)."""
    rows = [Requirement("Planned expenditure within the pooled budget", y, (Spend(y),), "<=",
                        (Income(y),)) for y in years]
    fund = data.inputs.funding
    planned = set(fund.loc[fund["year"].isin(years), "source_id"])
    first = fund.drop_duplicates("source_id")
    for sid, name in zip(first["source_id"], first["name"]):
        if sid in planned:
            rows += [Requirement(f"Spend from {name} within its income", y,
                                 (Spend(y, sources=(sid,)),), "<=", (Income(y, sid),))
                     for y in years]
    return rows


FAMILY = Family("money", MoneyRule, MoneyRule(), ("money_source_limit", "funding_balance"),
                add=add, check=check, checklist=checklist)
