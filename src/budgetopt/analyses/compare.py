"""Two answers side by side: what moved, what it buys, which limits moved and which rules
bind in one only or in both.

:func:`compare_results` is shared by the app's Scenarios page, ``budgetopt scenario diff`` and
the scenario-comparison analysis, so every place explains a difference in the same words.
A rule is matched between scenarios by its family, component and keys (its coordinates), never
by its name: "Spend from the pool in 2026/27 within its £4.0m" and "... within its £3.8m" are
one rule whose limit moved.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from budgetopt.results.tables import Results, key_columns, row_keys

TOL_M = 0.05  # £m: smaller moves are rounding, not decisions
LIMIT_RTOL = 1e-9  # a limit that moved by less (relative) did not move


@dataclass(frozen=True)
class Comparison:
    """The differences between scenario A and scenario B (B minus A)."""

    allocation: pd.DataFrame  # name, sector, year, spend_a, spend_b, difference
    sectors: pd.DataFrame  # sector, spend_a, spend_b, difference (all years)
    outcomes: pd.DataFrame  # name, unit, year, value_a, value_b, difference
    rules: pd.DataFrame  # name, family, component, keys…, unit, limit_a, limit_b, binding_a, binding_b, shadow_a, shadow_b, name_a, name_b
    sentences: list[str]


def _money(v: float) -> str:
    return f"{'+' if v > 0 else '−'}£{abs(v):,.1f}m"


def _amount(v: float, unit: str) -> str:
    return f"£{v:,.1f}m" if unit == "£m" else f"{v:,.2f} {unit}"


def rule_key(constraints: pd.DataFrame, by_name: bool = False) -> pd.Series:
    """Each row's identity across scenarios: family, component and keys; with `by_name` (a
    scenario from a record saved before rows kept their keys is in the comparison), its name."""
    keys = [()] * len(constraints) if by_name else row_keys(constraints)
    return pd.Series([(f, c, tuple(sorted(k.items())) if k else ("name", n))
                      for f, c, k, n in zip(constraints["family"], constraints["component"],
                                            keys, constraints["name"])],
                     index=constraints.index, dtype=object)


def _keyless(results: list[Results]) -> bool:
    """Is any of `results` from a record saved before rows kept their keys?"""
    return any(len(r.constraints) and not any(row_keys(r.constraints)) for r in results)


def _rules(a: Results, b: Results) -> pd.DataFrame:
    """The rules of both scenarios matched by :func:`rule_key`, in model order (a rule of one
    scenario only has blanks for the other): name (B's), family, component, keys, unit,
    limit_a, limit_b, binding_a, binding_b, shadow_a, shadow_b, name_a, name_b."""
    by_name = _keyless([a, b])
    ca = a.constraints.assign(rule=rule_key(a.constraints, by_name))
    cb = b.constraints.assign(rule=rule_key(b.constraints, by_name))
    cols = ["rule", "name", "limit", "binding", "shadow_price"]
    rules = ca[cols].merge(cb[cols], on="rule", how="outer", suffixes=("_a", "_b"))
    first = pd.concat([ca, cb]).drop_duplicates("rule").set_index("rule")
    rules = rules.set_index("rule").reindex(first.index)  # model order, not sorted
    keys = list(dict.fromkeys([*key_columns(a.constraints), *key_columns(b.constraints)]))
    out = first[["family", "component", *keys, "unit"]].join(
        rules[["limit_a", "limit_b", "binding_a", "binding_b", "shadow_price_a",
               "shadow_price_b", "name_a", "name_b"]])
    out.insert(0, "name", out["name_b"].fillna(out["name_a"]))
    return out.rename(columns={"shadow_price_a": "shadow_a", "shadow_price_b": "shadow_b"}
                      ).reset_index(drop=True)


def _listed(names: list[str], head: int = 3) -> str:
    more = f" and {len(names) - head} more" if len(names) > head else ""
    return "; ".join(names[:head]) + more


EQUAL_RTOL = 1e-9  # objectives this close (relative) are equally good (MODEL.md tie-break)


def equally_good(a: Results, b: Results) -> bool:
    """Both optimal, in the same mode, with objectives within 10⁻⁹ relative."""
    if not (a.optimal and b.optimal and a.mode == b.mode):
        return False
    return abs(b.objective - a.objective) <= EQUAL_RTOL * max(1.0, abs(a.objective))


def _free_or_forced(alloc: pd.DataFrame, flexibility: pd.DataFrame) -> pd.Series:
    """Each service-year's difference: ``free`` where B's figure lies within A's flexibility
    range (a choice A's rules allow at almost the same outcome), ``forced`` where it lies
    outside (the change of data or rules forces it), blank where nothing moved."""
    rng = flexibility.set_index(["service_id", "year"])[["min_m", "max_m"]]
    lo = pd.Series([rng["min_m"].get((s, y), float("nan")) for s, y in
                    zip(alloc["service_id"], alloc["year"])], index=alloc.index)
    hi = pd.Series([rng["max_m"].get((s, y), float("nan")) for s, y in
                    zip(alloc["service_id"], alloc["year"])], index=alloc.index)
    inside = (alloc["spend_b"] >= lo - 1e-6) & (alloc["spend_b"] <= hi + 1e-6)
    kind = pd.Series("forced", index=alloc.index, dtype=object).where(~inside, "free")
    return kind.where(alloc["difference"].abs() > TOL_M, None)


def compare_results(a: Results, b: Results, name_a: str = "A", name_b: str = "B",
                    flexibility: pd.DataFrame | None = None) -> Comparison:
    """Explain how `b` differs from `a` in tables and in sentences.

    With `flexibility` (A's flexibility ranges: ``budgetopt analyse flexibility``'s table),
    each difference is told as free (B's figure within A's range: a choice among nearly
    equally good plans) or forced (outside it); the allocation table gains a ``kind``
    column."""
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

    rules = _rules(a, b)
    if flexibility is not None:
        alloc["kind"] = _free_or_forced(alloc, flexibility)

    s: list[str] = []
    if a.status != b.status:
        s.append(f"{name_a} is {a.status}; {name_b} is {b.status}.")
    same = equally_good(a, b)
    if same and (alloc["difference"].abs() > TOL_M).any():
        s.append(f"{name_a} and {name_b} are equally good (the same objective, to one part in "
                 "a billion): where they differ, each is a choice among equally good plans.")
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
    if flexibility is not None and alloc["kind"].notna().any():
        slack = flexibility.attrs.get("slack", 0.01)
        per = alloc[alloc["kind"].notna()].groupby(["name", "kind"], sort=False)[
            "difference"].sum()
        for kind, words in (("free", (f"free choices within {name_a}'s flexibility ranges (a "
                             f"plan within {slack:.0%} of {name_a}'s best could do the same)")),
                            ("forced", (f"forced: outside what any plan within {slack:.0%} of "
                             f"{name_a}'s best could do"))):
            part = per[per.index.get_level_values("kind") == kind].droplevel("kind")
            if len(part):
                part = part.sort_values(key=abs, ascending=False)
                s.append(f"Moves that are {words}: " + _listed(
                    [f"{n} {_money(v)}" for n, v in part.items()], head=5) + ".")
    both = rules[(rules["limit_a"].notna()) & (rules["limit_b"].notna())]
    moved = both[(both["limit_b"] - both["limit_a"]).abs()
                 > LIMIT_RTOL * both[["limit_a", "limit_b"]].abs().max(axis=1).clip(lower=1.0)]
    if len(moved):
        s.append("Limits that moved: " + _listed(
            [f"{r.name} (the limit moved from {_amount(r.limit_a, r.unit)} to "
             f"{_amount(r.limit_b, r.unit)})" for r in moved.itertuples()]) + ".")
    in_a, in_b = rules["binding_a"] == True, rules["binding_b"] == True  # blank: not here
    for frame, who, other, named in ((rules[in_b & ~in_a], name_b, name_a, "name_b"),
                                     (rules[in_a & ~in_b], name_a, name_b, "name_a")):
        if len(frame):  # named as in the scenario where it binds
            s.append(f"Binding in {who} but not in {other}: {_listed(list(frame[named]))}.")
    if (in_a & in_b).any():
        s.append(f"Binding in both {name_a} and {name_b}: "
                 f"{_listed(list(rules.loc[in_a & in_b, 'name']))}.")
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
    moves: pd.DataFrame | None = None
    """With flexibility: each service-year that moved against the first scenario, with
    ``scenario``, ``service_id``, ``name``, ``sector``, ``year``, ``spend_a`` (the first's),
    ``spend_b``, ``difference``, ``min_m``, ``max_m`` (the first's flexibility range) and
    ``kind`` (free or forced)."""


def compare_many(named: dict[str, Results], flexibility: pd.DataFrame | None = None
                 ) -> ManyComparison:
    """Every scenario against the first, in tables and sentences (via :func:`compare_results`).

    With `flexibility` (the first scenario's ranges, ``budgetopt analyse flexibility``'s
    table), each scenario's moves are told as free or forced, and ``moves`` lists them."""
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
    prices, names_of = {}, {}
    by_name = _keyless(list(named.values()))
    for n, r in named.items():
        c = r.constraints
        key = rule_key(c, by_name)
        bound = c["binding"].to_numpy(bool)
        prices[n] = pd.Series(c["shadow_price"].to_numpy()[bound],
                              index=pd.Index(key[bound], tupleize_cols=False))
        names_of.update(zip(key[bound], c["name"][bound]))  # the latest scenario's name
    rules = pd.concat(prices, axis=1)
    rules.index = pd.Index([names_of[k] for k in rules.index], name="rule")
    sentences, moves = [], []
    for n in names[1:]:
        cmp = compare_results(ref, named[n], names[0], n, flexibility=flexibility)
        sentences += cmp.sentences
        if flexibility is not None:
            moved = cmp.allocation[cmp.allocation["kind"].notna()]
            moves.append(moved.assign(scenario=n))
    table = None
    if flexibility is not None:
        rng = flexibility[["service_id", "year", "min_m", "max_m"]]
        cols = ["scenario", "service_id", "name", "sector", "year", "spend_a", "spend_b",
                "difference", "min_m", "max_m", "kind"]
        table = (pd.concat(moves, ignore_index=True).merge(rng, on=["service_id", "year"],
                                                           how="left")
                 if moves else pd.DataFrame(columns=[c for c in cols if c != "scenario"]))
        table = table.reindex(columns=cols)
    return ManyComparison(summary, sectors.reset_index(), rules.reset_index(), sentences,
                          table)
