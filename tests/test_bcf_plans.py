"""Per-HWB BCF plan workbooks (``budgetopt solve --bcf-dir``): each board's totals to the penny
against the solve, the national conditions live (recalculated by LibreOffice: green on the
optimal plan, red after an edit), drop-downs, formula injection, tricky ids, atomic folder."""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from budgetopt import Policy
from budgetopt.api import build
from budgetopt.cli import app
from budgetopt.reports.excel import bcf_layout
from budgetopt.reports.excel.bcf_plans import hwb_flows, write_bcf_plans
from budgetopt.reports.excel.layout import FIRST_ROW, HEADER_ROW
from tests.builders import make_inputs
from tests.test_excel import HOSTILE, needs_office, recalculated, sheet_rows

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "inputs" / "example"
Y1, Y2 = "2026/27", "2027/28"
BUDGET = 11.1234567  # £m a year: £11,123,456.70


def two_boards(budget: float = BUDGET, a_id: str = "A", b_id: str = "B", **svc):
    """Three places in two boards: N1 and N2 in ``north``, S1 in ``south``; weighted
    populations 1, 2, 4 (so each curve's width is shared 1/7, 2/7, 4/7) and effects 1.2, 1.1,
    1.0. A: £7m at 10 per £m (widths 1, 2, 4); B: £7m at 5 (widths 1, 2, 4). One ICS-wide
    pool of £11.1234567m a year.

    Hand solution, each year: A fills everywhere (£7m: 10 beats 5 in every place); the
    £4.1234567m left buys B where its effect is highest: N1 £1m, N2 £2m, S1 £1.1234567m. So
    north spends 1 + 2 + 1 + 2 = £6m (£6,000,000.00) and south 4 + 1.1234567 = £5.1234567m
    (£5,123,456.70)."""
    places = [{"place_id": "N1", "weighted_population": 1.0, "effect": 1.2, "hwb_id": "north"},
              {"place_id": "N2", "weighted_population": 2.0, "effect": 1.1, "hwb_id": "north"},
              {"place_id": "S1", "weighted_population": 4.0, "effect": 1.0, "hwb_id": "south"}]
    services = [{"service_id": a_id, "scheme_type": "Home-based intermediate care services",
                 "unit_cost_gbp": 1000.0, "output_unit": "episodes",
                 "area_of_spend": "Social Care", **svc},
                {"service_id": b_id}]
    curves = [(a_id, "m", 1, 7.0, 10.0), (b_id, "m", 1, 7.0, 5.0)]
    funding = [("POOL", y, budget) for y in (Y1, Y2)]
    return make_inputs(services=services, curves=curves, funding=funding, places=places)


@pytest.fixture(scope="module")
def plans(tmp_path_factory):
    inputs = two_boards()
    res = build(inputs, Policy()).results()
    assert res.optimal
    folder = tmp_path_factory.mktemp("bcf") / "plans"
    write_bcf_plans(res, inputs, folder)
    return inputs, res, folder


def expenditure_totals(path: Path) -> dict[str, float]:
    headers, rows = sheet_rows(load_workbook(path)["Expenditure"])
    out = {}
    for j, h in enumerate(headers):
        if h.startswith("Expenditure (£) "):
            out[h.removeprefix("Expenditure (£) ")] = sum(
                r[j] for r in rows if r[0] and r[1] != "Total" and isinstance(r[j], float | int))
    return out


def test_one_workbook_per_board_with_the_templates_tabs(plans):
    _, _, folder = plans
    assert sorted(p.name for p in folder.iterdir()) == ["north.xlsx", "south.xlsx"]
    wb = load_workbook(folder / "north.xlsx")
    assert wb.sheetnames == [s.name for s in bcf_layout.SHEETS] + ["Lists"]
    assert wb.sheetnames[:6] == ["Summary", "Income", "Expenditure", "National Conditions",
                                 "Metrics", "Capacity and Demand"]
    for ws in wb.worksheets[:-1]:  # each sheet says which layout year it follows
        assert "2025-26 and 2026-27" in str(ws["A2"].value), ws.title


