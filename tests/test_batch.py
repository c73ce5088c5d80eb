"""Batch runs on Dask: manifests, a LocalCluster, a real remote scheduler, failures, resume."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from budgetopt.batch.run import read_manifest, run_batch
from budgetopt.cli import app
from budgetopt.errors import InputError
from budgetopt.store.db import Store

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "inputs" / "example"


def manifest(tmp_path: Path, doc: dict, name: str = "batch.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


GRID = {
    "name": "region",
    "jobs": [{"name": "broken", "data": "no-such-folder"},
             {"name": "starved", "data": str(EXAMPLE), "set": {"budget_m": 10}}],
    "grid": {"data": [str(EXAMPLE)],
             "model": [str(ROOT / "models" / "default.yaml"),
                       str(ROOT / "models" / "ics-statutory.yaml")],
             "set": [{}, {"budget_m": 240}], "seed": [7]},
}


def objectives(report) -> dict[str, float | None]:
    """Each job's objective; no objective (failed, infeasible) as None, so it compares."""
    return {r.job: None if r.objective is None or r.objective != r.objective else r.objective
            for r in report.summary.itertuples()}


# -- manifests ---------------------------------------------------------------------------------


def test_a_grid_expands_into_named_jobs(tmp_path):
    name, specs = read_manifest(manifest(tmp_path, GRID))
    assert name == "region" and len(specs) == 2 + 2 * 2
    grid = [s.name for s in specs[2:]]
    assert grid == ["example_default_seed-7", "example_default_budget_m-240_seed-7",
                    "example_ics-statutory_seed-7", "example_ics-statutory_budget_m-240_seed-7"]
    assert specs[3].overrides == {"budget_m": 240} and specs[3].seed == 7
    assert specs[0].data == tmp_path / "no-such-folder"  # relative to the manifest
    # a CSV folder and a workbook of the same name are two jobs with two names
    _, both = read_manifest(manifest(tmp_path, {"grid": {"data": ["inputs/example",
                                                                  "inputs/example.xlsx"]}}))
    assert [s.name for s in both] == ["example_default", "example.xlsx_default"]


def test_a_csv_manifest(tmp_path):
    path = tmp_path / "jobs.csv"
    path.write_text("name,data,model,set,seed\n"
                    f"a,{EXAMPLE},,budget_m=240;rules.workforce.scale=0.9,3\n"
                    f"b,{EXAMPLE},{ROOT / 'models' / 'default.yaml'},,\n")
    name, specs = read_manifest(path)
    assert name == "jobs" and [s.name for s in specs] == ["a", "b"]
    assert specs[0].overrides == {"budget_m": 240, "rules.workforce.scale": 0.9}
    assert specs[0].seed == 3 and specs[1].model.name == "default.yaml"


@pytest.mark.parametrize("doc,message", [
    ({"jobs": [{"name": "a", "data": "x", "sed": 1}]}, r"jobs\[1\].*unknown field\(s\) sed"),
    ({"jobs": [{"name": "a", "data": "x"}, {"name": "a", "data": "y"}]}, "used twice"),
    ({"jobs": [{"name": "a", "data": "x", "seed": "one"}]}, "seed: 'one' is not a whole"),
    ({"jobs": [{"name": "a"}]}, "needs a data set"),
    ({"grids": {}}, "unknown key"),
    ({"name": "empty"}, "lists no jobs"),
])
def test_a_bad_manifest_names_the_row(tmp_path, doc, message):
    with pytest.raises(InputError, match=message):
        read_manifest(manifest(tmp_path, doc))


# -- running -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def in_process(tmp_path_factory):
    """The reference: every job solved in this process, without Dask."""
    tmp = tmp_path_factory.mktemp("ref")
    with Store(tmp / "ref.db") as store:
        return run_batch(manifest(tmp, GRID), store=store, local=True)


