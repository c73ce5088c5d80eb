"""Start-up: the command line loads a library only in the commands that use it (issue 20).

Each check runs a fresh interpreter and lists the modules it ended with; nothing is timed.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("sqlalchemy", "dask", "distributed", "streamlit", "plotly", "openpyxl", "scipy",
         "budgetopt.store.db", "budgetopt.batch.run", "budgetopt.analyses", "budgetopt.ui")
"""Never needed to parse a command line or to solve and write the JSON."""

SOLVER = ("pyomo", "highspy", "pandas", "numpy", "budgetopt.api", "budgetopt.families")
"""Needed by a solve, not by ``--help``."""


def modules_after(code: str, root) -> set[str]:
    """The top-level and budgetopt modules loaded once `code` has run in a new interpreter."""
    script = (f"import sys\n{code}\nimport json\n"
              "print(json.dumps(sorted(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         cwd=root, env={"PYTHONPATH": str(root / "src"), "PATH": ""},
                         timeout=300, check=True)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def loaded(modules: set[str], names) -> list[str]:
    return sorted(n for n in names if n in modules or any(m.startswith(n + ".")
                                                           for m in modules))


def test_importing_the_cli_loads_no_library(repo_root):
    mods = modules_after("import budgetopt.cli", repo_root)
    assert "typer" in mods  # the check sees what was loaded
    assert loaded(mods, HEAVY + SOLVER) == []


def test_help_loads_no_library(repo_root):
    mods = modules_after("from budgetopt.cli import main\n"
                         "try:\n    main(['--help'])\nexcept SystemExit:\n    pass", repo_root)
    assert loaded(mods, HEAVY + SOLVER) == []
    assert "importlib.metadata" not in mods  # the version is looked up when first read


def test_the_version_is_still_there_when_read(repo_root):
    mods = modules_after("import budgetopt\nassert budgetopt.__version__\n"
                         "from budgetopt import __version__\nassert __version__", repo_root)
    assert "importlib.metadata" in mods


@pytest.mark.parametrize("group", ["scenario", "analyse", "batch"])
def test_a_groups_help_loads_no_library(repo_root, group):
    mods = modules_after("from budgetopt.cli import main\n"
                         f"try:\n    main(['{group}', '--help'])\nexcept SystemExit:\n    pass",
                         repo_root)
    assert loaded(mods, HEAVY + SOLVER) == []


def test_solving_the_example_loads_no_store_dask_app_or_charts(repo_root, tmp_path):
    out = tmp_path / "answer.json"
    mods = modules_after("from budgetopt.cli import main\n"
                         f"try:\n    main(['solve', 'inputs/example', '--json', r'{out}', '-q'])\n"
                         "except SystemExit as e:\n    assert e.code == 0, e.code", repo_root)
    assert json.loads(out.read_text(encoding="utf-8"))["status"] == "optimal"
    assert "pyomo" in mods and "highspy" in mods  # it did solve
    assert loaded(mods, HEAVY) == []
    assert "pyomo.environ" not in mods  # pyomo.core is enough: no solver plug-ins
    assert loaded(mods, ["rich"]) == []  # a quiet solve prints nothing: no console made


def test_a_solve_that_prints_loads_rich(repo_root, tmp_path):
    """The other side of the quiet check: rich is loaded where it is used."""
    out = tmp_path / "answer.json"
    mods = modules_after("from budgetopt.cli import main\n"
                         f"try:\n    main(['solve', 'inputs/example', '--json', r'{out}'])\n"
                         "except SystemExit as e:\n    assert e.code == 0, e.code", repo_root)
    assert "rich.console" in mods
