"""Writing cells and tables into openpyxl worksheets, safely.

No value from an input ever becomes a formula: text beginning with =, +, -, @, a tab or a
carriage return is stored as a string cell (see :func:`write_cell` and
:func:`budgetopt.safe.looks_like_formula`). The workbooks themselves
are laid out in :mod:`budgetopt.reports.excel`.
"""

from __future__ import annotations

import math

import pandas as pd
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from budgetopt.safe import looks_like_formula


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
    if looks_like_formula(value):
        cell.data_type = "s"
    return cell


def write_frame(ws, frame: pd.DataFrame, money_cols: tuple[str, ...] = (), *, top: int = 1,
                formats: dict[str, str] | None = None, filters: bool = True) -> int:
    """Write `frame` with its header on row `top`; return the last row written.

    Money columns (£m) get a £ format, `formats` maps other columns to number formats. The
    header is bold and frozen when it is the sheet's first table, columns get a sensible width.
    """
    from budgetopt.reports.excel.layout import POUNDS_M

    formats = {**{c: POUNDS_M for c in money_cols}, **(formats or {})}
    for j, name in enumerate(frame.columns, start=1):
        write_cell(ws, top, j, str(name)).font = Font(bold=True)
    for i, row in enumerate(frame.itertuples(index=False), start=top + 1):
        for j, value in enumerate(row, start=1):
            if hasattr(value, "item"):
                value = value.item()
            cell = write_cell(ws, i, j, value)
            fmt = formats.get(frame.columns[j - 1])
            if fmt:
                cell.number_format = fmt
    last = top + len(frame)
    if ws.freeze_panes is None:
        ws.freeze_panes = ws.cell(row=top + 1, column=1).coordinate
    if filters and len(frame.columns) and not ws.auto_filter.ref:
        ws.auto_filter.ref = f"A{top}:{get_column_letter(len(frame.columns))}{max(top, last)}"
    for j, name in enumerate(frame.columns, start=1):
        width = max([len(str(name))] + [len(str(v)) for v in frame.iloc[:200, j - 1]])
        letter = get_column_letter(j)
        current = ws.column_dimensions[letter].width or 0
        ws.column_dimensions[letter].width = max(current, min(60, max(10, width + 2)))
    return last
