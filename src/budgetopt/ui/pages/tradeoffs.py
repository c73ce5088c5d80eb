"""Trade-offs: what each budget buys and what each rule costs, for a board."""

import numpy as np
import streamlit as st

from budgetopt import charts
from budgetopt.analysis import budget_curve, price_of_rules
from budgetopt.ui.state import workspace

ws = workspace()
st.title("Trade-offs")
st.caption("A board does not approve one number: these show what it trades. Each analysis "
           "re-solves the current data and rules; the dotted line marks this plan's budget.")
if ws.inputs is None:
    st.info("No valid data set yet: load one on the Data page.")
    st.stop()

policy = ws.effective_policy()
budget = ws.overrides.get("budget_m", ws.first_year_budget())

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
    with st.expander("The numbers"):
        st.dataframe(curve, hide_index=True, width="stretch")

st.subheader("The price of each rule")
st.caption("Each switched-on rule is switched off on its own and the plan solved again: the "
           "gain is what the rule costs. Money is priced by the budget curve above.")
if st.button("Price the rules", key="run-prices"):
    with st.spinner("Solving once without each rule…"):
        ws.keep_analysis("prices", price_of_rules(ws.inputs, policy))
prices = ws.analysis("prices")
if prices is not None:
    unit = "weighted outcome" if policy.objective == "max_outcome" else "£m"
    st.plotly_chart(charts.price_of_rules(prices, unit), width="stretch", key="chart-prices")
    st.dataframe(prices, hide_index=True, width="stretch")
