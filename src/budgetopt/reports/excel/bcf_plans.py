"""One BCF plan workbook per Health and Wellbeing Board (``budgetopt solve --bcf-dir DIR``).

``DIR/<hwb_id>.xlsx`` for each HWB of the data set's places (``DIR/ics.xlsx`` when the data
has no HWBs), each with the tabs of :data:`budgetopt.reports.excel.bcf_layout.SHEETS`:
Summary, Income, Expenditure, National Conditions, Metrics, Capacity and Demand. The
expenditure per year adds up, to the penny, to the solve's spend in that board's places that
year (:func:`hwb_flows` rounds each line so that it does); the national conditions' checks
are formulas over the board's own Income and Expenditure sheets (ids matched exactly, never as
SUMIFS patterns); every input value is written as a value, never a formula
(:func:`budgetopt.reports.export.write_cell`). The folder is written whole or not at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from budgetopt import __version__
from budgetopt.data.inputs import Inputs
from budgetopt.errors import InputError, Problem
from budgetopt.families.bcf_rules import RuleSet, rule_set
from budgetopt.model.data import ICS_WIDE, ModelData
from budgetopt.reports.excel import bcf_layout as L
from budgetopt.reports.excel.layout import FIRST_ROW, HEADER_ROW, INPUT_FILL, POUNDS
from budgetopt.reports.excel.workbook import (
    ExpenditureRefs,
    _expenditure,
    _is,
    _list_column,
    _lists_sheet,
    _policy_of,
    compare,
    finish,
    status_colours,
    status_formula,
)
from budgetopt.reports.export import write_cell
from budgetopt.results.tables import Results

ICS_PLAN = "ics"
"""The one plan's id (and file name) when the data set has no HWBs."""

RELEASE_NAME = "Acute funding released by the shift"
_UNSAFE = re.compile(r'[\x00-\x1f/\\:*?"<>|]')


# -- which board each place and each pound belongs to ---------------------------------------------


def place_hwbs(inputs: Inputs) -> dict[str, str]:
    """{place_id: hwb_id} (``places.hwb_id``); a place without one in :data:`ICS_PLAN`."""
    if not inputs.has_places:
        return {ICS_WIDE: ICS_PLAN}
    return {p: (h or ICS_PLAN) for p, h in inputs.hwb_of_place().items()}


def hwb_names(inputs: Inputs) -> dict[str, str]:
    """{hwb_id: name} of each plan (the ``hwbs`` table's names, else the ids)."""
    table = inputs.hwb_table()
    names = dict(zip(table["hwb_id"], table["name"]))
    ids = list(dict.fromkeys(place_hwbs(inputs).values()))
    return {h: names.get(h, "Integrated care system" if h == ICS_PLAN else h) for h in ids}


def check_file_names(inputs: Inputs) -> None:
    """Each HWB id must make a safe file name, unique whatever the case (bad input, exit 2)."""
    places = inputs.places if inputs.has_places else None
    if places is None or "hwb_id" not in places.columns:
        return
    problems, seen = [], {}
    for i, h in enumerate(places["hwb_id"], start=2):
        if h is None or (isinstance(h, float) and np.isnan(h)) or str(h).strip() == "":
            continue
        h = str(h).strip()
        if _UNSAFE.search(h) or h.startswith(".") or len(h) > 100:
            problems.append(Problem("places", "cannot name a BCF plan file (no / \\ : * ? \" "
                                    "< > |, control characters or leading dot; at most 100 "
                                    "characters)", row=i, column="hwb_id", value=h))
        other = seen.setdefault(h.casefold(), h)
        if other != h:
            problems.append(Problem("places", f"differs from '{other}' only by case: their BCF "
                                    "plan files would be one file on many systems",
                                    row=i, column="hwb_id", value=h))
    if problems:
        raise InputError(problems)


def hwb_spend(results: Results, inputs: Inputs) -> pd.DataFrame:
    """The allocation with the board of each place: ``hwb_id, service_id, year, spend_m``."""
    a = results.allocation.assign(spend_m=results.allocation["spend_m"].fillna(0.0))
    place = a["place_id"].astype(object).where(a["place_id"].notna(), ICS_WIDE)
    hwb = place.map(place_hwbs(inputs)).fillna(ICS_PLAN)
    return (a.assign(hwb_id=hwb).groupby(["hwb_id", "service_id", "year"], sort=False)
            ["spend_m"].sum().reset_index())


def _source_hwb(inputs: Inputs) -> dict[tuple[str, str], str | None]:
    """{(source_id, year): hwb_id or None (ICS-wide money)} from ``funding.hwb_id``."""
    return inputs.hwb_of_funding()


