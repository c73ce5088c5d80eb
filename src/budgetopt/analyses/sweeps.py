"""Trade-off analyses for boards, each a tidy DataFrame.

- :func:`budget_curve`: the optimum over a range of budgets, re-solving one persistent model
  whose money limits change (never rebuilt), with the marginal return of the pooled pound and
  spend by sector at each point.
- :func:`price_of_rules`: the outcome given up by each switched-on constraint family (solve with
  it, solve without it), ranked.

Both keep provenance (package, data hash, policy, overrides, solver) in ``frame.attrs``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyomo.core as pyo

from budgetopt.api import Progress, Session, build
from budgetopt.data.inputs import Inputs
from budgetopt.families import names as family_names
from budgetopt.families.acute_offset import RELEASE_SOURCE
from budgetopt.families.bounds import service_bounds
from budgetopt.families.rows import family_catalogue
from budgetopt.policy import Policy
from budgetopt.results.tables import provenance


def _first_year_total(session: Session) -> float:
    """The first year's pooled money, £m: every source but the acute money released by
    avoided demand (its amount is only a cap, and ``budget_m`` does not scale it)."""
    fund = session.data.funding
    first = (fund["year"] == session.data.years[0]) & (fund["source_id"] != RELEASE_SOURCE)
    return float(fund.loc[first, "amount_m"].sum())


def one_more_pound(inputs: Inputs, policy: Policy, objective: float, budget_m: float,
                   step_m: float = 1.0) -> float | None:
    """What `step_m` £m more on the first year's budget buys, per £1m: a re-solve with
    ``budget_m`` that much higher (every source in every year scaled in proportion, and
    whatever rules follow the budget), against `objective`, the optimum at `budget_m`. It
    is the step the budget curve takes, and smaller than the sum of the money rows' shadow
    prices where a rise leaves their ranges or a rule follows the money. None when the
    re-solve is not optimal."""
    from budgetopt.policy import apply_overrides

    out = build(inputs, apply_overrides(policy, {"budget_m": budget_m + step_m})).solve(
        load=False)
    if not out.ok or out.objective is None:
        return None
    return (float(out.objective) - objective) / step_m


def budget_curve(inputs: Inputs, policy: Policy, budgets_m: Sequence[float], *,
                 overrides: Any = None, progress: Progress | None = None) -> pd.DataFrame:
    """Optimal outcome at each budget (the first year's pooled total, £m).

    Every funding source in every year is scaled by ``budget / first-year total``, as
    ``--set budget_m=...`` does; the model is built once and re-solved with its money limits
    changed.

    Returns
    -------
    pandas.DataFrame
        One row per budget: ``budget_m``, ``status``, ``objective``, ``marginal`` (objective
        per extra £1m of pooled budget at that point: the money rows' shadow prices weighted by
        each source's share), ``spend_m`` (first year) and one ``spend_<sector>`` column per
        sector (first year, £m). For ``min_cost`` the objective is the least discounted spend.
    """
    session = build(inputs, policy, overrides)
    m, compiled = session.model, session.compiled
    limits = getattr(m, "money_source_limit_limit", None)
    if limits is None:
        raise ValueError("the policy has no money rows to vary")
    base = {k: float(pyo.value(p)) for k, p in limits.items()}
    scaled = {k: k[0] != RELEASE_SOURCE for k in base}  # as budget_m scales the funding
    total = _first_year_total(session)
    money_rows = [r for r, info in enumerate(compiled.rows)
                  if info.component == "money_source_limit" and scaled[info.index]]
    base_rows = np.array([base[compiled.rows[r].index] for r in money_rows])
    seg = session.data.segments
    cols = compiled.columns(m.x)
    first = seg["year"].to_numpy() == session.data.years[0]
    sector_of = seg["service_id"].map(
        dict(zip(inputs.services["service_id"], inputs.services["sector"]))).to_numpy()
    sectors = list(dict.fromkeys(inputs.services["sector"]))
    service_of = seg["service_id"].to_numpy()
    by_service: list[pd.Series] = []
    rows = []
    for i, budget in enumerate(budgets_m):
        factor = budget / total if total > 0 else 0.0
        for k, p in limits.items():
            p.value = base[k] * factor if scaled[k] else base[k]
        compiled.update_limits(["money_source_limit"])
        out = session.solve()
        row: dict[str, Any] = {"budget_m": float(budget), "status": out.status,
                               "objective": out.objective}
        if out.col_value is not None:
            x = out.col_value[cols]
            row["spend_m"] = float(x[first].sum())
            for s in sectors:
                row[f"spend_{s}"] = float(x[first & (sector_of == s)].sum())
            by_service.append(pd.Series(x[first]).groupby(service_of[first]).sum()
                              .rename(float(budget)))
        if out.row_dual is not None and total > 0:
            row["marginal"] = float(out.row_dual[money_rows] @ base_rows) / total
        rows.append(row)
        if progress:
            progress(i + 1, len(budgets_m))
    for k, p in limits.items():  # leave the session as it was
        p.value = base[k]
    compiled.update_limits(["money_source_limit"])
    frame = pd.DataFrame(rows)
    frame.attrs["provenance"] = provenance(session.data, overrides)
    frame.attrs["sectors"] = sectors
    services = (pd.concat(by_service, axis=1).T if by_service else pd.DataFrame())
    frame.attrs["services"] = services  # budget × service: first-year spend, £m
    frame.attrs["entries"] = service_entries(services, inputs, session)
    return frame


def service_entries(services: pd.DataFrame, inputs: Inputs, session: Session,
                    tol_m: float = 0.05) -> pd.DataFrame:
    """Where each service enters and leaves along a budget curve.

    A service *is in* at a budget when it gets more than its protected minimum (first year,
    by more than `tol_m`): the budget at which it first gets discretionary money, and the
    largest budget at which it still does (``None``: never / up to the top of the range).
    """
    if services.empty:
        return pd.DataFrame(columns=["service_id", "name", "enters_at_m", "leaves_after_m",
                                     "minimum_m"])
    svc = inputs.services.set_index("service_id")
    mins, _ = service_bounds(inputs, session.data.policy)
    budgets = np.array(services.index, dtype=float)
    order = np.argsort(budgets)
    rows = []
    for sid in services.columns:
        inside = (services[sid].to_numpy()[order] > mins.get(sid, 0.0) + tol_m)
        enters = float(budgets[order][inside.argmax()]) if inside.any() else None
        leaves = (float(budgets[order][len(inside) - 1 - inside[::-1].argmax()])
                  if inside.any() and not inside[-1] else None)
        rows.append({"service_id": sid, "name": svc.loc[sid, "name"], "enters_at_m": enters,
                     "leaves_after_m": leaves, "minimum_m": mins.get(sid, 0.0)})
    return pd.DataFrame(rows).sort_values("enters_at_m", na_position="last",
                                          ignore_index=True)


def price_of_minimums(inputs: Inputs, policy: Policy, *, overrides: Any = None,
                      progress: Progress | None = None) -> pd.DataFrame:
    """The outcome each protected service minimum costs: the optimum with that service's
    minimum removed (every year) minus the optimum with it, ranked. Re-solves one model.

    Returns
    -------
    pandas.DataFrame
        ``service_id``, ``name``, ``minimum_m``, ``objective_with``, ``objective_without``,
        ``price`` (weighted outcome given up by protecting it; 0 when the minimum does not
        bind), ``status_without``.
    """
    session = build(inputs, policy, overrides)
    compiled = session.compiled
    full = session.solve()
    limits = getattr(session.model, "bounds_min_limit", {})
    rows_of: dict[str, list] = {}  # service -> its minimum rows' Pyomo indices
    for info in compiled.rows:
        if info.component == "bounds_min" and (sid := info.keys["service_id"]) is not None:
            rows_of.setdefault(sid, []).append(info.index)
    names = dict(zip(inputs.services["service_id"], inputs.services["name"]))
    sign = 1 if policy.objective == "max_outcome" else -1
    out = []
    for k, (sid, rows) in enumerate(rows_of.items()):
        minimums = [float(pyo.value(limits[i])) for i in rows]
        for i in rows:  # the minimum removed: its limits at 0, in the model and in HiGHS
            limits[i].value = 0.0
        compiled.update_limits(["bounds_min"])
        try:
            res = session.solve()
        finally:
            for i, v in zip(rows, minimums):
                limits[i].value = v
            compiled.update_limits(["bounds_min"])
        price = (None if full.objective is None or res.objective is None
                 else max(0.0, sign * (res.objective - full.objective)))
        out.append({"service_id": sid, "name": names.get(sid, sid),
                    "minimum_m": max(minimums), "objective_with": full.objective,
                    "objective_without": res.objective, "price": price,
                    "status_without": res.status})
        if progress:
            progress(k + 1, len(rows_of))
    frame = pd.DataFrame(out, columns=["service_id", "name", "minimum_m", "objective_with",
                                       "objective_without", "price", "status_without"])
    frame = frame.sort_values("price", ascending=False, na_position="last", ignore_index=True)
    frame.attrs["provenance"] = provenance(session.data, overrides)
    return frame


def price_of_rules(inputs: Inputs, policy: Policy, *, overrides: Any = None,
                   progress: Progress | None = None) -> pd.DataFrame:
    """The outcome each switched-on constraint family costs: the optimum without it minus
    the optimum with every rule on (for ``min_cost``: the money it adds), largest first.

    Money cannot be switched off and is not priced here (the budget curve prices it).

    Returns
    -------
    pandas.DataFrame
        ``family``, ``title``, ``objective_with``, ``objective_without``, ``price`` and
        ``status_without``; ``frame.attrs["provenance"]``.
    """
    session = build(inputs, policy, overrides)
    full = session.solve()
    titles = family_catalogue()
    switchable = [f for f in family_names()
                  if f != "money" and policy.enabled(f)
                  and "enabled" in type(getattr(policy.rules, f)).model_fields]
    rows = []
    for i, family in enumerate(switchable):
        rule = getattr(policy.rules, family).model_copy(update={"enabled": False})
        without = policy.model_copy(update={"rules": policy.rules.model_copy(
            update={family: rule})})
        out = build(inputs, without, overrides).solve()
        price = None
        if full.objective is not None and out.objective is not None:
            price = (out.objective - full.objective) * (1 if policy.objective == "max_outcome"
                                                       else -1)
        rows.append({"family": family, "title": titles.get(family, {}).get("title", family),
                     "objective_with": full.objective, "objective_without": out.objective,
                     "price": price, "status_without": out.status})
        if progress:
            progress(i + 1, len(switchable))
    frame = pd.DataFrame(rows, columns=["family", "title", "objective_with",
                                        "objective_without", "price", "status_without"])
    frame = frame.sort_values("price", ascending=False, na_position="last", ignore_index=True)
    frame.attrs["provenance"] = provenance(session.data, overrides)
    return frame
