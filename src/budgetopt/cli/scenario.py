"""``budgetopt scenario save | list | show | diff | export | rerun | status``.

The commands of the scenario store (:mod:`budgetopt.store.db`). Every command takes ``--db``
(a SQLite path or any SQLAlchemy URL; default ``$BUDGETOPT_DB_URL`` or a file in the user's
data folder). A scenario is named ``NAME`` (its latest version) or ``NAME@VERSION``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from budgetopt.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_NOT_OPTIMAL,
    EXIT_OPTIMAL,
    DataArg,
    DbOpt,
    DebugOpt,
    FlexOpt,
    ModelOpt,
    SetOpt,
    SlackOpt,
    guarded,
    new_table,
    out_console,
    styled,
)
from budgetopt.store import STATUSES

scenario = typer.Typer(help="Save, list, compare and re-run scenarios in the scenario store.",
                       no_args_is_help=True)

RefArg = Annotated[str, typer.Argument(help="NAME (latest version) or NAME@VERSION.",
                                       show_default=False)]


def _open(db: str | None):
    from budgetopt.store.db import Store

    return Store(db)


def _when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if hasattr(value, "strftime") else str(value)


@scenario.command("save")
def save(
    data: DataArg,
    name: Annotated[str, typer.Option("--name", "-n", help="Scenario name; an existing name "
                                      "gets its next version.", show_default=False)],
    model: ModelOpt = None,
    set_: SetOpt = None,
    note: Annotated[str, typer.Option(help="Why this scenario: shown in list and show.")] = "",
    author: Annotated[str | None, typer.Option(help="Who saves it (default: $BUDGETOPT_AUTHOR "
                                               "or the login name).")] = None,
    status: Annotated[str, typer.Option(help=f"One of {', '.join(STATUSES)}.")] = "draft",
    db: DbOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Solve DATA under a policy model and save the answer with its data and policy."""

    def body() -> int:
        from budgetopt.api import build
        from budgetopt.data.read import read_tables
        from budgetopt.data.validate import validate
        from budgetopt.policy import apply_overrides, load_policy
        from budgetopt.store.db import DatasetContent

        policy = load_policy(model)
        effective = apply_overrides(policy, set_) if set_ else policy
        raw = read_tables(data)
        inputs = validate(raw, nonconcave=effective.nonconcave)
        with _open(db) as store:
            store.require_writable()  # before the solve, not after it
            results = build(inputs, policy, set_ or None).results()
            saved = store.save(name, DatasetContent.from_raw(raw, inputs), policy, set_ or [],
                               results, author=author, note=note, status=status)
        objective = f"{saved.objective:,.1f}" if saved.objective is not None else "no objective"
        out_console().print(f"Saved '{saved.name}' version {saved.version} ({saved.solve_status}, "
                     f"{objective}) in {store.where}")
        return EXIT_OPTIMAL if results.optimal else EXIT_NOT_OPTIMAL

    guarded(body, debug)


@scenario.command("list")
def list_(
    all_versions: Annotated[bool, typer.Option("--all", help="Every version, not only the "
                                               "latest of each name.")] = False,
    db: DbOpt = None,
    debug: DebugOpt = False,
) -> None:
    """The saved scenarios, newest first."""

    def body() -> int:
        with _open(db) as store:
            frame = store.list(all_versions=all_versions)
        if frame.empty:
            out_console().print(f"No scenarios saved in {store.where} yet "
                         "(`budgetopt scenario save DATA --name NAME`).")
            return 0
        table = new_table(title=f"Scenarios in {store.where}")
        for col in ("name", "version", "status", "solve", "objective", "author", "saved", "note"):
            table.add_column(col, justify="right" if col in ("version", "objective") else "left")
        for r in frame.itertuples(index=False):
            table.add_row(r.name, f"{r.version} of {r.versions}", r.status, r.solve_status,
                          "" if r.objective is None or r.objective != r.objective
                          else f"{r.objective:,.1f}", r.author, _when(r.created_at),
                          r.note[:60])
        out_console().print(table)
        return 0

    guarded(body, debug)


