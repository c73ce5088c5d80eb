"""The BCF workbook: values to the penny, live checklist formulas (recalculated by LibreOffice),
drop-downs, native charts, formula injection, the round trip, the workbook printed as PDF."""

from __future__ import annotations

import re
import zipfile
from itertools import pairwise
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from budgetopt.analyses.pareto import pareto_frontier
from budgetopt.analyses.sweeps import budget_curve, price_of_rules
from budgetopt.analyses.uncertainty import monte_carlo
from budgetopt.api import build
from budgetopt.cli import app
from budgetopt.data.dataset import load_dataset
from budgetopt.data.example import example_tables
from budgetopt.data.read import read_frames
from budgetopt.data.validate import validate
from budgetopt.policy import load_policy
from budgetopt.reports.excel import (
    Analyses,
    next_year_baseline,
    read_expenditure,
    write_bcf_workbook,
)
from budgetopt.reports.excel.layout import EXPENDITURE, FIRST_ROW, HEADER_ROW
from tests.helpers import HOSTILE, needs_office, recalculated, sheet_rows

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "inputs" / "example"


@pytest.fixture(scope="module")
def solved():
    inputs = load_dataset(EXAMPLE)
    policy = load_policy(ROOT / "models" / "ics-statutory.yaml")
    return inputs, policy, build(inputs, policy).results()


@pytest.fixture(scope="module")
def book(solved, tmp_path_factory):
    inputs, policy, res = solved
    path = tmp_path_factory.mktemp("xl") / "plan.xlsx"
    analyses = Analyses(budget_curve(inputs, policy, [220.0, 240.0, 260.0]),
                        price_of_rules(inputs, policy),
                        pareto_frontier(inputs, policy, "outcome", "equity", 4),
                        monte_carlo(inputs, policy, 200, seed=1, resolve=False))
    write_bcf_workbook(res, inputs, path, scenario="Statutory", analyses=analyses)
    return path


def test_the_workbook_has_every_sheet_with_print_setup(book):
    wb = load_workbook(book)
    assert wb.sheetnames == ["Cover", "Income", "Expenditure", "Planning requirements",
                             "Metrics", "Allocation", "What each rule costs", "Trade-offs",
                             "Evidence", "Lists"]
    assert wb["Lists"].sheet_state == "hidden"
    for ws in wb.worksheets[:-1]:
        assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
        assert ws.freeze_panes is not None or ws.title == "Cover"
    cover = {r[0]: r[1] for r in wb["Cover"].iter_rows(min_row=4, max_row=13, values_only=True)}
    assert cover["Scenario"] == "Statutory" and cover["Status"] == "optimal"
    assert len(cover["Data hash (SHA-256)"]) == 64


def test_expenditure_totals_match_the_solve_to_the_penny(book, solved):
    inputs, _, res = solved
    headers, rows = sheet_rows(load_workbook(book)["Expenditure"])
    assert headers[:5] == [c.header for c in EXPENDITURE[:5]]
    frame = pd.DataFrame([r for r in rows if r[0] and r[1] != "Total"], columns=headers)
    for year in inputs.years:
        planned = frame[f"Expenditure (£) {year}"].sum()
        solved_total = res.funding_flows.loc[res.funding_flows["year"] == year,
                                             "amount_m"].sum() * 1e6
        assert planned == pytest.approx(solved_total, abs=0.005 * len(frame))
        # and per scheme: each line is its funding flow, rounded to the penny
        flows = res.funding_flows[res.funding_flows["year"] == year]
        expected = flows.groupby("service_id")["amount_m"].sum() * 1e6
        got = frame.groupby("Scheme ID")[f"Expenditure (£) {year}"].sum()
        lines = frame.groupby("Scheme ID").size()
        for sid, amount in got.items():  # each of its lines to the penny
            assert amount == pytest.approx(expected[sid], abs=0.005 * lines[sid] + 1e-6)
    _, income = sheet_rows(load_workbook(book)["Income"])
    money = {r[0]: r[3] for r in income if r[0]}
    nhs = inputs.funding.query("source_id == 'NHSMIN_SHIRE' and year == @inputs.years[0]")
    assert money["NHSMIN_SHIRE"] == pytest.approx(nhs["amount_m"].item() * 1e6, abs=0.005)


