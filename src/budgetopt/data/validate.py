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
import itertools
import json
import math
import operator
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from budgetopt.data.evidence import with_derived_curves
from budgetopt.data.inputs import Inputs
from budgetopt.data.read import RawData, RawTable, cell_text
from budgetopt.data.schema import FALSE_WORDS, TABLES, TRUE_WORDS, Column, Table
from budgetopt.errors import InputError, Problem

Nonconcave = Literal["reject", "milp"]
Record = dict[str, Any]
"""One parsed row: column -> typed value, ``None`` (blank, no default) or :data:`INVALID`."""


class _Invalid:
    """Marks a cell that failed its own check (already reported)."""

    def __repr__(self) -> str:
        return "INVALID"


INVALID = _Invalid()


# -- working state -------------------------------------------------------------------------


@dataclass
class ParsedTable:
    """A table whose cells are typed values, ``None`` (blank, no default) or :data:`INVALID`.

    Attributes
    ----------
    spec : Table
        Its schema.
    where : str
        File or sheet label for messages.
    records : list of (int, dict)
        ``(spreadsheet row, {column: value})`` for every schema column (absent optional
        columns hold their default).
    """

    spec: Table
    where: str
    records: list[tuple[int, Record]]

    def rows(self, *columns: str) -> Iterator[tuple[int, tuple[object, ...]]]:
        """``(row, values)`` of the rows whose `columns` all passed their cell checks."""
        for row, rec in self.records:
            values = tuple(rec[c] for c in columns)
            if not any(v is INVALID for v in values):
                yield row, values

    def first_rows(self, column: str) -> dict[object, int]:
        """Each valid value of `column` with the first row it appears in."""
        first: dict[object, int] = {}
        for row, (value,) in self.rows(column):
            first.setdefault(value, row)
        return first


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


def suggestion(name: str, candidates: Iterable[object], cutoff: float = 0.6) -> str:
    """``" (did you mean 'x'?)"`` for the closest candidate, or ``""``."""
    close = difflib.get_close_matches(name, [str(c) for c in candidates], n=1, cutoff=cutoff)
    return f" (did you mean '{close[0]}'?)" if close else ""


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


def _number(text: str, col: Column) -> float:
    plain = text.replace(",", "") if _THOUSANDS.fullmatch(text) else text
    try:
        value = float(plain)
    except ValueError:
        raise CellError(f"expected {expected(col)}") from None
    if not math.isfinite(value):
        hint = "; leave the cell blank for no cap" if col.default == math.inf else ""
        raise CellError(f"expected a finite number, not {text}{hint}")
    return value


def _integer(text: str, col: Column) -> int:
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
            report.problem(raw.label, f"the required table '{table.name}' is missing: {add}"
                           f"{hint}")


def check_ignored_tables(raw: RawData, report: Report) -> None:
    """Warn about a file or sheet whose name is close to an absent optional table's."""
    ignored = _ignored_by_stem(raw)
    for table in TABLES.values():
        near = _near_miss(table.name, ignored, cutoff=0.8)
        if near and not table.required and table.name not in raw.tables:
            report.warn(raw.label, f"'{near}' is not a table budgetopt reads, so it is "
                        f"ignored (did you mean '{table.name}'?)")


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
    records: list[tuple[int, Record]] = []
    for row, cells in zip(raw.frame.index, raw.frame.to_dict("records"), strict=True):
        rec: Record = {}
        for col in spec.columns:
            if col.name not in present:
                rec[col.name] = INVALID if col.required else col.default
                continue
            text = cells[col.name]
            try:
                rec[col.name] = parse_cell(text, col)
            except CellError as e:
                report.problem(raw.where, str(e), row=int(row), column=col.name, value=text)
                rec[col.name] = INVALID
        records.append((int(row), rec))
    return ParsedTable(spec, raw.where, records)


# -- rules across rows and tables ----------------------------------------------------------


def check_required_tables_have_rows(tables: Tables, report: Report) -> None:
    """A required table that is present has at least one row."""
    evidence = tables.get("evidence")
    for t in tables.values():
        if t.spec.name == "curves" and evidence is not None and evidence.records:
            continue  # every curve may be derived from evidence
        if t.spec.required and not t.records:
            report.problem(t.where, f"the table has no rows: the {t.spec.name} table needs at "
                           "least one")


