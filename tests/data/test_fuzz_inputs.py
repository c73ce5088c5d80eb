"""Fuzz (issue 21): random cells, names and YAML thrown at read, validate, solve and export.

Whatever the input, ``budgetopt solve DATA --model M --json --excel`` must end with one of the
contract's exit codes for a data set (0 optimal, 1 not optimal, 2 bad input), never a
traceback or exit 3; it must leave every input byte-identical; it writes both outputs or
neither; and no input text becomes a formula in the workbook or markup in the terminal (an
injected ``[bold]`` comes out as written). Bounded: a few dozen examples on the tiny data set.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from typer.testing import CliRunner

from budgetopt.cli import app
from tests.datasets import tiny_tables
from tests.helpers import tree_digest

MARK = "ZQX"
"""In every injected text, so a formula or a markup tag made from input can be found."""

HOSTILE = [f"=cmd|' /C calc'!A0{MARK}", f"=HYPERLINK(\"http://x\",\"{MARK}\")",
           f"@SUM(1){MARK}", f"+1+1{MARK}", f"-2+3{MARK}", f"[bold red]{MARK}[/]",
           f"[/]{MARK}", f"**{MARK}**", f"<b>{MARK}</b>", f"{MARK}\x0bvt", f"{MARK}\x00nul",
           f"{MARK}\x1b[31m", f"{MARK}\u200b", "１２", "١٢", "1_000", "60%", "1e999", "nan",
           "-0", "0", "1", "2.5", "", "  ", "#note", "2026/27", "REABLE", "ADM", "POOL", "ﾟ"]
CELL = st.one_of(st.sampled_from(HOSTILE),
                 st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=8),
                 st.floats(allow_nan=True, allow_infinity=True).map(repr),
                 st.integers(-10**12, 10**12).map(str))

POLICY_LINES = ["objective: max_outcome", "objective: min_cost", "nonconcave: milp",
                "nonconcave: sideways", "horizon: {years: []}", "rules: {money: {budget_m: 8}}",
                "rules: {money: {budget_m: .inf}}", "rules: {money: {budget_m: -1}}",
                "rules: {workforce: {scale: 0.5}}", "a: &a [1, 2]\nb: [*a, *a]",
                "objective: max_outcome\nobjective: min_cost", f"{MARK}: [bold]",
                "rules: {bounds: {services: {FALLS: {min_m: 1}}}}", "- just a list", ": :",
                "solver: {time_limit_s: 30}"]


@st.composite
def edits(draw) -> tuple[dict[str, list[list[str]]], str]:
    """The tiny data set as text rows with random cells, headers and tables changed, and a
    random policy model."""
    tables = {name: [list(map(str, frame.columns)),
                     *[["" if pd.isna(v) else str(v) for v in row]
                       for row in frame.itertuples(index=False)]]
              for name, frame in tiny_tables().items()}
    for _ in range(draw(st.integers(0, 3))):
        name = draw(st.sampled_from(sorted(tables)))
        rows = tables[name]
        kind = draw(st.sampled_from(["name", "name", "name", "cell", "cell", "header", "drop",
                                     "row"]))
        if kind == "name" and "name" in rows[0]:  # text a report shows: must stay text
            r = draw(st.integers(1, len(rows) - 1))
            rows[r][rows[0].index("name")] = draw(st.sampled_from(HOSTILE[:9] + HOSTILE[12:13]))
        elif kind == "drop" and len(tables) > 1:
            del tables[name]
        elif kind == "row":
            rows.append([draw(CELL) for _ in rows[0]])
        else:
            r = 0 if kind == "header" else draw(st.integers(0, len(rows) - 1))
            c = draw(st.integers(0, len(rows[r]) - 1))
            rows[r][c] = draw(CELL)
    policy = draw(st.one_of(st.just(""), st.sampled_from(POLICY_LINES),
                            st.lists(st.sampled_from(POLICY_LINES), max_size=3).map("\n".join)))
    return tables, policy


def write_raw(tables: dict[str, list[list[str]]], folder: Path) -> None:
    folder.mkdir()
    for name, rows in tables.items():
        with (folder / f"{name}.csv").open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows(rows)


def formulas_from_input(path: Path) -> list[str]:
    wb = load_workbook(path)
    found = [f"{ws.title}!{cell.coordinate}" for ws in wb.worksheets for row in ws.iter_rows()
             for cell in row if cell.data_type == "f" and MARK in str(cell.value)]
    wb.close()
    return found


@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(edits())
def test_any_input_ends_in_a_contract_exit_with_inputs_unchanged(tmp_path_factory, case):
    tables, policy = case
    root = tmp_path_factory.mktemp("fuzz")
    data, model, out = root / "data", root / "model.yaml", root / "out"
    write_raw(tables, data)
    model.write_text(policy + "\n", encoding="utf-8")
    out.mkdir()
    before = {**tree_digest(data), **tree_digest(model)}
    res = CliRunner().invoke(app, ["solve", str(data), "--model", str(model), "--json",
                                   str(out / "r.json"), "--excel", str(out / "r.xlsx")])
    text = res.output
    assert res.exit_code in (0, 1, 2), (res.exit_code, text, res.exception)
    assert "Traceback" not in text, text
    assert {**tree_digest(data), **tree_digest(model)} == before
    written = sorted(p.name for p in out.iterdir())
    if res.exit_code == 2:
        assert written == [], written
    else:
        assert written == ["r.json", "r.xlsx"], written
        assert formulas_from_input(out / "r.xlsx") == []
    for tag in ("[bold red]", "[/]"):  # markup from an input is printed as written
        if any(tag + MARK in cell or MARK + tag in cell for rows in tables.values()
               for row in rows for cell in row) and MARK in text:
            assert tag in text, text
