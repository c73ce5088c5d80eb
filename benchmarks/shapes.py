"""The benchmark's cases: shapes of problem, policy models and sizes, written to disk.

Every case is a data set (a CSV folder, as a user's) and a policy model (YAML) in its own
folder, so that every tool is timed from the files, whole process:

* ``flat``: N services × 5 concave bands, one metric, one pooled budget row (40% of the
  total band width), every service with a minimum (5% of its width) and a maximum (80%); one
  year, no places. The shape of PERF-NOTES.md and issue 20.
* ``stacked``: ``copies`` copies of the example ICS side by side (5 places, 5 years), as
  :func:`budgetopt.data.synthetic.synthetic_tables` makes them.
* ``places-years``: one ICS over many places and many years.

Sizes are named by the number of band variables (the curve segments budgetopt decides):
``100k``, ``500k`` and ``1M``; ``tiny`` is for the tests. The policy models are the shipped
ones (models/*.yaml) and ``all-rules``: shift-left's rules plus fair shares and Core20PLUS5
(every family at once). The rules that hold absolute amounts (the BCF minimums, the targets, the
acute budget and demand, beds a year) are scaled by the instance's size against the example
ICS (the copies' summed size factors), and per-year amounts are carried over every year of the
instance at their own growth: an acute-offset model then has each copy's acute budget summed.
A model with a BCF rule set (ics-statutory, bcf-ambitions) plans only the years its rule set
covers (3 for 2026-27), on proportionately more copies or places (:attr:`Case.params`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "models"
BANDS = 5  # bands of a flat service

# shape -> size -> generator parameters
SIZES: dict[str, dict[str, dict[str, int]]] = {
    "flat": {"tiny": {"services": 40}, "100k": {"services": 20_000},
             "500k": {"services": 100_000}, "1M": {"services": 200_000}},
    "stacked": {"tiny": {"copies": 2, "places": 6, "years": 3},
                "100k": {"copies": 42, "places": 5, "years": 5},
                "500k": {"copies": 210, "places": 5, "years": 5},
                "1M": {"copies": 420, "places": 5, "years": 5}},
    "places-years": {"tiny": {"copies": 1, "places": 6, "years": 4},
                     "100k": {"copies": 1, "places": 52, "years": 20},
                     "500k": {"copies": 1, "places": 104, "years": 50},
                     "1M": {"copies": 1, "places": 208, "years": 50}},
}
ALL_RULES = "all-rules"


def shipped_models() -> list[str]:
    return sorted(p.stem for p in MODELS.glob("*.yaml"))


@dataclass(frozen=True)
class Case:
    """One benchmark case: a shape, a policy model and a size."""

    shape: str
    model: str
    size: str

    @property
    def name(self) -> str:
        return f"{self.shape}-{self.model}-{self.size}"

    @property
    def kind(self) -> str:
        """``flat``: the peers read the data set's CSV files and build the LP themselves;
        ``lp``: the peers read budgetopt's own LP (the same rows, columns and bounds, with its
        integer columns) from ``lp.npz``, written beforehand by ``tools.py split``."""
        return "flat" if self.shape == "flat" else "lp"

    @property
    def peer_highs(self) -> dict[str, Any]:
        """HiGHS options of the three peers. Flat: presolve off + interior point with
        crossover (HiGHS 1.16's presolve is slow on many parallel band columns, PERF-NOTES.md;
        this is the fastest route found there); the others: HiGHS's defaults, which are also
        budgetopt's shipped settings (presolve and method ``choose``)."""
        base: dict[str, Any] = {"mip_rel_gap": 1e-6}
        if self.shape == "flat":
            base.update(presolve="off", solver="ipm")
        return base

    @property
    def params(self) -> dict[str, int]:
        """The generator's parameters: the size's, except that a model with a BCF rule set
        plans only the years the rule set covers (``prepare`` refuses a plan outside them), with
        the copies (stacked) or places (places-years) scaled up so that the band variables stay
        about the size's."""
        params = dict(SIZES[self.shape][self.size])
        if self.shape == "flat":
            return params
        covered = rule_set_years(_policy_yaml(self.model), params["years"])
        if covered < params["years"]:
            grow = "copies" if self.shape == "stacked" else "places"
            params[grow] = -(-params[grow] * params["years"] // covered)  # rounded up
            params["years"] = covered
        return params


def _policy_yaml(model: str) -> dict[str, Any]:
    name = "shift-left" if model == ALL_RULES else model
    return yaml.safe_load((MODELS / f"{name}.yaml").read_text())


def rule_set_years(policy: dict[str, Any], years: int) -> int:
    """How many of the synthetic data set's first `years` years (from 2026/27) the policy's
    BCF rule set covers (all of them when it names none)."""
    from budgetopt.data.synthetic import year_labels
    from budgetopt.families.bcf_rules import rule_set_problems

    rule_id = (policy.get("bcf") or {}).get("rules")
    labels = year_labels(years)
    while len(labels) > 1 and rule_set_problems(rule_id, tuple(labels)):
        labels = labels[:-1]
    return len(labels)


def default_cases(sizes: list[str]) -> list[Case]:
    """The cases `make bench` runs: every shape at every size asked for; every shipped model
    and all-rules on stacked copies; the default, fair-shares and all-rules models on many
    places and years; 1M only for the default model of each shape (it fits in 24 GB)."""
    cases = []
    for size in sizes:
        cases.append(Case("flat", "default", size))
        stacked = [*shipped_models(), ALL_RULES] if size != "1M" else ["default"]
        cases += [Case("stacked", m, size) for m in stacked]
        many = ["default", "fair-shares", ALL_RULES] if size != "1M" else ["default"]
        cases += [Case("places-years", m, size) for m in many]
    return cases


# -- the flat shape ------------------------------------------------------------------------------


def flat_tables(services: int, seed: int = 0) -> dict[str, pd.DataFrame]:
    """N services × 5 concave bands, one metric, one budget (see the module's docstring)."""
    rng = np.random.default_rng(seed)
    n = services
    ids = np.char.add("S", np.char.zfill(np.arange(1, n + 1).astype(str), 6))
    width = rng.uniform(0.5, 2.0, size=(n, BANDS)).round(3)
    first = rng.uniform(50.0, 150.0, size=n)
    fall = rng.uniform(0.5, 0.95, size=(n, BANDS - 1))
    per_m = np.minimum.accumulate(
        np.column_stack([first, first[:, None] * np.cumprod(fall, axis=1)]).round(3), axis=1)
    total = width.sum(axis=1)
    sectors = ["acute", "community", "mental_health", "primary_care", "social_care",
               "housing", "vcse", "public_health"]
    svc = pd.DataFrame({
        "service_id": ids, "name": ids, "sector": [sectors[i % len(sectors)] for i in range(n)],
        "baseline_m": (0.3 * total).round(3), "min_m": (0.05 * total).round(3),
        "max_m": (0.8 * total).round(3)})
    curves = pd.DataFrame({
        "service_id": np.repeat(ids, BANDS), "metric_id": "OUT",
        "band": np.tile(np.arange(1, BANDS + 1), n), "width_m": width.ravel(),
        "per_m": per_m.ravel()})
    metrics = pd.DataFrame({"metric_id": ["OUT"], "name": ["Outcome"], "unit": ["units"],
                            "weight": [1.0]})
    funding = pd.DataFrame({"source_id": ["POOL"], "name": ["Pooled budget"],
                            "year": ["2026/27"], "amount_m": [round(0.4 * float(width.sum()), 3)]})
    return {"services": svc, "metrics": metrics, "curves": curves, "funding": funding}


def write_flat(tables: dict[str, pd.DataFrame], folder: Path) -> None:
    """The flat data set as CSV files (pandas' writer: a million curve rows in seconds)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False)


# -- the synthetic ICS shapes and their policy models -------------------------------------------


def _grow(values: dict[str, float], years: list[str]) -> dict[str, float]:
    """A per-year amount carried over `years`: given years kept, later ones at the growth of the
    last two given (flat when only one is given)."""
    given = [y for y in years if y in values]
    last = values[given[-1]]
    rate = last / values[given[-2]] if len(given) > 1 and values[given[-2]] else 1.0
    out, t = {}, 0
    for y in years:
        if y in values:
            out[y] = float(values[y])
        elif y > given[-1]:
            t += 1
            out[y] = float(last * rate ** t)
    return out


def scaled_policy(model: str, factor: float, years: list[str]) -> dict[str, Any]:
    """The policy model `model` for an instance `factor` times the example ICS over `years`."""
    if model == ALL_RULES:
        policy = yaml.safe_load((MODELS / "shift-left.yaml").read_text())
        fair = yaml.safe_load((MODELS / "fair-shares.yaml").read_text())
        policy["name"] = "All rules"
        policy["description"] = "shift-left's rules plus fair shares and Core20PLUS5"
        policy["rules"].update(fair_shares=fair["rules"]["fair_shares"],
                               core20=fair["rules"]["core20"])
    else:
        policy = _policy_yaml(model)
    rules = policy.get("rules", {})

    def scale(value):
        if isinstance(value, dict):
            return {y: v * factor for y, v in _grow({str(k): v for k, v in value.items()},
                                                     years).items()}
        return value * factor

    if "bcf_conditions" in rules:
        for key in ("asc_min_m", "ooh_min_m"):
            if key in rules["bcf_conditions"]:
                rules["bcf_conditions"][key] = scale(rules["bcf_conditions"][key])
    if "acute_offset" in rules:
        for key in ("baseline_cost_m", "budget_m"):
            if key in rules["acute_offset"]:
                rules["acute_offset"][key] = scale(rules["acute_offset"][key])
    if "bed_capacity" in rules:
        rules["bed_capacity"]["beds_per_year"] *= factor
    if "targets" in rules:
        rules["targets"]["items"] = _ics_wide(rules["targets"].get("items", []))
    for item in rules.get("targets", {}).get("items", []):
        for key in ("min", "max"):
            if item.get(key) is not None:
                item[key] *= factor
    # The synthetic data sets are one ICS-wide pool per copy, with no HWBs and no demand or
    # capacity tables: the capacity-and-demand plan has nothing to hold on them.
    rules.pop("capacity", None)
    return policy


def _ics_wide(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per-HWB targets as one ICS-wide target per metric and year (the HWBs' goals summed):
    the synthetic data sets have no HWBs."""
    merged: dict[tuple, dict[str, Any]] = {}
    for item in items:
        item = {k: v for k, v in item.items() if k != "hwb"}
        key = (item.get("metric"), str(item.get("year")), item.get("place"))
        if key not in merged:
            merged[key] = item
            continue
        for bound in ("min", "max"):
            if item.get(bound) is not None:
                merged[key][bound] = (merged[key].get(bound) or 0) + item[bound]
    return list(merged.values())


def stacked_tables(copies: int, places: int, years: int, seed: int = 0
                   ) -> tuple[dict[str, pd.DataFrame], float]:
    """The synthetic tables and their size against the example ICS (summed copy sizes)."""
    from budgetopt.data.example import example_tables
    from budgetopt.data.synthetic import synthetic_tables

    tables = synthetic_tables(copies=copies, places=places, years=years, seed=seed)
    base = float(pd.to_numeric(example_tables()["services"]["baseline_m"]).sum())
    return tables, float(pd.to_numeric(tables["services"]["baseline_m"]).sum()) / base


def write_case(case: Case, root: Path) -> Path:
    """The case's folder: ``data/`` (CSV), ``model.yaml`` and ``case.json``; kept when it is
    already there (generating the 1M instances takes a while)."""
    folder = root / case.name
    if (folder / "case.json").exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    params = case.params
    if case.shape == "flat":
        write_flat(flat_tables(**params), folder / "data")
        policy = yaml.safe_load((MODELS / f"{case.model}.yaml").read_text())
    else:
        from budgetopt.data.dataset import write_dataset

        tables, factor = stacked_tables(**params)
        write_dataset(tables, folder / "data")
        years = sorted(tables["funding"]["year"].astype(str).unique())
        policy = scaled_policy(case.model, factor, years)
    (folder / "model.yaml").write_text(yaml.safe_dump(policy, sort_keys=False),
                                       encoding="utf-8")
    (folder / "case.json").write_text(json.dumps(
        {"shape": case.shape, "model": case.model, "size": case.size, "kind": case.kind,
         "params": params, "highs": case.peer_highs}), encoding="utf-8")
    return folder
