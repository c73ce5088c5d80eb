"""Results: the headline, where the money goes, what it buys, and what each rule costs."""

import pandas as pd
import streamlit as st

from budgetopt.data.inputs import Inputs
from budgetopt.policy import Relax
from budgetopt.reports import charts
from budgetopt.results.summary import summary_lines
from budgetopt.results.tables import Results
from budgetopt.ui.state import workspace
from budgetopt.ui.tables import show_table
from budgetopt.ui.widgets import (
    amount,
    board_paper_download,
    duals_against_curve,
    file_stem,
    gap_words,
    headline_sentence,
    md_text,
    money,
    overrides_words,
    priced_rules,
    result_downloads,
    show_chart,
    status_words,
    value_unit,
)

ws = workspace()



def pin_a_line(res) -> None:
    """Fix one service's spend (a pin), solve again and see what it costs; unpin."""
    st.subheader("Pin a line")
    st.caption("Fix what a service gets, whatever the model would say (a contract already "
               "signed, a promise made), solve again and see what the pin costs.")
    names = dict(zip(inputs.services["service_id"], inputs.services["name"]))
    years = ["every year", *inputs.years]
    c1, c2, c3, c4 = st.columns([3, 1.2, 1.2, 1.4])
    sid = c1.selectbox("Service", list(names), format_func=lambda k: names.get(k, k),
                       key="pin-service")
    year = c2.selectbox("Year", years, key="pin-year")
    now = res.allocation[(res.allocation["service_id"] == sid)
                         & ((res.allocation["year"] == inputs.years[0]) if year == years[0]
                            else (res.allocation["year"] == year))]["spend_m"].sum()
    spend = c3.number_input("Spend (£m a year)", min_value=0.0, value=round(float(now), 1),
                            step=0.5, key=f"pin-spend-{sid}-{year}")
    c4.markdown("&nbsp;")
    if c4.button("Pin it and solve again", key="pin-add"):
        data = ws.policy.model_dump(mode="python")
        pins = [p for p in data["pins"] if not (p["service_id"] == sid and p.get("place_id")
                                                is None and p.get("year") == (
                                                    None if year == years[0] else year))]
        data["pins"] = [*pins, {"service_id": sid, "spend_m": spend,
                                "year": None if year == years[0] else year}]
        policy, problems = ws.try_policy(data)
        if policy is None or problems:
            st.error("Not pinned: " + md_text(" ".join(p.message for p in problems)))
        else:
            ws.tune_policy(policy, f"pinned {sid} at £{spend:,.1f}m")
            st.rerun()
    if not ws.policy.pins:
        return
    rows = res.constraints[res.constraints["family"] == "pins"]
    without = ws.objective_without_pins()
    if without is not None and res.objective is not None:
        cost = without - res.objective if res.mode == "max_outcome" else res.objective - without
        what = unit if res.mode == "max_outcome" else "£m"
        st.info(md_text(f"The pins cost {cost:,.0f} {what} over the plan: the plan without "
                        f"them gets {without:,.0f}, with them {res.objective:,.0f}."))
    if len(rows):
        show_table(rows, ["meaning", "year", "limit", "shadow_price"],
                   headers={"meaning": "What £1m more on the pinned line does",
                            "limit": "Pinned at (£m)"}, kinds={"limit": "money"},
                   key="table-pins")
    for i, pin in enumerate(ws.policy.pins):
        label = (f"Unpin {names.get(pin.service_id, pin.service_id)} "
                 f"({pin.year or 'every year'}, £{pin.spend_m:,.1f}m)")
        if st.button(md_text(label), key=f"pin-remove-{i}"):
            left = [p for j, p in enumerate(ws.policy.pins) if j != i]
            ws.tune_policy(ws.policy.model_copy(update={"pins": left}),
                           f"unpinned {pin.service_id}")
            st.rerun()
st.title("Results")
if ws.inputs is None:
    st.info("No valid data set yet: load one on the Data page.")
    st.stop()
inputs: Inputs = ws.inputs

with st.spinner("Solving…"):
    answer = ws.answer()
if answer is None:  # no answer without a data set: said above
    st.stop()
res: Results = answer

policy = ws.effective_policy()
st.caption(md_text(f"{ws.label} · {policy.name}"
                   + (" · " + overrides_words(ws.overrides, ws.inputs.years[0])
                      if ws.overrides else "")))

first = res.allocation["year"].iloc[0] if len(res.allocation) else inputs.years[0]
spend_1 = res.allocation.loc[res.allocation["year"] == first, "spend_m"].sum()
base_1 = res.allocation.loc[res.allocation["year"] == first, "baseline_m"].sum()
unit = value_unit(inputs)
if not res.optimal:  # the whole status, never cut off in a metric box
    st.error(f"**{status_words(res.status)}** (the solver's own status: "
             f"{md_text(res.solver_status)}).")
c = st.columns([1, 2.2, 1.3, 0.8])
c[0].metric("Status", res.status.replace("_", " ").capitalize(),
            help=f"{status_words(res.status)} (HiGHS: {res.solver_status})")
