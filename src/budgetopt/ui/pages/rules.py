"""Rules: the policy model, the objective, the budget and each constraint family's switch."""

from pathlib import Path

import pandas as pd
import streamlit as st
import yaml

from budgetopt.data.safe_yaml import load_yaml
from budgetopt.errors import InputError
from budgetopt.families import names as family_names
from budgetopt.families.bcf_rules import rule_set, rule_set_ids
from budgetopt.families.rows import family_catalogue
from budgetopt.policy import load_policy, policy_from_dict
from budgetopt.ui.rule_form import Choices, plain_problem, rule_values
from budgetopt.ui.state import models_dir, policy_files, workspace
from budgetopt.ui.widgets import md_text, show_problems

ws = workspace()
models = policy_files(models_dir())
families = family_catalogue()


def _problem_text(problems, family: str | None = None) -> str:
    """Problems as sentences for a card, in the page's words."""
    fields = type(getattr(ws.policy.rules, family)).model_fields if family else {}
    out = [plain_problem(p.message, family or "", fields) for p in problems]
    return " ".join(t if t.endswith(".") else t + "." for t in dict.fromkeys(out))


def _apply(data: dict, what: str, family: str | None = None) -> bool:
    """Use a changed policy mapping if it is valid and fits the data; else keep the rules as
    they were and say why beside the rule (or above the page)."""
    policy, problems = ws.try_policy(data)
    if policy is None or problems:
        st.session_state[f"why-{family or 'policy'}"] = _problem_text(problems, family)
        return False
    st.session_state.pop(f"why-{family or 'policy'}", None)
    ws.tune_policy(policy, what)
    return True


def _normal(params, values: dict):
    """`values` as the parameter class keeps them (blank fields filled), to compare with the
    rule as it is; the values themselves when they are not valid (the change is then tried,
    and its problem shown)."""
    try:
        return params.model_validate(values).model_dump(mode="python")
    except ValueError:
        return values


def _set(path: list[str], value, what: str, family: str | None = None) -> bool:
    data = ws.policy.model_dump(mode="python")
    node = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return _apply(data, what, family)


st.title("Rules")
st.caption("Which rules the allocation must keep, and what it should aim for. Every change "
           "re-solves on the Results page.")

keys = list(models) + ([] if ws.policy_key in models else [ws.policy_key])
c1, c2 = st.columns([2, 3])
choice = c1.selectbox(
    "Start from a policy model", keys, index=keys.index(ws.policy_key),
    format_func=lambda k: (f"{models[k]['name']} ({k}.yaml)" if k in models
                           else f"{ws.policy.name} (edited in this session)"),
    key=f"model-{ws.policy_version}")
if choice != ws.policy_key:
    ws.replace_policy(load_policy(Path(models[choice]["path"])), choice)
    st.rerun()
c2.info(md_text(ws.policy.description) or "No description.")

v = ws.policy_version
c1, c2 = st.columns(2)
objective = c1.radio(
    "Objective", ["max_outcome", "min_cost"], key=f"objective-{v}",
    index=["max_outcome", "min_cost"].index(ws.policy.objective), horizontal=True,
    format_func={"max_outcome": "Most outcome for the money",
                 "min_cost": "Least money that meets the targets"}.get)
if objective != ws.policy.objective:
    _set(["objective"], objective, f"objective: {objective}")

first = ws.first_year_budget()
budget_now = ws.budget()
without_override = (ws.policy.rules.money.budget_m if ws.policy.rules.money.budget_m is not None
                    else None)
budget = c2.number_input(
    f"Pooled budget in {md_text(ws.inputs.years[0]) if ws.inputs else 'year 1'} (£m)",
    min_value=0.0, value=float(round(budget_now, 1)), step=1.0,
    key=f"budget-{v}-{ws.edits}",
    help="The one budget of this plan: every funding source in every year is scaled in "
         f"proportion. The data's own budget is £{first:,.1f}m"
         + (f"; the policy model sets £{without_override:,.1f}m." if without_override else "."))
if abs(budget - round(budget_now, 1)) > 1e-9:
    base = without_override if without_override is not None else first
    if abs(budget - base) < 0.05:
        ws.overrides.pop("budget_m", None)
    else:
        ws.overrides["budget_m"] = budget
    ws.history.append(f"budget: £{budget:,.1f}m")
if ws.overrides.get("budget_m") is not None:
    c2.caption(f"Changed in this session from £{(without_override or first):,.1f}m "
               f"({'the policy model' if without_override else 'the data'}).")

if ws.policy.objective == "min_cost" and not (ws.policy.rules.targets.enabled
                                               and ws.policy.rules.targets.items):
    st.warning("'Least money that meets the targets' has no targets to meet: every service "
               "will be cut to its minimum. Add outcome targets under 'Outcome targets' below, "
               "or aim for the most outcome for the money.")
if st.session_state.get("why-policy"):
    st.error(f"That change was not used: {md_text(st.session_state['why-policy'])}")

choices = Choices.of(ws.inputs)
with st.container(border=True):
    st.markdown("**Planning horizon**")
    st.caption("Which years the plan covers and how later years are valued.")
    horizon = rule_values(ws.policy.horizon, choices, f"horizon-{v}")
    if _normal(type(ws.policy.horizon), horizon) != ws.policy.horizon.model_dump(mode="python"):
        data = ws.policy.model_dump(mode="python")
        data["horizon"] = horizon
        if _apply(data, "horizon changed"):
            st.rerun()

