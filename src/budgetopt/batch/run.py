"""Many solves at once on Dask: many ICSs × policy models × overrides × seeds.

A *manifest* (YAML or CSV) lists jobs, or a grid that is expanded into jobs; it is validated
whole before anything runs (pydantic, every bad key named with "did you mean", as the policy
models are), and so are the job names. Each job is a data set, a policy model, overrides and a
seed. :func:`plan` reads every data set and policy once, on this machine, so workers need no
access to the files and a remote cluster computes exactly what this machine would.
:func:`run_batch` sends each data set to every Dask worker once (scattered), then the jobs —
a ``LocalCluster`` of one process per core by default, or an existing cluster by its scheduler
address — gathers the answers as they finish (packed for the store on the worker), saves them
in the scenario store a few dozen per transaction (one version per job, with its provenance)
and returns a summary table. Dask does the scheduling; nothing here does.

* A job that fails (bad data, a bad override, an error while solving, a solve that kills its
  worker, a job over ``job_timeout``) is reported with its reason; an infeasible job is saved
  with its infeasibility advice. Neither stops the others (MODEL.md, "Batch exit codes").
* Resume: a job is done when the store holds ``<batch>/<job>`` solved from the same inputs
  (data content, policy, overrides, seed: :func:`store.run_key`) by the same budgetopt and
  HiGHS versions; re-running a batch after a crash does only the rest (``force`` does all).
  Only one run of a batch at a time per store (:meth:`Store.batch_lock`).
* Interrupted (Ctrl-C, a lost scheduler): what was answered is saved, and
  :class:`BatchInterrupted` says "N of M saved; re-run to resume".
* Deterministic: a job's answer depends only on its inputs; the seed is HiGHS's
  ``random_seed``. One process, a LocalCluster and a remote cluster give the same answers.

YAML manifest::

    name: regional comparison          # scenario names are "<name>/<job>"
    jobs:                              # explicit jobs ...
      - {name: north, data: north/, model: models/default.yaml, set: {budget_m: 240}}
    grid:                              # ... and/or a grid: every combination
      data: [inputs/example, inputs/example.xlsx]
      model: [models/default.yaml, models/shift-left.yaml]
      set: [{}, {budget_m: 240}]
      seed: [1]

Top-level ``data:`` and ``model:`` are defaults for every job that does not name its own, and
``scenarios:`` may be written for ``jobs:`` — the same file describes a family of scenarios for
``budgetopt analyse compare`` (models/scenarios/example.yaml).

CSV manifest: columns ``name, data, model, set, seed``; ``set`` is ``key=value`` pairs
separated by ``;``. Paths are relative to the manifest's folder.
"""

from __future__ import annotations

import contextlib
import csv
import itertools
import math
import re
import time
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from budgetopt.data.safe_yaml import load_yaml
from budgetopt.errors import BudgetoptError, InputError, PolicyError
from budgetopt.safe import regular_input


class JobStatus(StrEnum):
    """A batch job's status: a solve's (:class:`~budgetopt.solve.status.SolveStatus`), or
    ``failed`` when it could not be solved (bad input, a crash, a time-out)."""

    OPTIMAL = "optimal"
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    TIME_LIMIT = "time_limit"
    ERROR = "error"
    FAILED = "failed"


SUMMARY_COLUMNS = ["job", "data", "model", "overrides", "seed", "status", "objective",
                   "seconds", "scenario", "reason"]

MAX_JOBS = 10_000
"""The most jobs one batch may hold (its explicit jobs and its grid's combinations): a larger
one is refused before any is planned, naming the count (split it into several batches)."""

MAX_NAME = 120
"""Longest job or batch name (a scenario is named ``<batch>/<job>``, 200 characters at most)."""

SAVE_EVERY = 50
"""Answers are saved in groups of this many (or every :data:`SAVE_SECONDS`), one transaction
each, rather than one at a time."""
SAVE_SECONDS = 2.0
WORKER_WAIT_S = 60.0
"""How long a batch waits for a scheduler with no workers before saying so."""


@dataclass(frozen=True)
class JobSpec:
    """One line of a manifest, before its files are read."""

    name: str
    data: Path
    model: Path | None
    overrides: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    where: str = ""  # manifest row, for messages


