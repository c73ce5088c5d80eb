"""Charts a board can read: plotly figures with titles, axis units and colour-blind-safe colours
(:mod:`budgetopt.reports.palette`, shared with the workbook).

Every function takes the tidy DataFrames that :class:`budgetopt.results.tables.Results` and the
analyses return and gives back a :class:`plotly.graph_objects.Figure`; the app shows them
interactively. Colours are the Okabe-Ito palette, safe for the common colour-vision deficiencies,
and every series is also told apart by its name in the legend or on the axis.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from budgetopt.data.schema import SECTOR_LABELS
from budgetopt.reports.palette import (
    BASELINE_GREY,
    OKABE_ITO,
    sector_colour,
    sector_label,
)


def plain(text: object) -> str:
    """Input text for a chart label, shown as typed: plotly reads ``<b>``, ``<br>`` and
    ``<a href>`` in labels as markup, so ``&``, ``<`` and ``>`` become entities it shows
    literally."""
    return html.escape(str(text), quote=False)


def _layout(fig: go.Figure, title: str, x: str, y: str) -> go.Figure:
    fig.update_layout(title={"text": title, "x": 0.0}, xaxis_title=x, yaxis_title=y,
                      template="plotly_white", legend_title_text="",
                      margin={"l": 10, "r": 10, "t": 60, "b": 10}, colorway=list(OKABE_ITO))
    return fig


def spend_by_sector(allocation: pd.DataFrame, year: str | None = None, *,
                    horizontal: bool = False) -> go.Figure:
    """Baseline against optimised spend per sector (£m), one year or the plan's total;
    `horizontal` bars (sectors down the side) suit a printed page.

    `allocation` has the columns of ``Results.allocation`` (sector, year, spend_m, baseline_m).
    """
    frame = allocation if year is None else allocation[allocation["year"] == year]
    by = frame.groupby("sector", sort=False)[["baseline_m", "spend_m"]].sum()
    if horizontal:
        by = by.sort_values("spend_m")
    labels = [plain(sector_label(s)) for s in by.index]
    bars = []
    for name, col, colour, word in (("Baseline (current spend)", "baseline_m", BASELINE_GREY,
                                     "baseline"),
                                    ("Optimised", "spend_m", OKABE_ITO[4], "optimised")):
        axes = {"y": labels, "x": by[col], "orientation": "h"} if horizontal else {
            "x": labels, "y": by[col]}
        where = "%{y}<br>£%{x:,.1f}m" if horizontal else "%{x}<br>£%{y:,.1f}m"
        bars.append(go.Bar(name=name, marker_color=colour, **axes,
                           hovertemplate=f"{where}<extra>{word}</extra>"))
    fig = go.Figure(bars[::-1] if horizontal else bars)
    fig.update_layout(barmode="group")
    if horizontal:  # the shortest bars are at the bottom: room for the legend there
        fig.update_layout(legend={"x": 0.99, "xanchor": "right", "y": 0.02,
                                  "yanchor": "bottom", "traceorder": "reversed",
                                  "bgcolor": "rgba(255,255,255,0.8)"})
    when = f" in {year}" if year else " over the plan"
    return _layout(fig, f"Spend by sector{when}: baseline and optimised",
                   *(("£m", "") if horizontal else ("", "£m")))


def change_by_service(allocation: pd.DataFrame, top: int = 15) -> go.Figure:
    """The services whose spend moves most from the baseline over the plan (£m)."""
    change = allocation.groupby("name", sort=False)["change_m"].sum()
    change = change[change.abs() > 0.05]
    change = change.reindex(change.abs().sort_values(ascending=True).index).tail(top)
    colours = [OKABE_ITO[2] if v > 0 else OKABE_ITO[5] for v in change]
    fig = go.Figure(go.Bar(x=change.values, y=[plain(n) for n in change.index], orientation="h",
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
    names = [plain(pl.loc[p, "name"]) for p in per_head.index]
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
        fig.add_bar(name=plain(year), x=[plain(n) for n in part["name"]], y=part["pct"],
                    marker_color=OKABE_ITO[i % len(OKABE_ITO)],
                    hovertemplate="%{x}<br>%{y:+.1f}%<extra>" + str(year) + "</extra>")
    fig.update_layout(barmode="group")
    return _layout(fig, "Outcomes: change from what the baseline allocation buys", "",
                   "% change from baseline")


def budget_curve(curve: pd.DataFrame, current_m: float | None = None,
                 current_label: str = "this plan's budget", *,
                 y_unit: str = "weighted outcome", marginal: bool = True) -> go.Figure:
    """Optimal outcome (`y_unit`: the least cost, for a least-cost policy) against the pooled
    budget, with the marginal return on a second axis when `marginal`; `current_m` (if given)
    is marked with a dotted line labelled `current_label`."""
    fig = go.Figure()
    fig.add_scatter(x=curve["budget_m"], y=curve["objective"], mode="lines+markers",
                    name=f"Optimal {y_unit.split(' (')[0]}", line_color=OKABE_ITO[4],
                    hovertemplate="£%{x:,.1f}m<br>%{y:,.0f}<extra>optimum</extra>")
    if marginal and "marginal" in curve:
        fig.add_scatter(x=curve["budget_m"], y=curve["marginal"], mode="lines",
                        name="Marginal return per £1m", yaxis="y2",
                        line={"color": OKABE_ITO[5], "dash": "dash"},
                        hovertemplate="£%{x:,.1f}m<br>%{y:,.1f} per £1m<extra>marginal</extra>")
        fig.update_layout(yaxis2={"title": f"{y_unit} per extra £1m", "overlaying": "y",
                                  "side": "right", "showgrid": False})
    if current_m is not None:
        fig.add_vline(x=current_m, line_dash="dot", line_color=BASELINE_GREY,
                      annotation_text=plain(current_label))
    # the legend above the plot: below it, it sat on the x axis's title
    fig.update_layout(legend={"orientation": "h", "x": 0.0, "xanchor": "left", "y": 1.02,
                              "yanchor": "bottom"})
    what = "optimal weighted outcome" if y_unit == "weighted outcome" else y_unit
    return _layout(fig, f"What each budget buys ({what}, all years)",
                   "pooled budget in the first year (£m)", y_unit)


def sector_mix(curve: pd.DataFrame) -> go.Figure:
    """First-year spend by sector as the budget grows (stacked areas)."""
    fig = go.Figure()
    for i, sector in enumerate(curve.attrs.get("sectors", [])):
        fig.add_scatter(x=curve["budget_m"], y=curve[f"spend_{sector}"], stackgroup="one",
                        name=plain(sector_label(sector)), line_color=sector_colour(sector),
                        hovertemplate="£%{y:,.1f}m<extra>" + plain(sector_label(sector))
                        + "</extra>")
    return _layout(fig, "Where each extra pound goes: spend by sector against the budget",
                   "pooled budget in the first year (£m)", "first-year spend (£m)")


def price_of_rules(prices: pd.DataFrame, unit: str = "weighted outcome",
                   axis: str | None = None) -> go.Figure:
    """What each switched-on rule costs, largest first (horizontal bars); the axis reads
    "`unit` given up" unless `axis` says otherwise."""
    frame = prices.dropna(subset=["price"]).sort_values("price")
    fig = go.Figure(go.Bar(x=frame["price"], y=[plain(t) for t in frame["title"]], orientation="h",
                           marker_color=OKABE_ITO[0],
                           hovertemplate="%{y}<br>%{x:,.1f}<extra></extra>"))
    return _layout(fig, "The price of each rule: what switching it off would gain",
                   axis or f"{unit} given up", "")


def pareto(frontier: pd.DataFrame) -> go.Figure:
    """The frontier between two objectives, with the current allocation marked."""
    first, second = frontier.attrs["first"], frontier.attrs["second"]
    base = frontier.attrs.get("baseline")
    ok = frontier.dropna(subset=["first", "second"])
    fig = go.Figure(go.Scatter(x=ok["second"], y=ok["first"], mode="lines+markers",
                               name="Best possible (frontier)", line={"color": OKABE_ITO[4]}))
    if base:  # named in the legend: a label beside the marker is cut off at the plot's edge
        word = "dominated" if base["dominated"] else "on the frontier"
        fig.add_trace(go.Scatter(x=[base["second"]], y=[base["first"]], mode="markers",
                                 marker={"color": OKABE_ITO[5], "size": 12, "symbol": "x"},
                                 name=f"Today's allocation ({word})"))
    arrow = "higher is better" if second["maximise"] else "lower is better"
    return _layout(fig, plain(f"Trade-off: {first['label']} against {second['label']}"),
                   plain(f"{second['label']} ({arrow})"), plain(first["label"]))


def outcome_distribution(outcomes: pd.DataFrame) -> go.Figure:
    """Monte Carlo: the outcome of each allocation over the samples (histograms side by side,
    so that no bar mixes two colours into one the legend does not have)."""
    fig = go.Figure()
    names = {"central_plan": "Central-estimate plan", "optimal": "Best plan for each sample"}
    cols = [c for c in outcomes.columns if c != "sample"]
    lo, hi = (float(outcomes[cols].to_numpy().min()), float(outcomes[cols].to_numpy().max()))
    size = (hi - lo) / 30 or 1.0
    for i, col in enumerate(cols):
        fig.add_trace(go.Histogram(x=outcomes[col], name=names.get(col, col),
                                   marker_color=OKABE_ITO[(4, 5, 2)[i % 3]],
                                   xbins={"start": lo, "end": hi + size, "size": size}))
    fig.update_layout(barmode="group", bargap=0.1)
    n = len(outcomes)
    return _layout(fig, f"Weighted outcome over {n:,} samples of the effects", "weighted outcome",
                   "samples")


def robust_comparison(comparison: pd.DataFrame) -> go.Figure:
    """Central-estimate and robust allocations on the same samples: mean and tails."""
    cols = [c for c in ("worst", "p5", "mean", "p95") if c in comparison.columns]
    cvar = next((c for c in comparison.columns if c.startswith("cvar")), None)
    cols = [cols[0], *( [cvar] if cvar else []), *cols[1:]]
    words = {"worst": "worst<br>sample", "p5": "5th<br>percentile", "mean": "mean",
             "p95": "95th<br>percentile"}
    if cvar:
        words[cvar] = f"mean of the<br>worst {cvar.split('_')[-1]}%"
    fig = go.Figure()
    for i, r in enumerate(comparison.itertuples(index=False)):
        fig.add_trace(go.Bar(x=[words[c] for c in cols], y=[getattr(r, c) for c in cols],
                             name=plain(r.allocation),
                             marker_color=OKABE_ITO[(4, 5, 2)[i % 3]]))
    # bars from zero (a cut axis makes small differences look large); the figures on the bars,
    # upright inside each bar's top (488.6k), so that neighbouring bars' never run together
    fig.update_traces(texttemplate="%{y:.4s}", textposition="inside", textangle=-90,
                      insidetextanchor="end", insidetextfont={"color": "#FFFFFF"})
    fig.update_yaxes(rangemode="tozero")
    return _layout(fig, "Central-estimate and robust plans on the same samples",
                   "statistic of the outcome", "weighted outcome")


# -- where the money goes: funding sources, pools, sectors, services -------------------------

NOT_SPENT = "unspent"
SOURCE_GREY, POOL_GREY, UNSPENT_GREY = "#555555", "#222222", "#BBBBBB"
LINK_ALPHA = 0.4


def _blank(value: object) -> str:
    """An optional id as text: blank, None and NaN are ``""``."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value).strip()


