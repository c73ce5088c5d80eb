"""The README tells the truth: its table reference is the schema, its commands exist."""

from __future__ import annotations

import re
from pathlib import Path

from budgetopt.schema import markdown_reference

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
    from budgetopt.dataset import load_dataset
    from budgetopt.policy import load_policy

    text = README.read_text(encoding="utf-8")
    found = re.search(r"\*\*([\d,]+) weighted outcomes against ([\d,]+) for today's", text)
    assert found, "the README's example headline is missing"
    optimum, baseline = (float(g.replace(",", "")) for g in found.groups())
    result = optimise(load_dataset(example_dir), load_policy(models_dir / "default.yaml"))
    assert round(result.objective) == optimum
    assert round(result.baseline_objective) == baseline
