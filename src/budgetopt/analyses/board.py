"""The trade-off and risk analyses a board sees, run together: :func:`run_analyses`.

The BCF workbook (:mod:`budgetopt.reports.excel`) charts whichever of them it is given: the
budget curve, the price of each rule, the outcome-equity frontier and the Monte Carlo spread.
The board paper (:mod:`budgetopt.reports.board`) shows those and the robust plan against the
central one, and the flexibility ranges and the value of information when they are given.
:func:`run_analyses` runs them on the example in a few seconds (docs/board-paper.md records
the measured times).
"""

from __future__ import annotations

import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from budgetopt.data.inputs import Inputs
    from budgetopt.policy import Policy

MC_SAMPLES = 1000  # Monte Carlo samples of the effects for the spread of the outcome
ROBUST_SAMPLES = 200  # sampled scenarios in the robust plan's LP (as the app's Trade-offs page)
ROBUST_ALPHA = 0.10  # the robust plan protects the mean of the worst 10% of outcomes
EVPI_SAMPLES = 200  # samples of the value of information in the board paper
EVPI_BINS = 20  # bins of each service's EVPPI there


@dataclass
class Analyses:
    """Trade-off analyses to show, when they were run (each a DataFrame, a dict or None)."""

    budget_curve: pd.DataFrame | None = None  # budgetopt.analyses.sweeps.budget_curve
    price_of_rules: pd.DataFrame | None = None  # budgetopt.analyses.sweeps.price_of_rules
    pareto: pd.DataFrame | None = None  # budgetopt.analyses.pareto.pareto_frontier
    monte_carlo: dict[str, pd.DataFrame] | None = None  # budgetopt.analyses.uncertainty.monte_carlo
    robust: dict[str, Any] | None = None  # budgetopt.analyses.uncertainty.robust_allocation
    flexibility: pd.DataFrame | None = None  # service_id, year, spend_m, min_m, max_m
    evpi: pd.DataFrame | None = None  # service_id (ALL = the total EVPI), evppi
    extra: dict[str, Any] = field(default_factory=dict)  # run_analyses: workers, seconds
    timings: dict[str, float] = field(default_factory=dict)  # seconds each analysis took


def first_year_budget(inputs: Inputs, policy: Policy) -> float:
    """The pooled budget of the first planning year, £m: the policy's ``budget_m`` when it
    sets one, else the funding table's first-year total."""
    if policy.rules.money.budget_m is not None:
        return float(policy.rules.money.budget_m)
    fund = inputs.funding
    return float(fund.loc[fund["year"] == inputs.years[0], "amount_m"].sum())


def run_analyses(inputs: Inputs, policy: Policy, samples: int = MC_SAMPLES, seed: int = 0, *,
                 robust: bool = False, workers: int | None = None) -> Analyses:
    """Run the analyses the reports show on `inputs` under `policy`.

    Budget curve (±20% of the first-year budget, 21 points), price of each rule,
    outcome-equity frontier (11 points, with places), the Monte Carlo spread of this plan's
    outcome over `samples` draws of the effects (no re-solve per sample) and, with `robust`
    and a policy that maximises the outcome, the plan that maximises the mean of the worst 10%
    of outcomes over 200 samples, and the value of information (EVPI and each service's
    EVPPI over 200 samples), and the flexibility ranges (each service-year's least and most
    with the outcome within 1% of the best).

    The analyses do not depend on each other: with `workers` above 1 they run side by side in
    that many worker processes (spawned: safe inside the app's threads), each analysis whole
    in one of them, the longest first; ``workers=None`` (or 0) chooses every core, at most
    :data:`MAX_WORKERS`; 1 runs them one after another in this process. The answers do not
    depend on it. Where worker processes cannot start, they run in this process. Each
    analysis's time (seconds, in whichever process ran it) is in ``timings``; ``extra``
    records ``workers`` (the processes used) and ``seconds`` (all of them, wall clock).
    """
    jobs = _jobs(inputs, policy, robust)
    used = _workers(workers, len(jobs))
    t0 = time.perf_counter()
    done: dict[str, tuple[Any, float]] = {}
    if used > 1:
        done = _run_in_processes(jobs, used, inputs, policy, samples, seed)
        if len(done) < len(jobs):  # the worker processes could not start (or died)
            used = 1
    for name in jobs:
        if name not in done:
            done[name] = _run_job(name, inputs, policy, samples, seed)
    shown = [name for name in SHOWN if name in done]  # the order the reports list them in
    return Analyses(**{name: done[name][0] for name in shown},
                    timings={name: done[name][1] for name in shown},
                    extra={"workers": used, "seconds": time.perf_counter() - t0})


