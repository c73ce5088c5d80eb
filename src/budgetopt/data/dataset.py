"""Load a data set (read + validate) and write one (a CSV folder or a workbook).

>>> inputs = load_dataset("inputs/example")          # doctest: +SKIP
>>> write_dataset(tables, "copy.xlsx")               # doctest: +SKIP
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from budgetopt.data.inputs import Inputs
from budgetopt.data.read import DEFAULT_MAX_BYTES, WORKBOOK_SUFFIXES, read_tables
from budgetopt.data.schema import TABLES
from budgetopt.data.validate import Nonconcave, validate
from budgetopt.safe import atomic_path, csv_text, looks_like_formula


def load_dataset(path: str | Path, *, nonconcave: Nonconcave | str = "reject",
                 max_bytes: int = DEFAULT_MAX_BYTES) -> Inputs:
    """Read and validate a data set.

    Parameters
    ----------
    path : str or pathlib.Path
        A folder of CSV files or one .xlsx workbook (see :func:`budgetopt.data.read.read_tables`).
    nonconcave : {"reject", "milp"}, default "reject"
        The policy model's ``nonconcave`` setting (see :func:`budgetopt.data.validate.validate`).
    max_bytes : int, default 50 MB
        Largest input file read.

    Returns
    -------
    Inputs

    Raises
    ------
    InputError
        Anything wrong with the data set, every problem listed.
    """
    return validate(read_tables(path, max_bytes=max_bytes), nonconcave=nonconcave)


# -- writing -------------------------------------------------------------------------------


def _python(value: object) -> object:
    """A frame cell as a plain Python value for a writer; non-finite numbers become blank.

    Blank is how a data set says "no cap" or "default", so ``max_m = inf`` round-trips.
    """
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()  # numpy scalar
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _numeric(value: object) -> object:
    """Text holding a finite number becomes that number (for numeric columns)."""
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return value
        if not math.isfinite(number):
            return value
        return int(number) if number.is_integer() and "." not in value else number
    return value


def _cells(name: str, frame: pd.DataFrame) -> tuple[list[str], list[list[object]]]:
    """Header and rows of one table, with numeric columns' numbers as numbers."""
    spec = TABLES.get(name)
    numeric = {c.name for c in spec.columns if c.kind in ("number", "integer")} if spec else set()
    header = [str(c) for c in frame.columns]
    rows = []
    for record in frame.itertuples(index=False, name=None):
        cells = [_python(v) for v in record]
        rows.append([_numeric(v) if col in numeric else v
                     for col, v in zip(header, cells, strict=True)])
    return header, rows


def _write_csv(frame_name: str, frame: pd.DataFrame, path: Path) -> None:
    """One table as CSV; text a spreadsheet would take for a formula is guarded with an
    apostrophe (:func:`budgetopt.safe.csv_text`), which the reader takes off again."""
    header, rows = _cells(frame_name, frame)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow([csv_text(h) for h in header])
        writer.writerows([["" if v is None else csv_text(v) for v in row] for row in rows])


def _write_csv_folder(tables: Mapping[str, pd.DataFrame], folder: Path) -> None:
    """A new folder appears whole; in an existing one each table file is replaced atomically
    and CSVs of tables not written are removed (other files are left alone)."""
    if not folder.exists():
        with atomic_path(folder, folder=True) as tmp:
            for name, frame in tables.items():
                _write_csv(name, frame, tmp / f"{name}.csv")
        return
    if not folder.is_dir():
        raise FileExistsError(f"{folder} exists and is not a folder")
    for name, frame in tables.items():
        with atomic_path(folder / f"{name}.csv", folder=False) as tmp:
            _write_csv(name, frame, tmp)
    written = {f"{name}.csv" for name in tables}
    for f in folder.iterdir():
        stale = f.suffix.lower() == ".csv" and f.stem.strip().lower() in TABLES
        if stale and f.is_file() and f.name not in written:
            f.unlink()


def _write_workbook(tables: Mapping[str, pd.DataFrame], path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    wb.remove(wb.active)
    bold = Font(bold=True)
    for name, frame in tables.items():
        ws = wb.create_sheet(name)
        header, rows = _cells(name, frame)
        for j, title in enumerate(header, start=1):
            ws.cell(row=1, column=j, value=title).font = bold
        for i, row in enumerate(rows, start=2):
            for j, value in enumerate(row, start=1):
                cell = ws.cell(row=i, column=j, value=value)
                if looks_like_formula(value):
                    cell.data_type = "s"  # text stays text: no input becomes a formula
        ws.freeze_panes = "A2"
        for j, title in enumerate(header, start=1):
            ws.column_dimensions[ws.cell(row=1, column=j).column_letter].width = \
                max(10, len(title) + 2)
    with atomic_path(path, folder=False) as tmp:
        wb.save(tmp)


def write_dataset(tables: Mapping[str, pd.DataFrame], path: str | Path) -> Path:
    """Write tables as a data set: a CSV folder, or one workbook when `path` ends in .xlsx.

    Parameters
    ----------
    tables : mapping of str to pandas.DataFrame
        Table name -> frame, e.g. ``{"services": ..., "curves": ...}``; columns as written.
        Non-finite numbers (``inf`` for no cap, NaN) are written blank; in known numeric
        columns, text holding a number is written as a number.
    path : str or pathlib.Path
        Target folder (``<name>.csv`` per table) or ``.xlsx`` file (a sheet per table, header
        bold and frozen).

    Returns
    -------
    pathlib.Path
        The path written.

    Notes
    -----
    Writing is atomic: a workbook or a new folder is written to a temporary sibling that then
    takes its name, so a failure leaves nothing half-written. In an existing folder each table
    file is replaced atomically, and CSV files of tables not in `tables` are removed (so the
    folder holds exactly this data set); other files are left alone.
    Text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return never becomes a
    formula: in a workbook it is stored as text, in a CSV file it gets a leading apostrophe
    (which :func:`load_dataset` takes off, so the data set reads back as written).
    """
    p = Path(path)
    if p.suffix.lower() in WORKBOOK_SUFFIXES:
        _write_workbook(tables, p)
    else:
        _write_csv_folder(tables, p)
    return p


__all__ = ["load_dataset", "write_dataset"]