def test_drop_downs_are_the_templates_lists(book):
    wb = load_workbook(book)
    ws = wb["Expenditure"]
    headers = [c.value for c in ws[HEADER_ROW]]
    lists = wb["Lists"]
    by_header = {lists.cell(row=1, column=j).value: j for j in range(1, lists.max_column + 1)}
    validated = {}
    for dv in ws.data_validations.dataValidation:
        col = str(dv.sqref).split(":")[0].rstrip("0123456789")
        validated[headers[ord(col) - 65] if len(col) == 1 else col] = dv.formula1
    for column in EXPENDITURE:
        if column.choices:
            assert column.header in validated, column.header
            j = by_header[column.header]
            values = [lists.cell(row=i, column=j).value for i in range(2, 2 + len(column.choices))]
            assert tuple(values) == column.choices


def rows_of(ref: str) -> tuple[int, int]:
    """First and last row of a reference like 'Trade-offs'!$B$40:$B$43."""
    found = re.findall(r"\$(\d+)", ref)
    return int(found[0]), int(found[-1])


def pareto_frontier_first_at_end() -> float:
    inputs = load_dataset(EXAMPLE)
    policy = load_policy(ROOT / "models" / "ics-statutory.yaml")
    return pareto_frontier(inputs, policy, "outcome", "equity", 4)["first"].iloc[-1]


def test_charts_are_native_and_point_at_their_tables(book):
    ws = load_workbook(book)["Trade-offs"]
    charts = ws._charts
    assert len(charts) == 6  # sector spend, budget curve, sector mix, price of rules, frontier,
    # spread
    sector = charts[0]
    refs = [(s.tx.strRef.f, s.val.numRef.f) for s in sector.series]
    assert refs == [("'Trade-offs'!B3", "'Trade-offs'!$B$4:$B$11"),
                    ("'Trade-offs'!C3", "'Trade-offs'!$C$4:$C$11")]
    assert sector.series[0].cat.numRef.f == "'Trade-offs'!$A$4:$A$11" or \
        sector.series[0].cat.strRef.f == "'Trade-offs'!$A$4:$A$11"
    assert ws["A3"].value == "Sector" and ws["B3"].value == "Baseline £m"
    assert ws["A4"].value and ws["A11"].value and ws["A12"].value is None
    frontier = charts[4]
    assert [s.tx.v for s in frontier.series] == ["Best possible (frontier)",
                                                 "Current allocation"]
    first, last = rows_of(frontier.series[0].yVal.numRef.f)
    assert (first, last) == rows_of(frontier.series[0].xVal.numRef.f)
    assert ws.cell(row=first - 1, column=2).value.startswith("Weighted outcome")
    assert ws.cell(row=last, column=2).value == pytest.approx(pareto_frontier_first_at_end(),
                                                              rel=1e-6)
    first, last = rows_of(charts[5].series[0].val.numRef.f)
    assert sum(ws.cell(row=r, column=2).value for r in range(first, last + 1)) == 200


