"""The curve segments as prepare built them before issue 20 (a Python loop per service, place
and segment): the oracle that tests/model/test_segments.py holds the vectorised build to, bit for bit."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pandas as pd

from budgetopt.errors import Problem


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


def reference_segments(inputs, policy, years: tuple[str, ...], places: pd.DataFrame,
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
    if policy.estimate != "central":
        coefs["per_m"] = coefs[f"per_m_{policy.estimate}"]
    if segments["nonconcave"].any() and policy.nonconcave != "milp":
        # The validator rejects these first; this guards data built in code.
        bad = sorted(set(segments.loc[segments["nonconcave"], "service_id"]))
        problems.append(Problem("curves", f"curves of {', '.join(bad)} are not concave; set "
                                "`nonconcave: milp` in the policy model to solve them exactly"))
    return segments, coefs