MAX_WORKERS = 2
"""The most worker processes ``run_analyses(workers=None)`` starts: the longest analysis
takes about a fifth of the whole, so more than two or three gain little."""

JOBS = ("flexibility", "price_of_rules", "budget_curve", "evpi", "pareto", "robust",
        "monte_carlo")
"""The analyses in the order they are handed to worker processes: the longest first (measured
on the example, docs/board-paper.md), so that the two processes finish close together."""


SHOWN = ("budget_curve", "price_of_rules", "pareto", "monte_carlo", "robust", "flexibility",
         "evpi")


def _jobs(inputs: Inputs, policy: Policy, robust: bool) -> list[str]:
    """The analyses to run for these inputs and this policy (see :func:`run_analyses`)."""
    outcome = robust and policy.objective == "max_outcome"
    skip = {"pareto": not inputs.has_places, "robust": not outcome, "evpi": not outcome}
    return [name for name in JOBS if not skip.get(name, False)]


def _workers(asked: int | None, jobs: int) -> int:
    if asked is not None and asked > 0:
        return max(1, min(int(asked), jobs))
    return max(1, min(os.cpu_count() or 1, MAX_WORKERS, jobs))


def _run_job(name: str, inputs: Inputs, policy: Policy, samples: int, seed: int
             ) -> tuple[Any, float]:
    """One analysis of :func:`run_analyses` (by its field's name) and its seconds: a
    module-level function, so that a worker process can be sent it. Any re-solves it makes
    stay in the process that runs it (``workers=1``)."""
    # imported here: the workbook imports this module for :class:`Analyses` alone
    from budgetopt.analyses.evpi import evpi
    from budgetopt.analyses.flexibility import flexibility
    from budgetopt.analyses.pareto import pareto_frontier
    from budgetopt.analyses.sweeps import budget_curve, price_of_rules
    from budgetopt.analyses.uncertainty import monte_carlo, robust_allocation

    t0 = time.perf_counter()
    if name == "budget_curve":
        total = first_year_budget(inputs, policy)
        out: Any = budget_curve(inputs, policy, list(np.linspace(0.8 * total, 1.2 * total, 21)))
    elif name == "price_of_rules":
        out = price_of_rules(inputs, policy)
    elif name == "pareto":
        out = pareto_frontier(inputs, policy, "outcome", "equity", 11)
    elif name == "monte_carlo":
        out = monte_carlo(inputs, policy, samples, seed=seed, resolve=False)
    elif name == "robust":
        out = robust_allocation(inputs, policy, ROBUST_SAMPLES, seed=seed, objective="cvar",
                                alpha=ROBUST_ALPHA)
    elif name == "flexibility":
        out = flexibility(inputs, policy, workers=1)["flexibility"]
    elif name == "evpi":
        out = evpi(inputs, policy, EVPI_SAMPLES, seed=seed, bins=EVPI_BINS, workers=1)
    else:
        raise ValueError(f"no analysis called {name!r}")
    return out, time.perf_counter() - t0


def _run_in_processes(jobs: list[str], workers: int, inputs: Inputs, policy: Policy,
                      samples: int, seed: int) -> dict[str, tuple[Any, float]]:
    """`jobs` run in `workers` spawned processes: each one's answer and seconds, by name.
    An analysis's own error is raised here as in one process; when the processes cannot be
    started (or one dies), the analyses that did not come back are left out of the answer,
    for the caller to run here."""
    done: dict[str, tuple[Any, float]] = {}
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")
                                 ) as pool:
            futures = {name: pool.submit(_run_job, name, inputs, policy, samples, seed)
                       for name in jobs}
            for name, future in futures.items():
                done[name] = future.result()
    except (OSError, BrokenProcessPool):
        pass
    return done


__all__ = ["Analyses", "first_year_budget", "run_analyses"]