@needs_office
@pytest.mark.libreoffice
def test_the_checklist_is_live_and_turns_red_when_the_plan_breaks_a_rule(book, solved,
                                                                         tmp_path):
    inputs, _, res = solved
    wb = load_workbook(book)
    req = wb["Planning requirements"]
    formulas = [req.cell(row=i, column=6).value for i in range(FIRST_ROW, req.max_row + 1)]
    assert all(str(f).startswith("=IF(") for f in formulas)

    values = load_workbook(recalculated(book, tmp_path / "as-is"), data_only=True)
    _, rows = sheet_rows(values["Planning requirements"])
    assert {r[5] for r in rows} == {"Met"}
    # the BCF figures computed in the workbook are the model's own activities
    bcf = res.constraints[res.constraints["family"] == "bcf_conditions"]
    sheet = [r for r in rows if r[0].startswith("NHS minimum contribution to")]
    assert len(sheet) == len(bcf) > 0  # per HWB and year on the example
    for r, activity in zip(sheet, bcf["activity"]):
        assert r[2] == pytest.approx(activity * 1e6, abs=1.0)
    # every rule of this model can be computed from the Expenditure sheet: all rows are live
    from budgetopt.reports.excel.workbook import LIVE
    assert {r[6] for r in rows} == {LIVE}
    model_rows = res.constraints.set_index("name")
    # staff needed for the planned spend: the model's own activity, in WTE
    staff = [r for r in rows if r[0].endswith("WTE available (WTE)")]
    assert len(staff) == (res.constraints["family"] == "workforce").sum() > 0
    for r in staff:
        c = model_rows.loc[r[0].removesuffix(" (WTE)")]
        assert r[2] == pytest.approx(c.activity, abs=0.01)
        assert r[4] == pytest.approx(c.limit, abs=0.01)
    # personal budgets, each HWB's own (the sheet's HWB column): the same room to spare as the
    # model's row
    pbs = [r for r in rows if r[0].startswith("Personal budgets in")]
    assert len(pbs) == len(inputs.years) * len(inputs.hwb_ids)
    for r in pbs:
        c = model_rows.loc[r[0]]
        assert r[2] - r[4] == pytest.approx((c.activity - c.limit) * 1e6, abs=1.0)
    # the MHIS, live: in-scope mental health spend each year against (1 + g) × the year before
    mh = set(inputs.services.loc[inputs.services["mhis"].astype(bool), "name"])
    alloc = res.allocation[res.allocation["name"].isin(mh)].groupby("year")["spend_m"].sum()
    mhis = [r for r in rows if r[0].startswith("Mental health spend grows")]
    assert [r[1] for r in mhis] == list(inputs.years) and all(r[6] == LIVE for r in mhis)
    for r in mhis:
        assert r[2] == pytest.approx(alloc[r[1]] * 1e6, abs=1.0)
    for before, r in pairwise(mhis):
        growth = float(re.search(r"at least ([\d.]+)%", r[0]).group(1)) / 100
        assert r[4] == pytest.approx((1 + growth) * before[2], rel=1e-3)
    # managed transition, live: each line's move on the year before against its step, with
    # the same room to spare as the model's row of the same name
    moves = [r for r in rows if " by at most £" in r[0]]
    assert len(moves) == (res.constraints["family"] == "transition").sum() > 0
    for r in moves:
        c = model_rows.loc[r[0]]
        assert r[6] == LIVE
        assert r[4] - r[2] == pytest.approx((c.limit - c.activity) * 1e6, abs=1.0)
    as_is = {(r[0], r[1]): (r[2], r[4]) for r in moves}
    # service minimums and maximums: the figure is the scheme's planned spend that year
    spend = res.allocation.groupby(["name", "year"])["spend_m"].sum()
    bounds = [r for r in rows if r[0].startswith(("Minimum spend on", "Maximum spend on"))]
    assert len(bounds) >= 9
    for r in bounds:
        name = r[0].split(" spend on ", 1)[1]
        assert r[2] == pytest.approx(spend[(name, r[1])] * 1e6, abs=1.0)

    # a BCF lead moves £5m of an HWB's NHS minimum contribution from social care to acute:
    # the HWB whose ASC floor has less than £5m to spare in year two (read from the solve)
    floors = res.constraints.query("component == 'bcf_asc_hwb' and year == @inputs.years[1]")
    tight = floors.assign(spare=floors["activity"] - floors["limit"]).sort_values("spare")
    board = tight.iloc[0]
    assert board["spare"] < 5.0, "no HWB's ASC floor would break: pick another edit"
    fund = inputs.funding
    nm = set(fund.loc[(fund["hwb_id"] == board["hwb_id"])
                      & (fund["bcf_source"] == "Minimum NHS Contribution"), "source_id"])
    ws = wb["Expenditure"]
    headers = [c.value for c in ws[HEADER_ROW]]
    area, spend = headers.index("Area of Spend") + 1, headers.index(
        f"Expenditure (£) {inputs.years[1]}") + 1
    source = headers.index("budgetopt source id") + 1
    edited = next(i for i in range(FIRST_ROW, ws.max_row + 1)
                  if ws.cell(row=i, column=source).value in nm
                  and ws.cell(row=i, column=area).value == "Social Care"
                  and (ws.cell(row=i, column=spend).value or 0) > 5e6)
    ws.cell(row=edited, column=spend).value -= 5e6
    changed = tmp_path / "edited.xlsx"
    wb.save(changed)
    values = load_workbook(recalculated(changed, tmp_path / "edited"), data_only=True)
    _, rows = sheet_rows(values["Planning requirements"])
    broken = {(r[0], r[1]) for r in rows if r[5] == "Not met"}
    # the edited line is that HWB's NHS minimum contribution: its ASC floor breaks
    name = inputs.hwb_table().set_index("hwb_id").loc[board["hwb_id"], "name"]
    expected = {(f"NHS minimum contribution to adult social care in {name}", inputs.years[1])}
    scheme = ws.cell(row=edited, column=2).value
    planned = res.allocation.query("name == @scheme and year == @inputs.years[1]")["spend_m"]
    minimum = inputs.services.set_index("name").loc[scheme, "min_m"]
    if planned.sum() - 5 < minimum:  # the cut also takes the scheme below its own minimum
        expected.add((f"Minimum spend on {scheme}", inputs.years[1]))
    # the line falls £5m more into year two and rises £5m more out of it
    y2, y3 = inputs.years[1], inputs.years[2]
    for (name, year), (figure, limit) in as_is.items():
        if not name.startswith(f"{scheme} "):
            continue
        more = 5e6 if (year, " falls " in name) in ((y2, True), (y3, False)) else 0.0
        if more and figure + more > limit + 1:
            expected.add((name, year))
    assert broken == expected


