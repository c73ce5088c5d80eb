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
from tests.families.models import ooh_per_board
from tests.helpers import HOSTILE, SOFFICE, needs_office, recalculated, sheet_rows

ROOT = Path(__file__).resolve().parents[2]
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


def example_without_boards(folder: Path) -> Path:
    """The example ICS as one ICS-wide pool: no hwb_id columns, no hwbs table."""
    from budgetopt.data.dataset import write_dataset
    from budgetopt.data.example import example_tables

    tables = example_tables()
    for name in ("places", "funding"):
        tables[name] = tables[name].drop(columns=["hwb_id"])
    for name in ("hwbs", "demand", "capacity"):
        del tables[name]
    return write_dataset(tables, folder)


def test_cli_writes_ics_xlsx_for_data_without_boards_whole_or_not_at_all(tmp_path):
    out = tmp_path / "plans"
    data = example_without_boards(tmp_path / "data")
    done = CliRunner().invoke(app, ["solve", str(data), "--bcf-dir", str(out), "--quiet"])
    assert done.exit_code == 0, done.output
    assert [p.name for p in out.iterdir()] == ["ics.xlsx"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "plans"]  # no temporary left
    from budgetopt.data.dataset import load_dataset

    inputs = load_dataset(data)
    res = build(inputs, Policy()).results()  # the default policy, as the CLI without --model
    got = expenditure_totals(out / "ics.xlsx")
    for y in inputs.years:  # no HWBs: the one plan is the whole ICS's spend
        spend = res.allocation.loc[res.allocation["year"] == y, "spend_m"].sum()
        assert got[y] == pytest.approx(round(spend * 1e6, 2), abs=1e-6)
    # a second run replaces the folder's workbooks; a failing run leaves it as it was
    before = (out / "ics.xlsx").read_bytes()
    bad = CliRunner().invoke(app, ["solve", str(data), "--bcf-dir", str(out), "--set",
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


def own_pools():
    """two_boards with each board's own pool: north £4.5m and south £4.6234567m a year (NHS
    minimum contributions), and £2m of ICS-wide money; north states a £1.5m ASC minimum.
    The hand solution of two_boards still holds, and now each board's money stays in it:
    north £6m = £4.5m + £1.5m ICS-wide, south £5.1234567m = £4.6234567m + £0.5m."""
    from dataclasses import replace

    import pandas as pd

    base = two_boards()
    funding = [("NMN", y, 4.5, "north") for y in (Y1, Y2)] + [
        ("NMS", y, 4.6234567, "south") for y in (Y1, Y2)] + [("TF", y, 2.0) for y in (Y1, Y2)]
    inputs = make_inputs(
        services=[base.services.iloc[i].to_dict() for i in range(2)],
        curves=[("A", "m", 1, 7.0, 10.0), ("B", "m", 1, 7.0, 5.0)], funding=funding,
        places=[{k: v for k, v in r.items() if k != "name"} for r in
                base.places.to_dict("records")])
    fund = inputs.funding
    fund.loc[fund["source_id"] != "TF", "bcf_source"] = "Minimum NHS Contribution"
    return replace(inputs, hwbs=pd.DataFrame({"hwb_id": ["north"], "name": ["Northshire"],
                                              "two_tier": [False], "asc_min_m": [1.5]}))


def test_each_boards_own_pool_is_on_its_income_sheet_with_its_asc_floor(tmp_path):
    """Each board's Income sheet lists its own pool, never the other's, and the ICS-wide money
    only as the part its schemes use; north's NHS minimum contribution to adult social care
    is checked against its stated £1.5m (the hwbs table); the lines still add up to the
    penny to each board's spend (£6,000,000.00 and £5,123,456.70)."""
    inputs = own_pools()
    res = build(inputs, Policy()).results()
    assert res.optimal
    write_bcf_plans(res, inputs, tmp_path / "out")
    assert expenditure_totals(tmp_path / "out" / "north.xlsx") == {Y1: 6e6, Y2: 6e6}
    assert expenditure_totals(tmp_path / "out" / "south.xlsx") == {
        Y1: pytest.approx(5_123_456.70, abs=1e-6), Y2: pytest.approx(5_123_456.70, abs=1e-6)}
    per_board = res.hwbs.set_index(["hwb_id", "year"])["spend_m"]  # the solve's own figures
    for board in ("north", "south"):
        for y, total in expenditure_totals(tmp_path / "out" / f"{board}.xlsx").items():
            assert total == pytest.approx(round(per_board[(board, y)] * 1e6, 2), abs=1e-6)
    north = load_workbook(tmp_path / "out" / "north.xlsx")
    assert (north["Summary"]["B3"].value, north["Summary"]["B4"].value) == ("Northshire", "north")
    _, income = sheet_rows(north["Income"])
    pools = {r[-1]: r[2] for r in income if r[-1]}
    assert pools["NMN"] == "This board's pool" and "NMS" not in pools
    assert pools.get("TF", "ICS-wide (the part used here)") == "ICS-wide (the part used here)"
    _, rows = sheet_rows(north["National Conditions"])  # the policy holds no floor: no row
    assert not [r for r in rows if r[1] == "NHS minimum contribution to adult social care"]
    # under the 2026-27 rules north's stated £1.5m rises by 3.9% a year, as the solve holds it
    rules = Policy.model_validate({"bcf": {"rules": "2026-27"},
                                   "rules": {"bcf_conditions": {"enabled": True}}})
    res = build(inputs, rules).results()
    write_bcf_plans(res, inputs, tmp_path / "ruled")
    north = load_workbook(tmp_path / "ruled" / "north.xlsx")
    _, rows = sheet_rows(north["National Conditions"])
    floors = [r for r in rows if r[1] == "NHS minimum contribution to adult social care"]
    assert [(r[2], r[5]) for r in floors] == [(Y1, 1.5e6), (Y2, pytest.approx(1.5585e6))]
    assert "=SUMPRODUCT(" in floors[0][3] and 'EXACT(' in floors[0][3]
    _, rows = sheet_rows(load_workbook(tmp_path / "out" / "south.xlsx")["National Conditions"])
    assert not [r for r in rows if r[1] == "NHS minimum contribution to adult social care"]


def test_rounding_to_pennies_keeps_every_board_year_total():
    """Property: for any lines (board, year, £m) each line becomes whole pennies within one
    penny of its exact value, and each board-year's lines add up to its spend rounded to the
    penny."""
    import pandas as pd
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from budgetopt.reports.excel.bcf_plans import _to_pennies

    amounts = st.floats(min_value=0.0, max_value=500.0, allow_nan=False)
    lines_of = st.lists(st.tuples(st.sampled_from(["n", "s", "e"]), st.sampled_from([Y1, Y2]),
                                  amounts), min_size=1, max_size=40)

    @settings(max_examples=60, deadline=None, derandomize=True, database=None)
    @given(lines_of)
    def check(rows):
        lines = pd.DataFrame([(h, "SRC", f"S{i}", y, a) for i, (h, y, a) in enumerate(rows)],
                             columns=["hwb_id", "source_id", "service_id", "year", "amount_m"])
        spend = lines.groupby(["hwb_id", "year"], as_index=False)["amount_m"].sum().rename(
            columns={"amount_m": "spend_m"})
        out = _to_pennies(lines, spend)
        p = out["amount_m"] * 1e8
        assert ((p - p.round()).abs() < 1e-4).all()
        assert ((out["amount_m"] - lines["amount_m"]).abs() * 1e8 <= 1.0 + 1e-6).all()
        got = out.groupby(["hwb_id", "year"])["amount_m"].sum() * 1e8
        want = spend.set_index(["hwb_id", "year"])["spend_m"] * 1e8
        assert ((got - want.round()).abs() < 1e-3).all()

    check()


@needs_office
@pytest.mark.libreoffice
def test_the_examples_plan_opens_in_libreoffice_with_every_check_green(tmp_path):
    """The example's Shire County plan under ics-statutory, recalculated by LibreOffice:
    every condition-3 check met, and the Summary's spend its places' spend each year."""
    from budgetopt.data.dataset import load_dataset
    from budgetopt.policy import load_policy

    inputs = load_dataset(EXAMPLE)
    res = build(inputs, load_policy(ROOT / "models" / "ics-statutory.yaml")).results()
    write_bcf_plans(res, inputs, tmp_path / "out")
    values = load_workbook(recalculated(tmp_path / "out" / "SHIRE.xlsx", tmp_path / "calc"),
                           data_only=True)
    _, rows = sheet_rows(values["National Conditions"])
    checks = [r for r in rows if r[0].startswith("3.")]
    assert {r[6] for r in checks} == {"Met"}, [r for r in checks if r[6] != "Met"]
    assert checks
    shire = res.allocation["place_id"].isin(inputs.places_of_hwb("SHIRE"))
    summary = {r[0]: r[1:4] for r in values["Summary"].iter_rows(values_only=True)
               if r[0] in inputs.years}
    for y, (income, spend, left) in summary.items():
        spent = res.allocation.loc[shire & (res.allocation["year"] == y), "spend_m"].sum() * 1e6
        assert spend == pytest.approx(round(spent, 2), abs=0.005)
        assert left == pytest.approx(income - spend, abs=0.005)


def test_flows_that_name_their_board_are_used_as_they_are(plans):
    """Results whose funding flows say which board's places each pays for (``hwb_id``, as
    the solve gives them with HWB pools): each board's lines are those flows, to the penny."""
    from dataclasses import replace

    inputs, res, _ = plans
    spend = res.allocation.assign(hwb_id=res.allocation["place_id"].map(
        {"N1": "north", "N2": "north", "S1": "south"}))
    by_board = spend.groupby(["service_id", "hwb_id", "year"], as_index=False)["spend_m"].sum()
    # two sources per board-line: 30% from X, 70% from Y
    flows = [{"source_id": src, "service_id": r.service_id, "year": r.year,
              "hwb_id": r.hwb_id, "amount_m": r.spend_m * share, "pool_hwb_id": None}
             for r in by_board.itertuples() for src, share in (("X", 0.3), ("Y", 0.7))]
    import pandas as pd

    named = replace(res, funding_flows=pd.DataFrame(flows))
    lines = hwb_flows(named, inputs)
    got = lines.groupby(["hwb_id", "source_id", "service_id", "year"])["amount_m"].sum()
    for f in flows:
        key = (f["hwb_id"], f["source_id"], f["service_id"], f["year"])
        assert got[key] == pytest.approx(f["amount_m"], abs=0.01e-6)
    totals = lines.groupby(["hwb_id", "year"])["amount_m"].sum()
    assert totals[("south", Y1)] * 1e8 == pytest.approx(512_345_670, abs=1e-3)


@needs_office
@pytest.mark.libreoffice
def test_with_own_pools_every_boards_checks_are_green_when_recalculated(tmp_path):
    """Money kept in its board (own_pools): recalculated by LibreOffice, each board's
    spend is within its income and each source's within its own, to the pound; north's
    ICS-wide money used is £1.5m a year and south's £0.5m (their £2m)."""
    inputs = own_pools()
    res = build(inputs, Policy()).results()
    write_bcf_plans(res, inputs, tmp_path / "out")
    used = {}
    for board in ("north", "south"):
        values = load_workbook(recalculated(tmp_path / "out" / f"{board}.xlsx",
                                            tmp_path / board), data_only=True)
        _, rows = sheet_rows(values["National Conditions"])
        checks = [r for r in rows if r[0].startswith("3.")]
        assert {r[6] for r in checks} == {"Met"}, [r for r in checks if r[6] != "Met"]
        _, income = sheet_rows(values["Income"])
        used[board] = {r[-1]: r[4] for r in income if r[-1]}  # the first year's income
    assert used["north"]["TF"] == pytest.approx(1.5e6, abs=0.01)
    assert used["south"]["TF"] == pytest.approx(0.5e6, abs=0.01)
    assert used["north"]["NMN"] == 4.5e6 and used["south"]["NMS"] == pytest.approx(
        4_623_456.70, abs=0.005)


def dfg_case():
    """own_pools plus north's Disabled Facilities Grant (£0.5m a year, no eligibility rows)
    and a DFG scheme D (£1m at 20 per £m, widths 1/7, 2/7, 4/7) under the 2026-27 BCF rules:
    the rule set lets the DFG pay only for DFG Related Schemes, so it pays for D in north."""
    from dataclasses import replace


    base = own_pools()
    d = {**base.services.iloc[1].to_dict(), "service_id": "D", "name": "DFG adaptations",
         "scheme_type": "DFG Related Schemes"}
    funding = [tuple(r) for r in base.funding[["source_id", "year", "amount_m", "hwb_id"]]
               .itertuples(index=False)] + [("DFGN", y, 0.5, "north") for y in (Y1, Y2)]
    funding = [f if isinstance(f[3], str) else f[:3] for f in funding]
    inputs = make_inputs(
        services=[*(base.services.iloc[i].to_dict() for i in range(2)), d],
        curves=[("A", "m", 1, 7.0, 10.0), ("B", "m", 1, 7.0, 5.0), ("D", "m", 1, 1.0, 20.0)],
        funding=funding, places=[{k: v for k, v in r.items() if k != "name"}
                                 for r in base.places.to_dict("records")])
    fund = inputs.funding
    fund["bcf_source"] = fund["source_id"].map({"NMN": "Minimum NHS Contribution",
                                                "NMS": "Minimum NHS Contribution",
                                                "DFGN": "DFG"}).fillna("Other")
    return replace(inputs, hwbs=base.hwbs)


@needs_office
@pytest.mark.libreoffice
def test_a_capital_stream_spent_on_other_schemes_turns_red(tmp_path):
    policy = Policy.model_validate({"bcf": {"rules": "2026-27"}})
    inputs = dfg_case()
    res = build(inputs, policy).results()
    assert res.optimal, res.status
    write_bcf_plans(res, inputs, tmp_path / "out")
    path = tmp_path / "out" / "north.xlsx"
    wb = load_workbook(path)
    _, income = sheet_rows(wb["Income"])
    assert {r[-1]: r[3] for r in income if r[-1]}["DFGN"] == "Capital"
    values = load_workbook(recalculated(path, tmp_path / "as-is"), data_only=True)
    _, rows = sheet_rows(values["National Conditions"])
    dfg = [r for r in rows if r[1].endswith("spent only on DFG Related Schemes")]
    assert [r[2] for r in dfg] == [Y1, Y2] and {r[6] for r in dfg} == {"Met"}
    assert {r[6] for r in rows if r[0].startswith("3.")} == {"Met"}
    # a BCF lead relabels the DFG line's scheme as Home Care: the check turns red
    ws = wb["Expenditure"]
    headers = [c.value for c in ws[HEADER_ROW]]
    sid, kind = headers.index("budgetopt source id") + 1, headers.index("Scheme Type") + 1
    line = next(r for r in range(FIRST_ROW, ws.max_row + 1)
                if ws.cell(row=r, column=sid).value == "DFGN")
    ws.cell(row=line, column=kind).value = "Home Care or Domiciliary Care"
    wb.save(tmp_path / "edited.xlsx")
    values = load_workbook(recalculated(tmp_path / "edited.xlsx", tmp_path / "edited"),
                           data_only=True)
    _, rows = sheet_rows(values["National Conditions"])
    assert {r[6] for r in rows if r[1].endswith("spent only on DFG Related Schemes")} == {
        "Not met"}


def test_a_solve_without_a_plan_still_writes_each_boards_workbook(tmp_path):
    """Minimums beyond the money (infeasible): each board's plan is written with nothing
    spent, and its Summary gives the solve's status."""
    inputs = two_boards(min_m=50.0)
    res = build(inputs, Policy()).results()
    assert not res.optimal
    write_bcf_plans(res, inputs, tmp_path / "out")
    for board in ("north", "south"):
        wb = load_workbook(tmp_path / "out" / f"{board}.xlsx")
        assert expenditure_totals(tmp_path / "out" / f"{board}.xlsx") == {Y1: 0, Y2: 0}
        facts = {r[0]: r[1] for r in wb["Summary"].iter_rows(values_only=True) if r[0]}
        assert facts["Solve status"] == res.status


def test_a_plan_never_replaces_the_data_sets_own_workbook(tmp_path):
    """`solve DIR/<hwb>.xlsx --bcf-dir DIR`: one board's plan would be the data set itself:
    exit 2, the workbook unchanged, nothing written."""
    from budgetopt.data.dataset import load_dataset

    board = load_dataset(ROOT / "inputs" / "example.xlsx").hwb_ids[0]
    data = tmp_path / f"{board}.xlsx"
    shutil.copy(ROOT / "inputs" / "example.xlsx", data)
    before = data.read_bytes()
    done = CliRunner().invoke(app, ["solve", str(data), "--bcf-dir", str(tmp_path), "--quiet"])
    assert done.exit_code == 2, done.output
    assert f"{board}.xlsx" in done.output and "input" in done.output
    assert data.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [f"{board}.xlsx"]


def test_capacity_against_demand_by_pathway_follows_the_plan(tmp_path):
    """two_boards with a demand table (south: P1 1,000 people a year) and A serving 500
    people per £1m on P1: south spends £4m on A (its 4/7 of A's £7m), so its P1 capacity is
    2,000 people, twice its demand; north has no demand rows and no pathway table."""
    from dataclasses import replace

    import pandas as pd

    inputs = two_boards()
    inputs = replace(inputs,
                     demand=pd.DataFrame({"hwb_id": ["south", "south"], "year": [Y1, Y2],
                                          "pathway": ["P1", "P1"], "demand": [1000.0, 1000.0]}),
                     capacity=pd.DataFrame({"service_id": ["A"], "pathway": ["P1"],
                                            "per_m": [500.0]}))
    res = build(inputs, Policy()).results()
    write_bcf_plans(res, inputs, tmp_path / "out")
    ws = load_workbook(tmp_path / "out" / "south.xlsx")["Capacity and Demand"]
    rows = [r for r in ws.iter_rows(values_only=True) if r[0] == "P1"]
    assert [(r[1], r[3]) for r in rows] == [(Y1, 1000.0), (Y2, 1000.0)]
    assert 'EXACT(' in rows[0][2] and "*500.0" in rows[0][2]
    if SOFFICE:
        values = load_workbook(recalculated(tmp_path / "out" / "south.xlsx", tmp_path / "c"),
                               data_only=True)["Capacity and Demand"]
        got = [r for r in values.iter_rows(values_only=True) if r[0] == "P1"]
        assert [round(r[2], 6) for r in got] == [2000.0, 2000.0]
        assert [r[4] for r in got] == [pytest.approx(2.0)] * 2
    north = load_workbook(tmp_path / "out" / "north.xlsx")["Capacity and Demand"]
    assert not [r for r in north.iter_rows(values_only=True) if r[0] == "P1"]


@pytest.fixture(scope="module")
def example_plans(tmp_path_factory):
    """Every HWB's plan of the example under bcf-ambitions (the 2026-27 rules, each HWB's goals
    for the three national metrics, capacity for 95% of demand), as written and as LibreOffice
    recalculates them (one soffice run for the three workbooks)."""
    import subprocess

    from budgetopt.data.dataset import load_dataset
    from budgetopt.policy import load_policy

    inputs = load_dataset(EXAMPLE)
    res = build(inputs, load_policy(ROOT / "models" / "bcf-ambitions.yaml")).results()
    assert res.optimal, res.status
    top = tmp_path_factory.mktemp("example-plans")
    paths = write_bcf_plans(res, inputs, top / "out")
    calc = top / "calc"
    if SOFFICE is not None:
        done = subprocess.run([SOFFICE, f"-env:UserInstallation={(top / 'profile').as_uri()}",
                               "--headless", "--norestore", "--convert-to", "xlsx", "--outdir",
                               str(calc), *map(str, paths)], capture_output=True, text=True,
                              timeout=300, check=False)
        assert done.returncode == 0, done.stderr
    return inputs, res, paths, calc


def _rows_by_header(ws) -> list[dict]:
    headers, rows = sheet_rows(ws)
    return [dict(zip(headers, r)) for r in rows]


def test_every_example_hwbs_plan_has_each_sheet_complete(example_plans):
    """Each HWB of the example (opened by openpyxl, as written): the Summary's facts and a row
    per plan year in £; Income its own pool's every stream (NHS minimum contribution, LA Better
    Care Grant, DFG as capital, passed to the districts in the two-tier county, additional
    contributions) to the penny of the funding table;
    Expenditure to the penny of the solve; the four national conditions; the three national
    metrics with the HWB's goal each year; capacity against demand on every pathway and year
    of its demand. Every figure is in £ (headers say so; cells formatted "£"); no input text
    is a formula."""
    inputs, res, paths, _ = example_plans
    assert sorted(p.stem for p in paths) == sorted(inputs.hwb_ids)
    fund = inputs.funding
    demand = inputs.demand
    two_tier = dict(zip(inputs.hwb_table()["hwb_id"], inputs.hwb_table()["two_tier"]))
    assert any(two_tier.values()) and not all(two_tier.values())  # a county and unitaries
    for path in paths:
        h = path.stem
        wb = load_workbook(path)
        assert wb.sheetnames[:7] == [s.name for s in bcf_layout.SHEETS]
        # Summary: a row per year, each figure a formula in £
        summary = {r[0].value: r for r in wb["Summary"].iter_rows() if r[0].value}
        assert summary["HWB id"][1].value == h
        assert summary["Two-tier area"][1].value.startswith("Yes" if two_tier[h] else "No")
        for y in inputs.years:
            assert all(c.number_format == '"£"#,##0' for c in summary[y][1:4]), y
            assert all(str(c.value).startswith("=") for c in summary[y][1:4])
        assert any(str(k).startswith("What the 2026-27 rules rest on") for k in summary)
        # Income: the HWB's own streams, each to the penny, the DFG as capital
        income = _rows_by_header(wb["Income"])
        own = fund[fund["hwb_id"] == h]
        streams = {r["Funding stream"] for r in income if r["Pool"] == "This board's pool"}
        assert streams == set(own["bcf_source"]) >= {"Minimum NHS Contribution",
                                                     "Local Authority Better Care Grant", "DFG"}
        for r in income:
            if r["Pool"] != "This board's pool":
                continue
            capital = (bcf_layout.CAPITAL_TO_DISTRICTS if two_tier[h] else "Capital")
            assert r["Capital or revenue"] == (capital if r["Funding stream"] == "DFG"
                                               else "Revenue")
            for y in inputs.years:
                amount = own.loc[(own["source_id"] == r["budgetopt source id"])
                                 & (own["year"] == y), "amount_m"].sum()
                assert r[f"Income (£) {y}"] == round(amount * 1e6, 2)
        # Expenditure: to the penny of the solve's spend in the HWB's places
        mine = res.allocation["place_id"].isin(inputs.places_of_hwb(h))
        totals = expenditure_totals(path)
        for y in inputs.years:
            spent = res.allocation.loc[mine & (res.allocation["year"] == y), "spend_m"].sum()
            assert totals[y] == pytest.approx(round(spent * 1e6, 2), abs=0.005)
        # National Conditions: the four, condition 3 checked year by year
        cond = _rows_by_header(wb["National Conditions"])
        assert {r["Condition"].split(".")[0] for r in cond} == {"1", "2", "3", "4"}
        assert {r["Year"] for r in cond if r["Condition"].startswith("3.")} == set(inputs.years)
        # Metrics: the three national metrics, each year with this HWB's goal
        metrics = _rows_by_header(wb["Metrics"])
        national = [r for r in metrics if r["National metric"] == "yes"]
        assert len(national) == 3 * len(inputs.years)
        assert all(isinstance(r["Goal (this HWB)"], int | float) for r in national), h
        assert {r["Goal test"] for r in national} == {"at least"}
        delay = [r for r in national if r["Metric"].startswith("Average length of discharge")]
        assert delay and all(r["Level unit"].startswith("days of delay per discharge")
                             for r in delay)
        # Capacity and Demand: every pathway-year of the HWB's demand, with the share asked
        cap = wb["Capacity and Demand"]
        table = [r for r in cap.iter_rows(values_only=True) if r[0] in set(demand["pathway"])
                 and r[1] in inputs.years]
        want = demand[demand["hwb_id"] == h]
        assert {(r[0], r[1]) for r in table} == set(zip(want["pathway"], want["year"]))
        assert {r[5] for r in table} == {0.95}
        # no input text is a formula: every formula cell is one of the sheet's own
        names = set(inputs.services["name"]) | set(fund["name"])
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for c in row:
                    if c.data_type == "f":
                        assert not any(n in str(c.value) for n in names), (ws.title, c.coordinate)


@needs_office
@pytest.mark.libreoffice
def test_every_example_hwbs_plan_recalculates_green_and_converts_to_pdf(example_plans, tmp_path):
    """Recalculated by LibreOffice: every condition-3 check, every metric goal and every
    pathway's capacity share of each HWB is met; each workbook converts to a PDF."""
    import subprocess

    inputs, _, paths, calc = example_plans
    for path in paths:
        values = load_workbook(calc / path.name, data_only=True)
        cond = _rows_by_header(values["National Conditions"])
        assert {r["Status"] for r in cond if r["Condition"].startswith("3.")} == {"Met"}
        goals = [r["Goal met"] for r in _rows_by_header(values["Metrics"])
                 if r["Goal (this HWB)"] is not None]
        assert goals and set(goals) == {"Met"}, path.stem
        status = [r[6] for r in values["Capacity and Demand"].iter_rows(values_only=True)
                  if r[0] in set(inputs.demand["pathway"]) and r[1] in inputs.years]
        assert status and set(status) == {"Met"}, path.stem
    done = subprocess.run([SOFFICE, f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
                           "--headless", "--norestore", "--convert-to", "pdf", "--outdir",
                           str(tmp_path / "pdf"), *map(str, paths)], capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    for path in paths:
        pdf = tmp_path / "pdf" / f"{path.stem}.pdf"
        assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 10_000


@needs_office
@pytest.mark.libreoffice
def test_capacity_against_demand_turns_red_when_the_plan_is_cut(example_plans, tmp_path):
    """Cut every scheme of one HWB's 2026/27 expenditure to nothing and recalculate: each
    pathway of 2026/27 falls short of the share the plan must meet (red), 2027/28 stays
    met."""
    inputs, _, paths, _ = example_plans
    path = next(p for p in paths if p.stem == "EASTBROOK")
    wb = load_workbook(path)
    ws = wb["Expenditure"]
    headers = [c.value for c in ws[HEADER_ROW]]
    j = headers.index(f"Expenditure (£) {Y1}") + 1
    for r in range(FIRST_ROW, ws.max_row + 1):
        if ws.cell(row=r, column=1).value and ws.cell(row=r, column=2).value != "Total":
            ws.cell(row=r, column=j).value = 0
    edited = tmp_path / "EASTBROOK.xlsx"
    wb.save(edited)
    values = load_workbook(recalculated(edited, tmp_path / "calc"), data_only=True)
    status = {(r[0], r[1]): r[6] for r in values["Capacity and Demand"].iter_rows(
        values_only=True) if r[0] in set(inputs.demand["pathway"]) and r[1] in inputs.years}
    assert {s for (_, y), s in status.items() if y == Y1} == {"Not met"}
    assert {s for (_, y), s in status.items() if y == Y2} == {"Met"}


@needs_office
@pytest.mark.libreoffice
def test_a_boards_out_of_hospital_floor_is_live_and_turns_red_after_an_edit(tmp_path):
    """Riverside (H2) must fund £3m (then £3.3m) of out-of-hospital services from its NHS
    minimum contribution: its plan checks the Joint scheme at its 50% NHS share against the
    solve's floor; cutting JT's 2026/27 line to nothing turns that year red, 2027/28 stays
    green. H1 states no such floor: its plan has no such row."""
    inputs, policy = ooh_per_board()
    res = build(inputs, policy).results()
    assert res.optimal
    write_bcf_plans(res, inputs, tmp_path / "out")
    what = "NHS minimum contribution to NHS-commissioned out-of-hospital services"
    _, h1 = sheet_rows(load_workbook(tmp_path / "out" / "H1.xlsx")["National Conditions"])
    assert not [r for r in h1 if r[1] == what]
    wb = load_workbook(tmp_path / "out" / "H2.xlsx")
    _, rows = sheet_rows(wb["National Conditions"])
    assert {r[2]: r[5] for r in rows if r[1] == what} == {Y1: 3_000_000.0,
                                                          Y2: pytest.approx(3_300_000.0)}
    ws = wb["Expenditure"]
    headers = [c.value for c in ws[HEADER_ROW]]
    j = headers.index(f"Expenditure (£) {Y1}") + 1
    for r in range(FIRST_ROW, ws.max_row + 1):
        if ws.cell(row=r, column=1).value == "JT":
            ws.cell(row=r, column=j).value = 0
    wb.save(tmp_path / "H2.xlsx")
    values = load_workbook(recalculated(tmp_path / "H2.xlsx", tmp_path / "calc"),
                           data_only=True)
    _, rows = sheet_rows(values["National Conditions"])
    assert {r[2]: r[6] for r in rows if r[1] == what} == {Y1: "Not met", Y2: "Met"}


@needs_office
@pytest.mark.libreoffice
def test_each_boards_local_rules_are_live_and_turn_red_after_an_edit(tmp_path):
    """Under shift-left each HWB's plan has a Local Rules sheet: its share of personal budgets
    and the sector shares of its own pool, per year, as formulas over its Expenditure sheet
    (each HWB's rows, none of another's). Cut Harbourside's personal budgets in 2026/27 to
    nothing and recalculate: that row turns red, every other stays green."""
    from budgetopt.data.dataset import load_dataset
    from budgetopt.policy import load_policy

    inputs = load_dataset(EXAMPLE)
    res = build(inputs, load_policy(ROOT / "models" / "shift-left.yaml")).results()
    write_bcf_plans(res, inputs, tmp_path / "out")
    names = inputs.hwb_table().set_index("hwb_id")["name"]
    for h in inputs.hwb_ids:
        _, rows = sheet_rows(load_workbook(tmp_path / "out" / f"{h}.xlsx")["Local Rules"])
        assert len(rows) == 3 * len(inputs.years)  # prevention, VCSE, personal budgets
        assert all(f" in {names[h]} in " in r[0] for r in rows), h
    wb = load_workbook(tmp_path / "out" / "HARBOUR.xlsx")
    ws = wb["Expenditure"]
    headers = [c.value for c in ws[HEADER_ROW]]
    j = headers.index(f"Expenditure (£) {Y1}") + 1
    for r in range(FIRST_ROW, ws.max_row + 1):
        if ws.cell(row=r, column=1).value == "PB":
            ws.cell(row=r, column=j).value = 0
    wb.save(tmp_path / "HARBOUR.xlsx")
    values = load_workbook(recalculated(tmp_path / "HARBOUR.xlsx", tmp_path / "calc"),
                           data_only=True)
    _, rows = sheet_rows(values["Local Rules"])
    red = [(r[0], r[1]) for r in rows if r[5] != "Met"]
    text = f"Personal budgets in Harbourside in {Y1} at least 5% of eligible social care spend"
    assert red == [(text, Y1)]
