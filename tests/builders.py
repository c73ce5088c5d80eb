"""Build validated :class:`Inputs` directly from small Python lists, for model tests.

The validator is tested on its own (tests/data/test_read_validate.py); model tests build inputs here so
that each case reads like its hand calculation.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import pandas as pd

from budgetopt.data.inputs import Inputs

SERVICE_DEFAULTS = {
    "sector": "community", "baseline_m": 0.0, "min_m": 0.0, "max_m": math.inf,
    "description": "", "scheme_type": "Other", "sub_type": "", "area_of_spend": "Other",
    "commissioner": "Joint", "pct_nhs": None, "provider": "Local Authority", "pooled": True,
    "mhis": False, "output_unit": "", "unit_cost_gbp": None, "new_or_existing": "Existing",
}
METRIC_DEFAULTS = {"unit": "units", "weight": 1.0, "bcf_metric": False, "better": "higher",
                   "baseline_level": None, "level_unit": "", "level_per_outcome": None,
                   "weight_unit": None}


def _frame(rows: Iterable[dict], columns: Sequence[str], defaults: dict | None = None
           ) -> pd.DataFrame:
    defaults = defaults or {}
    data = [{c: r.get(c, defaults.get(c)) for c in columns} for r in rows]
    return pd.DataFrame(data, columns=list(columns)).astype(object)


def make_inputs(
    services: list[dict],
    curves: list[tuple],  # (service_id, metric_id, band, width_m, per_m[, low, high[, year]])
    funding: list[tuple],  # (source_id, year, amount_m[, hwb_id[, bcf_source]])
    metrics: list[dict] | None = None,
    eligibility: list[tuple] = (),
    places: list[dict] = (),
    workforce: list[tuple] = (),  # (group_id, year, wte_available)
    workforce_need: list[tuple] = (),  # (group_id, service_id, wte_per_m)
    baseline: list[tuple] = (),
    hwbs: list[dict] = (),  # {hwb_id, name, two_tier, asc_min_m}
    demand: list[tuple] = (),  # (hwb_id or None, year, pathway, demand)
    capacity: list[tuple] = (),  # (service_id, pathway, per_m)
) -> Inputs:
    """Inputs for a small case; ids and years are strings, every default filled."""
    svc = _frame([{"name": s["service_id"], **s} for s in services],
                 ["service_id", "name", *SERVICE_DEFAULTS], SERVICE_DEFAULTS)
    for col in ("baseline_m", "min_m", "max_m"):
        svc[col] = svc[col].astype(float)
    metric_ids = sorted({c[1] for c in curves}) if metrics is None else None
    met = _frame(metrics if metrics is not None else [{"metric_id": m, "name": m}
                                                      for m in metric_ids],
                 ["metric_id", "name", *METRIC_DEFAULTS], METRIC_DEFAULTS)
    met["weight"] = met["weight"].astype(float)
    curve_rows = []
    for c in curves:
        sid, mid, band, width, per = c[:5]
        low = c[5] if len(c) > 5 else per
        high = c[6] if len(c) > 6 else per
        year = c[7] if len(c) > 7 else None
        curve_rows.append({"service_id": sid, "metric_id": mid, "year": year, "band": int(band),
                           "width_m": float(width), "per_m": float(per),
                           "per_m_low": float(low), "per_m_high": float(high)})
    cur = _frame(curve_rows, ["service_id", "metric_id", "year", "band", "width_m", "per_m",
                              "per_m_low", "per_m_high"])
    for col in ("width_m", "per_m", "per_m_low", "per_m_high"):
        cur[col] = cur[col].astype(float)
    cur["band"] = cur["band"].astype(int)
    fund = _frame([{"source_id": f[0], "name": f[0], "year": str(f[1]), "amount_m": float(f[2]),
                    "bcf_source": f[4] if len(f) > 4 else "Other",
                    "hwb_id": f[3] if len(f) > 3 else None}
                   for f in funding],
                  ["source_id", "name", "year", "amount_m", "bcf_source", "hwb_id"])
    fund["amount_m"] = fund["amount_m"].astype(float)
    years = tuple(dict.fromkeys(str(f[1]) for f in funding))
    pl = _frame([{"name": p["place_id"], "effect": 1.0, "core20_share": 0.2,
                  "population": p.get("weighted_population", 1.0), **p} for p in places],
                ["place_id", "name", "population", "weighted_population", "core20_share",
                 "effect", "hwb_id"])
    wf = _frame([{"group_id": g, "year": str(y), "wte_available": float(a), "name": g}
                 for g, y, a in workforce], ["group_id", "year", "wte_available", "name"])
    need = _frame([{"group_id": g, "service_id": s, "wte_per_m": float(n)}
                   for g, s, n in workforce_need], ["group_id", "service_id", "wte_per_m"])
    elig = _frame([{"source_id": a, "service_id": b} for a, b in eligibility],
                  ["source_id", "service_id"])
    base = _frame([{"service_id": s, "place_id": p, "year": str(y), "amount_m": float(a)}
                   for s, p, y, a in baseline], ["service_id", "place_id", "year", "amount_m"])
    hw = _frame(hwbs, ["hwb_id", "name", "two_tier", "asc_min_m"],
                {"two_tier": False, "asc_min_m": float("nan")})
    hw["asc_min_m"] = hw["asc_min_m"].astype(float)
    return Inputs(services=svc, metrics=met, curves=cur, funding=fund, eligibility=elig,
                  places=pl, workforce=wf, workforce_need=need, baseline=base, years=years,
                  source="test", data_hash="test", hwbs=hw,
                  demand=pd.DataFrame(list(demand), columns=["hwb_id", "year", "pathway",
                                                             "demand"]).astype(
                      {"year": object, "demand": float}),
                  capacity=pd.DataFrame(list(capacity), columns=["service_id", "pathway",
                                                                 "per_m"]).astype(
                      {"per_m": float}))