@needs_office
@pytest.mark.libreoffice
def test_cutting_mental_health_spend_breaks_the_mhis_in_that_year(book, solved, tmp_path):
    """Every in-scope scheme's first-year spend cut by a tenth: the first year's MHIS turns
    red (its limit is fixed by the baseline), and the second year's, measured on the first,
    gets easier and stays green."""
    inputs, _, _ = solved
    wb = load_workbook(book)
    ws = wb["Expenditure"]
    headers = [c.value for c in ws[HEADER_ROW]]
    scheme, first = headers.index("Scheme ID") + 1, headers.index(
        f"Expenditure (£) {inputs.years[0]}") + 1
    mh = set(inputs.services.loc[inputs.services["mhis"].astype(bool), "service_id"])
    for i in range(FIRST_ROW, ws.max_row + 1):
        if ws.cell(row=i, column=scheme).value in mh:
            ws.cell(row=i, column=first).value = (ws.cell(row=i, column=first).value or 0) * 0.9
    changed = tmp_path / "less-mh.xlsx"
    wb.save(changed)
    values = load_workbook(recalculated(changed, tmp_path / "less-mh"), data_only=True)
    _, rows = sheet_rows(values["Planning requirements"])
    status = {r[1]: r[5] for r in rows if r[0].startswith("Mental health spend grows")}
    assert status[inputs.years[0]] == "Not met"
    assert status[inputs.years[1]] == "Met"


