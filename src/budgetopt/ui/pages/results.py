"""Results: the headline, where the money goes, what it buys, and what each rule costs."""

import pandas as pd
import streamlit as st

from budgetopt.policy import Relax
from budgetopt.reports import charts
from budgetopt.results.summary import summary_lines
from budgetopt.ui.state import workspace
from budgetopt.ui.widgets import (
    amount,
    board_paper_download,
    file_stem,
    gap_words,
    headline_sentence,
    md_text,
    money,
    result_downloads,
    status_words,
    value_unit,
)

ws = workspace()
st.title("Results")
if ws.inputs is None:
    st.info("No valid data set yet: load one on the Data page.")
    st.stop()

with st.spinner("Solving…"):
    res = ws.answer()

policy = ws.effective_policy()
st.caption(md_text(f"{ws.label} · {policy.name}"
                   + (" · " + ", ".join(f"{k} = {v}" for k, v in ws.overrides.items())
                      if ws.overrides else "")))

first = res.allocation["year"].iloc[0] if len(res.allocation) else ws.inputs.years[0]
spend_1 = res.allocation.loc[res.allocation["year"] == first, "spend_m"].sum()
base_1 = res.allocation.loc[res.allocation["year"] == first, "baseline_m"].sum()
unit = value_unit(ws.inputs)
if not res.optimal:  # the whole status, never cut off in a metric box
    st.error(f"**{status_words(res.status)}** (the solver's own status: "
             f"{md_text(res.solver_status)}).")
c = st.columns(4)
c[0].metric("Status", res.status.replace("_", " ").capitalize(),
            help=f"{status_words(res.status)} (HiGHS: {res.solver_status})")
if res.objective is not None and res.mode == "max_outcome":
    delta = (f"{res.objective / res.baseline_objective - 1:+.1%} on today's allocation"
             if res.baseline_objective else None)
    c[1].metric(f"Weighted outcome, all years ({unit})", f"{res.objective:,.0f}", delta=delta,
                help=f"Every metric's outcome × its value weight, added over the "
                     f"{len(ws.inputs.years)} years of the plan, later years discounted.")
elif res.objective is not None:
    c[1].metric("Least cost (discounted, all years)", money(res.objective))
if res.objective is not None:
    c[2].metric(f"Spend {first}", money(spend_1),
                delta=f"{'+' if spend_1 - base_1 >= 0 else '−'}£{abs(spend_1 - base_1):,.1f}m "
                      "on today's", delta_color="off")
c[3].metric("Solved in", f"{sum(res.timings.values()):.2f} s")
if res.objective is not None:
    st.markdown(headline_sentence(res, unit, len(ws.inputs.years)))

relaxed = bool(policy.relax)
if res.warnings and not (relaxed and res.optimal):
    st.warning("Checked before the solve:\n" + "\n".join(f"- {md_text(w)}"
                                                         for w in dict.fromkeys(res.warnings)))
elif res.warnings:
    with st.expander("What the checks before the solve found without the relaxations"):
        st.markdown("\n".join(f"- {md_text(w)}" for w in dict.fromkeys(res.warnings)))

if relaxed:
    units = st.session_state.get("relax-units", {})
    st.info("Relaxed in this scenario: " + "; ".join(
        f"'{md_text(r.rule)}' by {md_text(amount(r.by, units.get(r.rule, '£m')))}"
        for r in policy.relax))
    if st.button("Undo the relaxations", key="undo-relax"):
        ws.tune_policy(ws.policy.model_copy(update={"relax": []}), "relaxations removed")
        st.rerun()

if res.infeasibility is not None:
    advice = res.infeasibility
    message = advice.message
    for w in res.warnings:  # said once, above
        message = message.replace(w, "")
    st.error(md_text(" ".join(message.split())) + "\n\n" + md_text(gap_words(res, ws.inputs,
                                                                             policy)))
    if advice.relaxations:
        st.dataframe(pd.DataFrame([{"rule": r.name, "relax by": amount(r.relax_by, r.unit)}
                                   for r in advice.relaxations]),
                     hide_index=True, width="stretch",
                     column_config={"rule": st.column_config.TextColumn("Rule", width="large"),
                                    "relax by": "Relax by"})
        if st.button("Apply this advice and solve again", type="primary", key="apply-relax"):
            extra = [Relax(rule=r.name, by=r.relax_by) for r in advice.relaxations]
            st.session_state.setdefault("relax-units", {}).update(
                {r.name: r.unit for r in advice.relaxations})
            ws.tune_policy(ws.policy.model_copy(update={"relax": [*ws.policy.relax, *extra]}),
                           "infeasibility advice applied")
            st.rerun()

