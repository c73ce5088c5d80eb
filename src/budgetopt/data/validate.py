"""Check a data set once, at the boundary, and turn it into trusted :class:`Inputs`.

:func:`validate` takes the text tables of :func:`budgetopt.data.read.read_tables`, parses every cell
against :mod:`budgetopt.data.schema`, runs every rule below, and either returns an :class:`Inputs`
or raises one :class:`InputError` listing *all* the problems found, each naming the file or
sheet, the spreadsheet row, the column, the bad value and what was expected.

The rules, one function each (in the spirit of PyPSA's ``consistency.py``):

=============================  ==========================================================
rule                           function
=============================  ==========================================================
required tables present        :func:`check_tables_present`
required columns present       :func:`_parse_table` (with a suggestion for a typo)
required tables not empty      :func:`check_required_tables_have_rows`
cell types, blanks, ranges,    :func:`parse_cell` (one parser per column kind, one bound
choices, yes/no words          helper for minimum and maximum)
keys unique                    :func:`check_unique_keys`
references known               :func:`check_references`
HWB references known           :func:`check_hwb_references`
row-wise order (min <= max,    :func:`check_ordered_columns`
low <= central <= high)
bands numbered 1..n            :func:`check_bands_numbered`
curves concave                 :func:`check_concave`
every service has a curve      :func:`check_services_have_curves` (warning)
a row for every year           :func:`check_every_year` (funding sources, workforce groups)
near-miss table names          :func:`check_ignored_tables` (warning)
=============================  ==========================================================

A cell that fails its own check becomes :data:`INVALID`; later rules skip it, so one bad cell
is reported once, not again by every rule that reads it.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import operator
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from json.encoder import encode_basestring
from typing import Any, Literal

import numpy as np
import pandas as pd

from budgetopt.data.evidence import with_derived_curves
from budgetopt.data.inputs import Inputs
from budgetopt.data.read import RawData, RawTable, cell_text
from budgetopt.data.schema import FALSE_WORDS, TABLES, TRUE_WORDS, Column, Table
from budgetopt.errors import InputError, Problem

Nonconcave = Literal["reject", "milp"]
Record = dict[str, Any]
"""One parsed row: column -> typed value, ``None`` (blank, no default) or :data:`INVALID`."""


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


class _Invalid:
    """Marks a cell that failed its own check (already reported)."""

    def __repr__(self) -> str:
        return "INVALID"


INVALID = _Invalid()


# -- working state -------------------------------------------------------------------------


@dataclass
class ParsedTable:
    """A table whose cells are typed values, ``None`` (blank, no default) or :data:`INVALID`.

    Held column by column, so the rules can check a whole column at once: ``values`` has one
    array per schema column (float64 for numbers, blank = NaN; object otherwise) and
    ``invalid`` marks the cells that failed their own check (their value is meaningless).

    Attributes
    ----------
    spec : Table
        Its schema.
    where : str
        File or sheet label for messages.
    numbers : numpy.ndarray
        The spreadsheet row of each row (int64).
    values : dict of str to numpy.ndarray
        Every schema column (absent optional columns hold their default).
    invalid : dict of str to numpy.ndarray
        Boolean per column: the cell failed its own check (or its required column is absent).
    """

    spec: Table
    where: str
    numbers: np.ndarray
    values: dict[str, np.ndarray]
    invalid: dict[str, np.ndarray]
    cache: dict[str, object] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.numbers)

    def valid(self, *columns: str) -> np.ndarray:
        """Boolean mask of the rows whose `columns` all passed their cell checks."""
        ok = np.ones(len(self), dtype=bool)
        for c in columns:
            ok &= ~self.invalid[c]
        return ok

    def column(self, name: str) -> list[object]:
        """One column as Python values: blank number cells are ``None``, failed cells
        :data:`INVALID`."""
        values = self.values[name]
        out: list[object] = values.tolist()
        if values.dtype.kind == "f":
            for i in np.flatnonzero(np.isnan(values)).tolist():
                out[i] = None  # NaN = blank
        for i in np.flatnonzero(self.invalid[name]).tolist():
            out[i] = INVALID
        return out

    @property
    def records(self) -> list[tuple[int, Record]]:
        """``(spreadsheet row, {column: value})`` for every row (a row at a time: for rules
        that are clearer so; the built-in ones work on whole columns)."""
        names = list(self.values)
        columns = [self.column(c) for c in names]
        return [(row, dict(zip(names, cells, strict=True)))
                for row, *cells in zip(self.numbers.tolist(), *columns, strict=True)]

    def rows(self, *columns: str) -> Iterator[tuple[int, tuple[object, ...]]]:
        """``(row, values)`` of the rows whose `columns` all passed their cell checks."""
        keep = self.valid(*columns)
        cols = [[v for v, k in zip(self.column(c), keep, strict=True) if k] for c in columns]
        numbers = self.numbers[keep].tolist()
        yield from zip(numbers, zip(*cols, strict=True), strict=True) if cols else (
            (n, ()) for n in numbers)

    def distinct(self, column: str) -> set[object]:
        """The valid values of `column`."""
        return set(self.first_rows(column))

    def first_rows(self, column: str) -> dict[object, int]:
        """Each valid value of `column` with the first row it appears in."""
        keep = self.valid(column)
        values = self.values[column]
        if values.dtype.kind == "f":
            first: dict[object, int] = {}
            kept = [v for v, k in zip(self.column(column), keep, strict=True) if k]
            for value, row in zip(kept, self.numbers[keep].tolist(), strict=True):
                first.setdefault(value, row)
            return first
        codes, uniques = pd.factorize(values[keep], use_na_sentinel=False)
        _, at = np.unique(codes, return_index=True)
        found = [None if _blank(u) else u for u in uniques.tolist()]  # a blank comes back NaN
        return dict(zip(found, self.numbers[keep][at].tolist(), strict=True))


@dataclass
class Report:
    """Problems and warnings collected by the rules."""

    nonconcave: Nonconcave = "reject"
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def problem(self, where: str, message: str, row: int | None = None,
                column: str | None = None, value: object = None) -> None:
        self.problems.append(Problem(where, message, row=row, column=column, value=value))

    def warn(self, where: str, message: str, row: int | None = None,
             column: str | None = None, value: object = None) -> None:
        self.warnings.append(str(Problem(where, message, row=row, column=column, value=value)))


Tables = dict[str, ParsedTable]
Rule = Callable[[Tables, Report], None]


# -- small helpers -------------------------------------------------------------------------


def _invisible(text: str) -> list[str]:
    """Characters of `text` a person cannot see (zero-width spaces, soft hyphens, odd
    spaces)."""
    import unicodedata

    return [c for c in text if unicodedata.category(c) in ("Cf", "Zl", "Zp")
            or (unicodedata.category(c) == "Zs" and c != " ")]


def visible(text: str) -> str:
    """`text` with its invisible characters written as ``\\u200b`` so a message shows them."""
    hidden = set(_invisible(text))
    return "".join(f"\\u{ord(c):04x}" if c in hidden else c for c in text)


def suggestion(name: str, candidates: Iterable[object], cutoff: float = 0.6) -> str:
    """``" (did you mean 'x'?)"`` for the closest candidate, or ``""``.

    A difference a person cannot see (a zero-width space, a non-breaking space) is written
    out and named.
    """
    close = difflib.get_close_matches(name, [str(c) for c in candidates], n=1, cutoff=cutoff)
    if not close:
        return ""
    hidden = _invisible(close[0]) or _invisible(name)
    if not hidden:
        return f" (did you mean '{close[0]}'?)"
    import unicodedata

    whose = "that id" if _invisible(close[0]) else "this cell"
    return (f" (did you mean '{visible(close[0])}'? {whose} holds an invisible character, "
            f"U+{ord(hidden[0]):04X} {unicodedata.name(hidden[0], '')})")


def fmt(value: object) -> str:
    """A value as a person would type it: 12 not 12.0."""
    return cell_text(value) or ""


def year_order(label: str) -> tuple[tuple[int, ...], str]:
    """Sort key putting year labels in planning order: by the numbers inside the label.

    ``"2026/27" < "2027/28"``, ``"2026" < "2027"``, ``"FY9" < "FY10"``.
    """
    return tuple(int(n) for n in re.findall(r"\d+", label)), label


def _curve_name(service: object, metric: object, year: object) -> str:
    text = f"service '{service}' for metric '{metric}'"
    return text + (f" in year {year}" if year is not None else "")


# -- cells ---------------------------------------------------------------------------------


class CellError(ValueError):
    """A cell that does not fit its column; the message says what was expected."""


_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")


def expected(col: Column) -> str:
    """What a cell of `col` should hold, in words."""
    if col.kind == "number":
        unit = {"£m": " in £m", "£": " in £", "%": " (percent)"}.get(col.unit, "")
        return f"a number{unit}, such as 12.5"
    if col.kind == "integer":
        return "a whole number such as 1, 2 or 3"
    if col.kind == "bool":
        return "yes or no (true/false and 1/0 also work)"
    if col.kind == "choice":
        return "one of: " + ", ".join(col.choices)
    if col.kind == "year":
        return "a year label such as 2026 or 2026/27"
    if col.kind == "id":
        return "an identifier such as REABLE"
    return "some text"


def _not_plain_digits(text: str, col: Column) -> CellError | None:
    """A number Python would read but a person did not type as one: full-width (１２) or
    Arabic-Indic (١٢) digits, or digits grouped with underscores (1_000)."""
    if text.isascii() and "_" not in text:
        return None
    odd = next((c for c in text if not c.isascii() or c == "_"), "_")
    import unicodedata

    name = unicodedata.name(odd, "") if odd != "_" else "underscore"
    return CellError(f"expected {expected(col)}, typed with the digits 0-9 (it holds "
                     f"U+{ord(odd):04X} {name})")


def _number(text: str, col: Column) -> float:
    if (odd := _not_plain_digits(text, col)) is not None:
        raise odd
    percent = text.endswith("%")
    plain = text[:-1].strip() if percent else text
    plain = plain.replace(",", "") if _THOUSANDS.fullmatch(plain) else plain
    try:
        value = float(plain)
    except ValueError:
        raise CellError(f"expected {expected(col)}") from None
    if percent and math.isfinite(value):
        # "60%" (typed, or a workbook cell formatted as a percentage) in a percent column is
        # 60; anywhere else it is the share it shows (0.6)
        value = value if col.unit == "%" else value / 100
    if not math.isfinite(value):
        hint = "; leave the cell blank for no cap" if col.default == math.inf else ""
        raise CellError(f"expected a finite number, not {text}{hint}")
    return value


def _integer(text: str, col: Column) -> int:
    if (odd := _not_plain_digits(text, col)) is not None:
        raise odd
    try:
        value = float(text)
    except ValueError:
        raise CellError(f"expected {expected(col)}") from None
    if not (math.isfinite(value) and value.is_integer()):
        raise CellError(f"expected {expected(col)}")
    return int(value)


def _bool(text: str, col: Column) -> bool:
    word = text.casefold()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise CellError(f"expected {expected(col)}")


def choice_key(text: str) -> str:
    """Spelling-insensitive form of a choice: case, spaces, hyphens and underscores ignored."""
    return re.sub(r"[\s_-]+", "_", text.strip().casefold())


def _choice(text: str, col: Column) -> str:
    canonical = {choice_key(c): c for c in col.choices}
    if choice_key(text) in canonical:
        return canonical[choice_key(text)]
    close = difflib.get_close_matches(choice_key(text), list(canonical), n=1, cutoff=0.6)
    hint = f"; did you mean '{canonical[close[0]]}'?" if close else ""
    raise CellError(f"expected {expected(col)}{hint}")


def _year(text: str, col: Column) -> str:
    """Year labels: a whole number written as a float (2026.0) reads as 2026."""
    if re.fullmatch(r"\d+\.0*", text):
        return text.split(".")[0]
    return text


def _text(text: str, col: Column) -> str:
    return text


PARSERS: dict[str, Callable[[str, Column], object]] = {
    "number": _number, "integer": _integer, "bool": _bool, "choice": _choice, "year": _year,
    "id": _text, "text": _text,
}

_BOUNDS = (("minimum", operator.lt, "at least"), ("maximum", operator.gt, "at most"),
           ("above", operator.le, "more than"))


def check_bounds(value: float, col: Column) -> None:
    """Raise :class:`CellError` when `value` is outside the column's minimum or maximum."""
    for attr, outside, words in _BOUNDS:
        limit = getattr(col, attr)
        if limit is not None and outside(value, limit):
            why = "; money cannot be negative" if col.unit == "£m" and limit == 0 else ""
            unit = f" {col.unit}" if col.unit and col.unit != "%" else ""
            raise CellError(f"must be {words} {fmt(limit)}{unit}{why}")