@needs_office
@pytest.mark.libreoffice
def test_shift_left_checklist_all_green_with_live_sector_shares(tmp_path):
    """Under shift-left (every rule family that reaches the pool, a small MILP) the solved plan
    meets every checklist row; the sector-share rows are formulas: the group's planned spend
    against its share of all planned spend that year. The acute offset, bed capacity and
    transformation fund rest on the acute budget outside the pool: their figures come from the
    solve, and the rows say so."""
    from budgetopt.reports.excel.workbook import LIVE, SOLVED

    inputs = load_dataset(EXAMPLE)
    res = build(inputs, load_policy(ROOT / "models" / "shift-left.yaml")).results()
    path = tmp_path / "shift-left.xlsx"
    write_bcf_workbook(res, inputs, path, scenario="Shift left")
    values = load_workbook(recalculated(path, tmp_path / "calc"), data_only=True)
    _, rows = sheet_rows(values["Planning requirements"])
    assert {r[5] for r in rows} == {"Met"}, [r for r in rows if r[5] != "Met"]
    shares = [r for r in rows if " of pooled spend in " in r[0]]
    # two limits, each a share of each HWB's pool, three years
    assert len(shares) == len(res.constraints.query("family == 'sector_shares'")) == 18
    sector = dict(zip(inputs.services["name"], inputs.services["sector"]))
    alloc = res.allocation.assign(sector=res.allocation["name"].map(sector),
                                  hwb=res.allocation["place_id"].map(inputs.hwb_of_place()))
    board = res.constraints.set_index("name")["hwb_id"]
    for r in shares:
        assert r[6] == LIVE
        group = "public_health" if r[0].startswith("Prevention") else "vcse"
        in_year = alloc[(alloc["year"] == r[1]) & (alloc["hwb"] == board[r[0]])]
        assert r[2] == pytest.approx(in_year.loc[in_year["sector"] == group, "spend_m"].sum()
                                     * 1e6, abs=1.0)
        share = 0.01 if group == "public_health" else 0.03
        assert r[4] == pytest.approx(share * in_year["spend_m"].sum() * 1e6, abs=1.0)
    solved = [r for r in rows if r[6] == SOLVED]
    others = res.constraints[res.constraints["family"].isin(
        ["acute_offset", "bed_capacity", "transformation_fund"])]
    assert len(solved) == len(others) > 0
    for r, c in zip(solved, others.itertuples()):
        assert r[0] == c.name
        assert r[2] == pytest.approx(c.activity * 1e6, abs=0.01)
        assert r[4] == pytest.approx(c.limit * 1e6, abs=0.01)


def _hostile_inputs():
    tables = {k: v.copy() for k, v in example_tables().items() if k != "notes"}
    svc = tables["services"]
    for i, text in enumerate(HOSTILE):
        svc.loc[i, "name"] = text
        svc.loc[i, "description"] = text
    return validate(read_frames(tables, "hostile"))


