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
from tests.example_figures import objective

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
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
    ({"jobs": [{"name": "a", "data": "x", "sed": 1}]},
     r"unknown key 'jobs\[1\]\.sed': did you mean 'seed'\?"),
    ({"jobs": [{"name": "a", "data": "x"}, {"name": "a", "data": "y"}]}, "used twice"),
    ({"jobs": [{"name": "a", "data": "x", "seed": "one"}]}, r"jobs\[1\]\.seed: .*integer"),
    ({"jobs": [{"name": "plan@2", "data": "x"}]}, "ends in @<number>"),
    ({"jobs": [{"name": "a\x00b", "data": "x"}]}, "control or invisible characters"),
    ({"jobs": [{"name": "a\u200bb", "data": "x"}]}, r"U\+200B"),
    ({"name": "b@3", "jobs": [{"name": "a", "data": "x"}]}, "batch name 'b@3' ends in"),
    ({"jobs": {"name": "a"}}, r"jobs: Input should be a valid list"),
    ({"jobs": [{"name": "a"}]}, "needs a data set"),
    ({"grids": {}}, "unknown key 'grids': did you mean 'grid'"),
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
    assert s.loc["example_default_seed-7", "objective"] == pytest.approx(objective(), abs=0.1)
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


def _wait_for_port(port: int, deadline_s: float = 300) -> None:
    """Until something listens on `port` (a condition), for at most `deadline_s`: generous,
    as a scheduler starting beside a busy suite on two cores can take a minute to import."""
    deadline = time.monotonic() + deadline_s
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                pytest.fail(f"nothing listens on port {port} after {deadline_s:.0f} s")
            time.sleep(0.2)


