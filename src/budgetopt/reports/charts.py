"""Charts a board can read: plotly figures with titles, axis units and colour-blind-safe colours.

Every function takes the tidy DataFrames that :class:`budgetopt.results.tables.Results` and the
analyses return and gives back a :class:`plotly.graph_objects.Figure`; the app shows them
interactively. Colours are the Okabe-Ito palette, safe for the common colour-vision deficiencies,
and every series is also told apart by its name in the legend or on the axis.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

OKABE_ITO = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7",
             "#000000")
"""Okabe & Ito (2008), 'Color Universal Design': orange, sky blue, bluish green, yellow, blue,
vermillion, reddish purple, black."""

BASELINE_GREY = "#999999"

SECTOR_LABELS = {
    "acute": "Acute hospital",
    "community": "Community health",
    "mental_health": "Mental health",
    "primary_care": "Primary care",
    "social_care": "Adult social care",
    "housing": "Housing",
    "vcse": "Voluntary sector (VCSE)",
    "public_health": "Public health and prevention",
}


def sector_label(sector: str) -> str:
    return SECTOR_LABELS.get(sector, str(sector).replace("_", " ").capitalize())


def _layout(fig: go.Figure, title: str, x: str, y: str) -> go.Figure:
    fig.update_layout(title={"text": title, "x": 0.0}, xaxis_title=x, yaxis_title=y,
                      template="plotly_white", legend_title_text="",
                      margin={"l": 10, "r": 10, "t": 60, "b": 10}, colorway=list(OKABE_ITO))
    return fig


def spend_by_sector(allocation: pd.DataFrame, year: str | None = None) -> go.Figure:
    """Baseline against optimised spend per sector (£m), one year or the plan's total.

    `allocation` has the columns of ``Results.allocation`` (sector, year, spend_m, baseline_m).
    """
    frame = allocation if year is None else allocation[allocation["year"] == year]
    by = frame.groupby("sector", sort=False)[["baseline_m", "spend_m"]].sum()
    labels = [sector_label(s) for s in by.index]
    fig = go.Figure([
        go.Bar(name="Baseline (current spend)", x=labels, y=by["baseline_m"],
               marker_color=BASELINE_GREY, hovertemplate="%{x}<br>£%{y:,.1f}m<extra>baseline</extra>"),
        go.Bar(name="Optimised", x=labels, y=by["spend_m"], marker_color=OKABE_ITO[4],
               hovertemplate="%{x}<br>£%{y:,.1f}m<extra>optimised</extra>"),
    ])
    fig.update_layout(barmode="group")
    when = f" in {year}" if year else " over the plan"
    return _layout(fig, f"Spend by sector{when}: baseline and optimised", "", "£m")


def change_by_service(allocation: pd.DataFrame, top: int = 15) -> go.Figure:
    """The services whose spend moves most from the baseline over the plan (£m)."""
    change = allocation.groupby("name", sort=False)["change_m"].sum()
    change = change[change.abs() > 0.05]
    change = change.reindex(change.abs().sort_values(ascending=True).index).tail(top)
    colours = [OKABE_ITO[2] if v > 0 else OKABE_ITO[5] for v in change]
    fig = go.Figure(go.Bar(x=change.values, y=list(change.index), orientation="h",
                           marker_color=colours,
                           hovertemplate="%{y}<br>%{x:+,.1f} £m<extra></extra>"))
    return _layout(fig, "Largest changes from the baseline (all years)", "£m change", "")


def spend_by_place(allocation: pd.DataFrame, places: pd.DataFrame) -> go.Figure:
    """Spend per need-weighted head by place, baseline and optimised (£ per head, first year)."""
    year = allocation["year"].iloc[0]
    frame = allocation[(allocation["year"] == year) & allocation["place_id"].notna()]
    by = frame.groupby("place_id", sort=False)[["baseline_m", "spend_m"]].sum()
    pl = places.set_index("place_id")
    heads = pl["weighted_population"]
    per_head = by.mul(1e6).div(heads.reindex(by.index), axis=0)
    names = [pl.loc[p, "name"] for p in per_head.index]
    fig = go.Figure([
        go.Bar(name="Baseline", x=names, y=per_head["baseline_m"], marker_color=BASELINE_GREY),
        go.Bar(name="Optimised", x=names, y=per_head["spend_m"], marker_color=OKABE_ITO[4]),
    ])
    fig.update_layout(barmode="group")
    return _layout(fig, f"Spend per need-weighted head by place, {year}", "",
                   "£ per need-weighted head")


def outcomes_against_baseline(outcomes: pd.DataFrame) -> go.Figure:
    """Each metric's change from the baseline allocation, as a % of the baseline, by year."""
    frame = outcomes.copy()
    frame["pct"] = 100 * (frame["value"] - frame["baseline_value"]) / frame["baseline_value"].where(
        frame["baseline_value"].abs() > 1e-9)
    fig = go.Figure()
    for i, (year, part) in enumerate(frame.groupby("year", sort=False)):
        fig.add_bar(name=str(year), x=part["name"], y=part["pct"],
                    marker_color=OKABE_ITO[i % len(OKABE_ITO)],
                    hovertemplate="%{x}<br>%{y:+.1f}%<extra>" + str(year) + "</extra>")
    fig.update_layout(barmode="group")
    return _layout(fig, "Outcomes: change from what the baseline allocation buys", "",
                   "% change from baseline")


