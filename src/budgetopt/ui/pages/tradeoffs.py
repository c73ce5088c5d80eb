"""Trade-offs: what each budget buys and what each rule costs, for a board."""

import numpy as np
import streamlit as st

from budgetopt.analyses.pareto import objective_names, pareto_frontier
from budgetopt.analyses.sweeps import budget_curve, price_of_minimums, price_of_rules
from budgetopt.analyses.uncertainty import monte_carlo, robust_allocation
from budgetopt.reports import charts
from budgetopt.ui.state import workspace

ws = workspace()
st.title("Trade-offs")
st.caption("A board does not approve one number: these show what it trades. Each analysis "
           "re-solves the current data and rules; the dotted line marks this plan's budget.")
if ws.inputs is None:
    st.info("No valid data set yet: load one on the Data page.")
    st.stop()

policy = ws.effective_policy()
budget = ws.budget()

st.subheader("What each budget buys")
c1, c2, c3 = st.columns(3)
low = c1.number_input("From (£m)", value=float(round(budget * 0.8)), step=5.0, key="curve-low")
high = c2.number_input("To (£m)", value=float(round(budget * 1.2)), step=5.0, key="curve-high")
points = c3.slider("Points", 5, 50, 21, key="curve-points")
if st.button("Draw the budget curve", type="primary", key="run-curve"):
    if high <= low:
        st.error("'To' must be more than 'From'.")
    else:
        bar = st.progress(0.0, text="Solving each budget…")
        curve = budget_curve(ws.inputs, policy, list(np.linspace(low, high, points)),
                             progress=lambda i, n: bar.progress(i / n, text=f"{i} of {n}"))
        bar.empty()
        ws.keep_analysis("curve", curve)
curve = ws.analysis("curve")
if curve is not None:
    st.plotly_chart(charts.budget_curve(curve, budget), width="stretch", key="chart-curve")
    st.plotly_chart(charts.sector_mix(curve), width="stretch", key="chart-mix")
    with st.expander("The numbers, and where each service gets money beyond its minimum"):
        shown = curve.copy()
        shown.attrs = {}  # the per-service tables live in attrs; shown below
        st.dataframe(shown, hide_index=True, width="stretch")
        st.dataframe(curve.attrs["entries"], hide_index=True, width="stretch")

st.subheader("The price of each rule")
st.caption("Each switched-on rule is switched off on its own and the plan solved again: the "
           "gain is what the rule costs. Money is priced by the budget curve above.")
if st.button("Price the rules", key="run-prices"):
    with st.spinner("Solving once without each rule, and without each protected minimum…"):
        ws.keep_analysis("prices", price_of_rules(ws.inputs, policy))
        ws.keep_analysis("minimums", price_of_minimums(ws.inputs, policy))
prices = ws.analysis("prices")
if prices is not None:
    unit = "weighted outcome" if policy.objective == "max_outcome" else "£m"
    st.plotly_chart(charts.price_of_rules(prices, unit), width="stretch", key="chart-prices")
    st.dataframe(prices, hide_index=True, width="stretch")
    minimums = ws.analysis("minimums")
    if minimums is not None:
        st.caption("Protected minimums: the outcome given up by guaranteeing each service its "
                   "minimum (0 when the money would go there anyway).")
        st.dataframe(minimums, hide_index=True, width="stretch")

st.subheader("Health gain against another aim")
st.caption("The Pareto frontier: the most of the first aim that can be had for each level of "
           "the second, every rule kept. A plan below the line gives up both.")
names = objective_names(ws.inputs)
c1, c2, c3 = st.columns([2, 2, 1])
first = c1.selectbox("First aim", names, index=0, key="pareto-first")
second = c2.selectbox("Traded against", names, index=len(names) - 1, key="pareto-second")
n_points = c3.slider("Points", 3, 21, 11, key="pareto-points")
if st.button("Trace the frontier", key="run-pareto"):
    if first == second:
        st.error("Choose two different aims.")
    else:
        with st.spinner("Solving along the frontier…"):
            ws.keep_analysis("pareto", pareto_frontier(ws.inputs, policy, first, second,
                                                       n_points))
frontier = ws.analysis("pareto")
if frontier is not None:
    st.plotly_chart(charts.pareto(frontier), width="stretch", key="chart-pareto")
    base = frontier.attrs["baseline"]
    st.markdown("The current allocation is **dominated**: a plan on the frontier does better "
                "on both aims." if base["dominated"] else "The current allocation is on the "
                "frontier.")
    st.caption("What one more unit of the second aim is worth at each point (the shadow price "
               "of the row that holds it there):")
    st.dataframe(frontier[["point", "first", "second", "trade_off", "meaning"]].rename(
        columns={"first": frontier.attrs["first"]["label"],
                 "second": frontier.attrs["second"]["label"]}),
        hide_index=True, width="stretch")

st.subheader("If the evidence is weaker or stronger")
st.caption("Monte Carlo over the low/central/high effects (PERT, one draw per service so its "
           "outcomes move together): how this plan fares, how often each scheme is in the best "
           "plan, and a robust plan that protects the worst 10% of outcomes.")
c1, c2 = st.columns(2)
n_samples = c1.number_input("Samples", 100, 5000, 1000, step=100, key="mc-samples")
seed = c2.number_input("Seed", 0, 10**6, 0, key="mc-seed")
if st.button("Run the Monte Carlo and the robust plan", key="run-mc"):
    bar = st.progress(0.0, text="Solving each sample…")
    mc = monte_carlo(ws.inputs, policy, int(n_samples), seed=int(seed),
                     progress=lambda i, n: bar.progress(i / n, text=f"{i} of {n}"))
    bar.empty()
    ws.keep_analysis("mc", mc)
    with st.spinner("Solving the robust plan…"):
        ws.keep_analysis("robust", robust_allocation(ws.inputs, policy, 200, seed=int(seed)))
mc = ws.analysis("mc")
if mc is not None:
    st.plotly_chart(charts.outcome_distribution(mc["outcomes"]), width="stretch",
                    key="chart-mc")
    st.dataframe(mc["summary"], hide_index=True, width="stretch")
    st.dataframe(mc["schemes"], hide_index=True, width="stretch",
                 column_config={c: st.column_config.ProgressColumn(c, format="percent",
                                                                   min_value=0, max_value=1)
                                for c in ("p_beyond_minimum", "p_grows")})
robust = ws.analysis("robust")
if robust is not None:
    st.plotly_chart(charts.robust_comparison(robust["comparison"]), width="stretch",
                    key="chart-robust")
    moved = robust["allocation"][robust["allocation"]["difference_m"].abs() > 0.05]
    st.dataframe(moved, hide_index=True, width="stretch")