def _hwb_of_places(places: pd.DataFrame | None) -> dict[str, str]:
    if places is None or "hwb_id" not in places.columns:
        return {}
    return {str(p): _blank(h) for p, h in zip(places["place_id"], places["hwb_id"])}


def _hwb_of_flows(flows: pd.DataFrame, funding: pd.DataFrame) -> pd.Series:
    """The HWB pool each flow's money belongs to ("" for ICS-wide money): the flow's own
    ``pool_hwb_id`` when the results carry any, else its source-year's in the funding table
    (a flow's ``hwb_id`` is the HWB whose places it pays for, not its pool)."""
    if "pool_hwb_id" in flows.columns and flows["pool_hwb_id"].map(_blank).ne("").any():
        return flows["pool_hwb_id"].map(_blank)
    if "hwb_id" not in funding.columns:
        return pd.Series("", index=flows.index)
    pool = {(s, y): _blank(h) for s, y, h in zip(funding["source_id"], funding["year"],
                                                  funding["hwb_id"])}
    return pd.Series([pool.get((s, y), "") for s, y in zip(flows["source_id"], flows["year"])],
                     index=flows.index, dtype=object)


def _links(frame: pd.DataFrame, by: list[str], value: str, source: str, target: str,
           colour: str | None) -> pd.DataFrame:
    """One level of links: `frame` grouped by `by`, the node keys made by `source` and
    `target` (format strings over the group's columns)."""
    g = frame.groupby(by, sort=False, dropna=False)[value].sum().reset_index()
    return pd.DataFrame({"source": [source.format(**r) for r in g.to_dict("records")],
                         "target": [target.format(**r) for r in g.to_dict("records")],
                         "value_m": g[value].to_numpy(float),
                         "sector": g[colour].to_numpy() if colour else None})


