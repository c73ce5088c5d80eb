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

A basic row at its limit (price 0, the optimum degenerate) needs no re-solve on the side that
loosens it: its activity stays where it is, the basis stays optimal, so the price 0 holds for
any loosening. Only the side that tightens it is a kink to probe.

How much re-solving is done is the solver setting ``price_ranging`` (:func:`probe_cap`):
``full`` probes every degenerate side (within the solve's time limit), ``basis`` none (HiGHS's
ranging only), ``off`` no ranging at all, and ``choose`` (the default) ``full`` for an LP of
up to :data:`FULL_UP_TO` columns and ``basis`` above, where each re-solve costs a few percent
of the whole solve (stacked 100k: 0.07-0.1 s a probe against a 1.3 s solve; 40-400 probes).
A row whose side was not probed is *not ranged* (``exact`` False): its value is the solver's
dual and the range is not known, which the results say in words.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import highspy
import numpy as np

from budgetopt.solve.highs import Compiled, SolveOutcome, set_time_limit

if TYPE_CHECKING:
    from budgetopt.policy import SolverSettings

_OPTIMAL = highspy.HighsModelStatus.kOptimal
RANGE_TOL = 1e-7  # relative: a basis range shorter than this is empty
SLOPE_TOL = 1e-6  # relative: a ranging slope this close to the dual is the dual
ZERO_PRICE = 1e-9  # a one-sided value this small is nothing
MAX_PROBES = 400  # re-solves for degenerate sides under ``choose``; the largest duals first
PROBE_BUDGET = 2.0  # ... and no more time on them than this many times the solve's (≥ 2 s)
RANGED_PROBES_UP_TO = 20_000  # columns: above, a probe's range is not ranged again (costly)
FULL_UP_TO = 20_000  # columns: ``choose`` probes kinks up to this size, above it does not
SETTINGS = ("choose", "full", "basis", "off")


def probe_cap(n_cols: int, setting: str, solve_seconds: float, time_limit_s: float
              ) -> tuple[int | float, float]:
    """(most re-solves, most seconds on them) for `setting` on an LP of `n_cols` columns whose
    solve took `solve_seconds`: ``full`` every kink within the time limit; ``choose`` up to
    :data:`MAX_PROBES` within :data:`PROBE_BUDGET` solves' time (at least 2 s) on an LP of up
    to :data:`FULL_UP_TO` columns, none above; ``basis`` and ``off`` none."""
    if setting not in SETTINGS:
        raise ValueError(f"price_ranging {setting!r}: one of {', '.join(SETTINGS)}")
    if setting == "full":
        return float("inf"), float(time_limit_s)
    if setting == "choose" and n_cols <= FULL_UP_TO:
        return MAX_PROBES, max(2.0, PROBE_BUDGET * solve_seconds)
    return 0, 0.0


@dataclass(frozen=True)
class PriceRanges:
    """Per row (model units): ``up``, ``down`` (NaN: cannot move that way), ``lower`` and
    ``upper`` (±inf: unbounded); rows not asked about hold NaN everywhere. ``probes`` is the
    number of re-solves made, ``exact`` False where a side was left at the dual because it
    was not probed (the setting's cap, :func:`probe_cap`): *not ranged*. ``setting`` is the
    ``price_ranging`` used, ``kinks`` the degenerate sides found, ``not_ranged`` the rows left
    at the dual. ``cost_up``, ``cost_down``: per column, the objective coefficients between
    which the optimal basis (the plan) stays the same."""

    up: np.ndarray
    down: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    exact: np.ndarray
    probes: int = 0
    seconds: float = 0.0
    cost_up: np.ndarray | None = None  # per column: the cost up to which the plan stays
    cost_down: np.ndarray | None = None  # ... and down to which (HiGHS's cost ranging)
    setting: str = "choose"
    kinks: int = 0
    not_ranged: int = 0

    asked: int = 0

    def summary(self) -> dict[str, object]:
        """The answer's ``price_ranging``: the setting, the binding rows asked about, the
        degenerate sides (kinks) found, the re-solves made and the rows not ranged."""
        return {"setting": self.setting, "binding_rows": self.asked, "kinks": self.kinks,
                "re_solves": self.probes, "not_ranged": self.not_ranged}