def test_each_boards_expenditure_adds_up_to_the_penny(plans):
    """north £6,000,000.00 and south £5,123,456.70 each year (the docstring of two_boards)."""
    _, res, folder = plans
    assert expenditure_totals(folder / "north.xlsx") == {Y1: 6_000_000.00, Y2: 6_000_000.00}
    south = expenditure_totals(folder / "south.xlsx")
    assert south == {Y1: pytest.approx(5_123_456.70, abs=1e-6),
                     Y2: pytest.approx(5_123_456.70, abs=1e-6)}
    # and against the solve's spend in each board's places
    alloc = res.allocation
    for board, places in (("north", ["N1", "N2"]), ("south", ["S1"])):
        got = expenditure_totals(folder / f"{board}.xlsx")
        for y in (Y1, Y2):
            spend = alloc[(alloc["place_id"].isin(places)) & (alloc["year"] == y)]["spend_m"]
            assert got[y] == pytest.approx(round(spend.sum() * 1e6, 2), abs=1e-6)


def test_lines_are_whole_pennies_that_keep_each_board_year_total(plans):
    inputs, res, _ = plans
    lines = hwb_flows(res, inputs)
    pennies = lines["amount_m"] * 1e8
    assert ((pennies - pennies.round()).abs() < 1e-6).all()
    totals = lines.groupby(["hwb_id", "year"])["amount_m"].sum()
    assert totals[("south", Y1)] * 1e8 == pytest.approx(512_345_670, abs=1e-3)


@needs_office
@pytest.mark.libreoffice
def test_conditions_are_green_on_the_plan_and_turn_red_after_an_edit(plans, tmp_path):
    _, _, folder = plans
    path = folder / "south.xlsx"
    values = load_workbook(recalculated(path, tmp_path / "as-is"), data_only=True)
    _, rows = sheet_rows(values["National Conditions"])
    checks = [r for r in rows if r[0].startswith("3.")]
    assert checks and {r[6] for r in checks} == {"Met"}, checks
    assert {r[6] for r in rows if not r[0].startswith("3.")} == {"To answer"}
    summary = {r[0]: r[1:] for r in values["Summary"].iter_rows(values_only=True) if r[0]}
    # income: the part of the ICS-wide pool this board's plan uses; expenditure; unallocated
    assert summary[Y1][:3] == pytest.approx((5_123_456.70, 5_123_456.70, 0.0), abs=0.005)
    # a BCF lead adds £1,000 to the first scheme line in 2026/27: over this board's income
    wb = load_workbook(path)
    ws = wb["Expenditure"]
    headers = [c.value for c in ws[HEADER_ROW]]
    col = headers.index(f"Expenditure (£) {Y1}") + 1
    ws.cell(row=FIRST_ROW, column=col).value += 1000.0
    wb["National Conditions"]["D4"] = "Yes"  # condition 1 answered
    edited = tmp_path / "edited.xlsx"
    wb.save(edited)
    values = load_workbook(recalculated(edited, tmp_path / "edited"), data_only=True)
    _, rows = sheet_rows(values["National Conditions"])
    status = {(r[1], r[2]): r[6] for r in rows if r[0].startswith("3.")}
    assert status[("Planned expenditure within this board's income", Y1)] == "Not met"
    assert status[("Planned expenditure within this board's income", Y2)] == "Met"
    assert rows[0][6] == "Met"


def test_the_drop_downs_are_the_templates_lists(plans):
    _, _, folder = plans
    wb = load_workbook(folder / "north.xlsx")
    lists = wb["Lists"]
    columns = {lists.cell(row=1, column=j).value: [c.value for c in next(lists.iter_cols(
        min_col=j, max_col=j, min_row=2)) if c.value] for j in range(1, lists.max_column + 1)}
    from budgetopt.data.schema import BCF_FUNDING_SOURCES, BCF_SCHEME_TYPES

    assert columns["Scheme Type"] == list(BCF_SCHEME_TYPES)
    assert columns["Funding stream"] == list(BCF_FUNDING_SOURCES)
    assert columns["Assurance"] == ["Yes", "No"]
    for sheet in ("Expenditure", "Income", "National Conditions"):
        assert wb[sheet].data_validations.dataValidation, sheet