@pytest.mark.parametrize("model", ["default", "ics-statutory"])
def test_no_input_text_becomes_a_formula(tmp_path, model):
    inputs = _hostile_inputs()
    res = build(inputs, load_policy(ROOT / "models" / f"{model}.yaml")).results()
    path = tmp_path / "hostile.xlsx"
    write_bcf_workbook(res, inputs, path)
    wb = load_workbook(path)
    seen = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.value in HOSTILE:
                    assert cell.data_type == "s", (ws.title, cell.coordinate)
                    seen += 1
    assert seen >= len(HOSTILE) * 3
    # and in the file itself: our formulas only (SUM, SUMIFS, SUMPRODUCT, IF), none from input
    with zipfile.ZipFile(path) as z:
        xml = "".join(z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets"))
    formulas = re.findall(r"<f>(.*?)</f>", xml)
    ours = ("SUM(", "SUMIFS(", "SUMPRODUCT(", "IF(", "Income!$")
    assert formulas and all(f.startswith(ours) for f in formulas), [
        f for f in formulas if not f.startswith(ours)][:5]


def test_the_expenditure_sheet_reads_back_as_next_years_baseline(book, solved):
    inputs, policy, res = solved
    plan = read_expenditure(book)
    flows = res.funding_flows.groupby(["service_id", "year"])["amount_m"].sum()
    got = plan.groupby(["service_id", "year"])["amount_m"].sum()
    lines = plan.groupby(["service_id", "year"]).size()
    for key, amount in got.items():  # each line to the penny (half a penny, £5e-9m, at most)
        assert amount == pytest.approx(flows[key], abs=5e-9 * lines[key] + 1e-12)
    year = inputs.years[-1]
    tables = {k: v for k, v in example_tables().items() if k != "notes"}
    nxt = next_year_baseline(book, tables, year)
    new = validate(read_frames(nxt, "next year"))
    # (the example's baseline table covers three years: each year is rescaled)
    per_year = new.baseline.groupby("service_id")["amount_m"].sum() / new.baseline["year"].nunique()
    services = new.services.set_index("service_id")["baseline_m"]
    planned = res.allocation[res.allocation["year"] == year].groupby("service_id")["spend_m"].sum()
    for sid, amount in planned.items():
        assert services[sid] == pytest.approx(amount, abs=1e-6)
        if sid in per_year.index:  # services with a place split keep it, rescaled
            assert per_year[sid] == pytest.approx(amount, abs=1e-4)
    again = build(new, policy).results()
    assert again.optimal
    assert again.baseline_objective == pytest.approx(res.objective, rel=0.05)


@needs_office
@pytest.mark.libreoffice
def test_cli_writes_the_workbook_and_the_workbook_printed_as_pdf(tmp_path):
    xlsx, pdf = tmp_path / "plan.xlsx", tmp_path / "plan.pdf"
    done = CliRunner().invoke(app, ["solve", str(EXAMPLE), "--excel", str(xlsx),
                                    "--workbook-pdf", str(pdf), "--quiet"])
    assert done.exit_code == 0, done.output
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 20_000
    assert load_workbook(xlsx)["Expenditure"].max_row > FIRST_ROW + 10
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.pdf", "plan.xlsx"]


def test_cli_with_analyses_charts_them_in_the_workbook(tmp_path):
    xlsx = tmp_path / "plan.xlsx"
    done = CliRunner().invoke(app, ["solve", str(EXAMPLE), "--model",
                                    str(ROOT / "models" / "default.yaml"), "--excel", str(xlsx),
                                    "--with-analyses", "--quiet"])
    assert done.exit_code == 0, done.output
    ws = load_workbook(xlsx)["Trade-offs"]
    assert len(ws._charts) == 7  # sectors, curve, sector mix, prices, frontier, flexibility,
    # spread
    titles = [c.value for c in ws["A"] if isinstance(c.value, str)]
    assert any(t.startswith("What else is nearly as good") for t in titles)
    assert "Budget curve" in titles and "Price of each rule" in titles
    assert any(t.startswith("Pareto frontier") for t in titles)
    assert any(t.startswith("Outcome of this plan over 1,000 samples") for t in titles)


def test_a_policy_the_data_no_longer_passes_shows_every_rule_as_solved(solved, tmp_path):
    """Results whose policy names a service the data set does not have (solved, say, from an
    older data set): the checklist cannot be recomputed from the sheet, so every row is the
    solve's figure, and the workbook is still written."""
    from dataclasses import replace

    inputs, policy, res = solved
    dump = policy.model_dump(mode="json")
    dump["rules"]["bounds"]["services"] = {"GONE": {"min_m": 1.0}}
    stale = replace(res, provenance={**res.provenance, "policy_model": dump})
    path = tmp_path / "stale.xlsx"
    write_bcf_workbook(stale, inputs, path)
    _, rows = sheet_rows(load_workbook(path)["Planning requirements"])
    assert rows and {r[6] for r in rows} == {"From the solve (does not follow edits)"}
    assert len(rows) == len(res.constraints)


TRICKY_IDS = ["reable", "REABLE", "a*", "a?b", "~x", ">5", "=x"]
"""Service ids that SUMIFS/COUNTIFS criteria would read as other ids (case folded) or as
patterns (``*``, ``?``, ``~``) and comparisons (a leading ``>`` or ``=``)."""


def tricky_inputs():
    """Seven services with the ids above, each held between £1m and £3m a year (every curve
    pays, so each sits at its £3m maximum: £21m of the £22m); two funding sources ``nhs`` and
    ``NHS`` (£11m each) that differ only by case. A SUMIFS checklist adds ``REABLE`` to
    ``reable`` (£6m against a £3m maximum), ``a?b`` to ``a*``, finds nothing for ``~x`` or
    ``>5`` (£0 against a £1m minimum) and adds the two sources' spend (£21m against £11m)."""
    from tests.builders import make_inputs

    services = [{"service_id": s, "min_m": 1.0, "max_m": 3.0} for s in TRICKY_IDS]
    curves = [(s, "m", 1, 10.0, 10.0 - i) for i, s in enumerate(TRICKY_IDS)]
    funding = [(src, y, 11.0) for y in ("2026/27", "2027/28") for src in ("nhs", "NHS")]
    return make_inputs(services=services, curves=curves, funding=funding)


@needs_office
@pytest.mark.libreoffice
def test_ids_differing_by_case_or_holding_wildcards_keep_the_checklist_green(tmp_path):
    from budgetopt import Policy

    inputs = tricky_inputs()
    res = build(inputs, Policy()).results()
    assert res.optimal
    path = tmp_path / "tricky.xlsx"
    write_bcf_workbook(res, inputs, path)
    values = load_workbook(recalculated(path, tmp_path / "calc"), data_only=True)
    _, rows = sheet_rows(values["Planning requirements"])
    assert {r[5] for r in rows} == {"Met"}, [r for r in rows if r[5] != "Met"]
    by_name = {(r[0], r[1]): r[2] for r in rows}
    for sid in TRICKY_IDS:  # each maximum's figure is that scheme's own £3m, to the penny
        assert by_name[(f"Maximum spend on {sid}", "2026/27")] == pytest.approx(3e6, abs=0.01)
    spent = {src: res.funding_flows.query("source_id == @src and year == '2026/27'")
             ["amount_m"].sum() * 1e6 for src in ("nhs", "NHS")}
    for src, amount in spent.items():
        assert by_name[(f"Spend from {src} within its income", "2026/27")] == pytest.approx(
            amount, abs=0.01)


def test_the_workbook_colours_and_names_sectors_as_the_app_does(book, solved):
    """One palette and one sector-label map: the workbook's sector chart has the app's
    baseline grey and plan blue, and its sector names are the app's and the JSON's."""
    from budgetopt.reports import charts, palette

    _, _, res = solved
    app = charts.spend_by_sector(res.allocation)
    ws = load_workbook(book)["Trade-offs"]
    sector = ws._charts[0]
    fills = [getattr(c, "val", c) for c in
             (s.graphicalProperties.solidFill.srgbClr for s in sector.series)]
    assert fills == [palette.excel_rgb(bar.marker.color) for bar in app.data]
    names = [ws.cell(row=r, column=1).value for r in range(4, 12)]
    assert names == [palette.sector_label(s) for s in
                     res.allocation.groupby("sector", sort=False).size().index]
    assert list(app.data[0].x) == [charts.plain(n) for n in names]
    assert charts.sector_label is palette.sector_label


def test_the_sector_mix_colours_each_sector_as_the_app_does(book, solved):
    """The workbook's one-series-per-sector chart (first-year spend by sector against the
    budget) gives each sector the app's colour and name (the app's sector_mix chart), and its
    areas point at the table beside it, a column per sector."""
    from budgetopt.reports import charts, palette

    inputs, policy, _ = solved
    ws = load_workbook(book)["Trade-offs"]
    mix = ws._charts[2]
    titles = [ws[s.tx.strRef.f.split("!")[1].replace("$", "")].value for s in mix.series]
    fills = [s.graphicalProperties.solidFill.srgbClr for s in mix.series]
    fills = [getattr(c, "val", c) for c in fills]
    app = charts.sector_mix(budget_curve(inputs, policy, [220.0, 240.0, 260.0]))
    assert titles == [trace.name for trace in app.data]
    assert fills == [palette.excel_rgb(trace.line.color) for trace in app.data]
    assert len(set(fills)) == len(fills) > 1
    first, last = rows_of(mix.series[0].val.numRef.f)
    assert last - first + 1 == 3  # one row per budget of the curve

