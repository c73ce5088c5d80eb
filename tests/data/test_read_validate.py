"""Reading and validating a data set: the boundary where every problem names its cell.

Each bad-input test edits :func:`tests.datasets.tiny_tables` the way a person would edit the
file, writes it as CSV or as a workbook, and checks that the message names the file or sheet,
the spreadsheet row (header = row 1), the column and the value.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook

from budgetopt.data.dataset import load_dataset, write_dataset
from budgetopt.data.read import read_tables
from budgetopt.data.validate import validate, year_order
from budgetopt.errors import InputError, Problem
from tests.datasets import tiny_tables, write_csv, write_xlsx

TABLE_NAMES = ("services", "metrics", "curves", "funding", "eligibility", "places", "workforce",
               "workforce_need", "baseline", "hwbs")


# -- helpers -------------------------------------------------------------------------------


def write(tables: dict[str, pd.DataFrame], tmp_path: Path, kind: str) -> Path:
    """Write `tables` as a CSV folder (``kind="csv"``) or a workbook (``"xlsx"``)."""
    if kind == "csv":
        return write_csv(tables, tmp_path / "data")
    return write_xlsx(tables, tmp_path / "data.xlsx")


def where(table: str, kind: str) -> str:
    return f"{table}.csv" if kind == "csv" else f"data.xlsx › {table}"


def problems_of(tables: dict[str, pd.DataFrame], tmp_path: Path, kind: str = "csv",
                **kw: object) -> list[Problem]:
    path = write(tables, tmp_path, kind)
    with pytest.raises(InputError) as info:
        load_dataset(path, **kw)  # type: ignore[arg-type]
    return info.value.problems


def find(problems: list[Problem], where: str, row: int | None, column: str | None
         ) -> Problem:
    """The one problem at (where, row, column); fails listing them all otherwise."""
    hits = [p for p in problems if (p.where, p.row, p.column) == (where, row, column)]
    assert len(hits) == 1, "\n".join(map(str, problems))
    return hits[0]


def digest(path: Path) -> dict[str, str]:
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def add_rows(frame: pd.DataFrame, *rows: dict[str, object]) -> pd.DataFrame:
    extra = pd.DataFrame(list(rows), dtype=object)
    return pd.concat([frame, extra], ignore_index=True).fillna("").astype(object)


@pytest.fixture
def tables() -> dict[str, pd.DataFrame]:
    return tiny_tables()


KINDS = pytest.mark.parametrize("kind", ["csv", "xlsx"])


# -- valid data ----------------------------------------------------------------------------


def test_csv_folder_and_workbook_give_equal_inputs_and_equal_hash(tables, tmp_path):
    a = load_dataset(write(tables, tmp_path, "csv"))
    b = load_dataset(write(tables, tmp_path, "xlsx"))
    for name in TABLE_NAMES:
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    assert a.years == b.years == ("2026/27",)
    assert a.data_hash == b.data_hash and len(a.data_hash) == 64
    assert a.source.endswith("data") and b.source.endswith("data.xlsx")


def test_validated_frames_have_defaults_filled_and_documented_dtypes(tables, tmp_path):
    inputs = load_dataset(write(tables, tmp_path, "csv"))
    svc = inputs.services.set_index("service_id")
    assert svc.loc["REABLE", "min_m"] == 0.0 and svc.loc["REABLE", "max_m"] == math.inf
    assert svc.loc["FALLS", "max_m"] == 6.0
    assert svc["pooled"].dtype == bool and bool(svc.loc["FALLS", "pooled"]) is True
    assert svc.loc["FALLS", "commissioner"] == "Joint" and math.isnan(svc.loc["FALLS", "pct_nhs"])
    assert pd.api.types.is_string_dtype(inputs.services["service_id"])
    curves = inputs.curves
    assert curves["band"].dtype == "int64" and curves["per_m"].dtype == "float64"
    reable = curves[curves["service_id"] == "REABLE"].set_index(["metric_id", "band"])
    assert reable.loc[("HOME91", 1), "per_m_low"] == reable.loc[("HOME91", 1), "per_m_high"] == 60
    assert curves["year"].isna().all() and curves["year"].iloc[0] is None
    assert list(inputs.metrics["weight"]) == [1.0, 0.5]
    assert inputs.warnings == ()


def test_absent_optional_tables_are_empty_frames_with_their_columns(tables, tmp_path):
    inputs = load_dataset(write(tables, tmp_path, "csv"))
    assert list(inputs.places.columns) == ["place_id", "name", "population",
                                           "weighted_population", "core20_share", "effect",
                                           "hwb_id"]
    assert inputs.places.empty and not inputs.has_places
    assert list(inputs.workforce_need.columns) == ["group_id", "service_id", "wte_per_m"]
    assert inputs.workforce_need["wte_per_m"].dtype == "float64"


def test_extra_columns_and_sheets_are_ignored_and_headers_are_forgiving(tables, tmp_path):
    tables["services"] = tables["services"].rename(columns={"name": " Name "})
    tables["services"]["owner"] = "finance"
    tables["Notes"] = pd.DataFrame({"note": ["fictional ICS"]}, dtype=object)
    book = write(tables, tmp_path, "xlsx")
    wb = load_workbook(book)
    wb["services"].title = " Services "
    wb.save(book)
    inputs = load_dataset(book)
    assert "owner" not in inputs.services.columns
    assert inputs.services.loc[0, "name"] == "Strength and balance classes"


def test_years_are_in_planning_order_not_file_order(tables, tmp_path):
    tables["funding"] = add_rows(tables["funding"].iloc[0:0], *(
        {"source_id": "POOL", "name": "Pool", "year": y, "amount_m": 5}
        for y in ("2028/29", "2026/27", "2027/28")))
    inputs = load_dataset(write(tables, tmp_path, "csv"))
    assert inputs.years == ("2026/27", "2027/28", "2028/29")
    assert sorted(["2027", "2026"], key=year_order) == ["2026", "2027"]
    assert sorted(["FY10", "FY9"], key=year_order) == ["FY9", "FY10"]


def test_workbook_numbers_read_as_the_text_a_person_sees(tables, tmp_path):
    tables["funding"].loc[0, "year"] = 2026.0
    tables["curves"]["band"] = [float(b) for b in tables["curves"]["band"]]
    inputs = load_dataset(write(tables, tmp_path, "xlsx"))
    assert inputs.years == ("2026",)
    assert list(inputs.curves["band"]) == [1, 2, 1, 2, 1, 1, 2]


def test_csv_year_written_as_a_float_is_normalised(tables, tmp_path):
    tables["funding"].loc[0, "year"] = "2026.0"
    assert load_dataset(write(tables, tmp_path, "csv")).years == ("2026",)


def test_row_order_does_not_change_the_hash_but_a_value_does(tables, tmp_path):
    base = load_dataset(write(tables, tmp_path / "a", "csv")).data_hash
    shuffled = {k: v.iloc[::-1].reset_index(drop=True) for k, v in tables.items()}
    assert load_dataset(write(shuffled, tmp_path / "b", "csv")).data_hash == base
    tables["funding"].loc[0, "amount_m"] = 11
    assert load_dataset(write(tables, tmp_path / "c", "csv")).data_hash != base


def test_choice_and_yes_no_words_are_read_in_any_case(tables, tmp_path):
    tables["services"]["sector"] = ["Public Health", "SOCIAL_CARE", "community"]
    tables["services"]["pooled"] = ["No", "TRUE", "0"]
    tables["services"]["area_of_spend"] = ["social care", "Social Care", ""]
    inputs = load_dataset(write(tables, tmp_path, "csv"))
    assert list(inputs.services["sector"]) == ["public_health", "social_care", "community"]
    assert list(inputs.services["pooled"]) == [False, True, False]
    assert list(inputs.services["area_of_spend"]) == ["Social Care", "Social Care", "Other"]


def test_blank_rows_are_dropped_but_rows_keep_their_spreadsheet_numbers(tmp_path, tables):
    folder = write(tables, tmp_path, "csv")
    text = (folder / "services.csv").read_text().splitlines()
    text.insert(2, ",,,,,")  # a blank row 3
    text[3] = text[3].replace("4,", "four,", 1)  # REABLE moves to row 4
    (folder / "services.csv").write_text("\n".join(text) + "\n")
    raw = read_tables(folder)
    assert list(raw.tables["services"].frame.index) == [2, 4, 5]
    with pytest.raises(InputError) as info:
        validate(raw)
    p = find(info.value.problems, "services.csv", 4, "baseline_m")
    assert p.value == "four"


# -- bad input: one kind per test ----------------------------------------------------------


@KINDS
def test_missing_required_table_is_named_with_how_to_add_it(tables, tmp_path, kind):
    del tables["metrics"]
    problems = problems_of(tables, tmp_path, kind)
    label = "data" if kind == "csv" else "data.xlsx"
    p = find(problems, label, None, None)
    assert "'metrics' is missing" in p.message
    assert ("metrics.csv" if kind == "csv" else "sheet named 'metrics'") in p.message


def test_required_table_with_only_a_header_has_no_rows(tables, tmp_path):
    tables["funding"] = tables["funding"].iloc[0:0]
    p = find(problems_of(tables, tmp_path), "funding.csv", None, None)
    assert "no rows" in p.message


def test_misnamed_table_file_is_suggested(tables, tmp_path):
    tables["metric"] = tables.pop("metrics")
    p = find(problems_of(tables, tmp_path), "data", None, None)
    assert "is 'metric.csv' meant to be it?" in p.message


@KINDS
def test_missing_column_names_the_table_and_suggests_the_nearest(tables, tmp_path, kind):
    tables["services"] = tables["services"].rename(columns={"baseline_m": "basline_m"})
    p = find(problems_of(tables, tmp_path, kind), where("services", kind), 1, "baseline_m")
    assert "required column 'baseline_m' is missing" in p.message
    assert "did you mean 'basline_m'?" in p.message


@KINDS
def test_non_number_names_sheet_row_and_column(tables, tmp_path, kind):
    tables["services"].loc[1, "baseline_m"] = "lots"
    p = find(problems_of(tables, tmp_path, kind), where("services", kind), 3, "baseline_m")
    assert p.value == "lots" and "expected a number in £m" in p.message
    assert f"{where('services', kind)}, row 3, column 'baseline_m': 'lots'" in str(p)


@pytest.mark.parametrize("text", ["nan", "inf", "-Infinity", "NaN"])
def test_nan_and_inf_text_are_not_numbers(tables, tmp_path, text):
    tables["curves"].loc[2, "per_m"] = text
    p = find(problems_of(tables, tmp_path), "curves.csv", 4, "per_m")
    assert p.value == text and "finite number" in p.message


def test_inf_as_max_says_to_leave_the_cell_blank(tables, tmp_path):
    tables["services"].loc[0, "max_m"] = "inf"
    p = find(problems_of(tables, tmp_path), "services.csv", 2, "max_m")
    assert "leave the cell blank for no cap" in p.message


@KINDS
def test_negative_money_names_sheet_row_and_column(tables, tmp_path, kind):
    tables["funding"].loc[0, "amount_m"] = -5
    p = find(problems_of(tables, tmp_path, kind), where("funding", kind), 2, "amount_m")
    assert p.value == "-5"
    assert "must be at least 0 £m" in p.message and "money cannot be negative" in p.message


def test_share_above_its_maximum_is_rejected(tables, tmp_path):
    tables["places"] = pd.DataFrame(
        [["NORTH", "North", 1000, 1100, 1.4]], dtype=object,
        columns=["place_id", "name", "population", "weighted_population", "core20_share"])
    p = find(problems_of(tables, tmp_path), "places.csv", 2, "core20_share")
    assert p.value == "1.4" and "must be at most 1" in p.message


def test_minimum_above_maximum_names_the_service(tables, tmp_path):
    tables["services"].loc[2, "min_m"] = 9  # VWARD: max 8
    p = find(problems_of(tables, tmp_path), "services.csv", 4, "min_m")
    assert "min_m 9 is above max_m 8" in p.message and "'VWARD'" in p.message


def test_baseline_above_maximum_is_a_warning_not_an_error(tables, tmp_path):
    tables["services"].loc[0, "baseline_m"] = 7  # FALLS: max 6
    inputs = load_dataset(write(tables, tmp_path, "csv"))
    assert len(inputs.warnings) == 1
    assert "services.csv, row 2, column 'baseline_m': '7'" in inputs.warnings[0]
    assert "baseline_m 7 is above max_m 6" in inputs.warnings[0]


def test_duplicate_id_reports_the_repeat_and_the_first_row(tables, tmp_path):
    tables["services"].loc[2, "service_id"] = "FALLS"
    tables["curves"] = tables["curves"][tables["curves"]["service_id"] != "VWARD"]
    p = find(problems_of(tables, tmp_path), "services.csv", 4, "service_id")
    assert p.value == "FALLS" and "same as row 2" in p.message


def test_duplicate_curve_band_names_the_whole_key(tables, tmp_path):
    tables["curves"].loc[1, "band"] = 1
    p = find(problems_of(tables, tmp_path), "curves.csv", 3, "band")
    assert p.value == "FALLS / ADM / 1" and "same as row 2" in p.message


@KINDS
def test_unknown_service_in_curves_suggests_the_nearest(tables, tmp_path, kind):
    tables["curves"].loc[3, "service_id"] = "REABEL"
    p = find(problems_of(tables, tmp_path, kind), where("curves", kind), 5, "service_id")
    assert p.value == "REABEL"
    assert "unknown service_id" in p.message and "did you mean 'REABLE'?" in p.message


def test_unknown_metric_in_curves_names_metrics_table(tables, tmp_path):
    tables["curves"].loc[0, "metric_id"] = "FALLS65"
    p = find(problems_of(tables, tmp_path), "curves.csv", 2, "metric_id")
    assert p.value == "FALLS65" and "not a metric_id in metrics.csv" in p.message


def test_band_gap_names_the_missing_band(tables, tmp_path):
    tables["curves"].loc[6, "band"] = 3  # VWARD ADM: 1, 3
    p = find(problems_of(tables, tmp_path), "curves.csv", 8, "band")
    assert p.value == 3 and "band 2 is missing" in p.message
    assert "service 'VWARD' for metric 'ADM'" in p.message


def test_fractional_band_is_not_a_whole_number(tables, tmp_path):
    tables["curves"].loc[0, "band"] = "1.5"
    p = find(problems_of(tables, tmp_path), "curves.csv", 2, "band")
    assert p.value == "1.5" and "whole number" in p.message


@KINDS
def test_nonconcave_curve_names_bands_values_and_the_milp_option(tables, tmp_path, kind):
    tables["curves"].loc[6, "per_m"] = 35  # VWARD ADM: 30 then 35
    tables["curves"].loc[6, "per_m_high"] = 40
    problems = problems_of(tables, tmp_path, kind)
    p = find(problems, where("curves", kind), 8, "per_m")
    assert "service 'VWARD' for metric 'ADM' is not concave" in p.message
    assert "rises from 30 in band 1 to 35 in band 2" in p.message
    assert "`nonconcave: milp`" in p.message and p.value == "35"
    high = find(problems, where("curves", kind), 8, "per_m_high")
    assert "per_m_high rises from 35 in band 1 to 40 in band 2" in high.message


def test_nonconcave_curve_is_accepted_with_milp_and_noted(tables, tmp_path):
    tables["curves"].loc[6, "per_m"] = 35
    tables["curves"].loc[6, "per_m_high"] = 40
    inputs = load_dataset(write(tables, tmp_path, "csv"), nonconcave="milp")
    assert len(inputs.warnings) == 1 and "not concave" in inputs.warnings[0]
    assert "nonconcave: milp" in inputs.warnings[0]


def test_low_estimate_above_central_is_rejected(tables, tmp_path):
    tables["curves"].loc[4, "per_m_low"] = 9  # central 8
    p = find(problems_of(tables, tmp_path), "curves.csv", 6, "per_m_low")
    assert "per_m_low 9 is above per_m 8" in p.message


def test_high_estimate_below_central_is_rejected(tables, tmp_path):
    tables["curves"].loc[0, "per_m_high"] = 35  # central 40
    p = find(problems_of(tables, tmp_path), "curves.csv", 2, "per_m_high")
    assert p.value == "35" and "per_m 40 is above per_m_high 35" in p.message


@KINDS
def test_bad_sector_lists_the_choices_and_suggests_the_closest(tables, tmp_path, kind):
    tables["services"].loc[1, "sector"] = "social cares"
    p = find(problems_of(tables, tmp_path, kind), where("services", kind), 3, "sector")
    assert p.value == "social cares"
    assert "one of: acute, community, mental_health" in p.message
    assert "did you mean 'social_care'?" in p.message


def test_bad_yes_no_word_says_what_is_accepted(tables, tmp_path):
    tables["services"]["mhis"] = ["no", "maybe", ""]
    p = find(problems_of(tables, tmp_path), "services.csv", 3, "mhis")
    assert p.value == "maybe" and "yes or no" in p.message


@KINDS
def test_blank_required_cell_is_named(tables, tmp_path, kind):
    tables["metrics"].loc[1, "name"] = "  "
    p = find(problems_of(tables, tmp_path, kind), where("metrics", kind), 3, "name")
    assert p.message.startswith("is blank")


def test_funding_source_missing_a_year_names_source_and_year(tables, tmp_path):
    tables["funding"] = add_rows(tables["funding"], {"source_id": "DFG", "name": "DFG",
                                                     "year": "2027/28", "amount_m": 2})
    p = find(problems_of(tables, tmp_path), "funding.csv", 2, "source_id")
    assert p.value == "POOL" and "no row for year 2027/28" in p.message


def test_workforce_year_not_in_funding_lists_the_funding_years(tables, tmp_path):
    tables["workforce"] = pd.DataFrame([["NURSE", "2026/27", 40], ["NURSE", "2027/28", 40]],
                                       columns=["group_id", "year", "wte_available"],
                                       dtype=object)
    p = find(problems_of(tables, tmp_path), "workforce.csv", 3, "year")
    assert p.value == "2027/28" and "not a year in funding.csv (years: 2026/27)" in p.message


def test_workforce_group_missing_a_year_is_an_error(tables, tmp_path):
    tables["funding"] = add_rows(tables["funding"], {"source_id": "POOL", "name": "Pool",
                                                     "year": "2027/28", "amount_m": 10})
    tables["workforce"] = pd.DataFrame([["NURSE", "2026/27", 40], ["AHP", "2026/27", 9],
                                        ["AHP", "2027/28", 9]],
                                       columns=["group_id", "year", "wte_available"],
                                       dtype=object)
    p = find(problems_of(tables, tmp_path), "workforce.csv", 2, "group_id")
    assert p.value == "NURSE" and "workforce group 'NURSE' has no row for year 2027/28" \
        in p.message


def test_workforce_need_for_an_unknown_group_or_service(tables, tmp_path):
    tables["workforce"] = pd.DataFrame([["NURSE", "2026/27", 40]],
                                       columns=["group_id", "year", "wte_available"],
                                       dtype=object)
    tables["workforce_need"] = pd.DataFrame([["NURSES", "VWARD", 3], ["NURSE", "VWARDS", 3]],
                                            columns=["group_id", "service_id", "wte_per_m"],
                                            dtype=object)
    problems = problems_of(tables, tmp_path)
    assert "did you mean 'NURSE'" in find(problems, "workforce_need.csv", 2, "group_id").message
    assert "did you mean 'VWARD'" in find(problems, "workforce_need.csv", 3,
                                          "service_id").message


def test_baseline_by_place_without_a_places_table_is_explained(tables, tmp_path):
    tables["baseline"] = pd.DataFrame([["FALLS", "NORTH", "2026/27", 1]], dtype=object,
                                      columns=["service_id", "place_id", "year", "amount_m"])
    p = find(problems_of(tables, tmp_path), "baseline.csv", 2, "place_id")
    assert "there is no places table" in p.message


def test_eligibility_for_an_unknown_source(tables, tmp_path):
    tables["eligibility"] = pd.DataFrame([["IBCF", "REABLE"]], dtype=object,
                                         columns=["source_id", "service_id"])
    p = find(problems_of(tables, tmp_path), "eligibility.csv", 2, "source_id")
    assert p.value == "IBCF" and "not a source_id in funding.csv" in p.message


def test_year_specific_curve_for_a_year_not_funded(tables, tmp_path):
    tables["curves"]["year"] = ["", "", "", "", "", "2030/31", "2030/31"]
    p = find(problems_of(tables, tmp_path), "curves.csv", 7, "year")
    assert p.value == "2030/31"


def test_unquoted_comma_in_a_csv_row_is_reported(tables, tmp_path):
    folder = write(tables, tmp_path, "csv")
    with (folder / "services.csv").open("a") as fh:
        fh.write("DIST,District nursing, adults,community,5,,9\n")
    p = find(problems_of_path(folder), "services.csv", 5, None)
    assert "must be in quotes" in p.message


def problems_of_path(path: Path) -> list[Problem]:
    with pytest.raises(InputError) as info:
        load_dataset(path)
    return info.value.problems


def test_service_without_a_curve_is_a_warning(tables, tmp_path):
    tables["curves"] = tables["curves"][tables["curves"]["service_id"] != "FALLS"]
    inputs = load_dataset(write(tables, tmp_path, "csv"))
    assert any("service 'FALLS' has no rows in curves" in w for w in inputs.warnings)


def test_misnamed_optional_table_is_a_warning(tables, tmp_path):
    tables["workforce_needs"] = pd.DataFrame([["NURSE", "VWARD", 3]], dtype=object,
                                             columns=["group_id", "service_id", "wte_per_m"])
    inputs = load_dataset(write(tables, tmp_path, "xlsx"))
    expected = ("data.xlsx: 'workforce_needs' is not a table budgetopt reads, so it is ignored "
                "(did you mean 'workforce_need'?)")
    assert inputs.warnings == (expected,)


def test_misspelt_optional_column_is_a_warning(tables, tmp_path):
    tables["curves"] = tables["curves"].rename(columns={"per_m_high": "per_m_hgih"})
    inputs = load_dataset(write(tables, tmp_path, "csv"))
    assert any("'per_m_high' is absent" in w and "did you mean 'per_m_hgih'" in w
               for w in inputs.warnings)


def test_several_problems_are_reported_together_file_by_file(tables, tmp_path):
    tables["services"].loc[0, "baseline_m"] = "x"
    tables["services"].loc[2, "sector"] = "hospital"
    tables["curves"].loc[4, "metric_id"] = "NOPE"
    tables["funding"].loc[0, "amount_m"] = -1
    with pytest.raises(InputError) as info:
        load_dataset(write(tables, tmp_path, "csv"))
    located = [(p.where, p.row, p.column) for p in info.value.problems]
    assert located == [("services.csv", 2, "baseline_m"), ("services.csv", 4, "sector"),
                       ("curves.csv", 6, "metric_id"), ("funding.csv", 2, "amount_m")]
    assert str(info.value).startswith("The data set data has problems (4 problems):")


# -- files that cannot be read -------------------------------------------------------------


def test_corrupt_workbook_is_an_input_error_not_a_traceback(tmp_path):
    fake = tmp_path / "budget.xlsx"
    fake.write_text("service_id,name\nA,B\n")
    with pytest.raises(InputError) as info:
        load_dataset(fake)
    p = info.value.problems[0]
    assert p.where == "budget.xlsx" and "not an Excel workbook" in p.message


def test_missing_path_is_named(tmp_path):
    with pytest.raises(InputError) as info:
        load_dataset(tmp_path / "nowhere")
    assert "nowhere" in str(info.value) and "no such file or folder" in str(info.value)


@pytest.mark.parametrize(("name", "hint"), [("old.xls", "save it as .xlsx"),
                                            ("services.csv", "give the folder"),
                                            ("notes.txt", "folder of CSV files")])
def test_a_file_that_is_not_a_data_set_says_what_is_expected(tmp_path, name, hint):
    (tmp_path / name).write_text("x")
    with pytest.raises(InputError, match=hint):
        load_dataset(tmp_path / name)


def test_file_over_the_size_limit_is_refused(tables, tmp_path):
    folder = write(tables, tmp_path, "csv")
    with pytest.raises(InputError) as info:
        load_dataset(folder, max_bytes=100)
    assert "over the" in str(info.value) and "limit" in str(info.value)


def test_two_files_for_one_table_are_reported(tables, tmp_path):
    folder = write(tables, tmp_path, "csv")
    (folder / "Services .CSV").write_bytes((folder / "services.csv").read_bytes())
    problems = problems_of_path(folder)
    assert any("look like the services table" in p.message for p in problems)


@KINDS
def test_input_files_are_byte_identical_after_validation(tables, tmp_path, kind):
    path = write(tables, tmp_path, kind)
    before = digest(path)
    load_dataset(path)
    tables["services"].loc[0, "baseline_m"] = "bad"
    bad = write(tables, tmp_path / "bad", kind)
    bad_before = digest(bad)
    with pytest.raises(InputError):
        load_dataset(bad)
    assert digest(path) == before and digest(bad) == bad_before


# -- writing -------------------------------------------------------------------------------


def test_workbook_has_bold_frozen_headers_and_numbers_as_numbers(tables, tmp_path):
    ws = load_workbook(write(tables, tmp_path, "xlsx"))["services"]
    assert ws["A1"].font.bold and ws.freeze_panes == "A2"
    assert ws["D2"].value == 1.5 and ws["D2"].data_type == "n"
    assert ws["E2"].value is None


def test_formula_like_text_is_written_as_text(tables, tmp_path):
    tables["services"].loc[0, "name"] = "=HYPERLINK(\"http://x\")"
    tables["services"].loc[1, "name"] = "@SUM(A1)"
    book = write(tables, tmp_path, "xlsx")
    ws = load_workbook(book)["services"]
    assert ws["B2"].data_type == "s" and ws["B3"].data_type == "s"
    inputs = load_dataset(book)
    assert list(inputs.services["name"])[:2] == ["=HYPERLINK(\"http://x\")", "@SUM(A1)"]


def test_writing_over_a_folder_replaces_the_data_set_and_leaves_no_temporary(tables,
                                                                             tmp_path):
    tables["eligibility"] = pd.DataFrame([["POOL", "FALLS"]], dtype=object,
                                         columns=["source_id", "service_id"])
    folder = write(tables, tmp_path, "csv")
    (folder / "README.txt").write_text("notes")
    del tables["eligibility"]
    write_dataset(tables, folder)
    assert sorted(p.name for p in folder.iterdir()) == [
        "README.txt", "curves.csv", "funding.csv", "metrics.csv", "services.csv"]
    assert not list(tmp_path.glob(".*.part"))
    assert load_dataset(folder).eligibility.empty


def test_infinite_cap_round_trips_as_a_blank(tables, tmp_path):
    first = load_dataset(write(tables, tmp_path / "a", "csv"))
    again = {name: getattr(first, name) for name in ("services", "metrics", "curves", "funding")}
    second = load_dataset(write_dataset(again, tmp_path / "b.xlsx"))
    assert second.data_hash == first.data_hash


def test_a_workbook_without_notes_sheet_reads_and_a_blank_workbook_lists_all_tables(tmp_path):
    book = tmp_path / "empty.xlsx"
    wb = Workbook()
    wb.active.title = "Guide"
    wb.save(book)
    with pytest.raises(InputError) as info:
        load_dataset(book)
    missing = [p for p in info.value.problems if "is missing" in p.message]
    assert len(missing) == 4 and all(p.where == "empty.xlsx" for p in missing)
