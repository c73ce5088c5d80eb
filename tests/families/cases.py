"""The hand-checked cases of the family tests, registered so that one test can solve them all.

Each family's test module defines its models as ``@case`` functions returning ``(inputs,
policy)``; its tests solve them and check the hand calculation. ``test_catalogue.py`` solves
every registered case and checks that each catalogue entry has a row in one of them.
"""

from __future__ import annotations

from collections.abc import Callable

from budgetopt import Policy
from budgetopt.data.inputs import Inputs
from tests.builders import make_inputs

Y, Y1, Y2 = "2026/27", "2026/27", "2027/28"

Case = Callable[[], tuple[Inputs, Policy]]
CASES: dict[str, Case] = {}


def case(fn: Case) -> Case:
    """Register a model of a test module (the family tests' cases)."""
    CASES[f"{fn.__module__.rsplit('.', 1)[-1]}.{fn.__name__}"] = fn
    return fn


def policy(**rules) -> Policy:
    """A policy with these ``rules:`` (each written is switched on)."""
    return Policy.model_validate({"rules": rules})


def spend(res, service: str, year: str = Y1) -> float:
    a = res.allocation
    return float(a.loc[(a["service_id"] == service) & (a["year"] == year), "spend_m"].sum())


def row(res, component: str, **keys: str):
    """The one constraint row of `component` with these keys (ids, never its name)."""
    c = res.constraints
    match = c[c["component"] == component]
    for key, value in keys.items():
        match = match[match[key] == value]
    assert len(match) == 1, f"expected one {component} row with {keys}, got {len(match)}"
    return match.iloc[0]


def two_services(budget: float = 5.0, **svc_b: float) -> Inputs:
    """A: 2 @ 10 then 2 @ 4;  B: 1 @ 8 then 5 @ 6 (outcome per £m)."""
    return make_inputs(
        services=[{"service_id": "A"}, {"service_id": "B", **svc_b}],
        curves=[("A", "m", 1, 2, 10), ("A", "m", 2, 2, 4), ("B", "m", 1, 1, 8),
                ("B", "m", 2, 5, 6)],
        funding=[("pool", Y, budget)],
    )


def problems(fn: Case) -> list[str]:
    """The messages of every problem the policy has against the data (none raised)."""
    from budgetopt.model.data import check_policy

    _, found = check_policy(*fn())
    return [p.message for p in found]
