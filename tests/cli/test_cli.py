"""The command line's contract (MODEL.md): exit codes, the JSON file, messages, no leftovers.

Run in-process through typer's CliRunner (fast), plus once as a real subprocess
(``python -m budgetopt``) to prove the entry point and that no traceback leaks.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from budgetopt.cli import app
from tests.datasets import tiny_tables, write_csv, write_xlsx
from tests.helpers import tree_digest

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    write_csv(tiny_tables(), d)
    return d


def test_solve_optimal_exits_0_and_writes_the_contract_json(data_dir, tmp_path):
    out = tmp_path / "result.json"
    res = invoke("solve", data_dir, "--json", out)
    assert res.exit_code == 0, res.output
    doc = json.loads(out.read_text())
    assert doc["status"] == "optimal"
    assert isinstance(doc["objective"], float)
    for key in ("allocation", "outcomes", "constraints", "infeasibility"):
        assert key in doc
    assert "Status: optimal" in res.output


def test_quiet_prints_nothing_on_success(data_dir):
    res = invoke("solve", data_dir, "--quiet")
    assert res.exit_code == 0 and res.output == ""


def test_infeasible_exits_1_and_still_writes_the_json_with_advice(data_dir, tmp_path):
    tables = tiny_tables()
    services = tables["services"].copy()
    total = float(pd.to_numeric(tables["funding"]["amount_m"]).sum())
    services.loc[0, "min_m"] = total + 5
    services.loc[0, "max_m"] = ""
    tables["services"] = services
    bad = tmp_path / "infeasible"
    write_csv(tables, bad)
    out = tmp_path / "r.json"
    res = invoke("solve", bad, "--json", out)
    assert res.exit_code == 1, res.output
    doc = json.loads(out.read_text())
    assert doc["status"] == "infeasible"
    assert doc["infeasibility"]["relaxations"]
    assert sum(r["relax_by"] for r in doc["infeasibility"]["relaxations"]) == pytest.approx(5.0)


def test_bad_input_exits_2_names_the_cell_and_leaves_nothing_behind(data_dir, tmp_path):
    services = pd.read_csv(data_dir / "services.csv", dtype=str, keep_default_na=False)
    services.loc[1, "baseline_m"] = "lots"
    services.to_csv(data_dir / "services.csv", index=False)
    before = tree_digest(data_dir)
    out, xl = tmp_path / "r.json", tmp_path / "r.xlsx"
    res = runner.invoke(app, ["solve", str(data_dir), "--json", str(out), "--excel", str(xl)])
    assert res.exit_code == 2
    assert "services.csv" in res.output and "row 3" in res.output and "baseline_m" in res.output
    assert "Traceback" not in res.output
    assert not out.exists() and not xl.exists()
    assert not list(tmp_path.glob(".*.part"))
    assert tree_digest(data_dir) == before


def test_unknown_policy_key_exits_2_with_a_suggestion(data_dir, tmp_path):
    model = tmp_path / "m.yaml"
    model.write_text("objective: max_outcome\nrules:\n  workfroce:\n    enabled: false\n")
    res = invoke("solve", data_dir, "--model", model)
    assert res.exit_code == 2
    assert "did you mean 'workforce'" in res.output


def test_bad_override_exits_2(data_dir):
    res = invoke("solve", data_dir, "--set", "rules.money.scale=-1")
    assert res.exit_code == 2
    assert "scale" in res.output


def test_override_changes_the_budget(data_dir, tmp_path):
    small, large = tmp_path / "s.json", tmp_path / "l.json"
    assert invoke("solve", data_dir, "--json", small, "--set", "rules.money.scale=0.5"
                  ).exit_code == 0
    assert invoke("solve", data_dir, "--json", large).exit_code == 0
    assert json.loads(small.read_text())["objective"] < json.loads(large.read_text())["objective"]


def test_csv_folder_and_workbook_give_identical_results(data_dir, tmp_path):
    book = tmp_path / "data.xlsx"
    write_xlsx(tiny_tables(), book)
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    assert invoke("solve", data_dir, "--json", a).exit_code == 0
    assert invoke("solve", book, "--json", b).exit_code == 0
    doc_a, doc_b = json.loads(a.read_text()), json.loads(b.read_text())
    for key in ("status", "objective", "allocation", "outcomes", "constraints"):
        assert doc_a[key] == doc_b[key]
    assert doc_a["provenance"]["data_hash"] == doc_b["provenance"]["data_hash"]


def test_excel_output_opens_in_openpyxl(data_dir, tmp_path):
    from openpyxl import load_workbook

    xl = tmp_path / "r.xlsx"
    assert invoke("solve", data_dir, "--excel", xl).exit_code == 0
    assert load_workbook(xl).sheetnames


def test_outputs_get_the_usual_permissions_and_no_temporary_files_stay(data_dir, tmp_path):
    """Written beside their target then renamed: the finished files get the umask's
    permissions (not a temporary file's owner-only 0600), and nothing else is left."""
    import os

    out = tmp_path / "out"
    out.mkdir()
    old = os.umask(0o022)
    try:
        assert invoke("solve", data_dir, "--json", out / "r.json", "--excel",
                      out / "r.xlsx").exit_code == 0
    finally:
        os.umask(old)
    assert sorted(p.name for p in out.iterdir()) == ["r.json", "r.xlsx"]
    assert {(p.stat().st_mode & 0o777) for p in out.iterdir()} == {0o644}


def test_validate_lists_tables_and_exits_0(data_dir):
    res = invoke("validate", data_dir)
    assert res.exit_code == 0
    assert "services" in res.output


BAD_POLICY = """\
horizon: {years: ["2026/27", "2031/32"]}
rules:
  mhis: {include: [REABLE, NOSUCH]}
  targets: {items: [{metric: ADM, min: 10}, {metric: FALLS, min: 1}]}
  fair_shares: {band: 0.1}
"""


@pytest.mark.parametrize("command", ["validate", "solve"])
def test_validate_and_solve_name_every_policy_problem_at_once(command, data_dir, tmp_path):
    """A policy with four problems against the tiny data set: validate (which used to say
    "valid" for it) and solve both exit 2 and name all four by their key, writing nothing."""
    model = tmp_path / "m.yaml"
    model.write_text(BAD_POLICY)
    out = tmp_path / "r.json"
    res = invoke(command, data_dir, "--model", model,
                 *(("--json", out) if command == "solve" else ()))
    assert res.exit_code == 2, res.output
    assert "The policy model has problems (4 problems)" in res.output
    for key in ("horizon.years[1]: '2031/32' is not a funding year",
                "rules.targets.items[1].metric: unknown metric 'FALLS'",
                "rules.mhis.include[1]: 'NOSUCH' is not a service",
                "rules.fair_shares: needs a places table"):
        assert key in res.output
    assert "Traceback" not in res.output and not out.exists()


def test_validate_checks_the_rules_a_policy_relaxes(data_dir, tmp_path):
    model = tmp_path / "m.yaml"
    model.write_text("relax: [{rule: 'Spend from Better Care Fund pool in 2026/27 within its "
                     "£10.1m', by: 1.0}]\n")
    res = invoke("validate", data_dir, "--model", model)
    assert res.exit_code == 2
    assert "did you mean 'Spend from Better Care Fund pool in 2026/27 within its £10.0m'" in (
        res.output)


def test_missing_data_path_exits_2(tmp_path):
    res = invoke("solve", tmp_path / "nowhere")
    assert res.exit_code == 2
    assert "nowhere" in res.output


def test_python_dash_m_runs_the_same_cli_without_tracebacks(data_dir, tmp_path):
    (data_dir / "curves.csv").write_text("service_id,metric_id,band\nX,Y,one\n")
    proc = subprocess.run([sys.executable, "-m", "budgetopt", "solve", str(data_dir)],
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 2
    assert "curves.csv" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