@scenario.command("show")
def show(ref: RefArg, db: DbOpt = None, debug: DebugOpt = False) -> None:
    """One saved scenario: provenance, policy, overrides, status history and its answer."""

    def body() -> int:
        from budgetopt.results.summary import summary_lines

        with _open(db) as store:
            sc = store.get(ref)
        out = out_console()
        out.print(styled(sc.name, "bold", f"version {sc.version} — saved "
                         f"{_when(sc.created_at)} by {sc.author}"))
        if sc.note:
            out.print(f"Note: {sc.note}")
        out.print(f"Data set: {sc.dataset_label} (hash {sc.data_hash[:12]})")
        out.print(f"Policy model: {sc.policy_dump.get('name', '')}; overrides: "
                  f"{', '.join(map(str, sc.overrides)) if sc.overrides else 'none'}")
        out.print(f"Made with budgetopt {sc.budgetopt_version}, HiGHS {sc.solver_version}, "
                  f"Python {sc.python_version}")
        out.print("Status history: " + "; ".join(
            f"{h['status']} by {h['changed_by']} {_when(h['changed_at'])}"
            + (f" ({h['note']})" if h["note"] and h["note"] != "saved" else "")
            for h in sc.history))
        out.print("\n".join(summary_lines(sc.results())))
        return 0

    guarded(body, debug)


@scenario.command("diff")
def diff(a: RefArg, b: RefArg, flexibility: FlexOpt = False, slack: SlackOpt = 0.01,
         db: DbOpt = None, debug: DebugOpt = False) -> None:
    """How scenario B differs from scenario A, in sentences and by sector; with
    --flexibility, which of B's moves are free choices within A's flexibility ranges (worked
    out from A's stored data and policy) and which are forced."""

    def body() -> int:
        from budgetopt.analyses.compare import compare_results

        flex = None
        with _open(db) as store:
            sa, sb = store.get(a), store.get(b)
            content = store.dataset(sa.data_hash) if flexibility else None
        if content is not None:
            from budgetopt.cli.analyse import flexibility_of

            policy = sa.policy()
            flex = flexibility_of(sa.ref, sa.results(), content.inputs(policy.nonconcave),
                                  policy, sa.overrides, slack)
        cmp = compare_results(sa.results(), sb.results(), sa.ref, sb.ref, flexibility=flex)
        out = out_console()
        for sentence in cmp.sentences:
            out.print(f"• {sentence}")
        if sa.data_hash != sb.data_hash:
            out.print(f"• The data sets differ ({sa.dataset_label} {sa.data_hash[:12]} against "
                      f"{sb.dataset_label} {sb.data_hash[:12]}).")
        if sa.overrides != sb.overrides:
            out.print(f"• Overrides: {sa.overrides or 'none'} against {sb.overrides or 'none'}.")
        table = new_table(title="Spend by sector over the plan (£m)")
        for col in ("sector", sa.ref, sb.ref, "difference"):
            table.add_column(col, justify="left" if col == "sector" else "right")
        for r in cmp.sectors.itertuples(index=False):
            table.add_row(r.sector.replace("_", " "), f"{r.spend_a:,.1f}", f"{r.spend_b:,.1f}",
                          f"{r.difference:+,.1f}")
        out.print(table)
        return 0

    guarded(body, debug)