def hwb_flows(results: Results, inputs: Inputs) -> pd.DataFrame:
    """Who pays for each board's spend: ``hwb_id, source_id, service_id, year, amount_m``.

    Each board's spend on a service (its places' allocation) is paid by the service's funding
    flows: a source of that board's own pool first, ICS-wide money for the rest, in
    proportion. Where the results carry each flow's board (an ``hwb_id`` column), those
    amounts are the shares. Each line is then rounded to the penny so that a board's lines
    add up, to the penny, to its spend in each year (largest remainders get the odd pennies).
    """
    spend = hwb_spend(results, inputs)  # no solved plan (infeasible, say): nothing is spent
    flows = results.funding_flows.assign(amount_m=results.funding_flows["amount_m"].fillna(0.0))
    owner = _source_hwb(inputs)
    by_key = {k: g for k, g in flows.groupby(["service_id", "year"], sort=False)}
    rows = []
    for (sid, year), part in spend.groupby(["service_id", "year"], sort=False):
        need = dict(zip(part["hwb_id"], part["spend_m"].astype(float)))
        f = by_key.get((sid, year))
        if f is None or not len(f):
            continue
        shares = _split(f, need, owner, year)
        every: dict[str, float] = {}
        for src, amt in zip(f["source_id"], f["amount_m"].astype(float)):
            every[src] = every.get(src, 0.0) + amt
        for h, amount in need.items():
            weights = shares.get(h) or {}
            if sum(weights.values()) <= 0:  # flows that do not say: every source in proportion
                weights = every
            total = sum(weights.values())
            if amount <= 0 or total <= 0:
                continue
            rows += [(h, src, sid, year, amount * w / total) for src, w in weights.items()]
    out = pd.DataFrame(rows, columns=["hwb_id", "source_id", "service_id", "year", "amount_m"])
    return _to_pennies(out, spend)


def _split(f: pd.DataFrame, need: dict[str, float], owner: dict, year: str
           ) -> dict[str, dict[str, float]]:
    """{hwb: {source: weight}} for one service-year's flows `f`."""
    if "hwb_id" in f.columns:  # the solve says which board each flow pays for
        out: dict[str, dict[str, float]] = {}
        for h, src, amt in zip(f["hwb_id"], f["source_id"], f["amount_m"]):
            h = ICS_PLAN if h is None or pd.isna(h) else h  # a place of no board
            if h not in need and len(need) == 1:
                h = next(iter(need))
            if h in need:
                out.setdefault(h, {})[src] = out.get(h, {}).get(src, 0.0) + float(amt)
        return out
    out = {h: {} for h in need}
    left = dict(need)
    shared = []
    for src, amt in zip(f["source_id"], f["amount_m"].astype(float)):
        h = owner.get((src, year))
        if h in need:  # the board's own pool pays for its own places only
            out[h][src] = out[h].get(src, 0.0) + amt
            left[h] = max(left[h] - amt, 0.0)
        else:
            shared.append((src, amt))
    rest, everything = sum(left.values()), max(sum(need.values()), 1e-300)
    for src, amt in shared:
        for h, wanted in need.items():
            w = left[h] / rest if rest > 1e-12 else wanted / everything
            if w > 0:
                out[h][src] = out[h].get(src, 0.0) + amt * w
    return out


def _to_pennies(lines: pd.DataFrame, spend: pd.DataFrame) -> pd.DataFrame:
    """Round each line to whole pennies so that each board-year's lines add up to its spend
    rounded to the penny (the largest remainders take the odd pennies)."""
    lines = lines.copy()
    pennies = lines["amount_m"].to_numpy(float) * 1e8
    floor = np.floor(pennies + 1e-6)
    lines["p"] = floor
    lines["frac"] = pennies - floor
    target = (spend.groupby(["hwb_id", "year"], sort=False)["spend_m"].sum() * 1e8).round()
    for (h, y), idx in lines.groupby(["hwb_id", "year"], sort=False).groups.items():
        short = round(target.get((h, y), 0.0) - lines.loc[idx, "p"].sum())
        order = lines.loc[idx, "frac"].sort_values(ascending=False).index
        if short < 0:
            order = order[::-1]
        each, odd = divmod(abs(short), len(order))  # each: 0 unless the lines missed a lot
        step = 1 if short > 0 else -1
        lines.loc[order, "p"] += step * each
        lines.loc[order[:odd], "p"] += step
    lines["amount_m"] = lines["p"] / 1e8
    return lines.drop(columns=["p", "frac"]).reset_index(drop=True)


# -- the workbooks --------------------------------------------------------------------------------


def write_bcf_plans(results: Results, inputs: Inputs, folder: str | Path) -> list[Path]:
    """Write ``<hwb_id>.xlsx`` for each board into `folder` (created); return the paths."""
    check_file_names(inputs)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    names = hwb_names(inputs)
    flows = hwb_flows(results, inputs)
    spend = hwb_spend(results, inputs)
    outcomes = _hwb_outcomes(results, inputs)
    years = [y for y in inputs.years if y in set(results.allocation["year"])] or list(
        inputs.years)
    rules, chosen = _rule_set(results, years)
    data = _model_data(results, inputs)
    paths = []
    for h, name in names.items():
        path = folder / f"{h}.xlsx"
        write_bcf_plan(Plan(h, name, years, flows[flows["hwb_id"] == h],
                            spend[spend["hwb_id"] == h], outcomes.get(h), rules, chosen, data),
                       results, inputs, path)
        paths.append(path)
    return paths


def _model_data(results: Results, inputs: Inputs) -> ModelData | None:
    """The model data of the policy the results were solved under (None: the results do not
    carry their policy, or the data no longer passes it)."""
    from budgetopt.model.data import prepare

    policy = _policy_of(results)
    if policy is None:
        return None
    try:
        return prepare(inputs, policy)
    except InputError:
        return None


def _rule_set(results: Results, years: list[str]) -> tuple[RuleSet, bool]:
    """The BCF rule set the policy model chose (and True), else the newest shipped set that
    covers the plan years, or :data:`bcf_layout.DEFAULT_RULE_SET` (and False)."""
    from budgetopt.families.bcf_rules import rule_set_ids, rule_set_problems

    policy = _policy_of(results)
    chosen = policy.bcf.rules if policy is not None else None
    if chosen:
        return rule_set(chosen), True
    fits = [r for r in rule_set_ids() if not rule_set_problems(r, tuple(years))]
    return rule_set(fits[-1] if fits else L.DEFAULT_RULE_SET), False