def _limit(compiled: Compiled, r: int) -> float:
    return float(compiled.row_upper[r] if compiled.rows[r].sense == "<=" else compiled.row_lower[r])


def _move(h: highspy.Highs, compiled: Compiled, r: int, value: float) -> None:
    """Set row `r`'s limit (its bound on the side its sense says; both for an equality) in
    its HiGHS row (a ranged row keeps its twin's bound)."""
    sense = compiled.rows[r].sense
    hr = int(compiled.hrow[r])
    lo, up = (float(b[0]) for b in compiled.hbounds(np.array([hr])))
    h.changeRowBounds(hr, float(value) if sense != "<=" else lo,
                      float(value) if sense != ">=" else up)


def _restore(h: highspy.Highs, compiled: Compiled, r: int) -> None:
    compiled.set_hbounds(np.array([r]))


class _Rows:
    """A ranging's row records as numpy arrays per model row: HiGHS hands each of its vectors
    over as a fresh Python list on every attribute read, so reading one row at a time from it
    costs a copy of every row. (A ranged row's record is of its active bound, so both twins
    read it; only the active twin is asked about it.)"""

    def __init__(self, rng: highspy.HighsRanging, compiled: Compiled) -> None:
        hrow = compiled.hrow
        self.up_value = np.asarray(rng.row_bound_up.value_, dtype=float)[hrow]
        self.up_objective = np.asarray(rng.row_bound_up.objective_, dtype=float)[hrow]
        self.dn_value = np.asarray(rng.row_bound_dn.value_, dtype=float)[hrow]
        self.dn_objective = np.asarray(rng.row_bound_dn.objective_, dtype=float)[hrow]


def _side(rng: _Rows, r: int, sign: int, limit: float, objective: float, dual: float
          ) -> float | None:
    """The end of the basis range on side `sign` (+1 up, −1 down) if it is exact (has length,
    and its slope is `dual`), else None."""
    end = float(rng.up_value[r] if sign > 0 else rng.dn_value[r])
    tol = RANGE_TOL * max(1.0, abs(limit))
    if not np.isfinite(end):  # trusted only for a priced row: a basic row's range says little
        return end if abs(end) >= highspy.kHighsInf and abs(dual) > 1e-12 else None
    if sign * (end - limit) <= tol:
        return None  # an empty range: degenerate on this side
    reached = float(rng.up_objective[r] if sign > 0 else rng.dn_objective[r])
    slope = (reached - objective) / (end - limit)
    if abs(slope - dual) > SLOPE_TOL * max(1.0, abs(dual)):
        return None
    return end


