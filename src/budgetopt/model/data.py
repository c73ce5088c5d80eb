"""From validated inputs and a policy to the flat tables the model is built from.

The decision is spend on each service ``s`` in each place ``p`` and year ``y``, split into the
segments of its response curves. A service may have a curve for several metrics with different
band widths; the segments are the union of every metric's breakpoints, so each segment buys a
fixed amount of every metric per £1m and the piecewise-linear curves are represented exactly.
A last, uncapped segment buys nothing: spend above every curve (forced by a minimum, say) is
allowed but earns no outcome.

With places, each segment's width is shared among places in proportion to need-weighted
population (need saturates where the need is) and its outcome per £1m is multiplied by the
place's effect (MODEL.md, "How the tables combine").

The symbols (x, w, a, f, F, S, O, v, d) are those of :mod:`budgetopt.families`.

:func:`prepare` also runs every check of the policy against the data (the horizon, the places'
effects, and each switched-on family's ``check``) and reports all the problems at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import pandas as pd

from budgetopt.data.inputs import Inputs
from budgetopt.errors import PolicyError, Problem
from budgetopt.families import policy_problems
from budgetopt.families.acute_offset import RELEASE_SOURCE, release_funding
from budgetopt.families.bcf_rules import rule_set_problems
from budgetopt.families.common import WHERE
from budgetopt.families.eligibility import flows
from budgetopt.policy import Policy

ICS_WIDE = ""  # internal place_id of the single ICS-wide "place" (reported as null)

__all__ = ["ICS_WIDE", "RELEASE_SOURCE", "ModelData", "check_policy", "fill_in_order",
           "planning_years", "prepare"]


@dataclass(frozen=True)
class ModelData:
    """Everything the model needs, as tidy frames; built once per (inputs, policy)."""

    inputs: Inputs
    policy: Policy
    years: tuple[str, ...]
    # Health and Wellbeing Boards: ``hwb_id`` in places, segments, funding and flows is the
    # HWB's id, or ICS_WIDE ("") for a place without one, ICS-wide money, or no HWBs at all.
    discount: dict[str, float]  # d[y]
    places: pd.DataFrame  # place_id (ICS_WIDE when there is no places table), share, effect
    segments: pd.DataFrame  # col, service_id, place_id, year, seg, lo_m, width_m, nonconcave, hwb_id
    coefs: pd.DataFrame  # col, metric_id, per_m (place effect applied), per_m_low, per_m_high
    flows: pd.DataFrame  # col, source_id, service_id, year, hwb_id (whose places it pays for)
    funding: pd.DataFrame  # source_id, name, year, amount_m (policy applied), hwb_id (pool)
    baseline: pd.DataFrame  # service_id, place_id, year, amount_m

    @property
    def n_segments(self) -> int:
        return len(self.segments)

    @property
    def hwb_groups(self) -> list[str]:
        """The spending groups money balances in: each HWB, then ICS_WIDE for places without
        one (just [ICS_WIDE] when the data has no HWBs)."""
        return list(dict.fromkeys(self.places["hwb_id"]))

    @property
    def milp(self) -> bool:
        return bool(self.segments["nonconcave"].any())

    def baseline_segments(self) -> np.ndarray:
        """The baseline's spend on each segment, filled band by band (:func:`fill_in_order`)."""
        return fill_in_order(self, self.baseline)


def planning_years(inputs: Inputs, policy: Policy, problems: list[Problem]) -> tuple[str, ...]:
    """The funding years the horizon plans, in order; a year that is not a funding year is
    added to `problems`."""
    if policy.horizon.years is None:
        return inputs.years
    problems += [Problem(WHERE, f"horizon.years[{i}]: {y!r} is not a funding year (funding "
                         f"years: {', '.join(inputs.years)})")
                 for i, y in enumerate(policy.horizon.years) if y not in inputs.years]
    return tuple(y for y in inputs.years if y in policy.horizon.years)


