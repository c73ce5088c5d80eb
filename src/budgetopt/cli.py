"""The command line: ``budgetopt solve | validate | example | ...``.

Argument parsing and printing only; the work is done by library functions. The contract
(MODEL.md): ``budgetopt solve DATA [--model M.yaml] [--json OUT] [--excel OUT]`` exits 0 when
optimal, 1 when solved but not optimal (the JSON is still written, with the explanation), and 2
on bad input, with one clear message on stderr, no traceback, no output file left behind and no
input file changed.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from budgetopt.errors import BudgetoptError, InputError
from budgetopt.outputs import write_outputs
from budgetopt.summary import summary_lines

app = typer.Typer(
    name="budgetopt",
    help="Allocate an ICS's pooled budget for the most outcome within the rules.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

EXIT_OPTIMAL, EXIT_NOT_OPTIMAL, EXIT_BAD_INPUT, EXIT_INTERNAL = 0, 1, 2, 3

DataArg = Annotated[Path, typer.Argument(help="Data set: a folder of CSV files or one .xlsx "
                                         "workbook.", show_default=False)]
ModelOpt = Annotated[Path | None, typer.Option("--model", "-m", help="Policy model YAML "
                                               "(default: money, bounds, eligibility, workforce).")]
SetOpt = Annotated[list[str] | None, typer.Option(
    "--set", help="Override a policy setting, e.g. --set budget_m=240 or "
    "--set rules.workforce.scale=0.9 (repeatable).")]


def err_console() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def guarded(fn: Callable[..., int | None], debug: bool) -> None:
    """Run a command body: bad input exits 2 with its message, bugs exit 3 without traceback."""
    try:
        code = fn() or 0
    except InputError as e:
        err_console().print(f"[bold red]Error:[/] {e}", markup=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except BudgetoptError as e:
        err_console().print(f"[bold red]Error:[/] {e}")
        raise typer.Exit(EXIT_INTERNAL) from None
    except (typer.Exit, typer.Abort, KeyboardInterrupt):
        raise
    except Exception as e:  # noqa: BLE001 - last resort: never a traceback unless asked
        if debug:
            traceback.print_exc()
        err_console().print(f"[bold red]Internal error:[/] {type(e).__name__}: {e}. "
                            "Run again with --debug for the details.")
        raise typer.Exit(EXIT_INTERNAL) from None
    raise typer.Exit(code)


@app.command()
def solve(
    data: DataArg,
    model: ModelOpt = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the JSON result here.")
                        ] = None,
    excel: Annotated[Path | None, typer.Option(
        "--excel", help="Write the workbook here: BCF expenditure plan, planning "
        "requirements, metrics, allocation, rule costs, charts.")] = None,
    pdf: Annotated[Path | None, typer.Option(
        "--pdf", help="Write a board pack (the workbook as PDF, by LibreOffice) here.")] = None,
    set_: SetOpt = None,
    with_analyses: Annotated[bool, typer.Option(
        "--with-analyses", help="Also run the budget curve, the price of each rule, the "
        "Pareto frontier (outcome against equity) and 1,000 Monte Carlo samples, and chart "
        "them in the workbook (about 20 s on the example).")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing on success.")
                     ] = False,
    debug: Annotated[bool, typer.Option(help="Show tracebacks of internal errors.")] = False,
) -> None:
    """Solve a data set under a policy model and report the optimal allocation."""

    def body() -> int:
        from budgetopt.api import build
        from budgetopt.dataset import load_dataset
        from budgetopt.policy import apply_overrides, load_policy

        policy = load_policy(model)
        if set_:
            policy = apply_overrides(policy, set_)
        inputs = load_dataset(data, nonconcave=policy.nonconcave)
        results = build(inputs, policy, overrides=set_ or []).results()
        analyses = None
        if with_analyses and results.optimal and (excel or pdf):
            from budgetopt.excel.workbook import run_analyses

            analyses = run_analyses(inputs, policy)
        write_outputs(results, json_path=json_out, excel_path=excel, inputs=inputs,
                      pdf_path=pdf, analyses=analyses)
        if not quiet:
            Console(highlight=False, soft_wrap=True).print("\n".join(summary_lines(results)))
        return EXIT_OPTIMAL if results.optimal else EXIT_NOT_OPTIMAL

    guarded(body, debug)


@app.command()
def validate(
    data: DataArg,
    model: ModelOpt = None,
    debug: Annotated[bool, typer.Option(help="Show tracebacks of internal errors.")] = False,
) -> None:
    """Check a data set (and a policy model) without solving; list every problem found."""

    def body() -> int:
        from budgetopt.dataset import load_dataset
        from budgetopt.model.data import prepare
        from budgetopt.policy import load_policy
        from budgetopt.presolve import presolve_warnings

        policy = load_policy(model)
        inputs = load_dataset(data, nonconcave=policy.nonconcave)
        warnings = list(inputs.warnings) + list(presolve_warnings(prepare(inputs, policy)))
        out = Console(highlight=False, soft_wrap=True)
        table = Table(title=f"{data}: valid", show_header=True)
        table.add_column("table")
        table.add_column("rows", justify="right")
        for name in ("services", "metrics", "curves", "funding", "eligibility", "places",
                     "workforce", "workforce_need", "baseline"):
            table.add_row(name, str(len(getattr(inputs, name))))
        out.print(table)
        out.print(f"Years: {', '.join(inputs.years)}.  Data hash: {inputs.data_hash[:12]}")
        for w in warnings:
            out.print(f"[yellow]Warning:[/] {w}")
        return 0

    guarded(body, debug)


@app.command()
def example(
    directory: Annotated[Path, typer.Argument(help="Folder to write the example into.")],
    debug: Annotated[bool, typer.Option(help="Show tracebacks of internal errors.")] = False,
) -> None:
    """Write the example ICS data set (CSV folder and workbook) and a blank template."""

    def body() -> int:
        from budgetopt.example import write_example

        paths = write_example(directory)
        for label, path in paths.items():
            print(f"{label}: {path}")
        return 0

    guarded(body, debug)


def register(module: str) -> None:
    """Add the commands of another module (each defines ``register(app)``)."""
    import importlib

    importlib.import_module(module).register(app)


for _module in ("budgetopt.scenario_cli", "budgetopt.batch_cli", "budgetopt.analyse_cli"):
    register(_module)


def main(argv: list[str] | None = None) -> Any:
    """Console entry point (``budgetopt``; ``python -m budgetopt``)."""
    return app(args=argv, prog_name="budgetopt")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
