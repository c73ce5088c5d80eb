"""Data: start from the example ICS, upload a workbook, or edit the tables in place."""

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from budgetopt.data.schema import TABLES
from budgetopt.data.template import write_template
from budgetopt.ui.state import MAX_UPLOAD_MB, workspace
from budgetopt.ui.widgets import md_text, money, show_chart, show_problems

ws = workspace()


@st.cache_data(show_spinner=False)
def _template_bytes() -> bytes:
    with tempfile.TemporaryDirectory(prefix="budgetopt-template-") as tmp:
        return write_template(Path(tmp) / "template.xlsx").read_bytes()


@st.cache_data(show_spinner=False, max_entries=4)
def _dataset_bytes(tables) -> bytes:
    from budgetopt.data.dataset import write_dataset

    with tempfile.TemporaryDirectory(prefix="budgetopt-data-") as tmp:
        return write_dataset(tables, Path(tmp) / "dataset.xlsx").read_bytes()


def _overridden(name: str) -> list[str]:
    """Where what is typed in table `name` is not what the plan uses, and why."""
    notes = []
    if name == "services" and "baseline" in ws.tables:
        notes.append("This data set has a baseline table (by place and year): the plan moves "
                     "from that, so a change to baseline_m here changes nothing. Edit the "
                     "baseline table instead.")
    rule = ws.policy.rules.bounds
    if name == "services" and rule.enabled and rule.services:
        notes.append("The Rules page sets the minimum or maximum of "
                     + md_text(", ".join(rule.services))
                     + ": for those services min_m and max_m here are not used.")
    if name == "funding" and ws.inputs is not None \
            and abs(ws.budget() - ws.first_year_budget()) > 0.05:
        notes.append(f"The Rules page sets the budget to {money(ws.budget())} in "
                     f"{ws.inputs.years[0]}: every amount here is scaled in proportion.")
    return notes


st.title("Data")
st.caption("The money, the services and what each buys. Start from the example ICS, upload "
           "your own workbook (one sheet per table, as in the blank template), or edit the "
           "tables below.")

if ws.notice:
    st.success(md_text(ws.notice))
    ws.notice = ""
if ws.inputs is not None:
    inp = ws.inputs
    c = st.columns(4)
    c[0].metric("Data set", md_text(ws.label))  # a metric value renders markdown
    c[1].metric("Services", len(inp.services))
    c[2].metric("Places", len(inp.places) or "one (ICS-wide)")
    budget = ws.budget()
    c[3].metric(f"Pooled budget {md_text(inp.years[0])} in the data", money(ws.first_year_budget()),
                delta=(f"£{budget:,.1f}m in the rules" if abs(budget - ws.first_year_budget())
                       > 0.05 else None), delta_color="off")

left, mid, right = st.columns(3)
with left:
    st.subheader("Example ICS")
    st.write("A fictional ICS of 1.5 million people in five places, with a £235m BCF pool.")
    if st.button("Use the example ICS", key="use-example"):
        ws.use_example()
        st.rerun()
with mid:
    st.subheader("Upload a workbook")
    upload = st.file_uploader(f"An .xlsx workbook, up to {MAX_UPLOAD_MB} MB", type=["xlsx"],
                              key="upload")
    if upload is not None and st.session_state.get("uploaded") != upload.file_id:
        st.session_state["uploaded"] = upload.file_id
        ws.use_upload(upload.name, upload.getvalue())
        if not ws.problems:
            st.rerun()  # the header and the sidebar name the new data set at once
with right:
    st.subheader("Blank template")
    st.write("Every table with its columns described, drop-down lists and the BCF's yellow "
             "input cells.")
    st.download_button("Download the blank template", _template_bytes(),
                       file_name="budgetopt-template.xlsx", key="template")

if ws.problems:
    show_problems(f"The data set '{ws.problems[0].where.split(' › ')[0]}' was not used",
                  ws.problems)

st.divider()
st.subheader("The tables")  # no input text in a heading: headings render it as markdown
st.markdown(f"Of the data set **{md_text(ws.label)}**.")
st.caption("Edit any cell, add or delete rows, then check and use the tables. Nothing is "
           "used until it passes every check.")
# every table the data set has, and the evidence table (empty, to fill in) when it has none
names = [t for t in TABLES if t in ws.tables or t == "evidence"]
edited = {}


def _column_config(c):
    label = f"{c.name} ({c.unit})" if c.unit else c.name
    if c.choices:  # a drop-down, as in the template
        return st.column_config.SelectboxColumn(label=label, help=c.description,
                                                options=list(c.choices))
    return st.column_config.Column(label=label, help=c.description)


for tab, name in zip(st.tabs(names), names):
    with tab:
        table = TABLES[name]
        st.caption(table.description)
        for note in _overridden(name):
            st.warning(note)
        frame = ws.tables.get(name)
        if frame is None:
            frame = pd.DataFrame({c.name: pd.Series(dtype=object) for c in table.columns})
        config = {c.name: _column_config(c) for c in table.columns if c.name in frame.columns}
        changed = st.data_editor(frame, num_rows="dynamic", hide_index=True,
                                 column_config=config, key=f"edit-{name}-{ws.edits}",
                                 width="stretch")
        if name in ws.tables or len(changed):
            edited[name] = changed
c1, c2 = st.columns(2)
if c1.button("Check and use these tables", type="primary", key="apply-edits"):
    ws.apply_edits(edited)
    st.rerun()
c2.download_button("Download these tables as a workbook", _dataset_bytes(ws.tables),
                   file_name="budgetopt-data.xlsx", key="download-data")

if ws.inputs is not None and len(ws.inputs.curves):
    from budgetopt.reports.charts import curve_with_evidence

    st.divider()
    st.subheader("A curve and its evidence")
    st.caption("What each £ buys on one service's curve, with the low and high estimates; a "
               "curve derived from the evidence table also shows the smooth cost-coverage "
               "curve, its ceiling, its source and how certain it is.")
    pairs = sorted(set(zip(ws.inputs.curves["service_id"], ws.inputs.curves["metric_id"])))
    ev = ws.inputs.evidence[ws.inputs.evidence["derived"].astype(bool)]
    derived = set(zip(ev["service_id"], ev["metric_id"]))
    pick = st.selectbox("Service and metric", pairs, key="curve-pick",
                        format_func=lambda p: f"{p[0]} – {p[1]}"
                        + (" (from evidence)" if p in derived else ""))
    if pick is not None:
        show_chart(curve_with_evidence(ws.inputs, *pick), key="chart-curve")