def bcf_plans_zip(results: Results, inputs: Inputs) -> bytes:
    """The per-HWB workbooks of :func:`write_bcf_plans` as one zip (the app's download)."""
    import io
    import tempfile
    import zipfile

    with tempfile.TemporaryDirectory(prefix="budgetopt-bcf-") as tmp:
        paths = write_bcf_plans(results, inputs, Path(tmp) / "plans")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
            for path in paths:
                z.write(path, arcname=path.name)
    return buffer.getvalue()


@dataclass(frozen=True)
class Plan:
    """One board's share of the solve."""

    hwb_id: str
    name: str
    years: list[str]
    flows: pd.DataFrame  # hwb_id, source_id, service_id, year, amount_m (pennies)
    spend: pd.DataFrame  # hwb_id, service_id, year, spend_m
    outcomes: pd.DataFrame | None  # metric_id, year, value, baseline_value
    rules: RuleSet  # the BCF rule set: its national conditions and streams
    rules_chosen: bool  # chosen by the policy model (else the default, for its conditions)
    data: ModelData | None = None  # the solve's model data (its goals, its capacity rule)


def write_bcf_plan(plan: Plan, results: Results, inputs: Inputs, path: Path) -> None:
    """One board's workbook, its tabs in :data:`bcf_layout.SHEETS` order."""
    wb = Workbook()
    summary = wb.active
    summary.title = L.SUMMARY.name
    income = _income(wb.create_sheet(L.INCOME.name), plan, inputs)
    exp = _expenditure(wb.create_sheet(L.EXPENDITURE.name), plan.flows, inputs, plan.years,
                       title=L.EXPENDITURE.title.format(hwb=plan.name),
                       note="")
    _note(wb[L.EXPENDITURE.name], f"{L.FOLLOWS} {L.EXPENDITURE.note}", 12)
    statuses = _conditions(wb.create_sheet(L.CONDITIONS.name), plan, results, inputs, exp,
                           income)
    _metrics(wb.create_sheet(L.METRICS.name), plan, inputs)
    _capacity(wb.create_sheet(L.CAPACITY.name), plan, inputs, exp)
    _local_rules(wb.create_sheet(L.LOCAL.name), plan, exp, income)
    _summary(summary, plan, results, inputs, exp, income, statuses)
    finish(wb)
    wb.save(path)


def _heading(ws, sheet: L.Sheet, plan: Plan, years: list[str] | None = None) -> list[str]:
    """Title, the layout line and the header row of `sheet`; return the header texts."""
    write_cell(ws, 1, 1, sheet.title.format(hwb=plan.name)).font = Font(bold=True, size=14)
    cols = L.headers(sheet, years or plan.years)
    _note(ws, f"{L.FOLLOWS} {sheet.note}", len(cols))
    for j, (col, _y, text) in enumerate(cols, start=1):
        c = write_cell(ws, HEADER_ROW, j, text)
        c.font = Font(bold=True)
        c.alignment = Alignment(wrap_text=True, vertical="top")
        ws.column_dimensions[get_column_letter(j)].width = col.width
    ws.row_dimensions[HEADER_ROW].height = 32
    ws.freeze_panes = f"A{FIRST_ROW}"
    return [text for _, _, text in cols]


def _note(ws, text: str, columns: int) -> None:
    """Row 2: the layout year and how the sheet works, wrapped across the sheet's columns
    (so that it does not widen the printed page)."""
    c = write_cell(ws, 2, 1, text)
    c.font = Font(italic=True, color="555555")
    c.alignment = Alignment(wrap_text=True, vertical="top")
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=max(columns, 4))
    ws.row_dimensions[2].height = 45


def _drop_down(ws, letter: str, header: str, choices: tuple[str, ...], first: int, last: int
               ) -> None:
    lists = ws.parent["Lists"] if "Lists" in ws.parent.sheetnames else _lists_sheet(ws.parent)
    lcol = _list_column(lists, header, choices)
    dv = DataValidation(type="list", formula1=f"Lists!${lcol}$2:${lcol}${len(choices) + 1}",
                        allow_blank=True, showErrorMessage=True, errorTitle=header,
                        error=f"Choose a {header} from the list.")
    dv.add(f"{letter}{first}:{letter}{last}")
    ws.add_data_validation(dv)


# -- Income ---------------------------------------------------------------------------------------


