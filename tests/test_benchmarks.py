"""The benchmarks run, and every tool they time gives the same optimum on the same LP.

Timings are not tested (benchmarks/run.py and benchmarks/inprocess.py record them; see
docs/performance.md)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from budgetopt.api import build
from budgetopt.data.synthetic import SIZES, synthetic_inputs
from budgetopt.policy import load_policy

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import shapes  # (benchmarks/ is not a package: on sys.path above)
import tools

PEERS = ("direct", "linopy", "pyoptinterface")


@pytest.mark.parametrize("case", [
    shapes.Case("flat", "default", "tiny"),
    shapes.Case("stacked", "shift-left", "tiny"),  # the acute offset: integer columns
    shapes.Case("stacked", "bcf-ambitions", "tiny"),  # a minimisation
    shapes.Case("stacked", "ics-statutory", "tiny"),  # a BCF rule set: its own years
    shapes.Case("places-years", shapes.ALL_RULES, "tiny"),
], ids=lambda c: c.name)
def test_every_tool_reaches_budgetopts_optimum_on_each_shape(case, tmp_path):
    folder = shapes.write_case(case, tmp_path)
    ours = tools.run_tool("split", folder, tmp_path / "budgetopt.json")
    assert ours["status"] == "optimal"
    assert json.loads((tmp_path / "budgetopt.json").read_text())["objective"] == pytest.approx(
        ours["objective"], rel=1e-12)
    assert (folder / "lp.npz").exists() == (case.kind == "lp")
    for peer in PEERS:
        got = tools.run_tool(peer, folder, tmp_path / f"{peer}.csv")
        assert got["objective"] == pytest.approx(ours["objective"], rel=1e-6), peer
        answer = list(csv.DictReader((tmp_path / f"{peer}.csv").open()))
        spent = sum(float(r["spend_m"]) for r in answer)
        assert spent > 0 and len(answer) == len({r["line"] for r in answer})


def test_a_model_with_a_bcf_rule_set_plans_only_the_years_the_rule_set_covers(
        tmp_path, monkeypatch):
    # the 100k, 500k and 1M stacked sizes plan 5 years; the 2026-27 rule set covers 3
    monkeypatch.setitem(shapes.SIZES["stacked"], "tiny", {"copies": 1, "places": 2, "years": 5})
    case = shapes.Case("stacked", "ics-statutory", "tiny")
    assert case.params == {"copies": 2, "places": 2, "years": 3}  # 5 copy-years -> 6
    assert shapes.Case("stacked", "default", "tiny").params["years"] == 5
    assert shapes.Case("stacked", "ics-statutory", "100k").params == {
        "copies": 70, "places": 5, "years": 3}
    folder = shapes.write_case(case, tmp_path)
    assert json.loads((folder / "case.json").read_text())["params"]["years"] == 3
    ours = tools.run_tool("split", folder, tmp_path / "budgetopt.json")
    assert ours["status"] == "optimal"
    got = tools.run_tool("direct", folder, tmp_path / "direct.csv")
    assert got["objective"] == pytest.approx(ours["objective"], rel=1e-6)


def test_the_acute_offset_models_get_the_instances_acute_budget_over_every_year():
    policy = shapes.scaled_policy("shift-left", 2.0, ["2026/27", "2027/28", "2028/29",
                                                      "2029/30"])
    offset = policy["rules"]["acute_offset"]
    assert offset["budget_m"]["2026/27"] == 3000 and offset["baseline_cost_m"]["2026/27"] == 3000
    # the last given year's growth carried on: 1,591 × (1,591 / 1,545), doubled
    assert offset["baseline_cost_m"]["2029/30"] == pytest.approx(2 * 1591 * 1591 / 1545)
    assert policy["rules"]["bed_capacity"]["beds_per_year"] == 80


@pytest.mark.slow
def test_the_benchmark_runs_end_to_end_and_writes_its_tables(tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--sizes",
                           "tiny", "--only", "flat-default", "--rounds", "1", "--no-chart",
                           "--startup-rounds", "1", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader((tmp_path / "results.csv").open()))
    assert {r["tool"] for r in rows} == {"budgetopt", "budgetopt (presolve off, ipm)", *PEERS}
    objectives = [float(r["objective"]) for r in rows]
    assert max(objectives) == pytest.approx(min(objectives), rel=1e-6)
    report = (tmp_path / "results.md").read_text()
    assert "| flat-default-tiny | 240 |" in report and "`budgetopt --help`" in report


@pytest.mark.slow
def test_the_in_process_benchmark_runs_on_a_tiny_instance_and_the_objectives_agree(tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "inprocess.py"), "--sizes",
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
