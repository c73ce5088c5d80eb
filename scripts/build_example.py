"""Rebuild inputs/ from budgetopt.data.example: the example ICS (CSV folder and workbook) and the
blank template. Run `make example` (or `python scripts/build_example.py`) after changing it."""

from pathlib import Path

from budgetopt.data.example import write_example

if __name__ == "__main__":
    paths = write_example(Path(__file__).resolve().parent.parent / "inputs")
    for kind, path in paths.items():
        print(f"{kind:9} {path}")