def _places(inputs: Inputs, policy: Policy, problems: list[Problem]) -> pd.DataFrame:
    if not inputs.has_places:
        problems += [Problem(WHERE, f"places.effects.{pid}: names a place but the data set has "
                             "no places table") for pid in policy.places.effects]
        return pd.DataFrame({"place_id": [ICS_WIDE], "share": [1.0], "effect": [1.0],
                             "hwb_id": [ICS_WIDE]})
    pl = inputs.places[["place_id", "weighted_population", "effect"]].copy()
    hwb = inputs.hwb_of_place()
    pl["hwb_id"] = [hwb[p] or ICS_WIDE for p in pl["place_id"]]
    total = pl["weighted_population"].sum()
    pl["share"] = pl["weighted_population"] / total if total > 0 else 1.0 / len(pl)
    for pid, eff in policy.places.effects.items():
        if pid not in set(pl["place_id"]):
            problems.append(Problem(WHERE, f"places.effects.{pid}: unknown place {pid!r} "
                                    f"(places: {', '.join(pl['place_id'])})"))
            continue
        pl.loc[pl["place_id"] == pid, "effect"] = float(eff)
    return pl[["place_id", "share", "effect", "hwb_id"]].reset_index(drop=True)


def _curves_for_year(curves: pd.DataFrame, year: str) -> pd.DataFrame:
    """Bands that apply in `year`: year-specific rows replace the all-years rows."""
    specific = curves[curves["year"] == year]
    generic = curves[curves["year"].isna()]
    if len(specific):
        keys = set(zip(specific["service_id"], specific["metric_id"]))
        mask = [(s, m) not in keys for s, m in zip(generic["service_id"], generic["metric_id"])]
        generic = generic[np.array(mask, dtype=bool)]
    return pd.concat([generic, specific], ignore_index=True)


def _service_segments(bands: pd.DataFrame) -> tuple[list[float], dict]:
    """Merge every metric's breakpoints into segments for one service and year.

    Returns segment widths (the last one infinite) and {metric: {column: [per_m per
    segment]}} for the central, low and high estimate columns.
    """
    bands = bands.sort_values(["metric_id", "band"])
    return _merge_bands(bands["metric_id"].to_numpy(object),
                        bands["width_m"].to_numpy(dtype=float),
                        {c: bands[c].to_numpy(dtype=float)
                         for c in ("per_m", "per_m_low", "per_m_high")})


def _merge_bands(metrics: np.ndarray, widths_in: np.ndarray,
                 estimates: dict[str, np.ndarray]) -> tuple[list[float], dict]:
    """:func:`_service_segments` on arrays sorted by metric, then band."""
    starts = np.flatnonzero(np.r_[True, metrics[1:] != metrics[:-1]]) if len(metrics) else []
    bounds = list(zip(starts, [*starts[1:], len(metrics)]))
    ends = {metrics[a]: np.cumsum(widths_in[a:b]) for a, b in bounds}
    points = np.unique(np.round(np.r_[0.0, *ends.values()], 9))
    widths = [*np.diff(points).tolist(), float("inf")]
    mids = np.r_[(points[:-1] + points[1:]) / 2, np.inf]
    values: dict[str, dict[str, list[float]]] = {}
    for a, b in bounds:
        idx = np.searchsorted(ends[metrics[a]], mids, side="left")
        inside = idx < (b - a)
        values[metrics[a]] = {
            col: np.where(inside, arr[a:b][np.minimum(idx, b - a - 1)], 0.0).tolist()
            for col, arr in estimates.items()}
    return widths, values


def _all_services_segments(curves: pd.DataFrame) -> dict[str, tuple[list[float], dict]]:
    """:func:`_service_segments` for every service of `curves` in one sorted pass."""
    if curves.empty:
        return {}
    c = curves.sort_values(["service_id", "metric_id", "band"])
    sid = c["service_id"].to_numpy(object)
    metric = c["metric_id"].to_numpy(object)
    width = c["width_m"].to_numpy(dtype=float)
    est = {k: c[k].to_numpy(dtype=float) for k in ("per_m", "per_m_low", "per_m_high")}
    starts = np.flatnonzero(np.r_[True, sid[1:] != sid[:-1]])
    out = {}
    for a, b in zip(starts, [*starts[1:], len(sid)]):
        out[sid[a]] = _merge_bands(metric[a:b], width[a:b], {k: v[a:b] for k, v in est.items()})
    return out


