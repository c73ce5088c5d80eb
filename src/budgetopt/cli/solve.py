"""``budgetopt solve | validate | example``: the contract's commands (MODEL.md).

``budgetopt solve DATA [--model MODEL.yaml] [--json OUT] [--excel OUT] [--pdf OUT]
[--bcf-dir DIR]`` exits 0
when optimal, 1 when solved but not optimal (the JSON is still written, with the explanation),
and 2 on bad input, with one clear message on stderr, no traceback, no output file left behind
and no input file changed. ``--pdf`` writes the board paper (:mod:`budgetopt.reports.board`),
``--workbook-pdf`` the workbook printed by LibreOffice.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from budgetopt.cli.common import (
    EXIT_NOT_OPTIMAL,
    EXIT_OPTIMAL,
    DataArg,
    DebugOpt,
    ModelOpt,
    SetOpt,
    guarded,
    load,
    new_table,
    out_console,
    styled,
)


def solve(
    data: DataArg,
    model: ModelOpt = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the JSON result here.")
                        ] = None,
    excel: Annotated[Path | None, typer.Option(
        "--excel", help="Write the workbook here: BCF expenditure plan, planning "
        "requirements, metrics, allocation, rule costs, charts.")] = None,
    pdf: Annotated[Path | None, typer.Option(
        "--pdf", help="Write the board paper here (PDF, 4-10 pages: the decision, where the "
        "money goes, what each rule costs, the trade-offs and the risks), running the "
        "analyses it needs (seconds on the example; about a minute under the mixed-integer "
        "shift-left); needs Chromium.")] = None,
    workbook_pdf: Annotated[Path | None, typer.Option(
        "--workbook-pdf", help="Write the workbook printed as PDF (every sheet, by "
        "LibreOffice) here.")] = None,
    bcf_dir: Annotated[Path | None, typer.Option(
        "--bcf-dir", help="Write one BCF plan workbook per Health and Wellbeing Board into "
        "this folder, <hwb_id>.xlsx (ics.xlsx when the data has no HWBs): Summary, Income, "
        "Expenditure, National Conditions (live checks), Metrics, Capacity and Demand.")
                       ] = None,
    set_: SetOpt = None,
    with_analyses: Annotated[bool, typer.Option(
        "--with-analyses", help="Also run the budget curve, the price of each rule, the "
        "Pareto frontier (outcome against equity), 1,000 Monte Carlo samples and the "
        "flexibility ranges, and chart them in the workbook (about 25 s on the example).")
                         ] = False,
    no_analyses: Annotated[bool, typer.Option(
        "--no-analyses", help="Make the board paper without the analyses (faster); the paper "
        "lists the sections left out.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing on success.")
                     ] = False,
    debug: DebugOpt = False,
) -> None:
    """Solve a data set under a policy model and report the optimal allocation."""
    if with_analyses and no_analyses:
        raise typer.BadParameter("--with-analyses and --no-analyses cannot both be given",
                                 param_hint="--no-analyses")

    def body() -> int:
        from budgetopt.api import build
        from budgetopt.reports.outputs import write_outputs
        from budgetopt.results.summary import summary_lines

        inputs, policy = load(data, model, set_, outputs={
            "--json": json_out, "--excel": excel, "--pdf": pdf, "--workbook-pdf": workbook_pdf,
            "--bcf-dir": bcf_dir})
        results = build(inputs, policy, overrides=set_ or []).results()
        analyses = None
        wanted = ((pdf is not None and not no_analyses)
                  or (with_analyses and (excel or workbook_pdf)))
        if wanted and results.optimal:
            from budgetopt.analyses.board import run_analyses

            analyses = run_analyses(inputs, policy, robust=pdf is not None)
        write_outputs(results, json_path=json_out, excel_path=excel, inputs=inputs,
                      pdf_path=pdf, workbook_pdf_path=workbook_pdf, policy=policy,
                      analyses=analyses, bcf_dir=bcf_dir)
        if not quiet:
            lines = summary_lines(results)
            if analyses is not None:
                took = ", ".join(f"{k.replace('_', ' ')} {v:.1f}" for k, v in
                                 analyses.timings.items())
                lines.append(f"Analyses: {sum(analyses.timings.values()):.1f} s ({took})")
            out_console().print("\n".join(lines))
        return EXIT_OPTIMAL if results.optimal else EXIT_NOT_OPTIMAL

    guarded(body, debug)


def validate(
    data: DataArg,
    model: ModelOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Check a data set (and a policy model) without solving; list every problem found."""

    def body() -> int:
        from budgetopt.api import check

        inputs, policy = load(data, model, None)
        warnings = check(inputs, policy)
        out = out_console()
        table = new_table(title=f"{data}: valid", show_header=True)
        table.add_column("table")
        table.add_column("rows", justify="right")
        for name in ("services", "metrics", "curves", "funding", "eligibility", "places",
                     "workforce", "workforce_need", "baseline"):
            table.add_row(name, str(len(getattr(inputs, name))))
        out.print(table)
        out.print(f"Years: {', '.join(inputs.years)}.  Data hash: {inputs.data_hash[:12]}")
        for w in warnings:
            out.print(styled("Warning:", "yellow", w))
        return 0

    guarded(body, debug)


def example(
    directory: Annotated[Path, typer.Argument(help="Folder to write the example into.")],
    bands: Annotated[bool, typer.Option(
        "--bands", help="Write the curves the example's evidence gives as a curves table of "
        "spend bands (to edit by hand) instead of the evidence table.")] = False,
    from_evidence: Annotated[bool, typer.Option(
        "--from-evidence", hidden=True,
        help="Kept for old scripts: the example is built from evidence anyway.")] = False,
    debug: DebugOpt = False,
) -> None:
    """Write the example ICS data set (CSV folder and workbook) and a blank template."""

    def body() -> int:
        from budgetopt.data.example import write_example

        paths = write_example(directory, bands=bands and not from_evidence)
        for label, path in paths.items():
            print(f"{label}: {path}")
        return 0

    guarded(body, debug)


def register(app: typer.Typer) -> None:
    app.command()(solve)
    app.command()(validate)
    app.command()(example)