def parse_cell(text: str | None, col: Column) -> object:
    """One cell's text -> its typed value (the default when blank and blanks are allowed).

    Raises
    ------
    CellError
        The cell is blank where a value is needed, or does not fit the column.
    """
    if text is None:
        if col.blank_ok:
            return col.default
        raise CellError(f"is blank; expected {expected(col)}")
    value = PARSERS[col.kind](text, col)
    if isinstance(value, int | float) and not isinstance(value, bool):
        check_bounds(value, col)
    return value


# -- tables and columns --------------------------------------------------------------------


def _ignored_by_stem(raw: RawData) -> dict[str, str]:
    """Ignored files and sheets by their would-be table name: ``"metric" -> "Metric.csv"``."""
    return {(name.rsplit(".", 1)[0] if not raw.workbook else name).strip().lower(): name
            for name in raw.ignored}


def _near_miss(table: str, ignored: dict[str, str], cutoff: float) -> str | None:
    close = difflib.get_close_matches(table, list(ignored), n=1, cutoff=cutoff)
    return ignored[close[0]] if close else None


def check_tables_present(raw: RawData, report: Report) -> None:
    """Every required table is in the data set (naming a file or sheet that looks like it)."""
    ignored = _ignored_by_stem(raw)
    for table in TABLES.values():
        if table.name == "curves" and "evidence" in raw.tables:
            continue  # every curve may be derived from evidence
        if table.required and table.name not in raw.tables:
            add = (f"add a sheet named '{table.name}'" if raw.workbook
                   else f"add {table.name}.csv to the folder")
            near = _near_miss(table.name, ignored, cutoff=0.6)
            hint = f" (is '{near}' meant to be it? Rename it)" if near else ""
            if near in raw.hidden:
                hint = f" (the sheet '{near}' is hidden: unhide it to use it)"
            report.problem(raw.label, f"the required table '{table.name}' is missing: {add}"
                           f"{hint}")