@pytest.fixture
def dask_cluster(tmp_path):
    """A real `dask scheduler` and two `dask worker` processes on loopback."""
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    # the workers run in tmp_path: they import the budgetopt these tests import (a relative
    # PYTHONPATH such as `src` would find no package there, and they would take whatever
    # budgetopt the environment has installed, another checkout's code)
    import budgetopt

    here = str(Path(budgetopt.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONUNBUFFERED": "1",
           "PYTHONPATH": os.pathsep.join([here, os.environ.get("PYTHONPATH", "")]).rstrip(
               os.pathsep)}
    cli = str(Path(sys.executable).parent / "dask")
    procs = [subprocess.Popen([cli, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                               "--no-dashboard"], env=env, cwd=tmp_path,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)]
    try:
        _wait_for_port(port)
        for _ in range(2):
            procs.append(subprocess.Popen(
                [cli, "worker", address, "--nworkers", "1", "--nthreads", "1",
                 "--no-dashboard", "--local-directory", str(tmp_path)],
                env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                start_new_session=True))
        from dask.distributed import Client

        with Client(address, timeout="120s") as client:
            client.wait_for_workers(2, timeout=300)
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


# -- a busy cluster and a careless user (issue 21 items 15, 16) -----------------------------


def _tiny(tmp_path: Path) -> Path:
    from tests.datasets import tiny_tables, write_csv

    return write_csv(tiny_tables(), tmp_path / "tiny")


def _jobs(tmp_path: Path, names: list[str], batch: str = "b", **extra) -> Path:
    data = _tiny(tmp_path)
    return manifest(tmp_path, {"name": batch, "jobs": [
        {"name": n, "data": str(data), **extra.get(n, {})} for n in names]}, f"{batch}.yaml")


def crash_or_hang(job, content=None, *, packed=False):
    """run_job, except that job 'crash' kills its worker and job 'hang' never returns."""
    if job.name == "crash":
        os._exit(1)
    if job.name == "hang":
        while True:
            time.sleep(1)
    from budgetopt.batch.run import run_job

    return run_job(job, content, packed=packed)


def _on_dask(tmp_path, names, **kw):
    from budgetopt.batch.run import _run_on_dask, plan

    _, specs = read_manifest(_jobs(tmp_path, names))
    jobs, _ = plan(specs)
    outs = {}
    _run_on_dask(jobs, lambda out: outs.__setitem__(out["job"], out), None, 2,
                 kw.get("job_timeout"), task=crash_or_hang)
    return outs


def test_a_job_that_kills_its_worker_is_a_failed_job_not_a_failed_batch(tmp_path):
    outs = _on_dask(tmp_path, ["a", "crash", "b", "c"])
    assert outs["crash"]["status"] == "failed"
    assert "killed the worker" in outs["crash"]["reason"]
    assert {outs[n]["status"] for n in "abc"} == {"optimal"}


def test_a_job_over_its_timeout_is_stopped_and_failed_and_the_rest_run(tmp_path):
    # 20 s: many times what a small job takes even on a loaded machine; the hung job is
    # stopped a little after it (the per-job limit plus its grace), the others never are
    outs = _on_dask(tmp_path, ["a", "hang", "b"], job_timeout=20.0)
    assert outs["hang"]["status"] == "failed"
    assert "took longer than --job-timeout" in outs["hang"]["reason"]
    assert outs["a"]["status"] == outs["b"]["status"] == "optimal"


def test_a_job_timeout_reaches_the_solver(tmp_path):
    with Store(tmp_path / "s.db") as store:
        report = run_batch(_jobs(tmp_path, ["a"]), store=store, local=True, job_timeout=7)
        saved = store.get("b/a")
    assert report.summary["status"].tolist() == ["optimal"]
    assert saved.overrides["solver.time_limit_s"] == 7.0
    with pytest.raises(InputError, match="--job-timeout"):
        run_batch(_jobs(tmp_path, ["a"]), store=Store(tmp_path / "t.db"), local=True,
                  job_timeout=-1)


def test_a_non_utf8_manifest_is_bad_input_and_a_non_utf8_policy_fails_its_job(tmp_path):
    path = tmp_path / "latin.yaml"
    path.write_bytes("name: caf\xe9\njobs: []\n".encode("latin-1"))
    with pytest.raises(InputError, match=r"(?i)not UTF-8 text \(byte 0xe9"):
        read_manifest(path)
    policy = tmp_path / "latin-policy.yaml"
    policy.write_bytes("objective: max_outcome # caf\xe9\n".encode("latin-1"))
    m = _jobs(tmp_path, ["good", "latin"], latin={"model": str(policy)})
    with Store(tmp_path / "s.db") as store:
        report = run_batch(m, store=store, local=True)
    s = report.summary.set_index("job")
    assert s.loc["good", "status"] == "optimal" and s.loc["latin", "status"] == "failed"


def test_a_fifo_as_a_data_set_fails_its_job_at_once(tmp_path):
    fifo = tmp_path / "pipe.xlsx"
    os.mkfifo(fifo)
    folder = tmp_path / "withpipe"
    folder.mkdir()
    os.mkfifo(folder / "services.csv")
    m = _jobs(tmp_path, ["good", "pipe", "inside"], pipe={"data": str(fifo)},
              inside={"data": str(folder)})
    with Store(tmp_path / "s.db") as store:
        report = run_batch(m, store=store, local=True)
    s = report.summary.set_index("job")
    assert s.loc["good", "status"] == "optimal"
    for job in ("pipe", "inside"):
        assert s.loc[job, "status"] == "failed" and "not a regular file" in s.loc[job, "reason"]


def test_resume_is_keyed_by_batch_job_inputs_and_versions(tmp_path, monkeypatch):
    import budgetopt.batch.run as batch_run

    with Store(tmp_path / "s.db") as store:
        first = run_batch(_jobs(tmp_path, ["a", "b"], "one"), store=store, local=True)
        assert (first.ran, first.skipped) == (2, 0)
        # the same inputs under another batch's name are not this batch's answers
        other = run_batch(_jobs(tmp_path, ["a", "b"], "two"), store=store, local=True)
        assert (other.ran, other.skipped) == (2, 0)
        again = run_batch(_jobs(tmp_path, ["a", "b"], "one"), store=store, local=True)
        assert (again.ran, again.skipped) == (0, 2)
        # a changed input (an override) is a new answer for that job only
        changed = run_batch(_jobs(tmp_path, ["a", "b"], "one", b={"set": {"budget_m": 9}}),
                            store=store, local=True)
        assert (changed.ran, changed.skipped) == (1, 1)
        # an upgraded budgetopt or HiGHS solves again
        monkeypatch.setattr(batch_run, "versions", lambda: ("9.9.9", "9.9.9"))
        upgraded = run_batch(_jobs(tmp_path, ["a"], "one"), store=store, local=True)
        assert (upgraded.ran, upgraded.skipped) == (1, 0)
        monkeypatch.undo()
        forced = run_batch(_jobs(tmp_path, ["a"], "two"), store=store, local=True, force=True)
        assert (forced.ran, forced.skipped) == (1, 0)
        assert store.get("two/a").version == 2


def test_two_runs_of_one_batch_at_once_are_refused(tmp_path):
    m = _jobs(tmp_path, ["a"])
    with Store(tmp_path / "s.db") as store, store.batch_lock("b"):
        with Store(tmp_path / "s.db") as other, pytest.raises(InputError,
                                                              match="running already"):
            run_batch(m, store=other, local=True)
        assert store.count() == 0
    with Store(tmp_path / "s.db") as store:  # released: the next run goes ahead
        assert run_batch(m, store=store, local=True).ran == 1


def test_ctrl_c_saves_what_was_answered_and_says_how_to_resume(tmp_path):
    from budgetopt.batch.run import BatchInterrupted

    m = _jobs(tmp_path, ["a", "b", "c"])

    def interrupt(done, total, job):
        if done == 2:
            raise KeyboardInterrupt

    with Store(tmp_path / "s.db") as store:
        with pytest.raises(BatchInterrupted) as stop:
            run_batch(m, store=store, local=True, progress=interrupt)
        assert (stop.value.saved, stop.value.total, stop.value.keyboard) == (2, 3, True)
        assert "2 of 3 saved; re-run to resume" in str(stop.value)
        assert store.count() == 2
        assert run_batch(m, store=store, local=True).ran == 1  # resumed


def test_a_lost_scheduler_saves_what_was_answered(tmp_path, dask_cluster):
    from budgetopt.batch.run import BatchInterrupted

    names = [f"j{i}" for i in range(12)]
    m = _jobs(tmp_path, names)
    port = int(dask_cluster.rsplit(":", 1)[1])

    def kill_scheduler(done, total, job):
        if done == 2:
            for line in subprocess.run(["pgrep", "-f", f"dask scheduler.*--port {port}"],
                                       capture_output=True, text=True, check=False).stdout.split():
                os.kill(int(line), signal.SIGKILL)

    with Store(tmp_path / "s.db") as store:
        with pytest.raises(BatchInterrupted) as stop:
            run_batch(m, store=store, scheduler=dask_cluster, progress=kill_scheduler)
        assert "scheduler was lost" in str(stop.value)
        assert 2 <= stop.value.saved < 12 and stop.value.total == 12
        assert store.count() == stop.value.saved


def test_a_scheduler_without_workers_is_a_clear_message(tmp_path, monkeypatch):
    import budgetopt.batch.run as batch_run

    port = _free_port()
    cli = str(Path(sys.executable).parent / "dask")
    proc = subprocess.Popen([cli, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                             "--no-dashboard"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        _wait_for_port(port)
        monkeypatch.setattr(batch_run, "WORKER_WAIT_S", 2.0)
        with Store(tmp_path / "s.db") as store, pytest.raises(InputError, match="no workers"):
            run_batch(_jobs(tmp_path, ["a"]), store=store, scheduler=f"tcp://127.0.0.1:{port}")
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)


def test_cli_prints_plain_progress_lines_when_not_on_a_terminal(tmp_path):
    res = CliRunner().invoke(app, ["batch", str(_jobs(tmp_path, ["a", "b"])), "--local",
                                   "--db", str(tmp_path / "s.db")])
    assert res.exit_code == 0, res.output
    assert "1 of 2 solved: a" in res.output and "2 of 2 solved: b" in res.output
    res = CliRunner().invoke(app, ["batch", str(_jobs(tmp_path, ["plan@2"])), "--local",
                                   "--db", str(tmp_path / "s.db")])
    assert res.exit_code == 2 and "ends in @<number>" in res.output
    assert "Traceback" not in res.output


def test_a_billion_laughs_manifest_is_refused_before_it_expands(tmp_path):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    path = tmp_path / "laughs.yaml"
    path.write_text("\n".join(lines) + "\njobs: [{name: a, data: x}]\n", encoding="utf-8")
    assert path.stat().st_size < 2_000
    with pytest.raises(InputError, match="laughs.yaml"):
        read_manifest(path)
    dup = tmp_path / "dup.yaml"
    dup.write_text("name: a\nname: b\njobs: [{name: a, data: x}]\n", encoding="utf-8")
    with pytest.raises(InputError, match="dup.yaml"):
        read_manifest(dup)


def test_a_grid_too_big_is_refused_before_it_is_expanded(tmp_path, monkeypatch):
    """100 seeds × 100 override sets × 100 models is a million jobs: refused at once, naming
    the count and its shape, before one combination is made (so it takes no time or memory),
    and a CSV manifest with too many rows the same way."""
    import budgetopt.batch.run as batch_run

    data = _tiny(tmp_path)
    path = manifest(tmp_path, {"name": "big", "grid": {
        "data": [str(data)], "model": [f"m{i}.yaml" for i in range(100)],
        "set": [{"budget.scale": 1 + i / 1000} for i in range(100)],
        "seed": list(range(100))}}, "big.yaml")
    made = []
    monkeypatch.setattr(batch_run, "_spec", lambda *a, **k: made.append(a))
    t0 = time.perf_counter()
    with pytest.raises(InputError) as err:
        read_manifest(path)
    assert time.perf_counter() - t0 < 5 and made == []
    text = str(err.value)
    assert "big.yaml › grid" in text
    assert ("the grid makes 1,000,000 jobs (1 data sets × 100 models × 100 override sets × "
            "100 seeds): at most 10,000 jobs a batch") in text, text
    monkeypatch.setattr(batch_run, "MAX_JOBS", 3)
    rows = tmp_path / "rows.csv"
    rows.write_text("name,data\n" + "".join(f"j{i},{data}\n" for i in range(5)),
                    encoding="utf-8")
    with pytest.raises(InputError, match=r"rows\.csv, row 5: the manifest lists more than 3 "
                       r"jobs: at most 3 jobs a batch"):
        read_manifest(rows)


def test_a_cluster_left_with_no_workers_stops_the_batch_saying_so(tmp_path, monkeypatch):
    """Every worker gone and none started again (seen under load: two crashes, the nannies
    did not come back): the batch stops with a message after WORKER_WAIT_S instead of
    waiting for ever. Here the scheduler is made to report no workers while a job hangs."""
    import distributed

    from budgetopt.batch import run as batch_run

    monkeypatch.setattr(batch_run, "WORKER_WAIT_S", 2.0)
    monkeypatch.setattr(distributed.Client, "scheduler_info",
                        lambda self, *a, **k: {"workers": {}})
    with pytest.raises(batch_run._SchedulerLost, match="no workers for 2 s"):
        _on_dask(tmp_path, ["hang"])


def test_a_job_that_killed_its_workers_is_never_sent_again():
    """Seen under load: the crashing job's data-set task was lost with the workers it killed,
    and the job was sent again as if the data set were to blame, killing the restarted
    workers too. A job whose own task Dask gave up on is failed, not sent again; one that
    failed because its data set's task was lost is sent again."""
    from distributed.scheduler import KilledWorker

    from budgetopt.batch.run import _killed_its_workers

    class Done:
        def __init__(self, key, err):
            self.key, self._err = key, err

        def exception(self, timeout=None):
            return self._err

    assert _killed_its_workers(Done("budgetopt-job-1", KilledWorker("budgetopt-job-1", None, 1)))
    assert not _killed_its_workers(Done("budgetopt-job-1",
                                        KilledWorker("budgetopt-data-ab", None, 1)))
    assert not _killed_its_workers(Done("budgetopt-job-1", ValueError("no")))
