"""Uncertainty in the effects: Monte Carlo over the low/central/high curves, and a robust plan.

The curves give each band a low, central and high outcome per £1m. A *sample* draws one
number u ~ U(0, 1) per service and turns every band and metric of that service into a value
at that quantile of its own distribution (triangular or PERT with minimum = low, mode = central,
maximum = high). Drawing one u per service makes a service's bands and metrics move together
(when its evidence is optimistic, it is optimistic for all its outcomes); services are
independent. Samples are reproducible from a stated seed.

* :func:`sample_values` — S samples of each segment's objective coefficient.
* :func:`monte_carlo` — the distribution of outcome of the central-estimate allocation, and of
  the optimal allocation sample by sample: how often each scheme is funded beyond its
  protected minimum, how often it grows.
* :func:`robust_allocation` — the allocation that maximises the expected outcome, or the CVaR
  (the mean of the worst α share of samples) of the outcome, over sampled scenarios. Still a
  linear programme (Rockafellar and Uryasev's formulation, below), solved with every rule of the
  policy model.
* :func:`compare_allocations` — two allocations judged on the same samples.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyomo.core as pyo
from scipy import sparse, stats

from budgetopt.api import Progress, Session, build
from budgetopt.data.inputs import Inputs
from budgetopt.families.bounds import service_bounds
from budgetopt.families.rows import add_matrix_rows
from budgetopt.policy import Policy
from budgetopt.results.tables import constraint_table, provenance
from budgetopt.results.words import effect_phrase
from budgetopt.solve.highs import run

Distribution = Literal["triangular", "pert"]


@dataclass(frozen=True)
class Samples:
    """S sampled objective vectors over a session's segment columns."""

    values: np.ndarray  # (S, n_segments): discounted weighted outcome per £m of each segment
    draws: np.ndarray  # (S, n_services): the quantile u drawn for each service
    services: list[str]
    seed: int
    distribution: str


def _quantiles(u: np.ndarray, low: np.ndarray, mode: np.ndarray, high: np.ndarray,
               distribution: Distribution, column: np.ndarray | None = None) -> np.ndarray:
    """Values at quantiles of k distributions (low ≤ mode ≤ high): distribution j reads the
    quantiles ``u[:, column[j]]`` (S of them; `column` defaults to j itself). PERT quantiles
    are one beta inverse per distinct (column, shape): a service's many curve entries share
    a few shapes, so the costly inverse runs on a few dozen columns, not thousands."""
    column = np.arange(u.shape[1]) if column is None else np.asarray(column)
    low, high = np.minimum(low, mode), np.maximum(high, mode)
    span = high - low
    flat = span <= 1e-12
    safe = np.where(flat, 1.0, span)
    if distribution == "triangular":
        uu = u[:, column]
        f = (mode - low) / safe
        left = low + np.sqrt(uu * safe * (mode - low))
        right = high - np.sqrt((1 - uu) * safe * (high - mode))
        out = np.where(uu < f, left, right)
    elif distribution == "pert":
        a = 1 + 4 * (mode - low) / safe
        b = 1 + 4 * (high - mode) / safe
        keys, inverse = np.unique(np.c_[column, a, b], axis=0, return_inverse=True)
        standard = stats.beta.ppf(u[:, keys[:, 0].astype(int)], keys[:, 1], keys[:, 2])
        out = low + safe * standard[:, inverse.ravel()]
    else:
        raise ValueError(f"distribution must be 'triangular' or 'pert', not {distribution!r}")
    return np.where(flat, mode, out)


def sample_values(session: Session, n: int = 1000, *, seed: int = 0,
                  distribution: Distribution = "pert") -> Samples:
    """`n` samples of every segment's objective coefficient (see the module's docstring)."""
    data = session.data
    seg, co = data.segments, data.coefs
    services = list(data.inputs.service_ids)
    index = {s: i for i, s in enumerate(services)}
    rng = np.random.default_rng(seed)
    draws = rng.random((n, len(services)))
    col = co["col"].to_numpy()
    svc = seg["service_id"].map(index).to_numpy()[col]
    central = co["per_m"].to_numpy(float)
    low = co["per_m_low"].fillna(co["per_m"]).to_numpy(float)
    high = co["per_m_high"].fillna(co["per_m"]).to_numpy(float)
    per_m = _quantiles(draws, low, central, high, distribution, column=svc)  # (n, k)
    weights = dict(zip(data.inputs.metrics["metric_id"], data.inputs.metrics["weight"]))
    disc = seg["year"].map(data.discount).to_numpy(float)
    scale = co["metric_id"].map(weights).to_numpy(float) * disc[col]
    to_cols = sparse.csr_matrix((scale, (np.arange(len(col)), col)), shape=(len(col), len(seg)))
    # the transposed product: every column's few coefficients against the samples (the
    # same sums in the same order as the dense product, a fraction of its time at every size)
    values = np.asarray((to_cols.T @ per_m.T).T)
    return Samples(values, draws, services, seed, distribution)


