"""Hostile and careless inputs (issue 21): each is refused or read with one clear message that
names the file or sheet, the row and the column; the CLI exits 2 with no traceback, writes
nothing and changes no input; nothing is slow because of the input's stated size."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from typer.testing import CliRunner

from budgetopt.cli import app
from budgetopt.data import read
from budgetopt.data.dataset import load_dataset
from budgetopt.errors import InputError, Problem
from tests.datasets import tiny_tables, write_csv, write_xlsx
from tests.helpers import tree_digest


def problems_of(path: Path) -> list[Problem]:
    with pytest.raises(InputError) as info:
        load_dataset(path)
    return info.value.problems


def solve_exits_2(data: Path, tmp_path: Path, *needles: str) -> str:
    """`budgetopt solve data --json --excel`: exit 2, no traceback, nothing written, the data
    set byte-identical, and every needle in the message."""
    before = tree_digest(data)
    out = tmp_path / "out"
    out.mkdir()
    res = CliRunner().invoke(app, ["solve", str(data), "--json", str(out / "r.json"),
                                   "--excel", str(out / "r.xlsx")])
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output, res.output
    for needle in needles:
        assert needle in res.output, res.output
    assert list(out.iterdir()) == []
    assert tree_digest(data) == before
    return res.output


def csv_with(tmp_path: Path, table: str, text: str | bytes) -> Path:
    """The tiny data set as CSV with `table`'s file replaced by `text` (raw bytes or text)."""
    folder = write_csv(tiny_tables(), tmp_path / "data")
    target = folder / f"{table}.csv"
    if isinstance(text, bytes):
        target.write_bytes(text)
    else:
        target.write_text(text, encoding="utf-8", newline="")
    return folder


SERVICES_HEADER = "service_id,name,sector,baseline_m,min_m,max_m\n"
SERVICES_ROWS = ["FALLS,Strength and balance classes,public_health,1.5,,6\n",
                 "REABLE,Home reablement,social_care,4,,\n",
                 "VWARD,Virtual wards,community,2.5,0,8\n"]


# -- workbook dimensions -------------------------------------------------------------------


def test_a_styled_cell_at_the_far_corner_costs_nothing(tmp_path):
    """A 1,048,576 × 16,384 sheet (one empty styled cell at XFD1048576) reads as its data:
    only the rows holding a value are read (issue 21, item 2)."""
    path = write_xlsx(tiny_tables(), tmp_path / "data.xlsx")
    wb = load_workbook(path)
    wb["services"]["XFD1048576"].font = Font(bold=True)
    wb.save(path)
    wb = load_workbook(path, read_only=True)
    ws = wb["services"]
    assert (ws.max_row, ws.max_column) == (1_048_576, 16_384)
    rows = list(read._sheet_rows(ws, "data.xlsx › services", []))
    wb.close()
    assert [n for n, _ in rows] == [1, 2, 3, 4]  # the header and three services
    assert max(len(v) for _, v in rows) < 30
    inputs = load_dataset(path)
    assert list(inputs.services["service_id"]) == ["FALLS", "REABLE", "VWARD"]


def test_a_value_beyond_the_column_limit_is_named_once(tmp_path):
    path = write_xlsx(tiny_tables(), tmp_path / "data.xlsx")
    wb = load_workbook(path)
    far = get_column_letter(read.MAX_COLUMNS + 1)
    wb["services"][f"{far}3"] = "stray"
    wb["services"][f"{far}4"] = "stray too"
    wb.save(path)
    found = [p for p in problems_of(path) if "beyond" in p.message]
    assert len(found) == 1
    assert found[0].where == "data.xlsx › services" and found[0].row == 3
    assert f"column {far}," in found[0].message and f"{read.MAX_COLUMNS:,} columns" in \
        found[0].message


def test_too_many_rows_is_refused_naming_the_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(read, "MAX_ROWS", 3)
    folder = write_csv(tiny_tables(), tmp_path / "data")  # curves.csv has 8 rows
    problems = problems_of(folder)
    assert len(problems) == 1 and problems[0].where == "curves.csv"
    assert "more than 3 rows" in problems[0].message


# -- hidden sheets, formulas without values ------------------------------------------------


