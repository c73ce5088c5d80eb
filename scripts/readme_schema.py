"""Refresh the data-set reference in README.md from budgetopt.data.schema (tests/test_readme.py
fails until the README matches the schema)."""

from pathlib import Path

from budgetopt.data.schema import markdown_reference

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "**services** (required)", "\nHow the tables combine"

if __name__ == "__main__":
    text = README.read_text(encoding="utf-8")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    README.write_text(head + markdown_reference().rstrip() + "\n" + END + tail, encoding="utf-8")
    print("README.md data-set reference refreshed")