def _x_cols(session: Session) -> np.ndarray:
    return session.compiled.columns(session.model.x)


def central_plan(inputs: Inputs, policy: Policy, overrides: Any, n: int, seed: int,
             distribution: Distribution) -> tuple[Session, np.ndarray, np.ndarray, Samples]:
    """The built session, its segment columns, the central-estimate plan and the samples."""
    session = build(inputs, policy, overrides)
    central = session.solve()
    if central.col_value is None:
        raise ValueError(f"the central-estimate model is {central.status}: fix it first")
    cols = _x_cols(session)
    samples = sample_values(session, n, seed=seed, distribution=distribution)
    return session, cols, central.col_value[cols], samples


def _spend_by_service(session: Session, x: np.ndarray) -> pd.Series:
    seg = session.data.segments
    return pd.Series(x, index=seg.index).groupby(seg["service_id"].to_numpy()).sum()


def monte_carlo(inputs: Inputs, policy: Policy, n: int = 1000, *, seed: int = 0,
                distribution: Distribution = "pert", overrides: Any = None,
                resolve: bool = True, progress: Progress | None = None,
                workers: int | None = 1) -> dict[str, pd.DataFrame]:
    """Monte Carlo over the effects.

    Every sample is re-solved on one persistent model from the central plan's basis, so a
    sample's answer does not depend on which samples came before it: `workers` processes
    (each building the model once) give the same results as one. ``workers=None`` chooses:
    it times the first :data:`PROBE` re-solves here and uses every core for the rest when
    they would take more than :data:`PARALLEL_FROM_S` seconds on one, else stays here
    (starting processes costs a second or two).

    Returns
    -------
    dict of DataFrames
        ``outcomes``: one row per sample: ``sample``, ``central_plan`` (the outcome the
        central-estimate allocation would deliver in that sample) and, with `resolve`,
        ``optimal`` (the best any allocation could do in it, re-solved with every rule).
        ``schemes`` (with `resolve`): per service, the share of samples in which the optimal
        allocation funds it beyond its protected minimum (``p_beyond_minimum``) and above its
        baseline (``p_grows``), and its mean, 5th and 95th percentile spend over the plan.
        ``summary``: mean, standard deviation, 5th and 95th percentiles, CVaR 5% of each.
        Provenance, the seed and the number of worker processes are in ``frame.attrs``.
    """
    session, _, x0, samples = central_plan(inputs, policy, overrides, n, seed, distribution)
    frame = pd.DataFrame({"sample": np.arange(n), "central_plan": samples.values @ x0})
    out: dict[str, pd.DataFrame] = {}
    used = 1
    if resolve:
        best, spend, used = resolve_objectives(inputs, policy, overrides, session,
                                               samples.values, workers, progress)
        frame["optimal"] = best
        tol = 0.05
        svc = pd.DataFrame({"service_id": samples.services})
        names = dict(zip(inputs.services["service_id"], inputs.services["name"]))
        svc["name"] = svc["service_id"].map(names)
        mins = _minimum_spend(session)
        base = session.data.baseline.groupby("service_id")["amount_m"].sum()
        min_arr = np.array([mins.get(s, 0.0) for s in samples.services])
        base_arr = np.array([base.get(s, 0.0) for s in samples.services])
        svc["p_beyond_minimum"] = (spend > min_arr + tol).mean(axis=0)
        svc["p_grows"] = (spend > base_arr + tol).mean(axis=0)
        svc["mean_spend_m"] = spend.mean(axis=0)
        svc["p5_spend_m"] = np.percentile(spend, 5, axis=0)
        svc["p95_spend_m"] = np.percentile(spend, 95, axis=0)
        svc["central_spend_m"] = _spend_by_service(session, x0).reindex(
            samples.services).to_numpy()
        out["schemes"] = svc.sort_values("p_beyond_minimum", ascending=False, ignore_index=True)
    out["outcomes"] = frame
    out["summary"] = summarise(frame.drop(columns="sample"))
    for f in out.values():
        f.attrs.update(provenance=provenance(session.data, overrides), seed=seed, samples=n,
                       distribution=distribution, workers=used)
    return out