@dataclass(frozen=True)
class Job:
    """A job ready to run anywhere. Its data set's content travels beside it: sent to each
    Dask worker once (scattered), not inside every job."""

    name: str
    spec: JobSpec
    label: str
    data_hash: str
    policy: dict[str, Any]
    overrides: dict[str, Any]
    key: str  # store.run_key: what the answer depends on
    content: Any = None  # the DatasetContent (left out when sent to Dask)

    def describe(self) -> dict[str, Any]:
        return _describe(self.spec)


class BatchInterrupted(BudgetoptError):
    """The batch stopped before every job was done (Ctrl-C, a lost scheduler): what was
    answered is saved, and running the batch again resumes."""

    def __init__(self, why: str, saved: int, total: int, *, keyboard: bool = False) -> None:
        self.why, self.saved, self.total, self.keyboard = why, saved, total, keyboard
        super().__init__(f"{why}. {saved} of {total} saved; re-run to resume.")


# -- manifests ---------------------------------------------------------------------------------


class _Entry(BaseModel):
    """A job as a manifest writes it (``jobs:`` / ``scenarios:`` item or CSV row)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, description="Job name (scenario '<batch>/<name>').")
    data: str | None = Field(None, description="Data set: a CSV folder or an .xlsx workbook.")
    model: str | None = Field(None, description="Policy model YAML (blank: the default).")
    set: Any = Field(None, description="Overrides: {key: value} or key=value pairs.")
    seed: int = Field(0, ge=0, description="HiGHS's random seed.")


class _Grid(BaseModel):
    """Every combination of the listed data sets, models, overrides and seeds."""

    model_config = ConfigDict(extra="forbid")

    data: Any = None
    model: Any = None
    set: Any = None
    seed: Any = None


class _Manifest(BaseModel):
    """A YAML manifest: explicit jobs (or scenarios) and/or a grid, with defaults."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, description="The batch's name.")
    data: str | None = Field(None, description="Default data set of every job.")
    model: str | None = Field(None, description="Default policy model of every job.")
    jobs: list[_Entry] | None = None
    scenarios: list[_Entry] | None = None
    grid: _Grid | None = None


def _validated(model: type[BaseModel], doc: Any, where: str) -> Any:
    """`doc` as a `model`, or an InputError naming every bad key's path ("did you mean")."""
    from budgetopt.policy import validation_problems

    try:
        return model.model_validate(doc)
    except ValidationError as err:
        raise InputError(validation_problems(err, where, root=model),
                         title=f"The manifest {where} has problems") from None


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "job"