def _income(ws, plan: Plan, inputs: Inputs) -> dict[tuple[str, str], str]:
    """The board's own pool by source and year, then the ICS-wide money its schemes use.
    Returns the cell of each (source_id or "TOTAL", year)."""
    headers = _heading(ws, L.INCOME, plan)
    fund = inputs.funding[inputs.funding["year"].isin(plan.years)]
    owner = _source_hwb(inputs)
    own = [(s, y) for s, y in zip(fund["source_id"], fund["year"])
           if owner.get((s, y)) == plan.hwb_id
           or (plan.hwb_id == ICS_PLAN and owner.get((s, y)) is None and not _has_hwbs(inputs))]
    own_ids = list(dict.fromkeys(s for s, _ in own))
    used = plan.flows.groupby(["source_id", "year"])["amount_m"].sum()
    shared = [s for s in dict.fromkeys(plan.flows["source_id"]) if s not in own_ids]
    first_of = inputs.funding.drop_duplicates("source_id").set_index("source_id")
    two_tier = _two_tier(inputs, plan.hwb_id)
    cells: dict[tuple[str, str], str] = {}
    row = FIRST_ROW
    for sid in own_ids + shared:
        mine = sid in own_ids
        known = sid in first_of.index
        values = {
            "stream": first_of.loc[sid].get("bcf_source", "Other") if known else "Other",
            "name": first_of.loc[sid, "name"] if known else RELEASE_NAME,
            "pool": "This board's pool" if mine else "ICS-wide (the part used here)",
            "capital": ((L.CAPITAL_TO_DISTRICTS if mine and two_tier else "Capital")
                        if known and first_of.loc[sid].get("bcf_source") in
                        plan.rules.capital_sources else "Revenue"),
            "source_id": sid,
        }
        for j, (col, year, _h) in enumerate(L.headers(L.INCOME, plan.years), start=1):
            if col.per_year:
                if mine:
                    amt = fund.loc[(fund["source_id"] == sid) & (fund["year"] == year),
                                   "amount_m"].sum()
                else:
                    amt = used.get((sid, year), 0.0)
                c = write_cell(ws, row, j, round(float(amt) * 1e6, 2))
                cells[(sid, year)] = f"{quote_sheetname(L.INCOME.name)}!${get_column_letter(j)}${row}"
            else:
                c = write_cell(ws, row, j, values[col.key])
            if col.number_format:
                c.number_format = col.number_format
            if col.choices:
                c.fill = PatternFill("solid", fgColor=INPUT_FILL)
        row += 1
    last = max(row - 1, FIRST_ROW)
    total = last + 2
    write_cell(ws, total, 2, "Total").font = Font(bold=True)
    for j, (col, year, _h) in enumerate(L.headers(L.INCOME, plan.years), start=1):
        letter = get_column_letter(j)
        if col.per_year:
            c = ws.cell(row=total, column=j, value=f"=SUM({letter}{FIRST_ROW}:{letter}{last})")
            c.number_format, c.font = POUNDS, Font(bold=True)
            cells[("TOTAL", year)] = f"{quote_sheetname(L.INCOME.name)}!${letter}${total}"
        if col.choices:
            _drop_down(ws, letter, col.header, col.choices, FIRST_ROW, last + 50)
    del headers
    return cells


def _two_tier(inputs: Inputs, hwb_id: str) -> bool:
    """Whether the board is a county with district councils (``hwbs.two_tier``): its DFG is
    passed to the districts."""
    table = inputs.hwb_table()
    flags = dict(zip(table["hwb_id"], table["two_tier"]))
    return bool(flags.get(hwb_id, False))


def _has_hwbs(inputs: Inputs) -> bool:
    return inputs.has_hwbs


# -- National Conditions --------------------------------------------------------------------------


def _conditions(ws, plan: Plan, results: Results, inputs: Inputs, exp: ExpenditureRefs,
                income: dict[tuple[str, str], str]) -> str:
    """The rule set's national conditions: assurance answers (yellow Yes/No cells) and the
    grant and funding condition's checks as formulas. Returns the range of the status cells."""
    headers = _heading(ws, L.CONDITIONS, plan)
    col = {c.key: get_column_letter(j) for j, c in enumerate(L.CONDITIONS.columns, start=1)}
    row = FIRST_ROW
    fill = PatternFill("solid", fgColor=INPUT_FILL)
    answers = []
    for number, cond in enumerate(plan.rules.conditions, start=1):
        label = f"{number}. {cond.title}"
        if cond.id != L.FUNDING_CONDITION:
            write_cell(ws, row, 1, label)
            write_cell(ws, row, 2, cond.text or cond.title)
            answer = ws[f"{col['figure']}{row}"]
            answer.fill, answer.number_format = fill, "General"
            write_cell(ws, row, 5, "answered")
            write_cell(ws, row, 6, "Yes").number_format = "General"
            f = f"{col['figure']}{row}"
            ws[f"{col['status']}{row}"] = (f'=IF({f}="Yes","Met",IF({f}="No","Not met",'
                                           '"To answer"))')
            write_cell(ws, row, 8, "The board's answer in the yellow cell (Yes or No).")
            answers.append(row)
            row += 1
        else:
            for req, year, figure, test, limit, how in _funding_checks(plan, results, inputs,
                                                                       exp, income):
                write_cell(ws, row, 1, label)
                write_cell(ws, row, 2, req)
                write_cell(ws, row, 3, year)
                ws.cell(row=row, column=4, value=figure).number_format = POUNDS
                write_cell(ws, row, 5, {"<=": "at most", ">=": "at least"}[test])
                ws.cell(row=row, column=6, value=limit).number_format = POUNDS
                ws[f"{col['status']}{row}"] = status_formula(
                    compare(f"{col['figure']}{row}", test, f"{col['limit']}{row}", 1))
                write_cell(ws, row, 8, how)
                row += 1
    last = row - 1
    for r in answers:
        _drop_down(ws, col["figure"], "Assurance", L.ASSURANCE, r, r)
    status_colours(ws, col["status"], FIRST_ROW, last)
    ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(headers))}{last}"
    letter = col["status"]
    return f"{quote_sheetname(L.CONDITIONS.name)}!${letter}${FIRST_ROW}:${letter}${last}"