def money_flow_links(allocation: pd.DataFrame, funding_flows: pd.DataFrame,
                     funding: pd.DataFrame, places: pd.DataFrame | None = None,
                     year: str | None = None) -> dict[str, pd.DataFrame]:
    """The links of the "where the money goes" picture, £m, for the plan and for today.

    * ``plan``: each funding source → sector → service, from the solve's funding flows; when
      the data has Health and Wellbeing Boards (an ``hwb_id`` in the flows, the funding table
      or the places), funding stream → pool → sector → service, the pool being the
      source-year's HWB (blank ``hwb_id``: ICS-wide money) and the stream the source's
      ``bcf_source`` (else its name), so each HWB's NHS minimum contribution flows from one
      "Minimum NHS Contribution" node. What a source does not spend goes to "not
      spent" (not for rows whose ``cap_only`` is true: an upper bound, not money in hand).
    * ``today``: pool → sector → service, from the baseline; the pool is each place's HWB
      (``places.hwb_id``) when there are HWBs, else the one pool. The data does not say which
      source pays for what today, so today's picture starts at the pool.

    `allocation` and `funding_flows` are ``Results.allocation`` and ``Results.funding_flows``;
    `funding` is the money available (source_id, name, year, amount_m, optional hwb_id and
    cap_only: :func:`money_available`). `year` None adds up every year of the plan.

    Returns
    -------
    dict of DataFrames
        ``plan`` and ``today``: one row per link, ``source``, ``target`` (node keys such as
        ``source:NHSMIN``, ``pool:`` (the one pool), ``pool:HWB1``, ``sector:acute``,
        ``service:REABLE``, ``unspent``), ``value_m`` and ``sector`` (the sector the money
        ends in, for colour; None for money not yet in a sector).
    """
    alloc, flows, fund = allocation, funding_flows, funding
    if year is not None:
        alloc = alloc[alloc["year"] == year]
        flows = flows[flows["year"] == year]
        fund = fund[fund["year"] == year]
    sector_of = dict(zip(alloc["service_id"], alloc["sector"]))
    hwb = _hwb_of_places(places)
    flows = flows.assign(pool=_hwb_of_flows(flows, fund),
                         sector=flows["service_id"].map(sector_of))
    pools = any(hwb.values()) or bool(flows["pool"].ne("").any())

    if pools:
        # one node per funding stream (each HWB has its own NHS minimum contribution, say):
        # the stream's money splits into the pools, rather than a node per source per HWB
        stream = _stream_of(fund)
        flows = flows.assign(source_id=flows["source_id"].map(lambda s: stream.get(s, s)))
        fund = fund.assign(source_id=fund["source_id"].map(lambda s: stream.get(s, s)))
        plan = [_links(flows, ["source_id", "pool"], "amount_m", "source:{source_id}",
                       "pool:{pool}", None),
                _links(flows, ["pool", "sector"], "amount_m", "pool:{pool}", "sector:{sector}",
                       "sector")]
    else:
        plan = [_links(flows, ["source_id", "sector"], "amount_m", "source:{source_id}",
                       "sector:{sector}", "sector")]
    plan.append(_links(flows, ["sector", "service_id"], "amount_m", "sector:{sector}",
                       "service:{service_id}", "sector"))
    real = fund if "cap_only" not in fund.columns else fund[~fund["cap_only"].astype(bool)]
    available = real.groupby("source_id", sort=False)["amount_m"].sum()
    used = flows.groupby("source_id")["amount_m"].sum().reindex(available.index, fill_value=0)
    left = (available - used)[lambda v: v > 0.005]
    plan.append(pd.DataFrame({"source": "source:" + left.index.astype(str),
                              "target": NOT_SPENT, "value_m": left.to_numpy(), "sector": None}))

    base = alloc.assign(pool=[hwb.get(_blank(p), "") for p in alloc["place_id"]])
    today = [_links(base, ["pool", "sector"], "baseline_m", "pool:{pool}", "sector:{sector}",
                    "sector"),
             _links(base, ["sector", "service_id"], "baseline_m", "sector:{sector}",
                    "service:{service_id}", "sector")]

    def tidy(parts: list[pd.DataFrame]) -> pd.DataFrame:
        frame = pd.concat([p for p in parts if len(p)], ignore_index=True)
        return frame[frame["value_m"] > 0.005].reset_index(drop=True)

    return {"plan": tidy(plan), "today": tidy(today)}


