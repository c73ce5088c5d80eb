"""Read a data set as text: a folder of CSV files or one .xlsx workbook -> :class:`RawData`.

Reading only: no types, no checks beyond "can this be read at all". Every cell comes back as
text (or ``None`` when blank), so a CSV folder and the equivalent workbook read identically and
:func:`budgetopt.data.validate.validate` has one thing to check. Each row keeps the number a
spreadsheet would show for it (header = row 1, first data row = row 2), so every later message
can point at the cell.

Input files are opened read-only, once, and never written: a workbook is read into memory and
parsed from there.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from budgetopt.data.schema import TABLES
from budgetopt.errors import InputError, Problem
from budgetopt.safe import csv_untext, regular_input

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
"""Largest input file read (bytes). A real data set is a few hundred kB."""

MAX_ROWS = 1_048_576
"""Most rows a table may have, header included (Excel's own limit for a sheet): a file with
more is refused before it is parsed further."""
MAX_COLUMNS = 1_000
"""Most columns a table may have; a value further right is refused (a stray styled cell at
the sheet's far corner, XFD1048576, costs nothing: only cells holding a value are read)."""
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
_EXPANSION_LIMIT = 20
"""A workbook is a zip archive: refuse one whose contents expand beyond this many times
the per-file limit (a "zip bomb" would otherwise exhaust memory)."""


@dataclass(frozen=True)
class RawTable:
    """One table as read: every cell text or ``None``.

    Attributes
    ----------
    name : str
        Table name from :data:`budgetopt.data.schema.TABLES`, e.g. ``"services"``.
    where : str
        How a person finds it: ``"services.csv"`` or ``"example.xlsx › services"``.
    frame : pandas.DataFrame
        Object dtype; columns are the trimmed, lower-cased headers; the index is the spreadsheet
        row number of each row (fully blank rows dropped, numbers kept).
    """

    name: str
    where: str
    frame: pd.DataFrame
    reported: frozenset[tuple[int, str]] = frozenset()
    """Cells (row, column) already reported while reading (a control character, a formula
    with no saved value): validation treats them as failed without a second message."""


@dataclass(frozen=True)
class RawData:
    """A data set as read from disk, before validation.

    Attributes
    ----------
    source : str
        The path given, as a string.
    label : str
        How the container is named in messages: the folder name or the workbook file name.
    workbook : bool
        True for a workbook (tables are sheets), False for a CSV folder.
    tables : dict[str, RawTable]
        The known tables found, by table name. Missing tables are simply absent.
    ignored : tuple[str, ...]
        Names of files or sheets that are not a known table (e.g. ``"Notes"``), and hidden
        sheets (never read, whatever their name).
    problems : tuple[Problem, ...]
        Problems found while reading that do not stop the rest of the data set being read
        (a duplicated header, a row with more cells than headers); validation reports them
        together with its own.
    """

    source: str
    label: str
    workbook: bool
    tables: dict[str, RawTable] = field(default_factory=dict)
    ignored: tuple[str, ...] = ()
    problems: tuple[Problem, ...] = ()
    notes: tuple[str, ...] = ()
    """Plain-English notes about what was read (a hidden sheet that was not), shown as
    warnings."""
    hidden: tuple[str, ...] = ()
    """Hidden sheets of a workbook (not read)."""

    def where(self, table: str) -> str:
        """The label a table has (or would have) in messages."""
        if table in self.tables:
            return self.tables[table].where
        return f"{self.label} › {table}" if self.workbook else f"{table}.csv"


def read_tables(path: str | Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> RawData:
    """Read a data set (a folder of CSV files or one workbook) as text.

    Parameters
    ----------
    path : str or pathlib.Path
        A folder holding ``services.csv``, ``metrics.csv``, … or one ``.xlsx`` workbook with a
        sheet per table. File and sheet names are matched case-insensitively, trimmed; other
        files and sheets (Notes, Guide, …) are ignored.
    max_bytes : int, default 50 MB
        Largest file read; a bigger one is an input error.

    Returns
    -------
    RawData
        Every known table found, cells as text.

    Raises
    ------
    InputError
        The path is missing, is neither a folder nor a workbook, a file is too big, or the
        workbook cannot be opened.
    """
    p = Path(path)
    if not p.exists():
        raise InputError.single(str(p), "no such file or folder: give a folder of CSV files "
                                "or an .xlsx workbook")
    regular_input(p, "the data set", folder=True)
    if p.is_dir():
        return _read_folder(p, max_bytes)
    if p.suffix.lower() in WORKBOOK_SUFFIXES:
        return _read_workbook(p, max_bytes)
    if p.suffix.lower() == ".xls":
        hint = "this is the old Excel format: open it in Excel and save it as .xlsx"
    elif p.suffix.lower() == ".csv":
        hint = "give the folder that holds the CSV files, not one file"
    else:
        hint = "a data set is a folder of CSV files or one .xlsx workbook"
    raise InputError.single(str(p), f"cannot read this file: {hint}")


# -- text of a cell ------------------------------------------------------------------------


COMMENT_MARK = "#"
"""A row whose first cell starts with this is a note for people, not data (the template's
description row under the header)."""


def cell_text(value: object) -> str | None:
    """A cell value as the text a person sees, or ``None`` when blank.

    Whole-number floats lose their ``.0`` (Excel stores 2026 as 2026.0), other floats keep
    their shortest exact form, booleans read ``TRUE``/``FALSE`` as Excel shows them, and dates
    read as ISO dates.
    """
    if value is None:
        return None
    if isinstance(value, NoCachedValue):
        return value  # reported by the reader, kept to be named
    if isinstance(value, Percent):
        return f"{float(value) * 100:.10g}%"
    if isinstance(value, bool):
        text = "TRUE" if value else "FALSE"
    elif isinstance(value, int):
        text = str(value)
    elif isinstance(value, float):
        text = str(int(value)) if math.isfinite(value) and value.is_integer() else repr(value)
    elif isinstance(value, dt.datetime):
        text = value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    elif isinstance(value, dt.date | dt.time):
        text = value.isoformat()
    else:
        text = str(value)
    text = text.strip()
    return text or None


class NoCachedValue(str):
    """A workbook formula with no saved result (the file was written by a program that does
    not calculate, and never opened in Excel): the text is the formula."""


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
"""Control characters (NUL, vertical tab from Word, ESC, …): not text a person typed, and
not allowed in a workbook. Tab, line feed and carriage return are."""
_UNREADABLE = "\ufffd"


def _char_name(ch: str) -> str:
    import unicodedata

    names = {"\x00": "NUL", "\x0b": "vertical tab", "\x0c": "form feed", "\x1b": "ESC",
             "\x7f": "DEL"}
    return f"U+{ord(ch):04X} {names.get(ch) or unicodedata.name(ch, 'control character')}"


def _text_problem(text: str) -> str | None:
    """What is wrong with a cell's text as read, or None."""
    found = _CONTROL.search(text)
    if found:
        return (f"the text holds a control character ({_char_name(found.group())}) at "
                f"position {found.start() + 1}, often pasted from Word or another program: "
                "delete it")
    if _UNREADABLE in text:
        return (f"the text holds U+FFFD (\ufffd) at position {text.index(_UNREADABLE) + 1}: a "
                "character that could not be read, usually a file saved in one encoding "
                "and read in another: save the file as CSV UTF-8, or retype the character")
    return None


def _check_texts(frame: pd.DataFrame, where: str, problems: list[Problem],
                 reported: set[tuple[int, str]]) -> None:
    """Name each cell whose text cannot be right (a column at a time, each distinct text
    checked once)."""
    rows = frame.index.to_numpy()
    for column in frame.columns:
        codes, uniques = pd.factorize(frame[column].to_numpy(dtype=object))
        texts = uniques.tolist()
        joined = "\n".join(texts)
        if not (_CONTROL.search(joined) or _UNREADABLE in joined
                or any(type(u) is NoCachedValue for u in texts)):
            continue  # the common case: one scan of the whole column
        bad = {i: why for i, u in enumerate(uniques.tolist())
               if (why := (_NO_VALUE_WHY if isinstance(u, NoCachedValue)
                           else _text_problem(u))) is not None}
        if not bad:
            continue
        for pos in np.flatnonzero(np.isin(codes, list(bad))).tolist():
            text = uniques[codes[pos]]
            problems.append(Problem(where, bad[codes[pos]], row=int(rows[pos]), column=column,
                                    value=str(text)))
            reported.add((int(rows[pos]), column))


_NO_VALUE_WHY = ("the cell holds a formula with no saved result (the workbook was written by "
                 "a program that does not calculate): open it in Excel and save it, or type "
                 "the value")


def _frame(rows: Iterable[tuple[int, Sequence[object]]], where: str,
           problems: list[Problem], reported: set[tuple[int, str]] | None = None
           ) -> pd.DataFrame:
    """Rows ``(spreadsheet row, cells)`` with the header first -> a text frame.

    Blank header cells and the cells under them are dropped (Excel's trailing empty
    columns); a repeated header keeps its first column and is reported. Cells whose text
    cannot be right (control characters, U+FFFD, a formula with no saved result) are
    reported and added to `reported`.
    """
    it = iter(rows)
    header_row = next(it, None)
    if header_row is None:
        return pd.DataFrame()
    header, keep = _header(header_row[1], where, problems)
    records: list[list[str | None]] = []
    numbers: list[int] = []
    for number, cells in it:
        texts = [(v.strip() or None) if type(v) is str else cell_text(v) for v in cells]
        if not any(texts) or (texts and (texts[0] or "").startswith(COMMENT_MARK)):
            continue  # blank, or a note row (the template's column descriptions)
        extra = [t for t in texts[len(header):] if t is not None]
        if extra:
            problems.append(_long_row(where, len(texts), len(header), number, extra[0]))
        texts += [None] * (len(header) - len(texts))
        records.append([texts[i] for i in keep.values()])
        numbers.append(number)
    frame = pd.DataFrame(records, columns=list(keep), index=pd.Index(numbers, name="row"),
                         dtype=object)
    _check_texts(frame, where, problems, reported if reported is not None else set())
    return frame


def _long_row(where: str, cells: int, columns: int, number: int, value: str) -> Problem:
    return Problem(where, f"the row has {cells} cells but the header has {columns} columns: a "
                   "value containing a comma must be in quotes", row=number, value=value)


def _header(cells: Sequence[object], where: str, problems: list[Problem]
            ) -> tuple[list[str], dict[str, int]]:
    """The header's names (lower case, "" for a blank cell) and the position of each column
    kept (blank names dropped, a repeated name's second copy reported and dropped)."""
    header = [(cell_text(v) or "").lower() for v in cells]
    if len(header) == 1 and any(sep in header[0] for sep in ";\t|"):
        problems.append(Problem(where, "the header is one column: save the file as "
                                "comma-separated values (CSV), not semicolon- or tab-separated",
                                row=1, value=header[0]))
    keep: dict[str, int] = {}
    for i, name in enumerate(header):
        if not name:
            continue
        if name in keep:
            problems.append(Problem(where, f"column '{name}' appears twice; the second copy is "
                                    "ignored: remove or rename it", row=1, column=name))
            continue
        keep[name] = i
    return header, keep


def _csv_frame(rows: list[tuple[int, list[str]]], where: str, problems: list[Problem],
               reported: set[tuple[int, str]]) -> pd.DataFrame:
    """:func:`_frame` of a CSV file's records (every cell text, as ``csv.reader`` gives it),
    a column at a time: the same frame and the same problems, in the same order, without a
    Python pass over every row's cells (the formula guard undone, :func:`~budgetopt.safe.csv_untext`,
    only where a cell starts with an apostrophe)."""
    if not rows:
        return pd.DataFrame()
    header, keep = _header([csv_untext(c) for c in rows[0][1]], where, problems)
    body = rows[1:]
    n = len(body)
    lengths = np.fromiter((len(c) for _, c in body), dtype=np.int64, count=n)
    width = max(int(lengths.max(initial=0)), len(header))
    grid = np.full((n, width), None, dtype=object)
    for length in np.unique(lengths).tolist():  # rows of each length in one block
        if length:
            at = np.flatnonzero(lengths == length)
            block = np.empty((len(at), length), dtype=object)
            block[:] = [body[i][1] for i in at.tolist()]
            grid[at, :length] = block
    columns = []
    for j in range(width):
        cells = grid[:, j].tolist()
        columns.append(np.array(
            [None if v is None else
             ((csv_untext(v) if v[:1] == "'" else v).strip() or None) for v in cells],
            dtype=object))
    present = np.array([c != None for c in columns], dtype=bool).reshape(width, n)
    first = columns[0] if width else np.full(n, None, dtype=object)
    note = np.fromiter((v is not None and v.startswith(COMMENT_MARK) for v in first.tolist()),
                       dtype=bool, count=n)
    kept = present.any(axis=0) & ~note  # not blank, not a note row
    if width > len(header):
        beyond = present[len(header):] & kept
        for r in np.flatnonzero(beyond.any(axis=0)).tolist():
            j = len(header) + int(np.argmax(beyond[:, r]))
            problems.append(_long_row(where, int(lengths[r]), len(header), body[r][0],
                                      columns[j][r]))
    numbers = [number for (number, _), k in zip(body, kept.tolist()) if k]
    frame = pd.DataFrame({name: columns[i][kept] for name, i in keep.items()},
                         columns=list(keep), index=pd.Index(numbers, name="row"), dtype=object)
    _check_texts(frame, where, problems, reported)
    return frame


def _check_size(path: Path, max_bytes: int) -> None:
    size = path.stat().st_size
    if size > max_bytes:
        raise InputError.single(path.name, f"the file is {size / 1e6:.1f} MB, over the "
                                f"{max_bytes / 1e6:.0f} MB limit for one input file")


def _claim(found: dict[str, str], table: str, name: str, where: str,
           problems: list[Problem]) -> bool:
    """Record that file/sheet `name` holds `table`; report a second candidate."""
    if table in found:
        problems.append(Problem(where, f"both '{found[table]}' and '{name}' look like the "
                                f"{table} table; '{name}' is ignored: keep only one"))
        return False
    found[table] = name
    return True


# -- CSV folder ----------------------------------------------------------------------------


def _decode(data: bytes, name: str) -> str:
    """UTF-8 (with or without Excel's byte-order mark), else Windows-1252 (Excel's 'CSV').

    A UTF-16 file (Excel's "Unicode Text") is refused with one message: read as either of
    those it would be hundreds of garbled problems. Bytes Windows-1252 does not define read as
    U+FFFD, which the reader then names cell by cell.
    """
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or (len(data) >= 4 and data[1:4:2] == b"\0\0"
                                                   or data[0:4:2] == b"\0\0"):
        raise InputError.single(name, "the file is saved as UTF-16 (Excel's 'Unicode Text'), "
                                "not as CSV: in Excel use Save As > 'CSV UTF-8 (Comma "
                                "delimited)'")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


_FIELD_LIMIT = csv.field_size_limit()
"""The longest value a CSV cell may hold (131,072 characters)."""


def _csv_rows(text: str, name: str) -> list[tuple[int, list[str]]]:
    """The records of a CSV file, numbered 1, 2, … (header = 1); each error names its row.

    A quote that is opened and not closed makes the rest of the file (or everything up to the
    next stray quote) one value: that is refused with one message at the row and column where
    the quote opens, since nothing after it can be trusted.
    """
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[tuple[int, list[str]]] = []
    width = 0
    line = 1  # the physical line the next record starts on
    try:
        for number, cells in enumerate(reader, start=1):
            if number == 1:
                width = len(cells)
            if number > MAX_ROWS:
                raise InputError.single(name, f"the file has more than {MAX_ROWS:,} rows, the "
                                        "most a table may have (Excel's own limit for a sheet)")
            if reader.line_num > line:  # the record ran over more than one line
                _unclosed_quote(cells, width, number, line, name)
            rows.append((number, cells))  # the formula guard is undone by _csv_frame
            line = reader.line_num + 1
    except csv.Error as e:
        number = len(rows) + 1
        if "field larger" in str(e):
            why = (f"a value is longer than {_FIELD_LIMIT:,} characters, the most one cell "
                   "may hold: is a quote (\") not closed?")
        else:
            why = f"this row cannot be read as CSV ({e})"
        raise InputError.single(name, f"row {number} (line {line}): {why}") from None
    return rows


def _unclosed_quote(cells: list[str], width: int, number: int, line: int, name: str) -> None:
    """Refuse a quoted value that took in the rows below it (a line of it looks like a row)."""
    for i, cell in enumerate(cells):
        if "\n" in cell and any(part.count(",") >= max(width - 1, 1)
                                 for part in cell.split("\n")[1:]):
            raise InputError.single(name, f"row {number} (line {line}) (column {i + 1}): a "
                                    "quote (\") opens a value that runs on over "
                                    f"{cell.count(chr(10)) + 1} lines, taking in the rows "
                                    "below it: close the quote, or remove it")


def _read_csv(path: Path, max_bytes: int, problems: list[Problem]) -> RawTable:
    _check_size(path, max_bytes)
    with path.open("rb") as fh:
        text = _decode(fh.read(), path.name)
    reported: set[tuple[int, str]] = set()
    frame = _csv_frame(_csv_rows(text, path.name), path.name, problems, reported)
    return RawTable(path.stem.strip().lower(), path.name, frame, frozenset(reported))


def _read_folder(folder: Path, max_bytes: int) -> RawData:
    problems: list[Problem] = []
    tables: dict[str, RawTable] = {}
    found: dict[str, str] = {}
    ignored: list[str] = []
    for f in sorted(folder.iterdir()):
        table = f.stem.strip().lower()
        if f.suffix.lower() == ".csv" and table in TABLES:
            regular_input(f, f"the {table} table", where=f"{folder.name} › {f.name}")
        if not (f.is_file() and f.suffix.lower() == ".csv"):
            continue
        if table not in TABLES:
            ignored.append(f.name)
        elif _claim(found, table, f.name, folder.name, problems):
            tables[table] = _read_csv(f, max_bytes, problems)
    return RawData(str(folder), folder.name, False, tables, tuple(ignored), tuple(problems))


def read_frames(frames: Mapping[str, pd.DataFrame], label: str) -> RawData:
    """Tables already in memory (the app's data editor, the built-in example) as read text.

    Parameters
    ----------
    frames : mapping of str to pandas.DataFrame
        One frame per table, columns as headers. Rows are numbered as a sheet would number
        them (header = row 1), so messages point at the row a person sees in the editor.
    label : str
        How the data set is named in messages, e.g. ``"Data editor"``.

    Returns
    -------
    RawData
        As :func:`read_tables` returns for a workbook: unknown tables are listed as ignored.
    """
    problems: list[Problem] = []
    tables: dict[str, RawTable] = {}
    ignored: list[str] = []
    for name, frame in frames.items():
        table = name.strip().lower()
        if table not in TABLES:
            ignored.append(name)
            continue
        rows = [(1, list(frame.columns)),
                *((i + 2, [None if _blank(v) else v for v in rec])
                  for i, rec in enumerate(frame.itertuples(index=False, name=None)))]
        where = f"{label} › {table}"
        reported: set[tuple[int, str]] = set()
        frame = _frame(rows, where, problems, reported)
        tables[table] = RawTable(table, where, frame, frozenset(reported))
    return RawData(label, label, True, tables, tuple(ignored), tuple(problems))


def _blank(value: object) -> bool:
    """A missing cell as pandas holds it (None, NaN, NaT, pd.NA)."""
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


# -- workbook ------------------------------------------------------------------------------


def _open_workbook(path: Path, max_bytes: int) -> Workbook:
    """Load the workbook from an in-memory copy; any failure is an input error."""
    from openpyxl import load_workbook

    _check_size(path, max_bytes)
    with path.open("rb") as fh:
        data = fh.read()
    not_xlsx = ("this is not an Excel workbook that can be opened (it may be damaged, "
                "password-protected, or another kind of file renamed .xlsx)")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            expanded = sum(info.file_size for info in zf.infolist())
    except zipfile.BadZipFile:
        raise InputError.single(path.name, not_xlsx) from None
    if expanded > _EXPANSION_LIMIT * max_bytes:
        raise InputError.single(path.name, f"the workbook expands to {expanded / 1e6:.0f} MB, "
                                "too big to read")
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as e:  # noqa: BLE001 - openpyxl raises many kinds; all mean "unreadable"
        raise InputError.single(path.name, f"{not_xlsx}: {type(e).__name__}") from None


class Percent(float):
    """A workbook number shown as a percentage (0.6 formatted 60%): it reads as "60%", as a
    person sees it, and validation takes it per the column's unit."""


def _percent_styles(wb: object) -> set[int]:
    """Style ids of a workbook whose number format shows a percentage."""
    from openpyxl.styles.numbers import BUILTIN_FORMATS_MAX_SIZE, builtin_format_code

    found: set[int] = set()
    formats = getattr(wb, "_number_formats", [])
    for idx, style in enumerate(getattr(wb, "_cell_styles", [])):
        fid = style.numFmtId
        code = (formats[fid - BUILTIN_FORMATS_MAX_SIZE]
                if fid >= BUILTIN_FORMATS_MAX_SIZE and fid - BUILTIN_FORMATS_MAX_SIZE < len(formats)
                else builtin_format_code(fid))
        if code and "%" in re.sub(r'"[^"]*"|\\.', "", code):
            found.add(idx)
    return found


def _sheet_rows(ws: ReadOnlyWorksheet, where: str, problems: list[Problem]
                ) -> Iterator[tuple[int, list[object]]]:
    """``(row number, values)`` of a sheet's rows that hold a value, row 1 (the header) first.

    Only the cells the sheet holds are read, each row up to its last value: a sheet whose
    stated size is 1,048,576 rows by 16,384 columns because of one styled cell costs what
    its data costs. More than :data:`MAX_ROWS` rows with values is refused; a value beyond
    column :data:`MAX_COLUMNS` is reported once and not read.
    """
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet._reader import FORMULA_TAG, WorkSheetParser

    wb = ws.parent
    percent = _percent_styles(wb)

    class Parser(WorkSheetParser):
        def parse_cell(self, element: Any) -> dict[str, Any]:
            cell = super().parse_cell(element)
            value = cell["value"]
            if value is None and element.find(FORMULA_TAG) is not None:
                cell["value"] = NoCachedValue("=" + (element.findtext(FORMULA_TAG) or ""))
            elif cell["style_id"] in percent and type(value) in (int, float):
                cell["value"] = Percent(value)
            return cell

    header_done = False
    count = 0
    beyond = False
    # the read-only sheet's own source and shared strings (openpyxl's private reader API),
    # parsed by the Parser above
    with ws._get_source() as src:
        parser = Parser(src, ws._shared_strings, data_only=True,
                        epoch=wb.epoch, date_formats=wb._date_formats,
                        timedelta_formats=wb._timedelta_formats)
        for number, cells in parser.parse():
            filled = [(c["column"], c["value"]) for c in cells if c["value"] is not None]
            if not header_done:
                header_done = True
                if number != 1:
                    yield 1, []
            elif not filled:
                continue
            count += 1
            if count > MAX_ROWS:
                raise InputError.single(where, f"the sheet has more than {MAX_ROWS:,} rows "
                                        "with data, the most a table may have")
            far = [(c, v) for c, v in filled if c > MAX_COLUMNS]
            if far and not beyond:
                beyond = True
                problems.append(Problem(where, f"a value in column {get_column_letter(far[0][0])}"
                                        f", beyond the {MAX_COLUMNS:,} columns a table may "
                                        "have: move or delete it", row=number,
                                        value=cell_text(far[0][1])))
            width = max((c for c, _ in filled if c <= MAX_COLUMNS), default=0)
            values: list[object] = [None] * width
            for column, value in filled:
                if column <= width:
                    values[column - 1] = value
            yield number, values
    if not header_done:
        yield 1, []


def _read_workbook(path: Path, max_bytes: int) -> RawData:
    problems: list[Problem] = []
    tables: dict[str, RawTable] = {}
    found: dict[str, str] = {}
    ignored: list[str] = []
    hidden: list[str] = []
    notes: list[str] = []
    wb = _open_workbook(path, max_bytes)
    try:
        for ws in wb.worksheets:
            table = ws.title.strip().lower()
            if getattr(ws, "sheet_state", "visible") != "visible":
                hidden.append(ws.title)
                ignored.append(ws.title)
                if table in TABLES:
                    notes.append(f"{path.name} › {ws.title}: the sheet is hidden, so it is not "
                                 "read: unhide it (Format > Hide & Unhide) to use it")
                continue
            if table not in TABLES:
                ignored.append(ws.title)
                continue
            where = f"{path.name} › {table}"
            if not _claim(found, table, ws.title, path.name, problems):
                continue
            reported: set[tuple[int, str]] = set()
            try:
                frame = _frame(_sheet_rows(ws, where, problems), where, problems, reported)
            except InputError:
                raise
            except Exception as e:  # noqa: BLE001 - a damaged sheet, reported as such
                raise InputError.single(where, "the sheet cannot be read (the workbook may be "
                                        f"damaged): {type(e).__name__}") from None
            tables[table] = RawTable(table, where, frame, frozenset(reported))
    finally:
        wb.close()
    return RawData(str(path), path.name, True, tables, tuple(ignored), tuple(problems),
                   tuple(notes), tuple(hidden))


__all__ = ["DEFAULT_MAX_BYTES", "MAX_COLUMNS", "MAX_ROWS", "RawData", "RawTable", "cell_text",
           "read_tables"]