def check_ignored_tables(raw: RawData, report: Report) -> None:
    """Warn about a file or sheet whose name is close to an absent optional table's."""
    ignored = _ignored_by_stem(raw)
    for table in TABLES.values():
        near = _near_miss(table.name, ignored, cutoff=0.8)
        if near and near not in raw.hidden and not table.required \
                and table.name not in raw.tables:
            report.warn(raw.label, f"'{near}' is not a table budgetopt reads, so it is "
                        f"ignored (did you mean '{table.name}'?)")


_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
"""A number as a plain decimal (the common case, read without the per-cell parser)."""


def _blank_column(col: Column, n: int) -> np.ndarray:
    """`n` cells of `col`'s default (an optional column that is absent)."""
    if col.kind == "number":
        return np.full(n, np.nan if col.default is None else col.default, dtype=float)
    out = np.empty(n, dtype=object)
    out[:] = [col.default] * n
    return out


def _parse_uniques(uniques: list[str | None], col: Column
                   ) -> tuple[list[object], list[str | None]]:
    """Each distinct text of a column (None: blank) -> (value, error message or None);
    :func:`parse_cell` decides everything but the plain decimals of a number column, read
    here in one pass."""
    values: list[object] = [None] * len(uniques)
    errors: list[str | None] = [None] * len(uniques)
    slow: Sequence[int] = range(len(uniques))
    if col.kind == "number":
        plain = [(i, u) for i, u in enumerate(uniques)
                 if u is not None and _PLAIN_NUMBER.fullmatch(u)]
        fast = [i for i, _ in plain]
        numbers = np.array([float(u) for _, u in plain], dtype=np.float64)
        ok = np.isfinite(numbers)
        for attr, outside, _ in _BOUNDS:  # the same bounds as check_bounds
            limit = getattr(col, attr)
            if limit is not None:
                ok &= ~outside(numbers, limit)
        for i, value, good in zip(fast, numbers.tolist(), ok.tolist(), strict=True):
            if good:
                values[i] = value
        done = {i for i, good in zip(fast, ok.tolist(), strict=True) if good}
        slow = [i for i in range(len(uniques)) if i not in done]
    for i in slow:
        try:
            values[i] = parse_cell(uniques[i], col)
        except CellError as e:
            errors[i] = str(e)
    return values, errors


def _parse_column(texts: np.ndarray, col: Column
                  ) -> tuple[np.ndarray, np.ndarray, list[tuple[int, str]]]:
    """A column's texts -> (typed values, failed-cell mask, [(position, message)]).

    Each distinct text is parsed once (a column of 100,000 cells holds far fewer texts).
    """
    codes, found = pd.factorize(texts, use_na_sentinel=True)
    uniques = [*found.tolist(), None]  # the last one stands for a blank cell
    codes = np.where(codes < 0, len(uniques) - 1, codes)
    values, errors = _parse_uniques(uniques, col)
    failed = np.array([e is not None for e in errors], dtype=bool)
    if col.kind == "number":
        table = np.array([np.nan if v is None or failed[i] else v
                          for i, v in enumerate(values)], dtype=float)
    else:
        table = np.empty(len(values), dtype=object)
        table[:] = values
    bad = failed[codes]
    messages = [(int(i), errors[codes[i]] or "") for i in np.flatnonzero(bad).tolist()]
    return table[codes], bad, messages