def check_unique_keys(tables: Tables, report: Report) -> None:
    """Each table's key (e.g. service_id; service_id, metric_id, year, band) appears once."""
    for t in tables.values():
        key = t.spec.key
        seen: dict[tuple[object, ...], int] = {}
        for row, values in t.rows(*key):
            if values in seen:
                shown = [(k, v) for k, v in zip(key, values, strict=True) if v is not None]
                report.problem(t.where, f"duplicate {', '.join(k for k, _ in shown)}: the same "
                               f"as row {seen[values]}; each must appear only once", row=row,
                               column=shown[-1][0],
                               value=" / ".join(str(v) for _, v in shown))
            else:
                seen[values] = row


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
        known = set(target.first_rows(ref.target_column)) if target else set()
        target_where = target.where if target else f"{ref.target} table"
        for row, (value,) in tables[ref.table].rows(ref.column):
            if value is None or value in known:
                continue
            if target is None:
                why = f"there is no {ref.target} table: add it, or remove this row"
            else:
                listed = ", ".join(sorted(map(str, known), key=year_order)) \
                    if ref.target_column == "year" else ""
                why = (f"not a {ref.target_column} in {target_where}"
                       + (f" (years: {listed})" if listed else suggestion(str(value), known)))
            report.problem(tables[ref.table].where, f"unknown {ref.target_column}: {why}",
                           row=row, column=ref.column, value=value)


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
        n = len(t.spec.key)
        for row, values in t.rows(*t.spec.key, order.lower, order.upper):
            lo, hi = values[n:]
            if lo is None or hi is None or lo <= hi:  # type: ignore[operator]
                continue
            say = report.problem if order.error else report.warn
            say(t.where, f"{order.lower} {fmt(lo)} is above {order.upper} {fmt(hi)} for "
                f"{_row_label(t.spec, values[:n])}: {order.why}", row=row,
                column=order.blame, value=fmt(lo if order.blame == order.lower else hi))


CurveGroups = dict[tuple[object, ...], list[tuple[int, Record]]]


def _curve_groups(tables: Tables) -> tuple[CurveGroups, set[tuple[object, ...]]]:
    """Valid curve rows by (service, metric, year), sorted by band, and the groups that are
    already known to be wrong (a band that is not a number, an unknown service or metric),
    where a missing band would only repeat a reported problem."""
    groups: CurveGroups = {}
    tainted: set[tuple[object, ...]] = set()
    curves = tables.get("curves")
    if curves is None:
        return groups, tainted
    known = {col: set(tables[name].first_rows(col))
             for name, col in (("services", "service_id"), ("metrics", "metric_id"))
             if name in tables}
    for row, rec in curves.records:
        group = (rec["service_id"], rec["metric_id"], rec["year"])
        if INVALID in group:
            continue
        groups.setdefault(group, [])
        unknown = any(rec[col] not in ids for col, ids in known.items())
        if rec["band"] is INVALID or unknown:
            tainted.add(group)
        else:
            groups[group].append((row, rec))
    for rows in groups.values():
        rows.sort(key=lambda r: r[1]["band"])
    return groups, tainted


def check_bands_numbered(tables: Tables, report: Report) -> None:
    """Each curve's bands are numbered 1, 2, …, n without gaps."""
    groups, tainted = _curve_groups(tables)
    for (sid, mid, year), rows in groups.items():
        if (sid, mid, year) in tainted:
            continue
        bands = sorted({rec["band"] for _, rec in rows})
        missing = [k for k in range(1, bands[-1] + 1) if k not in bands]
        if not missing:
            continue
        gap = missing[0]
        row, rec = next((r, rec) for r, rec in rows if rec["band"] > gap)
        report.problem(tables["curves"].where,
                       f"the bands of {_curve_name(sid, mid, year)} are numbered "
                       f"{', '.join(map(str, bands))}: band {gap} is missing; number the bands "
                       "1, 2, 3, … without gaps", row=row, column="band", value=rec["band"])


_CONCAVE_COLUMNS = ("per_m", "per_m_low", "per_m_high")


