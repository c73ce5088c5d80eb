"""Rules: the policy model, the objective, the budget and each constraint family's switch."""

import types
import typing
from pathlib import Path

import streamlit as st
import yaml

from budgetopt.errors import InputError
from budgetopt.families import names as family_names
from budgetopt.families.rows import family_catalogue
from budgetopt.policy import load_policy, policy_from_dict
from budgetopt.ui.state import models_dir, policy_files, workspace
from budgetopt.ui.widgets import show_problems

ws = workspace()
models = policy_files(models_dir())
families = family_catalogue()


def _scalar_kind(annotation):
    """float, int, bool or a tuple of choices for the fields a widget can edit; else None."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType) and len(args) == 1:
        annotation = args[0]
    if typing.get_origin(annotation) is typing.Literal:
        return typing.get_args(annotation)
    return annotation if annotation in (float, int, bool) else None


def _set(path: list[str], value, what: str) -> None:
    data = ws.policy.model_dump(mode="python")
    node = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    ws.tune_policy(policy_from_dict(data, where="the Rules page"), what)


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
c2.info(ws.policy.description or "No description.")

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
budget = c2.number_input(
    f"Pooled budget in {ws.inputs.years[0] if ws.inputs else 'year 1'} (£m)",
    min_value=0.0, value=float(ws.overrides.get("budget_m", round(first, 1))), step=1.0,
    key=f"budget-{v}-{ws.edits}",
    help="Every funding source in every year is scaled in proportion. The data's own budget "
         f"is £{first:,.1f}m.")
if abs(budget - ws.overrides.get("budget_m", round(first, 1))) > 1e-9:
    if abs(budget - first) < 0.05:
        ws.overrides.pop("budget_m", None)
    else:
        ws.overrides["budget_m"] = budget
    ws.history.append(f"budget: £{budget:,.1f}m")

st.subheader("Constraint families")
for family in family_names():
    info = families.get(family, {"title": family, "help": ""})
    rule = getattr(ws.policy.rules, family)
    fields = type(rule).model_fields
    with st.container(border=True):
        top = st.columns([3, 1])
        top[0].markdown(f"**{info['title']}** · `{family}`")
        top[0].caption(info["help"])
        if "enabled" in fields:
            on = top[1].toggle("On", value=rule.enabled, key=f"on-{family}-{v}")
            if on != rule.enabled:
                _set(["rules", family, "enabled"], on, f"{family}: {'on' if on else 'off'}")
                st.rerun()
        else:
            top[1].caption("Always on")
        params = [(n, f) for n, f in fields.items()
                  if n != "enabled" and _scalar_kind(f.annotation) is not None]
        if not params or not getattr(rule, "enabled", True):
            continue
        cols = st.columns(min(len(params), 3))
        for i, (name, fld) in enumerate(params):
            kind = _scalar_kind(fld.annotation)
            current = getattr(rule, name)
            key = f"p-{family}-{name}-{v}"
            label, help_ = name.replace("_", " "), fld.description
            with cols[i % len(cols)]:
                if kind is bool:
                    new = st.checkbox(label, value=bool(current), help=help_, key=key)
                elif isinstance(kind, tuple):
                    new = st.selectbox(label, kind, index=kind.index(current), help=help_, key=key)
                elif current is None:
                    text = st.text_input(label, value="", help=help_, key=key,
                                         placeholder="blank = as in the data")
                    try:
                        new = kind(text) if text.strip() else None
                    except ValueError:
                        st.error(f"'{text}' is not a number")
                        new = current
                else:
                    new = st.number_input(label, value=kind(current), help=help_, key=key,
                                          step=0.01 if kind is float else 1)
            if new != current:
                _set(["rules", family, name], new, f"{family}.{name} = {new}")

with st.expander("The whole policy model as YAML (every setting, including lists)"):
    text = st.text_area("Policy model", yaml.safe_dump(ws.policy.model_dump(mode="json"),
                                                       sort_keys=False),
                        height=400, key=f"yaml-{v}")
    if st.button("Use this policy model", key="apply-yaml"):
        try:
            data = yaml.safe_load(text)
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
