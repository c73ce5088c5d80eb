"""budgetopt: allocate an Integrated Care System's pooled budget for the most outcome.

A Pyomo linear programme solved by HiGHS, with validated data sets, policy models, shadow
prices in plain English, and infeasibility advice found by the solver.

The names below are loaded when first used (PEP 562), so that importing one small module of
the package (the command line's options, say) does not load the solver and pandas.
"""

from __future__ import annotations

from functools import cache
from importlib import import_module
from typing import TYPE_CHECKING, Any


@cache
def _version() -> str:
    """The installed version (importlib.metadata costs some 25-50 ms to import: looked up
    when ``__version__`` is first read, not by every ``budgetopt --help``)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("budgetopt")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0.0.0+local"


_PUBLIC = {
    "Session": "budgetopt.api",
    "build": "budgetopt.api",
    "optimise": "budgetopt.api",
    "InputError": "budgetopt.errors",
    "PolicyError": "budgetopt.errors",
    "Policy": "budgetopt.policy",
    "apply_overrides": "budgetopt.policy",
    "load_policy": "budgetopt.policy",
    "Results": "budgetopt.results.tables",
    "load_dataset": "budgetopt.data.dataset",
}

if TYPE_CHECKING:
    __version__: str
    from budgetopt.api import Session, build, optimise
    from budgetopt.data.dataset import load_dataset
    from budgetopt.errors import InputError, PolicyError
    from budgetopt.policy import Policy, apply_overrides, load_policy
    from budgetopt.results.tables import Results


def __getattr__(name: str) -> Any:
    if name == "__version__":
        return _version()
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'budgetopt' has no attribute {name!r}")
    return getattr(import_module(module), name)


__all__ = [
    "InputError",
    "Policy",
    "PolicyError",
    "Results",
    "Session",
    "__version__",
    "apply_overrides",
    "build",
    "load_dataset",
    "load_policy",
    "optimise",
]
