"""The benchmark script runs, and budgetopt and the direct highspy baseline agree.

Timings are not tested (benchmarks/run.py records them; see docs/performance.md)."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from budgetopt.api import build
from budgetopt.data.synthetic import SIZES, synthetic_inputs
from budgetopt.policy import load_policy

ROOT = Path(__file__).resolve().parents[1]


def test_the_benchmark_runs_on_a_tiny_instance_and_the_objectives_agree(tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--sizes",
                           "tiny", "--repeat", "1", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader((tmp_path / "results.csv").open()))
    assert len(rows) == 1 and rows[0]["size"] == "tiny"
    # the script itself exits non-zero when they differ; check the recorded values too
    assert float(rows[0]["objective"]) == pytest.approx(float(rows[0]["direct_objective"]),
                                                        rel=1e-6)
    report = (tmp_path / "results.md").read_text()
    assert "| tiny |" in report
    richer = report.split("Richer policy models", 1)[1]
    assert "| tiny | ics-statutory | optimal |" in richer and "| tiny | fair-shares |" in richer
    shipped = sorted(p.stem for p in (ROOT / "models").glob("*.yaml"))
    line = next(x for x in report.splitlines() if x.startswith("Example ICS"))
    assert all(f"{m} " in line for m in shipped)


def test_synthetic_sizes_grow_as_documented():
    tiny = synthetic_inputs("tiny")
    assert len(tiny.places) == SIZES["tiny"]["places"] and len(tiny.years) == 2
    res = build(tiny, load_policy(ROOT / "models" / "default.yaml")).results()
    assert res.optimal
    again = synthetic_inputs("tiny")
    assert again.data_hash == tiny.data_hash  # deterministic for a seed
    assert synthetic_inputs("tiny", seed=1).data_hash != tiny.data_hash
