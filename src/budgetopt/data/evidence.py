"""Response curves derived from evidence: unit cost, reach and effect, with their sources.

Nobody has "outcome per £1m in successive bands" for a scheme; an analyst has a unit cost
(PSSRU), the number of people who could benefit, the share a service can realistically reach
and an effect per person from a trial or a NICE review. The optional ``evidence`` table holds
those, per service and metric, and this module turns a row into a concave piecewise-linear
curve (the same bands the ``curves`` table takes), for every service-metric pair that has
evidence and no ``curves`` rows. The full derivation, with a worked example, is in
docs/evidence.md.

The cost-coverage form (a saturating exponential, Optima's chain cost → coverage → outcome):

.. math::

    n(x) = P\\,(1 - e^{-x/X_0}),\\qquad P = N c_{max},\\qquad X_0 = P\\,u / 10^6,\\qquad
    O(x) = e\\,n(x)

========  ==================================================  ================
symbol    meaning                                             unit
========  ==================================================  ================
x         spend on the service a year, ICS-wide               £m
u         ``unit_cost_gbp``: cost of serving one person       £
N         ``eligible``: people who could benefit, a year      people
c_max     ``max_coverage``: the share that can be reached     0-1
P         N × c_max: the most people the service can serve    people
X_0       P × u / 1e6: what serving all P would cost at u     £m
e         ``effect`` (``effect_low``, ``effect_high``)         outcome / person
n(x)      people served                                       people
O(x)      outcome bought                                      outcome units
========  ==================================================  ================

The first £ buys people at the unit cost (O'(0) = 1e6·e/u per £m); each further person is
harder to reach, so the marginal cost per person rises as coverage approaches its maximum
(O'(x) = 1e6·e/u · e^(−x/X_0)), and the outcome never exceeds P·e a year.

The bands are chords of O between fixed breakpoints in t = x / X_0 (:func:`breakpoints`),
chosen so that the piecewise-linear curve is never more than :data:`TOLERANCE` (1%) of P·e
below the smooth one, and ending at t = ln(100), where O is 99% of P·e. Chords of a concave
curve lie below it and their slopes fall, so a derived curve is concave, never above
P·e in total, never above 1e6·e/u per £m, and reaches 99% of its ceiling. Low and high curves
are the same bands with ``effect_low`` and ``effect_high``. The curve is ICS-wide; with places,
the model shares each band among places by need-weighted population, as for given curves.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import pandas as pd

TOLERANCE = 0.01
"""Largest gap between the piecewise-linear and the smooth curve, as a share of P·e."""
REACH = 0.99
"""The last breakpoint is where the smooth curve reaches this share of P·e."""
CERTAINTY_ORDER = {"low": 0, "moderate": 1, "high": 2}

__all__ = ["REACH", "TOLERANCE", "breakpoints", "chord_gap", "derive_bands", "evidence_rows",
           "evidence_view", "low_certainty_sources", "smooth_outcome",
           "with_derived_curves"]


def _g(t: float) -> float:
    return -math.expm1(-t)  # 1 - e^-t, accurate near 0


def chord_gap(a: float, b: float) -> float:
    """Largest gap between g(t) = 1 − e^−t and its chord over [a, b] (a share of the ceiling).

    The gap is largest where g's slope e^−t equals the chord's slope s, at t* = −ln s."""
    if b <= a:
        return 0.0
    s = (_g(b) - _g(a)) / (b - a)
    t = min(max(-math.log(s), a), b)
    return _g(t) - _g(a) - s * (t - a)


@lru_cache(maxsize=4)
def breakpoints(tolerance: float = TOLERANCE, reach: float = REACH) -> tuple[float, ...]:
    """Breakpoints 0 = t_0 < t_1 < … < t_K = −ln(1 − reach), in units of X_0, each band as
    wide as it can be with its chord within `tolerance` (a 5% margin kept) of the curve."""
    end = -math.log(1.0 - reach)
    target = tolerance * 0.95
    points = [0.0]
    while points[-1] < end - 1e-12:
        a = points[-1]
        if chord_gap(a, end) <= target:
            points.append(end)
            break
        lo, hi = a, end
        for _ in range(60):  # the gap grows with b: bisect for the widest band
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if chord_gap(a, mid) <= target else (lo, mid)
        points.append(lo)
    return tuple(points)


def smooth_outcome(x_m: np.ndarray | float, unit_cost_gbp: float, eligible: float,
                   max_coverage: float, effect: float) -> np.ndarray:
    """O(x): the smooth curve's outcome a year at spend `x_m` (£m a year, ICS-wide)."""
    people = eligible * max_coverage
    x = np.asarray(x_m, dtype=float)
    if people <= 0:
        return np.zeros_like(x)
    x0 = people * unit_cost_gbp / 1e6
    return effect * people * -np.expm1(-x / x0)


