"""``budgetopt analyse curve | prices | pareto | uncertainty | evpi | robust | flexibility |
compare``.

Each command prints a table, shows a progress bar while it re-solves, and with ``--out DIR``
writes its tables as CSV, a chart as HTML (plotly) and ``provenance.json`` (package, data hash,
policy, overrides, solver, seed) so the figure in a board paper can be traced to its inputs.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, cast

import typer

from budgetopt.cli.common import (
    DataArg,
    DebugOpt,
    FlexOpt,
    ModelOpt,
    OutOpt,
    SetOpt,
    SlackOpt,
    guarded,
    load,
    new_table,
    out_console,
    progress_bar,
)

if TYPE_CHECKING:  # pandas is loaded by the commands that run, not by `budgetopt --help`
    import pandas as pd

analyse = typer.Typer(help="Trade-off analyses for boards: budget curve, price of rules, "
                      "Pareto frontier, uncertainty, robust plan, scenario comparison.",
                      no_args_is_help=True)

# the options of the commands that sample the effects (uncertainty, evpi, robust)
SamplesOpt = Annotated[int, typer.Option(min=10, help="Samples of the effects.")]
SeedOpt = Annotated[int, typer.Option(help="Random seed (stated, reproducible).")]
DistributionOpt = Annotated[str, typer.Option(help="pert or triangular.")]


@contextmanager
def _bar(what: str) -> Iterator[Callable[[int, int], None]]:
    with progress_bar(what) as bar:
        task = bar.add_task(what, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def _print(frame: pd.DataFrame, title: str, fmt: dict[str, str] | None = None) -> None:
    import pandas as pd

    fmt = fmt or {}
    table = new_table(title=title)
    for col in frame.columns:
        table.add_column(str(col), justify="right" if pd.api.types.is_numeric_dtype(
            frame[col]) else "left")
    for row in frame.itertuples(index=False):
        cells = []
        for col, v in zip(frame.columns, row):
            if v is None or (isinstance(v, float) and math.isnan(v)):
                cells.append("")
            elif isinstance(v, float):
                cells.append(format(v, fmt.get(col, ",.0f" if abs(v) >= 1000 else ",.1f")))
            else:
                cells.append(str(v))
        table.add_row(*cells)
    out_console().print(table)


Distribution = Literal["pert", "triangular"]


def _choice(value: str, option: str, choices: tuple[str, ...]) -> str:
    """`value` if it is one of `choices`, else bad input naming the option (exit 2)."""
    from budgetopt.errors import InputError

    if value not in choices:
        raise InputError.single(option, f"{value!r}: use {' or '.join(choices)}")
    return value


def _distribution(value: str) -> Distribution:
    """The ``--distribution`` of the effects: pert or triangular."""
    return cast(Distribution, _choice(value, "--distribution", ("pert", "triangular")))


def _write(out: Path | None, tables: dict[str, pd.DataFrame], figure: Any = None,
           extra: dict[str, Any] | None = None) -> None:
    """Everything into `out`, written all-or-nothing (temporary names, then renamed)."""
    if out is None:
        return
    from budgetopt.errors import InputError
    from budgetopt.safe import write_atomically, write_csv

    if out.exists() and not out.is_dir():
        raise InputError.single("--out", f"{out} is a file: --out takes a folder (nothing was "
                                "written)")
    out.mkdir(parents=True, exist_ok=True)
    writers: dict[Path, Callable[[Path], object]] = {
        out / f"{name}.csv": partial(write_csv, frame) for name, frame in tables.items()}
    first = next(iter(tables.values()))
    meta = {**{k: v for k, v in first.attrs.items() if isinstance(v, (str, int, float, dict,
                                                                       list, bool))},
            **(extra or {})}
    text = json.dumps(meta, indent=2, default=str)
    writers[out / "provenance.json"] = lambda p: p.write_text(text, encoding="utf-8")
    if figure is not None:
        writers[out / "chart.html"] = lambda p: figure.write_html(p, include_plotlyjs="cdn")
    write_atomically(writers)
    out_console().print(f"Written to {out}/: " + ", ".join(sorted(p.name for p in writers)))


@analyse.command("curve")
def curve(data: DataArg, model: ModelOpt = None, set_: SetOpt = None,
          low: Annotated[float, typer.Option("--from", help="Lowest budget, £m (first year).")
                         ] = 200.0,
          high: Annotated[float, typer.Option("--to", help="Highest budget, £m.")] = 280.0,
          points: Annotated[int, typer.Option(min=2, help="Budgets in the range.")] = 50,
          out: OutOpt = None, debug: DebugOpt = False) -> None:
    """The optimal outcome over a range of budgets, its marginal return, who enters where."""

    def body() -> int:
        import numpy as np

        from budgetopt.analyses.sweeps import budget_curve
        from budgetopt.reports import charts

        inputs, policy = load(data, model, set_, outputs={"--out": out})
        with _bar("re-solving at each budget") as tick:
            frame = budget_curve(inputs, policy, list(np.linspace(low, high, points)),
                                 progress=tick)
        _print(frame[["budget_m", "status", "objective", "marginal", "spend_m"]],
               "Budget curve (first-year budget, £m)")
        entries = frame.attrs["entries"]
        _print(entries[["name", "enters_at_m", "leaves_after_m"]],
               "Where each service gets money beyond its minimum")
        _write(out, {"curve": frame, "entries": entries}, charts.budget_curve(frame))
        return 0

    guarded(body, debug)


@analyse.command("prices")
def prices(data: DataArg, model: ModelOpt = None, set_: SetOpt = None, out: OutOpt = None,
           debug: DebugOpt = False) -> None:
    """The outcome given up by each switched-on rule and by each protected minimum, ranked."""

    def body() -> int:
        from budgetopt.analyses.sweeps import price_of_minimums, price_of_rules
        from budgetopt.reports import charts

        inputs, policy = load(data, model, set_, outputs={"--out": out})
        with _bar("solving without each rule") as tick:
            rules = price_of_rules(inputs, policy, progress=tick)
        with _bar("solving without each minimum") as tick:
            mins = price_of_minimums(inputs, policy, progress=tick)
        _print(rules[["title", "price", "status_without"]], "The price of each rule")
        _print(mins[["name", "minimum_m", "price"]], "The price of each protected minimum")
        _write(out, {"rules": rules, "minimums": mins}, charts.price_of_rules(rules))
        return 0

    guarded(body, debug)


@analyse.command("pareto")
def pareto(data: DataArg, model: ModelOpt = None, set_: SetOpt = None,
           first: Annotated[str, typer.Option(help="Objective on the vertical axis: outcome, "
                                              "metric:<ID> or equity.")] = "outcome",
           second: Annotated[str, typer.Option(help="Objective traded against it.")
                             ] = "equity",
           points: Annotated[int, typer.Option(min=2)] = 11,
           out: OutOpt = None, debug: DebugOpt = False) -> None:
    """The Pareto frontier between two objectives (epsilon-constraint), current plan marked."""

    def body() -> int:
        from budgetopt.analyses.pareto import objective_names, pareto_frontier
        from budgetopt.errors import InputError
        from budgetopt.reports import charts

        inputs, policy = load(data, model, set_, outputs={"--out": out})
        names = objective_names(inputs)
        for o in (first, second):
            if o not in names:
                raise InputError.single(f"--first/--second '{o}'",
                                        f"not an objective of this data set: {', '.join(names)}")
        with _bar("tracing the frontier") as tick:
            frame = pareto_frontier(inputs, policy, first, second, points, progress=tick)
        a, b, base = frame.attrs["first"], frame.attrs["second"], frame.attrs["baseline"]
        _print(frame[["point", "status", "first", "second"]].rename(
            columns={"first": a["name"], "second": b["name"]}), "Pareto frontier")
        out_console().print(f"Current allocation: {a['name']} {base['first']:,.1f}, {b['name']} "
                     f"{base['second']:,.1f} — "
                     + ("dominated: a point on the frontier is better on both."
                        if base["dominated"] else "on the frontier."))
        _write(out, {"frontier": frame}, charts.pareto(frame))
        return 0

    guarded(body, debug)


@analyse.command("uncertainty")
def uncertainty(data: DataArg, model: ModelOpt = None, set_: SetOpt = None,
                samples: SamplesOpt = 1000, seed: SeedOpt = 0,
                distribution: DistributionOpt = "pert",
                workers: Annotated[int, typer.Option(
                    min=0, help="Processes for the re-solves: 0 chooses (every core when the "
                    "re-solves would take more than 10 s on one), 1 stays in this process. "
                    "The answer does not depend on it.")] = 0,
                out: OutOpt = None, debug: DebugOpt = False) -> None:
    """Monte Carlo over the low/central/high effects: the plan's outcome, each scheme's odds."""

    def body() -> int:
        from budgetopt.analyses.uncertainty import monte_carlo
        from budgetopt.reports import charts

        shape = _distribution(distribution)
        inputs, policy = load(data, model, set_, outputs={"--out": out})
        with _bar("solving each sample") as tick:
            res = monte_carlo(inputs, policy, samples, seed=seed, distribution=shape,
                              progress=tick, workers=workers or None)
        _print(res["summary"], f"Weighted outcome over {samples:,} samples (seed {seed})")
        _print(res["schemes"][["name", "p_beyond_minimum", "p_grows", "mean_spend_m"]],
               "How often the best plan funds each scheme beyond its minimum / above baseline",
               {"p_beyond_minimum": ".0%", "p_grows": ".0%"})
        _write(out, {"summary": res["summary"], "schemes": res["schemes"],
                     "outcomes": res["outcomes"]}, charts.outcome_distribution(res["outcomes"]))
        return 0

    guarded(body, debug)


@analyse.command("evpi")
def evpi(data: DataArg, model: ModelOpt = None, set_: SetOpt = None,
         samples: SamplesOpt = 1000, seed: SeedOpt = 0, distribution: DistributionOpt = "pert",
         bins: Annotated[int, typer.Option(min=2, help="Bins of each service's EVPPI (the "
                                           "ordering method): re-solves per service.")] = 50,
         workers: Annotated[int, typer.Option(
             min=0, help="Processes for the re-solves: 0 chooses, 1 stays in this process. "
             "The answer does not depend on it.")] = 0,
         out: OutOpt = None, debug: DebugOpt = False) -> None:
    """Value of information: which evidence gap is worth closing (EVPI, and EVPPI per
    service), from the Monte Carlo samples. Writes evpi.csv with --out."""

    def body() -> int:
        from budgetopt.analyses.evpi import evpi as value_of_information
        from budgetopt.analyses.evpi import evpi_sentences
        from budgetopt.reports import charts

        shape = _distribution(distribution)
        inputs, policy = load(data, model, set_)
        with _bar("solving each sample") as tick:
            res = value_of_information(inputs, policy, samples, seed=seed,
                                       distribution=shape, bins=bins,
                                       workers=workers or None, progress=tick)
        shown = [c for c in ("service_id", "name", "evppi", "evppi_gbp", "share_of_evpi",
                             "certainty") if c in res.columns]
        _print(res[res["evppi"] > 0][shown] if (res["evppi"] > 0).any() else res[shown].head(1),
               f"Value of perfect information over {samples:,} samples (seed {seed}), "
               "weighted outcome", {"share_of_evpi": ".0%", "evppi_gbp": ",.0f"})
        for sentence in evpi_sentences(res):
            out_console().print(f"• {sentence}")
        names = dict(zip(inputs.services["service_id"], inputs.services["name"], strict=True))
        _write(out, {"evpi": res}, charts.evidence_value(res, names),
               extra={"sentences": evpi_sentences(res)})
        return 0

    guarded(body, debug)


@analyse.command("robust")
def robust(data: DataArg, model: ModelOpt = None, set_: SetOpt = None,
           samples: SamplesOpt = 200, seed: SeedOpt = 0,
           objective: Annotated[str, typer.Option(help="cvar or expected.")] = "cvar",
           alpha: Annotated[float, typer.Option(min=0.001, max=1.0, help="CVaR level: the "
                                                "worst share of samples.")] = 0.10,
           distribution: DistributionOpt = "pert", out: OutOpt = None, debug: DebugOpt = False) -> None:
    """The allocation that does best over sampled effects (expected or CVaR), still an LP."""

    def body() -> int:
        from budgetopt.analyses.uncertainty import robust_allocation
        from budgetopt.reports import charts

        aim = _choice(objective, "--objective", ("cvar", "expected"))
        shape = _distribution(distribution)
        inputs, policy = load(data, model, set_, outputs={"--out": out})
        with _bar("solving the robust model"):
            res = robust_allocation(inputs, policy, samples, seed=seed,
                                    objective=cast(Literal["expected", "cvar"], aim),
                                    alpha=alpha, distribution=shape)
        _print(res["comparison"], f"Both plans on the same {samples} samples (HiGHS: "
               f"{res['status']})")
        moved = res["allocation"][res["allocation"]["difference_m"].abs() > 0.05]
        _print(moved[["name", "central_spend_m", "robust_spend_m", "difference_m"]],
               "Where the robust plan differs (over the plan, £m)")
        _write(out, {"comparison": res["comparison"], "allocation": res["allocation"]},
               charts.robust_comparison(res["comparison"]))
        return 0

    guarded(body, debug)


FLEX_COLUMNS = ["service_id", "year", "spend_m", "min_m", "max_m", "name", "free_m"]
"""flexibility.csv's columns: the contract's five, then the service's name and max − min."""


