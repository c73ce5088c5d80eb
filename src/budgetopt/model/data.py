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

Symbols used in docstrings across :mod:`budgetopt.model`:

=====================  ==========================================================  ========
symbol                 meaning                                                      unit
=====================  ==========================================================  ========
x[s,p,y,k]             spend on segment k of service s in place p, year y           £m
w[s,p,y,k]             width of that segment                                        £m
a[s,p,y,k,m]           outcome of metric m per £1m on that segment                  unit/£m
f[i,s,y]               money from funding source i to service s in year y           £m
F[i,y]                 amount of source i in year y                                 £m
S[s,y]                 spend on service s in year y = Σ_p Σ_k x[s,p,y,k]             £m
O[m,y]                 outcome of metric m in year y = Σ a·x                         unit
v[m]                   value weight of metric m                                     per unit
d[y]                   discount factor of year y = (1 + r)^-t(y)                    —
=====================  ==========================================================  ========
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import pandas as pd

from budgetopt.data.inputs import Inputs
from budgetopt.errors import PolicyError, Problem
from budgetopt.policy import Policy

ICS_WIDE = ""  # internal place_id of the single ICS-wide "place" (reported as null)
RELEASE_SOURCE = "ACUTE_RELEASE"
"""Pseudo funding source of the acute offset: acute money released to the pool's services."""


def year_value(value, year: str, default: float | None = None) -> float | None:
    """A policy value given once for every year or as {year: value}."""
    if value is None:
        return default
    if isinstance(value, dict):
        return float(value[year]) if year in value else default
    return float(value)


@dataclass(frozen=True)
class ModelData:
    """Everything the model needs, as tidy frames; built once per (inputs, policy)."""

    inputs: Inputs
    policy: Policy
    years: tuple[str, ...]
    discount: dict[str, float]  # d[y]
    places: pd.DataFrame  # place_id (ICS_WIDE when there is no places table), share, effect
    segments: pd.DataFrame  # col, service_id, place_id, year, seg, lo_m, width_m, nonconcave
    coefs: pd.DataFrame  # col, metric_id, per_m (place effect applied), per_m_low, per_m_high
    flows: pd.DataFrame  # col, source_id, service_id, year
    funding: pd.DataFrame  # source_id, name, year, amount_m (policy applied)
    baseline: pd.DataFrame  # service_id, place_id, year, amount_m

    @property
    def n_segments(self) -> int:
        return len(self.segments)

    @property
    def milp(self) -> bool:
        return bool(self.segments["nonconcave"].any())


def planning_years(inputs: Inputs, policy: Policy) -> tuple[str, ...]:
    if policy.horizon.years is None:
        return inputs.years
    unknown = [y for y in policy.horizon.years if y not in inputs.years]
    if unknown:
        raise PolicyError.single(
            "policy model", f"horizon.years names {', '.join(unknown)}, not a funding year "
            f"(funding years: {', '.join(inputs.years)})")
    return tuple(y for y in inputs.years if y in policy.horizon.years)


def _places(inputs: Inputs, policy: Policy) -> pd.DataFrame:
    if not inputs.has_places:
        unknown = list(policy.places.effects)
        if unknown:
            raise PolicyError.single("policy model", f"places.effects names {unknown[0]!r} but "
                                     "the data set has no places table")
        return pd.DataFrame({"place_id": [ICS_WIDE], "share": [1.0], "effect": [1.0]})
    pl = inputs.places[["place_id", "weighted_population", "effect"]].copy()
    total = pl["weighted_population"].sum()
    pl["share"] = pl["weighted_population"] / total if total > 0 else 1.0 / len(pl)
    for pid, eff in policy.places.effects.items():
        if pid not in set(pl["place_id"]):
            raise PolicyError.single("policy model", f"places.effects names unknown place "
                                     f"{pid!r} (places: {', '.join(pl['place_id'])})")
        pl.loc[pl["place_id"] == pid, "effect"] = float(eff)
    return pl[["place_id", "share", "effect"]].reset_index(drop=True)


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


def _segments(inputs: Inputs, policy: Policy, years: tuple[str, ...], places: pd.DataFrame
              ) -> tuple[pd.DataFrame, pd.DataFrame]:
    seg_rows: list[tuple] = []
    coef_rows: list[tuple] = []
    col = 0
    curves = inputs.curves
    specific = curves[curves["year"].notna()]
    merged = _all_services_segments(curves[curves["year"].isna()])  # all-years bands, once
    place_rows = list(places.itertuples(index=False, name=None))
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
    if policy.estimate != "central":
        coefs["per_m"] = coefs[f"per_m_{policy.estimate}"]
    if segments["nonconcave"].any() and policy.nonconcave != "milp":
        # The validator rejects these first; this guards data built in code.
        bad = sorted(set(segments.loc[segments["nonconcave"], "service_id"]))
        raise PolicyError.single("curves", f"curves of {', '.join(bad)} are not concave; set "
                                 "`nonconcave: milp` in the policy model to solve them exactly")
    return segments, coefs


