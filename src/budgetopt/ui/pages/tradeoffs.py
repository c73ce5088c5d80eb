"""Trade-offs: what each budget buys and what each rule costs, for a board."""

import numpy as np
import streamlit as st

from budgetopt.analyses.evpi import evpi, evpi_sentences
from budgetopt.analyses.flexibility import flexibility, flexibility_sentences, sector_words
from budgetopt.analyses.pareto import objective_names, pareto_frontier
from budgetopt.analyses.sweeps import budget_curve, price_of_minimums, price_of_rules
from budgetopt.analyses.uncertainty import monte_carlo, robust_allocation
from budgetopt.reports import charts
from budgetopt.ui.state import workspace
from budgetopt.ui.tables import show_table
from budgetopt.ui.widgets import md_text, show_chart, value_unit

ws = workspace()
st.title("Trade-offs")
st.caption("A board does not approve one number: these show what it trades. Each analysis "
           "re-solves the current data and rules; the dotted line marks this plan's budget.")
if ws.inputs is None:
    st.info("No valid data set yet: load one on the Data page.")
    st.stop()

policy = ws.effective_policy()
budget = ws.budget()
unit = value_unit(ws.inputs) if policy.objective == "max_outcome" else "£m"

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
    show_chart(charts.budget_curve(curve, budget, y_unit=unit if unit != "£m" else
                                   "least cost (£m)"), key="chart-curve")
    res = ws.answer()
    slope = ws.marginal_return() if res is not None and res.optimal else None
    st.caption(md_text(
        f"The marginal return is what £1m more on the first year's budget buys when every "
        f"funding source in every year of the plan grows in proportion (the budget curve's "
        f"slope, in {unit} per £1m)"
        + (f"; at this plan's budget about {slope:,.0f}." if slope else ".")
        + " The shadow prices on the Results page are smaller because each is what £1m more "
        "in one year from one source buys."))
    show_chart(charts.sector_mix(curve), key="chart-mix")
    with st.expander("The numbers, and where each service gets money beyond its minimum"):
        shown = curve.copy()
        shown.attrs = {}  # the per-service tables live in attrs; shown below
        show_table(shown, [c for c in shown.columns if c != "status"],
                   headers={"objective": f"Objective ({unit})"}, key="table-curve")
        show_table(curve.attrs["entries"], ["name", "minimum_m", "enters_at_m",
                                            "leaves_after_m"], key="table-entries")

st.subheader("The price of each rule")
st.caption("Each switched-on rule is switched off on its own and the plan solved again: the "
           "gain is what the rule costs. Money is priced by the budget curve above.")
if st.button("Price the rules", key="run-prices"):
    with st.spinner("Solving once without each rule, and without each protected minimum…"):
        ws.keep_analysis("prices", price_of_rules(ws.inputs, policy))
        ws.keep_analysis("minimums", price_of_minimums(ws.inputs, policy))
prices = ws.analysis("prices")
if prices is not None:
    show_chart(charts.price_of_rules(prices, unit), key="chart-prices")
    show_table(prices, ["title", "objective_with", "objective_without", "price",
                        "status_without"],
               headers={"price": f"What it costs ({unit})",
                        "objective_with": f"With the rule ({unit})",
                        "objective_without": f"Without it ({unit})"}, key="table-prices")
    minimums = ws.analysis("minimums")
    if minimums is not None:
        st.caption("Protected minimums: the outcome given up by guaranteeing each service its "
                   "minimum (0 when the money would go there anyway).")
        show_table(minimums, ["name", "minimum_m", "price"],
                   headers={"price": f"What the minimum costs ({unit})"},
                   key="table-minimums")

st.subheader("What else is nearly as good")
st.caption("The plan on the Results page is the best one, but rarely the only good one. For "
           "each service and year: the least and the most it could receive while the outcome "
           "stays within a tolerance of the best and every rule is kept; then the plan that, "
           "within the same tolerance, most favours each sector in turn. A wide range is a "
           "free choice for the board; a narrow one is what the rules and the evidence force.")
