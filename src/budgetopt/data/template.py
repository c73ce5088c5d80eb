"""The blank template workbook a finance team fills in to make a data set.

Everything on it comes from :mod:`budgetopt.data.schema`: one sheet per table with its header,
a description row under the header (what each column means, its unit and whether it may be
blank), drop-down lists (data validation) for every choice column, yellow input cells, and a
*Guide* sheet describing the tables. A filled template is read like any data set: the reader
skips the description row because it starts with the marker ``#``.

>>> write_template("blank.xlsx")                          # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

from budgetopt.data.read import COMMENT_MARK as DESCRIPTION_MARK
from budgetopt.data.schema import TABLES, Column, Table

INPUT_ROWS = 200
"""Rows of each sheet marked as input cells (with drop-downs where a column has choices)."""

_YELLOW = "FFF2CC"  # the BCF template's input-cell colour
_HEADER = "1F4E79"


def _describe(col: Column) -> str:
    parts = [col.description]
    if col.unit:
        parts.append(f"Unit: {col.unit}.")
    if col.choices:
        parts.append("Choose from the list.")
    parts.append("Required." if col.required and not col.blank_ok else "May be left blank.")
    return " ".join(parts)


def _limits(col: Column) -> tuple[str, dict[str, str], str] | None:
    """The data-validation rule of a number column's bounds: operator, formulas, words."""
    if col.above is not None:
        return "greaterThan", {"formula1": str(col.above)}, f"more than {col.above:g}"
    if col.minimum is not None and col.maximum is not None:
        return ("between", {"formula1": str(col.minimum), "formula2": str(col.maximum)},
                f"from {col.minimum:g} to {col.maximum:g}")
    if col.minimum is not None:
        return ("greaterThanOrEqual", {"formula1": str(col.minimum)},
                f"of at least {col.minimum:g}")
    return None


def _choice_list(col: Column) -> str | None:
    if col.kind == "bool":
        return "yes,no"
    if col.choices:
        return ",".join(col.choices)
    return None


def _add_sheet(wb, table: Table, lists) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    ws = wb.create_sheet(table.name)
    header_font = Font(bold=True, color="FFFFFF")
    header_fill = PatternFill("solid", fgColor=_HEADER)
    input_fill = PatternFill("solid", fgColor=_YELLOW)
    for j, col in enumerate(table.columns, start=1):
        head = ws.cell(row=1, column=j, value=col.name)
        head.font, head.fill = header_font, header_fill
        text = _describe(col)
        note = ws.cell(row=2, column=j, value=(DESCRIPTION_MARK + " " + text) if j == 1 else text)
        note.alignment = Alignment(wrap_text=True, vertical="top")
        note.font = Font(italic=True, color="595959")
        letter = head.column_letter
        ws.column_dimensions[letter].width = max(14, min(40, len(col.name) + 4))
        for i in range(3, 3 + INPUT_ROWS):
            ws.cell(row=i, column=j).fill = input_fill
        choices = _choice_list(col)
        if choices is not None:
            source = lists(col, choices)
            dv = DataValidation(type="list", formula1=source, allow_blank=True,
                                showErrorMessage=True, errorTitle=col.name,
                                error=f"Choose a value of {col.name} from the list.")
            dv.add(f"{letter}3:{letter}{INPUT_ROWS + 2}")
            ws.add_data_validation(dv)
        elif col.kind in ("number", "integer") and (rule := _limits(col)) is not None:
            kind = "whole" if col.kind == "integer" else "decimal"
            operator, formulas, words = rule
            dv = DataValidation(type=kind, operator=operator, allow_blank=True,
                                showErrorMessage=True, errorTitle=col.name,
                                error=f"{col.name} is a number {words}.", **formulas)
            dv.add(f"{letter}3:{letter}{INPUT_ROWS + 2}")
            ws.add_data_validation(dv)
    ws.row_dimensions[2].height = 75
    ws.freeze_panes = "A3"


def write_template(path: str | Path) -> Path:
    """Write the blank template workbook.

    Parameters
    ----------
    path : str or pathlib.Path
        The .xlsx file to write (replaced atomically if it exists).

    Returns
    -------
    pathlib.Path
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from budgetopt.safe import atomic_path

    wb = Workbook()
    guide = wb.active
    guide.title = "Guide"
    guide["A1"] = "budgetopt data-set template"
    guide["A1"].font = Font(bold=True, size=14)
    guide["A2"] = ("Fill in the yellow cells of each sheet, one row per item, from row 3 "
                   "(row 2 describes the columns and is skipped when the workbook is read). "
                   "Money is in £m a year. Optional sheets may be left empty or deleted.")
    guide["A4"], guide["B4"], guide["C4"] = "sheet", "required", "what it holds"
    for c in ("A4", "B4", "C4"):
        guide[c].font = Font(bold=True)
    for i, table in enumerate(TABLES.values(), start=5):
        guide.cell(row=i, column=1, value=table.name)
        guide.cell(row=i, column=2, value="yes" if table.required else "optional")
        guide.cell(row=i, column=3, value=table.description)
    guide.column_dimensions["A"].width = 18
    guide.column_dimensions["C"].width = 100

    # Long drop-down lists live on a hidden sheet (an inline list is limited to 255 characters).
    listsheet = wb.create_sheet("lists")
    listsheet.sheet_state = "hidden"
    used: dict[str, str] = {}

    def lists(col: Column, choices: str) -> str:
        if len(choices) <= 250:
            return f'"{choices}"'
        if choices not in used:
            j = len(used) + 1
            values = choices.split(",")
            for i, v in enumerate(values, start=1):
                listsheet.cell(row=i, column=j, value=v)
            letter = listsheet.cell(row=1, column=j).column_letter
            used[choices] = f"lists!${letter}$1:${letter}${len(values)}"
        return used[choices]

    for table in TABLES.values():
        _add_sheet(wb, table, lists)
    target = Path(path)
    with atomic_path(target, folder=False) as tmp:
        wb.save(tmp)
    return target


__all__ = ["DESCRIPTION_MARK", "INPUT_ROWS", "write_template"]