def check_name(name: str, where: str, what: str = "job name") -> str:
    """A job or batch name a scenario can carry: printable, not ending in ``@<number>`` (how
    a version is named), at most :data:`MAX_NAME` characters. Returns it stripped."""
    text = name.strip()
    bad = [c for c in text if unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co")]
    if not text:
        raise InputError.single(where, f"{what}: give a name")
    if bad:
        shown = ", ".join(sorted({f"U+{ord(c):04X}" for c in bad}))
        raise InputError.single(where, f"{what} {text!r} holds control or invisible "
                                f"characters ({shown}): use letters, digits and punctuation")
    if re.search(r"@\d+$", text):
        raise InputError.single(where, f"{what} '{text}' ends in @<number>, which is how a "
                                "scenario's version is named: choose another name")
    if len(text) > MAX_NAME:
        raise InputError.single(where, f"{what} is {len(text)} characters long; at most "
                                f"{MAX_NAME}")
    return text


def _overrides(value: Any, where: str) -> dict[str, Any]:
    from budgetopt.policy import override_items

    if value is None or value == "" or value == {}:
        return {}
    if isinstance(value, dict):
        return {str(k): v for k, v in value.items()}
    if isinstance(value, str):
        value = [v for v in value.split(";") if v.strip()]
    if isinstance(value, list):
        try:
            return dict(override_items([str(v) for v in value]))
        except PolicyError as err:
            raise InputError.single(where, f"set: {err.problems[0].message}") from None
    raise InputError.single(where, "set: give a mapping {key: value} or key=value pairs")


def _spec(entry: _Entry, base: Path, where: str, default_name: str) -> JobSpec:
    if not entry.data:
        raise InputError.single(where, "data: every job needs a data set (a folder or .xlsx)")
    name = check_name(entry.name or default_name, where)
    return JobSpec(name, base / entry.data, base / entry.model if entry.model else None,
                   _overrides(entry.set, where), entry.seed, where)


def _too_many(what: str) -> str:
    return (f"{what}: at most {MAX_JOBS:,} jobs a batch; split it into several batches "
            "(nothing was run)")


def _grid_name(data: Any, model: Any, overrides: dict[str, Any], seed: int) -> str:
    # the data set by its file name: a CSV folder and its workbook (example, example.xlsx)
    # are two jobs, not one name used twice
    parts = [Path(str(data)).name or str(data), Path(str(model)).stem if model else "default"]
    parts += [f"{k.split('.')[-1]}={v}" for k, v in overrides.items()]
    parts += [f"seed={seed}"] if seed else []
    return _slug("_".join(parts))[:MAX_NAME]


def _text(path: Path, label: str) -> str:
    """A manifest's text: UTF-8 (a BOM allowed), from a regular file, or bad input."""
    regular_input(path, "the manifest", where=label)
    try:
        data = path.read_bytes()
    except OSError as err:
        raise InputError.single(label, f"cannot be read ({err.strerror})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputError.single(label, f"is not UTF-8 text (byte 0x{data[err.start]:02x} at "
                                f"position {err.start}): save it as UTF-8") from None


def read_manifest(path: str | Path) -> tuple[str, list[JobSpec]]:
    """The batch's name and its jobs (grid expanded), or an InputError naming the row."""
    path = Path(path)
    if not path.exists():
        raise InputError.single(str(path), "no such manifest file")
    base, label = path.parent, path.name
    text = _text(path, label)  # a regular file of UTF-8 text
    specs: list[JobSpec] = []
    if path.suffix.lower() == ".csv":
        name = path.stem
        for i, row in enumerate(csv.DictReader(text.splitlines()), start=2):
            where = f"{label}, row {i}"
            if i - 1 > MAX_JOBS:
                raise InputError.single(where, _too_many(
                    f"the manifest lists more than {MAX_JOBS:,} jobs"))
            row = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k}
            row = {k: v for k, v in row.items() if v != "" or k not in ("seed", "model")}
            specs.append(_spec(_validated(_Entry, row, where), base, where, f"job-{i - 1}"))
    else:
        # the one safe loader: no alias bombs (billion laughs), no key given twice
        doc = load_yaml(text, label)
        if doc is None:
            doc = {}
        if not isinstance(doc, dict):
            raise InputError.single(label, "a manifest is a mapping with jobs: and/or grid:")
        m: _Manifest = _validated(_Manifest, doc, label)
        name = m.name or path.stem
        key = "scenarios" if m.scenarios is not None else "jobs"
        listed = (m.scenarios if key == "scenarios" else m.jobs) or []
        if len(listed) > MAX_JOBS:
            raise InputError.single(f"{label} › {key}", _too_many(
                f"the manifest lists {len(listed):,} jobs"))
        for i, entry in enumerate(listed, start=1):
            filled = entry.model_copy(update={"data": entry.data or m.data,
                                              "model": entry.model or m.model})
            specs.append(_spec(filled, base, f"{label} › {key}[{i}]", f"job-{i}"))
        if m.grid is not None:
            g = m.grid
            axes = [g.data or ([m.data] if m.data else []), g.model or [m.model],
                    g.set or [{}], g.seed or [0]]
            axes = [a if isinstance(a, list) else [a] for a in axes]
            if not axes[0]:
                raise InputError.single(f"{label} › grid", "data: list at least one data set")
            size = math.prod(len(a) for a in axes)
            if len(specs) + size > MAX_JOBS:
                shape = " × ".join(f"{len(a):,} {what}" for a, what in zip(
                    axes, ("data sets", "models", "override sets", "seeds")))
                raise InputError.single(f"{label} › grid", _too_many(
                    f"the grid makes {size:,} jobs ({shape})"
                    + (f" beside the {len(specs):,} listed" if specs else "")))
            for data, model, sets, seed in itertools.product(*axes):
                where = f"{label} › grid ({data}, {model or 'default'}, {sets}, seed {seed})"
                ov = _overrides(sets, where)
                entry = _validated(_Entry, {"data": str(data), "model": model, "set": ov,
                                            "seed": seed}, where)
                specs.append(_spec(entry, base, where,
                                   _grid_name(data, model, ov, entry.seed)))
    name = check_name(str(name), label, "batch name")
    if not specs:
        raise InputError.single(label, "the manifest lists no jobs")
    seen: dict[str, str] = {}
    for s in specs:
        if s.name in seen:
            raise InputError.single(s.where, f"job name '{s.name}' is used twice (also at "
                                    f"{seen[s.name]}): each job needs its own name")
        seen[s.name] = s.where
    return name, specs


# -- planning: read every file once, here ------------------------------------------------------


def plan(specs: Iterable[JobSpec]) -> tuple[list[Job], list[dict[str, Any]]]:
    """Jobs ready to send, and the specs that failed while reading (with their reasons).

    Each data set is read and validated once; the jobs on it share one content object.
    """
    from budgetopt.data.read import read_tables
    from budgetopt.data.validate import validate
    from budgetopt.policy import apply_overrides, load_policy
    from budgetopt.store.db import DatasetContent, run_key

    jobs, failed = [], []
    read_cache: dict[tuple[Path, str], DatasetContent] = {}
    for spec in specs:
        try:
            policy = load_policy(spec.model)
            overrides = {**spec.overrides}
            if spec.seed:
                overrides["solver.random_seed"] = spec.seed
            effective = apply_overrides(policy, overrides) if overrides else policy
            cache_key = (spec.data, effective.nonconcave)
            if cache_key not in read_cache:
                raw = read_tables(spec.data)
                read_cache[cache_key] = DatasetContent.from_raw(
                    raw, validate(raw, nonconcave=effective.nonconcave))
            content = read_cache[cache_key]
            jobs.append(Job(spec.name, spec, content.label, content.data_hash,
                            policy.model_dump(mode="json"), overrides,
                            run_key(content.data_hash, policy, overrides), content))
        except InputError as err:
            failed.append({**_describe(spec), "status": JobStatus.FAILED,
                           "reason": "; ".join(str(p) for p in err.problems)})
        except (OSError, UnicodeError, ValueError) as err:  # an unreadable file: this job
            failed.append({**_describe(spec), "status": JobStatus.FAILED,
                           "reason": f"{type(err).__name__}: {err}"})
    return jobs, failed


def _describe(spec: JobSpec) -> dict[str, Any]:
    return {"job": spec.name, "data": str(spec.data), "model": str(spec.model or "default"),
            "overrides": ", ".join(f"{k}={v}" for k, v in spec.overrides.items()),
            "seed": spec.seed}


# -- one job, on a worker ----------------------------------------------------------------------

_INPUTS: dict[tuple[str, str], Any] = {}
"""Validated inputs by (data hash, nonconcave), kept by each worker process for the jobs that
follow on the same data set (a handful at most)."""


def _inputs(content: Any, nonconcave: str) -> Any:
    key = (content.data_hash, nonconcave)
    if key not in _INPUTS:
        if len(_INPUTS) >= 8:
            _INPUTS.pop(next(iter(_INPUTS)))
        _INPUTS[key] = content.inputs(nonconcave=nonconcave)
    return _INPUTS[key]


def run_job(job: Job, content: Any = None, *, packed: bool = False) -> dict[str, Any]:
    """Solve one job; never raises (a failure is returned with its reason).

    `content` is the job's data set (a scattered copy on Dask; default ``job.content``).
    With `packed`, the answer comes back ready for the store (``blob``, packed here on the
    worker) instead of as a ``record``.
    """
    t0 = time.perf_counter()
    try:
        from budgetopt.api import build
        from budgetopt.policy import policy_from_dict
        from budgetopt.store.db import pack_record

        policy = policy_from_dict(job.policy, where=f"job {job.name} › policy")
        inputs = _inputs(content if content is not None else job.content, policy.nonconcave)
        results = build(inputs, policy, job.overrides or None).results()
        record = results.to_record()
        out = {"job": job.name, "status": results.status, "objective": results.objective,
               "reason": _reason(results), "seconds": time.perf_counter() - t0,
               "provenance": results.provenance}
        if packed:
            return {**out, "blob": pack_record(record), "record": None}
        return {**out, "record": record, "blob": None}
    except Exception as err:  # noqa: BLE001 - reported per job, the batch goes on
        return {"job": job.name, "status": JobStatus.FAILED, "objective": None, "record": None,
                "blob": None, "reason": f"{type(err).__name__}: {err}",
                "seconds": time.perf_counter() - t0}


def _reason(results: Any) -> str:
    if results.optimal:
        return ""
    if results.infeasibility is not None:
        return results.infeasibility.message
    return f"HiGHS: {results.solver_status}"


# -- the batch ---------------------------------------------------------------------------------


@dataclass
class BatchReport:
    """What a batch did: one summary row per job, and counts."""

    name: str
    summary: pd.DataFrame
    ran: int = 0
    skipped: int = 0
    failed: int = 0

    def sentence(self) -> str:
        ok = int((self.summary["status"] == JobStatus.OPTIMAL).sum())
        return (f"Batch '{self.name}': {len(self.summary)} jobs; {self.ran} solved "
                f"({ok} optimal overall), {self.skipped} already in the store, "
                f"{self.failed} failed.")


def versions() -> tuple[str, str]:
    """This budgetopt's and HiGHS's versions, as a saved answer records them."""
    import highspy

    from budgetopt import __version__

    solver = getattr(highspy, "__version__", None)
    if not solver:
        from importlib.metadata import version

        solver = version("highspy")
    return str(__version__), str(solver)


class _Saver:
    """Collects answers and saves them in groups, one transaction per group."""

    def __init__(self, store: Any, batch: str) -> None:
        self.store, self.batch = store, batch
        self.pending: list[tuple[dict[str, Any], Any]] = []  # (summary row, Answer)
        self.saved = 0
        self.last = time.monotonic()

    def add(self, row: dict[str, Any], answer: Any) -> None:
        self.pending.append((row, answer))
        if len(self.pending) >= SAVE_EVERY or time.monotonic() - self.last > SAVE_SECONDS:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            refs = self.store.save_many([a for _, a in self.pending])
            for (row, _), ref in zip(self.pending, refs, strict=True):
                row["scenario"] = ref
            self.saved += len(self.pending)
            self.pending = []
        self.last = time.monotonic()


def run_batch(manifest: str | Path, *, store: Any = None, scheduler: str | None = None,
              workers: int | None = None, local: bool = False, force: bool = False,
              job_timeout: float | None = None,
              progress: Callable[[int, int, str], None] | None = None) -> BatchReport:
    """Run every job of `manifest` and save the answers in `store`.

    Parameters
    ----------
    manifest : path
        YAML or CSV manifest (see the module's docstring).
    store : budgetopt.store.db.Store, optional
        Where answers are saved (default: :class:`~budgetopt.store.db.Store` at its default URL).
    scheduler : str, optional
        Address of an existing Dask scheduler (``tcp://host:8786``); default: a LocalCluster.
    workers : int, optional
        Worker processes of the LocalCluster (default: one per core).
    local : bool
        Run in this process without Dask (for debugging; same answers).
    force : bool
        Solve and save every job again, even those already saved for this batch.
    job_timeout : float, optional
        Seconds one job may take: its solve stops there (HiGHS's time limit, status
        time_limit), and on Dask a job still running a little after it is stopped (its
        worker restarted) and reported failed.
    progress : callable(done, total, job name), optional
        Called as each job finishes.

    Raises
    ------
    InputError
        A bad manifest, the batch running already on this store, no scheduler or workers.
    BatchInterrupted
        Ctrl-C or a lost scheduler: the answers collected are saved first.
    """
    from budgetopt.store.db import Answer, Store

    name, specs = read_manifest(manifest)
    if job_timeout is not None and not (job_timeout > 0 and math.isfinite(job_timeout)):
        raise InputError.single("--job-timeout", f"{job_timeout}: give a number of seconds "
                                "above 0")
    store = store or Store()
    store.require_writable(f"run batch '{name}'")
    with store.batch_lock(name):
        jobs, failed = plan(specs)
        rows: dict[str, dict[str, Any]] = {f["job"]: {**f, "objective": None, "seconds": 0.0,
                                                      "scenario": ""} for f in failed}
        mine = versions()
        saved = store.saved_runs([f"{name}/{j.name}" for j in jobs]) if not force else {}
        todo = []
        for job in jobs:
            done = next((v for v in saved.get(f"{name}/{job.name}", [])
                         if v["run_key"] == job.key
                         and (v["budgetopt_version"], v["solver_version"]) == mine), None)
            if done is not None:
                rows[job.name] = {**job.describe(), "status": done["solve_status"],
                                  "objective": done["objective"], "seconds": 0.0,
                                  "scenario": done["ref"], "reason": "already in the store"}
            else:
                todo.append(job)
        if job_timeout is not None:
            limit = {"solver.time_limit_s": float(job_timeout)}
            todo = [replace(j, overrides={**j.overrides, **limit}) for j in todo]
        skipped = len(jobs) - len(todo)
        by_name = {j.name: j for j in todo}
        saver = _Saver(store, name)
        count = 0
        total = len(todo)

        def collect(out: dict[str, Any]) -> None:
            nonlocal count
            job = by_name[out["job"]]
            row = {**job.describe(), "status": out["status"], "objective": out["objective"],
                   "seconds": out["seconds"], "scenario": "", "reason": out["reason"]}
            rows[job.name] = row
            if out.get("blob") is not None:
                from budgetopt.policy import policy_from_dict

                saver.add(row, Answer(
                    f"{name}/{job.name}", job.content, policy_from_dict(job.policy),
                    job.overrides, out["blob"], out["status"], out["objective"],
                    out["provenance"], note=f"batch '{name}', job '{job.name}'",
                    run_key=job.key))
            count += 1
            if progress:
                progress(count, total, job.name)

        try:
            if todo and local:
                for job in todo:
                    collect(run_job(job, packed=True))
            elif todo:
                _run_on_dask(todo, collect, scheduler, workers, job_timeout)
            saver.flush()
        except KeyboardInterrupt:
            saver.flush()
            raise BatchInterrupted("Interrupted", skipped + saver.saved, len(specs),
                                   keyboard=True) from None
        except _SchedulerLost as lost:
            saver.flush()
            raise BatchInterrupted(str(lost), skipped + saver.saved, len(specs)) from None
    order = [s.name for s in specs]
    summary = pd.DataFrame([rows[n] for n in order if n in rows], columns=SUMMARY_COLUMNS)
    n_failed = int((summary["status"] == JobStatus.FAILED).sum())
    return BatchReport(name, summary, ran=total, skipped=skipped, failed=n_failed)


class _SchedulerLost(Exception):
    pass


def _client(scheduler: str | None, workers: int | None) -> tuple[Any, Any]:
    """A Dask client (and the LocalCluster it runs, or None) with at least one worker."""
    import os

    import dask
    from dask.distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as err:
            raise InputError.single("--scheduler", f"cannot reach the Dask scheduler at "
                                    f"{scheduler} ({err})") from None
        try:
            client.wait_for_workers(1, timeout=WORKER_WAIT_S)
        except (TimeoutError, OSError):
            client.close()
            raise InputError.single("--scheduler", f"the Dask scheduler at {scheduler} has no "
                                    f"workers (waited {WORKER_WAIT_S:.0f} s): start some with "
                                    f"`dask worker {scheduler}`") from None
        return client, None
    n = workers or os.cpu_count() or 1
    # A job that kills its worker (out of memory, a crash) is tried once more, then failed;
    # each worker holds only the job it runs (saturation 1), so no job waiting behind it
    # is counted as a suspect when it dies.
    with dask.config.set({"distributed.scheduler.allowed-failures": 1,
                          "distributed.scheduler.worker-saturation": 1.0}):
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=40)
    return Client(cluster), cluster


