"""``budgetopt batch MANIFEST``: many jobs on Dask, answers into the scenario store."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:  # rich is loaded only when a bar is drawn (cli.common.progress_bar)
    from rich.progress import Progress

from budgetopt.cli.common import (
    EXIT_INTERNAL,
    EXIT_NOT_OPTIMAL,
    EXIT_OPTIMAL,
    DbOpt,
    DebugOpt,
    err_console,
    guarded,
    new_table,
    out_console,
    progress_bar,
    styled,
)

EXIT_INTERRUPTED = 130
"""Ctrl-C: the shell's convention (128 + SIGINT)."""


def batch(
    manifest: Annotated[Path, typer.Argument(help="Manifest: YAML (jobs and/or a grid) or CSV "
                                             "(name, data, model, set, seed).",
                                             show_default=False)],
    scheduler: Annotated[str | None, typer.Option(help="Address of an existing Dask scheduler, "
                                                  "e.g. tcp://10.0.0.5:8786 (default: a "
                                                  "LocalCluster on this machine).")] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="LocalCluster worker processes "
                                                "(default: one per core).")] = None,
    local: Annotated[bool, typer.Option("--local", help="Run in this process, without Dask.")
                     ] = False,
    force: Annotated[bool, typer.Option("--force", help="Solve and save every job again, even "
                                        "those already saved for this batch.")] = False,
    job_timeout: Annotated[float | None, typer.Option(
        "--job-timeout", min=0.001, help="Seconds one job may take: its solve stops there "
        "(status time_limit); on Dask a job still running after it is stopped and failed.")
                           ] = None,
    summary: Annotated[Path | None, typer.Option(help="Write the summary table here (.csv or "
                                                 ".xlsx).")] = None,
    db: DbOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Run every job of a manifest on Dask; save each answer in the scenario store.

    Jobs already saved for this batch from the same inputs by the same budgetopt and HiGHS
    are skipped (resume after a crash; --force runs them again). Exit 0 when every job is
    optimal, 1 when any failed or is not optimal (each with its reason), 2 for a bad manifest
    or a batch already running, 3 when the batch could not finish (N of M saved; re-run to
    resume), 130 on Ctrl-C.
    """

    def body() -> int:
        from budgetopt.batch.run import (
            BatchInterrupted,
            JobStatus,
            read_manifest,
            run_batch,
            write_summary,
        )
        from budgetopt.safe import refuse_overwriting_inputs
        from budgetopt.store.db import Store

        _, specs = read_manifest(manifest)  # bad manifest: exit 2 before any cluster starts
        refuse_overwriting_inputs({"--summary": summary}, [manifest, *(s.data for s in specs),
                                                           *(s.model for s in specs)])
        out = out_console()
        try:
            with Store(db) as store, _progress() as tick:
                report = run_batch(manifest, store=store, scheduler=scheduler, workers=workers,
                                   local=local, force=force, job_timeout=job_timeout,
                                   progress=tick)
        except BatchInterrupted as stop:
            err_console().print(styled("Stopped:", "bold red", str(stop)))
            return EXIT_INTERRUPTED if stop.keyboard else EXIT_INTERNAL
        table = new_table(title=report.sentence())
        for col in ("job", "status", "objective", "seconds", "scenario", "reason"):
            table.add_column(col, justify="right" if col in ("objective", "seconds") else "left",
                             overflow="fold" if col == "reason" else "ellipsis",
                             ratio=3 if col == "reason" else None)
        for r in report.summary.itertuples(index=False):
            table.add_row(r.job, r.status, "" if r.objective is None or r.objective != r.objective
                          else f"{r.objective:,.1f}", f"{r.seconds:.2f}", r.scenario,
                          (r.reason or "")[:160])
        out.print(table)
        if summary:
            write_summary(report, summary)
            out.print(f"Summary: {summary}")
        all_ok = (report.summary["status"] == JobStatus.OPTIMAL).all()
        return EXIT_OPTIMAL if all_ok else EXIT_NOT_OPTIMAL

    guarded(body, debug)


class _progress:
    """A bar on a terminal; elsewhere (a log, CI) one plain line per job finished."""

    def __enter__(self) -> Callable[[int, int, str], None]:
        self.bar: Progress | None = None
        if sys.stderr.isatty():
            self.bar = progress_bar("{task.description}")
            self.bar.__enter__()
            self.task = self.bar.add_task("solving", total=None)
        return self.tick

    def tick(self, done: int, total: int, job: str) -> None:
        if self.bar is not None:
            self.bar.update(self.task, completed=done, total=total, description=f"solved {job}")
        else:
            err_console().print(f"{done} of {total} solved: {job}")

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self.bar is not None:
            self.bar.__exit__(kind, error, trace)


def register(app: typer.Typer) -> None:
    app.command("batch")(batch)
