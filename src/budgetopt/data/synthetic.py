"""Synthetic data sets at any size, shaped like the example ICS (for benchmarks and tests).

An instance stacks `copies` ICS-sized blocks: each copy has its own services, funding sources
(each paying only for its own copy's services, with the example's eligibility within it),
workforce groups and curves, with effects
and money perturbed reproducibly by `seed`; every copy shares `places` places and `years`
years. Sizes used by the benchmarks (:data:`SIZES`):

=========  ======  ======  =====  ==================================
size       copies  places  years  band variables (about)
=========  ======  ======  =====  ==================================
tiny       1       2       2      ~350
ics        1       5       5      ~2,400 (20-odd schemes × 5 × 5 × ~4 bands)
region     10      5       5      ~24,000
national   42      5       5      ~100,000
=========  ======  ======  =====  ==================================

The tables go through the same reading and validation as a user's data set
(:func:`budgetopt.data.read.read_frames`, :func:`budgetopt.data.validate.validate`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from budgetopt.data.example import example_tables, example_with_bands
from budgetopt.data.inputs import Inputs

SIZES: dict[str, dict[str, int]] = {
    "tiny": {"copies": 1, "places": 2, "years": 2},
    "ics": {"copies": 1, "places": 5, "years": 5},
    "region": {"copies": 10, "places": 5, "years": 5},
    "national": {"copies": 42, "places": 5, "years": 5},
}


def year_labels(n: int) -> list[str]:
    """The first `n` years of a synthetic data set: 2026/27, 2027/28, ..."""
    return [f"{2026 + i}/{(27 + i) % 100:02d}" for i in range(n)]


def _over_years(table: pd.DataFrame, first_year: str, labels: list[str], column: str,
                size: float, growth: float) -> pd.DataFrame:
    """The first year's rows repeated for every year, `column` × size × growth^year."""
    rows = table[table["year"] == first_year]
    return pd.concat([rows.assign(year=y, **{column: rows[column] * size * growth ** i})
                      for i, y in enumerate(labels)], ignore_index=True)


def synthetic_tables(copies: int = 1, places: int = 5, years: int = 5,
                     seed: int = 0) -> dict[str, pd.DataFrame]:
    """The tables of a synthetic data set (see the module's docstring)."""
    rng = np.random.default_rng(seed)
    # the example's evidence written out as bands: each copy scales its bands' widths
    ex = {k: v.copy() for k, v in example_with_bands(example_tables()).items() if k != "notes"}
    labels = year_labels(years)
    first_year = ex["funding"]["year"].iloc[0]

    def tag(value: str, k: int) -> str:
        return value if copies == 1 else f"{value}_{k + 1}"

    out: dict[str, list[pd.DataFrame]] = {n: [] for n in
                                          ("services", "curves", "funding", "eligibility",
                                           "workforce", "workforce_need")}
    for k in range(copies):
        size = float(rng.uniform(0.8, 1.2)) if copies > 1 else 1.0
        svc = ex["services"].copy()
        svc["service_id"] = [tag(s, k) for s in svc["service_id"]]
        svc["name"] = [tag(s, k) for s in svc["name"]]
        for col in ("baseline_m", "min_m", "max_m"):
            svc[col] = pd.to_numeric(svc[col], errors="coerce") * size
        out["services"].append(svc)

        cur = ex["curves"].copy()
        cur["service_id"] = [tag(s, k) for s in cur["service_id"]]
        cur["width_m"] = cur["width_m"] * size
        factor = rng.uniform(0.85, 1.15, size=len(cur["service_id"].unique()))
        per = dict(zip(cur["service_id"].unique(), factor))
        for col in ("per_m", "per_m_low", "per_m_high"):
            cur[col] = pd.to_numeric(cur[col], errors="coerce") * cur["service_id"].map(per)
        out["curves"].append(cur)

        fund = _over_years(ex["funding"], first_year, labels, "amount_m", size, 1.02)
        # the synthetic places are not the example's: each copy's money is one ICS-wide pool
        fund = fund.drop(columns=["hwb_id"], errors="ignore")
        fund["source_id"] = [tag(s, k) for s in fund["source_id"]]
        fund["name"] = [tag(s, k) for s in fund["name"]]
        out["funding"].append(fund)

        elig = ex["eligibility"].copy()
        if copies > 1:  # a copy's open sources pay for that copy's services only
            open_sources = sorted(set(fund["source_id"].str.rsplit("_", n=1).str[0])
                                  - set(elig["source_id"]))
            elig = pd.concat([elig, pd.DataFrame(
                [(src, sid) for src in open_sources for sid in ex["services"]["service_id"]],
                columns=["source_id", "service_id"])], ignore_index=True)
        elig["source_id"] = [tag(s, k) for s in elig["source_id"]]
        elig["service_id"] = [tag(s, k) for s in elig["service_id"]]
        out["eligibility"].append(elig)

        wf = _over_years(ex["workforce"], first_year, labels, "wte_available", size, 1.015)
        wf["group_id"] = [tag(g, k) for g in wf["group_id"]]
        out["workforce"].append(wf)
        need = ex["workforce_need"].copy()
        need["group_id"] = [tag(g, k) for g in need["group_id"]]
        need["service_id"] = [tag(s, k) for s in need["service_id"]]
        out["workforce_need"].append(need)

    tables = {n: pd.concat(v, ignore_index=True) for n, v in out.items()}
    tables["metrics"] = ex["metrics"]
    pop = rng.uniform(150_000, 450_000, size=places).round(-3)
    tables["places"] = pd.DataFrame({
        "place_id": [f"P{i + 1:03d}" for i in range(places)],
        "name": [f"Place {i + 1}" for i in range(places)],
        "population": pop,
        "weighted_population": (pop * rng.uniform(0.8, 1.25, size=places)).round(-3),
        "core20_share": rng.uniform(0.05, 0.4, size=places).round(2),
        "effect": rng.uniform(0.9, 1.1, size=places).round(2),
    })
    return tables


def synthetic_inputs(size: str = "ics", seed: int = 0) -> Inputs:
    """A validated synthetic data set of a named size (:data:`SIZES`)."""
    from budgetopt.data.read import read_frames
    from budgetopt.data.validate import validate

    if size not in SIZES:
        raise ValueError(f"size must be one of {', '.join(SIZES)}")
    return validate(read_frames(synthetic_tables(**SIZES[size], seed=seed), f"synthetic-{size}"))


__all__ = ["SIZES", "synthetic_inputs", "synthetic_tables"]
