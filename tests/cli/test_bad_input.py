"""Bad input at the command line: each kind gives exit 2, one message naming the file or sheet,
the spreadsheet row and the column, no traceback, no output left behind, inputs unchanged."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest
from typer.testing import CliRunner

from budgetopt.cli import app
from tests.datasets import tiny_tables, write_csv, write_xlsx
from tests.helpers import PLACES, tree_digest

Tables = dict[str, pd.DataFrame]


def cell(table: str, row: int, column: str, value: object) -> Callable[[Tables], None]:
    """Set one cell; `row` is the frame row (spreadsheet row = row + 2)."""
    def mutate(t: Tables) -> None:
        t[table].loc[row, column] = value
    return mutate


def drop_column(table: str, column: str) -> Callable[[Tables], None]:
    def mutate(t: Tables) -> None:
        t[table] = t[table].drop(columns=[column])
    return mutate


def drop_table(table: str) -> Callable[[Tables], None]:
    def mutate(t: Tables) -> None:
        del t[table]
    return mutate


def add_table(table: str, frame: pd.DataFrame) -> Callable[[Tables], None]:
    def mutate(t: Tables) -> None:
        t[table] = frame.astype(object)
    return mutate


def add_row(table: str, values: dict[str, object]) -> Callable[[Tables], None]:
    def mutate(t: Tables) -> None:
        row = {c: values.get(c, "") for c in t[table].columns}
        t[table] = pd.concat([t[table], pd.DataFrame([row], dtype=object)], ignore_index=True)
    return mutate


# kind -> (mutation, table as named in the message, spreadsheet row or None, column or None)
CASES: dict[str, tuple[Callable[[Tables], None], str, int | None, str | None]] = {
    "text where money is expected": (cell("services", 1, "baseline_m", "lots"),
                                     "services", 3, "baseline_m"),
    "negative money": (cell("services", 0, "min_m", -1), "services", 2, "min_m"),
    "minimum above maximum": (cell("services", 2, "min_m", 9), "services", 4, "min_m"),
    "unknown sector": (cell("services", 0, "sector", "hospital"), "services", 2, "sector"),
    "duplicate service id": (cell("services", 1, "service_id", "FALLS"),
                             "services", 3, "service_id"),
    "curve for an unknown service": (cell("curves", 0, "service_id", "FALL"),
                                     "curves", 2, "service_id"),
    "curve for an unknown metric": (cell("curves", 2, "metric_id", "HOME"),
                                    "curves", 4, "metric_id"),
    "band numbers with a gap": (cell("curves", 1, "band", 3), "curves", 3, "band"),
    "fractional band": (cell("curves", 1, "band", 1.5), "curves", 3, "band"),
    "non-concave curve": (cell("curves", 1, "per_m", 55), "curves", 3, "per_m"),
    "not-a-number outcome": (cell("curves", 2, "per_m", "nan"), "curves", 4, "per_m"),
    "negative band width": (cell("curves", 0, "width_m", -2), "curves", 2, "width_m"),
    "low estimate above central": (cell("curves", 0, "per_m_low", 45), "curves", 2,
                                   "per_m_low"),
    "currency text in funding": (cell("funding", 0, "amount_m", "£10m"), "funding", 2,
                                 "amount_m"),
    "blank year": (cell("funding", 0, "year", ""), "funding", 2, "year"),
    "negative weight": (cell("metrics", 0, "weight", -1), "metrics", 2, "weight"),
    "duplicate metric id": (cell("metrics", 1, "metric_id", "ADM"), "metrics", 3, "metric_id"),
    "share above one": (add_table("places", PLACES), "places", 2, "core20_share"),
    "eligibility of an unknown source": (add_table("eligibility", pd.DataFrame(
        [["GRANT", "FALLS"]], columns=["source_id", "service_id"])), "eligibility", 2,
        "source_id"),
    "funding source missing a year": (add_row("funding", {
        "source_id": "GRANT", "name": "Grant", "year": "2027/28", "amount_m": 5}),
        "funding", None, "year"),
    "missing required column": (drop_column("curves", "width_m"), "curves", None, "width_m"),
    "missing required table": (drop_table("funding"), "funding", None, None),
}


@pytest.mark.parametrize("kind", list(CASES), ids=list(CASES))
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_bad_input_exits_2_naming_the_cell_and_changes_nothing(kind, fmt, tmp_path):
    mutate, table, row, column = CASES[kind]
    tables = tiny_tables()
    mutate(tables)
    data = (write_csv(tables, tmp_path / "data") if fmt == "csv"
            else write_xlsx(tables, tmp_path / "data.xlsx"))
    before = tree_digest(data)
    out, xl = tmp_path / "out" / "r.json", tmp_path / "out" / "r.xlsx"
    (tmp_path / "out").mkdir()
    res = CliRunner().invoke(app, ["solve", str(data), "--json", str(out), "--excel", str(xl)])
    text = res.output
    assert res.exit_code == 2, text
    assert "Traceback" not in text
    if row is None and column is None:  # a missing table: named with how to add it
        assert f"'{table}' is missing" in text and (f"{table}.csv" in text or "sheet" in text), text
    else:
        assert (f"{table}.csv" if fmt == "csv" else f"› {table}") in text, text
    if row is not None:
        assert f"row {row}" in text, text
    if column is not None:
        assert column in text, text
    assert list((tmp_path / "out").iterdir()) == []
    assert tree_digest(data) == before


def _fifo(path):
    import os

    os.mkfifo(path)
    return path


FIFO_CASES = {
    # command line with {fifo} (a named pipe) and {data} (a good data set); what the message says
    "data set workbook": (["validate", "{fifo}"], "pipe.xlsx", "the data set is a pipe"),
    "a table of a CSV folder": (["validate", "{folder}"], "services.csv",
                                "the services table is a pipe"),
    "policy model of validate": (["validate", "{data}", "--model", "{fifo}"], "pipe.yaml",
                                 "the policy model is a pipe"),
    "policy model of solve": (["solve", "{data}", "--model", "{fifo}"], "pipe.yaml",
                              "the policy model is a pipe"),
    "policy model of analyse": (["analyse", "curve", "{data}", "--model", "{fifo}", "--points",
                                 "2"], "pipe.yaml", "the policy model is a pipe"),
    "scenario store": (["scenario", "list", "--db", "{fifo}"], "pipe.db",
                       "the scenario store is a pipe"),
    "batch manifest": (["batch", "{fifo}", "--local"], "pipe.yaml", "the manifest is a pipe"),
    "compare manifest": (["analyse", "compare", "{fifo}"], "pipe.yaml",
                         "the manifest is a pipe"),
}


@pytest.mark.parametrize("kind", list(FIFO_CASES), ids=list(FIFO_CASES))
def test_a_pipe_given_as_any_input_is_refused_at_once(kind, tmp_path):
    """A FIFO blocks whoever opens it until a writer comes: as any input path (data set, a
    CSV of one, policy model, store, manifest) it is exit 2 naming the path, never a hang.
    A real process with a deadline, so a regression fails instead of hanging the suite."""
    import subprocess
    import sys

    args, name, says = FIFO_CASES[kind]
    data = write_csv(tiny_tables(), tmp_path / "data")
    folder = tmp_path / "withpipe"
    folder.mkdir()
    _fifo(folder / "services.csv")
    fifo = _fifo(tmp_path / name) if name != "services.csv" else folder / name
    argv = [a.format(fifo=fifo, data=data, folder=folder) for a in args]
    done = subprocess.run([sys.executable, "-m", "budgetopt", *argv], capture_output=True,
                          text=True, timeout=300, check=False)
    text = done.stdout + done.stderr
    assert done.returncode == 2, text
    assert "Traceback" not in text
    assert says in text and name in text and "not a regular file" in text, text


@pytest.mark.parametrize("args", [["uncertainty", "--distribution", "normal"],
                                  ["evpi", "--distribution", "normal"],
                                  ["robust", "--distribution", "normal"],
                                  ["robust", "--objective", "worst"]])
def test_an_unknown_choice_of_an_analysis_is_exit_2_naming_the_option(args, tmp_path):
    """One check for every analysis's choices (the robust plan's distribution was not
    checked at all), before the data is read."""
    data = write_csv(tiny_tables(), tmp_path / "data")
    res = CliRunner().invoke(app, ["analyse", args[0], str(data), *args[1:]])
    assert res.exit_code == 2, res.output
    assert f"{args[1]}: '{args[2]}': use " in res.output and "Traceback" not in res.output