def _stream_of(funding: pd.DataFrame) -> dict[str, str]:
    """Each source's funding stream: its ``bcf_source`` where given, else its name."""
    names = funding["name"] if "name" in funding.columns else funding["source_id"]
    streams = (funding["bcf_source"] if "bcf_source" in funding.columns
               else pd.Series([None] * len(funding), index=funding.index))
    return {str(sid): (str(st) if isinstance(st, str) and st.strip() else str(n))
            for sid, st, n in zip(funding["source_id"], streams, names)}


def money_available(inputs, policy) -> pd.DataFrame:
    """The money each funding source has in each planning year under `policy` (£m, the
    policy's budget and scale applied), with ``hwb_id`` from the funding table when it has
    one and ``cap_only`` true for a pseudo-source whose amount is only an upper bound (the
    acute money released by avoided demand)."""
    from budgetopt.families.acute_offset import RELEASE_SOURCE
    from budgetopt.model.data import policy_funding

    fund = policy_funding(inputs, policy).copy()
    for extra in ("hwb_id", "bcf_source"):
        if extra in inputs.funding.columns and extra not in fund.columns:
            fund = fund.merge(inputs.funding[["source_id", "year", extra]],
                              on=["source_id", "year"], how="left")
    fund["cap_only"] = fund["source_id"] == RELEASE_SOURCE
    return fund


