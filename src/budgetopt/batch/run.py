"""Many solves at once on Dask: many ICSs × policy models × overrides × seeds.

A *manifest* (YAML or CSV) lists jobs, or a grid that is expanded into jobs. Each job is a data
set, a policy model, overrides and a seed. :func:`plan` reads every data set and policy once,
on this machine, and turns each job into a self-contained :class:`Job` (the data set's content
travels with it), so workers need no access to the files and a remote cluster computes exactly
what this machine would. :func:`run_batch` sends the jobs to Dask — a ``LocalCluster`` of one
process per core by default, or an existing cluster by its scheduler address — gathers the
answers as they finish, saves each in the scenario store (one version per job, with its
provenance) and returns a summary table. Dask does the scheduling; nothing here does.

* A job that fails (bad data, a bad override, an error while solving) is reported with its
  reason; an infeasible job is saved with its infeasibility advice. Neither stops the others.
* Resume: a job whose inputs (data content, policy, overrides, seed: :func:`store.run_key`)
  are already in the store is skipped, so re-running a batch after a crash does only the rest.
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

import csv
import itertools
import json
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from budgetopt.data.safe_yaml import read_yaml
from budgetopt.errors import InputError, PolicyError

SUMMARY_COLUMNS = ["job", "data", "model", "overrides", "seed", "status", "objective",
                   "seconds", "scenario", "reason"]


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
    """A job ready to run anywhere: the data set's content travels with it."""

    name: str
    spec: JobSpec
    label: str
    tables: dict[str, dict[str, list]]
    data_hash: str
    policy: dict[str, Any]
    overrides: dict[str, Any]
    key: str  # store.run_key: what the answer depends on

    def describe(self) -> dict[str, Any]:
        return _describe(self.spec)


# -- manifests ---------------------------------------------------------------------------------


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "job"


def _overrides(value: Any, where: str) -> dict[str, Any]:
    from budgetopt.policy import override_items

    if value is None or value == "" or value == {}:
        return {}
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, str):
        value = [v for v in value.split(";") if v.strip()]
    if isinstance(value, list):
        try:
            return dict(override_items([str(v) for v in value]))
        except PolicyError as err:
            raise InputError.single(where, f"set: {err.problems[0].message}") from None
    raise InputError.single(where, "set: give a mapping {key: value} or key=value pairs")


def _spec(row: dict[str, Any], base: Path, where: str, default_name: str) -> JobSpec:
    unknown = set(row) - {"name", "data", "model", "set", "seed"}
    if unknown:
        raise InputError.single(where, f"unknown field(s) {', '.join(sorted(unknown))}; a job "
                                "has name, data, model, set and seed")
    if not row.get("data"):
        raise InputError.single(where, "data: every job needs a data set (a folder or .xlsx)")
    seed = row.get("seed") or 0
    try:
        seed = int(seed)
    except (TypeError, ValueError):
        raise InputError.single(where, f"seed: '{seed}' is not a whole number") from None
    model = row.get("model")
    return JobSpec(str(row.get("name") or default_name), base / str(row["data"]),
                   base / str(model) if model else None,
                   _overrides(row.get("set"), where), seed, where)


def _grid_name(data: Any, model: Any, overrides: dict[str, Any], seed: int) -> str:
    # the data set by its file name: a CSV folder and its workbook (example, example.xlsx)
    # are two jobs, not one name used twice
    parts = [Path(str(data)).name or str(data), Path(str(model)).stem if model else "default"]
    parts += [f"{k.split('.')[-1]}={v}" for k, v in overrides.items()]
    parts += [f"seed={seed}"] if seed else []
    return _slug("_".join(parts))