@scenario.command("export")
def export(
    ref: RefArg,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the JSON result "
                                                  "(the solve contract's shape) here.")] = None,
    excel: Annotated[Path | None, typer.Option("--excel", help="Write the results workbook "
                                               "here.")] = None,
    pdf: Annotated[Path | None, typer.Option("--pdf", help="Write the board paper here (PDF), "
                                             "running the analyses it needs on the stored "
                                             "data and policy; needs Chromium.")] = None,
    workbook_pdf: Annotated[Path | None, typer.Option(
        "--workbook-pdf", help="Write the workbook printed as PDF (by LibreOffice) here.")
                            ] = None,
    no_analyses: Annotated[bool, typer.Option(
        "--no-analyses", help="Make the board paper without the analyses; the paper lists "
        "the sections left out.")] = False,
    data_out: Annotated[Path | None, typer.Option("--data", help="Write the stored data set "
                                                  "here (a folder, or a .xlsx file).")] = None,
    policy_out: Annotated[Path | None, typer.Option("--policy", help="Write the policy model "
                                                    "(with its overrides applied) as YAML.")
                          ] = None,
    db: DbOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Write a saved scenario's answer, board paper, data set and policy model to files."""

    def body() -> int:
        import yaml

        from budgetopt.data.dataset import write_dataset
        from budgetopt.policy import apply_overrides
        from budgetopt.reports.outputs import write_outputs
        from budgetopt.safe import refuse_overwriting_inputs, write_atomically
        from budgetopt.store.db import sqlite_path

        if not any((json_out, excel, pdf, workbook_pdf, data_out, policy_out)):
            out_console().print("Nothing to export: give --json, --excel, --pdf, "
                                "--workbook-pdf, --data and/or --policy.")
            return EXIT_BAD_INPUT
        refuse_overwriting_inputs({"--json": json_out, "--excel": excel, "--pdf": pdf,
                                   "--workbook-pdf": workbook_pdf, "--data": data_out,
                                   "--policy": policy_out}, [sqlite_path(db)])
        with _open(db) as store:
            sc = store.get(ref)
            content = store.dataset(sc.data_hash)
        policy = sc.policy()
        policy = apply_overrides(policy, sc.overrides) if sc.overrides else policy
        results = sc.results()
        inputs = content.inputs(policy.nonconcave) if (excel or pdf or workbook_pdf) else None
        analyses = None
        if pdf and not no_analyses and results.optimal and inputs is not None:
            from budgetopt.analyses.board import run_analyses

            analyses = run_analyses(inputs, policy, robust=True)
        if json_out or excel or pdf or workbook_pdf:
            write_outputs(results, json_path=json_out, excel_path=excel, inputs=inputs,
                          pdf_path=pdf, workbook_pdf_path=workbook_pdf, policy=policy,
                          scenario=sc.ref, analyses=analyses)
        if policy_out:
            text = yaml.safe_dump(policy.model_dump(mode="json"), sort_keys=False,
                                  allow_unicode=True)
            write_atomically({policy_out: lambda p: p.write_text(text, encoding="utf-8")})
        if data_out:
            write_dataset(content.frames(), data_out)
        for label, path in (("JSON", json_out), ("workbook", excel), ("board paper", pdf),
                            ("printed workbook", workbook_pdf), ("data set", data_out),
                            ("policy", policy_out)):
            if path:
                out_console().print(f"{label}: {path}")
        return 0

    guarded(body, debug)


@scenario.command("rerun")
def rerun(
    ref: RefArg,
    save_as: Annotated[str | None, typer.Option("--save-as", help="Save the fresh answer as a "
                                                "new version of this name.")] = None,
    db: DbOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Solve a saved scenario again from its stored data and policy; check it reproduces.

    Exit 0 when the fresh answer matches the stored one, 1 when it differs (each difference
    is listed).
    """

    def body() -> int:
        from budgetopt.store.db import reproduces

        with _open(db) as store:
            if save_as:
                store.require_writable(f"save the re-run as '{save_as}'")
            sc, fresh = store.rerun(ref)
            if save_as:
                store.save(save_as, store.dataset(sc.data_hash), sc.policy(), sc.overrides,
                           fresh, note=f"re-run of {sc.ref}")
        diffs = reproduces(sc.results(), fresh)
        out = out_console()
        if diffs:
            out.print(styled(f"{sc.ref} did not reproduce:", "yellow", "; ".join(diffs) + "."))
            return EXIT_NOT_OPTIMAL
        value = f"{fresh.objective:,.1f}" if fresh.objective is not None else fresh.status
        out.print(f"{sc.ref} reproduced: {fresh.status}, {value}, every allocation line within "
                  "£100.")
        return 0

    guarded(body, debug)


@scenario.command("status")
def status(
    ref: RefArg,
    new_status: Annotated[str, typer.Argument(metavar="STATUS",
                                              help=f"One of {', '.join(STATUSES)}.")],
    by: Annotated[str | None, typer.Option(help="Who changes it (default: $BUDGETOPT_AUTHOR "
                                           "or the login name).")] = None,
    note: Annotated[str, typer.Option(help="Why, e.g. the board meeting that approved it.")
                    ] = "",
    db: DbOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Record a new approval status (draft, proposed, approved) for a saved scenario."""

    def body() -> int:
        with _open(db) as store:
            sc = store.set_status(ref, new_status, by=by, note=note)
        last = sc.history[-1]
        out_console().print(f"{sc.ref} is now {last['status']} (by {last['changed_by']}, "
                     f"{_when(last['changed_at'])}).")
        return 0

    guarded(body, debug)


def register(app: typer.Typer) -> None:
    app.add_typer(scenario, name="scenario")
