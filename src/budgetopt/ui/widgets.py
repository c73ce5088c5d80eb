"""Pieces several pages share: problem lists, money formats, downloads of the answer."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import streamlit as st

from budgetopt.analyses.board import Analyses
from budgetopt.data.inputs import Inputs
from budgetopt.errors import Problem
from budgetopt.policy import Policy
from budgetopt.results.summary import STATUS_WORDS
from budgetopt.results.tables import Results

_MARKDOWN = str.maketrans({c: "\\" + c for c in "\\`*_{}[]<>()#+-.!|~$:"})


def md_text(text: str) -> str:
    """`text` escaped for ``st.markdown``: input text shows as typed, never as markdown
    (no bold, no links, no images fetched from elsewhere)."""
    return str(text).translate(_MARKDOWN)


def status_words(status: str) -> str:
    text = STATUS_WORDS.get(status, status)
    return text[:1].upper() + text[1:]


def problems_frame(problems: Sequence[Problem]) -> pd.DataFrame:
    """Problems as a table a person can work through: where, row, column, value, what to fix."""
    return pd.DataFrame(
        [{"file or sheet": p.where, "row": p.row, "column": p.column or "",
          "value": "" if p.value is None else str(p.value), "what to fix": p.message}
         for p in problems],
        columns=["file or sheet", "row", "column", "value", "what to fix"],
    ).astype({"row": "Int64"})


def show_problems(title: str, problems: Sequence[Problem]) -> None:
    n = len(problems)
    shown = 20
    lines = "\n".join(f"- {p}" for p in problems[:shown])
    more = f"\n\n…and {n - shown} more (all of them in the table below)." if n > shown else ""
    st.error(f"{title}: {n} problem{'s' if n != 1 else ''} found. Nothing was changed; "
             f"fix them and try again.\n\n{lines}{more}")
    st.dataframe(problems_frame(problems), hide_index=True, width="stretch")


def money(value: float | None) -> str:
    return "—" if value is None else f"£{value:,.1f}m"


def result_downloads(res: Results, stem: str, key: str, inputs: Inputs | None,
                     scenario: str = "", analyses: Analyses | None = None) -> None:
    """Buttons to download the answer as JSON, as the Excel workbook (with the charts of
    the trade-off analyses run for it, when given) and as one BCF plan per board (a zip)."""
    from budgetopt.reports.excel import write_bcf_workbook

    c1, c2, c3 = st.columns(3)
    c1.download_button("Download the result (JSON)", res.to_json().encode("utf-8"),
                       file_name=f"{stem}.json", mime="application/json", key=f"{key}-json")
    if inputs is None:
        return
    with tempfile.TemporaryDirectory(prefix="budgetopt-xlsx-") as tmp:
        path = Path(tmp) / f"{stem}.xlsx"
        write_bcf_workbook(res, inputs, path, scenario=scenario, analyses=analyses)
        content = path.read_bytes()
    c2.download_button("Download the workbook (Excel)", content, file_name=f"{stem}.xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       key=f"{key}-xlsx")
    bcf_plans_download(c3, res, stem, key, inputs)


def bcf_plans_download(where, res: Results, stem: str, key: str, inputs: Inputs) -> None:
    """A button to download one BCF plan workbook per Health and Wellbeing Board (a zip)."""
    from budgetopt.errors import InputError
    from budgetopt.reports.excel.bcf_plans import bcf_plans_zip

    try:
        content = bcf_plans_zip(res, inputs)
    except InputError as err:
        where.warning(md_text(f"No BCF plans per board: {err}"))
        return
    where.download_button("Download the BCF plans per board (zip)", content,
                          file_name=f"{stem}-bcf-plans.zip", mime="application/zip",
                          key=f"{key}-bcf-zip")


def board_paper_download(res: Results, stem: str, key: str, inputs: Inputs, policy: Policy,
                         signature: str) -> None:
    """A button that makes the board paper (PDF) for this answer, then a button to download
    it. With the box ticked the paper's analyses are run (about 10-20 s on the example);
    else the paper lists its trade-off and risk sections as left out. The PDF is kept for the
    session until the data or the rules change."""
    from budgetopt.analyses.board import run_analyses
    from budgetopt.errors import BudgetoptError
    from budgetopt.reports.board import write_board_paper

    made = st.session_state.get(f"{key}-board-paper")
    c1, c2 = st.columns([3, 2])
    with_analyses = c1.checkbox("Include the trade-offs and risks (runs the analyses, about "
                                "10-20 s)", value=True, key=f"{key}-board-analyses",
                                disabled=not res.optimal)
    if c1.button("Make the board paper (PDF)", key=f"{key}-board-make"):
        with st.spinner("Running the analyses and printing the paper…" if with_analyses
                        else "Printing the paper…"):
            try:
                ran = (run_analyses(inputs, policy, robust=True)
                       if with_analyses and res.optimal else None)
                with tempfile.TemporaryDirectory(prefix="budgetopt-paper-") as tmp:
                    path = Path(tmp) / f"{stem}.pdf"
                    write_board_paper(res, inputs, policy, path, ran,
                                      left_out_because="this paper was made without the "
                                      "trade-offs and risks")
                    made = (signature, path.read_bytes())
                st.session_state[f"{key}-board-paper"] = made
            except BudgetoptError as err:
                st.error(str(err))
                made = None
    if made and made[0] == signature:
        c2.download_button("Download the board paper (PDF)", made[1],
                           file_name=f"{stem}-board-paper.pdf", mime="application/pdf",
                           key=f"{key}-board-pdf")


def file_stem(text: str) -> str:
    keep = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in text.strip().lower())
    return "-".join(filter(None, keep.split("-")))[:60] or "budgetopt"
