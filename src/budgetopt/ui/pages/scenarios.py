"""Scenarios: save answers in the scenario store, compare two, approve, load back, download."""

import pandas as pd
import streamlit as st

from budgetopt.analyses.compare import compare_results
from budgetopt.analyses.flexibility import flexibility
from budgetopt.store.db import STATUSES
from budgetopt.ui.state import scenario_store, store_url, workspace
from budgetopt.ui.tables import show_table
from budgetopt.ui.widgets import file_stem, md_text, result_downloads, status_words

ws = workspace()
store = scenario_store(store_url())
st.title("Scenarios")
st.caption("Save the current answer with a name and a note; every save is kept as a new version "
           "with its data, policy model and changes, so it can be read, compared and solved "
           "again months later. The store is shared by everyone using this app.")
if store.read_only:
    st.warning(md_text(f"This scenario store can only be read ({store.read_only}): saved "
                       "scenarios can be compared, loaded and downloaded, but nothing can be "
                       "saved or approved here."))

with st.form("save", clear_on_submit=True):
    c1, c2, c3 = st.columns([2, 3, 2])
    name = c1.text_input("Name", placeholder="e.g. Shift left 2026/27", key="save-name")
    note = c2.text_input("Note", placeholder="what this scenario asks, for the board paper",
                         key="save-note")
    author = c3.text_input("Your name", value=ws.author, key="save-author")
    if st.form_submit_button("Save the current answer", type="primary",
                             disabled=bool(store.read_only)):
        if ws.inputs is None:
            st.error("No valid data set yet: load one on the Data page.")
        else:
            with st.spinner("Solving and saving…"):
                saved = ws.save_scenario(name, note, author, store)
            st.success(f"Saved '{md_text(saved.name)}' version {saved.version}.")

listing = store.list(all_versions=True)
if listing.empty:
    st.info("No scenarios saved yet.")
    st.stop()

refs = [f"{r.name}@{r.version}" for r in listing.itertuples()]
shown = pd.DataFrame({
    "scenario": refs, "status": listing["status"],
    "answer": [status_words(s) for s in listing["solve_status"]],
    "objective": listing["objective"], "saved by": listing["author"],
    "saved (UTC)": [t.strftime("%Y-%m-%d %H:%M") for t in listing["created_at"]],
    "note": listing["note"],
})
show_table(shown, headers={"objective": "Objective (weighted outcome or £m)"},
           key="table-scenarios")

c1, c2 = st.columns([2, 1])
to_load = c1.selectbox("Scenario to work on again", refs, key=f"load-pick-{len(refs)}")
if c2.button("Load it", key="load-scenario"):
    ws.load_scenario(to_load, store)
    st.success(f"Loaded '{md_text(to_load)}': its data, policy model and changes are the "
               "current ones.")

st.subheader("Compare two scenarios")
c1, c2 = st.columns(2)
a = c1.selectbox("Scenario A", refs, index=len(refs) - 1, key=f"cmp-a-{len(refs)}")
b = c2.selectbox("Scenario B", refs, index=0, key=f"cmp-b-{len(refs)}")
if a == b:
    st.info("Choose two different scenarios to compare.")
else:
    sa, sb = store.get(a), store.get(b)
    flex_key = f"cmp-flex-{a}"
    if sa.solve_status == "optimal" and flex_key not in st.session_state:
        st.caption(md_text(f"Which of B's moves are free choices (a plan within 1% of {a}'s "
                           "best could make them too) and which are forced: this works out "
                           f"{a}'s flexibility ranges, a few seconds."))
        if st.button("Tell free choices from forced moves", key="cmp-flex"):
            with st.spinner(f"Solving for the least and the most of each line of {a}…"):
                content = store.dataset(sa.data_hash)
                policy_a = sa.policy()
                st.session_state[flex_key] = flexibility(
                    content.inputs(policy_a.nonconcave), policy_a, 0.01,
                    overrides=sa.overrides or None)["flexibility"]
    cmp = compare_results(sa.results(), sb.results(), a, b,
                          flexibility=st.session_state.get(flex_key))
    sentences = list(cmp.sentences)
    if sa.data_hash != sb.data_hash:
        sentences.append(f"The data sets differ ({sa.dataset_label} against {sb.dataset_label}).")
    st.markdown("\n".join(f"- {md_text(s)}" for s in sentences))
    t1, t2, t3 = st.tabs(["By sector", "By service", "Rules"])
    with t1:
        show_table(cmp.sectors, key="table-cmp-sectors")
    with t2:
        show_table(cmp.allocation[cmp.allocation["difference"].abs() > 0.005],
                   ["name", "sector", "year", "spend_a", "spend_b", "difference", "kind"],
                   key="table-cmp-services")
    rules = cmp.rules  # matched by family and keys: a moved limit is one rule
    shown = (rules["binding_a"].fillna(False) | rules["binding_b"].fillna(False)
             | (rules["limit_a"] != rules["limit_b"]))
    with t3:
        show_table(rules.loc[shown], ["name", "year", "limit_a", "limit_b", "unit",
                                      "binding_a", "binding_b", "shadow_a", "shadow_b"],
                   headers={"name": "Rule"}, key="table-cmp-rules")

st.subheader("Approval")
st.caption("Record a decision on a saved scenario: who made it and why are kept with it, "
           "and nothing recorded can be changed afterwards.")
c1, c2, c3, c4 = st.columns([2, 1, 2, 2])
pick = c1.selectbox("Scenario", refs, key=f"status-pick-{len(refs)}")
current = store.get(pick)
new_status = c2.selectbox("Status", STATUSES, index=STATUSES.index(current.status),
                          key=f"status-new-{pick}")
why = c3.text_input("Why (e.g. the board meeting)", key=f"status-note-{pick}")
by = c4.text_input("Your name", value=ws.author, key="status-by")
if st.button("Record the status", key="set-status", disabled=bool(store.read_only)):
    if not by.strip():
        st.error("Type your name: a decision is recorded with the name of who made it.")
    else:
        ws.author = by.strip()
        store.set_status(pick, new_status, by=ws.author, note=why)
        st.session_state["status-done"] = f"{pick} is now {new_status}."
        st.rerun()  # the list above shows the new status at once
if st.session_state.get("status-done"):
    st.success(md_text(st.session_state.pop("status-done")))
st.caption("History: " + md_text("; ".join(
    f"{h['status']} by {h['changed_by']} on {h['changed_at']:%Y-%m-%d %H:%M}"
    + (f" ({h['note']})" if h["note"] and h["note"] != "saved" else "")
    for h in current.history)))

st.subheader("Download a scenario")
pick = st.selectbox("Scenario", refs, key=f"download-pick-{len(refs)}")
chosen = store.get(pick)
result_downloads(chosen.results(), file_stem(pick), "scenario",
                 store.dataset(chosen.data_hash).inputs(chosen.policy().nonconcave), pick)
