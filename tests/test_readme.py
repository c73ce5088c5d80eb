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
