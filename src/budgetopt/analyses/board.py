"""The trade-off and risk analyses a board sees, run together: :func:`run_analyses`.

The BCF workbook (:mod:`budgetopt.reports.excel`) charts whichever of them it is given: the
budget curve, the price of each rule, the outcome-equity frontier and the Monte Carlo spread.
The board paper (:mod:`budgetopt.reports.board`) shows those and the robust plan against the
central one, and the flexibility ranges and the value of information when they are given.
:func:`run_analyses` runs them on the example in a few seconds (docs/board-paper.md records
the measured times).
"""

from __future__ import annotations

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
    extra: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)  # seconds each analysis took


def first_year_budget(inputs: Inputs, policy: Policy) -> float:
    """The pooled budget of the first planning year, £m: the policy's ``budget_m`` when it
    sets one, else the funding table's first-year total."""
    if policy.rules.money.budget_m is not None:
        return float(policy.rules.money.budget_m)
    fund = inputs.funding
    return float(fund.loc[fund["year"] == inputs.years[0], "amount_m"].sum())


def run_analyses(inputs: Inputs, policy: Policy, samples: int = MC_SAMPLES, seed: int = 0, *,
                 robust: bool = False) -> Analyses:
    """Run the analyses the reports show on `inputs` under `policy`.

    Budget curve (±20% of the first-year budget, 21 points), price of each rule,
    outcome-equity frontier (11 points, with places), the Monte Carlo spread of this plan's
    outcome over `samples` draws of the effects (no re-solve per sample) and, with `robust`
    and a policy that maximises the outcome, the plan that maximises the mean of the worst 10%
    of outcomes over 200 samples, and the value of information (EVPI and each service's
    EVPPI over 200 samples), and the flexibility ranges (each service-year's least and most
    with the outcome within 1% of the best). Each analysis's time (seconds) is in
    ``timings``.
    """
    import time

    # imported here: the workbook imports this module for :class:`Analyses` alone
    from budgetopt.analyses.evpi import evpi
    from budgetopt.analyses.flexibility import flexibility
    from budgetopt.analyses.pareto import pareto_frontier
    from budgetopt.analyses.sweeps import budget_curve, price_of_rules
    from budgetopt.analyses.uncertainty import monte_carlo, robust_allocation

    total = first_year_budget(inputs, policy)
    timings: dict[str, float] = {}

    def timed(name: str, run):
        t0 = time.perf_counter()
        out = run()
        timings[name] = time.perf_counter() - t0
        return out

    return Analyses(
        budget_curve=timed("budget_curve", lambda: budget_curve(
            inputs, policy, list(np.linspace(0.8 * total, 1.2 * total, 21)))),
        price_of_rules=timed("price_of_rules", lambda: price_of_rules(inputs, policy)),
        pareto=(timed("pareto", lambda: pareto_frontier(inputs, policy, "outcome", "equity", 11))
                if inputs.has_places else None),
        monte_carlo=timed("monte_carlo", lambda: monte_carlo(
            inputs, policy, samples, seed=seed, resolve=False)),
        robust=(timed("robust", lambda: robust_allocation(
            inputs, policy, ROBUST_SAMPLES, seed=seed, objective="cvar", alpha=ROBUST_ALPHA))
                if robust and policy.objective == "max_outcome" else None),
        flexibility=timed("flexibility", lambda: flexibility(inputs, policy)["flexibility"]),
        evpi=(timed("evpi", lambda: evpi(inputs, policy, EVPI_SAMPLES, seed=seed,
                                         bins=EVPI_BINS))
              if robust and policy.objective == "max_outcome" else None),
        timings=timings)


__all__ = ["Analyses", "first_year_budget", "run_analyses"]