def _funding_checks(plan: Plan, results: Results, inputs: Inputs, exp: ExpenditureRefs,
                    income: dict[tuple[str, str], str]) -> list[tuple]:
    """(requirement, year, figure, test, limit, how) of condition 3's checks."""
    ids = exp.range("budgetopt source id")
    out = []
    sources = list(dict.fromkeys(s for s, _y in income if s != "TOTAL"))
    names = inputs.funding.drop_duplicates("source_id").set_index("source_id")["name"]
    for y in plan.years:
        spend = exp.range(f"Expenditure (£) {y}")
        out.append(("Planned expenditure within this board's income", y, f"=SUM({spend})",
                    "<=", f"={income[('TOTAL', y)]}", ("Expenditure total against Income total.")))
        for s in sources:
            out.append((f"Spend from {names.get(s, RELEASE_NAME)} within its income", y,
                        f"=SUMPRODUCT({_is(ids, s)}*{spend})", "<=", f"={income[(s, y)]}",
                        "This source's lines (id matched exactly) against its income."))
    out += _stream_checks(plan, inputs, exp, sources)
    out += _asc_floor(plan, results, inputs, exp)
    return out


def _stream_checks(plan: Plan, inputs: Inputs, exp: ExpenditureRefs, sources: list[str]
                   ) -> list[tuple]:
    """Each stream that pays only for some schemes (the DFG for DFG Related Schemes, the Local
    Authority Better Care Grant for social care) spends nothing on others: as the solve holds
    it, for sources without eligibility rows of their own under a chosen rule set."""
    if not plan.rules_chosen:
        return []
    own_rows = set(inputs.eligibility["source_id"])
    bcf = inputs.funding.drop_duplicates("source_id").set_index("source_id")["bcf_source"]
    ids, area, kind = (exp.range("budgetopt source id"), exp.range("Area of Spend"),
                       exp.range("Scheme Type"))
    names = inputs.funding.drop_duplicates("source_id").set_index("source_id")["name"]
    out = []
    for s in sources:
        stream = plan.rules.stream(bcf.get(s, ""))
        if s in own_rows or stream is None or stream.pays_for == "any":
            continue
        pf = stream.pays_for
        fits = "+".join([_is(area, a) for a in pf.area_of_spend]
                        + [_is(kind, t) for t in pf.scheme_type]) or "0"
        what = " or ".join([*pf.area_of_spend, *pf.scheme_type])
        for y in plan.years:
            spend = exp.range(f"Expenditure (£) {y}")
            out.append((f"{names.get(s, s)} spent only on {what}", y,
                        f"=SUMPRODUCT({_is(ids, s)}*(({fits})=0)*{spend})", "<=", 0.0,
                        f"This source's lines on other schemes ({plan.rules.id} rules)."))
    return out


def _asc_floor(plan: Plan, results: Results, inputs: Inputs, exp: ExpenditureRefs
               ) -> list[tuple]:
    """The NHS minimum contribution to adult social care (and, where a plan states one, to
    NHS-commissioned out-of-hospital services) at least its floor: the board's own as the
    solve states it (its ``bcf_asc_hwb`` / ``bcf_ooh_hwb`` rows) where the data set has
    boards, else the policy model's (``rules.bcf_conditions.asc_min_m``, the whole ICS's).
    Each figure is the ICS workbook's own formula for the same requirement
    (:func:`budgetopt.reports.excel.workbook._term`): adult social care counts the source's
    Social Care lines, out-of-hospital its lines at their NHS share, acute care left out."""
    from budgetopt.families.bcf_conditions import NHS_MINIMUM, nhs_minimum_sources
    from budgetopt.families.common import year_value
    from budgetopt.families.family import Spend
    from budgetopt.reports.excel.workbook import _term

    policy = _policy_of(results)
    floors: list[tuple[str, dict]] = []  # (what, {year: £m})
    if inputs.has_hwbs:
        c = results.constraints
        fund = plan.flows.merge(inputs.funding.drop_duplicates("source_id")[
            ["source_id", "bcf_source"]], on="source_id", how="left")
        sources = sorted(set(fund.loc[fund["bcf_source"] == NHS_MINIMUM, "source_id"]))
        for component, what in (("bcf_asc_hwb", "adult social care"),
                                ("bcf_ooh_hwb", "NHS-commissioned out-of-hospital services")):
            solved = (c[(c["component"] == component) & (c["hwb_id"] == plan.hwb_id)]
                      if "hwb_id" in c.columns else c.iloc[:0])
            # the solve's own floor for this board (its minimum risen by the uplift), where
            # the policy holds the plan to it (a floor not held would be red by design)
            floors.append((what, dict(zip(solved["year"], solved["limit"].astype(float)))))
        whose = "the board's floor in the solve (with the uplift)"
    else:
        if policy is None or not policy.enabled("bcf_conditions"):
            return []
        floor = policy.rules.bcf_conditions.asc_min_m
        if plan.data is None:
            return []
        sources = nhs_minimum_sources(plan.data)
        floors.append(("adult social care", {y: year_value(floor, y) for y in plan.years}
                       if floor is not None else {}))
        whose = "the policy model's floor"
    out = []
    for what, by_year in floors:
        social = what == "adult social care"
        for y, limit in by_year.items():
            if limit is None or not sources:
                continue
            term = (Spend(y, sources=tuple(sources), area="Social Care") if social
                    else Spend(y, sources=tuple(sources), nhs_share=True))
            lines = "Social Care lines" if social else "lines at their NHS share (not acute)"
            out.append((f"NHS minimum contribution to {what}", y,
                        f"={_term(term, exp, {}, 1e6)}", ">=", round(float(limit) * 1e6, 2),
                        f"Its {lines} against {whose}."))
    return out


