"""Shadow prices that hold: the one-sided values of a binding row's limit, and their ranges.

A row's shadow price from the simplex is one valid dual. Where the optimum is degenerate (a
limit exactly at a band's edge, a kink of the optimal value as a function of the limit) the
dual can be the value of a fall rather than of a rise. For each binding row this module gives

- ``up``: the objective change per unit rise of the limit (the contract's ``shadow_price``),
- ``down``: the objective given up per unit fall (``shadow_price_down``), and
- ``lower``, ``upper``: the limit's values between which ``down`` (below today's limit) and
  ``up`` (above it) hold (``holds_from``, ``holds_to``), infinite where unbounded,

all in model units (the caller divides by the row's scale). They come from HiGHS's ranging of
the optimal basis where it is exact: a side whose basis range has length and whose slope is
the row's dual. A side where the basis range is empty, or its slope is not the dual (a
degenerate basis), is found by a re-solve from the optimal basis with the limit moved a step
that way, whose own ranging must reach back to today's limit (else the step is halved). The
HiGHS object's bounds and basis are put back afterwards, so the model is left as it was.

A side that cannot move at all (a minimum that could not rise without breaking another rule)
has an ``up`` (or ``down``) of NaN and its range ends at today's limit.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import highspy
import numpy as np

from budgetopt.solve.highs import Compiled, SolveOutcome, set_time_limit

_OPTIMAL = highspy.HighsModelStatus.kOptimal
RANGE_TOL = 1e-7  # relative: a basis range shorter than this is empty
SLOPE_TOL = 1e-6  # relative: a ranging slope this close to the dual is the dual
MAX_PROBES = 400  # re-solves for degenerate sides; the largest duals first


@dataclass(frozen=True)
class PriceRanges:
    """Per row (model units): ``up``, ``down`` (NaN: cannot move that way), ``lower`` and
    ``upper`` (±inf: unbounded); rows not asked about hold NaN everywhere. ``probes`` is the
    number of re-solves made, ``exact`` False where a side was left at the dual because the
    probe budget ran out."""

    up: np.ndarray
    down: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    exact: np.ndarray
    probes: int = 0
    seconds: float = 0.0


def _limit(compiled: Compiled, r: int) -> float:
    return float(compiled.row_upper[r] if compiled.rows[r].sense == "<=" else compiled.row_lower[r])


def _move(h: highspy.Highs, compiled: Compiled, r: int, value: float) -> None:
    """Set row `r`'s limit (its bound on the side its sense says; both for an equality)."""
    sense = compiled.rows[r].sense
    lo = value if sense != "<=" else compiled.row_lower[r]
    up = value if sense != ">=" else compiled.row_upper[r]
    h.changeRowBounds(int(r), float(lo), float(up))


def _restore(h: highspy.Highs, compiled: Compiled, r: int) -> None:
    h.changeRowBounds(int(r), float(compiled.row_lower[r]), float(compiled.row_upper[r]))


def _side(rng, r: int, sign: int, limit: float, objective: float, dual: float
          ) -> float | None:
    """The end of the basis range on side `sign` (+1 up, −1 down) if it is exact (has length,
    and its slope is `dual`), else None."""
    rec = rng.row_bound_up if sign > 0 else rng.row_bound_dn
    end = float(rec.value_[r])
    tol = RANGE_TOL * max(1.0, abs(limit))
    if not np.isfinite(end):  # trusted only for a priced row: a basic row's range says little
        return end if abs(end) >= highspy.kHighsInf and abs(dual) > 1e-12 else None
    if sign * (end - limit) <= tol:
        return None  # an empty range: degenerate on this side
    slope = (float(rec.objective_[r]) - objective) / (end - limit)
    if abs(slope - dual) > SLOPE_TOL * max(1.0, abs(dual)):
        return None
    return end


def price_ranges(compiled: Compiled, outcome: SolveOutcome, rows: np.ndarray, options
                 ) -> PriceRanges:
    """The one-sided prices and their ranges of rows `rows` (binding rows, numbers) at
    `outcome`, the optimum of `compiled` just solved (its basis still in HiGHS)."""
    t0 = time.perf_counter()
    n = compiled.n_rows
    up, down = np.full(n, np.nan), np.full(n, np.nan)
    lower, upper = np.full(n, np.nan), np.full(n, np.nan)
    exact = np.ones(n, dtype=bool)
    h = compiled.highs
    if outcome.row_dual is None or outcome.objective is None or not len(rows):
        return PriceRanges(up, down, lower, upper, exact, 0, time.perf_counter() - t0)
    status, rng = h.getRanging()
    if status != highspy.HighsStatus.kOk:  # no basis (e.g. an interior point without crossover)
        d = outcome.row_dual[rows]
        up[rows], down[rows] = d, d
        exact[rows] = False
        return PriceRanges(up, down, lower, upper, exact, 0, time.perf_counter() - t0)
    obj = float(outcome.objective)
    basis = h.getBasis()
    basic = highspy.HighsBasisStatus.kBasic
    todo: list[tuple[int, int]] = []
    for r in rows.tolist():
        limit, dual = _limit(compiled, r), float(outcome.row_dual[r])
        at_bound = basis.row_status[r] != basic  # a basic row at its limit: ranging says little
        for sign, value, end in ((1, up, upper), (-1, down, lower)):
            found = _side(rng, r, sign, limit, obj, dual) if at_bound else None
            if found is None:
                todo.append((r, sign))
            else:
                value[r], end[r] = dual, found
    todo.sort(key=lambda rs: -abs(float(outcome.row_dual[rs[0]])))
    probes = 0
    if todo:
        for r, sign in todo:
            value, end = (up, upper) if sign > 0 else (down, lower)
            if probes >= MAX_PROBES:
                value[r], end[r], exact[r] = outcome.row_dual[r], _limit(compiled, r), False
                continue
            got, used = _probe(h, compiled, r, sign, obj, options)
            probes += used
            value[r], end[r] = got
            h.setBasis(basis)
    return PriceRanges(up, down, lower, upper, exact, probes, time.perf_counter() - t0)


def _probe(h: highspy.Highs, compiled: Compiled, r: int, sign: int, obj: float, options
           ) -> tuple[tuple[float, float], int]:
    """(value, end of its range) on side `sign` of row `r`, by re-solving with the limit
    moved a step that way; and the number of re-solves made."""
    limit = _limit(compiled, r)
    tol = RANGE_TOL * max(1.0, abs(limit))
    step = 1e-3 * max(1.0, abs(limit))
    tries = 0
    result = (np.nan, limit)
    try:
        for _ in range(4):
            tries += 1
            _move(h, compiled, r, limit + sign * step)
            set_time_limit(h, options.time_limit_s)
            h.run()
            if h.getModelStatus() != _OPTIMAL:
                result = (np.nan, limit)  # cannot move this way
                break
            moved = float(h.getInfo().objective_function_value)
            sol = h.getSolution()
            dual = float(sol.row_dual[r]) if sol.dual_valid else np.nan
            status, rng = h.getRanging()
            back = (rng.row_bound_dn if sign > 0 else rng.row_bound_up).value_[r] \
                if status == highspy.HighsStatus.kOk else np.nan
            if np.isfinite(dual) and sign * (float(back) - limit) <= tol:
                # the probe's piece reaches back to today's limit: its dual is this side's
                here = limit + sign * step
                end = _side(rng, r, sign, here, moved, dual)
                result = (dual, end if end is not None else here)
                break
            result = (sign * (moved - obj) / step, limit + sign * step)  # a chord, if all else fails
            step /= 8.0
    finally:
        _restore(h, compiled, r)
    return result, tries