def price_ranges(compiled: Compiled, outcome: SolveOutcome, rows: np.ndarray,
                 options: SolverSettings) -> PriceRanges:
    """The one-sided prices and their ranges of rows `rows` (binding rows, numbers) at
    `outcome`, the optimum of `compiled` just solved (its basis still in HiGHS), with as many
    re-solves at kinks as ``options.price_ranging`` allows (:func:`probe_cap`)."""
    t0 = time.perf_counter()
    setting = options.price_ranging
    n = compiled.n_rows
    up, down = np.full(n, np.nan), np.full(n, np.nan)
    lower, upper = np.full(n, np.nan), np.full(n, np.nan)
    exact = np.ones(n, dtype=bool)
    h = compiled.highs
    duals = outcome.row_dual
    if duals is None or outcome.objective is None or not len(rows):
        return PriceRanges(up, down, lower, upper, exact, 0, time.perf_counter() - t0,
                           setting=setting)
    status, rng = (h.getRanging() if setting != "off"
                   else (highspy.HighsStatus.kError, None))
    if rng is None or status != highspy.HighsStatus.kOk:
        # off, or no basis (an interior point, no crossover)
        d = duals[rows]
        up[rows], down[rows] = d, d
        exact[rows] = False
        return PriceRanges(up, down, lower, upper, exact, 0, time.perf_counter() - t0,
                           setting=setting, not_ranged=len(rows), asked=len(rows))
    rows_rng = _Rows(rng, compiled)
    cost_up = np.asarray(rng.col_cost_up.value_, dtype=float)
    cost_down = np.asarray(rng.col_cost_dn.value_, dtype=float)
    obj = float(outcome.objective)
    basis = h.getBasis()
    # a basic row at its limit: ranging says little (one copy of the statuses, see _Rows)
    nonbasic = compiled.at_bound(list(basis.row_status), rows.tolist())
    # twins whose limits meet are an equality in HiGHS, whose ranging moves both limits at
    # once: each twin's own limit is found by a re-solve
    hlo, hup = compiled.hbounds(compiled.hrow[rows])
    met = {r for r, lo, hi in zip(rows.tolist(), hlo.tolist(), hup.tolist())
           if lo == hi and compiled.partner[r] >= 0}
    todo: list[tuple[int, int]] = []
    for r in rows.tolist():
        limit, dual = _limit(compiled, r), float(duals[r])
        info = compiled.rows[r]
        at_bound = nonbasic[r]
        for sign, value, end in ((1, up, upper), (-1, down, lower)):
            found = _side(rows_rng, r, sign, limit, obj, dual) \
                if at_bound and r not in met else None
            if found is None and not at_bound and info.sense != "==" and \
                    (sign > 0) == (info.sense == "<="):  # loosening a basic row: price 0
                value[r], end[r] = 0.0, sign * np.inf
            elif found is None:
                todo.append((r, sign))
            else:
                value[r], end[r] = dual, found
    todo.sort(key=lambda rs: -abs(float(duals[rs[0]])))
    probes = 0
    most, budget = probe_cap(len(compiled.cols), setting, outcome.seconds, options.time_limit_s)
    rerange = len(compiled.cols) <= RANGED_PROBES_UP_TO
    t1 = time.perf_counter()
    made = 0
    for r, sign in todo:
        value, end = (up, upper) if sign > 0 else (down, lower)
        if made >= most or time.perf_counter() - t1 > budget:
            value[r], end[r], exact[r] = duals[r], np.nan, False  # not ranged
            continue
        got, used = _probe(h, compiled, r, sign, obj, options, rerange)
        made += 1
        probes += used
        value[r], end[r] = got
        h.setBasis(basis)
    _free_for_good(compiled, rows, up, down, lower, upper)
    return PriceRanges(up, down, lower, upper, exact, probes, time.perf_counter() - t0,
                       cost_up, cost_down, setting=setting, kinks=len(todo),
                       not_ranged=int((~exact[rows]).sum()), asked=len(rows))


def _free_for_good(compiled: Compiled, rows: np.ndarray, up: np.ndarray, down: np.ndarray,
                   lower: np.ndarray, upper: np.ndarray) -> None:
    """A loosening worth nothing is worth nothing however far it goes: the optimal value is
    concave (maximising; convex minimising) in a row's limit and never worse for a looser
    limit, so a zero slope on the loosening side stays zero. Ends those ranges at ±inf (a
    probe's range ends at its own step)."""
    for r in rows.tolist():
        sense = compiled.rows[r].sense
        if sense == "<=" and abs(up[r]) <= ZERO_PRICE:
            upper[r] = np.inf
        elif sense == ">=" and abs(down[r]) <= ZERO_PRICE:
            lower[r] = -np.inf


class _At(NamedTuple):
    """An optimal re-solve with one row's limit moved: the objective, that row's dual there
    (NaN when HiGHS gives no valid duals) and, when asked for and the duals are valid, its
    ranging."""
    objective: float
    dual: float
    ranged: _Rows | None


def _solve_at(h: highspy.Highs, compiled: Compiled, r: int, here: float,
              options: SolverSettings, rerange: bool) -> _At | None:
    """Re-solve from the basis HiGHS holds with row `r`'s limit at `here`; None unless the
    re-solve is optimal. The one re-solve sequence of :func:`_probe` and :func:`_extend`."""
    _move(h, compiled, r, here)
    set_time_limit(h, options.time_limit_s)
    h.run()
    if h.getModelStatus() != _OPTIMAL:
        return None
    sol = h.getSolution()
    if not sol.dual_valid:
        return _At(float(h.getInfo().objective_function_value), np.nan, None)
    dual = float(compiled.model_duals(np.asarray(sol.row_dual))[r])
    ranged = None
    if rerange:
        status, rng = h.getRanging()
        ranged = _Rows(rng, compiled) if status == highspy.HighsStatus.kOk else None
    return _At(float(h.getInfo().objective_function_value), dual, ranged)