# -- Metrics and Capacity and Demand --------------------------------------------------------------


def _hwb_outcomes(results: Results, inputs: Inputs) -> dict[str, pd.DataFrame]:
    """{hwb_id: metric_id, year, value, baseline_value}: each board's places' outcomes.

    One board: the solve's own outcomes. Several: each board's spend (and its baseline) on
    each curve, filled in band order, as the solve values the baseline."""
    names = hwb_names(inputs)
    out = results.outcomes[["metric_id", "year", "value", "baseline_value"]]
    if len(names) == 1:
        return {next(iter(names)): out}
    from budgetopt.model.data import fill_in_order, prepare
    from budgetopt.results.tables import _outcomes

    policy = _policy_of(results)
    if policy is None:
        return {}
    try:
        data = prepare(inputs, policy)
    except InputError:
        return {}
    hwb_of = place_hwbs(inputs)
    seg_hwb = data.segments["place_id"].map(hwb_of).to_numpy()
    alloc = results.allocation.assign(amount_m=results.allocation["spend_m"],
                                      place_id=results.allocation["place_id"].fillna(ICS_WIDE))
    x = fill_in_order(data, alloc)
    base = fill_in_order(data, data.baseline)
    keys = pd.MultiIndex.from_product([inputs.metrics["metric_id"], list(data.years)],
                                      names=["metric_id", "year"])
    frames = {}
    for h in names:
        mask = seg_hwb == h
        frames[h] = pd.DataFrame({
            "value": _outcomes(data, np.where(mask, x, 0.0)).reindex(keys, fill_value=0.0),
            "baseline_value": _outcomes(data, np.where(mask, base, 0.0)).reindex(
                keys, fill_value=0.0)}).reset_index()
    return frames


def _metrics(ws, plan: Plan, inputs: Inputs) -> None:
    """Each metric's outcome in this board's places (national first), the board's goal from
    the policy's targets with a live Met / Not met, and the change in the reported level."""
    _heading(ws, L.METRICS, plan)
    if plan.outcomes is None:
        write_cell(ws, FIRST_ROW, 1, "The outcomes by board could not be worked out: the "
                   "policy the results were solved under is not in them.")
        return
    from budgetopt.families.targets import goals

    m = inputs.metrics.set_index("metric_id")
    out = plan.outcomes.copy()
    out["national"] = [bool(m.loc[i].get("bcf_metric", False)) for i in out["metric_id"]]
    out = out.sort_values("national", ascending=False, kind="stable")
    goal_of = goals(plan.data) if plan.data is not None else {}
    board = "" if plan.hwb_id == ICS_PLAN else plan.hwb_id
    share = _population_share(inputs, plan.hwb_id)
    col = {c.key: get_column_letter(j) for j, c in enumerate(L.METRICS.columns, start=1)}
    row = FIRST_ROW
    for r in out.itertuples(index=False):
        metric = m.loc[r.metric_id]
        goal = goal_of.get((r.metric_id, r.year, board), [])
        # a min and a max of the same metric-year: the row shows the min, the sheet's one goal
        test, limit = (goal[0] if goal else (None, None))
        per = metric.get("level_per_outcome")
        per_h = (float(per) / share if per is not None and pd.notna(per) and share > 0
                 else None)
        g, f, c = (f"{col[k]}{row}" for k in ("goal", "planned", "change"))
        values = {"metric": metric["name"], "national": "yes" if r.national else "no",
                  "unit": metric.get("unit", ""), "year": r.year,
                  "baseline": float(r.baseline_value), "planned": float(r.value),
                  "goal_test": {">=": "at least", "<=": "at most", None: ""}[test],
                  "goal": limit,
                  "level_unit": (metric.get("level_unit") or "") if per_h is not None else ""}
        formulas = {"change": f"={f}-{col['baseline']}{row}",
                    "goal_met": (_status_unless_blank(g, compare(f, test, g, 0.001))
                                 if test else None),
                    "level_change": f"={c}*{per_h!r}" if per_h is not None else None}
        for j, column in enumerate(L.METRICS.columns, start=1):
            if column.key in formulas:
                cell = ws.cell(row=row, column=j, value=formulas[column.key])
            else:
                cell = write_cell(ws, row, j, values[column.key])
            if column.number_format:
                cell.number_format = column.number_format
        row += 1
    if row > FIRST_ROW:
        status_colours(ws, col["goal_met"], FIRST_ROW, row - 1)


def _status_unless_blank(cell: str, cond: str) -> str:
    """A status formula (Met / Not met on `cond`) that stays blank while `cell` is blank."""
    return f'=IF({cell}="","",{status_formula(cond)[1:]})'


def _population_share(inputs: Inputs, hwb_id: str) -> float:
    """The board's share of the places' population (1 for the one ICS-wide plan): how the
    Metrics sheet turns an ICS-wide level per outcome into the board's own."""
    if hwb_id == ICS_PLAN or not inputs.has_places or "population" not in inputs.places:
        return 1.0
    pop = inputs.places.assign(hwb=inputs.places["place_id"].map(place_hwbs(inputs)))
    total = float(pop["population"].sum())
    mine = float(pop.loc[pop["hwb"] == hwb_id, "population"].sum())
    return mine / total if total > 0 else 1.0