def flexibility_of(name: str, results: Any, inputs: Any, policy: Any, overrides: Any,
                    slack: float) -> pd.DataFrame | None:
    """The flexibility ranges of the reference scenario `name` (with a progress bar), or None
    with a note when it has none (it is not optimal)."""
    from budgetopt.analyses.flexibility import flexibility as ranges

    if not results.optimal:
        out_console().print(f"• {name} is {results.status}: it has no flexibility ranges, so "
                            "no move is told as free or forced.")
        return None
    with _bar(f"flexibility of {name}: re-solving each service and year") as tick:
        return ranges(inputs, policy, slack, overrides=overrides or None,
                      progress=tick)["flexibility"]


@analyse.command("flexibility")
def flexibility(data: DataArg, model: ModelOpt = None, set_: SetOpt = None,
                slack: Annotated[float, typer.Option(
                    min=0.0, max=0.5, help="The share of the best outcome that may be given "
                    "up (0.01 = 1%).")] = 0.01,
                workers: Annotated[int, typer.Option(
                    min=0, help="Processes for the re-solves: 0 chooses (several only when "
                    "there are many), 1 stays in this process. The answer does not depend "
                    "on it.")] = 0,
                out: OutOpt = None, debug: DebugOpt = False) -> None:
    """What else is nearly as good: for each service and year, the least and the most it can
    receive with the outcome within --slack of the best and every rule kept, and the plan
    that most favours each sector in turn. Writes flexibility.csv and alternatives.csv."""

    def body() -> int:
        from budgetopt.analyses.flexibility import flexibility as ranges
        from budgetopt.analyses.flexibility import flexibility_sentences
        from budgetopt.reports import charts

        inputs, policy = load(data, model, set_, outputs={"--out": out})
        with _bar("re-solving each service and year") as tick:
            res = ranges(inputs, policy, slack, overrides=set_ or None,
                         workers=workers or None, progress=tick)
        flex = res["flexibility"]
        _print(flex.sort_values("free_m", ascending=False).head(15)[
            ["name", "year", "spend_m", "min_m", "max_m"]],
            f"The widest ranges within {slack:.1%} of the best outcome (£m)")
        for sentence in flexibility_sentences(res):
            out_console().print(f"• {sentence}")
        names = dict(zip(inputs.services["service_id"], inputs.services["name"], strict=True))
        _write(out, {"flexibility": flex[FLEX_COLUMNS], "alternatives": res["alternatives"]},
               charts.flexibility_ranges(flex, names),
               extra={"sentences": flexibility_sentences(res)})
        return 0

    guarded(body, debug)