def _parse_table(raw: RawTable, report: Report) -> ParsedTable:
    """Check the columns of one table and parse every cell."""
    spec = TABLES[raw.name]
    present = list(raw.frame.columns)
    extra = [c for c in present if c not in spec.column_names]
    for col in spec.columns:
        if col.name in present:
            continue
        hint = suggestion(col.name, extra)
        if col.required:
            report.problem(raw.where, f"the required column '{col.name}' is missing{hint}",
                           row=1, column=col.name)
        elif hint:
            report.warn(raw.where, f"the optional column '{col.name}' is absent, so its "
                        f"default is used{hint}", row=1)
    n = len(raw.frame)
    numbers = np.asarray(raw.frame.index, dtype=np.int64)
    values: dict[str, np.ndarray] = {}
    invalid: dict[str, np.ndarray] = {}
    found: list[tuple[int, int, Problem]] = []
    for k, col in enumerate(spec.columns):
        if col.name not in present:
            values[col.name] = _blank_column(col, n)
            invalid[col.name] = np.full(n, col.required, dtype=bool)
            continue
        texts = raw.frame[col.name].to_numpy(dtype=object)
        values[col.name], invalid[col.name], messages = _parse_column(texts, col)
        seen = {row for row, column in raw.reported if column == col.name}
        if seen:  # already reported by the reader: failed, without a second message
            invalid[col.name] |= np.isin(numbers, list(seen))
        found += [(i, k, Problem(raw.where, message, row=int(numbers[i]), column=col.name,
                                 value=texts[i])) for i, message in messages
                  if int(numbers[i]) not in seen]
    report.problems.extend(p for _, _, p in sorted(found, key=lambda f: (f[0], f[1])))
    return ParsedTable(spec, raw.where, numbers, values, invalid)


# -- rules across rows and tables ----------------------------------------------------------


def check_required_tables_have_rows(tables: Tables, report: Report) -> None:
    """A required table that is present has at least one row."""
    evidence = tables.get("evidence")
    for t in tables.values():
        if t.spec.name == "curves" and evidence is not None and len(evidence):
            continue  # every curve may be derived from evidence
        if t.spec.required and not len(t):
            report.problem(t.where, f"the table has no rows: the {t.spec.name} table needs at "
                           "least one")


def _group_codes(t: ParsedTable, columns: tuple[str, ...], mask: np.ndarray) -> np.ndarray:
    """A code per masked row for its combination of `columns` (0, 1, … in order of first
    appearance; blank cells are a value like any other)."""
    codes = np.zeros(int(mask.sum()), dtype=np.int64)
    for c in columns:
        part, uniques = pd.factorize(t.values[c][mask], use_na_sentinel=False)
        codes, _ = pd.factorize(codes * len(uniques) + part, use_na_sentinel=False)
    return codes.astype(np.int64)


def check_unique_keys(tables: Tables, report: Report) -> None:
    """Each table's key (e.g. service_id; service_id, metric_id, year, band) appears once."""
    for t in tables.values():
        key = t.spec.key
        if not key or not len(t):
            continue
        mask = t.valid(*key)
        codes = _group_codes(t, key, mask)
        _, first = np.unique(codes, return_index=True)
        repeat = np.ones(len(codes), dtype=bool)
        repeat[first] = False
        if not repeat.any():
            continue
        rows = t.numbers[mask]
        keys = [t.values[k][mask] for k in key]
        for i in np.flatnonzero(repeat).tolist():
            values = [k[i] for k in keys]
            shown = [(k, v) for k, v in zip(key, values, strict=True) if v is not None]
            report.problem(t.where, f"duplicate {', '.join(k for k, _ in shown)}: the same "
                           f"as row {rows[first[codes[i]]]}; each must appear only once",
                           row=int(rows[i]), column=shown[-1][0],
                           value=" / ".join(str(v) for _, v in shown))


@dataclass(frozen=True)
class Reference:
    """``table.column`` must be one of ``target.target_column``."""

    table: str
    column: str
    target: str
    target_column: str


REFERENCES: tuple[Reference, ...] = (
    Reference("curves", "service_id", "services", "service_id"),
    Reference("curves", "metric_id", "metrics", "metric_id"),
    Reference("curves", "year", "funding", "year"),
    Reference("eligibility", "source_id", "funding", "source_id"),
    Reference("eligibility", "service_id", "services", "service_id"),
    Reference("workforce", "year", "funding", "year"),
    Reference("workforce_need", "group_id", "workforce", "group_id"),
    Reference("workforce_need", "service_id", "services", "service_id"),
    Reference("baseline", "service_id", "services", "service_id"),
    Reference("baseline", "place_id", "places", "place_id"),
    Reference("baseline", "year", "funding", "year"),
    Reference("evidence", "service_id", "services", "service_id"),
    Reference("evidence", "metric_id", "metrics", "metric_id"),
    Reference("demand", "year", "funding", "year"),
    Reference("capacity", "service_id", "services", "service_id"),
)


def _isin(values: np.ndarray, known: set[object]) -> np.ndarray:
    return pd.Series(values, dtype=object).isin(known).to_numpy(dtype=bool)


MAX_HINTS = 50
"""Distinct unknown ids of one reference that get a "did you mean" (each costs a pass over
the known ids; thousands of unknown ids are a wrong file, not typos)."""


