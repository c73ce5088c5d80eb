"""The results workbook for BCF leads and boards (openpyxl).

Sheets: Cover, Income, Expenditure (the BCF planning template's layout, with its drop-down
lists), Planning requirements (each rule a checklist row whose figure and red/green status are
live formulas over the Expenditure sheet, so they stay true when a BCF lead edits it), Metrics,
Allocation, What each rule costs, Trade-offs (native Excel charts). Every value that comes from
an input is written as a value, never as a formula (:func:`budgetopt.reports.export.write_cell`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import AreaChart, BarChart, LineChart, Reference, ScatterChart, Series
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from budgetopt import __version__
from budgetopt.analyses.board import Analyses
from budgetopt.data.inputs import Inputs
from budgetopt.errors import InputError
from budgetopt.families import checklist
from budgetopt.families.family import Amount, Income, Requirement, Term
from budgetopt.model.data import RELEASE_SOURCE, prepare
from budgetopt.reports.excel.layout import (
    BAD,
    BASELINE,
    FIRST_ROW,
    GOOD,
    HEADER_ROW,
    INPUT_FILL,
    NUMBER,
    PLANNED,
    POUNDS,
    POUNDS_M,
    SERIES,
    expenditure_headers,
    sector_series,
)
from budgetopt.reports.export import write_cell, write_frame
from budgetopt.reports.palette import sector_label
from budgetopt.results.summary import priced
from budgetopt.results.tables import Results

MET, NOT_MET = "Met", "Not met"
EXPENDITURE_SHEET = "Expenditure"


def write_bcf_workbook(results: Results, inputs: Inputs, path: str | Path, *,
                       scenario: str = "", analyses: Analyses | None = None) -> None:
    """Write the workbook for `results` solved from `inputs` to `path` (.xlsx)."""
    wb = Workbook()
    years = _plan_years(results, inputs)
    cover = wb.active
    cover.title = "Cover"
    _cover(cover, results, inputs, scenario)
    income_cells = _income(wb.create_sheet("Income"), inputs, years)
    exp = _expenditure(wb.create_sheet(EXPENDITURE_SHEET), results.funding_flows, inputs, years)
    _requirements(wb.create_sheet("Planning requirements"), results, inputs, years, exp,
                  income_cells)
    _metrics(wb.create_sheet("Metrics"), results, inputs)
    _allocation(wb.create_sheet("Allocation"), results, inputs)
    _rule_costs(wb.create_sheet("What each rule costs"), results)
    _tradeoffs(wb.create_sheet("Trade-offs"), results, analyses or Analyses())
    if len(inputs.evidence):
        _evidence(wb.create_sheet("Evidence"), results, inputs)
    finish(wb)
    wb.save(path)


def finish(wb) -> None:
    """The drop-down values' sheet hidden and last; every sheet printed A4 landscape, one
    page wide, with its name and page number in the footer."""
    if "Lists" in wb.sheetnames:
        wb.move_sheet("Lists", offset=len(wb.sheetnames) - 1 - wb.sheetnames.index("Lists"))
    for ws in wb.worksheets:
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_options.gridLines = False
        ws.oddFooter.center.text = "&A — page &P of &N"


# -- helpers -------------------------------------------------------------------------------------


def _plan_years(results: Results, inputs: Inputs) -> list[str]:
    planned = set(results.allocation["year"])
    return [y for y in inputs.years if y in planned] or list(inputs.years)


def _title(ws, text: str, subtitle: str = "") -> None:
    write_cell(ws, 1, 1, text).font = Font(bold=True, size=14)
    if subtitle:
        write_cell(ws, 2, 1, subtitle).font = Font(italic=True, color="555555")


# -- Cover ---------------------------------------------------------------------------------------


def _cover(ws, results: Results, inputs: Inputs, scenario: str) -> None:
    from budgetopt.results.summary import summary_lines

    prov = results.provenance
    _title(ws, "budgetopt: allocation of the pooled budget",
           "Made by budgetopt from the data set and policy model below.")
    overrides = prov.get("overrides") or []
    if isinstance(overrides, dict):
        overrides = [f"{k}={v}" for k, v in overrides.items()]
    rows = [
        ("ICS / data set", inputs.source or prov.get("data_source", "")),
        ("Scenario", scenario or "(not saved)"),
        ("Date", date.today().isoformat()),
        ("budgetopt version", __version__),
        ("Data hash (SHA-256)", inputs.data_hash),
        ("Policy model", prov.get("policy", "")),
        ("Overrides", ", ".join(map(str, overrides)) or "none"),
        ("Solver", f"HiGHS {prov.get('solver_version', '')}: {results.solver_status}"),
        ("Status", results.status),
        ("Plan years", ", ".join(_plan_years(results, inputs))),
    ]
    for i, (label, value) in enumerate(rows, start=4):
        write_cell(ws, i, 1, label).font = Font(bold=True)
        write_cell(ws, i, 2, value)
    row = len(rows) + 5
    write_cell(ws, row, 1, "Summary").font = Font(bold=True, size=12)
    for i, line in enumerate(summary_lines(results), start=row + 1):
        write_cell(ws, i, 1, line)
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 90


# -- Income --------------------------------------------------------------------------------------


def _income(ws, inputs: Inputs, years: list[str]) -> dict[tuple[str, str], str]:
    """Income by source and year (£); returns the cell of each (source_id or TOTAL, year)."""
    _title(ws, "Income: the pooled budget by funding source and year (£)",
           "From the data set's funding table.")
    fund = inputs.funding[inputs.funding["year"].isin(years)]
    sources = list(dict.fromkeys(fund["source_id"]))
    headers = ["Source id", "Funding source", "BCF source of funding", *years]
    for j, h in enumerate(headers, start=1):
        write_cell(ws, HEADER_ROW, j, h).font = Font(bold=True)
    cells: dict[tuple[str, str], str] = {}
    for i, sid in enumerate(sources, start=FIRST_ROW):
        rows = fund[fund["source_id"] == sid]
        first = rows.iloc[0]
        write_cell(ws, i, 1, sid)
        write_cell(ws, i, 2, first["name"])
        write_cell(ws, i, 3, first.get("bcf_source", "Other"))
        for j, y in enumerate(years, start=4):
            amount = rows.loc[rows["year"] == y, "amount_m"].sum() * 1e6
            c = write_cell(ws, i, j, round(float(amount), 2))
            c.number_format = POUNDS
            cells[(sid, y)] = f"Income!${get_column_letter(j)}${i}"
    total = FIRST_ROW + len(sources)
    write_cell(ws, total, 2, "Total").font = Font(bold=True)
    for j, y in enumerate(years, start=4):
        letter = get_column_letter(j)
        c = ws.cell(row=total, column=j, value=f"=SUM({letter}{FIRST_ROW}:{letter}{total - 1})")
        c.number_format, c.font = POUNDS, Font(bold=True)
        cells[("TOTAL", y)] = f"Income!${letter}${total}"
    ws.freeze_panes = f"A{FIRST_ROW}"
    for letter, width in zip("ABC", (14, 40, 32)):
        ws.column_dimensions[letter].width = width
    for j in range(4, 4 + len(years)):
        ws.column_dimensions[get_column_letter(j)].width = 16
    return cells


# -- Expenditure ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExpenditureRefs:
    """Where things are on the Expenditure sheet, for formulas elsewhere."""

    first: int
    last: int
    letters: dict[str, str]  # header -> column letter

    def range(self, header: str) -> str:
        col = self.letters[header]
        return f"{quote_sheetname(EXPENDITURE_SHEET)}!${col}${self.first}:${col}${self.last}"


def _expenditure_rows(flows: pd.DataFrame, inputs: Inputs, years: list[str]) -> list[dict]:
    """One row per scheme, source and HWB of `flows` (source_id, service_id, year, amount_m,
    and hwb_id where the flows say whose places they pay for)."""
    services = inputs.services.set_index("service_id")
    fund = inputs.funding.drop_duplicates("source_id").set_index("source_id")
    flows = flows[flows["year"].isin(years)]
    boards = set(inputs.hwb_ids)
    # the HWB whose places each line is spent in ("" without HWBs, or for places of none)
    where = (flows["hwb_id"] if "hwb_id" in flows.columns else pd.Series("", index=flows.index))
    flows = flows.assign(hwb_id=[h if isinstance(h, str) and h in boards else "" for h in where])
    table = flows.pivot_table(index=["service_id", "source_id", "hwb_id"], columns="year",
                              values="amount_m", aggfunc="sum", fill_value=0.0, sort=False)
    rows = []
    for (sid, src, hwb), amounts in table.iterrows():
        if amounts.abs().max() < 5e-7:  # under £0.50 in every year
            continue
        svc = services.loc[sid]
        commissioner = svc.get("commissioner", "Joint") or "Joint"
        pct_nhs = svc.get("pct_nhs")
        joint = commissioner == "Joint" and pct_nhs is not None and pd.notna(pct_nhs)
        unit_cost = svc.get("unit_cost_gbp")
        spend = {y: round(float(amounts.get(y, 0.0)) * 1e6, 2) for y in years}
        if src == RELEASE_SOURCE:
            source, source_name = "Other", "Acute funding released by the shift"
        else:
            source = fund.loc[src].get("bcf_source", "Other") if src in fund.index else "Other"
            source_name = fund.loc[src, "name"] if src in fund.index else src
        rows.append({
            "scheme_id": sid, "scheme_name": svc["name"],
            "description": svc.get("description", "") or "",
            "scheme_type": svc.get("scheme_type", "Other") or "Other",
            "sub_type": svc.get("sub_type", "") or "",
            "outputs": {y: (round(spend[y] / float(unit_cost))
                            if unit_cost is not None and pd.notna(unit_cost) and unit_cost > 0
                            else None) for y in years},
            "output_unit": svc.get("output_unit", "") or "",
            "area_of_spend": svc.get("area_of_spend", "Other") or "Other",
            "commissioner": commissioner,
            "pct_nhs": float(pct_nhs) if joint else None,
            "pct_la": 100.0 - float(pct_nhs) if joint else None,
            "provider": svc.get("provider", "") or "",
            "source": source, "source_name": source_name,
            "spend_gbp": spend,
            "new_or_existing": svc.get("new_or_existing", "Existing") or "Existing",
            "source_id": src, "hwb_id": hwb,
        })
    return rows


def _expenditure(ws, flows: pd.DataFrame, inputs: Inputs, years: list[str], *,
                 title: str = "Expenditure plan (BCF planning template layout)",
                 note: str = "One row per scheme and source of funding. Yellow cells can be "
                 "edited; the drop-down lists are the template's. Planning requirements "
                 "recalculate from this sheet.") -> ExpenditureRefs:
    """The Expenditure sheet of `flows` (the solve's funding flows, or one HWB's share)."""
    _title(ws, title, note)
    layout = expenditure_headers(years)
    headers = [h for _, _, h in layout]
    rows = _expenditure_rows(flows, inputs, years)
    fill = PatternFill("solid", fgColor=INPUT_FILL)
    for j, (col, _year, header) in enumerate(layout, start=1):
        c = write_cell(ws, HEADER_ROW, j, header)
        c.font = Font(bold=True)
        c.alignment = Alignment(wrap_text=True, vertical="top")
        ws.column_dimensions[get_column_letter(j)].width = col.width
    for i, row in enumerate(rows, start=FIRST_ROW):
        for j, (col, year, _header) in enumerate(layout, start=1):
            value = row[col.key][year] if col.per_year else row[col.key]
            c = write_cell(ws, i, j, value)
            if col.number_format:
                c.number_format = col.number_format
            if col.choices or col.per_year:
                c.fill = fill
    last = FIRST_ROW + max(len(rows), 1) - 1
    letters = {h: get_column_letter(j) for j, h in enumerate(headers, start=1)}
    for j, (col, _year, header) in enumerate(layout, start=1):
        if not col.choices:
            continue
        # The list in a hidden sheet (a long inline list breaks Excel's 255-character limit).
        lists = ws.parent["Lists"] if "Lists" in ws.parent.sheetnames else _lists_sheet(ws.parent)
        lcol = _list_column(lists, col.header, col.choices)
        dv = DataValidation(type="list", formula1=f"Lists!${lcol}$2:${lcol}${len(col.choices) + 1}",
                            allow_blank=True, showErrorMessage=True,
                            errorTitle=header, error=f"Choose a {header} from the list.")
        dv.add(f"{letters[header]}{FIRST_ROW}:{letters[header]}{last + 200}")
        ws.add_data_validation(dv)
    total_row = last + 2
    write_cell(ws, total_row, 2, "Total").font = Font(bold=True)
    for y in years:
        letter = letters[f"Expenditure (£) {y}"]
        c = ws.cell(row=total_row, column=headers.index(f"Expenditure (£) {y}") + 1,
                    value=f"=SUM({letter}{FIRST_ROW}:{letter}{last})")
        c.number_format, c.font = POUNDS, Font(bold=True)
    ws.freeze_panes = f"C{FIRST_ROW}"
    ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(headers))}{last}"
    ws.row_dimensions[HEADER_ROW].height = 45
    return ExpenditureRefs(FIRST_ROW, last, letters)


def _lists_sheet(wb):
    ws = wb.create_sheet("Lists")
    ws.sheet_state = "hidden"
    return ws


def _list_column(ws, header: str, choices: tuple[str, ...]) -> str:
    for j in range(1, ws.max_column + 2):
        if ws.cell(row=1, column=j).value in (None, header):
            break
    write_cell(ws, 1, j, header)
    for i, choice in enumerate(choices, start=2):
        write_cell(ws, i, j, choice)
    return get_column_letter(j)


# -- Planning requirements -----------------------------------------------------------------------


STAFF = "#,##0.0"  # the number format of figures in WTE (and other non-£ units)


class Check(NamedTuple):
    """One checklist row: its figure and limit are numbers or formulas (text from "=")."""

    requirement: str
    year: str
    figure: Any
    test: str  # "<=", ">=" or "=="
    limit: Any
    fmt: str = POUNDS  # number format of the figure and the limit


def _requirements(ws, results: Results, inputs: Inputs, years: list[str],
                  exp: ExpenditureRefs, income: dict[tuple[str, str], str]) -> None:
    _title(ws, "Planning requirements",
           "Each figure is a formula over the Expenditure sheet: edit the plan there and the "
           "statuses follow. Green: met. Red: not met.")
    headers = ["Requirement", "Year", "Figure (£)", "Test", "Limit (£)", "Status",
               "How the figure is found"]
    for j, h in enumerate(headers, start=1):
        write_cell(ws, HEADER_ROW, j, h).font = Font(bold=True)
    checks, live_families = _live_checks(results, inputs, years, exp, income)
    live = len(checks)
    checks += _solved_checks(results, live_families)
    tests = {"<=": "at most", ">=": "at least", "==": "equal to"}
    for i, (req, y, figure, test, limit, fmt) in enumerate(checks, start=FIRST_ROW):
        write_cell(ws, i, 1, req)
        write_cell(ws, i, 2, y)
        ws.cell(row=i, column=3, value=figure).number_format = fmt
        write_cell(ws, i, 4, tests[test])
        ws.cell(row=i, column=5, value=limit).number_format = fmt
        # a £1 tolerance (the plan is written to the penny, the limits in £m); 0.01 for staff
        tol = 1 if fmt == POUNDS else 0.01
        ws.cell(row=i, column=6, value=status_formula(compare(f"C{i}", test, f"E{i}", tol)))
        write_cell(ws, i, 7, LIVE if i - FIRST_ROW < live else SOLVED)
    last = FIRST_ROW + len(checks) - 1
    if checks:
        status_colours(ws, "F", FIRST_ROW, last)
    ws.freeze_panes = f"A{FIRST_ROW}"
    ws.auto_filter.ref = f"A{HEADER_ROW}:G{max(last, HEADER_ROW)}"
    for letter, width in zip("ABCDEFG", (70, 10, 18, 10, 18, 10, 44)):
        ws.column_dimensions[letter].width = width


def status_colours(ws, letter: str, first: int, last: int) -> None:
    """Green for "Met", red for "Not met" in column `letter`, rows `first`..`last`."""
    cells = f"{letter}{first}:{letter}{last}"
    for word, colour in ((MET, GOOD), (NOT_MET, BAD)):
        ws.conditional_formatting.add(cells, FormulaRule(
            formula=[f'{letter}{first}="{word}"'], fill=PatternFill("solid", fgColor=colour),
            font=Font(color="FFFFFF", bold=True)))


def compare(figure: str, test: str, limit: str, tol: float) -> str:
    """A formula body: the cell `figure` against the cell `limit` (``<=``, ``>=`` or ``==``),
    within `tol`."""
    return {"<=": f"{figure}<={limit}+{tol}", ">=": f"{figure}>={limit}-{tol}",
            "==": f"ABS({figure}-{limit})<={tol}"}[test]


def status_formula(cond: str) -> str:
    """The status cell of a check whose condition (a formula body) is `cond`."""
    return f'=IF({cond},"{MET}","{NOT_MET}")'


LIVE = "Formula over the Expenditure sheet"
SOLVED = "From the solve (does not follow edits)"


def _live_checks(results: Results, inputs: Inputs, years: list[str], exp: ExpenditureRefs,
                 income: dict[tuple[str, str], str]) -> tuple[list[Check], list[str]]:
    """The families' checklist rows (:func:`budgetopt.families.checklist`) as formulas over
    the Expenditure and Income sheets, and the families they cover. Without the policy the
    results were solved under (or with one this data set no longer passes), no family is
    live: every row is shown as solved."""
    policy = _policy_of(results)
    if policy is None:
        return [], []
    try:
        data = prepare(inputs, policy)
    except InputError:
        return [], []
    rows: list[Check] = []
    live: list[str] = []
    for family, requirements in checklist(data, years):
        if requirements is not None:
            live.append(family.name)
            rows += [_render(r, exp, income) for r in requirements]
    return rows, live


def _render(req: Requirement, exp: ExpenditureRefs, income: dict[tuple[str, str], str]
            ) -> Check:
    """A family's requirement as a checklist row: each side a number when it is one amount,
    else a formula (the sum of its terms) over the sheets."""
    scale = 1e6 if req.unit == "£m" else 1.0  # the sheet holds £; staff stay WTE

    def side(terms: tuple, per_m: bool) -> Any:
        if len(terms) == 1 and isinstance(terms[0], Amount):
            return round(terms[0].value * scale, 2)
        texts = [_term(t, exp, income, scale) for t in terms]
        if per_m:  # spend (£) times WTE per £1m
            return f"=SUM({','.join(texts)})/1000000"
        return f"={texts[0]}" if len(texts) == 1 else f"=SUM({','.join(texts)})"

    return Check(req.text, req.year, side(req.figure, req.unit != "£m"), req.sense,
                 side(req.limit, False), POUNDS if req.unit == "£m" else STAFF)


def _term(term: Term, exp: ExpenditureRefs, income: dict[tuple[str, str], str],
          scale: float) -> str:
    """One term of a requirement as a formula body."""
    if isinstance(term, Amount):
        return f"{term.value * scale:.2f}"
    if isinstance(term, Income):
        return income[(term.source or "TOTAL", term.year)]
    spend = exp.range(f"Expenditure (£) {term.year}")
    ids = exp.range("budgetopt source id")
    board = f"*{_is(exp.range('budgetopt HWB id'), term.hwb)}" if term.hwb is not None else ""
    if term.nhs_share:
        area, comm, pct = (exp.range("Area of Spend"), exp.range("Commissioner"),
                           exp.range("% NHS (if Joint Commissioner)"))
        is_source = _any_of(ids, term.sources or ())
        text = (f'SUMPRODUCT(({is_source})*({area}<>"Acute Care")*'
                f'(({comm}="ICB")+({comm}="Joint")*{pct}/100){board}*{spend})')
    elif term.services is not None:
        text = _schemes_spend(exp, term.services, term.year, board)
    elif term.sources is not None:
        where = f"*{_is(exp.range('Area of Spend'), term.area)}" if term.area else ""
        text = f"SUMPRODUCT(({_any_of(ids, term.sources)}){where}{board}*{spend})"
    elif board:
        text = f"SUMPRODUCT({board[1:]}*{spend})"
    else:
        text = f"SUM({spend})"
    if term.factor is not None:
        text = f"{text}*{term.factor!r}"
    if term.growth is not None:
        text = f"{text}*(1+{term.growth:.12f})"
    return f"-{text}" if term.minus else text


def _schemes_spend(exp: ExpenditureRefs, services: tuple[str, ...], year: str,
                   board: str = "") -> str:
    """A formula body: the planned spend on `services` in `year` on the Expenditure sheet
    (`board`: a ``*EXACT(...)`` factor keeping one HWB's lines)."""
    spend, schemes = exp.range(f"Expenditure (£) {year}"), exp.range("Scheme ID")
    return "SUM({})".format(",".join(f"SUMPRODUCT({_is(schemes, s)}{board}*{spend})"
                                     for s in services) or "0")


def _is(cells: str, key: str) -> str:
    """A formula body: 1 on the rows of `cells` holding exactly `key`, else 0.

    EXACT, not SUMIFS' criteria: those ignore case and read ``*``, ``?``, ``~`` and a leading
    ``>``, ``<`` or ``=`` as patterns, so ids such as ``reable``/``REABLE`` or ``a*`` would
    match other rows (issue 21 item 10)."""
    return f'EXACT({cells},"{_quote(key)}")'


def _any_of(cells: str, keys) -> str:
    """A formula body: 1 on the rows of `cells` holding exactly one of `keys` (distinct)."""
    return "+".join(_is(cells, k) for k in dict.fromkeys(keys)) or "0"


def _solved_checks(results: Results, live: list[str]) -> list[Check]:
    """Every other rule's rows as the model states them: the figure is the solved activity.

    These rules are stated over quantities the expenditure plan alone does not hold (spend by
    place and need, acute demand and the acute budget outside the pool, double running), so
    the figure comes from the solve; the status is still a formula, and the "How the figure is
    found" column says which is which.
    """
    c = results.constraints
    rows = []
    for r in c[~c["family"].isin(live)].itertuples(index=False):
        pounds = r.unit == "£m"
        scale, label = (1e6, r.name) if pounds else (1.0, f"{r.name} ({r.unit})")
        rows.append(Check(label, r.year or "",  # the row's key
                          round(float(r.activity) * scale, 2),
                          r.sense if r.sense in ("<=", ">=") else "==",
                          round(float(r.limit) * scale, 2), POUNDS if pounds else STAFF))
    return rows


def _policy_of(results: Results):
    """The policy the results were solved under (from their provenance), or None."""
    from budgetopt.policy import policy_from_dict

    dump = results.provenance.get("policy_model")
    try:
        return policy_from_dict(dump) if dump else None
    except InputError:
        return None


def _quote(text: str) -> str:
    """A value inside a formula's string literal ("" escapes a quote)."""
    return str(text).replace('"', '""')


# -- Metrics, Allocation, rule costs ------------------------------------------------------------


def _metrics(ws, results: Results, inputs: Inputs) -> None:
    _title(ws, "Metrics: planned outcomes against the baseline allocation",
           "Outcomes are improvements bought by the plan (e.g. admissions avoided).")
    m = inputs.metrics.set_index("metric_id")
    out = results.outcomes.copy()
    frame = pd.DataFrame({
        "Metric": out["name"], "BCF metric": [("yes" if bool(m.loc[i].get("bcf_metric", False))
                                               else "no") for i in out["metric_id"]],
        "Unit": out["unit"], "Year": out["year"], "Baseline": out["baseline_value"],
        "Planned": out["value"], "Change": out["change"],
    })
    levels: list[tuple[float | None, float | None, Any]] = []
    for r in out.itertuples(index=False):
        row = m.loc[r.metric_id]
        base, per = row.get("baseline_level"), row.get("level_per_outcome")
        if base is not None and pd.notna(base) and per is not None and pd.notna(per):
            levels.append((float(base), float(base) + float(per) * float(r.change),
                           row.get("level_unit", "")))
        else:
            levels.append((None, None, ""))
    frame["Reported level now"] = [x[0] for x in levels]
    frame["Reported level planned"] = [x[1] for x in levels]
    frame["Level unit"] = [x[2] for x in levels]
    fmt = {c: NUMBER for c in ("Baseline", "Planned", "Change")}
    fmt.update({"Reported level now": "#,##0.0", "Reported level planned": "#,##0.0"})
    write_frame(ws, frame, top=HEADER_ROW, formats=fmt)


def _allocation(ws, results: Results, inputs: Inputs) -> None:
    _title(ws, "Allocation by service, place, year and source (£m)")
    a = results.allocation.copy()
    a["sector"] = a["sector"].map(sector_label)
    a["place_id"] = a["place_id"].fillna("ICS-wide").replace("", "ICS-wide")
    frame = a.rename(columns={"service_id": "Service id", "name": "Service", "sector": "Sector",
                              "place_id": "Place", "year": "Year", "spend_m": "Planned £m",
                              "baseline_m": "Baseline £m", "change_m": "Change £m"})
    last = write_frame(ws, frame, ("Planned £m", "Baseline £m", "Change £m"), top=HEADER_ROW)
    row = last + 3
    flows = results.funding_flows.copy()
    names = inputs.funding.drop_duplicates("source_id").set_index("source_id")["name"]
    flows["source"] = [names.get(s, "Acute funding released by the shift") for s in
                       flows["source_id"]]
    write_cell(ws, row, 1, "Funding: which source pays for which service").font = Font(bold=True)
    by_source = flows[["source", "service_id", "year", "amount_m"]].rename(columns={
        "source": "Source", "service_id": "Service id", "year": "Year", "amount_m": "£m"})
    row = write_frame(ws, by_source, ("£m",), top=row + 1, filters=False) + 3
    fair = fair_shares_distance(results, inputs)
    if fair is not None:
        write_cell(ws, row, 1, "Fair shares: spend per place against its need-weighted share"
                   ).font = Font(bold=True)
        write_frame(ws, fair, ("Planned £m", "Fair share £m", "Distance £m"), top=row + 1,
                    formats={"Distance %": "0.0%"}, filters=False)


def _evidence(ws, results: Results, inputs: Inputs) -> None:
    """Each evidence row: the curve it gives (derived, or the curves table's with this as its
    source), what it implies, its source and certainty, and the plan's spend on the service."""
    from budgetopt.data.evidence import evidence_view

    _title(ws, "Evidence behind the response curves",
           "Curves derived from unit cost, reach and effect (docs/evidence.md), with their "
           "sources. Low certainty is flagged where the service gets money.")
    frame = evidence_view(inputs)
    spend = results.allocation.groupby("service_id")["spend_m"].sum()
    frame.insert(frame.columns.get_loc("Certainty"), "Planned £m (all years)",
                 [float(spend.get(s, 0.0)) for s in frame["Service id"]])
    frame["Flag"] = ["Funded on low-certainty evidence" if c == "low" and p > 0.05 else ""
                     for c, p in zip(frame["Certainty"], frame["Planned £m (all years)"],
                                     strict=True)]
    write_frame(ws, frame, ("Planned £m (all years)", "£m a year to reach 99%"),
                top=HEADER_ROW, formats={"Unit cost £": POUNDS, "Eligible people": NUMBER,
                                         "People reachable": NUMBER, "Max coverage": "0%",
                                         "Ceiling (outcome a year)": "#,##0.0",
                                         "Most outcome per £1m": "#,##0.0"})


def fair_shares_distance(results: Results, inputs: Inputs) -> pd.DataFrame | None:
    """Spend per place and year against its fair share of the year's spend, or None."""
    if not inputs.has_places or "weighted_population" not in inputs.places.columns:
        return None
    places = inputs.places.set_index("place_id")
    share = places["weighted_population"] / places["weighted_population"].sum()
    a = results.allocation[results.allocation["place_id"].isin(share.index)]
    if a.empty:
        return None
    spend = a.groupby(["year", "place_id"], sort=False)["spend_m"].sum().reset_index()
    total = spend.groupby("year")["spend_m"].transform("sum")
    spend["fair"] = total * spend["place_id"].map(share)
    return pd.DataFrame({
        "Year": spend["year"], "Place": spend["place_id"].map(places["name"]),
        "Planned £m": spend["spend_m"], "Fair share £m": spend["fair"],
        "Distance £m": spend["spend_m"] - spend["fair"],
        "Distance %": (spend["spend_m"] - spend["fair"]) / spend["fair"],
    })


def _rule_costs(ws, results: Results) -> None:
    _title(ws, "What each rule costs",
           "A binding rule's shadow price: the weighted outcome one more unit of its limit "
           "would buy (or, minimising cost, the £m it would save).")
    row = HEADER_ROW
    if results.infeasibility is not None:
        write_cell(ws, row, 1, "The rules cannot all be met").font = Font(bold=True, color=BAD)
        write_cell(ws, row + 1, 1, results.infeasibility.message)
        relax = pd.DataFrame([{"Rule": r.name, "Family": r.family, "Relax by": r.relax_by,
                               "Unit": r.unit} for r in results.infeasibility.relaxations])
        row = (write_frame(ws, relax, top=row + 2, filters=False) if len(relax) else row + 2) + 3
    binding = priced(results.binding())
    write_cell(ws, row, 1, "Binding rules, most costly first").font = Font(bold=True)
    frame = pd.DataFrame({"Rule": binding["name"], "Family": binding["family"],
                          "Shadow price (a rise)": binding["shadow_price"],
                          "Unit of the limit": binding["unit"], "In words": binding["meaning"],
                          "Value of a fall": binding["shadow_price_down"],
                          "Limit today": binding["limit"],
                          "Holds from": binding["holds_from"].where(
                              np.isfinite(binding["holds_from"])),
                          "Holds to": binding["holds_to"].where(
                              np.isfinite(binding["holds_to"]))})
    row = write_frame(ws, frame, top=row + 1, formats={
        "Shadow price (a rise)": "#,##0.00", "Value of a fall": "#,##0.00",
        "Limit today": "#,##0.000", "Holds from": "#,##0.000", "Holds to": "#,##0.000"}) + 3
    write_cell(ws, row, 1, "Services at the margin (reduced costs)").font = Font(bold=True)
    rc = results.reduced_costs
    frame = pd.DataFrame({"Service": rc["name"], "Year": rc["year"],
                          "More outcome per £1m needed": rc["needs_per_m"],
                          "In words": rc["meaning"]})
    write_frame(ws, frame, top=row + 1, formats={"More outcome per £1m needed": "#,##0.00"},
                filters=False)
    ws.column_dimensions["A"].width = 70
    ws.column_dimensions["E"].width = 90


# -- Trade-offs: native charts -------------------------------------------------------------------


def sector_spend(results: Results) -> pd.DataFrame:
    """Spend by sector over the plan: baseline and planned, £m."""
    a = results.allocation.groupby("sector", sort=False)[["baseline_m", "spend_m"]].sum()
    a.index = [sector_label(s) for s in a.index]
    return a.reset_index(names="Sector").rename(columns={"baseline_m": "Baseline £m",
                                                         "spend_m": "Planned £m"})


def _style(chart, title: str, x: str, y: str, colours: tuple[str, ...] = SERIES) -> None:
    """Titles, size and the app's colours (:mod:`budgetopt.reports.palette`) on a chart."""
    chart.title, chart.x_axis.title, chart.y_axis.title = title, x, y
    chart.width, chart.height = 24, 11
    for i, s in enumerate(chart.series):
        colour = colours[i % len(colours)]
        s.graphicalProperties.solidFill = colour
        s.graphicalProperties.line.solidFill = colour


def _tradeoffs(ws, results: Results, analyses: Analyses) -> None:
    _title(ws, "Trade-offs", "Native Excel charts over the tables beside them.")
    table = sector_spend(results)
    top = HEADER_ROW
    last = write_frame(ws, table, ("Baseline £m", "Planned £m"), top=top, filters=False)
    chart = BarChart()
    chart.type = "bar"
    row = _chart_beside(ws, chart, top, last, "Spend by sector over the plan: baseline and "
                        "planned", "Sector", "£m", max_col=3, colours=(BASELINE, PLANNED))
    curve = analyses.budget_curve
    if curve is not None and len(curve):
        write_cell(ws, row, 1, "Budget curve").font = Font(bold=True)
        frame = pd.DataFrame({"Budget £m": curve["budget_m"], "Objective": curve["objective"],
                              "Marginal per £1m": curve.get("marginal")})
        first = row + 1
        last = write_frame(ws, frame, ("Budget £m",), top=first, filters=False,
                           formats={"Objective": NUMBER, "Marginal per £1m": "#,##0.0"})
        row = _chart_beside(ws, LineChart(), first, last, "What each budget buys (optimal "
                            "weighted outcome)", "Budget £m", "Weighted outcome")
        if curve.attrs.get("sectors"):
            row = _sector_mix_chart(ws, curve, row)
    prices = analyses.price_of_rules
    if prices is not None and len(prices):
        write_cell(ws, row, 1, "Price of each rule").font = Font(bold=True)
        col = "price" if "price" in prices.columns else prices.columns[-1]
        label = "title" if "title" in prices.columns else prices.columns[0]
        frame = pd.DataFrame({"Rule": prices[label], "Outcome given up": prices[col]})
        first = row + 1
        last = write_frame(ws, frame, top=first, filters=False,
                           formats={"Outcome given up": NUMBER})
        bar = BarChart()
        bar.type = "bar"
        row = _chart_beside(ws, bar, first, last, "The price of each rule (weighted outcome "
                            "given up)", "Rule", "Weighted outcome")
    frontier = analyses.pareto
    if frontier is not None and len(frontier.dropna(subset=["first", "second"])):
        row = _pareto_chart(ws, frontier, row)
    if analyses.flexibility is not None and len(analyses.flexibility):
        row = _flexibility_chart(ws, analyses.flexibility, inputs_names(results), row)
    mc = analyses.monte_carlo
    if mc is not None and "outcomes" in mc:
        _distribution_chart(ws, mc["outcomes"], row)
    ws.column_dimensions["A"].width = 42


def sector_mix(curve: pd.DataFrame) -> pd.DataFrame:
    """First-year spend by sector at each budget of the curve (£m): the app's "where each
    extra pound goes" (:func:`budgetopt.reports.charts.sector_mix`), a column per sector."""
    sectors = curve.attrs["sectors"]
    return pd.DataFrame({"Budget £m": curve["budget_m"].to_numpy(),
                         **{sector_label(s): curve[f"spend_{s}"].to_numpy() for s in sectors}})


def _sector_mix_chart(ws, curve: pd.DataFrame, row: int) -> int:
    """Stacked areas of first-year spend by sector against the budget, each sector in its
    own colour (the app's and the board paper's)."""
    sectors = curve.attrs["sectors"]
    frame = sector_mix(curve)
    write_cell(ws, row, 1, "Where each extra pound goes: first-year spend by sector"
               ).font = Font(bold=True)
    first = row + 1
    last = write_frame(ws, frame, tuple(frame.columns), top=first, filters=False)
    chart = AreaChart()
    chart.grouping = "stacked"
    return _chart_beside(ws, chart, first, last, "Where each extra pound goes: spend by "
                         "sector against the budget", "Pooled budget in the first year (£m)",
                         "First-year spend (£m)", max_col=1 + len(sectors),
                         colours=sector_series(sectors))


def inputs_names(results: Results) -> dict[str, str]:
    """Each service's name, from the allocation."""
    return dict(zip(results.allocation["service_id"], results.allocation["name"]))


def _flexibility_chart(ws, flex: pd.DataFrame, names: dict[str, str], row: int) -> int:
    """The flexibility range of each service in the first year: a bar from the least to the
    most it can receive within the slack (an unfilled bar up to the least, stacked), and the
    plan's figure in the table."""
    year = flex["year"].iloc[0]
    part = flex[flex["year"] == year].sort_values("max_m")
    slack = flex.attrs.get("slack", 0.01)
    write_cell(ws, row, 1, f"What else is nearly as good: each service's range in {year} with "
               f"the outcome within {slack:.0%} of the best").font = Font(bold=True)
    frame = pd.DataFrame({"Service": [names.get(s, s) for s in part["service_id"]],
                          "Least £m": part["min_m"].to_numpy(),
                          "Range within the slack £m": (part["max_m"] - part["min_m"]).to_numpy(),
                          "The plan £m": part["spend_m"].to_numpy(),
                          "Most £m": part["max_m"].to_numpy()})
    first = row + 1
    last = write_frame(ws, frame, top=first, filters=False, formats={
        c: POUNDS_M for c in frame.columns if c != "Service"})
    bar = BarChart()
    bar.type, bar.grouping, bar.overlap = "bar", "stacked", 100
    out = _chart_beside(ws, bar, first, last, "Flexibility: the least and the most each "
                        "service can receive at almost the same outcome", "Service", "£m",
                        max_col=3)
    bar.series[0].graphicalProperties.noFill = True  # the bar starts at the least
    bar.series[0].graphicalProperties.line.noFill = True
    return out


def _pareto_chart(ws, frontier: pd.DataFrame, row: int) -> int:
    a, b = frontier.attrs["first"], frontier.attrs["second"]
    base = frontier.attrs.get("baseline", {})
    write_cell(ws, row, 1, f"Pareto frontier: {a['label']} against {b['label']}"
               ).font = Font(bold=True)
    ok = frontier.dropna(subset=["first", "second"])
    frame = pd.DataFrame({b["label"]: ok["second"], a["label"]: ok["first"]})
    first = row + 1
    last = write_frame(ws, frame, top=first, filters=False, formats={
        a["label"]: "#,##0.0", b["label"]: "#,##0.0"})
    if base:
        write_cell(ws, last + 1, 1, base["second"]).number_format = "#,##0.0"
        write_cell(ws, last + 1, 2, base["first"]).number_format = "#,##0.0"
        write_cell(ws, last + 1, 3, "current allocation" + (" (dominated)"
                                                            if base["dominated"] else ""))
    chart = ScatterChart()
    frontier_series = Series(Reference(ws, min_col=2, min_row=first + 1, max_row=last),
                             Reference(ws, min_col=1, min_row=first + 1, max_row=last),
                             title="Best possible (frontier)")
    chart.series.append(frontier_series)
    if base:
        current = Series(Reference(ws, min_col=2, min_row=last + 1),
                         Reference(ws, min_col=1, min_row=last + 1), title="Current allocation")
        current.marker.symbol = "x"
        current.marker.size = 10
        current.graphicalProperties.line.noFill = True
        chart.series.append(current)
    chart.style = 13
    _style(chart, "Trade-off frontier (every rule kept)", b["label"], a["label"])
    ws.add_chart(chart, f"F{first}")
    return max(last + 1, first + 22) + 2


def _distribution_chart(ws, outcomes: pd.DataFrame, row: int) -> int:
    values = outcomes["central_plan"].to_numpy(float)
    counts, edges = np.histogram(values, bins=20)
    write_cell(ws, row, 1, f"Outcome of this plan over {len(values):,} samples of the effects"
               ).font = Font(bold=True)
    frame = pd.DataFrame({"Weighted outcome (bin centre)": (edges[:-1] + edges[1:]) / 2,
                          "Samples": counts})
    first = row + 1
    last = write_frame(ws, frame, top=first, filters=False,
                       formats={"Weighted outcome (bin centre)": NUMBER})
    bar = BarChart()
    bar.gapWidth = 10
    return _chart_beside(ws, bar, first, last, "Uncertainty: weighted outcome of this plan "
                         "across samples", "Weighted outcome", "Samples")


def _chart_beside(ws, chart, first: int, last: int, title: str, x: str, y: str,
                  max_col: int = 2, colours: tuple[str, ...] = SERIES) -> int:
    """Chart columns 2..max_col (header on row `first`) against column 1, placed beside the
    table; return the first free row below both."""
    chart.add_data(Reference(ws, min_col=2, max_col=max_col, min_row=first, max_row=last),
                   titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=first + 1, max_row=last))
    _style(chart, title, x, y, colours)
    ws.add_chart(chart, f"F{first}")
    return max(last, first + 22) + 2


__all__ = ["POUNDS_M", "Analyses", "fair_shares_distance", "sector_spend", "write_bcf_workbook"]