def budget_curve(curve: pd.DataFrame, current_m: float | None = None) -> go.Figure:
    """Optimal outcome against the pooled budget, with the marginal return on a second axis."""
    fig = go.Figure()
    fig.add_scatter(x=curve["budget_m"], y=curve["objective"], mode="lines+markers",
                    name="Optimal outcome", line_color=OKABE_ITO[4],
                    hovertemplate="£%{x:,.1f}m<br>%{y:,.0f}<extra>optimal outcome</extra>")
    if "marginal" in curve:
        fig.add_scatter(x=curve["budget_m"], y=curve["marginal"], mode="lines",
                        name="Marginal return per £1m", yaxis="y2",
                        line={"color": OKABE_ITO[5], "dash": "dash"},
                        hovertemplate="£%{x:,.1f}m<br>%{y:,.1f} per £1m<extra>marginal</extra>")
        fig.update_layout(yaxis2={"title": "weighted outcome per extra £1m", "overlaying": "y",
                                  "side": "right", "showgrid": False})
    if current_m is not None:
        fig.add_vline(x=current_m, line_dash="dot", line_color=BASELINE_GREY,
                      annotation_text="this plan's budget")
    fig.update_layout(legend={"orientation": "h", "y": -0.2})
    return _layout(fig, "What each budget buys (optimal weighted outcome, all years)",
                   "pooled budget in the first year (£m)", "weighted outcome")


def sector_mix(curve: pd.DataFrame) -> go.Figure:
    """First-year spend by sector as the budget grows (stacked areas)."""
    fig = go.Figure()
    for i, sector in enumerate(curve.attrs.get("sectors", [])):
        fig.add_scatter(x=curve["budget_m"], y=curve[f"spend_{sector}"], stackgroup="one",
                        name=sector_label(sector), line_color=OKABE_ITO[i % len(OKABE_ITO)],
                        hovertemplate="£%{y:,.1f}m<extra>" + sector_label(sector) + "</extra>")
    return _layout(fig, "Where each extra pound goes: spend by sector against the budget",
                   "pooled budget in the first year (£m)", "first-year spend (£m)")


def price_of_rules(prices: pd.DataFrame, unit: str = "weighted outcome") -> go.Figure:
    """What each switched-on rule costs, largest first (horizontal bars)."""
    frame = prices.dropna(subset=["price"]).sort_values("price")
    fig = go.Figure(go.Bar(x=frame["price"], y=frame["title"], orientation="h",
                           marker_color=OKABE_ITO[0],
                           hovertemplate="%{y}<br>%{x:,.1f}<extra></extra>"))
    return _layout(fig, "The price of each rule: what switching it off would gain",
                   f"{unit} given up", "")


def pareto(frontier: pd.DataFrame) -> go.Figure:
    """The frontier between two objectives, with the current allocation marked."""
    first, second = frontier.attrs["first"], frontier.attrs["second"]
    base = frontier.attrs.get("baseline")
    ok = frontier.dropna(subset=["first", "second"])
    fig = go.Figure(go.Scatter(x=ok["second"], y=ok["first"], mode="lines+markers",
                               name="Best possible (frontier)", line={"color": OKABE_ITO[4]}))
    if base:
        word = "dominated" if base["dominated"] else "on the frontier"
        fig.add_trace(go.Scatter(x=[base["second"]], y=[base["first"]], mode="markers+text",
                                 marker={"color": OKABE_ITO[5], "size": 12, "symbol": "x"},
                                 text=[f"current allocation ({word})"], textposition="top right",
                                 name="Current allocation"))
    arrow = "higher is better" if second["maximise"] else "lower is better"
    return _layout(fig, f"Trade-off: {first['label']} against {second['label']}",
                   f"{second['label']} ({arrow})", first["label"])


def outcome_distribution(outcomes: pd.DataFrame) -> go.Figure:
    """Monte Carlo: the outcome of each allocation over the samples (overlaid histograms)."""
    fig = go.Figure()
    names = {"central_plan": "Central-estimate plan", "optimal": "Best plan for each sample"}
    for i, col in enumerate(c for c in outcomes.columns if c != "sample"):
        fig.add_trace(go.Histogram(x=outcomes[col], name=names.get(col, col), opacity=0.6,
                                   marker_color=OKABE_ITO[(4, 0, 2)[i % 3]], nbinsx=40))
    fig.update_layout(barmode="overlay")
    n = len(outcomes)
    return _layout(fig, f"Weighted outcome over {n:,} samples of the effects", "weighted outcome",
                   "samples")


def robust_comparison(comparison: pd.DataFrame) -> go.Figure:
    """Central-estimate and robust allocations on the same samples: mean and tails."""
    cols = [c for c in ("worst", "p5", "mean", "p95") if c in comparison.columns]
    cvar = next((c for c in comparison.columns if c.startswith("cvar")), None)
    cols = [cols[0], *( [cvar] if cvar else []), *cols[1:]]
    fig = go.Figure()
    for i, r in enumerate(comparison.itertuples(index=False)):
        fig.add_trace(go.Bar(x=cols, y=[getattr(r, c) for c in cols], name=r.allocation,
                             marker_color=OKABE_ITO[(4, 5, 2)[i % 3]]))
    lo = float(comparison[cols].to_numpy().min())
    fig.update_yaxes(range=[lo * 0.98, float(comparison[cols].to_numpy().max()) * 1.005])
    return _layout(fig, "Central-estimate and robust plans on the same samples",
                   "statistic of the outcome", "weighted outcome")