def test_no_input_text_becomes_a_formula(tmp_path):
    inputs = two_boards()
    svc = inputs.services
    for i, text in enumerate(HOSTILE[:2]):
        svc.loc[i, "name"] = text
        svc.loc[i, "description"] = text
    inputs.places.loc[:, "hwb_id"] = ["=cmd", "=cmd", "south"]
    res = build(inputs, Policy()).results()
    write_bcf_plans(res, inputs, tmp_path / "out")
    seen = 0
    for path in (tmp_path / "out").iterdir():
        wb = load_workbook(path)
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    if cell.value in [*HOSTILE, "=cmd"]:
                        assert cell.data_type == "s", (path.name, ws.title, cell.coordinate)
                        seen += 1
        with zipfile.ZipFile(path) as z:
            xml = "".join(z.read(n).decode() for n in z.namelist()
                          if n.startswith("xl/worksheets"))
        formulas = re.findall(r"<f>(.*?)</f>", xml)
        ours = ("SUM(", "SUMPRODUCT(", "IF(", "COUNTIF(", "'Income'!$", "Income!$", "F", "B")
        assert all(f.startswith(ours) for f in formulas), [
            f for f in formulas if not f.startswith(ours)][:5]
        assert not any("cmd" in f for f in formulas)
    assert seen >= 6


@needs_office
@pytest.mark.libreoffice
def test_ids_differing_by_case_or_holding_wildcards_keep_the_conditions_green(tmp_path):
    inputs = two_boards(a_id="a*", b_id="A?")
    res = build(inputs, Policy()).results()
    write_bcf_plans(res, inputs, tmp_path / "out")
    for board in ("north", "south"):
        values = load_workbook(recalculated(tmp_path / "out" / f"{board}.xlsx",
                                            tmp_path / board), data_only=True)
        _, rows = sheet_rows(values["National Conditions"])
        assert {r[6] for r in rows if r[0].startswith("3.")} == {"Met"}


def test_hwb_ids_that_cannot_name_a_file_are_bad_input(tmp_path):
    from budgetopt.errors import InputError

    inputs = two_boards()
    inputs.places.loc[:, "hwb_id"] = ["../up", "North", "north"]
    res = build(inputs, Policy()).results()
    with pytest.raises(InputError) as err:
        write_bcf_plans(res, inputs, tmp_path / "out")
    text = str(err.value)
    assert "row 2, column 'hwb_id'" in text and "'../up'" in text
    assert "row 4, column 'hwb_id'" in text and "only by case" in text
    assert not (tmp_path / "out").exists()


def test_cli_writes_ics_xlsx_for_data_without_boards_whole_or_not_at_all(tmp_path):
    out = tmp_path / "plans"
    done = CliRunner().invoke(app, ["solve", str(EXAMPLE), "--bcf-dir", str(out), "--quiet"])
    assert done.exit_code == 0, done.output
    assert [p.name for p in out.iterdir()] == ["ics.xlsx"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plans"]  # no temporary left
    from budgetopt.data.dataset import load_dataset

    inputs = load_dataset(EXAMPLE)
    res = build(inputs, Policy()).results()  # the default policy, as the CLI without --model
    got = expenditure_totals(out / "ics.xlsx")
    for y in inputs.years:  # no HWBs: the one plan is the whole ICS's spend
        spend = res.allocation.loc[res.allocation["year"] == y, "spend_m"].sum()
        assert got[y] == pytest.approx(round(spend * 1e6, 2), abs=1e-6)
    # a second run replaces the folder's workbooks; a failing run leaves it as it was
    before = (out / "ics.xlsx").read_bytes()
    bad = CliRunner().invoke(app, ["solve", str(EXAMPLE), "--bcf-dir", str(out), "--set",
                                   "nonsense.key=1", "--quiet"])
    assert bad.exit_code == 2
    assert (out / "ics.xlsx").read_bytes() == before
    shutil.rmtree(out)


def test_the_apps_zip_holds_one_plan_per_board(plans):
    import io

    from budgetopt.reports.excel.bcf_plans import bcf_plans_zip

    inputs, res, folder = plans
    with zipfile.ZipFile(io.BytesIO(bcf_plans_zip(res, inputs))) as z:
        assert sorted(z.namelist()) == ["north.xlsx", "south.xlsx"]
        book = load_workbook(io.BytesIO(z.read("south.xlsx")))
    assert book.sheetnames == load_workbook(folder / "south.xlsx").sheetnames