if res.objective is None:
    st.stop()

tabs = st.tabs(["Summary", "Where the money goes", "By sector", "By service", "By place",
                "Outcomes", "What the rules cost", "Services at the margin"])
with tabs[0]:
    st.markdown("\n".join(("    - " if line.startswith("  ") else "- ") + md_text(line.strip())
                           for line in summary_lines(res)[1:]))
with tabs[1]:
    flow_years = ["all years", *dict.fromkeys(res.allocation["year"])]
    flow_year = st.selectbox("Year", flow_years, key="flow-year")
    st.plotly_chart(charts.money_flow(res.allocation, res.funding_flows,
                                      charts.money_available(ws.inputs, policy),
                                      ws.inputs.places,
                                      None if flow_year == flow_years[0] else flow_year),
                    width="stretch", key="chart-flow")
    st.caption("Today's spend (top) and the plan's (below), £m: from each funding source "
               "(through each Health and Wellbeing Board's pool, when the data has them) to "
               "sectors and services. The data does not say which source pays for what today.")
with tabs[2]:
    years = ["all years", *dict.fromkeys(res.allocation["year"])]
    year = st.selectbox("Year", years, key="sector-year")
    st.plotly_chart(charts.spend_by_sector(res.allocation, None if year == years[0] else year),
                    width="stretch", key="chart-sector")
with tabs[3]:
    st.plotly_chart(charts.change_by_service(res.allocation), width="stretch",
                    key="chart-service")
    table = (res.allocation.groupby(["name", "sector", "year"], sort=False)
             [["baseline_m", "spend_m", "change_m"]].sum().reset_index())
    st.dataframe(table, hide_index=True, width="stretch", column_config={
        "baseline_m": st.column_config.NumberColumn("baseline (£m)", format="%.2f"),
        "spend_m": st.column_config.NumberColumn("optimised (£m)", format="%.2f"),
        "change_m": st.column_config.NumberColumn("change (£m)", format="%+.2f")})
with tabs[4]:
    if ws.inputs.has_places:
        st.plotly_chart(charts.spend_by_place(res.allocation, ws.inputs.places),
                        width="stretch", key="chart-place")
        by_place = (res.allocation.groupby(["place_id", "year"], sort=False)
                    [["baseline_m", "spend_m", "change_m"]].sum().reset_index())
        st.dataframe(by_place, hide_index=True, width="stretch")
    else:
        st.info("This data set has no places: the allocation is ICS-wide.")
with tabs[5]:
    st.plotly_chart(charts.outcomes_against_baseline(res.outcomes), width="stretch",
                    key="chart-outcomes")
    st.dataframe(res.outcomes[["name", "unit", "year", "baseline_value", "value", "change",
                               "weighted_value"]], hide_index=True, width="stretch")
with tabs[6]:
    binding = res.binding()
    binding = binding[binding["shadow_price"].abs() > 1e-9]
    if not len(binding):
        st.info("No rule binds: each could be tightened a little at no cost.")
    else:
        st.caption("A rule's shadow price is what the objective would gain if the rule's limit "
                   "moved by one unit (for small changes). Largest first.")
        st.dataframe(binding[["meaning", "family", "year", "limit", "unit", "shadow_price"]],
                     hide_index=True, width="stretch")
    if res.duals_note:
        st.caption(f"Shadow prices {res.duals_note}")
with tabs[7]:
    if len(res.reduced_costs):
        st.caption("Services that get no more money, and how much more effective each would "
                   "need to be to get some. Small numbers: close to the margin.")
        st.dataframe(res.reduced_costs[["meaning", "needs_per_m", "relative"]],
                     hide_index=True, width="stretch")
    else:
        st.info("Every service is funded at the margin.")

st.divider()
result_downloads(res, file_stem(f"{ws.label}-{policy.name}"), "results", ws.inputs,
                 analyses=ws.workbook_analyses())
st.subheader("The board paper")
st.caption("A PDF of 4-10 pages for a board: the decision asked for, where the money goes, "
           "what each rule costs, the trade-offs and the risks, with the assumptions and "
           "provenance in an appendix.")
board_paper_download(res, file_stem(f"{ws.label}-{policy.name}"), "results", ws.inputs,
                     policy, ws.signature())