def read_manifest(path: str | Path) -> tuple[str, list[JobSpec]]:
    """The batch's name and its jobs (grid expanded), or an InputError naming the row."""
    path = Path(path)
    if not path.is_file():
        raise InputError.single(str(path), "no such manifest file")
    base, label = path.parent, path.name
    specs: list[JobSpec] = []
    if path.suffix.lower() == ".csv":
        name = path.stem
        with path.open(newline="", encoding="utf-8-sig") as fh:
            for i, row in enumerate(csv.DictReader(fh), start=2):
                row = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k}
                specs.append(_spec(row, base, f"{label}, row {i}", f"job-{i - 1}"))
    else:
        doc = read_yaml(path) or {}
        if not isinstance(doc, dict):
            raise InputError.single(label, "a manifest is a mapping with jobs: and/or grid:")
        unknown = set(doc) - {"name", "jobs", "scenarios", "grid", "data", "model"}
        if unknown:
            raise InputError.single(label, f"unknown key(s) {', '.join(sorted(unknown))}; a "
                                    "manifest has name, data, model, jobs (or scenarios) and "
                                    "grid")
        name = str(doc.get("name") or path.stem)
        defaults = {k: doc[k] for k in ("data", "model") if doc.get(k)}
        key = "scenarios" if "scenarios" in doc else "jobs"
        for i, row in enumerate(doc.get(key) or [], start=1):
            if not isinstance(row, dict):
                raise InputError.single(f"{label} › {key}[{i}]", "each entry is a mapping")
            specs.append(_spec({**defaults, **row}, base, f"{label} › {key}[{i}]", f"job-{i}"))
        grid = doc.get("grid") or {}
        if grid:
            unknown = set(grid) - {"data", "model", "set", "seed"}
            if unknown:
                raise InputError.single(f"{label} › grid", f"unknown key(s) "
                                        f"{', '.join(sorted(unknown))}")
            axes = [grid.get("data") or ([defaults["data"]] if "data" in defaults else []),
                    grid.get("model") or [defaults.get("model")],
                    grid.get("set") or [{}], grid.get("seed") or [0]]
            axes = [a if isinstance(a, list) else [a] for a in axes]
            if not axes[0]:
                raise InputError.single(f"{label} › grid", "data: list at least one data set")
            for data, model, sets, seed in itertools.product(*axes):
                where = f"{label} › grid ({data}, {model or 'default'}, {sets}, seed {seed})"
                ov = _overrides(sets, where)
                specs.append(_spec({"data": data, "model": model, "set": ov, "seed": seed},
                                   base, where, _grid_name(data, model, ov, int(seed or 0))))
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
    """Jobs ready to send, and the specs that failed while reading (with their reasons)."""
    from budgetopt.data.read import read_tables
    from budgetopt.data.validate import validate
    from budgetopt.policy import apply_overrides, load_policy
    from budgetopt.store.db import DatasetContent, run_key

    jobs, failed = [], []
    read_cache: dict[Path, tuple[Any, Any]] = {}
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
                read_cache[cache_key] = (raw, validate(raw, nonconcave=effective.nonconcave))
            raw, inputs = read_cache[cache_key]
            content = DatasetContent.from_raw(raw, inputs)
            jobs.append(Job(spec.name, spec, content.label, content.tables, content.data_hash,
                            policy.model_dump(mode="json"), overrides,
                            run_key(content.data_hash, policy, overrides)))
        except InputError as err:
            failed.append({**_describe(spec), "status": "failed",
                           "reason": "; ".join(str(p) for p in err.problems)})
    return jobs, failed


def _describe(spec: JobSpec) -> dict[str, Any]:
    return {"job": spec.name, "data": str(spec.data), "model": str(spec.model or "default"),
            "overrides": ", ".join(f"{k}={v}" for k, v in spec.overrides.items()),
            "seed": spec.seed}


# -- one job, on a worker ----------------------------------------------------------------------


def run_job(job: Job) -> dict[str, Any]:
    """Solve one job; never raises (a failure is returned with its reason)."""
    t0 = time.perf_counter()
    try:
        from budgetopt.api import build
        from budgetopt.policy import policy_from_dict
        from budgetopt.store.db import DatasetContent

        policy = policy_from_dict(job.policy, where=f"job {job.name} › policy")
        content = DatasetContent(job.label, job.tables, job.data_hash)
        inputs = content.inputs(nonconcave=policy.nonconcave)
        results = build(inputs, policy, job.overrides or None).results()
        return {"job": job.name, "status": results.status, "objective": results.objective,
                "record": results.to_record(), "reason": _reason(results),
                "seconds": time.perf_counter() - t0}
    except Exception as err:  # noqa: BLE001 - reported per job, the batch goes on
        return {"job": job.name, "status": "failed", "objective": None, "record": None,
                "reason": f"{type(err).__name__}: {err}", "seconds": time.perf_counter() - t0}


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
        ok = int((self.summary["status"] == "optimal").sum())
        return (f"Batch '{self.name}': {len(self.summary)} jobs; {self.ran} solved "
                f"({ok} optimal overall), {self.skipped} already in the store, "
                f"{self.failed} failed.")