def _first_rise(rows: list[tuple[int, Record]], column: str
                ) -> tuple[tuple[int, Record], tuple[int, Record]] | None:
    """The first pair of consecutive bands where `column` rises, if any.

    A blank low/high means "as central"; a pair where both are blank is the central check's.
    """
    for (r0, a), (r1, b) in itertools.pairwise(rows):
        if column != "per_m" and a[column] is None and b[column] is None:
            continue
        va, vb = (rec[column] if rec[column] is not None else rec["per_m"] for rec in (a, b))
        if INVALID in (va, vb):
            continue
        if vb > va:
            return (r0, a), (r1, b)
    return None


def check_concave(tables: Tables, report: Report) -> None:
    """per_m (and per_m_low, per_m_high) never rise from one band to the next.

    With ``nonconcave="milp"`` a rising curve is accepted (the model fills bands in order
    with binary variables) and noted as a warning instead.
    """
    for (sid, mid, year), rows in _curve_groups(tables)[0].items():
        for column in _CONCAVE_COLUMNS:
            rise = _first_rise(rows, column)
            if rise is None:
                continue
            (_, a), (row, b) = rise
            va = a[column] if a[column] is not None else a["per_m"]
            vb = b[column] if b[column] is not None else b["per_m"]
            what = (f"the curve of {_curve_name(sid, mid, year)} is not concave: {column} "
                    f"rises from {fmt(va)} in band {a['band']} to {fmt(vb)} in band "
                    f"{b['band']}")
            if report.nonconcave == "milp":
                report.warn(tables["curves"].where, f"{what}; it is solved exactly as a "
                            "mixed-integer programme (nonconcave: milp)", row=row, column=column)
                break
            report.problem(tables["curves"].where,
                           f"{what}. Each band must buy no more per £m than the band before: "
                           "correct the curve, or set `nonconcave: milp` in the policy model "
                           "to solve it exactly as a mixed-integer programme",
                           row=row, column=column, value=fmt(vb))


def check_services_have_curves(tables: Tables, report: Report) -> None:
    """Warn about a service with no curve rows (and no evidence): it buys no outcome."""
    services = tables.get("services")
    if services is None:
        return
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


RULES: tuple[Rule, ...] = (
    check_required_tables_have_rows,
    check_unique_keys,
    check_references,
    check_hwb_references,
    check_ordered_columns,
    check_bands_numbered,
    check_concave,
    check_services_have_curves,
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
    for _, rec in curves.records:
        for column in ("per_m_low", "per_m_high"):
            if rec[column] is None:
                rec[column] = rec["per_m"]


def to_frame(spec: Table, records: list[tuple[int, Record]]) -> pd.DataFrame:
    """Typed records -> the documented frame: schema columns only, schema dtypes."""
    return pd.DataFrame({
        col.name: pd.Series([rec[col.name] for _, rec in records], dtype=_dtype(col))
        for col in spec.columns
    })


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


def data_hash(frames: dict[str, pd.DataFrame], years: tuple[str, ...]) -> str:
    """sha256 of the validated tables, independent of file format and row order."""
    doc: dict[str, object] = {"years": list(years)}
    for name, frame in frames.items():
        rows = [[_canonical(v) for v in row] for row in frame.itertuples(index=False, name=None)]
        key = [list(frame.columns).index(k) for k in TABLES[name].key]
        rows.sort(key=lambda r: json.dumps([r[i] for i in key], ensure_ascii=False))
        if name in ("evidence", "hwbs", "demand", "capacity") and not rows:
            continue  # a data set without them hashes as it did before these tables existed
        doc[name] = {"columns": list(frame.columns), "rows": rows}
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
    frames = {name: to_frame(spec, tables[name].records if name in tables else [])
              for name, spec in TABLES.items()}
    frames["curves"], frames["evidence"] = with_derived_curves(frames["curves"],
                                                               frames["evidence"])
    if "evidence" in tables:
        _warn_evidence_not_used(tables["evidence"], frames["evidence"], report)
    years = horizon(tables)
    return Inputs(**frames, years=years, source=raw.source,
                  data_hash=data_hash(frames, years), warnings=tuple(report.warnings))


__all__ = ["INVALID", "Inputs", "ParsedTable", "Report", "data_hash", "parse_cell",
           "validate", "year_order"]
