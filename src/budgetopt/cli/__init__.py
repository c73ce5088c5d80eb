"""The command line: ``budgetopt solve | validate | example | analyse | scenario | batch``.

One module per command group, each adding its commands to :data:`app` with ``register``;
they share the options and the error guard of :mod:`budgetopt.cli.common`. Argument parsing
and printing only: the work is done by library functions, imported when a command runs (so
``budgetopt --help`` does not load the solver, the store or Dask).
"""

from __future__ import annotations

import sys
from typing import Any

import typer

from budgetopt.cli import analyse, batch, scenario, solve

app = typer.Typer(
    name="budgetopt",
    help="Allocate an ICS's pooled budget for the most outcome within the rules.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

for _group in (solve, scenario, batch, analyse):
    _group.register(app)


def main(argv: list[str] | None = None) -> Any:
    """Console entry point (``budgetopt``; ``python -m budgetopt``)."""
    return app(args=argv, prog_name="budgetopt")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
