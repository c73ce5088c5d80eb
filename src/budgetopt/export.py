"""Results → Excel workbook (openpyxl).

No value from an input ever becomes a formula: text beginning with =, +, -, @, a tab or a
carriage return is stored as a string cell (see :func:`safe_value`).
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from budgetopt.results import Results

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_value(value: object) -> object:
    """A cell value that can never be a formula; NaN and infinity become blank."""
    if value is None:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_cell(ws, row: int, col: int, value: object):
    """Write a value; text that looks like a formula is forced to a plain string."""
    cell = ws.cell(row=row, column=col)
    value = safe_value(value)
    cell.value = value
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        cell.data_type = "s"
    return cell


def write_frame(ws, frame: pd.DataFrame, money_cols: tuple[str, ...] = ()) -> None:
    for j, name in enumerate(frame.columns, start=1):
        write_cell(ws, 1, j, str(name)).font = Font(bold=True)
    for i, row in enumerate(frame.itertuples(index=False), start=2):
        for j, value in enumerate(row, start=1):
            if hasattr(value, "item"):
                value = value.item()
            cell = write_cell(ws, i, j, value)
            if frame.columns[j - 1] in money_cols:
                cell.number_format = '"£"#,##0.00"m"'
    ws.freeze_panes = "A2"
    if len(frame.columns):
        ws.auto_filter.ref = f"A1:{get_column_letter(len(frame.columns))}{max(1, len(frame) + 1)}"
    for j, name in enumerate(frame.columns, start=1):
        width = max([len(str(name))] + [len(str(v)) for v in frame.iloc[:200, j - 1]])
        ws.column_dimensions[get_column_letter(j)].width = min(60, max(10, width + 2))


def write_workbook(results: Results, path: Path) -> None:
    """A plain results workbook: summary, allocation, outcomes, rules, reduced costs."""
    from budgetopt.summary import summary_lines

    wb = Workbook()
    ws = wb.active
    ws.title = "Summary"
    import re

    for i, line in enumerate(summary_lines(results), start=1):
        write_cell(ws, i, 1, re.sub(r"\[/?[a-z ]*\]", "", line))
    ws.column_dimensions["A"].width = 120
    sheets = [
        ("Allocation", results.allocation, ("spend_m", "baseline_m", "change_m")),
        ("Funding", results.funding_flows, ("amount_m",)),
        ("Outcomes", results.outcomes, ()),
        ("Rules", results.constraints, ()),
        ("Reduced costs", results.reduced_costs, ()),
    ]
    for title, frame, money in sheets:
        write_frame(wb.create_sheet(title), frame, money)
    wb.save(path)
