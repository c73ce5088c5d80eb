"""Pieces several pages share: problem lists, money formats, downloads of the answer."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import streamlit as st

from budgetopt.analyses.board import Analyses
from budgetopt.data.inputs import Inputs
from budgetopt.errors import Problem
from budgetopt.policy import Policy
from budgetopt.results.summary import STATUS_WORDS
from budgetopt.results.tables import Results
from budgetopt.ui.markdown import md_text


def status_words(status: str) -> str:
    text = STATUS_WORDS.get(status, status)
    return text[:1].upper() + text[1:]


def problems_frame(problems: Sequence[Problem]) -> pd.DataFrame:
    """Problems as a table a person can work through: where, row, column, value, what to fix."""
    return pd.DataFrame(
        [{"file or sheet": p.where, "row": p.row, "column": p.column or "",
          "value": "" if p.value is None else str(p.value), "what to fix": p.message}
         for p in problems],
        columns=["file or sheet", "row", "column", "value", "what to fix"],
    ).astype({"row": "Int64"})


def show_problems(title: str, problems: Sequence[Problem]) -> None:
    n = len(problems)
    shown = 20
    lines = "\n".join(f"- {md_text(p)}" for p in problems[:shown])
    more = f"\n\n…and {n - shown} more (all of them in the table below)." if n > shown else ""
    st.error(f"{md_text(title)}: {n} problem{'s' if n != 1 else ''} found. Nothing was changed; "
             f"fix them and try again.\n\n{lines}{more}")
    st.dataframe(problems_frame(problems), hide_index=True, width="stretch")


CHART_TEXT = "#1f1f1f"
"""Chart text colour: 16:1 on white (WCAG 2.2 AA asks 4.5:1)."""


def show_chart(fig, key: str) -> None:
    """A chart with text dark enough to read (the plotly template, not the theme's greys),
    drawn from the server's own scripts (nothing fetched from outside)."""
    fig.update_layout(font={"color": CHART_TEXT},
                      title_font_color=CHART_TEXT, legend_font_color=CHART_TEXT)
    fig.update_xaxes(tickfont_color=CHART_TEXT, title_font_color=CHART_TEXT)
    fig.update_yaxes(tickfont_color=CHART_TEXT, title_font_color=CHART_TEXT)
    st.plotly_chart(fig, width="stretch", key=key, theme=None,
                    config={"displaylogo": False})


def money(value: float | None) -> str:
    return "—" if value is None else f"£{value:,.1f}m"


def result_downloads(res: Results, stem: str, key: str, inputs: Inputs | None,
                     scenario: str = "", analyses: Analyses | None = None) -> None:
    """Buttons to download the answer as JSON, as the Excel workbook (with the charts of
    the trade-off analyses run for it, when given) and as one BCF plan per board (a zip).

    The JSON, the workbook and the plans are written when their button is pressed
    (Streamlit's deferred download), not on every run of the page: together they took longer
    than the rest of the Results page."""
    c1, c2, c3 = st.columns(3)
    c1.download_button("Download the result (JSON)", lambda: res.to_json().encode("utf-8"),
                       file_name=f"{stem}.json", mime="application/json", key=f"{key}-json")
    if inputs is None:
        return

    def workbook() -> bytes:
        from budgetopt.reports.excel import write_bcf_workbook

        with tempfile.TemporaryDirectory(prefix="budgetopt-xlsx-") as tmp:
            path = Path(tmp) / f"{stem}.xlsx"
            write_bcf_workbook(res, inputs, path, scenario=scenario, analyses=analyses)
            return path.read_bytes()

    c2.download_button("Download the workbook (Excel)", workbook, file_name=f"{stem}.xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       key=f"{key}-xlsx")
    bcf_plans_download(c3, res, stem, key, inputs)


def bcf_plans_download(where, res: Results, stem: str, key: str, inputs: Inputs) -> None:
    """A button to download one BCF plan workbook per Health and Wellbeing Board (a zip),
    written when it is pressed; a data set whose boards cannot name a file is said so at
    once, in place of the button."""
    from budgetopt.errors import InputError
    from budgetopt.reports.excel.bcf_plans import bcf_plans_zip, check_file_names

    try:
        check_file_names(inputs)
    except InputError as err:
        where.warning(md_text(f"No BCF plans per board: {err}"))
        return
    where.download_button("Download the BCF plans per board (zip)",
                          lambda: bcf_plans_zip(res, inputs),
                          file_name=f"{stem}-bcf-plans.zip", mime="application/zip",
                          key=f"{key}-bcf-zip")


def board_paper_download(res: Results, stem: str, key: str, inputs: Inputs, policy: Policy,
                         signature: str) -> None:
    """A button that makes the board paper (PDF) for this answer, then a button to download
    it. With the box ticked the paper's analyses are run (about 10-20 s on the example);
    else the paper lists its trade-off and risk sections as left out. The PDF is kept for the
    session until the data or the rules change."""
    from budgetopt.analyses.board import run_analyses
    from budgetopt.errors import BudgetoptError
    from budgetopt.reports.board import write_board_paper

    made = st.session_state.get(f"{key}-board-paper")
    c1, c2 = st.columns([3, 2])
    with_analyses = c1.checkbox("Include the trade-offs and risks (runs the analyses, about "
                                "10-20 s)", value=True, key=f"{key}-board-analyses",
                                disabled=not res.optimal)
    if c1.button("Make the board paper (PDF)", key=f"{key}-board-make"):
        with st.spinner("Running the analyses and printing the paper…" if with_analyses
                        else "Printing the paper…"):
            try:
                ran = (run_analyses(inputs, policy, robust=True)
                       if with_analyses and res.optimal else None)
                with tempfile.TemporaryDirectory(prefix="budgetopt-paper-") as tmp:
                    path = Path(tmp) / f"{stem}.pdf"
                    write_board_paper(res, inputs, policy, path, ran,
                                      left_out_because="this paper was made without the "
                                      "trade-offs and risks")
                    made = (signature, path.read_bytes())
                st.session_state[f"{key}-board-paper"] = made
            except BudgetoptError as err:
                st.error(md_text(err))
                made = None
    if made and made[0] == signature:
        c2.download_button("Download the board paper (PDF)", made[1],
                           file_name=f"{stem}-board-paper.pdf", mime="application/pdf",
                           key=f"{key}-board-pdf")


def overrides_words(overrides: dict, first_year: str) -> str:
    """This session's changes to the policy model in words: the budget typed on the Rules
    page as "pooled budget in 2026/27 £200.0m" (not ``budget_m = 200.0``); any other change
    (a saved scenario's ``--set``) as its setting and value."""
    words = []
    for key, value in overrides.items():
        if key in ("budget_m", "rules.money.budget_m") and isinstance(value, (int, float)):
            words.append(f"pooled budget in {first_year} {money(float(value))}")
        elif key in ("scale", "rules.money.scale") and isinstance(value, (int, float)):
            words.append(f"every funding amount × {float(value):g}")
        else:
            words.append(f"{key} = {value}")
    return ", ".join(words)


def file_stem(text: str) -> str:
    keep = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in text.strip().lower())
    return "-".join(filter(None, keep.split("-")))[:60] or "budgetopt"


def amount(value: float, unit: str) -> str:
    """A figure in its unit, as a finance lead writes it: £35.5m, 12.0 WTE, 3.0 percentage
    points, 120 admissions avoided (pence shown where they matter)."""
    if unit in ("£m", "£m a year"):
        digits = 1 if abs(value) >= 1 or value == 0 else 3
        return f"£{value:,.{digits}f}m"
    if unit == "£":
        return f"£{value:,.0f}"
    if unit in ("%", "pp", "percentage points", "share"):
        return f"{value * 100 if unit == 'share' else value:,.1f} percentage points"
    return f"{value:,.2f} {unit}".rstrip()


def _limit_words(value: float | None, unit: str, end: str) -> str:
    """A limit in its unit (£7.8m, 225.00 WTE); "any lower" / "any higher" (`end`) where the
    price holds however far the limit moves (±inf); "not known" where the range is not."""
    if value is None or pd.isna(value):
        return "not known"
    if value in (float("inf"), float("-inf")):
        return f"any {end}"
    value = float(value)
    return amount(0.0 if abs(value) < 1e-9 else value, unit)


def priced_rules(res: Results) -> pd.DataFrame:
    """The binding rules whose limit is worth something either way (a rise or a fall), the
    largest first, with their limit and the range over which each price holds in words."""
    b = res.binding()
    up = b["shadow_price"].abs().fillna(0.0)
    down = b["shadow_price_down"].abs().fillna(0.0)
    b = b[(up > 1e-9) | (down > 1e-9)]
    order = pd.concat([up, down], axis=1).max(axis=1).loc[b.index]
    b = b.loc[order.sort_values(ascending=False, kind="stable").index]
    return b.assign(
        limit_text=[_limit_words(v, u, "") for v, u in zip(b["limit"], b["unit"])],
        holds_from_text=[_limit_words(v, u, "lower") for v, u in zip(b["holds_from"],
                                                                      b["unit"])],
        holds_to_text=[_limit_words(v, u, "higher") for v, u in zip(b["holds_to"],
                                                                     b["unit"])])


def value_unit(inputs: Inputs | None) -> str:
    """What one unit of the objective is worth, as the data says: with the metrics table's
    ``weight_unit`` (£, £k or £m per unit of weight) '£k of social value'; else 'weighted
    outcome units'."""
    if inputs is not None and "weight_unit" in inputs.metrics.columns:
        given = [str(u).strip() for u in inputs.metrics["weight_unit"].dropna()
                 if str(u).strip()]
        if given and len(set(given)) == 1:
            return f"{given[0]} of social value"
    return "weighted outcome units"


def headline_sentence(res: Results, unit: str, n_years: int) -> str:
    """The headline in one sentence (markdown-safe: every figure is the app's own)."""
    if res.objective is None:
        return ""
    years = f"the {n_years} years of the plan" if n_years > 1 else "the year"
    if res.mode != "max_outcome":
        return md_text(f"The least money that meets every target and rule is "
                       f"{money(res.objective)} over {years} (later years discounted).")
    text = f"This plan buys {res.objective:,.0f} {unit} over {years} (later years discounted)"
    if res.baseline_objective:
        more = res.objective - res.baseline_objective
        text += (f": {abs(more):,.0f} {'more' if more >= 0 else 'less'} than today's "
                 f"allocation would ({res.baseline_objective:,.0f}).")
    else:
        text += "."
    return md_text(text)


def gap_words(res: Results, inputs: Inputs, policy: Policy) -> str:
    """Why the smallest relaxation is what it is, with units: against the gap between the
    protected minimums and the money in the first year, when minimums are what it moves."""
    if res.infeasibility is None or not res.infeasibility.relaxations:
        return ""
    year = inputs.years[0]
    relax = sum(r.relax_by for r in res.infeasibility.relaxations
                if r.family == "bounds" and r.keys.get("year") == year and r.unit == "£m")
    out = ("Each figure to relax is in its rule's own unit (£m for money and minimums, WTE "
           "for staff, the metric's unit for a target).")
    if relax <= 0:
        return out
    mins = inputs.services.set_index("service_id")["min_m"].fillna(0.0).astype(float)
    if policy.rules.bounds.enabled:
        for sid, b in policy.rules.bounds.services.items():
            if b.min_m is not None and sid in mins.index:
                mins[sid] = b.min_m
    from budgetopt.reports.charts import money_available

    fund = money_available(inputs, policy)
    have = float(fund.loc[(fund["year"] == year) & ~fund["cap_only"], "amount_m"].sum())
    gap = float(mins.sum()) - have
    if gap > 0 and relax > gap + 0.05 and policy.rules.eligibility.enabled:
        out = (f"In {year} the minimums add up to {amount(float(mins.sum()), '£m')} against "
               f"{amount(have, '£m')} of money, a gap of {amount(gap, '£m')}; the minimums "
               f"must give way by {amount(relax, '£m')}, more than the gap, because each "
               "funding source may pay only for the services it may (ring-fences): money "
               "that may not pay for the protected services cannot close the gap. " + out)
    elif gap > 0:
        out = (f"In {year} the minimums add up to {amount(float(mins.sum()), '£m')} against "
               f"{amount(have, '£m')} of money: a gap of {amount(gap, '£m')}. " + out)
    return out


def duals_against_curve(res: Results, slope: float | None, unit: str) -> str:
    """Why a year's shadow price on money and the budget curve's slope differ, in figures:
    `slope` is what £1m more on the first year's budget buys (a re-solve,
    :meth:`budgetopt.ui.state.Workspace.marginal_return`)."""
    rows = res.constraints
    money_rows = rows[(rows["family"] == "money") & rows["binding"]] if len(rows) else rows
    if slope is None or not len(money_rows):
        return ""
    first = money_rows["shadow_price"].iloc[0]
    years = money_rows["year"].nunique()
    return (f"The budget curve on the Trade-offs page is steeper than a shadow price on the "
            f"money: a shadow price (here {first:,.0f} {unit} per £1m) is what £1m more in "
            f"one year from one source buys; a step of the curve raises every source in every "
            f"one of the {years} years in proportion, so £1m more on the first year's budget "
            f"buys {slope:,.0f} {unit} (solved again with the budget £1m higher).")
