"""What every command shares: its options, its consoles, and the one error guard.

The contract (MODEL.md): exit 0 when optimal, 1 when solved but not optimal, 2 on bad input
(one clear message on stderr, no traceback, nothing written, no input changed), 3 for an
internal error. Text that came from an input is data, never markup: every console here has
rich's markup off, and the styled prefixes are built as :class:`rich.text.Text`.

This module imports only typer at module level, so ``budgetopt --help`` starts fast; rich is
imported when something is printed (a quiet solve never loads it), the library by each
command's body.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from budgetopt.errors import BudgetoptError, InputError
from budgetopt.safe import refuse_overwriting_inputs

if TYPE_CHECKING:  # type-only: the command bodies import these when they run
    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table
    from rich.text import Text

    from budgetopt.data.inputs import Inputs
    from budgetopt.policy import Policy

EXIT_OPTIMAL, EXIT_NOT_OPTIMAL, EXIT_BAD_INPUT, EXIT_INTERNAL = 0, 1, 2, 3

DataArg = Annotated[Path, typer.Argument(help="Data set: a folder of CSV files or one .xlsx "
                                         "workbook.", show_default=False)]
ModelOpt = Annotated[Path | None, typer.Option("--model", "-m", help="Policy model YAML "
                                               "(default: money, bounds, eligibility, workforce).")]
SetOpt = Annotated[list[str] | None, typer.Option(
    "--set", help="Override a policy setting, e.g. --set budget_m=240 or "
    "--set rules.workforce.scale=0.9 (repeatable).")]
OutOpt = Annotated[Path | None, typer.Option("--out", help="Folder for the tables (CSV), the "
                                             "chart (HTML) and provenance.json.")]
DbOpt = Annotated[str | None, typer.Option(
    "--db", help="Scenario store: a SQLite file or a database URL "
    "(default: $BUDGETOPT_DB_URL, else ~/.local/share/budgetopt/scenarios.db).")]
DebugOpt = Annotated[bool, typer.Option(help="Show tracebacks of internal errors.")]
FlexOpt = Annotated[bool, typer.Option(
    "--flexibility", help="Work out the first scenario's flexibility ranges (as `analyse "
    "flexibility` does) and tell each move as a free choice (a plan within --slack of the "
    "first's best could make it) or forced.")]
SlackOpt = Annotated[float, typer.Option(
    min=0.0, max=0.5, help="With --flexibility: the share of the best outcome that may be "
    "given up (0.01 = 1%).")]


def out_console() -> Console:
    """Standard output; input text printed as it is (no markup, no highlighting)."""
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True, markup=False)


def err_console() -> Console:
    """Standard error, as :func:`out_console`."""
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True, markup=False)


def styled(prefix: str, style: str, text: str) -> Text:
    """``prefix`` in `style`, then `text` exactly as given."""
    from rich.text import Text

    return Text.assemble((prefix, style), " ", text)


def new_table(title: str, **options: Any) -> Table:
    """A rich table titled `title` (its cells are added as text, never markup)."""
    from rich.table import Table

    return Table(title=title, **options)


def progress_bar(first: str) -> Progress:
    """A transient bar on standard error: `first` (a rich column format, not markup), the
    bar, done of total, time so far."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn(first, markup=False), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=err_console(), transient=True)


def guarded(fn: Callable[[], int | None], debug: bool) -> None:
    """Run a command body: bad input exits 2 with its message, bugs exit 3 without traceback."""
    try:
        code = fn() or 0
    except InputError as e:
        err_console().print(styled("Error:", "bold red", str(e)))
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except BudgetoptError as e:
        err_console().print(styled("Error:", "bold red", str(e)))
        raise typer.Exit(EXIT_INTERNAL) from None
    except (typer.Exit, typer.Abort, KeyboardInterrupt):
        raise
    except Exception as e:  # noqa: BLE001 - last resort: never a traceback unless asked
        if debug:
            traceback.print_exc()
        err_console().print(styled("Internal error:", "bold red",
                                   f"{type(e).__name__}: {e}. Run again with --debug for the "
                                   "details."))
        raise typer.Exit(EXIT_INTERNAL) from None
    raise typer.Exit(code)


def load(data: Path, model: Path | None, set_: list[str] | None,
         outputs: dict[str, Path | None] | None = None) -> tuple[Inputs, Policy]:
    """The data set and the policy model (with its ``--set`` overrides) a command works on.

    `outputs` (option name -> path) are refused first, before anything is read or written,
    when one of them is the data set, lies inside it, or is the policy model.
    """
    from budgetopt.data.dataset import load_dataset
    from budgetopt.policy import apply_overrides, load_policy

    if outputs:
        refuse_overwriting_inputs(outputs, [data, model])
    policy = load_policy(model)
    if set_:
        policy = apply_overrides(policy, set_)
    return load_dataset(data, nonconcave=policy.nonconcave), policy