def test_failed_and_infeasible_jobs_are_reported_and_the_rest_saved(in_process):
    s = in_process.summary.set_index("job")
    assert s.loc["broken", "status"] == "failed"
    assert "no-such-folder" in s.loc["broken", "reason"]
    assert s.loc["starved", "status"] == "infeasible"
    assert "Minimum spend adds up to" in s.loc["starved", "reason"]
    assert s.loc["starved", "scenario"] == "region/starved@1"  # saved, with its advice
    grid = s.drop(index=["broken", "starved"])
    assert (grid["status"] == "optimal").all() and grid["scenario"].str.startswith("region/").all()
    assert s.loc["example_default_seed-7", "objective"] == pytest.approx(791272.4, abs=0.1)
    assert in_process.ran == 5 and in_process.failed == 1 and in_process.skipped == 0


def test_a_local_cluster_gives_the_same_answers_and_stores_them(tmp_path, in_process):
    ticks = []
    with Store(tmp_path / "s.db") as store:
        report = run_batch(manifest(tmp_path, GRID), store=store, workers=2,
                           progress=lambda done, total, job: ticks.append((done, total)))
        saved = store.list()
        stored = store.get("region/example_ics-statutory_seed-7")
    assert objectives(report) == objectives(in_process)  # exactly
    assert len(saved) == 5 and ticks[-1] == (5, 5)
    assert stored.results().provenance["policy_model"]["solver"]["random_seed"] == 7
    assert stored.note == "batch 'region', job 'example_ics-statutory_seed-7'"


def test_a_rerun_skips_what_is_stored_and_resumes_the_rest(tmp_path):
    first = {"name": "resume", "grid": {**GRID["grid"], "set": [{}]}}
    full = {"name": "resume", "grid": GRID["grid"]}
    with Store(tmp_path / "s.db") as store:
        a = run_batch(manifest(tmp_path, first, "a.yaml"), store=store, local=True)
        assert (a.ran, a.skipped) == (2, 0)
        b = run_batch(manifest(tmp_path, full, "b.yaml"), store=store, local=True)
        assert (b.ran, b.skipped) == (2, 2)  # only the two new jobs were solved
        c = run_batch(manifest(tmp_path, full, "b.yaml"), store=store, local=True)
        assert (c.ran, c.skipped) == (0, 4)
        assert store.count() == 4
        assert set(c.summary["reason"]) == {"already in the store"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def dask_cluster(tmp_path):
    """A real `dask scheduler` and two `dask worker` processes on loopback."""
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    cli = str(Path(sys.executable).parent / "dask")
    procs = [subprocess.Popen([cli, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                               "--no-dashboard"], env=env, cwd=tmp_path,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)]
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("the Dask scheduler did not start")
                time.sleep(0.2)
        for _ in range(2):
            procs.append(subprocess.Popen(
                [cli, "worker", address, "--nworkers", "1", "--nthreads", "1",
                 "--no-dashboard", "--local-directory", str(tmp_path)],
                env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                start_new_session=True))
        from dask.distributed import Client

        with Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=60)
        yield address
    finally:
        for p in reversed(procs):
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for p in procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)


def test_a_remote_cluster_gives_the_same_answers(tmp_path, dask_cluster, in_process):
    with Store(tmp_path / "s.db") as store:
        report = run_batch(manifest(tmp_path, GRID), store=store, scheduler=dask_cluster)
    assert objectives(report) == objectives(in_process)
    assert report.ran == 5 and report.failed == 1


# -- the command line --------------------------------------------------------------------------


def test_cli_batch_exit_codes_and_summary(tmp_path):
    runner = CliRunner()
    ok = {"name": "ok", "jobs": [{"name": "base", "data": str(EXAMPLE)}]}
    out = tmp_path / "summary.xlsx"
    done = runner.invoke(app, ["batch", str(manifest(tmp_path, ok, "ok.yaml")), "--local",
                               "--db", str(tmp_path / "s.db"), "--summary", str(out)])
    assert done.exit_code == 0, done.output
    assert "1 solved" in done.output and out.exists()
    bad = {"name": "bad", "jobs": [{"name": "x", "data": "missing"}]}
    done = runner.invoke(app, ["batch", str(manifest(tmp_path, bad, "bad.yaml")), "--local",
                               "--db", str(tmp_path / "s.db")])
    assert done.exit_code == 1 and "failed" in done.output
    done = runner.invoke(app, ["batch", str(tmp_path / "nope.yaml"), "--db",
                               str(tmp_path / "s.db")])
    assert done.exit_code == 2 and "no such manifest" in done.output