def check_references(tables: Tables, report: Report) -> None:
    """Every id or year that refers to another table is defined there.

    A reference into a required table that is missing is not reported again; one into an
    optional table that is absent is (the table is needed).
    """
    for ref in REFERENCES:
        if ref.table not in tables:
            continue
        target = tables.get(ref.target)
        if target is None and TABLES[ref.target].required:
            continue
        if target is not None and target.spec.required \
                and not target.valid(ref.target_column).any():
            continue  # an empty table, or its ids all failed: reported once, not per row
        known = target.distinct(ref.target_column) if target else set()
        target_where = target.where if target else f"{ref.target} table"
        source = tables[ref.table]
        values = source.values[ref.column]
        unknown = source.valid(ref.column) & ~pd.isna(values) & ~_isin(values, known)
        if not unknown.any():
            continue
        listed = ", ".join(sorted(map(str, known), key=year_order)) \
            if ref.target_column == "year" else ""
        hints: dict[object, str] = {}
        for i in np.flatnonzero(unknown).tolist():
            value = values[i]
            if target is None:
                why = f"there is no {ref.target} table: add it, or remove this row"
            else:
                if value not in hints:  # "did you mean" for the first few distinct ids only
                    hints[value] = (f" (years: {listed})" if listed else
                                    suggestion(str(value), known) if len(hints) < MAX_HINTS
                                    else "")
                why = f"not a {ref.target_column} in {target_where}" + hints[value]
            report.problem(source.where, f"unknown {ref.target_column}: {why}",
                           row=int(source.numbers[i]), column=ref.column, value=value)


def check_hwb_references(tables: Tables, report: Report) -> None:
    """Health and Wellbeing Boards (MODEL.md, "Health and Wellbeing Board pools"): every
    ``funding.hwb_id`` and ``demand.hwb_id`` is the HWB of some place (a places table with an hwb_id column is
    needed for any). Warnings: a place without an HWB among places that have one (only
    ICS-wide money can pay for it), an HWB missing from the ``hwbs`` table when there is one
    (it takes the defaults), and an ``hwbs`` row that no place names."""
    funding, places, hwbs = (tables.get(n) for n in ("funding", "places", "hwbs"))
    known = {h: r for h, r in places.first_rows("hwb_id").items() if h is not None} \
        if places else {}
    for referring in (t for t in (funding, tables.get("demand")) if t is not None):
        for row, (hwb,) in referring.rows("hwb_id"):
            if hwb is None or hwb in known:
                continue
            if places is None:
                why = ("there is no places table, so no place belongs to an HWB: add a places "
                       "table with an hwb_id column, or leave hwb_id blank for ICS-wide money")
            elif not known:
                why = (f"no place in {places.where} has an hwb_id: give each place its HWB "
                       "in an hwb_id column, or leave this hwb_id blank for ICS-wide money")
            else:
                why = (f"no place in {places.where} belongs to it (HWBs: "
                       f"{', '.join(map(str, known))}){suggestion(str(hwb), known)}")
            report.problem(referring.where, f"unknown hwb_id: {why}", row=row,
                           column="hwb_id", value=hwb)
    if places is None or not known:
        return
    for row, (pid, hwb) in places.rows("place_id", "hwb_id"):
        if hwb is None:
            report.warn(places.where, f"place '{pid}' has no hwb_id while other places have "
                        "one: only ICS-wide money (funding rows with a blank hwb_id) can pay "
                        "for its spend", row=row, column="hwb_id")
    if hwbs is None:
        return
    listed = hwbs.first_rows("hwb_id")
    for hwb, row in known.items():
        if hwb not in listed:
            report.warn(places.where, f"HWB '{hwb}' has no row in {hwbs.where}"
                        f"{suggestion(str(hwb), listed)}, so it takes the defaults (not "
                        "two-tier, no ASC minimum stated)", row=row, column="hwb_id",
                        value=hwb)
    for hwb, row in listed.items():
        if hwb not in known:
            report.warn(hwbs.where, f"HWB '{hwb}' has no place (no row of {places.where} "
                        "names it in hwb_id), so it is not used", row=row, column="hwb_id",
                        value=hwb)


@dataclass(frozen=True)
class Order:
    """Within a row, ``lower <= upper`` (blank cells skipped)."""

    table: str
    lower: str
    upper: str
    why: str
    blame: str  # the column the message points at
    error: bool = True  # False: a warning


ORDERS: tuple[Order, ...] = (
    Order("services", "min_m", "max_m", "the minimum spend cannot exceed the maximum",
          "min_m"),
    Order("services", "baseline_m", "max_m", "current spend is above the cap, so the cap "
          "forces a cut in year one", "baseline_m", error=False),
    Order("curves", "per_m_low", "per_m", "the low estimate must not exceed the central one",
          "per_m_low"),
    Order("curves", "per_m", "per_m_high", "the high estimate must not be below the central "
          "one", "per_m_high"),
    Order("evidence", "effect_low", "effect", "the low estimate of the effect must not exceed "
          "the central one", "effect_low"),
    Order("evidence", "effect", "effect_high", "the high estimate of the effect must not be "
          "below the central one", "effect_high"),
)


def _row_label(spec: Table, values: tuple[object, ...]) -> str:
    """A row named by its key, e.g. ``service_id 'VWARD', metric_id 'ADM', band 2``."""
    return ", ".join(f"{k} {v!r}" if isinstance(v, str) else f"{k} {v}"
                     for k, v in zip(spec.key, values, strict=True) if v is not None)


def check_ordered_columns(tables: Tables, report: Report) -> None:
    """Row-wise orderings: min_m <= max_m, per_m_low <= per_m <= per_m_high (errors) and
    baseline_m <= max_m (a warning)."""
    for order in ORDERS:
        t = tables.get(order.table)
        if t is None:
            continue
        key = t.spec.key
        lo_all = pd.Series(t.column(order.lower), dtype=object)
        hi_all = pd.Series(t.column(order.upper), dtype=object)
        lo_v, hi_v = t.values[order.lower], t.values[order.upper]
        if lo_v.dtype.kind == "f" and hi_v.dtype.kind == "f":
            above = lo_v > hi_v  # a blank (NaN) is never above
        else:
            above = np.array([lo is not None and hi is not None and not lo <= hi
                              for lo, hi in zip(lo_all, hi_all, strict=True)], dtype=bool)
        bad = t.valid(*key, order.lower, order.upper) & above
        for i in np.flatnonzero(bad).tolist():
            lo, hi = lo_all[i], hi_all[i]
            say = report.problem if order.error else report.warn
            say(t.where, f"{order.lower} {fmt(lo)} is above {order.upper} {fmt(hi)} for "
                f"{_row_label(t.spec, tuple(t.values[k][i] for k in key))}: {order.why}",
                row=int(t.numbers[i]), column=order.blame,
                value=fmt(lo if order.blame == order.lower else hi))


