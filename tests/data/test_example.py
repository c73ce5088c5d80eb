"""The example ICS and the blank template: what ships in inputs/ is what the script builds,
it is the system DOMAIN.md describes, it solves to a plausible optimum, and the template reads
back as a data set."""

from __future__ import annotations

import filecmp
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from budgetopt.api import optimise
from budgetopt.cli import app
from budgetopt.data.dataset import load_dataset, write_dataset
from budgetopt.data.example import example_tables, write_example
from budgetopt.data.schema import SECTORS, TABLES
from budgetopt.policy import load_policy


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    return write_example(tmp_path_factory.mktemp("example"))


@pytest.fixture(scope="module")
def example(example_dir):
    return load_dataset(example_dir)


@pytest.fixture(scope="module")
def default_result(example, models_dir):
    return optimise(example, load_policy(models_dir / "default.yaml"))


def test_committed_inputs_are_what_the_script_builds(built, example_dir, example_xlsx):
    """Edit src/budgetopt/example.py, then run `make example`: this fails until you do."""
    cmp = filecmp.dircmp(built["csv"], example_dir)
    assert not (cmp.left_only or cmp.right_only or cmp.diff_files), (
        f"inputs/example differs from the script: {cmp.diff_files or cmp.left_only}")
    assert load_dataset(built["xlsx"]).data_hash == load_dataset(example_xlsx).data_hash


def test_csv_folder_and_workbook_are_the_same_data_set(example, example_xlsx):
    assert load_dataset(example_xlsx).data_hash == example.data_hash


def test_the_example_is_the_ics_of_the_domain_notes(example):
    assert len(example.services) >= 20
    assert set(example.services["sector"]) == set(SECTORS)
    assert 1.4e6 <= example.places["population"].sum() <= 1.6e6
    assert len(example.places) == 5
    years = sorted(example.funding["year"].unique())
    assert 3 <= len(years) <= 5
    assert years[0] == "2026/27" and len(years) == 3
    first = example.funding[example.funding["year"] == years[0]]
    pools = first[first["hwb_id"].notna()]
    # the 2025-26 national totals at the ICS's 2.6% of England: NHS minimum £5,614m, LA Better
    # Care Grant £2,640m, DFG £711m; additional contributions £4m + £5m
    by_stream = pools.groupby("bcf_source")["amount_m"].sum()
    assert by_stream["Minimum NHS Contribution"] == pytest.approx(5_614 * 0.026, abs=0.02)
    assert by_stream["Local Authority Better Care Grant"] == pytest.approx(2_640 * 0.026,
                                                                          abs=0.02)
    assert by_stream["DFG"] == pytest.approx(711 * 0.026, abs=0.02)
    assert pools["amount_m"].sum() == pytest.approx(242.1, abs=0.05)
    assert set(first.loc[first["hwb_id"].isna(), "source_id"]) == {"TRANSFORM"}
    assert not set(first["bcf_source"]) & {"iBCF", "Local Authority Discharge Funding",
                                           "ICB Discharge Funding"}
    # three HWBs: a two-tier county of three places and two unitary councils, each its pool
    assert example.hwb_ids == ["SHIRE", "EASTBROOK", "HARBOUR"]
    assert [len(example.places_of_hwb(h)) for h in example.hwb_ids] == [3, 1, 1]
    assert example.hwb_table()["two_tier"].tolist() == [True, False, False]
    assert set(pools["hwb_id"]) == set(example.hwb_ids)
    national = example.metrics[example.metrics["bcf_metric"]]
    assert national["metric_id"].tolist() == ["EMADM65", "DISDELAY", "RESADM"]
    assert {"ACSC", "FALLS65", "HOMEDIS", "REAB91", "QALY"} <= set(example.metrics["metric_id"])
    assert example.workforce["group_id"].nunique() >= 3
    dfg = example.funding.loc[example.funding["bcf_source"] == "DFG", "source_id"]
    dfg_may_pay = set(example.eligibility[example.eligibility["source_id"].isin(dfg)][
        "service_id"])
    assert dfg_may_pay == set(example.services.query("scheme_type == 'DFG Related Schemes'")[
        "service_id"])


def test_low_central_high_are_ordered_and_curves_concave(example):
    c = example.curves
    assert (c["per_m_low"] <= c["per_m"]).all() and (c["per_m"] <= c["per_m_high"]).all()
    for _, g in c.sort_values("band").groupby(["service_id", "metric_id"]):
        assert g["per_m"].is_monotonic_decreasing


