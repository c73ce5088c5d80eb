"""The README tells the truth: its table reference is the schema, its commands exist."""

from __future__ import annotations

import re
from pathlib import Path

from budgetopt.data.schema import markdown_reference

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_data_set_reference_matches_the_schema():
    assert markdown_reference().rstrip() in README.read_text(encoding="utf-8")


def test_readme_has_no_unfilled_placeholders():
    assert not re.findall(r"<!-- [A-Z-]+ -->|TODO|TBD", README.read_text(encoding="utf-8"))


def test_quick_start_is_make_app_then_make_test():
    text = README.read_text(encoding="utf-8")
    block = text.split("## Quick start", 1)[1].split("```", 2)[1]
    commands = [line for line in block.splitlines() if line.strip() and not line.startswith("#")]
    assert commands == ["make app", "make test"]


def test_the_example_headline_matches_a_fresh_solve(example_dir, models_dir):
    """The README quotes the example's optimum and baseline: they must be what it solves to."""
    from budgetopt.api import optimise
    from budgetopt.data.dataset import load_dataset
    from budgetopt.policy import load_policy

    text = README.read_text(encoding="utf-8")
    found = re.search(r"\*\*([\d,]+) weighted outcomes against ([\d,]+) for today's", text)
    assert found, "the README's example headline is missing"
    optimum, baseline = (float(g.replace(",", "")) for g in found.groups())
    result = optimise(load_dataset(example_dir), load_policy(models_dir / "default.yaml"))
    assert round(result.objective) == optimum
    assert round(result.baseline_objective) == baseline


def _blocks() -> list[str]:
    return re.findall(r"```(?:\w+)?\n(.*?)```", README.read_text(encoding="utf-8"),
                      re.DOTALL)


def _commands(block: str) -> list[list[str]]:
    import shlex

    return [shlex.split(line, comments=True) for line in block.splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def test_every_budgetopt_command_in_the_readme_runs_as_written(repo_root, tmp_path, monkeypatch):
    """Each `budgetopt ...` line of the README's examples, run from a copy of the repository's
    inputs and models, exits 0 (the batch's YAML block is written as region.yaml first). Lines
    that are syntax summaries (with `|` or `[...]`) and the one that needs a remote Dask
    cluster are the only ones left out, and they are counted so none slips through."""
    import shutil

    from typer.testing import CliRunner

    from budgetopt.cli import app

    for name in ("inputs", "models"):
        shutil.copytree(repo_root / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    ran, skipped = [], []
    for block in _blocks():
        if block.lstrip().startswith("# region.yaml"):
            (tmp_path / "region.yaml").write_text(block, encoding="utf-8")
            continue
        for argv in _commands(block):
            if not argv or Path(argv[0]).name != "budgetopt":
                continue
            line = " ".join(argv)
            if "|" in line or "[" in line or "--scheduler" in argv:
                skipped.append(line)
                continue
            result = runner.invoke(app, argv[1:], catch_exceptions=False)
            assert result.exit_code == 0, f"{line}\n{result.output}"
            ran.append(line)
    assert len(skipped) <= 7, skipped  # the command summary (6) and the remote cluster (1)
    assert len(ran) >= 17, ran
    assert (tmp_path / "out.json").exists() and (tmp_path / "out.xlsx").exists()
    assert (tmp_path / "shift-left.yaml").exists() and (tmp_path / "region-summary.xlsx").exists()
