"""Scenarios: keep an answer under a name, compare two side by side, download them."""

import pandas as pd
import streamlit as st

from budgetopt.compare import compare_results
from budgetopt.ui.state import workspace
from budgetopt.ui.widgets import file_stem, result_downloads, status_words

ws = workspace()
st.title("Scenarios")
st.caption("Save the current answer with a name and a note, then compare any two: what moved, "
           "what it buys, and which rules bind in one and not the other.")

with st.form("save", clear_on_submit=True):
    c1, c2 = st.columns([1, 2])
    name = c1.text_input("Name", placeholder="e.g. Shift left 2026/27", key="save-name")
    note = c2.text_input("Note", placeholder="what this scenario asks, for the board paper",
                         key="save-note")
    if st.form_submit_button("Save the current answer", type="primary"):
        if ws.inputs is None:
            st.error("No valid data set yet: load one on the Data page.")
        else:
            with st.spinner("Solving…"):
                saved = ws.save_scenario(name, note)
            st.success(f"Saved '{saved.name}'.")

if not ws.scenarios:
    st.info("No scenarios saved yet in this session.")
    st.stop()

table = pd.DataFrame([{
    "name": s.name, "saved": s.saved_at, "data": s.label, "policy model": s.policy.name,
    "changes": ", ".join(f"{k} = {v}" for k, v in s.overrides.items()),
    "status": status_words(s.results.status), "objective": s.results.objective, "note": s.note,
} for s in ws.scenarios.values()])
st.dataframe(table, hide_index=True, width="stretch")

names = list(ws.scenarios)
c1, c2 = st.columns([2, 1])
to_load = c1.selectbox("Scenario to work on again", names, key=f"load-pick-{len(names)}")
if c2.button("Load it", key="load-scenario"):
    ws.load_scenario(to_load)
    st.success(f"Loaded '{to_load}': its data, policy model and changes are the current ones.")

st.subheader("Compare two scenarios")
c1, c2 = st.columns(2)
a = c1.selectbox("Scenario A", names, index=0, key=f"cmp-a-{len(names)}")
b = c2.selectbox("Scenario B", names, index=len(names) - 1, key=f"cmp-b-{len(names)}")
if a == b:
    st.info("Choose two different scenarios to compare.")
else:
    cmp = compare_results(ws.scenarios[a].results, ws.scenarios[b].results, a, b)
    st.markdown("\n".join(f"- {s}" for s in cmp.sentences))
    t1, t2, t3 = st.tabs(["By sector", "By service", "Rules"])
    t1.dataframe(cmp.sectors, hide_index=True, width="stretch")
    t2.dataframe(cmp.allocation[cmp.allocation["difference"].abs() > 0.005],
                 hide_index=True, width="stretch")
    t3.dataframe(cmp.rules[cmp.rules["binding_a"].fillna(False) | cmp.rules["binding_b"].fillna(False)],
                 hide_index=True, width="stretch")

st.subheader("Download a scenario")
pick = st.selectbox("Scenario", names, key="download-pick")
result_downloads(ws.scenarios[pick].results, file_stem(pick), "scenario")
