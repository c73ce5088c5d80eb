"""The value of information: which evidence gap is worth closing.

Health economists answer "which uncertainty matters?" with the expected value of information.
With θ the uncertain effects (sampled as :mod:`budgetopt.analyses.uncertainty` does: one
quantile per service, services independent) and V(c) = max_x c·x the optimum of the
allocation LP (every rule kept) when the segments' objective coefficients are c:

.. math::

    \\text{EVPI} = E_θ[V(c(θ))] - V(E_θ[c(θ)])

the outcome a perfectly informed planner would gain on average over one who plans on the
expected effects; and for the effects of one service j (EVPPI),

.. math::

    \\text{EVPPI}_j = E_{θ_j}\\big[V(E[c \\mid θ_j])\\big] - V(E[c]).

Both are computed from the Monte Carlo samples and its warm re-solves
(:func:`budgetopt.analyses.uncertainty.resolve_objectives`):

- EVPI: the mean over the S samples of each sample's re-solved optimum, less the optimum with
  the samples' mean coefficients c̄ (so E[c] is the same sample's mean: the estimate is never
  negative, V being convex).
- EVPPI: regression-free and non-nested. The objective is linear in c and the services are
  sampled independently, so E[c | θ_j] is c̄ with service j's coefficients replaced by their
  mean given θ_j. That conditional mean is estimated as in Strong and Oakley's ordering method
  (2013): the samples are sorted by service j's drawn quantile and cut into B bins of equal
  size; each bin's mean of service j's coefficients (the others at c̄) is re-solved once. The
  bins' means average to c̄, so the estimate is never negative, and it is a slight under-
  estimate (information to within a bin), converging as B grows. A service whose effects are
  not uncertain (low = central = high) has EVPPI 0 without a solve.

S + 1 + B × (uncertain services) re-solves in all. One service's bins, in quantile order, are
re-solved as a chain (each from the basis the bin before ended on: about a third of the pivots
of a start from the central plan's basis, and no new factorisation); the samples each start
from the central plan's basis. Values are in objective units (the
discounted weighted outcome over the horizon) and in £ where every metric's ``weight_unit``
says its weight is money.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from budgetopt.analyses.uncertainty import Distribution, central_plan, resolve_objectives
from budgetopt.api import Progress
from budgetopt.data.inputs import Inputs
from budgetopt.data.schema import WEIGHT_UNITS
from budgetopt.errors import PolicyError, Problem
from budgetopt.policy import Policy
from budgetopt.results.tables import provenance

BINS = 50
"""Bins of the ordering method for each service's EVPPI (re-solves per uncertain service)."""
ALL = "ALL"

__all__ = ["ALL", "BINS", "evpi", "evpi_sentences", "gbp_per_unit"]


def gbp_per_unit(inputs: Inputs) -> float | None:
    """£ per objective unit when every weighted metric's ``weight_unit`` is the same money
    unit (£, £k or £m), else None (the objective is not money)."""
    metrics = inputs.metrics
    if "weight_unit" not in metrics.columns or metrics.empty:
        return None
    units = {u for u, w in zip(metrics["weight_unit"], metrics["weight"], strict=True) if w}
    if len(units) != 1:
        return None
    unit = next(iter(units))
    return WEIGHT_UNITS.get(unit) if isinstance(unit, str) else None


def _bin_rows(values: np.ndarray, mean: np.ndarray, u: np.ndarray, cols: np.ndarray,
              bins: int) -> tuple[np.ndarray, np.ndarray]:
    """The objective rows of the ordering method for one service: c̄ with the service's
    columns at each bin's mean, and each bin's weight (its share of the samples)."""
    groups = [g for g in np.array_split(np.argsort(u, kind="stable"), min(bins, len(u)))
              if len(g)]
    rows = np.repeat(mean[None, :], len(groups), axis=0)
    for k, g in enumerate(groups):
        rows[k, cols] = values[g][:, cols].mean(axis=0)
    return rows, np.array([len(g) for g in groups], float) / len(u)


