"""How long the board analyses take on the example ICS (not a test; run by hand).

    .venv/bin/python benchmarks/analyses.py [--region]

``--region`` adds the Monte Carlo on the synthetic region data set in one and in two processes.

Targets (issue 5): a 50-point budget curve under 3 s, 1,000 Monte Carlo samples with a re-solve
each under 30 s, a robust (CVaR) plan over 200 samples under 10 s. Prints a Markdown table.
"""

from __future__ import annotations

import platform
import sys
import time
from pathlib import Path

import numpy as np

from budgetopt.analyses.pareto import pareto_frontier
from budgetopt.analyses.sweeps import budget_curve, price_of_minimums, price_of_rules
from budgetopt.analyses.uncertainty import monte_carlo, robust_allocation
from budgetopt.data.dataset import load_dataset
from budgetopt.policy import load_policy

ROOT = Path(__file__).resolve().parents[1]


def timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> None:
    inputs = load_dataset(ROOT / "inputs" / "example")
    policy = load_policy(ROOT / "models" / "default.yaml")
    statutory = load_policy(ROOT / "models" / "ics-statutory.yaml")
    runs = [
        ("budget curve, 50 points", 3.0,
         lambda: budget_curve(inputs, policy, list(np.linspace(200, 280, 50)))),
        ("price of each rule (ics-statutory)", None, lambda: price_of_rules(inputs, statutory)),
        ("price of each protected minimum", None, lambda: price_of_minimums(inputs, policy)),
        ("Pareto frontier outcome/equity, 11 points", None,
         lambda: pareto_frontier(inputs, policy, "outcome", "equity", 11)),
        ("Monte Carlo, 1,000 samples, re-solved", 30.0,
         lambda: monte_carlo(inputs, policy, 1000, seed=0)),
        ("robust plan, CVaR 10%, 200 samples", 10.0,
         lambda: robust_allocation(inputs, policy, 200, seed=0)),
    ]
    print(f"Example ICS, default policy model; {platform.machine()}, Python "
          f"{platform.python_version()}\n")
    print("| analysis | seconds | target |")
    print("| --- | ---: | ---: |")
    for name, target, fn in runs:
        s = timed(fn)
        print(f"| {name} | {s:.1f} | {'' if target is None else f'< {target:.0f} s'} |")
    if "--region" in sys.argv:  # both cores: the Monte Carlo on a larger data set
        from budgetopt.data.synthetic import synthetic_inputs

        region = synthetic_inputs("region")
        for workers in (1, 2):
            s = timed(lambda w=workers: monte_carlo(region, policy, 1000, seed=0, workers=w))
            print(f"| Monte Carlo, synthetic region, 1,000 samples, {workers} process"
                  f"{'es' if workers > 1 else ''} | {s:.1f} |  |")


if __name__ == "__main__":
    main()
