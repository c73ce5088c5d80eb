"""The board paper's analyses run together (`run_analyses`): in two worker processes they give
what they give in one."""

from __future__ import annotations

import dataclasses
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from budgetopt.analyses import board
from budgetopt.analyses.board import JOBS, SHOWN, _jobs, _workers, run_analyses
from budgetopt.data.dataset import load_dataset
from budgetopt.policy import load_policy

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "inputs" / "example"
TIMES = {"seconds", "created_utc"}  # a run's time and when it ran, not its answer


def same(a: Any, b: Any, where: str) -> None:
    """`a` and `b` equal to 1e-9 (relative, and absolute near zero), however nested."""
    assert type(a) is type(b), where
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-9, atol=1e-9, obj=where)
        same({k: v for k, v in a.attrs.items() if k not in TIMES},
             {k: v for k, v in b.attrs.items() if k not in TIMES}, f"{where}.attrs")
    elif isinstance(a, pd.Series):
        pd.testing.assert_series_equal(a, b, check_exact=False, rtol=1e-9, atol=1e-9,
                                       obj=where)
    elif isinstance(a, np.ndarray):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9, err_msg=where)
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for k in a:
            if k not in TIMES:
                same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, list | tuple):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            same(x, y, f"{where}[{i}]")
    elif dataclasses.is_dataclass(a):
        same(dataclasses.asdict(a), dataclasses.asdict(b), where)
    elif isinstance(a, float):
        assert np.isclose(a, b, rtol=1e-9, atol=1e-9, equal_nan=True), where
    else:
        assert a == b, where


def test_two_worker_processes_give_what_one_process_gives_on_the_example():
    inputs = load_dataset(EXAMPLE)
    policy = load_policy(ROOT / "models" / "default.yaml")
    one = run_analyses(inputs, policy, robust=True, workers=1)
    two = run_analyses(inputs, policy, robust=True, workers=2)
    assert one.extra["workers"] == 1 and two.extra["workers"] == 2
    assert list(one.timings) == list(two.timings) == list(SHOWN)  # every analysis ran
    for name in SHOWN:
        same(getattr(one, name), getattr(two, name), name)


def test_the_analyses_run_here_when_worker_processes_cannot_start(monkeypatch):
    """A pool that breaks (the processes cannot start) leaves every analysis to this process;
    an analysis's own error is raised as it is."""
    class Broken:
        def __init__(self, *args, **kwargs):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def submit(self, *args, **kwargs):
            raise BrokenProcessPool("no processes here")

    ran: list[str] = []
    monkeypatch.setattr(board, "ProcessPoolExecutor", Broken)
    monkeypatch.setattr(board, "_run_job", lambda name, *a: (ran.append(name) or name, 0.5))
    inputs = load_dataset(EXAMPLE)
    policy = load_policy(ROOT / "models" / "default.yaml")
    got = run_analyses(inputs, policy, robust=True, workers=2)
    assert got.extra["workers"] == 1 and ran == list(JOBS)
    assert got.budget_curve == "budget_curve" and got.evpi == "evpi"


def test_the_jobs_and_the_processes_chosen():
    inputs = load_dataset(EXAMPLE)
    policy = load_policy(ROOT / "models" / "default.yaml")
    least = load_policy(ROOT / "models" / "bcf-ambitions.yaml")
    assert _jobs(inputs, policy, robust=True) == list(JOBS)
    # no robust plan and no value of information without `robust` or for a least-cost plan
    for p, r in ((policy, False), (least, True)):
        assert _jobs(inputs, p, robust=r) == [j for j in JOBS if j not in ("robust", "evpi")]
    assert _workers(1, 7) == 1 and _workers(5, 3) == 3
    assert 1 <= _workers(None, 7) == _workers(0, 7) <= board.MAX_WORKERS
