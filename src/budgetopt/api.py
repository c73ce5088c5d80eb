"""The library's front door: a data set and a policy in, :class:`Results` out.

>>> from budgetopt import load_dataset, load_policy, optimise
>>> results = optimise(load_dataset("inputs/example"), load_policy("models/default.yaml"))
>>> results.status, round(results.objective, 1)

:class:`Session` keeps the built and compiled model so that analyses can change limits or
costs and re-solve without rebuilding.
"""

from __future__ import annotations

import difflib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pyomo.common.gc_manager import PauseGC

from budgetopt.data.inputs import Inputs
from budgetopt.errors import PolicyError, Problem
from budgetopt.families import presolve_warnings
from budgetopt.model.build import build_model
from budgetopt.model.data import ModelData, prepare
from budgetopt.policy import Policy, SolverSettings, apply_overrides, load_policy
from budgetopt.results.tables import Results, binding_rows, make_results
from budgetopt.results.words import diagnose_infeasibility
from budgetopt.solve.highs import (
    Compiled,
    SolveOutcome,
    change_rows_bounds,
    compile_model,
    fixed_integer_lp,
    run,
)
from budgetopt.solve.ranging import price_ranges
from budgetopt.solve.tiebreak import tie_break

Progress = Callable[[int, int], object]
"""An analysis's progress callback, told (solves done, solves in all) after each solve; what
it returns is ignored (a progress bar's update returns the bar)."""


@dataclass
class Session:
    """A built, compiled model for one (inputs, policy), kept for re-solves."""

    data: ModelData
    compiled: Compiled
    warnings: tuple[str, ...]
    overrides: Any = None
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def model(self):  # the Pyomo model
        return self.compiled.model

    def solve(self, *, load: bool = False) -> SolveOutcome:
        """Solve (or re-solve after a change). The solution is in the outcome's arrays; with
        `load` it is also put into the Pyomo model's variables (``session.model.x[j].value``)."""
        return run(self.compiled, self.data.policy.solver, load=load)

    def results(self, outcome: SolveOutcome | None = None, *, diagnose: bool = True) -> Results:
        """The results of a solve (of `outcome`, else a fresh one): with a fresh optimal
        solve of a linear programme, each binding row's one-sided shadow prices and their
        ranges (:func:`budgetopt.solve.ranging.price_ranges`, from the optimal basis)."""
        t0 = time.perf_counter()
        fresh = outcome is None
        outcome = outcome or self.solve(load=True)
        timings = {**self.timings, "solve_s": time.perf_counter() - t0}
        ranges = None
        if fresh and outcome.ok:
            t1 = time.perf_counter()
            ranges = self._ranges(outcome)
            timings["ranging_s"] = time.perf_counter() - t1
        unpinned = None
        if fresh and outcome.ok and self.data.policy.pins:
            unpinned = unpinned_objective(self.compiled, self.data.policy.solver)
        if fresh and outcome.ok and self.data.policy.tie_break:
            t1 = time.perf_counter()
            outcome = tie_break(self.compiled, self.data, outcome, self.data.policy.solver)
            timings["tie_break_s"] = time.perf_counter() - t1
            if outcome.col_value is not None:  # an optimal outcome has its values
                for v, val in zip(self.compiled.cols, outcome.col_value.tolist()):
                    v.set_value(val, skip_validation=True)
        infeas = None
        if outcome.status == "infeasible" and diagnose:
            infeas = diagnose_infeasibility(self.compiled, self.warnings)
        t1 = time.perf_counter()
        with PauseGC():  # see build()
            res = make_results(self.data, self.compiled, outcome, infeas, self.warnings,
                               self.overrides, timings, ranges=ranges,
                               unpinned_objective=unpinned)
        res.timings["results_s"] = time.perf_counter() - t1
        return res


    def _ranges(self, outcome: SolveOutcome):
        """The binding rows' one-sided prices and ranges; for a mixed-integer model, of the
        LP with its integer choices fixed (where its prices come from), so that a rise
        worth nothing or not possible is said so, as for a linear programme."""
        rows = binding_rows(self.compiled, outcome)
        opts = self.data.policy.solver
        if not outcome.mip:
            return price_ranges(self.compiled, outcome, rows, opts)
        if outcome.col_value is None:  # no plan to fix the integer choices at
            return None
        fixed = fixed_integer_lp(self.compiled, outcome.col_value, opts)
        lp = run(fixed, opts, load=False)
        return price_ranges(fixed, lp, rows, opts) if lp.ok else None


