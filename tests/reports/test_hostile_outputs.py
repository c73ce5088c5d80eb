"""Hostile and careless cases on the output side (issue 21 items 1, 6, 8).

* An output path that is an input (the data file or folder, a file in it, the policy model,
  the manifest, the store) is refused: exit 2, nothing written, every input byte-identical.
* Text from an input is never markup: ``[/]``, ``[bold red]`` and ``[note 3]`` are printed,
  saved and exported exactly as typed (terminal, store list, batch summary, Cover sheet).
* No CSV written by ``analyse --out`` or ``batch --summary`` carries a formula.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from budgetopt.cli import app
from budgetopt.safe import looks_like_formula
from tests.datasets import tiny_tables, write_csv, write_xlsx
from tests.helpers import tree_digest

ROOT = Path(__file__).resolve().parents[2]
MARKUP = ["[/]", "[bold red]loud[/bold red]", "[note 3]"]
FORMULAE = ["=cmd|' /C calc'!A0", '=HYPERLINK("http://example.com","x")', "@SUM(A1:A2)",
            "+1+1"]


def invoke(*args: object):
    # a wide terminal, so that no table folds a name over two lines
    return CliRunner(env={"COLUMNS": "400"}).invoke(app, [str(a) for a in args])


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return write_csv(tiny_tables(), tmp_path / "data")


def _model(tmp_path: Path) -> Path:
    path = tmp_path / "model.yaml"
    path.write_text((ROOT / "models" / "default.yaml").read_text(encoding="utf-8"),
                    encoding="utf-8")
    return path


# -- 1. an output that is an input -----------------------------------------------------------


@pytest.mark.parametrize("option", ["--json", "--excel"])
@pytest.mark.parametrize("target", ["workbook", "data file", "model", "new file in data"])
def test_solve_refuses_an_output_that_is_an_input(option, target, tmp_path):
    book = write_xlsx(tiny_tables(), tmp_path / "data.xlsx")
    folder = write_csv(tiny_tables(), tmp_path / "data")
    model = _model(tmp_path)
    data = book if target == "workbook" else folder
    out = {"workbook": book, "data file": folder / "services.csv", "model": model,
           "new file in data": folder / "r.json"}[target]
    before = {**tree_digest(tmp_path)}
    res = invoke("solve", data, "--model", model, option, out)
    assert res.exit_code == 2, res.output
    assert option in res.output and "never replaces an input" in res.output
    assert "Traceback" not in res.output
    assert tree_digest(tmp_path) == before  # nothing written, nothing changed


def test_the_same_path_for_two_outputs_is_refused(data, tmp_path):
    res = invoke("solve", data, "--json", tmp_path / "r", "--excel", tmp_path / "r")
    assert res.exit_code == 2 and "also given as --json" in res.output
    assert not (tmp_path / "r").exists()


def test_analyse_refuses_to_write_into_the_data_folder(data, tmp_path):
    before = tree_digest(data)
    res = invoke("analyse", "prices", data, "--out", data)
    assert res.exit_code == 2 and "--out" in res.output, res.output
    assert tree_digest(data) == before
    file = tmp_path / "file.txt"
    file.write_text("x")
    res = invoke("analyse", "prices", data, "--out", file)
    assert res.exit_code == 2 and "takes a folder" in res.output, res.output
    assert file.read_text() == "x"


def test_batch_refuses_a_summary_over_its_manifest(data, tmp_path):
    manifest = tmp_path / "m.yaml"
    manifest.write_text(f"name: b\njobs:\n  - {{name: one, data: {data}}}\n", encoding="utf-8")
    before = manifest.read_bytes()
    for target in (manifest, data / "funding.csv"):
        res = invoke("batch", manifest, "--local", "--summary", target)
        assert res.exit_code == 2 and "--summary" in res.output, res.output
    assert manifest.read_bytes() == before


def test_scenario_export_refuses_to_overwrite_the_store(data, tmp_path):
    db = tmp_path / "s.db"
    assert invoke("scenario", "save", data, "--name", "A", "--db", db).exit_code == 0
    before = db.read_bytes()
    res = invoke("scenario", "export", "A", "--json", db, "--db", db)
    assert res.exit_code == 2 and "never replaces an input" in res.output, res.output
    assert db.read_bytes() == before


# -- 6. markup in input text is text -----------------------------------------------------------


def _marked_tables():
    tables = tiny_tables()
    tables["services"]["name"] = MARKUP
    return tables


@pytest.mark.parametrize("text", MARKUP)
def test_markup_in_a_bad_cell_is_shown_as_typed_with_exit_2(text, tmp_path):
    tables = tiny_tables()
    tables["services"].loc[0, "baseline_m"] = text
    data = write_csv(tables, tmp_path / "d")
    res = invoke("solve", data)
    assert res.exit_code == 2, res.output
    assert text in res.output and "Traceback" not in res.output


def test_markup_in_names_survives_solve_store_list_and_the_cover_sheet(tmp_path):
    data = write_csv(_marked_tables(), tmp_path / "d")
    db = tmp_path / "s.db"
    res = invoke("solve", data, "--json", tmp_path / "r.json")
    assert res.exit_code == 0, res.output
    for name in MARKUP:
        res = invoke("scenario", "save", data, "--name", name, "--note", name, "--db", db)
        assert res.exit_code == 0 and name in res.output, res.output
    res = invoke("scenario", "list", "--db", db)
    assert res.exit_code == 0, res.output
    for name in MARKUP:
        assert name in res.output
    book = tmp_path / "c.xlsx"
    res = invoke("scenario", "export", "[note 3]", "--excel", book, "--db", db)
    assert res.exit_code == 0, res.output
    cover = [str(c.value) for row in load_workbook(book)["Cover"].iter_rows() for c in row]
    assert "[note 3]@1" in cover  # the scenario's name
    for name in MARKUP:  # the service names, in the summary lines
        assert any(name in line for line in cover), name


def test_markup_in_job_names_survives_a_batch_and_its_summary(tmp_path):
    write_csv(tiny_tables(), tmp_path / "d")
    manifest = tmp_path / "m.yaml"
    jobs = "".join(f"  - {{name: '{n}', data: d}}\n" for n in MARKUP)
    manifest.write_text(f"name: '[b]x'\njobs:\n{jobs}", encoding="utf-8")
    db = tmp_path / "s.db"
    res = invoke("batch", manifest, "--local", "--db", db, "--summary", tmp_path / "s.csv")
    assert res.exit_code == 0, res.output
    for name in MARKUP:
        assert name in res.output
    res = invoke("scenario", "list", "--db", db)
    assert res.exit_code == 0 and "[b]x/[note 3]" in res.output, res.output


# -- 8. no formula in any CSV ----------------------------------------------------------------


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _formulae(cells: list[str]) -> list[str]:
    """Cells a spreadsheet would evaluate (a number such as -15.0 is a number)."""
    return [v for v in cells if looks_like_formula(v) and not _number(v)]


def _cells(folder: Path) -> list[str]:
    out = []
    for path in folder.glob("*.csv"):
        with path.open(newline="", encoding="utf-8") as fh:
            out += [v for row in csv.reader(fh) for v in row]
    return out


def _hostile_tables():
    tables = tiny_tables()
    tables["services"]["name"] = FORMULAE[:3]
    tables["services"]["service_id"] = ["=S1", "@S2", "+S3"]
    tables["services"].loc[2, "min_m"] = 1  # a minimum, priced in minimums.csv
    curves = tables["curves"]
    curves["service_id"] = curves["service_id"].map(
        {"FALLS": "=S1", "REABLE": "@S2", "VWARD": "+S3"})
    return tables


@pytest.mark.parametrize("command", [["prices"], ["curve", "--from", "5", "--to", "15",
                                                  "--points", "3"]])
def test_analyse_tables_carry_no_formula(command, tmp_path):
    data = write_csv(_hostile_tables(), tmp_path / "d")
    out = tmp_path / "out"
    res = invoke("analyse", command[0], data, *command[1:], "--out", out)
    assert res.exit_code == 0, res.output
    cells = _cells(out)
    assert cells and not _formulae(cells)
    assert "'+S3" in cells or "'=S1" in cells


def test_compare_and_batch_summary_carry_no_formula(tmp_path):
    write_csv(_hostile_tables(), tmp_path / "d")
    manifest = tmp_path / "m.yaml"
    manifest.write_text("name: x\ndata: d\nscenarios:\n  - {name: '=A1+1'}\n"
                        "  - {name: '@B', set: {budget_m: 9}}\n", encoding="utf-8")
    res = invoke("analyse", "compare", manifest, "--out", tmp_path / "cmp")
    assert res.exit_code == 0, res.output
    cells = _cells(tmp_path / "cmp")
    assert cells and not _formulae(cells)
    (tmp_path / "s").mkdir()
    res = invoke("batch", manifest, "--local", "--summary", tmp_path / "s" / "summary.csv")
    assert res.exit_code == 0, res.output
    cells = _cells(tmp_path / "s")
    assert "'=A1+1" in cells and not _formulae(cells)


def test_a_data_set_written_as_csv_carries_no_formula_and_reads_back_as_written(tmp_path):
    """The data set writer (``scenario export --data``, ``example``, the app's download) guards
    a CSV as the Excel writer guards a workbook: no cell of its files is a formula, and the
    reader takes the guard off, so the data set reads back with the same ids and names (the
    same hash as its workbook copy)."""
    from budgetopt.data.dataset import load_dataset, write_dataset

    tables = _hostile_tables()
    tables["metrics"].loc[0, "name"] = "\t=1"  # a tab first: stripped as a cell is read
    folder = write_dataset(tables, tmp_path / "d")
    cells = _cells(folder)
    assert "'=S1" in cells and "'@S2" in cells and not _formulae(cells)
    back = load_dataset(folder)
    assert list(back.services["service_id"]) == ["=S1", "@S2", "+S3"]
    assert list(back.services["name"]) == FORMULAE[:3]
    assert back.metrics["name"].iloc[0] == "=1"
    book = load_dataset(write_dataset(tables, tmp_path / "d.xlsx"))
    assert book.data_hash == back.data_hash
    # through the command line: a saved scenario's data set exported as CSV
    db = tmp_path / "s.db"
    assert invoke("scenario", "save", folder, "--name", "hostile", "--db", db).exit_code == 0
    res = invoke("scenario", "export", "hostile", "--data", tmp_path / "out", "--db", db)
    assert res.exit_code == 0, res.output
    cells = _cells(tmp_path / "out")
    assert "'=S1" in cells and not _formulae(cells)
    assert load_dataset(tmp_path / "out").data_hash == back.data_hash