@dataclass(frozen=True)
class CurveGroups:
    """The curve rows by (service, metric, year) and, in each, sorted by band.

    Attributes
    ----------
    keys : list of tuple
        (service_id, metric_id, year) of each group, in order of first appearance.
    pos : numpy.ndarray
        Positions in the curves table of the rows whose band passed its check and whose
        service and metric are known, sorted by group, then band (stable).
    group : numpy.ndarray
        The group of each entry of `pos`.
    tainted : numpy.ndarray
        Per group: already known to be wrong (a band that is not a number, an unknown service
        or metric), where a missing band would only repeat a reported problem.
    """

    curves: ParsedTable
    keys: list[tuple[object, ...]]
    pos: np.ndarray
    group: np.ndarray
    tainted: np.ndarray

    def band(self) -> np.ndarray:
        return np.array(self.curves.values["band"][self.pos].tolist(), dtype=float)


_GROUP = ("service_id", "metric_id", "year")


def _curve_groups(tables: Tables) -> CurveGroups | None:
    """The valid curve rows by (service, metric, year), sorted by band (:class:`CurveGroups`)."""
    curves = tables.get("curves")
    if curves is None:
        return None
    cached = curves.cache.get("groups")
    if isinstance(cached, CurveGroups):
        return cached
    keyed = curves.valid(*_GROUP)
    codes = np.full(len(curves), -1, dtype=np.int64)
    codes[keyed] = _group_codes(curves, _GROUP, keyed)
    n = int(codes.max()) + 1 if len(codes) else 0
    _, first = np.unique(codes[keyed], return_index=True)
    at = np.flatnonzero(keyed)[first]
    keys = [tuple(curves.values[c][i] for c in _GROUP) for i in at.tolist()]
    unknown = np.zeros(len(curves), dtype=bool)
    for name, col in (("services", "service_id"), ("metrics", "metric_id")):
        if name in tables:
            unknown |= ~_isin(curves.values[col], tables[name].distinct(col))
    wrong = keyed & (curves.invalid["band"] | unknown)
    tainted = np.zeros(n, dtype=bool)
    tainted[codes[wrong]] = True
    member = np.flatnonzero(keyed & ~wrong)
    bands = np.array(curves.values["band"][member].tolist(), dtype=float)
    order = np.lexsort((bands, codes[member]))
    groups = CurveGroups(curves, keys, member[order], codes[member][order], tainted)
    curves.cache["groups"] = groups
    return groups


def _group_starts(group: np.ndarray) -> np.ndarray:
    """Index of the first entry of each entry's group (`group` sorted)."""
    start = np.r_[True, group[1:] != group[:-1]] if len(group) else np.zeros(0, dtype=bool)
    return np.maximum.accumulate(np.where(start, np.arange(len(group)), 0))


def check_bands_numbered(tables: Tables, report: Report) -> None:
    """Each curve's bands are numbered 1, 2, …, n without gaps.

    Checked on the distinct bands of each curve in order (never by counting up to the
    largest band number): the k-th distinct band must be k.
    """
    groups = _curve_groups(tables)
    if groups is None or not len(groups.pos):
        return
    band, group = groups.band(), groups.group
    new = np.r_[True, (group[1:] != group[:-1]) | (band[1:] != band[:-1])]
    d_band, d_group = band[new], group[new]
    rank = np.arange(len(d_group)) - _group_starts(d_group) + 1
    gapped = np.unique(d_group[(d_band != rank) & ~groups.tainted[d_group]])
    for g in gapped.tolist():
        bands = [int(b) for b in d_band[d_group == g].tolist()]
        gap = next(k for k, b in enumerate(bands, start=1) if b != k)
        entry = np.flatnonzero((group == g) & (band > gap))[0]
        i = groups.pos[entry]
        sid, mid, year = groups.keys[g]
        report.problem(tables["curves"].where,
                       f"the bands of {_curve_name(sid, mid, year)} are numbered "
                       f"{', '.join(map(str, bands))}: band {gap} is missing; number the bands "
                       "1, 2, 3, … without gaps", row=int(groups.curves.numbers[i]),
                       column="band", value=groups.curves.values["band"][i])


_CONCAVE_COLUMNS = ("per_m", "per_m_low", "per_m_high")


def _first_rises(groups: CurveGroups, column: str) -> dict[int, int]:
    """Per group, the entry (of ``groups.pos``) of the first band where `column` rises from
    the band before, if any.

    A blank low/high means "as central"; a pair where both are blank is the central check's.
    """
    t, pos = groups.curves, groups.pos
    raw, raw_bad = t.values[column][pos], t.invalid[column][pos]
    blank = np.isnan(raw) & ~raw_bad
    value = np.where(blank, t.values["per_m"][pos], raw)
    bad = np.where(blank, t.invalid["per_m"][pos], raw_bad)
    same = groups.group[1:] == groups.group[:-1]
    skip = bad[1:] | bad[:-1]
    if column != "per_m":
        skip |= blank[1:] & blank[:-1]
    rise = np.flatnonzero(same & ~skip & (value[1:] > value[:-1])) + 1
    g, first = np.unique(groups.group[rise], return_index=True)
    return dict(zip(g.tolist(), rise[first].tolist(), strict=True))