def _run_on_dask(jobs: list[Job], collect: Callable[[dict[str, Any]], None],
                 scheduler: str | None, workers: int | None,
                 job_timeout: float | None, task: Callable[..., dict[str, Any]] = run_job
                 ) -> None:
    """Run `jobs` on Dask, calling `collect` with each answer as it comes (`task` is
    :func:`run_job`; the tests give one that crashes its worker or hangs)."""
    from dask.distributed import wait

    client, cluster = _client(scheduler, workers)
    try:
        with client:
            # every worker (a restarted one too) imports the solver before its first job, so
            # a job's time on a worker is its own, not the imports'
            client.register_plugin(_warm_plugin(), name="budgetopt-warm")
            contents = {}
            for job in jobs:
                if job.data_hash not in contents:
                    # each data set sent once, as a task of its own that the jobs on it need:
                    # workers copy it from each other, and if every copy is lost with its
                    # workers, Dask makes it again (a scattered copy would be gone for good)
                    contents[job.data_hash] = client.submit(
                        _content, job.content, key=f"budgetopt-data-{job.data_hash[:16]}",
                        pure=False)

            futures: dict[Any, Job] = {}
            number: dict[Any, int] = {}  # each future's job, by its place in the batch
            used: dict[Any, Any] = {}  # each future's data-set task
            again: dict[int, int] = {}  # jobs sent again because their data set was lost

            def submit(job: Job, i: int) -> Any:
                attempt = again.get(i, 0)
                f = client.submit(task, replace(job, content=None), contents[job.data_hash],
                                  packed=True, key=f"budgetopt-{job.key[:16]}-{i}"
                                  + (f"-again{attempt}" if attempt else ""), pure=False)
                futures[f], number[f], used[f] = job, i, contents[job.data_hash]
                return f

            for i, job in enumerate(jobs):
                submit(job, i)
            pending = set(futures)
            seen: dict[str, float] = {}
            grace = 5.0 + 0.5 * (job_timeout or 0.0)  # HiGHS stops itself first
            no_workers_since: float | None = None
            while pending:
                try:
                    finished, pending = wait(pending, timeout=1.0, return_when="FIRST_COMPLETED")
                except TimeoutError:
                    finished = set()
                except Exception as err:  # the connection went (stop, say so) or a task did
                    if client.status != "running":
                        raise _SchedulerLost(f"The Dask scheduler was lost ({err})") from None
                    finished = {f for f in pending if f.status in ("cancelled", "error")}
                    pending -= finished
                    if not finished:
                        raise
                if not finished:
                    no_workers_since = _check_workers(client, no_workers_since)
                for f in finished:
                    job = futures[f]
                    try:
                        out = f.result(timeout=60) if f.status == "finished" else None
                    except Exception:  # noqa: BLE001 - a result lost with its worker
                        if client.status != "running":
                            raise _SchedulerLost("The Dask scheduler was lost") from None
                        pending.add(f)  # Dask computes a lost result again
                        continue
                    if out is not None:
                        collect(out)
                    elif client.status != "running":
                        raise _SchedulerLost("The Dask scheduler was lost")
                    elif used[f].status == "error" and again.get(number[f], 0) < 2 \
                            and not _killed_its_workers(f):
                        # not this job's fault: its data set's task was lost with workers
                        # another job killed (Dask gives up on a task after two such
                        # deaths): make the data set again (once) and send the job again
                        i = number[f]
                        again[i] = again.get(i, 0) + 1
                        if contents[job.data_hash].status == "error":
                            contents[job.data_hash] = client.submit(
                                _content, job.content, pure=False,
                                key=f"budgetopt-data-{job.data_hash[:16]}-again{again[i]}")
                        pending.add(submit(job, i))
                    else:
                        collect(_failed(job, f))
                    del futures[f], number[f], used[f]  # its result is no longer kept
                if client.status != "running":
                    raise _SchedulerLost(f"The Dask scheduler was lost ({client.status})")
                if job_timeout is not None and pending:
                    _time_out(client, futures, pending, seen, job_timeout + grace, collect)
    finally:
        if cluster is not None:
            cluster.close()