def evpi(inputs: Inputs, policy: Policy, n: int = 1000, *, seed: int = 0,
         distribution: Distribution = "pert", overrides: Any = None, bins: int = BINS,
         workers: int | None = 1, progress: Progress | None = None) -> pd.DataFrame:
    """EVPI over every uncertain effect and EVPPI for each service's effects.

    Returns
    -------
    DataFrame
        One row with ``service_id`` = ``ALL`` (the EVPI), then one per service, largest
        first: ``service_id``, ``name``, ``evppi`` (objective units, never negative),
        ``share_of_evpi``, ``uncertain`` (whether its effects have a range), ``certainty``
        (of its evidence, where given) and, where the weights are money, ``evppi_gbp`` (£).
        ``attrs``: provenance, seed, samples, bins, distribution, workers and
        ``expected_value_plan`` (V(c̄)), ``mean_perfect`` (E[V(c)]).

    Raises
    ------
    PolicyError
        The policy's objective is not ``max_outcome`` (the value of information is measured
        in outcome).
    """
    if policy.objective != "max_outcome":
        raise PolicyError([Problem("objective", "the value of information needs `objective: "
                                   f"max_outcome` (this policy model has {policy.objective})")])
    session, _, _, samples = central_plan(inputs, policy, overrides, n, seed, distribution)
    values = samples.values
    mean = values.mean(axis=0)
    seg_service = session.data.segments["service_id"].to_numpy()
    services = samples.services
    varies = np.ptp(values, axis=0) > 1e-12 * max(float(np.abs(values).max(initial=0.0)), 1.0)
    rows: list[np.ndarray] = [mean[None, :]]
    weights: list[np.ndarray] = []
    owner: list[str] = []
    chains = [np.array([-1])]  # each service's bins one chain, in quantile order
    for j, sid in enumerate(services):
        cols = np.flatnonzero(seg_service == sid)
        if not varies[cols].any():
            continue
        r, w = _bin_rows(values, mean, samples.draws[:, j], cols, bins)
        rows.append(r)
        weights.append(w)
        chains.append(np.full(len(r), len(owner)))
        owner.append(sid)
    plan = np.vstack(rows)
    uncertain = bool(owner)
    everything = np.vstack([plan, values]) if uncertain else plan
    chain = np.concatenate([*chains, np.full(len(everything) - len(plan), -1)])
    best, _, used = resolve_objectives(inputs, policy, overrides, session, everything, workers,
                                       progress, chains=chain)
    base = float(best[0])
    evppi = dict.fromkeys(services, 0.0)
    at = 1
    for sid, w in zip(owner, weights, strict=True):
        evppi[sid] = _non_negative(float(w @ best[at:at + len(w)]) - base, base)
        at += len(w)
    perfect = float(np.nanmean(best[len(plan):])) if uncertain else base
    total = _non_negative(perfect - base, base) if uncertain else 0.0
    names = dict(zip(inputs.services["service_id"], inputs.services["name"], strict=True))
    certainty = _certainty(inputs)
    frame = pd.DataFrame({
        "service_id": [ALL, *services],
        "name": ["All uncertain effects (EVPI)", *(names.get(s, s) for s in services)],
        "evppi": [total, *(evppi[s] for s in services)],
        "uncertain": [uncertain, *(s in owner for s in services)],
        "certainty": [None, *(certainty.get(s) for s in services)],
    })
    frame["share_of_evpi"] = frame["evppi"] / total if total > 0 else 0.0
    gbp = gbp_per_unit(inputs)
    if gbp is not None:
        frame["evppi_gbp"] = frame["evppi"] * gbp
    head, rest = frame.iloc[:1], frame.iloc[1:]
    rest = rest.sort_values(["evppi", "service_id"], ascending=[False, True], kind="stable")
    frame = pd.concat([head, rest], ignore_index=True)
    frame.attrs.update(provenance=provenance(session.data, overrides), seed=seed, samples=n,
                       bins=bins, distribution=distribution, workers=used,
                       expected_value_plan=base, mean_perfect=perfect)
    return frame


def _non_negative(gain: float, scale: float) -> float:
    """A value of information: never negative (a re-solve's rounding, ~1e-9 of the
    objective, can make a zero gain read as a tiny negative one)."""
    return gain if gain > 1e-9 * max(abs(scale), 1.0) else 0.0


def _certainty(inputs: Inputs) -> dict[str, str]:
    """Each service's least certain evidence (low < moderate < high), where stated."""
    from budgetopt.data.evidence import CERTAINTY_ORDER

    ev = inputs.evidence
    out: dict[str, str] = {}
    for sid, word in zip(ev["service_id"], ev["certainty"], strict=True):
        if isinstance(word, str) and (sid not in out or
                                      CERTAINTY_ORDER[word] < CERTAINTY_ORDER[out[sid]]):
            out[sid] = word
    return out


def _amount(value: float, gbp: float | None) -> str:
    text = f"{value:,.1f} weighted outcomes"
    if gbp is not None:
        text += f" (£{value * gbp:,.0f})"
    return text


def evpi_sentences(frame: pd.DataFrame) -> list[str]:
    """Which evidence gap is worth closing, in words, from :func:`evpi`'s frame."""
    gbp = None
    if "evppi_gbp" in frame.columns:
        row = frame.iloc[0]
        gbp = float(row["evppi_gbp"] / row["evppi"]) if row["evppi"] else None
    total = float(frame.loc[frame["service_id"] == ALL, "evppi"].iloc[0])
    parts = frame[(frame["service_id"] != ALL) & (frame["evppi"] > 0)]
    if total <= 0:
        return [("Perfect information on the effects would not change the plan: no evidence "
                "gap is worth closing for this decision.")]
    out = [(f"Knowing every effect exactly would be worth {_amount(total, gbp)} on average: "
           "the most it is worth paying for better evidence before this decision.")]
    for r in parts.head(3).itertuples():
        flag = f" (evidence of {r.certainty} certainty)" if isinstance(r.certainty, str) else ""
        out.append(f"{r.name}{flag}: better evidence on its effects is worth "
                   f"{_amount(float(r.evppi), gbp)}, {float(r.share_of_evpi):.0%} of the total.")
    if parts.empty:
        out.append("No single service's effects are worth knowing alone: the value lies in "
                   "knowing several together.")
    return out
