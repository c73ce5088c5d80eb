"""Health and Wellbeing Board columns and table (MODEL.md, "Health and Wellbeing Board pools"):
reading them, the accessors on Inputs, and every bad reference refused with exit 2 naming the
file or sheet, the row and the column."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from typer.testing import CliRunner

from budgetopt.cli import app
from budgetopt.data.dataset import load_dataset
from budgetopt.errors import InputError
from tests.datasets import tiny_tables, write_csv, write_xlsx
from tests.helpers import tree_digest

PLACE_COLUMNS = ["place_id", "name", "population", "weighted_population", "core20_share",
                 "hwb_id"]


def hwb_tables(funding_hwbs: tuple[object, ...] = ("CTY", "UA1", "")) -> dict[str, pd.DataFrame]:
    """The tiny data set with three places in two HWBs and one funding row per HWB plus an
    ICS-wide one (`funding_hwbs` gives each funding row's hwb_id)."""
    t = tiny_tables()
    t["places"] = pd.DataFrame([["N", "North", 100, 100, 0.2, "CTY"],
                                ["S", "South", 100, 100, 0.2, "CTY"],
                                ["U", "Unitary", 100, 100, 0.3, "UA1"]],
                               columns=PLACE_COLUMNS, dtype=object)
    t["funding"] = pd.DataFrame(
        [[f"F{i}", f"Fund {i}", "2026/27", 4, h] for i, h in enumerate(funding_hwbs)],
        columns=["source_id", "name", "year", "amount_m", "hwb_id"], dtype=object)
    return t


def write(tables, tmp_path, kind):
    if kind == "csv":
        return write_csv(tables, tmp_path / "data")
    return write_xlsx(tables, tmp_path / "data.xlsx")


KINDS = pytest.mark.parametrize("kind", ["csv", "xlsx"])


@KINDS
def test_hwb_columns_read_and_the_accessors_name_each_places_board(tmp_path, kind):
    t = hwb_tables()
    t["hwbs"] = pd.DataFrame([["CTY", "Shire County", "yes", 20.5]],
                             columns=["hwb_id", "name", "two_tier", "asc_min_m"], dtype=object)
    inputs = load_dataset(write(t, tmp_path, kind))
    assert inputs.has_hwbs and inputs.hwb_ids == ["CTY", "UA1"]
    assert inputs.hwb_of_place() == {"N": "CTY", "S": "CTY", "U": "UA1"}
    assert inputs.places_of_hwb("CTY") == ["N", "S"] and inputs.places_of_hwb("X") == []
    assert inputs.hwb_of_funding() == {("F0", "2026/27"): "CTY", ("F1", "2026/27"): "UA1",
                                       ("F2", "2026/27"): None}
    table = inputs.hwb_table().set_index("hwb_id")
    # CTY from the hwbs table; UA1 is not listed there, so it takes the defaults
    assert table.loc["CTY"].tolist() == ["Shire County", True, 20.5]
    assert table.loc["UA1", "name"] == "UA1" and not table.loc["UA1", "two_tier"]
    assert math.isnan(table.loc["UA1", "asc_min_m"])
    (warning,) = inputs.warnings
    assert "row 4" in warning and "HWB 'UA1' has no row in" in warning


def test_without_hwb_columns_the_data_set_is_one_ics_wide_pool(tmp_path):
    inputs = load_dataset(write_csv(tiny_tables(), tmp_path / "data"))
    assert not inputs.has_hwbs and inputs.hwb_ids == [] and inputs.hwb_table().empty
    assert inputs.hwb_of_funding() == {("POOL", "2026/27"): None}
    assert inputs.funding["hwb_id"].isna().all()


def test_a_place_without_a_board_among_boarded_places_is_a_warning(tmp_path):
    t = hwb_tables()
    t["places"].loc[2, "hwb_id"] = ""
    t["funding"].loc[1, "hwb_id"] = ""
    inputs = load_dataset(write_csv(t, tmp_path / "data"))
    assert inputs.hwb_ids == ["CTY"] and inputs.hwb_of_place()["U"] is None
    assert any("place 'U' has no hwb_id" in w and "row 4" in w for w in inputs.warnings)


def test_an_hwbs_row_no_place_names_is_a_warning(tmp_path):
    t = hwb_tables()
    t["hwbs"] = pd.DataFrame([["CTY"], ["UA1"], ["UA2"]], columns=["hwb_id"], dtype=object)
    inputs = load_dataset(write_csv(t, tmp_path / "data"))
    assert any("HWB 'UA2' has no place" in w for w in inputs.warnings)


def _problem(t, tmp_path, n=1):
    """The first of the `n` problems the data set has."""
    with pytest.raises(InputError) as info:
        load_dataset(write_csv(t, tmp_path / "data"))
    assert len(info.value.problems) == n, info.value.problems
    return info.value.problems[0]


def test_funding_hwb_no_place_has_is_named_with_the_boards_there_are(tmp_path):
    p = _problem(hwb_tables(("CTY", "UA2", "")), tmp_path)
    assert (p.where, p.row, p.column, p.value) == ("funding.csv", 3, "hwb_id", "UA2")
    assert "no place in places.csv belongs to it (HWBs: CTY, UA1)" in p.message
    assert "did you mean 'UA1'" in p.message


def test_funding_hwb_without_a_places_table_is_refused(tmp_path):
    t = hwb_tables()
    del t["places"]
    p = _problem(t, tmp_path, n=2)  # each row with an hwb_id
    assert (p.where, p.row, p.column, p.value) == ("funding.csv", 2, "hwb_id", "CTY")
    assert "there is no places table" in p.message


def test_funding_hwb_with_places_that_have_no_hwb_column_is_refused(tmp_path):
    t = hwb_tables(("", "UA1", ""))
    t["places"] = t["places"].drop(columns=["hwb_id"])
    p = _problem(t, tmp_path)
    assert (p.row, p.column, p.value) == (3, "hwb_id", "UA1")
    assert "no place in places.csv has an hwb_id" in p.message


def test_place_hwb_missing_from_the_hwbs_table_takes_the_defaults_with_a_warning(tmp_path):
    t = hwb_tables()
    t["hwbs"] = pd.DataFrame([["CTY", "yes"], ["UA", "no"]], columns=["hwb_id", "two_tier"],
                             dtype=object)
    inputs = load_dataset(write_csv(t, tmp_path / "data"))
    assert any("places.csv, row 4" in w and "HWB 'UA1' has no row in hwbs.csv (did you mean "
               "'UA'?)" in w for w in inputs.warnings), inputs.warnings
    assert inputs.hwb_table()["two_tier"].tolist() == [True, False]


@KINDS
@pytest.mark.parametrize("case", ["unknown board", "no places table"])
def test_bad_hwb_reference_exits_2_naming_table_row_column(tmp_path, kind, case):
    t = hwb_tables(("CTY", "UA9", ""))
    if case == "no places table":
        del t["places"]
    data = write(t, tmp_path, kind)
    before = tree_digest(data)
    out = tmp_path / "out"
    out.mkdir()
    res = CliRunner().invoke(app, ["solve", str(data), "--json", str(out / "r.json")])
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    assert ("funding.csv" if kind == "csv" else "› funding") in res.output
    assert "hwb_id" in res.output and ("row 3" if case == "unknown board" else "row 2") \
        in res.output
    assert list(out.iterdir()) == [] and tree_digest(data) == before


def test_demand_for_a_board_no_place_has_and_capacity_of_an_unknown_service_are_refused(
        tmp_path):
    t = hwb_tables()
    t["demand"] = pd.DataFrame([["CTY", "2026/27", "P1", 100], ["UAX", "2026/27", "P1", 50]],
                               columns=["hwb_id", "year", "pathway", "demand"], dtype=object)
    t["capacity"] = pd.DataFrame([["REABLE", "P1", 400], ["REABL", "P1", 10]],
                                 columns=["service_id", "pathway", "per_m"], dtype=object)
    with pytest.raises(InputError) as info:
        load_dataset(write_csv(t, tmp_path / "data"))
    found = {(p.where, p.row, p.column, p.value) for p in info.value.problems}
    assert found == {("demand.csv", 3, "hwb_id", "UAX"), ("capacity.csv", 3, "service_id",
                                                          "REABL")}