def resolve_objectives(inputs: Inputs, policy: Policy, overrides: Any, session: Session,
                       values: np.ndarray, workers: int | None = 1,
                       progress: Progress | None = None, chains: np.ndarray | None = None
                       ) -> tuple[np.ndarray, np.ndarray, int]:
    """Each row of `values` (objective coefficients of the segment columns) re-solved from
    the central plan's basis with every rule kept: the best objective and the spend by
    service per row, and the number of processes used (`workers` as :func:`monte_carlo`).

    `chains` (one integer per row, rows of a chain next to each other, -1 for none) marks runs
    of rows close to each other, such as one service's EVPPI bins in quantile order: a row
    starts from the basis its chain's previous row ended on (HiGHS keeps its factorisation,
    and neighbours need a third of the pivots), the first of a chain from the central one. A
    chain is always solved whole, in order, in one process, so the answer does not depend on
    the number of processes.

    Re-solved here first: all of them (one process), none (several), or with
    ``workers=None`` the first :data:`PROBE` (rounded up to a whole chain), timed to decide
    where the rest go."""
    n = len(values)
    if workers is None:
        probe = _chain_end(chains, min(n, PROBE))
    else:
        probe = 0 if workers > 1 else n
    t0 = time.perf_counter()
    head = None if chains is None else chains[:probe]
    best, spend = _resolve(session, values[:probe], progress, total=n, chains=head)
    per_sample = (time.perf_counter() - t0) / max(probe, 1)
    used = _workers(workers, n - probe, per_sample)
    if probe < n:
        rest = values[probe:]
        tail = None if chains is None else chains[probe:]
        more = (_resolve_in_processes(inputs, policy, overrides, rest, used, progress,
                                      probe, n, chains=tail) if used > 1
                else _resolve(session, rest, progress, probe, n, chains=tail))
        best, spend = np.r_[best, more[0]], np.r_[spend, more[1]]
    return best, spend, used


def _chain_end(chains: np.ndarray | None, at: int) -> int:
    """`at`, moved on to the end of the chain that row `at - 1` belongs to."""
    if chains is None or at == 0:
        return at
    last = chains[at - 1]
    while last >= 0 and at < len(chains) and chains[at] == last:
        at += 1
    return at


def _chunks(n: int, parts: int, chains: np.ndarray | None) -> list[np.ndarray]:
    """About `parts` runs of consecutive rows of `n`, none cutting a chain."""
    out, start = [], 0
    for cut in np.array_split(np.arange(n), parts):
        if not len(cut):
            continue
        end = _chain_end(chains, int(cut[-1]) + 1)
        if end > start:
            out.append(np.arange(start, end))
            start = end
    return out


PARALLEL_FROM_S = 10.0
"""Estimated seconds of re-solving left above which ``monte_carlo(workers=None)`` uses every
core (starting the processes and building the model in each costs a few seconds)."""
PROBE = 20  # re-solves timed in-process before ``workers=None`` decides


def _workers(asked: int | None, left: int, per_sample_s: float) -> int:
    if asked is not None:
        return max(1, int(asked))
    cores = os.cpu_count() or 1
    return cores if cores > 1 and left * per_sample_s > PARALLEL_FROM_S else 1