def test_a_hidden_sheet_is_not_read_and_says_so(tmp_path):
    """A hidden sheet is never data (choice documented in the README): a hidden required
    table is missing, and the message says it is hidden."""
    tables = tiny_tables()
    path = write_xlsx(tables, tmp_path / "data.xlsx")
    wb = load_workbook(path)
    wb["funding"].sheet_state = "hidden"
    wb.save(path)
    problems = problems_of(path)
    assert len(problems) == 1, problems
    assert "'funding' is missing" in problems[0].message
    assert "is hidden: unhide it" in problems[0].message


def test_a_hidden_copy_beside_the_visible_table_is_a_warning(tmp_path):
    tables = tiny_tables()
    path = write_xlsx(tables, tmp_path / "data.xlsx")
    wb = load_workbook(path)
    copy = wb.copy_worksheet(wb["metrics"])
    copy.title = "Metrics "
    copy["A2"] = "OLD"
    copy.sheet_state = "hidden"
    wb.save(path)
    inputs = load_dataset(path)
    assert list(inputs.metrics["metric_id"]) == ["ADM", "HOME91"]
    assert any("Metrics " in w and "hidden" in w for w in inputs.warnings), inputs.warnings


def _strip_cached_value(path: Path, sheet_xml: str, cell: str, formula: str) -> None:
    """Rewrite one cell of a saved workbook as a formula with no saved result."""
    with zipfile.ZipFile(path) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    xml = parts[sheet_xml].decode()
    start = xml.index(f'<c r="{cell}"')
    end = xml.index("</c>", start) + len("</c>")
    parts[sheet_xml] = (xml[:start] + f'<c r="{cell}"><f>{formula}</f></c>'
                        + xml[end:]).encode()
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in parts.items():
            zf.writestr(name, data)


def test_a_formula_without_a_saved_value_is_named_as_such(tmp_path):
    path = write_xlsx(tiny_tables(), tmp_path / "data.xlsx")
    wb = load_workbook(path)
    index = wb.sheetnames.index("services") + 1
    wb.close()
    _strip_cached_value(path, f"xl/worksheets/sheet{index}.xml", "D4", "2*2")
    problems = problems_of(path)
    assert len(problems) == 1, problems
    p = problems[0]
    assert (p.where, p.row, p.column, p.value) == ("data.xlsx › services", 4, "baseline_m",
                                                  "=2*2")
    assert "formula with no saved result" in p.message and "blank" not in p.message


# -- text that cannot be right -------------------------------------------------------------


@pytest.mark.parametrize(("char", "name"), [("\x0b", "vertical tab"), ("\x00", "NUL"),
                                            ("\x1b", "ESC")])
def test_control_characters_are_named_at_their_cell(tmp_path, char, name):
    rows = [SERVICES_ROWS[0], f"REABLE,Home{char}reablement,social_care,4,,\n",
            SERVICES_ROWS[2]]
    folder = csv_with(tmp_path, "services", SERVICES_HEADER + "".join(rows))
    out = solve_exits_2(folder, tmp_path, "services.csv, row 3, column 'name'", name)
    assert "IllegalCharacter" not in out


def test_an_undefined_windows_1252_byte_is_named_not_read_as_a_replacement(tmp_path):
    text = (SERVICES_HEADER + SERVICES_ROWS[0] + "REABLE,Home reablement caf\xe9,social_care,"
            "4,,\n" + SERVICES_ROWS[2]).encode("cp1252").replace(b"caf\xe9", b"caf\x81")
    folder = csv_with(tmp_path, "services", text)
    problems = problems_of(folder)
    assert len(problems) == 1, problems
    p = problems[0]
    assert (p.where, p.row, p.column) == ("services.csv", 3, "name")
    assert "U+FFFD" in p.message and "encoding" in p.message


def test_a_utf16_csv_is_one_message(tmp_path):
    text = (SERVICES_HEADER + "".join(SERVICES_ROWS)).encode("utf-16")
    folder = csv_with(tmp_path, "services", text)
    problems = problems_of(folder)
    assert len(problems) == 1, problems
    assert problems[0].where == "services.csv" and "UTF-16" in problems[0].message
    solve_exits_2(folder, tmp_path, "UTF-16", "CSV UTF-8")