def _check_workers(client: Any, since: float | None) -> float | None:
    """When the cluster has had no worker for :data:`WORKER_WAIT_S` (every worker gone and
    none restarted: a job that kills each worker it reaches, a machine out of memory), stop
    the batch saying so, rather than wait for ever; returns since when it has had none."""
    try:
        workers = client.scheduler_info().get("workers", {})
    except Exception:  # noqa: BLE001 - the scheduler itself is gone: the loop says so
        return since
    if workers:
        return None
    now = time.monotonic()
    if since is None:
        return now
    if now - since > WORKER_WAIT_S:
        raise _SchedulerLost(f"The Dask cluster has had no workers for {WORKER_WAIT_S:.0f} s "
                             "(each one died and none was started again)")
    return since


def _warm_plugin() -> Any:
    """A Dask worker plugin that imports the library when a worker starts."""
    from distributed.diagnostics.plugin import WorkerPlugin

    class Warm(WorkerPlugin):
        idempotent = True

        def setup(self, worker: Any) -> None:
            import budgetopt.api
            import budgetopt.store.db  # noqa: F401

    return Warm()


def _content(content: Any) -> Any:
    """The data set a batch's jobs need, as a Dask task (see :func:`_run_on_dask`)."""
    return content


def _killed_its_workers(future: Any) -> bool:
    """Whether `future`'s own task killed the workers running it (Dask's KilledWorker names
    the task it gave up on): such a job is failed, never sent again, even when its data set's
    task was lost with the same workers."""
    try:
        err = future.exception(timeout=5)
    except Exception:  # noqa: BLE001 - no answer about it: treat it as not its own fault
        return False
    return type(err).__name__ == "KilledWorker" and str(getattr(err, "task", "")) == \
        str(future.key)