def _short(text: str, limit: int) -> str:
    text = str(text)
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def money_flow(allocation: pd.DataFrame, funding_flows: pd.DataFrame, funding: pd.DataFrame,
               places: pd.DataFrame | None = None, year: str | None = None, *,
               height: int = 1000, font_px: int = 11) -> go.Figure:
    """Where the money goes, today (top) and in the plan (below): a Sankey diagram from
    each funding source (through each HWB's pool, when the data has HWBs) to sectors and
    services, £m (:func:`money_flow_links` gives the links).

    Nodes sit in fixed columns (today's line up with the plan's), spaced so that no two
    labels of `font_px` overlap at `height` px; every label is to the right of its node.
    """
    links = money_flow_links(allocation, funding_flows, funding, places, year)
    has_hwb = any(k.startswith("pool:") and k != "pool:" for part in links.values()
                  for k in pd.concat([part["source"], part["target"]]))
    columns = _HWB_COLUMNS if has_hwb else _COLUMNS
    names = {**{f"source:{s}": n for s, n in zip(funding["source_id"], funding["name"])},
             **{f"service:{s}": n for s, n in zip(allocation["service_id"], allocation["name"])}}
    sector_of = dict(zip(allocation["service_id"], allocation["sector"]))

    def label(key: str, today: bool) -> str:
        kind, _, ident = key.partition(":")
        if kind == "sector":
            return sector_label(ident)
        if kind == "pool":
            if ident:
                return f"HWB {ident}"
            if has_hwb:
                return "Places with no HWB" if today else "ICS-wide money"
            return "The pool today" if today else "The pool"
        if key == NOT_SPENT:
            return "Not spent"
        return names.get(key, ident)

    def colour(key: str) -> str:
        kind, _, ident = key.partition(":")
        if kind == "sector":
            return sector_colour(ident)
        if kind == "service":
            return sector_colour(sector_of.get(ident, ""))
        if kind == "pool":
            return POOL_GREY
        return UNSPENT_GREY if key == NOT_SPENT else SOURCE_GREY

    def order(key: str) -> tuple:
        kind, _, ident = key.partition(":")
        sector = ident if kind == "sector" else sector_of.get(ident, "")
        rank = list(SECTOR_LABELS).index(sector) if sector in SECTOR_LABELS else 99
        return (kind == "unspent", rank, key if kind != "service" else "", -value_of[key])

    top, bottom, gap = 56, 6, 0.06
    panel_px = (height - top - bottom) * (1 - gap) / 2
    fig = go.Figure()
    notes: list[dict] = []  # every label, set at once below
    route = "source → HWB pool → sector → service" if has_hwb else "source → sector → service"
    today_route = "HWB → sector → service" if has_hwb else "pool → sector → service"
    panels = (("today", f"Today (the baseline): {today_route}", (0.5 + gap / 2, 1.0)),
              ("plan", f"The plan: {route}", (0.0, 0.5 - gap / 2)))
    for name, title, (y0, y1) in panels:
        part = links[name]
        inflow = part.groupby("target")["value_m"].sum()
        outflow = part.groupby("source")["value_m"].sum()
        value_of = {k: max(inflow.get(k, 0.0), outflow.get(k, 0.0))
                    for k in pd.concat([part["source"], part["target"]])}
        keys = sorted(value_of, key=order)
        index = {k: i for i, k in enumerate(keys)}
        lines = {k: _wrap(f"{label(k, name == 'today')}  £{value_of[k]:,.1f}m",
                          *columns[_kind(k)][1:]) for k in keys}
        x, y, pad = _sankey_positions(keys, value_of, columns, panel_px, font_px * 1.3,
                                      {k: len(v) for k, v in lines.items()})
        texts = ["<br>".join(plain(t) for t in lines[k]) for k in keys]
        fig.add_trace(go.Sankey(
            domain={"x": [0.0, 1.0], "y": [y0, y1]}, arrangement="fixed",
            valueformat=",.1f", valuesuffix="m",
            node={"label": [""] * len(keys), "customdata": texts,
                  "color": [colour(k) for k in keys], "pad": pad, "thickness": 10,
                  "line": {"width": 0}, "x": x, "y": y,
                  "hovertemplate": "%{customdata}<extra></extra>"},
            link={"source": [index[k] for k in part["source"]],
                  "target": [index[k] for k in part["target"]],
                  "value": part["value_m"].tolist(),
                  "color": [_rgba(sector_colour(s) if s else "#888888", LINK_ALPHA)
                            for s in part["sector"]],
                  "hovertemplate": "£%{value:,.1f}m<extra></extra>"}))
        notes += [{"text": text, "x": xk + 0.016, "xref": "paper", "xanchor": "left",
                   "y": y1 - yk * (y1 - y0), "yref": "paper", "yanchor": "middle",
                   "showarrow": False, "align": "left",
                   "font": {"size": font_px, "color": "#000000"},
                   "bgcolor": "rgba(255,255,255,0.75)", "borderpad": 0}
                  for xk, yk, text in zip(x, y, texts)]
        notes.append({"text": f"<b>{title}</b>", "x": 0.0, "xref": "paper", "xanchor": "left",
                      "y": y1, "yref": "paper", "yanchor": "bottom", "showarrow": False,
                      "font": {"size": font_px + 2}, "yshift": 4})
    when = f"in {year}" if year else "over the plan"
    fig = _layout(fig, plain(f"Where the money goes {when} (£m)"), "", "")
    # the labels set at once: plotly's add_annotation checks every earlier one again
    fig.update_layout(height=height, margin={"l": 4, "r": 4, "t": top, "b": bottom},
                      annotations=notes)
    return fig