def _funding(inputs: Inputs, policy: Policy, years: tuple[str, ...]) -> pd.DataFrame:
    money = policy.rules.money
    fund = inputs.funding[inputs.funding["year"].isin(years)].copy()
    problems = []
    for sid, by_year in money.amounts.items():
        for year, amount in by_year.items():
            mask = (fund["source_id"] == sid) & (fund["year"] == str(year))
            if not mask.any():
                problems.append(Problem("policy model", f"rules.money.amounts names source "
                                        f"{sid!r} in year {year!r}, not in the funding table"))
            fund.loc[mask, "amount_m"] = float(amount)
    if problems:
        raise PolicyError(problems, title="The policy model has problems")
    scale = money.scale
    if money.budget_m is not None:
        first = fund.loc[fund["year"] == years[0], "amount_m"].sum()
        scale *= money.budget_m / first if first > 0 else 0.0
    fund["amount_m"] = fund["amount_m"] * scale
    fund = fund[["source_id", "name", "year", "amount_m"]]
    if policy.enabled("acute_offset") and policy.rules.acute_offset.reinvest_share > 0:
        fund = pd.concat([fund, _release_funding(policy, years)], ignore_index=True)
    return fund.reset_index(drop=True)


def _release_funding(policy: Policy, years: tuple[str, ...]) -> pd.DataFrame:
    """The acute offset's released money as a funding source. Its amount (the acute budget
    times the reinvestment share) is only an upper bound: the acute_release rule says how much
    is really released (see :func:`budgetopt.model.rules.add_acute_offset`)."""
    rule = policy.rules.acute_offset
    cost0 = year_value(rule.baseline_cost_m, years[0])
    rows = [(RELEASE_SOURCE, "Acute money released by avoided demand", y,
             float(year_value(rule.budget_m, y, cost0) or 0.0) * rule.reinvest_share)
            for y in years]
    return pd.DataFrame(rows, columns=["source_id", "name", "year", "amount_m"])


def _flows(inputs: Inputs, policy: Policy, funding: pd.DataFrame) -> pd.DataFrame:
    """Eligible (source, service, year) money flows."""
    elig = inputs.eligibility
    restricted = set(elig["source_id"]) if policy.enabled("eligibility") else set()
    allowed = {(a, b) for a, b in zip(elig["source_id"], elig["service_id"])}
    ao = policy.rules.acute_offset
    sector = dict(zip(inputs.services["service_id"], inputs.services["sector"]))
    for sid in inputs.service_ids:  # released acute money pays for the sectors it may
        if ao.reinvest_in is None and sector[sid] != "acute" or (
                ao.reinvest_in is not None and sector[sid] in ao.reinvest_in):
            allowed.add((RELEASE_SOURCE, sid))
    restricted.add(RELEASE_SOURCE)
    services = inputs.service_ids
    by_source: dict[str, list[str]] = {}  # the services each restricted source may pay for
    for src, sid in allowed:
        by_source.setdefault(src, []).append(sid)
    order = {sid: i for i, sid in enumerate(services)}
    rows = [
        (src, sid, year)
        for src, year in zip(funding["source_id"].tolist(), funding["year"].tolist())
        for sid in (sorted(by_source.get(src, []), key=order.__getitem__)
                    if src in restricted else services)
    ]
    flows = pd.DataFrame(rows, columns=["source_id", "service_id", "year"])
    flows.insert(0, "col", np.arange(len(flows)))
    return flows


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


def prepare(inputs: Inputs, policy: Policy) -> ModelData:
    """Build the flat tables for `inputs` under `policy`."""
    years = planning_years(inputs, policy)
    places = _places(inputs, policy)
    segments, coefs = _segments(inputs, policy, years, places)
    funding = _funding(inputs, policy, years)
    rate = policy.horizon.discount_rate
    discount = {y: (1.0 + rate) ** -t for t, y in enumerate(years)}
    return ModelData(
        inputs=inputs, policy=policy, years=years, discount=discount, places=places,
        segments=segments, coefs=coefs, flows=_flows(inputs, policy, funding), funding=funding,
        baseline=_baseline(inputs, years, places),
    )


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
