"""Write a solve's outputs all-or-nothing.

Every file is written to a temporary name beside its target and renamed into place only when
all of them were written (:func:`budgetopt.safe.write_atomically`), so a failure never leaves a
partial output behind.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, cast

from budgetopt.data.inputs import Inputs
from budgetopt.results.tables import Results
from budgetopt.safe import write_atomically

if TYPE_CHECKING:
    from budgetopt.analyses.board import Analyses
    from budgetopt.policy import Policy


def write_outputs(results: Results, json_path: Path | None = None,
                  excel_path: Path | None = None, *, inputs: Inputs | None = None,
                  pdf_path: Path | None = None, workbook_pdf_path: Path | None = None,
                  policy: Policy | None = None, scenario: str = "",
                  analyses: Analyses | None = None, left_out_because: str | None = None,
                  bcf_dir: Path | None = None) -> None:
    """Write the JSON result, the workbook, the board paper and/or the printed workbook for
    `results` (all or none).

    The workbook, the per-HWB BCF plans (`bcf_dir`, a folder of ``<hwb_id>.xlsx``), the board
    paper (`pdf_path`) and the printed workbook (`workbook_pdf_path`, by LibreOffice) need the
    `inputs` the results were solved from; the board paper also
    needs the `policy`. `analyses` fill the paper's trade-off and risk sections (and the
    workbook's charts); the paper names what is missing, with `left_out_because`.
    """
    writers: dict[Path, Callable[[Path], object]] = {}
    if json_path is not None:
        writers[Path(json_path)] = lambda p: p.write_text(results.to_json(), encoding="utf-8")
    if (excel_path or pdf_path or workbook_pdf_path or bcf_dir) is not None and inputs is None:
        raise ValueError("the workbook and the board paper need the inputs the results were "
                         "solved from")
    data = cast(Inputs, inputs)  # checked above for every output that needs it
    if excel_path is not None:
        from budgetopt.reports.excel import write_bcf_workbook

        writers[Path(excel_path)] = lambda p: write_bcf_workbook(
            results, data, p, scenario=scenario, analyses=analyses)
    if bcf_dir is not None:
        from budgetopt.reports.excel.bcf_plans import (
            check_file_names,
            hwb_names,
            write_bcf_plans,
        )
        from budgetopt.safe import refuse_overwriting_inputs

        check_file_names(data)  # bad HWB ids: exit 2 before anything is written
        # a plan named like the data set's own workbook, in the folder holding it
        refuse_overwriting_inputs({f"--bcf-dir ({h}.xlsx)": Path(bcf_dir) / f"{h}.xlsx"
                                   for h in hwb_names(data)}, [Path(data.source)])
        writers[Path(bcf_dir)] = lambda p: write_bcf_plans(results, data, p)
    if pdf_path is not None:
        if policy is None:
            raise ValueError("the board paper needs the policy the results were solved under")
        from budgetopt.reports.board import NO_ANALYSES, write_board_paper

        writers[Path(pdf_path)] = lambda p: write_board_paper(
            results, data, policy, p, analyses, scenario=scenario,
            left_out_because=left_out_because or NO_ANALYSES)
    if workbook_pdf_path is not None:
        writers[Path(workbook_pdf_path)] = lambda p: _workbook_pdf(results, data, p, scenario,
                                                                   analyses)
    write_atomically(writers, folders={Path(bcf_dir)} if bcf_dir is not None else ())


def _workbook_pdf(results: Results, inputs: Inputs, path: Path, scenario: str,
                  analyses: Analyses | None) -> None:
    """The workbook printed to PDF by LibreOffice (every sheet, as ``--workbook-pdf``)."""
    from budgetopt.reports.excel import to_pdf, write_bcf_workbook

    with tempfile.TemporaryDirectory(prefix="budgetopt-pdf-") as tmp:
        book = Path(tmp) / "workbook.xlsx"
        write_bcf_workbook(results, inputs, book, scenario=scenario, analyses=analyses)
        to_pdf(book, path)
