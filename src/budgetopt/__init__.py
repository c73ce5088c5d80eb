"""budgetopt: allocate an Integrated Care System's pooled budget for the most outcome.

A Pyomo linear programme solved by HiGHS, with validated data sets, policy models, shadow
prices in plain English, and infeasibility advice found by the solver.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("budgetopt")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+local"

from budgetopt.api import Session, build, optimise
from budgetopt.errors import InputError, PolicyError
from budgetopt.policy import Policy, apply_overrides, load_policy
from budgetopt.results import Results


def load_dataset(path, **kw):
    """Read and validate a data set (CSV folder or .xlsx); see :mod:`budgetopt.dataset`."""
    from budgetopt.dataset import load_dataset as _load

    return _load(path, **kw)


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