def test_the_example_solves_to_optimal_within_the_money(default_result, example):
    r = default_result
    assert r.status == "optimal"
    flows = r.funding_flows.groupby(["source_id", "year"])["amount_m"].sum()
    funding = example.funding.set_index(["source_id", "year"])["amount_m"]
    assert (flows <= funding.reindex(flows.index) + 1e-6).all()


def test_the_optimum_beats_the_baseline_and_keeps_the_statutory_minimums(default_result,
                                                                         example):
    alloc = default_result.allocation.groupby(["service_id", "year"])["spend_m"].sum()
    minimums = example.services.set_index("service_id")["min_m"]
    for (sid, _year), spend in alloc.items():
        assert spend >= minimums[sid] - 1e-6
    outcomes = default_result.outcomes
    assert (outcomes["value"].sum() > 0)
    assert default_result.to_json_dict()["objective"] > 0


def test_the_allocation_is_plausible_no_line_is_swept_away(default_result, example):
    """A finance lead's sanity check: existing lines keep at least half their baseline and the
    new money goes to new and high-return schemes, not to one line."""
    allocation = default_result.allocation
    first_year = allocation["year"] == example.years[0]
    alloc = allocation[first_year].groupby("service_id")["spend_m"].sum()
    base = example.services.set_index("service_id")["baseline_m"]
    existing = base[base > 0].index
    assert (alloc.reindex(existing).fillna(0) >= 0.5 * base[existing]).all()
    assert alloc.max() < 0.25 * alloc.sum()


def test_notes_sheet_cites_sources_and_says_fictional(example_xlsx):
    wb = load_workbook(example_xlsx, read_only=True)
    assert "notes" in wb.sheetnames
    text = " ".join(str(c) for row in wb["notes"].iter_rows(values_only=True) for c in row if c)
    assert "fictional" in text
    for source in ("PSSRU", "NHS England", "BCF planning requirements", "NICE"):
        assert source in text


# -- the blank template ---------------------------------------------------------------------------


def test_template_has_a_sheet_per_table_with_descriptions_and_drop_downs(repo_root):
    wb = load_workbook(repo_root / "inputs" / "template.xlsx")
    for name, table in TABLES.items():
        ws = wb[name]
        assert [c.value for c in ws[1]][: len(table.columns)] == list(table.column_names)
        assert str(ws["A2"].value).startswith("#")
        assert ws["A3"].fill.fgColor.rgb.endswith("FFF2CC")  # input cells marked
    ranges = {str(dv.sqref).split(":")[0][:1]: dv.formula1
              for dv in wb["services"].data_validations.dataValidation}
    letters = {c.value: c.column_letter for c in wb["services"][1]}
    for column in ("sector", "scheme_type", "area_of_spend", "commissioner"):
        assert letters[column] in ranges, f"no drop-down on services.{column}"
    assert any("Minimum NHS Contribution" in str(dv.formula1) or "lists!" in str(dv.formula1)
               for dv in wb["funding"].data_validations.dataValidation)


def test_a_template_filled_with_the_example_reads_as_the_example(repo_root, tmp_path, example):
    wb = load_workbook(repo_root / "inputs" / "template.xlsx")
    for name, frame in example_tables().items():
        if name not in TABLES:
            continue
        ws = wb[name]
        header = [c.value for c in ws[1]]
        for i, record in enumerate(frame.to_dict("records"), start=3):
            for j, column in enumerate(header, start=1):
                value = record.get(column)
                if value is not None and not (isinstance(value, float) and pd.isna(value)):
                    ws.cell(row=i, column=j, value=value)
    filled = tmp_path / "filled.xlsx"
    wb.save(filled)
    assert load_dataset(filled).data_hash == example.data_hash


def test_blank_template_is_reported_as_empty_not_crashed(repo_root):
    from budgetopt.errors import InputError

    with pytest.raises(InputError) as err:
        load_dataset(repo_root / "inputs" / "template.xlsx")
    assert "services" in str(err.value)


def test_cli_example_writes_a_data_set_a_workbook_and_the_template(tmp_path):
    result = CliRunner().invoke(app, ["example", str(tmp_path / "start")])
    assert result.exit_code == 0, result.output
    for name in ("example", "example.xlsx", "template.xlsx"):
        assert (tmp_path / "start" / name).exists()
    assert load_dataset(tmp_path / "start" / "example").data_hash == \
        load_dataset(tmp_path / "start" / "example.xlsx").data_hash


def test_example_tables_round_trip_through_the_writer(tmp_path, example):
    path = write_dataset(example_tables(), tmp_path / "copy")
    assert load_dataset(path).data_hash == example.data_hash