if policy.objective == "max_outcome":
    tolerance_label = "Outcome within (% of the best)"
else:
    tolerance_label = "Cost within (% above the least)"
c1, c2 = st.columns([1, 3])
tolerance = c1.number_input(tolerance_label, min_value=0.0, max_value=10.0, value=1.0,
                            step=0.5, format="%.1f", key="flex-slack")
c2.markdown("&nbsp;")
if c2.button("Find what else is nearly as good", key="run-flex"):
    bar = st.progress(0.0, text="Solving for the least and the most of each service…")
    try:
        found = flexibility(ws.inputs, policy, tolerance / 100.0, overrides=ws.overrides or None,
                            progress=lambda i, n: bar.progress(i / n, text=f"{i} of {n}"))
    except ValueError as err:  # not optimal: nothing to be nearly as good as
        st.error(md_text(f"No ranges: {err}. Fix the plan on the Results page first."))
    else:
        ws.keep_analysis("flexibility", found)
    bar.empty()
flex_found = ws.analysis("flexibility")
if flex_found is not None:
    flex = flex_found["flexibility"]
    slack = flex.attrs.get("slack", 0.01)
    flex_names = dict(zip(ws.inputs.services["service_id"], ws.inputs.services["name"]))
    flex_years = list(dict.fromkeys(flex["year"]))
    flex_year = st.selectbox("Year", flex_years, key="flex-year")
    show_chart(charts.flexibility_ranges(flex, flex_names, flex_year), key="chart-flex")
    st.caption(md_text(
        f"Each bar (and each row of the table below) runs from the least to the most the service could receive in {flex_year} "
        f"(£m) with the {'outcome within' if policy.objective == 'max_outcome' else 'cost within'}"
        f" {slack:.1%} of the best; the mark is this plan's figure. Each range is for one "
        "service on its own: the others move to make room, so two services cannot both take "
        "their most at once."))
    for sentence in flexibility_sentences(flex_found):
        st.markdown("- " + md_text(sentence))
    shown = flex[flex["year"] == flex_year].sort_values("free_m", ascending=False)
    show_table(shown, ["name", "spend_m", "min_m", "max_m", "free_m"],
               headers={"spend_m": "This plan (£m)", "min_m": "Least (£m)",
                        "max_m": "Most (£m)", "free_m": "Room to move (£m)"},
               kinds={"free_m": "money"}, key="table-flex",
               height=36 * (len(shown) + 1) + 3)  # every service, no scrolling
    alternatives = flex_found["alternatives"]
    if len(alternatives):
        st.caption(md_text(
            f"Plans within {slack:.1%} of the best that most favour each sector (its spend "
            "over the plan as high as the tolerance allows), and where each differs most "
            "from this plan (over the plan, £m)."))
        alt = alternatives.assign(favours=alternatives["favours"].map(
            lambda s: sector_words(s)[:1].upper() + sector_words(s)[1:]))
        show_table(alt, ["favours", "objective", "given_up_pct", "differs"],
                   headers={"favours": "The plan that most favours",
                            "objective": f"Its objective ({unit})",
                            "given_up_pct": ("Outcome given up (%)"
                                             if policy.objective == "max_outcome"
                                             else "Cost added (%)"),
                            "differs": "Where it differs most from this plan"},
                   kinds={"given_up_pct": "pct"}, key="table-alternatives")

st.subheader("Health gain against another aim")
st.caption("The Pareto frontier: the most of the first aim that can be had for each level of "
           "the second, every rule kept. A plan below the line gives up both.")
names = objective_names(ws.inputs)
metric_names = dict(zip(ws.inputs.metrics["metric_id"], ws.inputs.metrics["name"]))


def _aim(name: str) -> str:
    """An aim in words: the objective, a metric by its name, or equity across places."""
    if name == "outcome":
        return f"Weighted outcome ({unit})"
    if name == "equity":
        return "Equity: the gap in spend per need-weighted head between places"
    mid = name.split(":", 1)[-1]
    return metric_names.get(mid, mid)