def _is_nonconcave(values: dict[str, dict[str, list[float]]]) -> bool:
    for cols in values.values():
        for arr in cols.values():
            if any(b > a + 1e-12 for a, b in pairwise(arr)):
                return True
    return False


def _segments(inputs: Inputs, policy: Policy, years: tuple[str, ...], places: pd.DataFrame,
              problems: list[Problem]) -> tuple[pd.DataFrame, pd.DataFrame]:
    seg_rows: list[tuple] = []
    coef_rows: list[tuple] = []
    col = 0
    curves = inputs.curves
    specific = curves[curves["year"].notna()]
    merged = _all_services_segments(curves[curves["year"].isna()])  # all-years bands, once
    place_rows = list(places[["place_id", "share", "effect"]].itertuples(index=False,
                                                                          name=None))
    for year in years:
        this_year = set(specific.loc[specific["year"] == year, "service_id"])
        by_service = (dict(tuple(_curves_for_year(curves, year).groupby("service_id",
                                                                         sort=False)))
                      if this_year else {})
        for sid in inputs.service_ids:
            if sid in this_year:
                widths, values = _service_segments(by_service[sid])
            elif sid in merged:
                widths, values = merged[sid]
            else:
                widths, values = [float("inf")], {}
            nonconcave = _is_nonconcave(values)
            for pid, share, effect in place_rows:
                lo = 0.0
                for k, width in enumerate(widths, start=1):
                    w = width * share
                    seg_rows.append((col, sid, pid, year, k, lo, w, nonconcave))
                    lo += w
                    for metric, cols in values.items():
                        c, cl, ch = (cols[n][k - 1] for n in ("per_m", "per_m_low", "per_m_high"))
                        if c or cl or ch:
                            coef_rows.append((col, metric, c * effect, cl * effect, ch * effect))
                    col += 1
    segments = pd.DataFrame(seg_rows, columns=["col", "service_id", "place_id", "year", "seg",
                                               "lo_m", "width_m", "nonconcave"]).astype(
        {"col": "int64", "seg": "int64", "lo_m": float, "width_m": float, "nonconcave": bool})
    coefs = pd.DataFrame(coef_rows, columns=["col", "metric_id", "per_m", "per_m_low",
                                             "per_m_high"]).astype(
        {"col": "int64", "per_m": float, "per_m_low": float, "per_m_high": float})
    segments["hwb_id"] = segments["place_id"].map(dict(zip(places["place_id"],
                                                           places["hwb_id"])))
    if policy.estimate != "central":
        coefs["per_m"] = coefs[f"per_m_{policy.estimate}"]
    if segments["nonconcave"].any() and policy.nonconcave != "milp":
        # The validator rejects these first; this guards data built in code.
        bad = sorted(set(segments.loc[segments["nonconcave"], "service_id"]))
        problems.append(Problem("curves", f"curves of {', '.join(bad)} are not concave; set "
                                "`nonconcave: milp` in the policy model to solve them exactly"))
    return segments, coefs