def run_batch(manifest: str | Path, *, store: Any = None, scheduler: str | None = None,
              workers: int | None = None, local: bool = False,
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
    progress : callable(done, total, job name), optional
        Called as each job finishes.
    """
    from budgetopt.results.tables import Results
    from budgetopt.store.db import DatasetContent, Store

    name, specs = read_manifest(manifest)
    store = store or Store()
    jobs, failed = plan(specs)
    rows: dict[str, dict[str, Any]] = {f["job"]: {**f, "objective": None, "seconds": 0.0,
                                                  "scenario": ""} for f in failed}
    todo = []
    for job in jobs:
        stored = store.find_run(job.key)
        if stored is not None:
            rows[job.name] = {**job.describe(), "status": stored.solve_status,
                              "objective": stored.objective, "seconds": 0.0,
                              "scenario": stored.ref, "reason": "already in the store"}
        else:
            todo.append(job)
    skipped = len(jobs) - len(todo)
    by_name = {j.name: j for j in jobs}
    done = 0
    total = len(todo)

    def collect(out: dict[str, Any]) -> None:
        nonlocal done
        job = by_name[out["job"]]
        row = {**job.describe(), "status": out["status"], "objective": out["objective"],
               "seconds": out["seconds"], "scenario": "", "reason": out["reason"]}
        if out["record"] is not None:
            from budgetopt.policy import policy_from_dict

            saved = store.save(f"{name}/{job.name}",
                               DatasetContent(job.label, job.tables, job.data_hash),
                               policy_from_dict(job.policy), job.overrides,
                               Results.from_record(out["record"]), author=None,
                               note=f"batch '{name}', job '{job.name}'")
            row["scenario"] = saved.ref
        rows[job.name] = row
        done += 1
        if progress:
            progress(done, total, job.name)

    if todo and local:
        for job in todo:
            collect(run_job(job))
    elif todo:
        _run_on_dask(todo, collect, scheduler, workers)
    order = [s.name for s in specs]
    summary = pd.DataFrame([rows[n] for n in order if n in rows], columns=SUMMARY_COLUMNS)
    n_failed = int((summary["status"] == "failed").sum())
    return BatchReport(name, summary, ran=total, skipped=skipped, failed=n_failed)


def _run_on_dask(jobs: list[Job], collect: Callable[[dict[str, Any]], None],
                 scheduler: str | None, workers: int | None) -> None:
    import os

    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    try:
        if scheduler:
            try:
                client = Client(scheduler, timeout="20s")
            except OSError as err:
                raise InputError.single("--scheduler", f"cannot reach the Dask scheduler at "
                                        f"{scheduler} ({err})") from None
        else:
            n = workers or os.cpu_count() or 1
            cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                   dashboard_address=None, silence_logs=40)
            client = Client(cluster)
        with client:
            futures = [client.submit(run_job, job, key=f"budgetopt-{job.key[:16]}-{i}",
                                     pure=False) for i, job in enumerate(jobs)]
            for future in as_completed(futures):
                collect(future.result())
    finally:
        if cluster is not None:
            cluster.close()


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


def summary_json(report: BatchReport) -> str:
    return json.dumps({"name": report.name, "ran": report.ran, "skipped": report.skipped,
                       "failed": report.failed,
                       "jobs": json.loads(report.summary.to_json(orient="records"))}, indent=2)


__all__ = ["BatchReport", "Job", "JobSpec", "plan", "read_manifest", "run_batch", "run_job",
           "write_summary"]