def check_concave(tables: Tables, report: Report) -> None:
    """per_m (and per_m_low, per_m_high) never rise from one band to the next.

    With ``nonconcave="milp"`` a rising curve is accepted (the model fills bands in order
    with binary variables) and noted as a warning instead.
    """
    groups = _curve_groups(tables)
    if groups is None or not len(groups.pos):
        return
    t = groups.curves
    rises = {column: _first_rises(groups, column) for column in _CONCAVE_COLUMNS}
    for g in sorted(set().union(*rises.values())):
        sid, mid, year = groups.keys[g]
        for column in _CONCAVE_COLUMNS:
            if g not in rises[column]:
                continue
            i1 = groups.pos[rises[column][g]]
            i0 = groups.pos[rises[column][g] - 1]
            va, vb = (float(t.values[column][i]) if not np.isnan(t.values[column][i])
                      else float(t.values["per_m"][i]) for i in (i0, i1))
            what = (f"the curve of {_curve_name(sid, mid, year)} is not concave: {column} "
                    f"rises from {fmt(va)} in band {t.values['band'][i0]} to {fmt(vb)} in band "
                    f"{t.values['band'][i1]}")
            row = int(t.numbers[i1])
            if report.nonconcave == "milp":
                report.warn(t.where, f"{what}; it is solved exactly as a "
                            "mixed-integer programme (nonconcave: milp)", row=row, column=column)
                break
            report.problem(t.where,
                           f"{what}. Each band must buy no more per £m than the band before: "
                           "correct the curve, or set `nonconcave: milp` in the policy model "
                           "to solve it exactly as a mixed-integer programme",
                           row=row, column=column, value=fmt(vb))


def check_services_have_curves(tables: Tables, report: Report) -> None:
    """Warn about a service with no curve rows (and no evidence): it buys no outcome."""
    services = tables.get("services")
    if services is None:
        return
    if not any(len(tables[name]) for name in ("curves", "evidence") if name in tables):
        return  # no curve rows at all: reported as such, not once per service
    with_curve = {sid for name in ("curves", "evidence") if name in tables
                  for sid in tables[name].first_rows("service_id")}
    for sid, row in services.first_rows("service_id").items():
        if sid not in with_curve:
            report.warn(services.where, f"service '{sid}' has no rows in curves, so it buys "
                        "nothing: the optimiser will give it no more than its minimum",
                        row=row, column="service_id", value=sid)


def horizon(tables: Tables) -> tuple[str, ...]:
    """The funding years in planning order (:func:`year_order`)."""
    funding = tables.get("funding")
    years = set(funding.first_rows("year")) if funding else set()
    return tuple(sorted((str(y) for y in years), key=year_order))


@dataclass(frozen=True)
class EveryYear:
    """Each ``id_column`` value of ``table`` needs a row for every funding year."""

    table: str
    id_column: str
    what: str
    amount: str


EVERY_YEAR: tuple[EveryYear, ...] = (
    EveryYear("funding", "source_id", "funding source", "amount_m 0"),
    EveryYear("workforce", "group_id", "workforce group", "its wte_available"),
)


def check_every_year(tables: Tables, report: Report) -> None:
    """Every funding source and every workforce group has a row for every year."""
    years = horizon(tables)
    for rule in EVERY_YEAR:
        t = tables.get(rule.table)
        if t is None:
            continue
        have: dict[object, set[object]] = {}
        for _, (ident, year) in t.rows(rule.id_column, "year"):
            have.setdefault(ident, set()).add(year)
        first = t.first_rows(rule.id_column)
        for ident, got in have.items():
            for year in (y for y in years if y not in got):
                report.problem(t.where, f"{rule.what} '{ident}' has no row for year {year}; "
                               f"every {rule.what} needs a row for each year of the horizon "
                               f"({', '.join(years)}): add one with {rule.amount}",
                               row=first[ident], column=rule.id_column, value=ident)


MONEY_WARN_M = 100_000.0
"""A £m amount above this (£100bn: about half of NHS England's budget) is most likely pounds
typed into a £m column."""


def check_money_magnitude(tables: Tables, report: Report) -> None:
    """Warn, once per column, about £m amounts too big to be £m (pounds typed as £m)."""
    for t in tables.values():
        for col in t.spec.columns:
            values = t.values[col.name]
            if col.unit != "£m" or values.dtype.kind != "f":
                continue
            big = np.flatnonzero(t.valid(col.name) & np.isfinite(values)
                                 & (values > MONEY_WARN_M))
            if not len(big):
                continue
            i = int(big[0])
            more = f" ({len(big):,} cells of this column are)" if len(big) > 1 else ""
            report.warn(t.where, f"£{fmt(float(values[i]))}m is over £{MONEY_WARN_M:,.0f}m"
                        f"{more}: is it in pounds? This column is in £m (12.5 for £12.5 "
                        "million)", row=int(t.numbers[i]), column=col.name)


RULES: tuple[Rule, ...] = (
    check_required_tables_have_rows,
    check_unique_keys,
    check_references,
    check_hwb_references,
    check_ordered_columns,
    check_bands_numbered,
    check_concave,
    check_services_have_curves,
    check_money_magnitude,
    check_every_year,
)


# -- the validated result ------------------------------------------------------------------


def _dtype(col: Column) -> object:
    if col.kind == "number":
        return "float64"
    if col.kind == "integer":
        return "int64"
    if col.kind == "bool":
        return "bool"
    return object if col.blank_ok and col.default is None else str  # None stays None


def _fill_curve_estimates(curves: ParsedTable) -> None:
    """Blank per_m_low / per_m_high take the central per_m."""
    for column in ("per_m_low", "per_m_high"):
        values = curves.values[column]
        curves.values[column] = np.where(np.isnan(values), curves.values["per_m"], values)


def to_frame(spec: Table, table: ParsedTable | None) -> pd.DataFrame:
    """Typed columns -> the documented frame: schema columns only, schema dtypes."""
    if table is None:
        return pd.DataFrame({col.name: pd.Series([], dtype=_dtype(col)) for col in spec.columns})
    frame = {}
    for col in spec.columns:
        values = table.values[col.name]
        frame[col.name] = pd.Series(values if values.dtype.kind == "f" else values.tolist(),
                                    dtype=_dtype(col))
    return pd.DataFrame(frame)


def _canonical(value: object) -> object:
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()  # numpy scalar -> Python
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float) and math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if isinstance(value, float):
        # A spreadsheet keeps 15 significant digits, a CSV file as many as written: the same
        # data set in both formats must hash the same.
        return float(f"{value:.12g}")
    return value


