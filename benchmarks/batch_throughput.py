"""Batch throughput: jobs per minute against the number of Dask workers.

    .venv/bin/python benchmarks/batch_throughput.py [--jobs 24] [--workers 1 2] [--size region]

Each job solves the example ICS (or, with ``--size``, a synthetic data set of that size from
:mod:`budgetopt.data.synthetic`, written once as a CSV folder) under the default policy model with
its own budget (£200m-£260m), so no two jobs share inputs and none is skipped. Every run uses a fresh scenario
store in a temporary folder; the LocalCluster's start-up is timed separately from the jobs.
Prints a Markdown table (copied into the README and docs/performance.md) with the machine's
load average before and after: on a shared machine, a figure means little without it.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

import yaml

from budgetopt.batch.run import run_batch
from budgetopt.data.dataset import write_dataset
from budgetopt.data.synthetic import SIZES, synthetic_tables
from budgetopt.store.db import Store

ROOT = Path(__file__).resolve().parents[1]


def manifest(folder: Path, jobs: int, data: Path) -> Path:
    budgets = [round(200 + 60 * i / max(1, jobs - 1), 2) for i in range(jobs)]
    doc = {"name": "throughput",
           "grid": {"data": [str(data)],
                    "model": [str(ROOT / "models" / "default.yaml")],
                    "set": [{"budget_m": b} for b in budgets]}}
    path = folder / "manifest.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def one_run(jobs: int, workers: int | None, data: Path) -> tuple[float, float]:
    """Seconds for the whole batch (cluster start included), and for the jobs alone."""
    with tempfile.TemporaryDirectory() as tmp:
        path = manifest(Path(tmp), jobs, data)
        first: list[float] = []
        t0 = time.perf_counter()
        with Store(Path(tmp) / "s.db") as store:
            report = run_batch(path, store=store, workers=workers, local=workers is None,
                               progress=lambda done, total, job: first.append(
                                   time.perf_counter()) if done == 1 else None)
        total = time.perf_counter() - t0
        assert report.ran == jobs and report.failed == 0, report.summary
    return total, total - (first[0] - t0) if first else total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=24)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--no-local", action="store_true", help="skip the one-process run")
    ap.add_argument("--size", choices=sorted(SIZES), help="a synthetic data set instead of "
                    "the example ICS")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = ROOT / "inputs" / "example"
        if args.size:
            data = write_dataset(synthetic_tables(**SIZES[args.size]), Path(tmp) / args.size)
        what = f"the synthetic {args.size} data set" if args.size else "the example ICS"
        print(f"{args.jobs} jobs of {what}; {platform.processor() or platform.machine()}, "
              f"{os.cpu_count()} cores, Python {platform.python_version()}, load average "
              f"{os.getloadavg()[0]:.1f} before")
        print("| runner | total s | jobs per minute (total) |")
        print("| --- | ---: | ---: |")
        if not args.no_local:
            total, _ = one_run(args.jobs, None, data)
            print(f"| one process, no Dask (`--local`) | {total:.1f} | "
                  f"{60 * args.jobs / total:.0f} |")
        for w in args.workers:
            total, _ = one_run(args.jobs, w, data)
            print(f"| LocalCluster, {w} worker{'s' if w > 1 else ''} | {total:.1f} | "
                  f"{60 * args.jobs / total:.0f} |")
        print(f"load average {os.getloadavg()[0]:.1f} after")


if __name__ == "__main__":
    main()
