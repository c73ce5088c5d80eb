"""A short, human-readable summary of a solve: plain text lines (no markup), for the terminal,
the workbook's Cover sheet and the app alike."""

from __future__ import annotations

from budgetopt.results.tables import Results
from budgetopt.solve.status import SolveStatus

STATUS_WORDS: dict[str, str] = {
    SolveStatus.OPTIMAL: "optimal",
    SolveStatus.INFEASIBLE: "infeasible: the rules cannot all be met",
    SolveStatus.UNBOUNDED: "unbounded: the objective can grow without limit (check the data)",
    SolveStatus.TIME_LIMIT: "stopped at the time limit: the best allocation found so far",
    SolveStatus.ERROR: "the solver failed",
}
"""Each status in words (keyed by the enum, which is its string: a stored answer's plain
string finds its words too)."""


def summary_lines(res: Results, top: int = 8) -> list[str]:
    lines = [f"Status: {STATUS_WORDS.get(res.status, res.status)} (HiGHS: {res.solver_status})"]
    for w in res.warnings:
        lines.append(f"Warning: {w}")
    if res.infeasibility is not None:
        lines.append(res.infeasibility.message)
    if res.objective is None:
        return lines
    unit = "weighted outcomes" if res.mode == "max_outcome" else "£m (discounted spend)"
    lines.append(f"Objective: {res.objective:,.1f} {unit}"
                 + (f" (baseline allocation: {res.baseline_objective:,.1f})"
                    if res.baseline_objective is not None and res.mode == "max_outcome" else ""))
    if res.unpinned_objective is not None:
        cost = res.unpinned_objective - res.objective
        if res.mode != "max_outcome":
            cost = -cost
        words = (f"{cost:,.1f} weighted outcomes" if res.mode == "max_outcome"
                 else f"£{cost:,.3f}m")
        lines.append(f"The pinned lines cost {words} against the unpinned optimum "
                     f"({res.unpinned_objective:,.1f}).")
    by_year = res.allocation.groupby("year", sort=False)[["spend_m", "baseline_m"]].sum()
    for year, row in by_year.iterrows():
        lines.append(f"  {year}: spend £{row.spend_m:,.1f}m (baseline £{row.baseline_m:,.1f}m)")
    lines += hwb_lines(res)
    change = (res.allocation.groupby(["name"], sort=False)["change_m"].sum()
              .sort_values(key=abs, ascending=False))
    moved = change[change.abs() > 0.05].head(top)
    if len(moved):
        lines.append("Largest changes from baseline (all years):")
        lines += [f"  {name}: {'+' if v > 0 else '−'}£{abs(v):,.1f}m" for name, v in moved.items()]
    binding = priced(res.binding())
    if len(binding):
        lines.append("What the binding rules cost (shadow prices):")
        lines += [f"  {m}" for m in priced_rules(binding, top)]
    if res.duals_note:
        lines.append(f"  (shadow prices {res.duals_note})")
    lines += ranging_lines(res)
    return lines


def ranging_lines(res: Results) -> list[str]:
    """A line when some binding rules' prices were not ranged (the price_ranging cap)."""
    pr = res.price_ranging or {}
    if not pr.get("not_ranged"):
        return []
    n, of = pr["not_ranged"], pr["binding_rows"]
    line = (f"  ({n:,} of {of:,} binding rules not ranged: their value of a fall and how far "
            f"each price holds were not worked out (price ranging '{pr['setting']}', "
            f"{pr['re_solves']:,} re-solves); --set solver.price_ranging=full works them out)")
    return [line]


def priced(binding):
    """The binding rows whose limit is worth something one way or the other: a shadow price
    (a rise) or a fall value that is not zero, or a rise that is not possible."""
    up = binding["shadow_price"]
    down = binding.get("shadow_price_down", up)
    return binding[(up.abs() > 1e-9) | up.isna() | (down.abs() > 1e-9)]


def priced_rules(binding, top: int) -> list[str]:
    """One sentence per distinct price: rules of one family with the same shadow price (every
    funding source of a year, when money can move between them) are told once."""
    key = binding["shadow_price"].round(6).astype(str) + "|" + binding["family"]
    out = []
    for _, group in binding.groupby(key, sort=False):
        first = group["meaning"].iloc[0]
        more = len(group) - 1
        out.append(first if not more else
                   f"{first} {more} other {group['family'].iloc[0]} rule"
                   f"{'s have' if more > 1 else ' has'} the same price.")
    return out[:top]


def hwb_lines(res: Results) -> list[str]:
    """Each Health and Wellbeing Board's pool and spend per year (none without HWBs)."""
    if res.hwbs is None or res.hwbs.empty:
        return []
    lines = ["Per Health and Wellbeing Board (its own pool; ICS-wide money spent in its places):"]
    for r in res.hwbs.itertuples(index=False):
        pool = r.income_m if abs(r.from_pool_m - r.income_m) < 1e-6 else r.from_pool_m
        lines.append(f"  {r.name} {r.year}: spend £{r.spend_m:,.1f}m (baseline "
                     f"£{r.baseline_m:,.1f}m) from its pool £{pool:,.1f}m of "
                     f"£{r.income_m:,.1f}m and ICS-wide money £{r.from_ics_wide_m:,.1f}m"
                     + (f"; capital (DFG) £{r.capital_m:,.1f}m"
                        + (", passed to the district councils" if r.capital_to_districts
                           else "") if r.capital_m > 0.05 else ""))
    return lines