def unpinned_objective(compiled: Compiled, options: SolverSettings | None) -> float | None:
    """The optimum with every pin lifted (a re-solve from the optimal basis, the pins' rows
    made free, then put back): what the pins cost is the difference. None if not optimal."""
    rows = np.array([r for r, info in enumerate(compiled.rows) if info.family == "pins"],
                    dtype=np.int64)
    hrows = np.unique(compiled.hrow[rows]).astype(np.int32)  # pins have no twins
    h = compiled.highs
    basis = h.getBasis()
    change_rows_bounds(h, hrows, np.full(len(hrows), -np.inf), np.full(len(hrows), np.inf))
    try:
        out = run(compiled, options, load=False)
    finally:
        compiled.set_hbounds(rows)
        h.setBasis(basis)
    return out.objective if out.ok else None


def apply_relaxations(compiled: Compiled, policy: Policy) -> None:
    """Loosen the rules named in ``policy.relax`` (each by its amount in the rule's own unit).

    Raises
    ------
    PolicyError
        A name that matches no rule of this model (with the nearest names), or an equality.
    """
    by_name = {info.name: r for r, info in enumerate(compiled.rows)}
    problems = []
    for i, item in enumerate(policy.relax):
        row = by_name.get(item.rule)
        if row is None:
            close = difflib.get_close_matches(item.rule, list(by_name), n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'?" if close else "no rule of this model has that name"
            problems.append(Problem("policy model", f"relax[{i}].rule: '{item.rule}': {hint}"))
        elif compiled.rows[row].sense == "==" and not compiled.rows[row].relaxable:
            problems.append(Problem("policy model", f"relax[{i}].rule: '{item.rule}' is an "
                                    "accounting identity and cannot be relaxed"))
        elif compiled.rows[row].sense == "==" and item.direction is None:
            problems.append(Problem("policy model", f"relax[{i}]: '{item.rule}' fixes a figure:"
                                    " say which way to move it (direction: up or down)"))
        else:
            compiled.loosen(row, item.by / compiled.rows[row].scale, item.direction)
    if problems:
        raise PolicyError(problems, title="The policy model's relaxations have problems")


def build(inputs: Inputs, policy: Policy | None = None, overrides: Any = None) -> Session:
    """Prepare, build and compile the model (no solve)."""
    policy = policy or Policy()
    if overrides:
        policy = apply_overrides(policy, overrides)
    # Python's cycle collector would otherwise walk every live Pyomo object again and again
    # while a hundred thousand are made (none of them garbage): pausing it halves the build.
    with PauseGC():
        t0 = time.perf_counter()
        data = prepare(inputs, policy)
        t1 = time.perf_counter()
        model = build_model(data)
        t2 = time.perf_counter()
        compiled = compile_model(model)
        if policy.relax:
            apply_relaxations(compiled, policy)
        t3 = time.perf_counter()
        warnings = tuple(inputs.warnings) + presolve_warnings(data)
    return Session(data, compiled, warnings, overrides,
                   {"prepare_s": t1 - t0, "build_s": t2 - t1, "compile_s": t3 - t2})


def check(inputs: Inputs, policy: Policy | None = None) -> tuple[str, ...]:
    """Every check :func:`build` makes, without solving: the policy against the data (every
    problem at once) and, when the policy relaxes rules, that each names a rule of the model.
    Returns the warnings a solve would give (the data's, then the pre-solve checks').

    Raises
    ------
    PolicyError
        Every problem of the policy against the data, or of its relaxations.
    """
    policy = policy or Policy()
    with PauseGC():
        data = prepare(inputs, policy)
        if policy.relax:
            apply_relaxations(compile_model(build_model(data)), policy)
    return tuple(inputs.warnings) + presolve_warnings(data)


def optimise(inputs: Inputs, policy: Policy | str | Path | None = None,
             overrides: Any = None) -> Results:
    """Solve `inputs` under `policy` (a Policy, a YAML path, or None for the default)."""
    if not isinstance(policy, Policy):
        policy = load_policy(policy)
    return build(inputs, policy, overrides).results()
