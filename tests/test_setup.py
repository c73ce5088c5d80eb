"""The project's own entry points: the README's Quick start, the Makefile and CI's .ci/run."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

needs_make = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def quick_start_commands(readme: str) -> list[str]:
    """The command lines of the first fenced block under the "Quick start" heading.

    The same reading as shared/checks/fresh-clone.sh: blank lines and ``#`` comments skipped.
    """
    lines = iter(readme.splitlines())
    for line in lines:
        if re.match(r"#+ *Quick start", line):
            break
    else:
        return []
    for line in lines:
        if line.startswith("```"):
            break
    commands = []
    for line in lines:
        if line.startswith("```"):
            break
        if line.strip() and not line.split()[0].startswith("#"):
            commands.append(line.strip())
    return commands


def make(repo_root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=repo_root,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def test_ci_run_is_executable_and_runs_make_test(repo_root):
    ci_run = repo_root / ".ci" / "run"
    assert os.access(ci_run, os.X_OK), ".ci/run must be executable"
    text = ci_run.read_text()
    assert text.startswith("#!/usr/bin/env bash")
    assert "set -euo pipefail" in text
    assert re.search(r"^\s*make test\b", text, re.MULTILINE), (
        ".ci/run must run the README's `make test`"
    )


def test_readme_quick_start_is_make_app_then_make_test(repo_root):
    readme = repo_root / "README.md"
    if not readme.exists():
        pytest.skip("README.md is not written yet")
    assert quick_start_commands(readme.read_text()) == ["make app", "make test"]


@needs_make
def test_make_app_and_test_parse(repo_root):
    app = make(repo_root, "-n", "app")
    assert app.returncode == 0, app.stderr
    assert "streamlit run app.py --server.address 127.0.0.1 --server.port 8501" in app.stdout

    test = make(repo_root, "-n", "test")
    assert test.returncode == 0, test.stderr
    assert "-m pytest -n 2 --timeout 600" in test.stdout


@needs_make
@pytest.mark.parametrize("pytest_exit", [1, 5])
def test_make_test_fails_when_pytest_fails_or_collects_nothing(repo_root, tmp_path, pytest_exit):
    """Given a stand-in venv whose python exits like pytest, `make test` must fail too."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    fake_python = venv / "bin" / "python"
    fake_python.write_text(f"#!/bin/sh\nexit {pytest_exit}\n")
    fake_python.chmod(0o755)
    (venv / ".installed").touch()  # newer than pyproject.toml: no install

    # -o system: leave the Debian packages alone here.
    result = make(repo_root, "-o", "system", "test", f"VENV={venv}")
    assert result.returncode != 0, result.stdout + result.stderr
    assert f"Error {pytest_exit}" in result.stderr


def test_setup_system_script_is_valid_bash(repo_root):
    script = repo_root / "scripts" / "setup-system.sh"
    assert subprocess.run(["bash", "-n", str(script)], check=False).returncode == 0
    unknown = subprocess.run(
        ["bash", str(script), "no-such-need"], capture_output=True, text=True, check=False
    )
    assert unknown.returncode == 2
    assert "unknown need" in unknown.stderr
