"""The trade-off analyses a board pack charts, run together: :func:`run_analyses`.

The BCF workbook (:mod:`budgetopt.reports.excel`) charts whichever of them it is given.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from budgetopt.data.inputs import Inputs
from budgetopt.policy import Policy


@dataclass
class Analyses:
    """Trade-off analyses to chart, when they were run (each a DataFrame or None)."""

    budget_curve: pd.DataFrame | None = None  # budgetopt.analyses.sweeps.budget_curve
    price_of_rules: pd.DataFrame | None = None  # budgetopt.analyses.sweeps.price_of_rules
    pareto: pd.DataFrame | None = None  # budgetopt.analyses.pareto.pareto_frontier
    monte_carlo: dict[str, pd.DataFrame] | None = None  # budgetopt.analyses.uncertainty.monte_carlo
    extra: dict[str, Any] = field(default_factory=dict)


def run_analyses(inputs: Inputs, policy: Policy, samples: int = 1000, seed: int = 0
                 ) -> Analyses:
    """The analyses the workbook charts: budget curve (±20% of the first-year budget, 21
    points), price of each rule, outcome-equity frontier (with places), Monte Carlo."""
    # imported here: the workbook imports this module for :class:`Analyses` alone
    from budgetopt.analyses.pareto import pareto_frontier
    from budgetopt.analyses.sweeps import budget_curve, price_of_rules
    from budgetopt.analyses.uncertainty import monte_carlo

    fund = inputs.funding
    total = float(fund.loc[fund["year"] == inputs.years[0], "amount_m"].sum())
    if policy.rules.money.budget_m is not None:
        total = float(policy.rules.money.budget_m)
    return Analyses(
        budget_curve=budget_curve(inputs, policy, list(np.linspace(0.8 * total, 1.2 * total,
                                                                   21))),
        price_of_rules=price_of_rules(inputs, policy),
        pareto=(pareto_frontier(inputs, policy, "outcome", "equity", 11)
                if inputs.has_places else None),
        monte_carlo=monte_carlo(inputs, policy, samples, seed=seed, resolve=False))