def _canonical_column(series: pd.Series) -> list[object]:
    """:func:`_canonical` of every cell of a column, a column at a time."""
    values = series.to_numpy()
    if values.dtype.kind == "f":
        finite = np.isfinite(values)
        codes, uniques = pd.factorize(values[finite])
        rounded = np.array([float(f"{v:.12g}") for v in uniques.tolist()], dtype=float)
        out: list[object] = rounded[codes].tolist()
        if finite.all():
            return out
        full: list[object] = [None] * len(values)
        for i, v in zip(np.flatnonzero(finite).tolist(), out, strict=True):
            full[i] = v
        for i in np.flatnonzero(np.isinf(values)).tolist():
            full[i] = "inf" if values[i] > 0 else "-inf"
        return full
    if values.dtype.kind in "biu":
        return values.tolist()
    cells = values.tolist()
    if all(type(v) is str or v is None for v in cells):
        return cells
    return [_canonical(v) for v in cells]


_encode_value = json.JSONEncoder(ensure_ascii=False).encode


def _key_text(column: list[object]) -> list[str]:
    """Each value as :func:`json.dumps` writes it (the sort key of the rows)."""
    return [encode_basestring(v) if type(v) is str else "null" if v is None else
            str(v) if type(v) is int else _encode_value(v) for v in column]


# Tables and columns added by the 2026-12 contract: left out of the hash when they carry
# nothing, so a data set without them hashes as it did before they existed.
ADDED_TABLES = frozenset({"hwbs", "evidence", "demand", "capacity"})
ADDED_COLUMNS = {"places": ("hwb_id",), "funding": ("hwb_id",), "metrics": ("weight_unit",)}


def data_hash(frames: dict[str, pd.DataFrame], years: tuple[str, ...]) -> str:
    """sha256 of the validated tables, independent of file format and row order.

    The text hashed is ``{"years": [...], table: {"columns": [...], "rows": [[...], ...]}}``
    as :func:`json.dumps` writes it (keys sorted, no spaces), every float at 12 significant
    digits, infinities as ``"inf"``, and each table's rows sorted by the JSON text of their
    key. Built a column at a time.
    """
    doc: dict[str, object] = {"years": list(years)}
    for name, frame in frames.items():
        if name in ADDED_TABLES and frame.empty:
            continue
        empty_added = [c for c in ADDED_COLUMNS.get(name, ()) if c in frame.columns
                       and frame[c].isna().all()]
        frame = frame.drop(columns=empty_added)
        columns = [_canonical_column(frame[c]) for c in frame.columns]
        rows = list(zip(*columns, strict=True)) if columns else []
        names = list(frame.columns)
        keys = [_key_text(columns[names.index(k)]) for k in TABLES[name].key]
        if keys and len(rows) > 1:
            key_text = ["[" + ", ".join(parts) + "]" for parts in zip(*keys, strict=True)]
            order = sorted(range(len(rows)), key=key_text.__getitem__)
            rows = [rows[i] for i in order]
        doc[name] = {"columns": names, "rows": rows}
    text = json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _warn_evidence_not_used(evidence: ParsedTable, frame: pd.DataFrame, report: Report) -> None:
    """A service-metric with both curves rows and evidence: the curve is used as given."""
    given = set(zip(frame.loc[~frame["derived"], "service_id"],
                    frame.loc[~frame["derived"], "metric_id"]))
    for row, (sid, mid) in evidence.rows("service_id", "metric_id"):
        if (sid, mid) in given:
            report.warn(evidence.where, f"service '{sid}' has curves rows for metric '{mid}', "
                        "so that curve is used as given and this evidence is shown as its "
                        "source only", row=row, column="service_id", value=sid)


def _sorted_problems(raw: RawData, problems: list[Problem]) -> list[Problem]:
    """Problems file by file (in schema order), then by row: the order a person fixes them."""
    order = {raw.where(name): i for i, name in enumerate(TABLES)}
    return sorted(problems, key=lambda p: (order.get(p.where, -1), p.row or 0))


def validate(raw: RawData, *, nonconcave: Nonconcave | str = "reject") -> Inputs:
    """Check a data set read by :func:`budgetopt.data.read.read_tables` and build its Inputs.

    Parameters
    ----------
    raw : RawData
        The tables as text.
    nonconcave : {"reject", "milp"}, default "reject"
        What a response curve whose per_m rises from one band to the next is: bad input
        (``"reject"``), or accepted for an exact mixed-integer solve (``"milp"``, a warning).

    Returns
    -------
    Inputs
        Typed frames with defaults filled (see :mod:`budgetopt.data.inputs`), the funding years in
        planning order, ``data_hash``, ``source`` and plain-English ``warnings``.

    Raises
    ------
    InputError
        Listing every problem found, each with file or sheet, row, column and value.
    ValueError
        `nonconcave` is not one of the two values above (a programming error).
    """
    if nonconcave not in ("reject", "milp"):
        raise ValueError(f"nonconcave must be 'reject' or 'milp', not {nonconcave!r}")
    report = Report(nonconcave)
    report.problems.extend(raw.problems)
    report.warnings.extend(raw.notes)
    check_tables_present(raw, report)
    check_ignored_tables(raw, report)
    tables = {name: _parse_table(t, report) for name, t in raw.tables.items()}
    for rule in RULES:
        rule(tables, report)
    if report.problems:
        raise InputError(_sorted_problems(raw, report.problems),
                         title=f"The data set {raw.label} has problems")
    if "curves" in tables:
        _fill_curve_estimates(tables["curves"])
    frames = {name: to_frame(spec, tables.get(name)) for name, spec in TABLES.items()}
    frames["curves"], frames["evidence"] = with_derived_curves(frames["curves"],
                                                               frames["evidence"])
    if "evidence" in tables:
        _warn_evidence_not_used(tables["evidence"], frames["evidence"], report)
    years = horizon(tables)
    return Inputs(**frames, years=years, source=raw.source,
                  data_hash=data_hash(frames, years), warnings=tuple(report.warnings))


__all__ = ["INVALID", "Inputs", "ParsedTable", "Report", "data_hash", "parse_cell",
           "validate", "year_order"]