def test_an_unbalanced_quote_is_named_once_where_it_opens(tmp_path):
    rows = [SERVICES_ROWS[0], 'REABLE,"Home reablement,social_care,4,,\n', SERVICES_ROWS[2],
            "EXTRA,Extra service,community,1,,\n"]
    folder = csv_with(tmp_path, "services", SERVICES_HEADER + "".join(rows))
    problems = problems_of(folder)
    assert len(problems) == 1, problems
    assert problems[0].where == "services.csv"
    assert problems[0].message.startswith("row 3 (line 3) (column 2): a quote")


def test_a_value_over_the_field_limit_names_its_row(tmp_path):
    rows = [SERVICES_ROWS[0], 'REABLE,"' + "x" * 140_000 + '",social_care,4,,\n']
    folder = csv_with(tmp_path, "services", SERVICES_HEADER + "".join(rows))
    problems = problems_of(folder)
    assert len(problems) == 1, problems
    assert problems[0].message.startswith("row 3 (line 3): a value is longer than 131,072")


def test_a_quoted_line_break_in_a_name_is_still_text(tmp_path):
    rows = [SERVICES_ROWS[0], 'REABLE,"Home reablement\n(two lines)",social_care,4,,\n',
            SERVICES_ROWS[2]]
    folder = csv_with(tmp_path, "services", SERVICES_HEADER + "".join(rows))
    inputs = load_dataset(folder)
    assert inputs.services["name"][1] == "Home reablement\n(two lines)"


def test_reading_changes_no_input_file(tmp_path):
    path = write_xlsx(tiny_tables(), tmp_path / "data.xlsx")
    before = tree_digest(path)
    load_dataset(path)
    assert tree_digest(path) == before
    assert isinstance(pd.read_excel(path, sheet_name=None), dict)


# -- YAML: aliases, duplicate keys, encodings -----------------------------------------------

LAUGHS = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{k}: &{k} [{','.join([f'*{p}'] * 9)}]\n" for p, k in zip("abcdefgh", "bcdefghi"))


@pytest.mark.parametrize("kind", ["policy", "manifest"])
def test_nested_aliases_are_refused_before_they_expand(tmp_path, kind):
    """Billion laughs: 1 KB that would be 387 million strings (issue 21, item 4)."""
    path = tmp_path / ("model.yaml" if kind == "policy" else "batch.yaml")
    path.write_text(LAUGHS, encoding="utf-8")
    args = (["solve", "inputs/example", "--model", str(path)] if kind == "policy"
            else ["batch", str(path), "--local", "--db", f"sqlite:///{tmp_path / 's.db'}"])
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    assert f"{path.name}, row " in res.output and "aliases" in res.output, res.output


@pytest.mark.parametrize("kind", ["policy", "manifest"])
def test_a_key_given_twice_is_refused_naming_both_lines(tmp_path, kind):
    path = tmp_path / ("model.yaml" if kind == "policy" else "batch.yaml")
    text = ("objective: max_outcome\nnonconcave: reject\nobjective: min_cost\n"
            if kind == "policy" else "name: b\njobs: []\nname: c\n")
    path.write_text(text, encoding="utf-8")
    args = (["solve", "inputs/example", "--model", str(path)] if kind == "policy"
            else ["batch", str(path), "--local", "--db", f"sqlite:///{tmp_path / 's.db'}"])
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 2, res.output
    assert "appears twice" in res.output and "lines 1 and 3" in res.output, res.output


def test_merge_keys_still_override_as_yaml_says():
    from budgetopt.data.safe_yaml import load_yaml

    assert load_yaml("d: &d {x: 1, y: 2}\ne:\n  <<: *d\n  x: 3\n", "m.yaml") == {
        "d": {"x": 1, "y": 2}, "e": {"x": 3, "y": 2}}


def test_a_policy_model_that_is_not_utf8_names_the_line(tmp_path):
    path = tmp_path / "model.yaml"
    path.write_bytes("objective: max_outcome\n# caf\xe9\n".encode("cp1252"))
    res = CliRunner().invoke(app, ["solve", "inputs/example", "--model", str(path)])
    assert res.exit_code == 2, res.output
    assert "model.yaml, row 2" in res.output and "not UTF-8" in res.output, res.output


# -- policy values (issue 21, item 12) -----------------------------------------------------