# Each column's x, the longest line of its labels (characters) and how many lines they may
# take, without and with HWB pools. The service column has the most nodes: one line each.
_COLUMNS = {"source": (0.001, 34, 1), "pool": (0.001, 34, 1), "sector": (0.35, 27, 2),
            "unspent": (0.35, 27, 2), "service": (0.645, 34, 1)}
_HWB_COLUMNS = {"source": (0.001, 22, 2), "pool": (0.22, 18, 2), "unspent": (0.22, 18, 2),
                "sector": (0.43, 22, 2), "service": (0.67, 31, 1)}


def _wrap(text: str, width: int, most: int) -> list[str]:
    """`text` in lines of at most `width` characters (broken at spaces), at most `most`
    lines, the last one cut short with an ellipsis when the text does not fit."""
    lines = _lines(text, width)
    if len(lines) > most:
        rest = " ".join(lines[most - 1:])
        lines = [*lines[:most - 1], rest]
    amount = text.rsplit(" ", 1)[-1]
    if len(lines[-1]) > width:  # keep the amount: shorten the name before it
        head = lines[-1][:-len(amount)].rstrip()
        lines[-1] = _short(head, width - len(amount) - 2) + "  " + amount
    return lines


def _lines(text: str, width: int) -> list[str]:
    """`text` broken at spaces into lines of at most `width` characters (a longer word is a
    line of its own)."""
    lines: list[str] = []
    for word in text.split(" "):
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def _kind(key: str) -> str:
    return key.partition(":")[0]


def _sankey_positions(keys: list[str], value: dict[str, float],
                      columns: dict[str, tuple[float, int, int]], height_px: float,
                      label_px: float, lines: dict[str, int] | None = None,
                      min_gap_px: float = 1.0) -> tuple[list[float], list[float], float]:
    """Node centres (x, y as fractions of the panel, y from the top) and the node padding
    that make every label fit: each node gets a slot at least `label_px` tall per line of
    its label (`lines`, default one).

    Plotly scales node heights by ``k = min over columns (height − (n − 1)·pad) / Σ value``;
    the padding is raised until every column's slots, ``max(k·value, label_px)`` each, fit
    in the panel. Slots are then spread over the panel's height, in the order of `keys`.
    """
    by_column: dict[float, list[str]] = {}
    for n in keys:
        by_column.setdefault(columns[_kind(n)][0], []).append(n)

    def scale(pad: float) -> float:
        return min((height_px - (len(c) - 1) * pad) / max(sum(value[n] for n in c), 1e-9)
                   for c in by_column.values())

    tall = {n: label_px * (lines or {}).get(n, 1) for n in keys}

    def fits(k: float) -> bool:
        return all(sum(max(k * value[n], tall[n]) for n in c) + (len(c) - 1) * min_gap_px
                   <= height_px for c in by_column.values())

    pad = min_gap_px
    while not fits(scale(pad)) and pad < height_px / 4:
        pad += 0.25
    k = scale(pad)
    x: dict[str, float] = {}
    y: dict[str, float] = {}
    for at_x, col in by_column.items():
        slots = [max(k * value[n], tall[n]) for n in col]
        between = (min((height_px - sum(slots)) / (len(col) - 1), 2 * label_px)
                   if len(col) > 1 else 0.0)
        at = (height_px - sum(slots) - between * (len(col) - 1)) / 2
        for n, slot in zip(col, slots):
            x[n] = at_x
            y[n] = min(0.999, max(0.001, (at + slot / 2) / height_px))
            at += slot + between
    return [x[n] for n in keys], [y[n] for n in keys], pad