if res.objective is not None and res.mode == "max_outcome":
    delta = (f"{res.objective / res.baseline_objective - 1:+.1%} on today's allocation"
             if res.baseline_objective else None)
    c[1].metric(f"Weighted outcome ({unit})", f"{res.objective:,.0f}", delta=delta,
                help=f"Every metric's outcome × its value weight, added over the "
                     f"{len(inputs.years)} years of the plan, later years discounted.")
elif res.objective is not None:
    c[1].metric("Least cost (discounted, all years)", money(res.objective))
if res.objective is not None:
    c[2].metric(f"Spend {md_text(first)}", money(spend_1),
                delta=f"{'+' if spend_1 - base_1 >= 0 else '−'}£{abs(spend_1 - base_1):,.1f}m "
                      "on today's", delta_color="off")
c[3].metric("Solved in", f"{sum(res.timings.values()):.2f} s")
if res.objective is not None:
    st.markdown(headline_sentence(res, unit, len(inputs.years)))

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
        f"'{md_text(r.rule)}' {'moved ' + r.direction + ' ' if r.direction else ''}by "
        f"{md_text(amount(r.by, units.get(r.rule, '£m')))}" for r in policy.relax))
    if st.button("Undo the relaxations", key="undo-relax"):
        ws.tune_policy(ws.policy.model_copy(update={"relax": []}), "relaxations removed")
        st.rerun()

if res.infeasibility is not None:
    advice = res.infeasibility
    message = advice.message
    for w in res.warnings:  # said once, above
        message = message.replace(w, "")
    st.error(md_text(" ".join(message.split())) + "\n\n" + md_text(gap_words(res, inputs,
                                                                             policy)))
    if advice.relaxations:
        st.dataframe(pd.DataFrame([{"rule": r.name, "relax by": amount(r.relax_by, r.unit)
                                    + (f" {r.direction}" if r.direction else "")}
                                   for r in advice.relaxations]),
                     hide_index=True, width="stretch",
                     column_config={"rule": st.column_config.TextColumn("Rule", width="large"),
                                    "relax by": "Relax by"})
        if st.button("Apply this advice and solve again", type="primary", key="apply-relax"):
            extra = [Relax(rule=r.name, by=r.relax_by, direction=r.direction or None)
                     for r in advice.relaxations]
            st.session_state.setdefault("relax-units", {}).update(
                {r.name: r.unit for r in advice.relaxations})
            ws.tune_policy(ws.policy.model_copy(update={"relax": [*ws.policy.relax, *extra]}),
                           "infeasibility advice applied")
            st.rerun()

if res.objective is None:
    st.stop()


def chart(name, make) -> None:
    """A chart made once per data and policy in this session (see Workspace.kept)."""
    show_chart(ws.kept(("chart", *name), make), key=f"chart-{name[0]}")


def summary_tab() -> None:
    lines = [line for line in summary_lines(res)[1:]  # the warnings are above, once
             if not line.startswith("Warning: ")
             and (res.infeasibility is None or line != res.infeasibility.message)]
    st.markdown("\n".join(("    - " if line.startswith("  ") else "- ") + md_text(line.strip())
                           for line in lines))


def money_flow_tab() -> None:
    flow_years = ["all years", *dict.fromkeys(res.allocation["year"])]
    flow_year = st.selectbox("Year", flow_years, key="flow-year")
    chart(("flow", flow_year), lambda: charts.money_flow(
        res.allocation, res.funding_flows, ws.money(), inputs.places,
        None if flow_year == flow_years[0] else flow_year))
    st.caption("Today's spend (top) and the plan's (below), £m: from each funding source "
               "(through each Health and Wellbeing Board's pool, when the data has them) to "
               "sectors and services. The data does not say which source pays for what today.")


def by_sector_tab() -> None:
    years = ["all years", *dict.fromkeys(res.allocation["year"])]
    year = st.selectbox("Year", years, key="sector-year")
    chart(("sector", year), lambda: charts.spend_by_sector(
        res.allocation, None if year == years[0] else year))


def by_service_tab() -> None:
    chart(("service",), lambda: charts.change_by_service(res.allocation))
    table = (res.allocation.groupby(["name", "sector", "year"], sort=False)
             [["baseline_m", "spend_m", "change_m"]].sum().reset_index())
    st.caption("Each service's spend today and in the plan, £m a year (all places).")
    show_table(table, key="table-service")
    pin_a_line(res)


