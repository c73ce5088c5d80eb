"""Two answers side by side: what moved, what it buys, and which rules bind in one only.

:func:`compare_results` is shared by the app's Scenarios page, ``budgetopt scenario diff`` and
the scenario-comparison analysis, so every place explains a difference in the same words.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from budgetopt.results.tables import Results

TOL_M = 0.05  # £m: smaller moves are rounding, not decisions


@dataclass(frozen=True)
class Comparison:
    """The differences between scenario A and scenario B (B minus A)."""

    allocation: pd.DataFrame  # name, sector, year, spend_a, spend_b, difference
    sectors: pd.DataFrame  # sector, spend_a, spend_b, difference (all years)
    outcomes: pd.DataFrame  # name, unit, year, value_a, value_b, difference
    rules: pd.DataFrame  # name, family, binding_a, binding_b, shadow_a, shadow_b
    sentences: list[str]


def _money(v: float) -> str:
    return f"{'+' if v > 0 else '−'}£{abs(v):,.1f}m"


def compare_results(a: Results, b: Results, name_a: str = "A", name_b: str = "B") -> Comparison:
    """Explain how `b` differs from `a` in tables and in sentences."""
    key = ["service_id", "name", "sector", "year"]
    sa = a.allocation.groupby(key, sort=False)["spend_m"].sum().rename("spend_a")
    sb = b.allocation.groupby(key, sort=False)["spend_m"].sum().rename("spend_b")
    alloc = pd.concat([sa, sb], axis=1).fillna(0.0).reset_index()
    alloc["difference"] = alloc["spend_b"] - alloc["spend_a"]
    sectors = alloc.groupby("sector", sort=False)[["spend_a", "spend_b", "difference"]].sum()
    sectors = sectors.reset_index()

    okey = ["metric_id", "name", "unit", "year"]
    oa = a.outcomes.set_index(okey)["value"].rename("value_a")
    ob = b.outcomes.set_index(okey)["value"].rename("value_b")
    outcomes = pd.concat([oa, ob], axis=1).reset_index()
    outcomes["difference"] = outcomes["value_b"] - outcomes["value_a"]

    cols = ["name", "family", "binding", "shadow_price"]
    rules = a.constraints[cols].merge(b.constraints[cols], on="name", how="outer",
                                      suffixes=("_a", "_b"))
    rules["family"] = rules["family_a"].fillna(rules["family_b"])
    rules = rules.rename(columns={"shadow_price_a": "shadow_a", "shadow_price_b": "shadow_b"})
    rules = rules[["name", "family", "binding_a", "binding_b", "shadow_a", "shadow_b"]]

    s: list[str] = []
    if a.status != b.status:
        s.append(f"{name_a} is {a.status}; {name_b} is {b.status}.")
    if a.objective is not None and b.objective is not None:
        d = b.objective - a.objective
        if a.mode == b.mode == "max_outcome":
            pct = f" ({d / a.objective:+.1%})" if a.objective else ""
            s.append(f"{name_b} buys {abs(d):,.0f} {'more' if d >= 0 else 'fewer'} weighted "
                     f"outcomes than {name_a}{pct}: {b.objective:,.0f} against {a.objective:,.0f}.")
        elif a.mode == b.mode:
            s.append(f"{name_b} costs {_money(d)} against {name_a} (discounted, all years).")
    spend = alloc["spend_b"].sum() - alloc["spend_a"].sum()
    if abs(spend) > TOL_M:
        s.append(f"{name_b} spends {_money(spend)} against {name_a} over the plan.")
    moved = sectors[sectors["difference"].abs() > TOL_M].sort_values(
        "difference", key=abs, ascending=False)
    if len(moved):
        s.append("By sector, over the plan: " + "; ".join(
            f"{r.sector.replace('_', ' ')} {_money(r.difference)}" for r in moved.itertuples())
                 + ".")
    by_service = alloc.groupby("name", sort=False)["difference"].sum()
    top = by_service[by_service.abs() > TOL_M].sort_values(key=abs, ascending=False).head(5)
    if len(top):
        s.append("The largest moves: " + "; ".join(f"{n} {_money(v)}" for n, v in top.items())
                 + ".")
    only_a = rules[(rules["binding_a"] == True) & (rules["binding_b"] != True)]
    only_b = rules[(rules["binding_b"] == True) & (rules["binding_a"] != True)]
    for frame, who, other in ((only_b, name_b, name_a), (only_a, name_a, name_b)):
        if len(frame):
            names = list(frame["name"].head(3))
            more = f" and {len(frame) - 3} more" if len(frame) > 3 else ""
            s.append(f"Binding in {who} but not in {other}: " + "; ".join(names) + more + ".")
    if not s:
        s.append(f"{name_a} and {name_b} give the same answer.")
    return Comparison(alloc, sectors, outcomes, rules, s)


@dataclass(frozen=True)
class ManyComparison:
    """Two or more scenarios side by side (the first is the reference)."""

    summary: pd.DataFrame  # scenario, status, objective, difference, spend_m
    sectors: pd.DataFrame  # sector × scenario: spend over the plan, £m
    rules: pd.DataFrame  # binding rules × scenario: shadow price where binding
    sentences: list[str]


def compare_many(named: dict[str, Results]) -> ManyComparison:
    """Every scenario against the first, in tables and sentences (via :func:`compare_results`)."""
    if len(named) < 2:
        raise ValueError("compare at least two scenarios")
    names = list(named)
    ref = named[names[0]]
    summary = pd.DataFrame([{
        "scenario": n, "status": r.status, "objective": r.objective,
        "difference": (None if r.objective is None or ref.objective is None
                       else r.objective - ref.objective),
        "spend_m": float(r.allocation["spend_m"].sum())} for n, r in named.items()])
    sectors = pd.concat({n: r.allocation.groupby("sector", sort=False)["spend_m"].sum()
                         for n, r in named.items()}, axis=1).fillna(0.0)
    sectors.index.name = "sector"
    rules = pd.concat({n: r.constraints.loc[r.constraints["binding"]].set_index("name")[
        "shadow_price"] for n, r in named.items()}, axis=1)
    rules.index.name = "rule"
    sentences = []
    for n in names[1:]:
        sentences += compare_results(ref, named[n], names[0], n).sentences
    return ManyComparison(summary, sectors.reset_index(), rules.reset_index(), sentences)