def _funding(inputs: Inputs, policy: Policy, years: tuple[str, ...]) -> pd.DataFrame:
    """F[i,y]: the funding table's amounts with ``rules.money`` applied (an override of a
    source-year not in the table is the money family's problem), and the acute offset's
    released money as a source."""
    money = policy.rules.money
    fund = inputs.funding[inputs.funding["year"].isin(years)].copy()
    for sid, by_year in money.amounts.items():
        for year, amount in by_year.items():
            mask = (fund["source_id"] == sid) & (fund["year"] == str(year))
            fund.loc[mask, "amount_m"] = float(amount)
    scale = money.scale
    if money.budget_m is not None:
        first = fund.loc[fund["year"] == years[0], "amount_m"].sum()
        scale *= money.budget_m / first if first > 0 else 0.0
    fund["amount_m"] = fund["amount_m"] * scale
    fund = fund[["source_id", "name", "year", "amount_m"]].assign(hwb_id=_pool_of(inputs, fund))
    released = release_funding(policy, years)
    if len(released):
        fund = pd.concat([fund, released.assign(hwb_id=ICS_WIDE)], ignore_index=True)
    return fund.reset_index(drop=True)


def _pool_of(inputs: Inputs, fund: pd.DataFrame) -> list[str]:
    """Each funding row's HWB pool (ICS_WIDE for ICS-wide money)."""
    pool = inputs.hwb_of_funding()
    return [pool.get((s, y)) or ICS_WIDE for s, y in zip(fund["source_id"], fund["year"])]


def _baseline(inputs: Inputs, years: tuple[str, ...], places: pd.DataFrame) -> pd.DataFrame:
    if len(inputs.baseline):
        return inputs.baseline[inputs.baseline["year"].isin(years)].reset_index(drop=True)
    place_share = list(zip(places["place_id"].tolist(), places["share"].tolist()))
    rows = [
        (sid, pid, year, base * share)
        for sid, base in zip(inputs.services["service_id"].tolist(),
                             inputs.services["baseline_m"].tolist())
        for year in years
        for pid, share in place_share
    ]
    return pd.DataFrame(rows, columns=["service_id", "place_id", "year", "amount_m"])


def check_policy(inputs: Inputs, policy: Policy) -> tuple[ModelData | None, list[Problem]]:
    """The flat tables for `inputs` under `policy`, and every problem of the policy against
    the data: the horizon's years, the places' effects, the curves' shape, then each
    switched-on family's checks. With no year left to plan the tables are None (and the
    families are not checked)."""
    problems: list[Problem] = []
    years = planning_years(inputs, policy, problems)
    if not years:
        return None, problems
    places = _places(inputs, policy, problems)
    segments, coefs = _segments(inputs, policy, years, places, problems)
    funding = _funding(inputs, policy, years)
    rate = policy.horizon.discount_rate
    discount = {y: (1.0 + rate) ** -t for t, y in enumerate(years)}
    data = ModelData(
        inputs=inputs, policy=policy, years=years, discount=discount, places=places,
        segments=segments, coefs=coefs, flows=flows(inputs, policy, funding, list(dict.fromkeys(places["hwb_id"]))),
        funding=funding,
        baseline=_baseline(inputs, years, places),
    )
    return data, problems + rule_set_problems(policy.bcf.rules, years) + policy_problems(data)


def prepare(inputs: Inputs, policy: Policy) -> ModelData:
    """Build the flat tables for `inputs` under `policy`.

    Raises
    ------
    PolicyError
        Every problem :func:`check_policy` finds, at once.
    """
    data, problems = check_policy(inputs, policy)
    if problems or data is None:
        raise PolicyError(problems, title="The policy model has problems")
    return data


def fill_in_order(data: ModelData, spend: pd.DataFrame) -> np.ndarray:
    """Segment values that spend `spend` (service_id, place_id, year, amount_m) in band order.

    This is how money on a concave curve is best used, and how the baseline's outcome is
    evaluated. Returns an array indexed like ``data.segments['col']``.
    """
    seg = data.segments
    key = ["service_id", "place_id", "year"]
    amounts = spend.groupby(key, dropna=False, sort=False)["amount_m"].sum()
    total = seg[key].merge(amounts.rename("amt").reset_index(), on=key, how="left")["amt"]
    total = total.fillna(0.0).to_numpy(dtype=float)
    lo = seg["lo_m"].to_numpy(dtype=float)
    width = seg["width_m"].to_numpy(dtype=float)
    return np.clip(total - lo, 0.0, width)