def by_place_tab() -> None:
    if inputs.has_places:
        chart(("place",), lambda: charts.spend_by_place(res.allocation, inputs.places))
        by_place = (res.allocation.groupby(["place_id", "year"], sort=False)
                    [["baseline_m", "spend_m", "change_m"]].sum().reset_index())
        names = dict(zip(inputs.places["place_id"], inputs.places["name"]))
        by_place["place_id"] = by_place["place_id"].map(lambda p: names.get(p, p))
        st.caption("Each place's spend today and in the plan, £m a year (all services).")
        show_table(by_place, key="table-place")
        if inputs.has_hwbs:
            st.subheader("By Health and Wellbeing Board")
            chart(("hwb",), lambda: charts.spend_by_hwb(res.allocation, inputs.places))
            hwb_of = dict(zip(inputs.places["place_id"], inputs.places["hwb_id"]))
            hwb_names = dict(zip(inputs.hwb_table()["hwb_id"], inputs.hwb_table()["name"]))
            by_hwb = (res.allocation.assign(hwb=res.allocation["place_id"].map(
                lambda p: hwb_names.get(hwb_of.get(p), hwb_of.get(p)) or "ICS-wide"))
                .groupby(["hwb", "year"], sort=False)[["baseline_m", "spend_m", "change_m"]]
                .sum().reset_index())
            st.caption("Each board's places: spend today and in the plan, £m a year. Each "
                       "board's BCF plan downloads below (a zip, one workbook per board).")
            show_table(by_hwb, headers={"hwb": "Health and Wellbeing Board"}, key="table-hwb")
    else:
        st.info("This data set has no places: the allocation is ICS-wide.")


def outcomes_tab() -> None:
    chart(("outcomes",), lambda: charts.outcomes_against_baseline(res.outcomes))
    st.caption(f"Each metric's outcome today and in the plan, in its own unit; 'weighted' is "
               f"the outcome × its value weight, in {md_text(unit)}.")
    show_table(res.outcomes, ["name", "unit", "year", "baseline_value", "value", "change",
                              "weighted_value"],
               headers={"name": "Metric", "weighted_value": f"Weighted ({unit})"},
               kinds={"baseline_value": "value", "value": "value", "change": "value"},
               key="table-outcomes")


def rule_costs_tab() -> None:
    binding = priced_rules(res)
    if not len(binding):
        st.info("No rule binds: each could be tightened a little at no cost.")
    else:
        st.caption(f"A rule's shadow price is what the objective ({md_text(unit)}) would gain "
                   "if the rule's limit rose by one unit of its own (£1m, one WTE, ...), and "
                   "what it would give up for each unit less; each holds while the limit stays "
                   "between the two figures given (beyond them another rule takes over and "
                   "the price changes). Largest first.")
        st.caption(md_text(duals_against_curve(res, ws.marginal_return(), unit)))
        st.caption(md_text(f"In the table: the limit today in the rule's own unit; what one "
                           f"unit more of it buys and one unit less gives up ({unit}); and "
                           "the limits between which those prices hold."))
        show_table(binding, ["meaning", "limit_text", "shadow_price", "shadow_price_down",
                             "holds_from_text", "holds_to_text"],
                   headers={"meaning": "What one more unit of the limit is worth",
                            "limit_text": "Limit today", "shadow_price": "A unit more buys",
                            "shadow_price_down": "A unit less gives up",
                            "holds_from_text": "Holds down to", "holds_to_text": "Holds up to"},
                   kinds={"shadow_price_down": "number"})
    if res.duals_note:
        st.caption(f"Shadow prices {md_text(res.duals_note)}")


def at_the_margin_tab() -> None:
    rc = res.reduced_costs
    if len(rc):  # only the service-years that get no more money than today
        change = res.allocation.groupby(["service_id", "year"])["change_m"].sum()
        grows = [change.get((s, y), 0.0) > 0.05 for s, y in zip(rc["service_id"], rc["year"])]
        rc = rc[[not g for g in grows]]
    if len(rc):
        st.caption(f"Services that get no more money than today, and how much more outcome "
                   f"({md_text(unit)}) per £1m each would need to buy to get some. Small "
                   "numbers: close to the margin.")
        show_table(rc, ["meaning", "needs_per_m", "relative"],
                   headers={"meaning": "What it would take"})
    else:
        st.info("Every service that could use more money gets some.")


# Only the open tab's content is made (a tab switch reruns the page, whose answer is kept):
# its charts, tables and the marginal return's re-solve do not delay the page after a change.
TABS = {"Summary": summary_tab, "Where the money goes": money_flow_tab,
        "By sector": by_sector_tab, "By service": by_service_tab, "By place": by_place_tab,
        "Outcomes": outcomes_tab, "What the rules cost": rule_costs_tab,
        "Services at the margin": at_the_margin_tab}
for tab, draw in zip(st.tabs(list(TABS), key="results-tab", on_change="rerun"),
                     TABS.values()):
    if tab.open:
        with tab:
            draw()

st.divider()
result_downloads(res, file_stem(f"{ws.label}-{policy.name}"), "results", inputs,
                 analyses=ws.workbook_analyses())
st.subheader("The board paper")
st.caption("A PDF of 4-10 pages for a board: the decision asked for, where the money goes, "
           "what each rule costs, the trade-offs and the risks, with the assumptions and "
           "provenance in an appendix.")
board_paper_download(res, file_stem(f"{ws.label}-{policy.name}"), "results", inputs,
                     policy, ws.signature())