EXTEND = 8
"""Most re-solves :func:`_extend` makes past a probe's range end (each crosses one basis)."""


def _extend(h: highspy.Highs, compiled: Compiled, r: int, sign: int, dual: float, end: float,
            options: SolverSettings) -> tuple[float, int]:
    """The end of the price's range on side `sign` of row `r`, carried past `end` (where the
    probe's basis range ends) while the price stays `dual`; and the re-solves made.

    Where the LP is degenerate, one linear piece of the optimal value can be covered by
    several optimal bases, each ranging only its own part of the piece; which one HiGHS lands
    on differs between machines (floating-point paths), and so would the range. Re-solving
    just past each end, and going on while the dual there is the same and that basis's range
    reaches back to the end, makes the range end at the optimal value's own kink (or at the
    last of :data:`EXTEND` bases), whichever bases are met on the way."""
    tries = 0
    for _ in range(EXTEND):
        tol = RANGE_TOL * max(1.0, abs(end))
        here = end + sign * 10.0 * tol
        at = _solve_at(h, compiled, r, here, options, rerange=True)
        tries += 1
        if at is None or at.ranged is None:
            break
        if abs(at.dual - dual) > SLOPE_TOL * max(1.0, abs(dual)):
            break  # past a kink: `end` is where the price changes
        back = float((at.ranged.dn_value if sign > 0 else at.ranged.up_value)[r])
        if sign * (back - end) > tol:
            break  # this basis's range does not reach back to `end`: no claim beyond it
        further = _side(at.ranged, r, sign, here, at.objective, at.dual)
        if further is None or sign * (further - end) <= tol:
            break
        end = further
        if not np.isfinite(end):
            break
    return end, tries


def _probe(h: highspy.Highs, compiled: Compiled, r: int, sign: int, obj: float,
           options: SolverSettings, rerange: bool = True) -> tuple[tuple[float, float], int]:
    """(value, end of its range) on side `sign` of row `r`, by re-solving with the limit
    moved a step that way; and the number of re-solves made. With `rerange` the probe's own
    ranging must reach back to today's limit and gives the range's far end; without (a large
    model, where ranging costs more than the re-solve), the chord from today's optimum must
    match the probe's dual, and the range is known up to the step."""
    limit = _limit(compiled, r)
    tol = RANGE_TOL * max(1.0, abs(limit))
    step = 1e-3 * max(1.0, abs(limit))
    tries = 0
    result = (np.nan, limit)
    try:
        for _ in range(4):
            tries += 1
            here = limit + sign * step
            at = _solve_at(h, compiled, r, here, options, rerange)
            if at is None:
                # cannot move this way by this step: perhaps by a smaller one (a step of
                # 0.1% of a large limit can overshoot a small room)
                result = (np.nan, limit)
                step /= 8.0
                continue
            moved, dual = at.objective, at.dual
            chord = sign * (moved - obj) / step
            if rerange:
                ranged = at.ranged
                back = np.nan if ranged is None else \
                    (ranged.dn_value if sign > 0 else ranged.up_value)[r]
                if ranged is not None and sign * (float(back) - limit) <= tol:
                    # the probe's piece reaches back to today's limit: its dual is this side's
                    end = _side(ranged, r, sign, here, moved, dual)
                    if end is not None and np.isfinite(end):
                        end, more = _extend(h, compiled, r, sign, dual, end, options)
                        tries += more
                    result = (dual, end if end is not None else here)
                    break
            elif np.isfinite(dual) and abs(chord - dual) <= 1e-4 * max(1.0, abs(dual)) + \
                    1e-8 * max(1.0, abs(obj)) / step:
                result = (dual, here)
                break
            result = (chord, here)  # a chord, if all else fails
            step /= 8.0
    finally:
        _restore(h, compiled, r)
    return result, tries
