"""One browser session's work: its data set, its policy and its latest answer.

Everything a user changes lives in a :class:`Workspace` held in that session's
``st.session_state``, so two people using the app never see each other's data. What is shared
between sessions is only what cannot be changed: the example tables and the shipped policy
models, cached as copies (``st.cache_data`` hands every caller its own copy).

The answer is kept per session for the (data, policy) it was computed from: moving between
pages or re-rendering never re-solves. Answers are also cached per server by what they depend
on (:func:`_solved`: the data's hash, the policy, the overrides), as copies: a new session on
the example, or a change back to rules solved before, gets its answer without solving again;
a change to the data or the policy not seen before builds and solves anew (about 0.3 s on
the example ICS, see :func:`Workspace.answer`).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
import streamlit as st

from budgetopt.api import build
from budgetopt.data.example import example_tables
from budgetopt.data.inputs import Inputs
from budgetopt.data.read import read_frames, read_tables
from budgetopt.data.validate import validate
from budgetopt.errors import InputError, Problem
from budgetopt.policy import Policy, load_policy, override_items, policy_from_dict
from budgetopt.results.tables import Results
from budgetopt.store.db import DatasetContent, Store, StoredScenario, default_url

MAX_UPLOAD_MB = 20
"""Largest workbook the app accepts (also ``server.maxUploadSize`` in .streamlit/config.toml)."""

EXAMPLE_LABEL = "Example ICS"
EDITOR_LABEL = "Data editor"
KEY = "budgetopt.workspace"
MODELS_KEY = "budgetopt.models_dir"
DEFAULT_MODEL = "default"

T = TypeVar("T")


@st.cache_data(show_spinner=False)
def _example_frames() -> dict[str, pd.DataFrame]:
    return {k: v for k, v in example_tables().items() if k != "notes"}


@st.cache_data(show_spinner=False)
def _example_inputs(nonconcave: str) -> Inputs:
    """The example validated once per server (each session gets its own copy)."""
    return validate(read_frames(_example_frames(), EXAMPLE_LABEL), nonconcave=nonconcave)


@st.cache_data(show_spinner=False, max_entries=64)
def _solved(key: str, _inputs: Inputs, _policy: Policy, _overrides: dict[str, Any]) -> Results:
    """The answer for `key` (the data's hash, the effective policy, the overrides and the data
    set's name: all the answer and its provenance depend on), solved once per server: a new session on the example, or
    a second person on the same data and rules, gets a copy of it at once instead of solving
    again. ``st.cache_data`` hands every caller its own copy, so nothing a session holds is
    shared; the inputs, policy and overrides are not hashed (the key says what they are)."""
    return build(_inputs, _policy, _overrides or None).results()


@st.cache_data(show_spinner=False, max_entries=64)
def _one_more_pound(key: str, _inputs: Inputs, _policy: Policy, objective: float,
                    budget_m: float) -> float | None:
    """:func:`budgetopt.analyses.sweeps.one_more_pound`, once per server for `key` (what the
    answer depends on) and budget."""
    from budgetopt.analyses.sweeps import one_more_pound

    return one_more_pound(_inputs, _policy, objective, budget_m)


def _policy_problems(inputs: Inputs, policy: Policy) -> list[Problem]:
    """What stops `policy` applying to `inputs` (the families' checks)."""
    from budgetopt.families import policy_problems
    from budgetopt.model.data import prepare

    try:
        return list(policy_problems(prepare(inputs, policy)))
    except InputError as err:
        return list(err.problems)


@st.cache_data(show_spinner=False, max_entries=512)
def _problems_of(key: str, _inputs: Inputs, _policy: Policy) -> list[Problem]:
    """:func:`_policy_problems`, once per server for `key` (the data's hash and the policy):
    the Rules page asks it for every switched-off rule, and a new session on the example asks
    the same questions again (a copy each: nothing a session holds is shared)."""
    return _policy_problems(_inputs, _policy)


@st.cache_data(show_spinner=False)
def policy_files(models_dir: str) -> dict[str, dict[str, str]]:
    """Shipped policy models: file stem -> name, description and YAML text."""
    out: dict[str, dict[str, str]] = {}
    for path in sorted(Path(models_dir).glob("*.yaml")):
        policy = load_policy(path)
        out[path.stem] = {"name": policy.name, "description": policy.description,
                          "path": str(path), "text": path.read_text(encoding="utf-8")}
    return out


def _as_editable(frame: pd.DataFrame) -> pd.DataFrame:
    """A table read as text, with each all-numeric column made numeric for the editor."""
    out = frame.reset_index(drop=True).copy()
    for col in out.columns:
        values = out[col].dropna()
        if len(values):
            numbers = pd.to_numeric(values, errors="coerce")
            if numbers.notna().all():
                out[col] = pd.to_numeric(out[col], errors="coerce")
    return out


@st.cache_resource(show_spinner=False)
def scenario_store(url: str) -> Store:
    """The scenario store at `url`, opened once per server process.

    The store is shared on purpose: it is the ICS's record of what was saved and decided.
    What a session is working on is never shared (see :class:`Workspace`).
    """
    return Store(url)


def store_url() -> str:
    """Where the app keeps scenarios: ``$BUDGETOPT_DB_URL`` or the user's data folder."""
    return default_url()


@dataclass
class Workspace:
    """What one session is working on."""

    label: str = EXAMPLE_LABEL
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    inputs: Inputs | None = None
    problems: list[Problem] = field(default_factory=list)
    policy_key: str = "default"
    policy: Policy = field(default_factory=Policy)
    overrides: dict[str, Any] = field(default_factory=dict)
    edits: int = 0  # bumped on every data change: editor widget keys depend on it
    policy_version: int = 0  # bumped when the policy is replaced: rule widget keys depend on it
    policy_changes: int = 0  # bumped on every change of the policy: the YAML editor follows it
    _answer: Results | None = None
    _answer_key: str = ""
    history: list[str] = field(default_factory=list)  # what the user did, for the scenario note
    author: str = ""  # who is saving scenarios in this session (typed on the Scenarios page)
    analyses: dict[str, tuple[str, Any]] = field(default_factory=dict)  # name -> (signature, frame)
    notice: str = ""  # a success message for the Data page, shown once
    _unpinned: float | None = None
    _unpinned_key: str = ""
    _blockers: dict[str, list[Problem]] = field(default_factory=dict)
    _blockers_key: str = ""
    _sig: tuple[Any, ...] = ()  # (inputs, policy, overrides as JSON, signature): see signature
    _effective: tuple[Any, ...] = ()  # (policy, overrides as JSON, effective policy)
    _kept: dict[Hashable, Any] = field(default_factory=dict)  # see kept
    _kept_key: str = ""

    # -- data ------------------------------------------------------------------------------
    def use_example(self) -> None:
        self._set_tables(_example_frames(), EXAMPLE_LABEL,
                         _example_inputs(self.policy.nonconcave))

    def use_upload(self, name: str, content: bytes) -> None:
        """Read an uploaded workbook; on any problem keep the current data and list them."""
        if len(content) > MAX_UPLOAD_MB * 1024 * 1024:
            self.problems = [Problem(name, f"the file is {len(content) / 2**20:.1f} MB; the app "
                                     f"accepts workbooks up to {MAX_UPLOAD_MB} MB")]
            return
        suffix = Path(name).suffix.lower()
        if suffix not in (".xlsx", ".xlsm"):
            self.problems = [Problem(name, "upload one .xlsx workbook with a sheet per table "
                                     "(download the blank template below)")]
            return
        with tempfile.TemporaryDirectory(prefix="budgetopt-upload-") as tmp:
            path = Path(tmp) / Path(name).name
            path.write_bytes(content)
            try:
                raw = read_tables(path, max_bytes=MAX_UPLOAD_MB * 1024 * 1024)
                inputs = validate(raw, nonconcave=self.policy.nonconcave)
            except InputError as err:
                self.problems = list(err.problems)
                return
        self._set_tables({n: _as_editable(t.frame) for n, t in raw.tables.items()}, name,
                         inputs)

    def apply_edits(self, tables: dict[str, pd.DataFrame]) -> None:
        """Validate edited tables; keep them only if they are a valid data set."""
        try:
            inputs = validate(read_frames(tables, EDITOR_LABEL), nonconcave=self.policy.nonconcave)
        except InputError as err:
            self.problems = list(err.problems)
            return
        label = self.label if self.label.endswith("(edited)") else f"{self.label} (edited)"
        self._set_tables(tables, label, inputs)

    def _set_tables(self, tables: dict[str, pd.DataFrame], label: str,
                    inputs: Inputs | None = None) -> None:
        if inputs is None:
            inputs = validate(read_frames(tables, label), nonconcave=self.policy.nonconcave)
        self.tables = {k: v.copy() for k, v in tables.items()}
        self.label, self.inputs, self.problems = label, inputs, []
        self.edits += 1
        self.history.append(f"data: {label}")
        places = f", {len(inputs.places)} places" if inputs.has_places else ""
        self.notice = (f"Now using '{label}': {len(inputs.services)} services{places}, "
                       f"years {', '.join(inputs.years)}.")

    # -- policy ----------------------------------------------------------------------------
    def replace_policy(self, policy: Policy, key: str) -> None:
        """A new policy model (chosen or typed in): its widgets start from its values."""
        self.policy, self.policy_key, self.overrides = policy, key, {}
        self.policy_version += 1
        self.policy_changes += 1
        self.history.append(f"policy model: {policy.name}")

    def tune_policy(self, policy: Policy, what: str) -> None:
        """One setting changed by a widget."""
        self.policy = policy
        self.policy_changes += 1
        self.history.append(what)

    def effective_policy(self) -> Policy:
        """The policy with this session's overrides (the budget typed on the Rules page)
        applied; worked out again only when either changed."""
        from budgetopt.policy import apply_overrides

        if not self.overrides:
            return self.policy
        overrides = json.dumps(self.overrides, sort_keys=True, default=str)
        if not (self._effective and self._effective[0] is self.policy
                and self._effective[1] == overrides):
            self._effective = (self.policy, overrides,
                               apply_overrides(self.policy, self.overrides))
        return self._effective[2]

    # -- the answer ------------------------------------------------------------------------
    def signature(self) -> str:
        """What the answer depends on: the data's content and the policy with its overrides.

        Worked out again only when the data, the policy or the overrides changed (a page asks
        for it many times a run; the policy's JSON takes a few milliseconds each time): the
        data and the policy are replaced, never changed in place, so the same objects mean
        the same signature."""
        if self.inputs is None:
            return ""
        overrides = json.dumps(self.overrides, sort_keys=True, default=str)
        if (self._sig and self._sig[0] is self.inputs and self._sig[1] is self.policy
                and self._sig[2] == overrides):
            return self._sig[3]
        policy = self.effective_policy()
        sig = self.inputs.data_hash + json.dumps(policy.model_dump(mode="json"), sort_keys=True)
        self._sig = (self.inputs, self.policy, overrides, sig)
        return sig

    def kept(self, name: Hashable, make: Callable[[], T]) -> T:
        """`make()` for the current data and policy, made once per session until either
        changes (the money each source has, a chart): a rerun of a page, or a move between
        pages, does not make it again. Per session: nothing here is shared."""
        sig = self.signature()
        if self._kept_key != sig:
            self._kept, self._kept_key = {}, sig
        if name not in self._kept:
            self._kept[name] = make()
        return self._kept[name]

    def money(self) -> pd.DataFrame:
        """The money each funding source has in each planning year under the rules and the
        changes made in this session (:func:`budgetopt.reports.charts.money_available`)."""
        from budgetopt.reports.charts import money_available

        assert self.inputs is not None
        inputs, policy = self.inputs, self.effective_policy()
        return self.kept("money", lambda: money_available(inputs, policy))

    def answer(self) -> Results | None:
        """The results for the current data and policy, solved only when something changed."""
        if self.inputs is None:
            return None
        key = self.signature()
        if self._answer is not None and key == self._answer_key:
            return self._answer
        overrides = json.dumps(self.overrides, sort_keys=True, default=str)
        # the data's name too: the answer's provenance names it
        self._answer = _solved(json.dumps([key, overrides, self.inputs.source]), self.inputs,
                               self.policy, self.overrides)
        self._answer_key = key
        return self._answer

    def marginal_return(self) -> float | None:
        """What £1m more on the first year's budget buys (every source in proportion), by a
        re-solve, for the current answer (None: not optimal, or maximising nothing)."""
        res = self.answer()
        if res is None or not res.optimal or res.objective is None or self.inputs is None:
            return None
        return _one_more_pound(self.signature(), self.inputs, self.effective_policy(),
                               float(res.objective), self.budget())

    def save_scenario(self, name: str, note: str, author: str = "",
                      store: Store | None = None) -> StoredScenario:
        """Save the current answer, its data and its policy in the scenario store (a name
        already saved gets its next version: nothing is overwritten)."""
        res = self.answer()
        if res is None or self.inputs is None:
            raise ValueError("there is no answer to save: load a valid data set first")
        store = store or scenario_store(store_url())
        content = DatasetContent.from_frames(self.tables, self.label, self.inputs.data_hash)
        self.author = author.strip() or self.author
        saved = store.save(name.strip() or "Scenario", content, self.policy,
                           dict(self.overrides), res, author=self.author or "name not given",
                           note=note)
        self.history.append(f"saved scenario: {saved.ref}")
        return saved

    def load_scenario(self, ref: str, store: Store | None = None) -> StoredScenario:
        """Make a saved scenario's data, policy and overrides the current ones again."""
        store = store or scenario_store(store_url())
        sc = store.get(ref)
        policy = sc.policy()
        content = store.dataset(sc.data_hash)
        inputs = content.inputs(nonconcave=policy.nonconcave)
        self.tables = {k: _as_editable(v) for k, v in content.frames().items()}
        self.label, self.inputs, self.problems = f"{content.label} ({sc.ref})", inputs, []
        self.edits += 1
        self.replace_policy(policy, "saved")
        self.overrides = dict(override_items(sc.overrides or []))
        self.history.append(f"loaded scenario: {sc.ref}")
        return sc

    def analysis(self, name: str) -> Any:
        """An analysis run on the current data and policy, or None (none run, or stale)."""
        sig, frame = self.analyses.get(name, ("", None))
        return frame if sig == self.signature() else None

    def workbook_analyses(self):
        """The trade-off analyses run on the current answer, for the workbook's charts."""
        from budgetopt.analyses.board import Analyses

        return Analyses(budget_curve=self.analysis("curve"),
                        price_of_rules=self.analysis("prices"), pareto=self.analysis("pareto"),
                        monte_carlo=self.analysis("mc"), robust=self.analysis("robust"),
                        flexibility=flex["flexibility"] if (
                            flex := self.analysis("flexibility")) is not None else None,
                        evpi=self.analysis("evpi"))

    def keep_analysis(self, name: str, frame: Any) -> None:
        self.analyses[name] = (self.signature(), frame)

    def budget(self) -> float:
        """The pooled budget of the first planning year under the rules and the changes made
        in this session (£m): the one figure the Rules page's budget, the budget curve and the
        results speak of."""
        if self.inputs is None:
            return 0.0
        try:
            fund = self.money()
        except InputError:
            return self.first_year_budget()
        first = fund[(fund["year"] == self.inputs.years[0]) & ~fund["cap_only"]]
        return float(first["amount_m"].sum())

    def try_policy(self, data: dict[str, Any]) -> tuple[Policy | None, list[Problem]]:
        """`data` as a policy model and every problem it has with the current data set (the
        checks of each switched-on family): (policy, []) when it can be used."""
        try:
            policy = policy_from_dict(data, where="the Rules page")
        except InputError as err:
            return None, list(err.problems)
        return policy, self.policy_problems(policy)

    def policy_problems(self, policy: Policy) -> list[Problem]:
        """What stops `policy` applying to the current data (the families' checks)."""
        if self.inputs is None:
            return []
        return _policy_problems(self.inputs, policy)

    def rule_blocker(self, family: str) -> list[Problem]:
        """Why a switched-off rule could not be switched on as it stands (a figure it needs,
        or data it needs), or [] when it could. Kept per data and policy."""
        # the data and the rules, not the session's budget: a budget change keeps them
        sig = (self.inputs.data_hash if self.inputs is not None else "") + json.dumps(
            self.policy.model_dump(mode="json"), sort_keys=True)
        cache = self._blockers if self._blockers_key == sig else {}
        if family not in cache:
            data = self.policy.model_dump(mode="python")
            data["rules"][family]["enabled"] = True
            try:
                policy = policy_from_dict(data, where="the Rules page")
            except InputError as err:
                cache[family] = list(err.problems)
            else:
                cache[family] = [] if self.inputs is None else _problems_of(
                    self.inputs.data_hash + json.dumps(policy.model_dump(mode="json"),
                                                       sort_keys=True), self.inputs, policy)
        self._blockers, self._blockers_key = cache, sig
        return cache[family]

    def objective_without_pins(self) -> float | None:
        """The objective of the current data and rules with no line pinned (None: not
        solved to optimal), kept per data and policy."""
        if self.inputs is None or not self.effective_policy().pins:
            return None
        sig = self.signature()
        if self._unpinned_key != sig:
            policy = self.effective_policy().model_copy(update={"pins": []})
            res = build(self.inputs, policy, self.overrides or None).results()
            self._unpinned = res.objective if res.optimal else None
            self._unpinned_key = sig
        return self._unpinned

    def first_year_budget(self) -> float:
        """The pooled budget of the first year in the data (before any override), £m."""
        if self.inputs is None:
            return 0.0
        fund = self.inputs.funding
        return float(fund.loc[fund["year"] == self.inputs.years[0], "amount_m"].sum())


def workspace() -> Workspace:
    """This session's workspace, made on first use with the example ICS."""
    if KEY not in st.session_state:
        ws = Workspace()
        models = policy_files(models_dir())
        if DEFAULT_MODEL in models:
            ws.replace_policy(load_policy(models[DEFAULT_MODEL]["path"]), DEFAULT_MODEL)
        ws.use_example()
        st.session_state[KEY] = ws
    return st.session_state[KEY]


def models_dir() -> str:
    """The folder of shipped policy models (set by :func:`budgetopt.ui.app.main`)."""
    return st.session_state[MODELS_KEY]
