"""A tiny valid data set as a user would write it, for tests that read files.

:func:`tiny_tables` returns plain frames (object dtype: text and numbers, blanks as ``""``) so
a test can put any cell value in any column, as a person editing the file could:

>>> tables = tiny_tables()
>>> tables["services"].loc[0, "baseline_m"] = "lots"   # doctest: +SKIP
>>> write_csv(tables, tmp_path / "data")                # doctest: +SKIP

The numbers: three services, two metrics, one pooled fund of £10m in 2026/27. Every curve is
concave; the curves can absorb £19m, so the budget binds.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from budgetopt.data.dataset import write_dataset

YEAR = "2026/27"
BUDGET_M = 10.0


def _frame(columns: list[str], rows: list[list[object]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns, dtype=object)


def tiny_tables() -> dict[str, pd.DataFrame]:
    """A valid single-year, ICS-wide data set: services, metrics, curves and funding."""
    services = _frame(
        ["service_id", "name", "sector", "baseline_m", "min_m", "max_m"],
        [["FALLS", "Strength and balance classes", "public_health", 1.5, "", 6],
         ["REABLE", "Home reablement", "social_care", 4, "", ""],
         ["VWARD", "Virtual wards", "community", 2.5, 0, 8]],
    )
    metrics = _frame(
        ["metric_id", "name", "unit", "weight"],
        [["ADM", "Emergency admissions avoided", "admissions", 1],
         ["HOME91", "Still at home 91 days after discharge", "people", 0.5]],
    )
    curves = _frame(
        ["service_id", "metric_id", "band", "width_m", "per_m", "per_m_low", "per_m_high"],
        [["FALLS", "ADM", 1, 2, 40, 30, 50],
         ["FALLS", "ADM", 2, 3, 15, 10, 20],
         ["REABLE", "HOME91", 1, 3, 60, "", ""],
         ["REABLE", "HOME91", 2, 3, 25, "", ""],
         ["REABLE", "ADM", 1, 3, 8, 5, 10],
         ["VWARD", "ADM", 1, 4, 30, 20, 35],
         ["VWARD", "ADM", 2, 4, 12, 8, 15]],
    )
    funding = _frame(
        ["source_id", "name", "year", "amount_m"],
        [["POOL", "Better Care Fund pool", YEAR, BUDGET_M]],
    )
    return {"services": services, "metrics": metrics, "curves": curves, "funding": funding}


def write_csv(tables: dict[str, pd.DataFrame], directory: str | Path) -> Path:
    """Write `tables` as a folder of CSV files (``<table>.csv``)."""
    return write_dataset(tables, Path(directory))


def write_xlsx(tables: dict[str, pd.DataFrame], path: str | Path) -> Path:
    """Write `tables` as one workbook with a sheet per table."""
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise ValueError(f"a workbook path ends in .xlsx, not {path.name}")
    return write_dataset(tables, path)
