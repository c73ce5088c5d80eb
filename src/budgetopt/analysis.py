"""Trade-off analyses for boards, each a tidy DataFrame.

- :func:`budget_curve`: the optimum over a range of budgets, re-solving one persistent model
  whose money limits change (never rebuilt), with the marginal return of the pooled pound and
  spend by sector at each point.
- :func:`price_of_rules`: the outcome given up by each switched-on constraint family (solve with
  it, solve without it), ranked.

Both keep provenance (package, data hash, policy, overrides, solver) in ``frame.attrs``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from budgetopt.api import Session, build
from budgetopt.inputs import Inputs
from budgetopt.model.build import family_names
from budgetopt.model.rows import family_catalogue
from budgetopt.policy import Policy
from budgetopt.results import provenance

Progress = Callable[[int, int], None]


def _first_year_total(session: Session) -> float:
    fund = session.data.funding
    return float(fund.loc[fund["year"] == session.data.years[0], "amount_m"].sum())


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
    total = _first_year_total(session)
    money_rows = [r for r, info in enumerate(compiled.rows)
                  if info.component == "money_source_limit"]
    base_rows = np.array([base[compiled.rows[r].index] for r in money_rows])
    seg = session.data.segments
    cols = compiled.columns(m.x)
    first = seg["year"].to_numpy() == session.data.years[0]
    sector_of = seg["service_id"].map(
        dict(zip(inputs.services["service_id"], inputs.services["sector"]))).to_numpy()
    sectors = list(dict.fromkeys(inputs.services["sector"]))
    rows = []
    for i, budget in enumerate(budgets_m):
        factor = budget / total if total > 0 else 0.0
        for k, p in limits.items():
            p.value = base[k] * factor
        compiled.update_limits()
        out = session.solve()
        row: dict[str, Any] = {"budget_m": float(budget), "status": out.status,
                               "objective": out.objective}
        if out.col_value is not None:
            x = out.col_value[cols]
            row["spend_m"] = float(x[first].sum())
            for s in sectors:
                row[f"spend_{s}"] = float(x[first & (sector_of == s)].sum())
        if out.row_dual is not None and total > 0:
            row["marginal"] = float(out.row_dual[money_rows] @ base_rows) / total
        rows.append(row)
        if progress:
            progress(i + 1, len(budgets_m))
    for k, p in limits.items():  # leave the session as it was
        p.value = base[k]
    compiled.update_limits()
    frame = pd.DataFrame(rows)
    frame.attrs["provenance"] = provenance(session.data, overrides)
    frame.attrs["sectors"] = sectors
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
