"""The example ICS's headline figures from a fresh solve, so that tests of the app, the store
and batch follow the example when it is rebuilt (its figures are held by tests/golden)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@cache
def example_results(model: str = "default.yaml"):
    from budgetopt.api import build
    from budgetopt.data.dataset import load_dataset
    from budgetopt.policy import load_policy

    return build(load_dataset(ROOT / "inputs" / "example"),
                 load_policy(ROOT / "models" / model)).results()


def objective(model: str = "default.yaml") -> float:
    """The optimum, in the objective's units."""
    return float(example_results(model).objective)


def optimum_text(model: str = "default.yaml") -> str:
    """The optimum as the app's headline shows it, e.g. '798,984'."""
    return f"{objective(model):,.0f}"


def first_year_spend(model: str = "default.yaml") -> float:
    """The plan's spend in the first year, £m (all the money, on the example)."""
    alloc = example_results(model).allocation
    first = min(alloc["year"].unique())
    return round(float(alloc.loc[alloc["year"] == first, "spend_m"].sum()), 1)