@analyse.command("compare")
def compare(manifest: Annotated[Path, typer.Argument(help="Scenarios YAML (see "
                                                     "models/scenarios/example.yaml).",
                                                     show_default=False)],
            flexibility: FlexOpt = False, slack: SlackOpt = 0.01,
            out: OutOpt = None, debug: DebugOpt = False) -> None:
    """Solve a family of scenarios and compare them side by side, in tables and sentences;
    with --flexibility, which of each scenario's moves against the first are free choices
    within the first's flexibility ranges and which are forced."""

    def body() -> int:
        from budgetopt.analyses.compare import compare_many
        from budgetopt.batch.run import plan, read_manifest, run_job
        from budgetopt.errors import InputError
        from budgetopt.policy import policy_from_dict
        from budgetopt.results.tables import Results
        from budgetopt.safe import refuse_overwriting_inputs

        name, specs = read_manifest(manifest)
        refuse_overwriting_inputs({"--out": out}, [manifest, *(s.data for s in specs),
                                                   *(s.model for s in specs)])
        jobs, failed = plan(specs)
        if failed:
            raise InputError.single(failed[0]["job"], failed[0]["reason"])
        named: dict[str, Results] = {}
        with _bar("solving each scenario") as tick:
            for k, job in enumerate(jobs):
                res = run_job(job)
                if res["record"] is None:
                    raise InputError.single(job.name, res["reason"])
                named[job.name] = Results.from_record(res["record"])
                tick(k + 1, len(jobs))
        flex = None
        if flexibility:
            first = jobs[0]
            policy = policy_from_dict(first.policy, where=f"{first.name} › policy")
            flex = flexibility_of(first.name, named[first.name],
                                   first.content.inputs(nonconcave=policy.nonconcave), policy,
                                   first.overrides, slack)
        cmp = compare_many(named, flexibility=flex)
        _print(cmp.summary, f"Scenarios: {name}")
        _print(cmp.sectors, "Spend by sector over the plan (£m)")
        for s in cmp.sentences:
            out_console().print(f"• {s}")
        tables = {"summary": cmp.summary, "sectors": cmp.sectors, "rules": cmp.rules}
        if flex is not None and cmp.moves is not None:
            tables |= {"flexibility": flex[FLEX_COLUMNS], "moves": cmp.moves}
        _write(out, tables, extra={"manifest": str(manifest), "sentences": cmp.sentences,
                                   **({"slack": slack} if flex is not None else {})})
        return 0

    guarded(body, debug)


def register(app: typer.Typer) -> None:
    app.add_typer(analyse, name="analyse")