c1, c2, c3 = st.columns([2, 2, 1])
first = c1.selectbox("First aim", names, index=0, key="pareto-first", format_func=_aim)
second = c2.selectbox("Traded against", names, index=len(names) - 1, key="pareto-second",
                      format_func=_aim)
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
    show_chart(charts.pareto(frontier), key="chart-pareto")
    base = frontier.attrs["baseline"]
    st.markdown("Today's allocation (the baseline, before optimising) is **dominated**: a "
                "plan on the frontier does better on both aims." if base["dominated"] else
                "Today's allocation (the baseline, before optimising) is on the frontier.")
    st.caption("The frontier's points are optimised plans; the one on the Results page is "
               "the point with the most of the first aim when the second is left free. The "
               "table gives what one more unit of the second aim is worth at each point (the "
               "shadow price of the row that holds it there).")
    show_table(frontier, ["point", "first", "second", "trade_off", "meaning"],
               headers={"first": frontier.attrs["first"]["label"],
                        "second": frontier.attrs["second"]["label"],
                        "meaning": "What it means"},
               kinds={"first": "value", "second": "number"}, key="table-pareto")

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
    show_chart(charts.outcome_distribution(mc["outcomes"]), key="chart-mc")
    st.caption(f"The outcome ({md_text(unit)}) of this plan (central estimates) and of the "
               "best plan for each sample, over the samples.")
    show_table(mc["summary"].assign(allocation=mc["summary"]["allocation"].map(
        {"central_plan": "This plan (central estimates)",
         "optimal": "Best plan for each sample"}).fillna(mc["summary"]["allocation"])),
        key="table-mc")
    st.caption("How often each scheme gets more than its minimum, and grows, in the best plan "
               "for a sample.")
    show_table(mc["schemes"], ["name", "p_beyond_minimum", "p_grows", "central_spend_m",
                               "mean_spend_m", "p5_spend_m", "p95_spend_m"],
               key="table-schemes")
robust = ws.analysis("robust")
if robust is not None:
    show_chart(charts.robust_comparison(robust["comparison"]), key="chart-robust")
    moved = robust["allocation"][robust["allocation"]["difference_m"].abs() > 0.05]
    if len(moved):
        st.caption("Where the robust plan differs from the central-estimate plan (£m, all "
                   "years).")
        show_table(moved, ["name", "central_spend_m", "robust_spend_m", "difference_m"],
                   key="table-robust")
    else:
        st.caption("The robust plan spends as the central-estimate plan does (within £0.05m "
                   "on every line).")

st.subheader("Which evidence gap is worth closing")
st.caption("The value of perfect information: how much better, on average, the plan would be "
           "if the effects were known exactly before deciding (all of them, and each service's "
           "alone), from the same samples. It is the most a study is worth for this decision.")
if policy.objective != "max_outcome":
    st.info("The value of information is measured in outcome: it needs the objective "
            "'maximise outcome'.")
elif st.button("Work out the value of better evidence", key="run-evpi"):
    bar = st.progress(0.0, text="Solving each sample…")
    ws.keep_analysis("evpi", evpi(ws.inputs, policy, int(n_samples), seed=int(seed),
                                  progress=lambda i, n: bar.progress(i / n,
                                                                     text=f"{i} of {n}")))
    bar.empty()
value = ws.analysis("evpi")
if value is not None:
    service_names = dict(zip(ws.inputs.services["service_id"], ws.inputs.services["name"]))
    show_chart(charts.evidence_value(value, service_names), key="chart-evpi")
    for sentence in evpi_sentences(value):
        st.markdown("- " + md_text(sentence))
    show_table(value, ["name", "evppi", "evppi_gbp", "share_of_evpi", "certainty"],
               headers={"evppi": f"Value of perfect information ({unit})",
                        "evppi_gbp": "In £"}, key="table-evpi")