@pytest.mark.parametrize(("setting", "needle"), [
    ("horizon.years=[]", "give at least one year"),
    ("budget_m=.inf", "finite number"),
    ("budget_m=.nan", "finite number"),
    ("rules.money.amounts.POOL.2026/27=-5", "greater than or equal to 0"),
])
def test_impossible_policy_values_are_bad_input(tmp_path, setting, needle):
    res = CliRunner().invoke(app, ["solve", "inputs/example", "--set", setting, "--json",
                                   str(tmp_path / "r.json")])
    assert res.exit_code == 2, res.output
    assert needle in res.output and "Value error" not in res.output, res.output
    assert not (tmp_path / "r.json").exists()


def test_a_zero_weighted_population_is_named_at_its_cell(tmp_path):
    from tests.helpers import PLACES

    tables = tiny_tables()
    places = PLACES.copy().astype(object)
    places.loc[0, "weighted_population"] = 0
    places.loc[0, "core20_share"] = 0.2
    tables["places"] = places
    problems = problems_of(write_csv(tables, tmp_path / "data"))
    assert [(p.where, p.row, p.column) for p in problems] == [
        ("places.csv", 2, "weighted_population")]
    assert "more than 0" in problems[0].message


def test_a_band_number_in_the_millions_is_refused_at_its_cell(tmp_path):
    tables = tiny_tables()
    tables["curves"].loc[1, "band"] = 100_000_000
    problems = problems_of(write_csv(tables, tmp_path / "data"))
    assert [(p.where, p.row, p.column) for p in problems] == [("curves.csv", 3, "band")]
    assert "at most 1000" in problems[0].message


# -- numbers read as something else (issue 21, item 13) ------------------------------------


@pytest.mark.parametrize(("text", "name"), [("１２", "FULLWIDTH DIGIT ONE"),
                                            ("١٢", "ARABIC-INDIC DIGIT ONE"),
                                            ("1_000", "underscore")])
def test_digits_that_are_not_0_to_9_are_not_numbers(tmp_path, text, name):
    rows = [SERVICES_ROWS[0], f"REABLE,Home reablement,social_care,{text},,\n",
            SERVICES_ROWS[2]]
    problems = problems_of(csv_with(tmp_path, "services", SERVICES_HEADER + "".join(rows)))
    assert [(p.row, p.column, p.value) for p in problems] == [(3, "baseline_m", text)]
    assert "digits 0-9" in problems[0].message and name in problems[0].message


def test_a_percent_formatted_share_reads_as_the_percentage_it_shows(tmp_path):
    """pct_nhs is in percent (0-100): a workbook cell holding 0.6 formatted 60% is 60, and
    "60%" typed in a CSV is 60 too; a share column (0-1) formatted 20% stays 0.2."""
    tables = tiny_tables()
    tables["services"]["pct_nhs"] = ["", 0.6, ""]
    tables["places"] = pd.DataFrame([["N", "North", 100, 110, 0.2, ""]], dtype=object,
                                    columns=["place_id", "name", "population",
                                             "weighted_population", "core20_share", "effect"])
    path = write_xlsx(tables, tmp_path / "data.xlsx")
    wb = load_workbook(path)
    header = [c.value for c in wb["services"][1]]
    wb["services"].cell(3, header.index("pct_nhs") + 1).number_format = "0%"
    wb["places"]["E2"].number_format = "0%"
    wb.save(path)
    inputs = load_dataset(path)
    assert inputs.services["pct_nhs"][1] == pytest.approx(60.0)
    assert inputs.places["core20_share"][0] == pytest.approx(0.2)
    tables["services"]["pct_nhs"] = ["", "60%", ""]
    del tables["places"]
    assert load_dataset(write_csv(tables, tmp_path / "csv")).services["pct_nhs"][1] == 60.0


def test_pounds_typed_into_a_money_column_are_warned_about(tmp_path):
    tables = tiny_tables()
    tables["services"].loc[0, "baseline_m"] = 22_000_000
    tables["services"].loc[0, "max_m"] = ""
    inputs = load_dataset(write_csv(tables, tmp_path / "data"))
    found = [w for w in inputs.warnings if "is it in pounds" in w]
    assert len(found) == 1 and "services.csv, row 2, column 'baseline_m'" in found[0]
    assert "£22000000m" in found[0]