def _failed(job: Job, future: Any) -> dict[str, Any]:
    """A job whose task did not return: it killed its worker, or raised outside run_job."""
    try:
        err = future.exception(timeout=5)
    except Exception as e:  # noqa: BLE001 - whatever went wrong is the reason
        err = e
    text = f"{type(err).__name__}: {err}"
    if type(err).__name__ == "KilledWorker":
        text = ("the job killed the worker running it (out of memory or a crash), twice; "
                f"{err}")
    return {"job": job.name, "status": JobStatus.FAILED, "objective": None, "record": None,
            "blob": None, "reason": text, "seconds": 0.0}


def _time_out(client: Any, futures: dict[Any, Job], pending: set[Any],
              seen: dict[str, float], limit: float,
              collect: Callable[[dict[str, Any]], None]) -> None:
    """Stop jobs running longer than `limit` seconds: cancel each, restart its worker."""
    now = time.monotonic()
    try:
        processing = client.processing()
    except (OSError, TimeoutError):
        return
    by_key = {f.key: f for f in pending}
    stuck: dict[str, list[Any]] = {}
    for worker, keys in processing.items():
        for key in keys:
            if key in by_key:
                first = seen.setdefault(key, now)
                if now - first > limit:
                    stuck.setdefault(worker, []).append(by_key[key])
    for worker, fs in stuck.items():
        for f in fs:
            client.cancel(f)
            pending.discard(f)
            job = futures[f]
            collect({"job": job.name, "status": JobStatus.FAILED, "objective": None, "record": None,
                     "blob": None, "seconds": now - seen[f.key],
                     "reason": f"took longer than --job-timeout (stopped after "
                               f"{now - seen[f.key]:.0f} s; its worker was restarted)"})
        with contextlib.suppress(Exception):  # a worker that will not restart: Dask's to mend
            client.restart_workers([worker], timeout=60)


def write_summary(report: BatchReport, path: str | Path) -> None:
    """The summary as CSV or (by suffix) an Excel workbook, written all-or-nothing."""
    from budgetopt.safe import write_atomically, write_csv

    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        from openpyxl import Workbook

        from budgetopt.reports.export import write_frame

        def write(p: Path) -> None:
            wb = Workbook()
            ws = wb.active
            ws.title = "Batch"
            write_frame(ws, report.summary)
            wb.save(p)
    else:
        def write(p: Path) -> None:
            write_csv(report.summary, p)
    write_atomically({path: write})


__all__ = ["BatchInterrupted", "BatchReport", "Job", "JobSpec", "check_name", "plan",
           "read_manifest", "run_batch", "run_job", "versions", "write_summary"]