def _resolve(session: Session, values: np.ndarray, progress: Progress | None = None,
             done_before: int = 0, total: int | None = None,
             chains: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Each row of `values` as the objective, solved from the central plan's basis (or, in a
    chain, from the basis its chain's previous row ended on: :func:`resolve_objectives`): the
    best outcome and the spend by service (services in the data's order) per sample."""
    h, cols = session.compiled.highs, _x_cols(session)
    idx = cols.astype(np.int32)
    original = session.compiled.cost[cols].copy()
    basis = h.getBasis()  # the central solve's: every sample starts from it
    services = list(session.data.inputs.service_ids)
    # each segment's service as a number, for a bincount per sample (a service with no
    # segment has no spend to report: NaN, as a pandas group-by would leave it)
    of = session.data.segments["service_id"].map(
        {s: i for i, s in enumerate(services)}).to_numpy()
    none = np.bincount(of, minlength=len(services)) == 0
    best = np.empty(len(values))
    spend = np.empty((len(values), len(services)))
    solved = False
    try:
        for s, row in enumerate(values):
            h.changeColsCost(len(idx), idx, row)
            chained = (chains is not None and s > 0 and chains[s] >= 0
                       and chains[s] == chains[s - 1] and solved)
            if not chained:
                h.setBasis(basis)
            res = session.solve()
            solved = res.col_value is not None  # a basis to start the chain's next row from
            best[s] = res.objective if res.objective is not None else np.nan
            if res.col_value is None:
                spend[s] = np.nan
            else:
                spend[s] = np.bincount(of, weights=res.col_value[cols], minlength=len(services))
                spend[s, none] = np.nan
            if progress:
                progress(done_before + s + 1, total or len(values))
    finally:
        h.changeColsCost(len(idx), idx, original)
        h.setBasis(basis)
    return best, spend


_WORKER: dict[str, Session] = {}


def _start_worker(inputs: Inputs, policy: Policy, overrides: Any) -> None:
    """In each worker process: build and solve the central model once (the same basis as the
    parent's, HiGHS being deterministic)."""
    session = build(inputs, policy, overrides)
    session.solve()
    _WORKER["session"] = session


def _resolve_chunk(values: np.ndarray, chains: np.ndarray | None = None
                   ) -> tuple[np.ndarray, np.ndarray]:
    return _resolve(_WORKER["session"], values, chains=chains)


def _resolve_in_processes(inputs: Inputs, policy: Policy, overrides: Any, values: np.ndarray,
                          workers: int, progress: Progress | None, done: int = 0,
                          total: int | None = None, chains: np.ndarray | None = None
                          ) -> tuple[np.ndarray, np.ndarray]:
    """The rows of `values` re-solved in `workers` processes (spawned: safe inside the app's
    threads), in chunks (whole chains) so that the progress bar moves; results in row order."""
    n = len(values)
    chunks = _chunks(n, workers * 8, chains)
    best = np.empty(n)
    spend = np.empty((n, len(inputs.service_ids)))
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                             initializer=_start_worker,
                             initargs=(inputs, policy, overrides)) as pool:
        futures = {pool.submit(_resolve_chunk, values[c],
                               None if chains is None else chains[c]): c for c in chunks}
        for future in as_completed(futures):
            c = futures[future]
            best[c], spend[c] = future.result()
            done += len(c)
            if progress:
                progress(done, total or n)
    return best, spend


def _minimum_spend(session: Session) -> dict[str, float]:
    """Each service's protected minimum over the plan (the sum of its yearly minimums)."""
    lo, _ = service_bounds(session.data.inputs, session.data.policy)
    return {s: v * len(session.data.years) for s, v in lo.items()}


def cvar(values: np.ndarray, alpha: float = 0.05) -> float:
    """Mean of the worst `alpha` share of `values` (the lower tail: outcomes, higher is better)."""
    v = np.sort(np.asarray(values, float))
    k = max(1, int(np.ceil(alpha * len(v))))
    return float(v[:k].mean())


def summarise(frame: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    rows = []
    for col in frame.columns:
        v = frame[col].dropna().to_numpy(float)
        rows.append({"allocation": col, "mean": v.mean(), "sd": v.std(ddof=1) if len(v) > 1
                     else 0.0, "p5": np.percentile(v, 5), "p50": np.percentile(v, 50),
                     "p95": np.percentile(v, 95), f"cvar_{int(alpha * 100)}": cvar(v, alpha),
                     "worst": v.min()})
    return pd.DataFrame(rows)


def robust_allocation(inputs: Inputs, policy: Policy, n: int = 200, *, seed: int = 0,
                      objective: Literal["expected", "cvar"] = "cvar", alpha: float = 0.10,
                      distribution: Distribution = "pert", overrides: Any = None
                      ) -> dict[str, Any]:
    """The allocation that does best over `n` sampled scenarios, with every rule kept.

    ``expected``: maximise the mean outcome over the samples (the central coefficients replaced
    by the sample mean). ``cvar``: maximise the CVaR at level α of the outcome,

    .. math::

        \\max_{x, η, z}\\; η - \\frac{1}{α S} \\sum_s z_s
        \\quad\\text{s.t.}\\quad z_s ≥ η - c_s^\\top x,\\; z_s ≥ 0,\\; x ∈ \\text{rules},

    whose optimum is the mean outcome of the worst α share of samples (Rockafellar and
    Uryasev, 2000): a linear programme, S more rows and S + 1 more columns. They are added to
    the central model through the row door (family ``robust``, component ``robust_tail``, one
    named row per sample, key ``sample``) and appended to its HiGHS model, which re-solves
    from the central plan's basis.

    Returns
    -------
    dict
        ``status`` (HiGHS's words), ``allocation`` (service_id, name, robust_spend_m,
        central_spend_m, difference_m over the plan), ``comparison`` (both allocations on the
        same samples: :func:`summarise`), ``constraints`` (the robust solve's constraints
        frame: every rule and each sample's row with its shadow price in words), ``x_robust``,
        ``x_central``, ``samples``.
    """
    session, cols, x_central, samples = central_plan(inputs, policy, overrides, n, seed,
                                                 distribution)
    compiled = session.compiled
    if objective == "expected":
        cost = np.zeros(len(compiled.cols))
        cost[cols] = samples.values.mean(axis=0)
        aim = "on average over the samples"
    elif objective == "cvar":
        eta, z = _add_tail(session, samples, alpha)
        cost = np.zeros(len(compiled.cols))
        cost[eta] = 1.0
        cost[z] = -1.0 / (alpha * n)
        aim = f"in the mean of the worst {alpha:.0%} of samples"
    else:
        raise ValueError("objective must be 'expected' or 'cvar'")

    def effect(delta: float) -> str:
        return f"{effect_phrase(delta, 'max_outcome')} {aim}"

    compiled.set_costs(cost, maximise=True)
    out = run(compiled, policy.solver, load=False)  # from the central plan's basis
    status = out.solver_status
    sol = out.col_value if out.col_value is not None else np.zeros(0)
    x_robust = sol[cols] if len(sol) else np.full(len(cols), np.nan)
    by_c = _spend_by_service(session, x_central)
    by_r = _spend_by_service(session, x_robust)
    names = dict(zip(inputs.services["service_id"], inputs.services["name"]))
    alloc = pd.DataFrame({"service_id": by_c.index, "name": by_c.index.map(names),
                          "central_spend_m": by_c.to_numpy(),
                          "robust_spend_m": by_r.reindex(by_c.index).to_numpy()})
    alloc["difference_m"] = alloc["robust_spend_m"] - alloc["central_spend_m"]
    comparison = compare_allocations(samples, {"central estimate": x_central,
                                               f"robust ({objective})": x_robust}, alpha)
    constraints = constraint_table(compiled, out, "max_outcome", effect)
    for f in (alloc, comparison, constraints):
        f.attrs.update(provenance=provenance(session.data, overrides), seed=seed, samples=n,
                       objective=objective, alpha=alpha)
    return {"status": status, "allocation": alloc, "comparison": comparison,
            "constraints": constraints, "x_robust": x_robust, "x_central": x_central,
            "samples": samples}


def _add_tail(session: Session, samples: Samples, alpha: float) -> tuple[int, np.ndarray]:
    """The CVaR's threshold η, shortfalls z_s ≥ 0 and rows z_s − η + c_s·x ≥ 0 (one per
    sample, family ``robust``) added to the session's model through the row door, and
    appended to its compiled HiGHS model. Returns η's column and the z columns."""
    m, compiled = session.model, session.compiled
    n = len(samples.values)
    m.robust_threshold = pyo.Var(doc="the CVaR's threshold η: the outcome below which the "
                                     "worst share of samples lies (weighted outcome)")
    m.robust_shortfall = pyo.Var(range(n), within=pyo.NonNegativeReals,
                                 doc="how far a sample's outcome falls below η")
    matrix = sparse.hstack([sparse.csr_matrix(samples.values),
                            sparse.csr_matrix(np.full((n, 1), -1.0)),
                            sparse.identity(n, format="csr")], format="csr")
    worst = f"{alpha:.0%}"
    add_matrix_rows(m, "robust_tail", "robust", list(range(n)),
                    [*m.x.values(), m.robust_threshold, *m.robust_shortfall.values()], matrix,
                    ">=", dict.fromkeys(range(n), 0.0),
                    name=lambda s: f"Shortfall of sample {s} below the worst-{worst} threshold",
                    labels=lambda s: {"sample": s}, keys=lambda s: {"sample": str(s)},
                    relaxable=False)
    compiled.extend()
    return compiled.column(m.robust_threshold), compiled.columns(m.robust_shortfall)


def compare_allocations(samples: Samples, allocations: dict[str, np.ndarray],
                        alpha: float = 0.05) -> pd.DataFrame:
    """Each allocation's outcome over the same samples: mean, spread, tails."""
    frame = pd.DataFrame({name: samples.values @ x for name, x in allocations.items()})
    return summarise(frame, alpha)


__all__ = ["Samples", "central_plan", "compare_allocations", "cvar", "monte_carlo",
           "resolve_objectives", "robust_allocation", "sample_values", "summarise"]