NO_RULE_SET = "(none)"
with st.container(border=True, key="card-bcf"):
    st.markdown("**Better Care Fund rules**")
    st.caption("The BCF rule set the plan follows: its funding streams and what each may pay "
               "for, the yearly uplift of each HWB's adult social care minimum, the national "
               "conditions and the plan years it covers. (none): the 2023-25 reading, floors "
               "only as 'BCF national conditions' below states them.")
    sets = [NO_RULE_SET, *rule_set_ids()]
    chosen = ws.policy.bcf.rules or NO_RULE_SET
    reset = st.session_state.get("reset-bcf", 0)
    pick = st.selectbox("BCF rule set", sets, index=sets.index(chosen) if chosen in sets else 0,
                        key=f"bcf-rules-{v}-{reset}", format_func=lambda r: r
                        if r == NO_RULE_SET else f"{rule_set(r).title} ({r})")
    if pick != chosen:
        if not _set(["bcf", "rules"], None if pick == NO_RULE_SET else pick,
                    f"bcf rules: {pick}"):
            st.session_state["reset-bcf"] = reset + 1  # back to the rules as they are
        st.rerun()
    if ws.policy.bcf.rules:
        rules = rule_set(ws.policy.bcf.rules)
        with st.expander(f"What the {rules.id} rules rest on (verified or an assumption)"):
            st.dataframe(pd.DataFrame({
                "Fact": [f.what for f in rules.facts],
                "Checked": [f.checked for f in rules.facts],
                "Source": [f.source for f in rules.facts]}), hide_index=True, width="stretch")

st.subheader("Constraint families")
st.caption("Switch a rule on, then set its figures (each field says what it means). A rule "
           "that cannot apply to this data says why beside its switch.")
answer = None
try:
    answer = ws.answer()
except InputError:
    answer = None
rows = answer.constraints if answer is not None and answer.objective is not None else None
for family in family_names():
    info = families.get(family, {"title": family.replace("_", " ").capitalize(), "help": ""})
    rule = getattr(ws.policy.rules, family)
    fields = type(rule).model_fields
    switchable = "enabled" in fields
    on = bool(getattr(rule, "enabled", True))
    reset = st.session_state.get(f"reset-{family}", 0)
    with st.container(border=True, key=f"card-{family}"):
        top = st.columns([4, 1])
        top[0].markdown(f"**{md_text(info['title'])}**")
        top[0].caption(info["help"])
        if switchable:
            want = top[1].toggle(info["title"], value=on, key=f"on-{family}-{v}-{reset}",
                                 label_visibility="collapsed")
            top[1].caption("On" if on else "Off")
            if want != on:
                if _set(["rules", family, "enabled"], want, f"{family}: {'on' if want else 'off'}",
                        family):
                    st.rerun()
                else:  # the switch goes back off, with the reason beside it
                    st.session_state[f"reset-{family}"] = reset + 1
                    st.rerun()
        else:
            top[1].caption("Always on")
        why = st.session_state.get(f"why-{family}")
        if why:
            st.error(f"Not switched on: {md_text(why)} Fill in its figures below, then switch "
                     "it on." if not on else f"That change was not used: {md_text(why)}")
        elif not on and switchable:
            blockers = ws.rule_blocker(family)
            if blockers:
                st.info(f"Cannot apply as it stands: {md_text(_problem_text(blockers, family))}")
        elif on and rows is not None and family not in ("money", "eligibility"):
            mine = rows[rows["family"] == family]
            if not len(mine):
                st.info("On, but with these figures and this data it adds no limit: it changes "
                        "nothing. Set a figure below.")
            elif mine["binding"].any():
                st.caption(f"Binding: {int(mine['binding'].sum())} of its {len(mine)} limits "
                           "shape the plan (their cost is under 'What the rules cost' on the "
                           "Results page).")
            else:
                st.caption(f"Met with room to spare: none of its {len(mine)} limits binds, so "
                           "it costs nothing in this plan.")
        skip = ("enabled", "budget_m") if family == "money" else ("enabled",)
        if not [n for n in fields if n not in skip]:
            continue
        with st.expander("Its figures", expanded=on or bool(why)):
            values = rule_values(rule, choices, f"p-{family}-{v}", skip=skip, owner=family)
            current = rule.model_dump(mode="python")
            if _normal(type(rule), values) != current:
                data = ws.policy.model_dump(mode="python")
                data["rules"][family] = values
                changed = [k for k in values if values[k] != current.get(k)]
                if _apply(data, f"{family}: " + ", ".join(changed), family):
                    st.rerun()

with st.expander("The whole policy model as YAML (every setting, including lists)"):
    st.caption("The same rules as the page above, as a file a person can read and diff: a "
               "change here is used for the page too.")
    text = st.text_area("Policy model", yaml.safe_dump(ws.policy.model_dump(mode="json"),
                                                       sort_keys=False, allow_unicode=True),
                        height=400, key=f"yaml-{v}-{ws.policy_changes}")
    if st.button("Use this policy model", key="apply-yaml"):
        try:
            data = load_yaml(text, "the YAML editor")
            if not isinstance(data, dict):
                raise InputError.single("the YAML editor", "a policy model is a mapping of keys "
                                        "(objective: ..., rules: ...)")
            ws.replace_policy(policy_from_dict(data, where="the YAML editor"), "edited")
            st.rerun()
        except yaml.YAMLError as err:
            show_problems("The YAML could not be read",
                          [InputError.single("the YAML editor", str(err)).problems[0]])
        except InputError as err:
            show_problems(err.title, err.problems)