def _band_arrays(unit_cost_gbp, eligible, max_coverage, effect, effect_low, effect_high):
    """The bands of several evidence rows at once, in one numpy pass: (row, band, width_m,
    per_m, per_m_low, per_m_high), each row's bands in order, rows nobody can reach left out.

    The arguments are arrays (one entry per evidence row); a blank low or high effect (NaN)
    is the central one. Each value is the same arithmetic as one row at a time."""
    u = np.asarray(unit_cost_gbp, dtype=float)
    people = np.asarray(eligible, dtype=float) * np.asarray(max_coverage, dtype=float)
    e = np.asarray(effect, dtype=float)
    lo = np.asarray(effect_low, dtype=float)
    hi = np.asarray(effect_high, dtype=float)
    keep = np.flatnonzero(people > 0)
    u, people, e, lo, hi = u[keep], people[keep], e[keep], lo[keep], hi[keep]
    lo = np.where(np.isnan(lo), e, lo)
    hi = np.where(np.isnan(hi), e, hi)
    t = np.array(breakpoints())
    dt = np.diff(t)
    rate = np.diff(-np.expm1(-t)) / dt * 1e6  # people per £m per unit effect, times u
    x0 = people * u / 1e6
    slope = rate[None, :] / u[:, None]
    k = len(dt)
    return (np.repeat(keep, k), np.tile(np.arange(1, k + 1), len(keep)),
            (dt[None, :] * x0[:, None]).ravel(), (slope * e[:, None]).ravel(),
            (slope * lo[:, None]).ravel(), (slope * hi[:, None]).ravel())


BAND_COLUMNS = ["band", "width_m", "per_m", "per_m_low", "per_m_high"]