def test_money_in_pounds_and_effects_per_pound_give_the_same_plan_scaled(tmp_path):
    """Every amount a billion times larger and every effect a billion times smaller (money
    typed in pounds into £m columns, effects per pound): the same plan, scaled, and the same
    objective. HiGHS's optimality tolerance is absolute, so with outcomes of 1e-9 per £1m it
    called a plan 1% short of the best optimal (326.5 for 329.0) until the objective was
    scaled (budgetopt.solve.highs.objective_scale); the pounds are still warned about."""
    from budgetopt import optimise
    from budgetopt.policy import Policy

    plain = optimise(load_dataset(write_csv(tiny_tables(), tmp_path / "plain")), Policy())
    tables = tiny_tables()
    c, s = tables["curves"], tables["services"]
    c["width_m"] = [float(w) * 1e9 for w in c["width_m"]]
    for col in ("per_m", "per_m_low", "per_m_high"):
        c[col] = [float(v) * 1e-9 if v != "" else "" for v in c[col]]
    s["baseline_m"] = [float(v) * 1e9 for v in s["baseline_m"]]
    s["max_m"] = [float(v) * 1e9 if v != "" else "" for v in s["max_m"]]
    tables["funding"]["amount_m"] = [float(v) * 1e9 for v in tables["funding"]["amount_m"]]
    inputs = load_dataset(write_csv(tables, tmp_path / "scaled"))
    assert any("is it in pounds" in w for w in inputs.warnings)
    scaled = optimise(inputs, Policy())
    assert scaled.status == plain.status == "optimal"
    assert scaled.objective == pytest.approx(plain.objective, rel=1e-9)
    by = scaled.allocation.set_index("service_id")["spend_m"]
    for sid, spend in plain.allocation.set_index("service_id")["spend_m"].items():
        assert by[sid] == pytest.approx(spend * 1e9, rel=1e-9, abs=1.0)


# -- messages that can be acted on (issue 21, item 14) -------------------------------------


def test_one_empty_table_is_one_message_not_a_cascade(tmp_path):
    folder = csv_with(tmp_path, "services", SERVICES_HEADER)
    problems = problems_of(folder)
    assert [(p.where, p.message) for p in problems] == [
        ("services.csv", "the table has no rows: the services table needs at least one")]


def test_thousands_of_problems_are_capped_in_the_message(tmp_path):
    n = 500
    tables = tiny_tables()
    tables["curves"] = pd.DataFrame({"service_id": [f"X{i}" for i in range(n)],
                                     "metric_id": "ADM", "band": 1, "width_m": 1,
                                     "per_m": 2}, dtype=object)
    with pytest.raises(InputError) as info:
        load_dataset(write_csv(tables, tmp_path / "data"))
    assert len(info.value.problems) == n
    text = str(info.value)
    assert f"({n} problems)" in text and f"… and {n - 50} more" in text
    assert len(text.splitlines()) == 52


def test_did_you_mean_shows_an_invisible_character(tmp_path):
    tables = tiny_tables()
    tables["services"].loc[1, "service_id"] = "REA\u200bBLE"
    problems = problems_of(write_csv(tables, tmp_path / "data"))
    hints = [p.message for p in problems if p.column == "service_id"]
    assert hints and all("REA\\u200bBLE" in h and "ZERO WIDTH SPACE" in h for h in hints), hints


def test_did_you_mean_is_given_for_the_first_ids_only(tmp_path):
    """3,000 unknown ids against 3,000 known: a "did you mean" for the first 50 distinct ids
    (each a pass over the known ones), none for the rest: linear, not quadratic."""
    from budgetopt.data import validate as v

    n = 3000
    tables = tiny_tables()
    ids = [f"SERVICE{i:05d}" for i in range(n)]
    tables["services"] = pd.DataFrame({"service_id": ids, "name": ids, "sector": "community",
                                       "baseline_m": 1}, dtype=object)
    tables["curves"] = pd.DataFrame({"service_id": [f"SERVCE{i:05d}" for i in range(n)],
                                     "metric_id": "ADM", "band": 1, "width_m": 1,
                                     "per_m": 2}, dtype=object)
    problems = problems_of(write_csv(tables, tmp_path / "data"))
    unknown = [p for p in problems if p.message.startswith("unknown service_id")]
    assert len(unknown) == n
    assert sum("did you mean" in p.message for p in unknown) == v.MAX_HINTS
    assert "did you mean 'SERVICE00000'" in unknown[0].message