def _scheme_spend(exp: ExpenditureRefs, sid: str, year: str) -> str:
    """A formula body: the Expenditure sheet's spend on scheme `sid` in `year` (£)."""
    return f"SUMPRODUCT({_is(exp.range('Scheme ID'), sid)}*{exp.range(f'Expenditure (£) {year}')})"


def _capacity(ws, plan: Plan, inputs: Inputs, exp: ExpenditureRefs) -> None:
    """Each intermediate-care scheme's spend (a formula over the Expenditure sheet) and the
    capacity it buys at its unit cost; then, where the data set has a demand table, each
    pathway's capacity (spend times people per £1m) against the board's expected demand."""
    _heading(ws, L.CAPACITY, plan)
    svc = inputs.services.set_index("service_id")
    ic = [s for s in svc.index if svc.loc[s].get("scheme_type") in L.INTERMEDIATE_CARE]
    col = {c.key: get_column_letter(j) for j, c in enumerate(L.CAPACITY.columns, start=1)}
    fill = PatternFill("solid", fgColor=INPUT_FILL)
    row = FIRST_ROW
    for sid in ic:
        for y in plan.years:
            gbp = f"={_scheme_spend(exp, sid, y)}"
            cost = svc.loc[sid].get("unit_cost_gbp")
            values = {"scheme_id": sid, "scheme_name": svc.loc[sid, "name"],
                      "scheme_type": svc.loc[sid, "scheme_type"],
                      "unit": svc.loc[sid].get("output_unit", "") or "", "year": y,
                      "spend_gbp": gbp, "demand": None}
            for j, c in enumerate(L.CAPACITY.columns, start=1):
                if c.key == "capacity":
                    value = (f"={col['spend_gbp']}{row}/{float(cost)!r}"
                             if cost is not None and pd.notna(cost) and cost > 0 else None)
                    cell = ws.cell(row=row, column=j, value=value)
                elif c.key == "gap":
                    d, k = f"{col['demand']}{row}", f"{col['capacity']}{row}"
                    cell = ws.cell(row=row, column=j, value=f'=IF(OR({d}="",{k}=""),"",{k}-{d})')
                elif c.key == "spend_gbp":
                    cell = ws.cell(row=row, column=j, value=gbp)
                else:
                    cell = write_cell(ws, row, j, values[c.key])
                if c.number_format:
                    cell.number_format = c.number_format
                if c.input:
                    cell.fill = fill
            row += 1
    if row == FIRST_ROW:
        write_cell(ws, row, 1, "No scheme in this plan is of an intermediate-care type.")
        row += 1
    _pathways(ws, plan, inputs, exp, row + 2)


def _pathways(ws, plan: Plan, inputs: Inputs, exp: ExpenditureRefs, top: int) -> None:
    """Capacity against demand by pathway (the data set's demand and capacity tables)."""
    demand = getattr(inputs, "demand", None)
    per_m = getattr(inputs, "capacity", None)
    if demand is None or per_m is None or demand.empty:
        return
    board = demand["hwb_id"].map(lambda h: h if isinstance(h, str) and h else ICS_PLAN)
    mine = demand[(board == plan.hwb_id) & demand["year"].isin(plan.years)]
    if mine.empty:
        return
    write_cell(ws, top, 1, "Capacity against demand by pathway").font = Font(bold=True)
    cols = L.PATHWAYS
    for j, c in enumerate(cols, start=1):
        write_cell(ws, top + 1, j, c.header).font = Font(bold=True)
    letter = {c.key: get_column_letter(j) for j, c in enumerate(cols, start=1)}
    from budgetopt.families.capacity import required_share

    for i, (q, y, d) in enumerate(zip(mine["pathway"], mine["year"], mine["demand"]),
                                  start=top + 2):
        kappa = per_m[per_m["pathway"] == q]
        terms = [f"{_scheme_spend(exp, s, y)}*{float(k)!r}"
                 for s, k in zip(kappa["service_id"], kappa["per_m"])]
        need = required_share(plan.data, q) if plan.data is not None else None
        share, req = f"{letter['share']}{i}", f"{letter['required']}{i}"
        values = {"pathway": q, "year": y,
                  "capacity": f"=({'+'.join(terms) or '0'})/1000000", "demand": float(d),
                  "share": f'=IF({letter["demand"]}{i}>0,{letter["capacity"]}{i}/'
                           f'{letter["demand"]}{i},"")',
                  "required": need,
                  "status": (_status_unless_blank(share, compare(share, ">=", req, 1e-6))
                             if need is not None else None)}
        for j, c in enumerate(cols, start=1):
            v = values[c.key]
            cell = (ws.cell(row=i, column=j, value=v) if c.key in ("capacity", "share", "status")
                    else write_cell(ws, i, j, v))
            if c.number_format:
                cell.number_format = c.number_format
    status_colours(ws, letter["status"], top + 2, top + 1 + len(mine))


# -- Local Rules ----------------------------------------------------------------------------------


def board_requirements(plan: Plan) -> list:
    """The families' checklist rows held in this board's places alone: those whose every
    spend term keeps this board's lines (:class:`budgetopt.families.family.Spend` ``hwb``)."""
    from budgetopt.families import checklist
    from budgetopt.families.family import Spend

    if plan.data is None or not plan.data.inputs.has_hwbs:
        return []
    out = []
    for _family, requirements in checklist(plan.data, plan.years):
        for req in requirements or ():
            spends = [t for t in (*req.figure, *req.limit) if isinstance(t, Spend)]
            if spends and all(t.hwb == plan.hwb_id for t in spends):
                out.append(req)
    return out