def _rgba(colour: str, alpha: float) -> str:
    c = colour.lstrip("#")
    r, g, b = (int(c[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def spend_by_hwb(allocation: pd.DataFrame, places: pd.DataFrame) -> go.Figure:
    """Spend in each Health and Wellbeing Board's places over the plan, baseline and
    planned (£m); needs ``places.hwb_id``."""
    hwb = _hwb_of_places(places)
    frame = allocation.assign(hwb=[hwb.get(_blank(p), "") for p in allocation["place_id"]])
    by = frame.groupby("hwb", sort=True)[["baseline_m", "spend_m"]].sum()
    labels = [plain(h or "no HWB") for h in by.index]
    fig = go.Figure([
        go.Bar(name="Baseline (current spend)", x=labels, y=by["baseline_m"],
               marker_color=BASELINE_GREY,
               hovertemplate="%{x}<br>£%{y:,.1f}m<extra>baseline</extra>"),
        go.Bar(name="Optimised", x=labels, y=by["spend_m"], marker_color=OKABE_ITO[4],
               hovertemplate="%{x}<br>£%{y:,.1f}m<extra>optimised</extra>"),
    ])
    fig.update_layout(barmode="group")
    return _layout(fig, "Spend by Health and Wellbeing Board over the plan: baseline and "
                   "optimised", "", "£m")


def flexibility_ranges(flexibility: pd.DataFrame, names: dict[str, str] | None = None,
                       year: str | None = None) -> go.Figure:
    """What else is nearly as good: for each service, the least and the most it can receive
    with the outcome within the slack of the optimum (a bar), and the plan's figure (a
    marker), £m. `flexibility` has the columns of the flexibility analysis's CSV
    (service_id, year, spend_m, min_m, max_m); one year, or the first when None."""
    year = flexibility["year"].iloc[0] if year is None else year
    frame = flexibility[flexibility["year"] == year].copy()
    frame["label"] = [plain((names or {}).get(s, s)) for s in frame["service_id"]]
    frame = frame.sort_values("max_m", ascending=True)
    fig = go.Figure([
        go.Bar(name="Range at almost the same outcome", y=frame["label"], x=frame["max_m"] - frame["min_m"],
               base=frame["min_m"], orientation="h", marker_color=OKABE_ITO[1],
               customdata=frame["max_m"],
               hovertemplate="%{y}<br>£%{base:,.1f}m to £%{customdata:,.1f}m<extra></extra>"),
        go.Scatter(name="The plan", y=frame["label"], x=frame["spend_m"], mode="markers",
                   marker={"color": OKABE_ITO[5], "symbol": "line-ns", "size": 14,
                           "line": {"width": 3, "color": OKABE_ITO[5]}},
                   hovertemplate="%{y}<br>plan £%{x:,.1f}m<extra></extra>"),
    ])
    fig.update_yaxes(type="category", dtick=1)  # every service named, however many
    fig.update_layout(height=160 + 24 * len(frame),  # a readable row per service
                      legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0.0})
    return _layout(fig, plain(f"How far each service's money can move at almost the same "
                              f"outcome, {year}"), "£m", "")


def evidence_value(evpi: pd.DataFrame, names: dict[str, str] | None = None,
                   top: int = 12) -> go.Figure:
    """Which evidence gap is worth closing: the expected value of perfect information on each
    service's effects (EVPPI), largest first; `evpi` has the value-of-information analysis's
    columns (service_id, evppi; the row ``ALL`` is the total EVPI, shown in the title)."""
    total = evpi.loc[evpi["service_id"] == "ALL", "evppi"]
    part = evpi[evpi["service_id"] != "ALL"].sort_values("evppi").tail(top)
    fig = go.Figure(go.Bar(x=part["evppi"], y=[plain((names or {}).get(s, s))
                                               for s in part["service_id"]],
                           orientation="h", marker_color=OKABE_ITO[2],
                           hovertemplate="%{y}<br>%{x:,.1f}<extra></extra>"))
    fig.update_yaxes(type="category", dtick=1)  # every service named, however many
    title = "Value of better evidence on each service's effects"
    if len(total):
        title += f" (all effects: {float(total.iloc[0]):,.1f})"
    return _layout(fig, title, "value of perfect information (weighted outcome)", "")


def curve_with_evidence(inputs, service_id: str, metric_id: str) -> go.Figure:
    """One service's response curve for one metric: the outcome a year against spend (£m a
    year, ICS-wide), central with its low-high band, and for a curve derived from evidence
    the smooth cost-coverage curve and its ceiling; the evidence's source and certainty in
    the title (as text, never markup)."""
    from budgetopt.data.evidence import smooth_outcome

    cur = inputs.curves[(inputs.curves["service_id"] == service_id)
                        & (inputs.curves["metric_id"] == metric_id)]
    cur = cur[cur["year"].isna()] if cur["year"].isna().any() else cur
    cur = cur.sort_values("band")
    x = np.r_[0.0, np.cumsum(cur["width_m"].to_numpy(float))]
    fig = go.Figure()
    for column, name, colour, dash in (("per_m_high", "high estimate", OKABE_ITO[1], "dot"),
                                       ("per_m", "central estimate", OKABE_ITO[4], "solid"),
                                       ("per_m_low", "low estimate", OKABE_ITO[5], "dot")):
        y = np.r_[0.0, np.cumsum(cur["width_m"].to_numpy(float) * cur[column].to_numpy(float))]
        fig.add_trace(go.Scatter(x=x, y=y, name=name, mode="lines+markers",
                                 line={"color": colour, "dash": dash},
                                 hovertemplate="£%{x:,.2f}m: %{y:,.1f}<extra></extra>"))
    ev = inputs.evidence
    row = ev[(ev["service_id"] == service_id) & (ev["metric_id"] == metric_id)]
    names = dict(zip(inputs.services["service_id"], inputs.services["name"], strict=True))
    title = f"{names.get(service_id, service_id)}: {metric_id} bought by spend"
    if len(row):
        r = row.iloc[0]
        if bool(r["derived"]):
            xs = np.linspace(0.0, max(float(x[-1]), 1e-9) * 1.25, 120)
            fig.add_trace(go.Scatter(
                x=xs, y=smooth_outcome(xs, float(r["unit_cost_gbp"]), float(r["eligible"]),
                                       float(r["max_coverage"]), float(r["effect"])),
                name="cost-coverage curve (smooth)", mode="lines",
                line={"color": OKABE_ITO[2], "dash": "dash"}, hoverinfo="skip"))
            fig.add_hline(y=float(r["ceiling"]), line={"color": "#777777", "dash": "dot"},
                          annotation_text="ceiling: eligible × coverage × effect")
        sure = r["certainty"] if isinstance(r["certainty"], str) else "not stated"
        source = r["source"] if isinstance(r["source"], str) and r["source"] else "not stated"
        title += f" (source: {source}; certainty: {sure})"
    return _layout(fig, plain(title), "spend a year (£m, ICS-wide)", "outcome a year")


# -- print -----------------------------------------------------------------------------------

PRINT_FONT = "DejaVu Sans, Liberation Sans, Arial, sans-serif"
PRINT_WIDTH = 672  # CSS pixels: the 178 mm of text on an A4 page with 16 mm margins


def for_print(fig: go.Figure, width: int = PRINT_WIDTH, height: int = 400, font_px: int = 14
              ) -> go.Figure:
    """A copy of `fig` laid out for a printed page: fixed size in CSS pixels, printed at that
    size (so 14 px is 10.5 pt), black text, no hover."""
    out = go.Figure(fig)
    title = _wrap_title(out.layout.title.text or "", int(width / ((font_px + 2) * 0.58)))
    out.update_layout(width=width, height=height, paper_bgcolor="white",
                      font={"family": PRINT_FONT, "size": font_px, "color": "#000000"},
                      # at the top, above a legend: plotly places a title of several lines
                      # by its first line, whose middle this is
                      title={"text": title, "font": {"size": font_px + 2}, "x": 0.0,
                             "xanchor": "left", "y": 1.0 - (font_px + 8) / height,
                             "yref": "container", "yanchor": "middle"},
                      hovermode=False)
    top = 24 + 22 * (title.count("<br>") + 1) if title else 20
    legend = out.layout.legend
    legend_on_top = ((legend.orientation is None and legend.x is None)
                     or (legend.y is not None and legend.y >= 1.0))
    sankey = any(t.type == "sankey" for t in out.data)
    if legend_on_top and not sankey and len(out.data) > 1:
        # a legend at the side takes a sixth of a printed page's width: above the plot instead
        out.update_layout(legend={"orientation": "h", "x": 0.0, "xanchor": "left", "y": 1.0,
                                  "yanchor": "bottom"})
        top += _legend_rows(out, width, font_px) * (font_px + 8) + 6
    if not sankey:
        out.update_layout(margin={"t": top, "l": 10, "r": 10, "b": 10})
    out.update_xaxes(tickfont={"size": font_px - 1}, title_font={"size": font_px},
                     automargin=True, ticklabelstandoff=4)
    out.update_yaxes(tickfont={"size": font_px - 1}, title_font={"size": font_px},
                     automargin=True, ticklabelstandoff=4)
    # an axis title no longer than the plot is tall: the plot is the figure less the title
    # and legend above it and the x axis's labels and title below
    fit = max(12, int((height - top - 3 * font_px - 16) / (font_px * 0.6)))
    for axis in ("yaxis", "yaxis2"):
        if axis in out.layout and out.layout[axis].title.text:
            out.layout[axis].title.text = _wrap_title(out.layout[axis].title.text, fit)
    out.update_traces(selector={"type": "sankey"}, textfont={"family": PRINT_FONT})
    return out


def _legend_rows(fig: go.Figure, width: int, font_px: int) -> int:
    """How many rows a horizontal legend takes at `width` pixels: each entry its name (about
    0.6 of the font size a character) and its symbol, wrapped as plotly wraps them. The
    legend starts at the plot's left edge, which the y axis's labels push right: the room is
    taken to be 60% of the width (a long-labelled bar chart's plot), so rows are over- rather
    than under-counted."""
    rows, used = 1, 0.0
    room = 0.6 * width - 20
    for trace in fig.data:
        if trace.showlegend is False or not trace.name:
            continue
        entry = 0.6 * font_px * len(str(trace.name)) + 50
        if used and used + entry > room:
            rows, used = rows + 1, 0.0
        used += entry
    return rows


def _wrap_title(text: str, width: int) -> str:
    """A chart title broken with ``<br>`` at spaces into lines of about `width` characters
    (the text is already safe for plotly: :func:`plain`)."""
    if len(text) <= width or "<br>" in text:
        return text
    return "<br>".join(_lines(text, width))