def derive_bands(unit_cost_gbp: float, eligible: float, max_coverage: float, effect: float,
                 effect_low: float | None = None, effect_high: float | None = None
                 ) -> pd.DataFrame:
    """The bands of one evidence row: band, width_m, per_m, per_m_low, per_m_high.

    No bands when nobody can be reached (eligible × max_coverage = 0)."""
    low = np.nan if effect_low is None or _blank(effect_low) else effect_low
    high = np.nan if effect_high is None or _blank(effect_high) else effect_high
    _, band, *values = _band_arrays([unit_cost_gbp], [eligible], [max_coverage], [effect],
                                    [low], [high])
    if not len(band):
        return pd.DataFrame(columns=BAND_COLUMNS)
    return pd.DataFrame(dict(zip(BAND_COLUMNS, [band, *values], strict=True)))


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def with_derived_curves(curves: pd.DataFrame, evidence: pd.DataFrame
                        ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The curves with a derived curve for each evidence row whose service and metric have
    no curves rows, and the evidence with what it implies.

    Returns
    -------
    curves : DataFrame
        The given curves, then the derived ones (year blank: every year), same columns.
    evidence : DataFrame
        The evidence table with ``derived`` (True: this row made the curve; False: the
        curves table gives it and the evidence is its source only), ``people_max``
        (eligible × max_coverage), ``ceiling`` (P·e, outcome a year), ``max_per_m``
        (1e6·e/u, outcome per £m) and ``spend_to_reach_m`` (the £m a year at which the
        derived curve reaches 99% of its ceiling).
    """
    ev = evidence.copy()
    given = set(zip(curves["service_id"].tolist(), curves["metric_id"].tolist()))
    ev["derived"] = pd.Series([(s, m) not in given for s, m in
                               zip(ev["service_id"].tolist(), ev["metric_id"].tolist())],
                              dtype=bool,
                              index=ev.index)
    people = ev["eligible"].astype(float) * ev["max_coverage"].astype(float)
    ev["people_max"] = people
    ev["ceiling"] = people * ev["effect"].astype(float)
    ev["max_per_m"] = 1e6 * ev["effect"].astype(float) / ev["unit_cost_gbp"].astype(float)
    ev["spend_to_reach_m"] = people * ev["unit_cost_gbp"].astype(float) / 1e6 \
        * breakpoints()[-1]
    parts = [curves]
    rows = ev[ev["derived"]]
    if len(rows):
        which, *bands = _band_arrays(
            *(pd.to_numeric(rows[c].astype(object), errors="coerce").to_numpy(dtype=float)
              for c in ("unit_cost_gbp", "eligible", "max_coverage", "effect", "effect_low",
                        "effect_high")))
        if len(which):
            derived = pd.DataFrame(dict(zip(BAND_COLUMNS, bands, strict=True)))
            derived["service_id"] = rows["service_id"].to_numpy(dtype=object)[which]
            derived["metric_id"] = rows["metric_id"].to_numpy(dtype=object)[which]
            derived["year"] = None
            parts.append(derived[list(curves.columns)])
    if len(parts) > 1:
        out = pd.concat(parts, ignore_index=True).astype(curves.dtypes.to_dict())
        out["year"] = out["year"].astype(object).where(out["year"].notna(), None)
        curves = out
    return curves, ev


def evidence_rows(inputs: object) -> pd.DataFrame:
    """The evidence frame of `inputs` (empty, with its columns, when there is none)."""
    ev = getattr(inputs, "evidence", None)
    if ev is None:
        return pd.DataFrame(columns=["service_id", "metric_id", "source", "certainty",
                                     "derived"])
    return ev


def low_certainty_sources(inputs: object) -> dict[str, str]:
    """Services with low-certainty evidence: service_id -> "metric: source; …" in words."""
    ev = evidence_rows(inputs)
    if not len(ev):
        return {}
    low = ev[ev["certainty"].astype(object) == "low"]
    out: dict[str, str] = {}
    for sid, group in low.groupby("service_id", sort=True):
        by_source: dict[str, list[str]] = {}
        for m, s in zip(group["metric_id"], group["source"], strict=True):
            by_source.setdefault(s if isinstance(s, str) else "", []).append(str(m))
        out[sid] = "; ".join(f"{', '.join(ms)}: {s}" if s else ", ".join(ms)
                             for s, ms in by_source.items())
    return out


def evidence_view(inputs: object) -> pd.DataFrame:
    """The evidence as a person reads it: readable headers with units, one row per service and
    metric, the curve it gives, its ceilings, source and certainty (blank: not stated)."""
    ev = evidence_rows(inputs)
    services = getattr(inputs, "services", None)
    names = (dict(zip(services["service_id"], services["name"], strict=True))
             if services is not None else {})

    def effect(col: str) -> list[float]:
        return [float(v) if not _blank(v) else float(c)
                for v, c in zip(ev[col], ev["effect"], strict=True)]

    return pd.DataFrame({
        "Service id": ev["service_id"].astype(str),
        "Service": [names.get(s, s) for s in ev["service_id"]],
        "Metric": ev["metric_id"].astype(str),
        "Curve": ["derived from this evidence" if d else "given in curves (evidence as source)"
                  for d in ev["derived"]],
        "Unit cost £": ev["unit_cost_gbp"].astype(float),
        "Eligible people": ev["eligible"].astype(float),
        "Max coverage": ev["max_coverage"].astype(float),
        "People reachable": ev["people_max"].astype(float),
        "Effect per person (low)": effect("effect_low"),
        "Effect per person (central)": ev["effect"].astype(float),
        "Effect per person (high)": effect("effect_high"),
        "Ceiling (outcome a year)": ev["ceiling"].astype(float),
        "Most outcome per £1m": ev["max_per_m"].astype(float),
        "£m a year to reach 99%": ev["spend_to_reach_m"].astype(float),
        "Certainty": [c if isinstance(c, str) else "" for c in ev["certainty"]],
        "Source": [s if isinstance(s, str) else "" for s in ev["source"]],
    })