def _local_rules(ws, plan: Plan, exp: ExpenditureRefs, income: dict[tuple[str, str], str]
                 ) -> None:
    """The policy model's rules held in this board's places, live over its sheets."""
    from budgetopt.reports.excel.workbook import _render

    _heading(ws, L.LOCAL, plan)
    checks = [_render(r, exp, income) for r in board_requirements(plan)]
    if not checks:
        write_cell(ws, FIRST_ROW, 1, "No rule of the policy model is held in this board's "
                   "places on its own.")
        return
    col = {c.key: get_column_letter(j) for j, c in enumerate(L.LOCAL.columns, start=1)}
    words = {"<=": "at most", ">=": "at least", "==": "equal to"}
    for i, (req, y, figure, test, limit, fmt) in enumerate(checks, start=FIRST_ROW):
        values = {"rule": req, "year": y, "test": words[test]}
        cells = {"figure": figure, "limit": limit,
                 "status": status_formula(compare(f"{col['figure']}{i}", test,
                                                  f"{col['limit']}{i}", 1))}
        for j, c in enumerate(L.LOCAL.columns, start=1):
            cell = (ws.cell(row=i, column=j, value=cells[c.key]) if c.key in cells
                    else write_cell(ws, i, j, values[c.key]))
            if c.key in ("figure", "limit"):
                cell.number_format = fmt
    last = FIRST_ROW + len(checks) - 1
    status_colours(ws, col["status"], FIRST_ROW, last)
    ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(L.LOCAL.columns))}{last}"


# -- Summary --------------------------------------------------------------------------------------


def _summary(ws, plan: Plan, results: Results, inputs: Inputs, exp: ExpenditureRefs,
             income: dict[tuple[str, str], str], statuses: str) -> None:
    write_cell(ws, 1, 1, L.SUMMARY.title.format(hwb=plan.name)).font = Font(bold=True, size=14)
    _note(ws, f"{L.FOLLOWS} {L.SUMMARY.note}", len(L.SUMMARY.columns))
    conditions = statuses
    facts = [
        ("Health and Wellbeing Board", plan.name),
        ("HWB id", plan.hwb_id),
        ("ICS / data set", inputs.source or results.provenance.get("data_source", "")),
        ("Plan years", ", ".join(plan.years)),
        ("Two-tier area", "Yes: the DFG is passed to the district councils"
         if _two_tier(inputs, plan.hwb_id) else "No"),
        ("Solve status", results.status),
        ("BCF rules", f"{plan.rules.title}" + ("" if plan.rules_chosen else
                      " (its national conditions; the policy model chose no BCF rule set)")),
        ("Made by", f"budgetopt {__version__} on {date.today().isoformat()}"),
        ("Data hash (SHA-256)", inputs.data_hash),
    ]
    for i, (label, value) in enumerate(facts, start=HEADER_ROW):
        write_cell(ws, i, 1, label).font = Font(bold=True)
        write_cell(ws, i, 2, value)
    row = HEADER_ROW + len(facts)
    write_cell(ws, row, 1, "National conditions met").font = Font(bold=True)
    ws.cell(row=row, column=2, value=f'=COUNTIF({conditions},"Met")&" of "&'
            f'COUNTA({conditions})')
    top = row + 2
    for j, col in enumerate(L.SUMMARY.columns, start=1):
        write_cell(ws, top, j, col.header).font = Font(bold=True)
    for i, y in enumerate(plan.years, start=top + 1):
        spend = exp.range(f"Expenditure (£) {y}")
        values = {"year": y, "income": f"={income[('TOTAL', y)]}",
                  "expenditure": f"=SUM({spend})", "balance": f"=B{i}-C{i}"}
        for j, col in enumerate(L.SUMMARY.columns, start=1):
            v = values[col.key]
            c = write_cell(ws, i, j, v) if col.key == "year" else ws.cell(row=i, column=j,
                                                                           value=v)
            if col.number_format:
                c.number_format = col.number_format
    row = top + len(plan.years) + 2
    write_cell(ws, row, 1, f"The national conditions ({plan.rules.title})").font = Font(
        bold=True)
    for number, cond in enumerate(plan.rules.conditions, start=1):
        row += 1
        write_cell(ws, row, 1, f"{number}. {cond.title}")
        write_cell(ws, row, 2, cond.text)
    if plan.rules.facts:
        row += 2
        write_cell(ws, row, 1, f"What the {plan.rules.id} rules rest on").font = Font(bold=True)
        for j, header in enumerate(L.FACT_HEADERS, start=1):
            write_cell(ws, row + 1, j, header).font = Font(bold=True)
        row += 1
        for fact in plan.rules.facts:
            row += 1
            for j, text in enumerate((fact.what, L.FACT_STATUS[fact.status], fact.source),
                                     start=1):
                write_cell(ws, row, j, text).alignment = Alignment(wrap_text=True,
                                                                   vertical="top")
    for j, col in enumerate(L.SUMMARY.columns, start=1):
        ws.column_dimensions[get_column_letter(j)].width = max(col.width, 28 if j == 1 else 0)
    ws.column_dimensions["B"].width = 40
    ws.freeze_panes = None


__all__ = ["ICS_PLAN", "bcf_plans_zip", "hwb_flows", "hwb_names", "hwb_spend", "place_hwbs", "write_bcf_plans"]
