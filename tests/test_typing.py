"""mypy on src/ (the configuration in pyproject.toml): clean, every module, none excused.

A ``# type: ignore`` names the error it silences and says why on its line (a library's stubs
that are wrong or missing), so that none hides a real error."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def test_mypy_finds_no_errors_in_src():
    done = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT,
                          capture_output=True, text=True, timeout=900, check=False)
    modules = sorted({line.split(":")[0].removeprefix("src/").removesuffix(".py")
                      .replace("/", ".").removesuffix(".__init__")
                      for line in done.stdout.splitlines() if ": error:" in line})
    assert done.returncode == 0, (
        f"mypy finds errors in {', '.join(modules)}: fix them\n"
        + done.stdout[-6000:] + done.stderr[-2000:])
    assert re.search(r"Success: no issues found in \d+ source files", done.stdout)


def test_no_module_is_excused_from_mypy():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]
    excused = [m for o in config.get("overrides", []) if o.get("ignore_errors")
               for m in o["module"]]
    assert excused == []
    assert config["files"] == ["src/budgetopt"]


IGNORE = re.compile(r"#\s*type:\s*ignore(?P<codes>\[[^\]]*\])?(?P<rest>.*)")


def ignores_without_a_code_or_reason(lines: list[str]) -> list[int]:
    """Line numbers (from 1) of the ``# type: ignore`` comments in `lines` that name no error
    code, or give no reason: on their own line after the code, or in a comment line just
    above."""
    wrong = []
    for n, line in enumerate(lines, 1):
        found = IGNORE.search(line)
        if found is None:
            continue
        reason = found["rest"].strip().lstrip("#").strip()
        above = lines[n - 2].strip() if n >= 2 else ""
        if not found["codes"] or not (reason or above.startswith("#")):
            wrong.append(n)
    return wrong


def test_every_type_ignore_names_its_error_and_says_why():
    wrong = [f"{path.relative_to(ROOT)}:{n}"
             for path in sorted((ROOT / "src").rglob("*.py"))
             for n in ignores_without_a_code_or_reason(
                 path.read_text(encoding="utf-8").splitlines())]
    assert not wrong, "a type: ignore with no error code or no reason:\n" + "\n".join(wrong)


@pytest.mark.parametrize("lines, wrong", [
    (["x = f()  # type: ignore"], [1]),
    (["x = f()  # type: ignore[attr-defined]"], [1]),
    (["x = f()  # type: ignore[attr-defined]  # the stubs lack f"], []),
    (["# the stubs lack f", "x = f()  # type: ignore[attr-defined]"], []),
    (["y = 1", "x = f()  # type: ignore  # no code"], [2]),
])
def test_the_ignore_check_wants_a_code_and_a_reason(lines, wrong):
    assert ignores_without_a_code_or_reason(lines) == wrong
