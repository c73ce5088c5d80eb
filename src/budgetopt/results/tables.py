"""Results of a solve as tidy DataFrames, and the JSON of the contract.

One row per index combination, keys as columns, units in column names. The same frames feed
the CLI summary, the JSON, the Excel workbook, the app and the tests.
"""

from __future__ import annotations

import json
import math
import platform
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from budgetopt.families.common import names_by_id
from budgetopt.families.rows import KEY_FIELDS
from budgetopt.model.build import objective_coefficients
from budgetopt.model.data import ICS_WIDE, ModelData
from budgetopt.results.words import (
    Infeasibility,
    Relaxation,
    low_certainty_flags,
    reduced_cost_sentence,
    shadow_sentence,
)
from budgetopt.solve.highs import Compiled, SolveOutcome
from budgetopt.solve.ranging import PriceRanges
from budgetopt.solve.status import SolveStatus

BINDING_TOL = 1e-6
INDENTED_ROWS = 20_000
"""The largest answer (allocation, constraint and funding rows) whose JSON is indented."""


@dataclass(frozen=True)
class Results:
    """Everything a solve returns (MODEL.md, "What every solve must return")."""

    status: SolveStatus
    solver_status: str
    objective: float | None
    mode: str  # max_outcome | min_cost
    allocation: pd.DataFrame  # service_id, name, sector, place_id, year, spend_m, baseline_m, change_m
    funding_flows: pd.DataFrame  # FLOW_COLUMNS: source_id, service_id, year, amount_m, hwb_id, pool_hwb_id
    outcomes: pd.DataFrame  # metric_id, name, unit, year, value, baseline_value, change, weighted_value
    constraints: pd.DataFrame  # name, family, component, sense, limit, activity, unit, binding, shadow_price, meaning, then the row's keys (KEY_FIELDS, ...)
    reduced_costs: pd.DataFrame  # service_id, name, year, needs_per_m, relative, meaning
    infeasibility: Infeasibility | None
    baseline_objective: float | None
    warnings: tuple[str, ...] = ()
    provenance: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    duals_note: str = ""
    mip_gap: float | None = None
    unpinned_objective: float | None = None  # the optimum with the policy's pins lifted
    hwbs: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=HWB_RESULT_COLUMNS))
    price_ranging: dict[str, Any] | None = None  # PriceRanges.summary(): kinks, re-solves, ...

    @property
    def optimal(self) -> bool:
        return self.status == SolveStatus.OPTIMAL

    def binding(self) -> pd.DataFrame:
        """Binding constraints, largest shadow price first."""
        c = self.constraints
        b = c[c["binding"]].copy()
        return b.reindex(b["shadow_price"].abs().sort_values(ascending=False).index)

    def to_json_dict(self) -> dict[str, Any]:
        """The JSON result of MODEL.md's contract, plus added fields."""
        alloc, out, con = self.allocation, self.outcomes, self.constraints
        return {
            "status": self.status,
            "objective": _num(self.objective),
            "allocation": [
                {"service_id": s, "place_id": p, "year": y, "spend_m": v, "baseline_m": b,
                 "change_m": c}
                for s, p, y, v, b, c in zip(alloc["service_id"].tolist(),
                                            alloc["place_id"].tolist(), alloc["year"].tolist(),
                                            _nums(alloc["spend_m"]), _nums(alloc["baseline_m"]),
                                            _nums(alloc["change_m"]))
            ],
            "outcomes": [
                {"metric_id": m, "year": y, "value": v, "baseline_value": b}
                for m, y, v, b in zip(out["metric_id"].tolist(), out["year"].tolist(),
                                      _nums(out["value"]), _nums(out["baseline_value"]))
            ],
            "constraints": [
                {"name": n, "family": f, "binding": b, "shadow_price": d, "meaning": w,
                 "shadow_price_down": dn, "holds_from": lo, "holds_to": hi, "ranged": rg,
                 "limit": lim, "activity": a, "unit": u, "component": c, "keys": keys}
                for n, f, b, d, w, dn, lo, hi, rg, lim, a, u, c, keys in zip(
                    con["name"].tolist(), con["family"].tolist(),
                    [bool(b) for b in con["binding"].tolist()], _nums(con["shadow_price"]),
                    con["meaning"].tolist(), _nums(con["shadow_price_down"]),
                    _nums(con["holds_from"]), _nums(con["holds_to"]),
                    [bool(v) for v in con["ranged"].tolist()], _nums(con["limit"]),
                    _nums(con["activity"]), con["unit"].tolist(), con["component"].tolist(),
                    row_keys(con))
            ],
            "infeasibility": self.infeasibility.to_json() if self.infeasibility else None,
            "solver_status": self.solver_status,
            "mode": self.mode,
            "baseline_objective": _num(self.baseline_objective),
            "funding": self._funding_json(),
            "reduced_costs": [
                {"service_id": s, "year": y, "needs_per_m": n, "meaning": w,
                 "holds_to_per_m": h}
                for s, y, n, w, h in zip(self.reduced_costs["service_id"].tolist(),
                                         self.reduced_costs["year"].tolist(),
                                         _nums(self.reduced_costs["needs_per_m"]),
                                         self.reduced_costs["meaning"].tolist(),
                                         _nums(self.reduced_costs.get(
                                             "holds_to_per_m", [np.nan] * len(
                                                 self.reduced_costs))))
            ],
            "warnings": list(self.warnings),
            "duals_note": self.duals_note,
            "price_ranging": self.price_ranging,
            "unpinned_objective": _num(self.unpinned_objective),
            "provenance": self.provenance,
            **({"hwbs": [{k: (_num(v) if k.endswith("_m") else _plain(v))
                          for k, v in r.items()}
                         for r in self.hwbs.to_dict("records")]} if len(self.hwbs) else {}),
        }

    def _funding_json(self) -> list[dict[str, Any]]:
        """The JSON's ``funding``: one entry per flow; with HWBs each names the HWB whose
        places it pays for (``hwb_id``) and the pool the money is in (``pool_hwb_id``, null
        for ICS-wide money)."""
        flows = self.funding_flows
        out = [{"source_id": s, "service_id": v, "year": y, "amount_m": a}
               for s, v, y, a in zip(flows["source_id"].tolist(), flows["service_id"].tolist(),
                                     flows["year"].tolist(), _nums(flows["amount_m"]))]
        if "hwb_id" in flows.columns and bool(flows["hwb_id"].notna().any()):
            pools = flows.get("pool_hwb_id", pd.Series([None] * len(flows))).tolist()
            for entry, h, pool in zip(out, flows["hwb_id"].tolist(), pools):
                entry.update(hwb_id=_id(h), pool_hwb_id=_id(pool))
        return out

    def to_json(self, **kw: Any) -> str:
        """The JSON text of :meth:`to_json_dict`. Indented (2) when the answer is small;
        compact when it has more than :data:`INDENTED_ROWS` rows, because Python's json
        indents only in its pure-Python encoder (a national answer took seconds): the same
        content, written by the C encoder. Give ``indent`` to choose."""
        doc = self.to_json_dict()
        if "indent" not in kw:
            rows = len(self.allocation) + len(self.constraints) + len(self.funding_flows)
            kw["indent"] = 2 if rows <= INDENTED_ROWS else None
        return json.dumps(doc, **kw)

    # -- a lossless record, for the scenario store ----------------------------------------
    _FRAMES = ("allocation", "funding_flows", "outcomes", "constraints", "reduced_costs",
               "hwbs")

    def to_record(self) -> dict[str, Any]:
        """Every field as plain JSON types: :meth:`from_record` gives back an equal Results.

        Unlike :meth:`to_json_dict` (the contract's shape) this keeps every column of every
        table, so a stored answer can be compared, summarised and exported like a fresh one.
        """
        record: dict[str, Any] = {name: _frame_record(getattr(self, name))
                                  for name in self._FRAMES}
        record.update(
            status=self.status, solver_status=self.solver_status, objective=self.objective,
            mode=self.mode, baseline_objective=self.baseline_objective,
            infeasibility=self.infeasibility.to_json() if self.infeasibility else None,
            warnings=list(self.warnings), provenance=self.provenance, timings=self.timings,
            duals_note=self.duals_note, mip_gap=self.mip_gap, price_ranging=self.price_ranging,
            unpinned_objective=self.unpinned_objective)
        return record

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Results:
        """The Results a :meth:`to_record` record was made from (a record saved before rows
        kept their keys gets the key columns, empty)."""
        frames = {name: _frame_from_record(record[name]) for name in cls._FRAMES
                  if name in record}  # a record saved before HWBs has no hwbs frame
        con = frames["constraints"]
        if "shadow_price_down" not in con.columns:  # saved before prices had ranges
            con.insert(con.columns.get_loc("meaning") + 1, "shadow_price_down",
                       con["shadow_price"])
            con.insert(con.columns.get_loc("shadow_price_down") + 1, "holds_from", np.nan)
            con.insert(con.columns.get_loc("holds_from") + 1, "holds_to", np.nan)
        if "ranged" not in con.columns:  # saved before the ranging was capped: all ranged
            con.insert(con.columns.get_loc("holds_to") + 1, "ranged",
                       ~(con["binding"].astype(bool) & con["holds_from"].isna()
                         & con["holds_to"].isna()))
        for key in KEY_FIELDS:
            if key not in frames["constraints"].columns:
                frames["constraints"][key] = pd.Series([None] * len(frames["constraints"]),
                                                       dtype=object)
        infeas = record.get("infeasibility")
        return cls(
            status=SolveStatus(record["status"]), solver_status=record["solver_status"],
            objective=record["objective"], mode=record["mode"],
            infeasibility=None if infeas is None else Infeasibility(
                infeas["message"], tuple(Relaxation(**r) for r in infeas["relaxations"])),
            baseline_objective=record["baseline_objective"],
            warnings=tuple(record.get("warnings", ())), provenance=record.get("provenance", {}),
            timings=record.get("timings", {}), duals_note=record.get("duals_note", ""),
            price_ranging=record.get("price_ranging"),
            mip_gap=record.get("mip_gap"),
            unpinned_objective=record.get("unpinned_objective"), **frames)


def _frame_record(frame: pd.DataFrame) -> dict[str, Any]:
    """A frame as JSON types, floats exact (``json`` writes the shortest repr that round-trips)."""
    def plain(v: Any) -> Any:
        v = v.item() if hasattr(v, "item") else v
        return None if isinstance(v, float) and math.isnan(v) else v

    return {"columns": [str(c) for c in frame.columns],
            "dtypes": [str(t) for t in frame.dtypes],
            "rows": [[plain(v) for v in row] for row in frame.itertuples(index=False)]}


def _frame_from_record(record: dict[str, Any]) -> pd.DataFrame:
    frame = pd.DataFrame(record["rows"], columns=record["columns"], dtype=object)
    for col, dtype in zip(record["columns"], record["dtypes"]):
        if dtype.startswith(("float", "int", "bool")):
            frame[col] = frame[col].astype("float64" if dtype.startswith("float") else dtype)
        elif dtype == "str":
            frame[col] = frame[col].astype("str")
    return frame


def _plain(v: Any) -> Any:
    """A numpy scalar as its Python value (for the JSON)."""
    return v.item() if hasattr(v, "item") else v


def _id(v: Any) -> str | None:
    """An optional id for the JSON: None (never NaN) where blank."""
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)


def _nums(values: Any) -> list[float | None]:
    """:func:`_num` of each value of a column, in one pass."""
    return [round(v, 9) if math.isfinite(v) else None
            for v in np.asarray(values, dtype=float).tolist()]


def _num(v: Any) -> float | None:
    if v is None:
        return None
    f = float(v)
    if not math.isfinite(f):
        return None
    return round(f, 9)


def provenance(data: ModelData, overrides: Any = None) -> dict[str, Any]:
    import highspy
    import pyomo

    from budgetopt import __version__

    h = highspy.Highs  # version without building an object
    return {
        "package": "budgetopt",
        "version": __version__,
        "data_source": data.inputs.source,
        "data_hash": data.inputs.data_hash,
        "policy": data.policy.name,
        "policy_model": data.policy.model_dump(mode="json"),
        "overrides": overrides or [],
        "solver": "HiGHS",
        "solver_version": getattr(highspy, "__version__", None) or _highs_version(h),
        "pyomo_version": pyomo.version.version,
        "python_version": platform.python_version(),
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _highs_version(h: Any) -> str:
    try:
        from importlib.metadata import PackageNotFoundError, version

        return version("highspy")
    except PackageNotFoundError:  # pragma: no cover - metadata missing
        return "unknown"


def _outcomes(data: ModelData, x: np.ndarray) -> pd.DataFrame:
    co = data.coefs
    year = data.segments["year"].to_numpy()[co["col"].to_numpy()]
    frame = pd.DataFrame({"metric_id": co["metric_id"], "year": year,
                          "value": co["per_m"].to_numpy() * x[co["col"].to_numpy()]})
    return frame.groupby(["metric_id", "year"], sort=False)["value"].sum()


def outcome_table(data: ModelData, x: np.ndarray | None, base_x: np.ndarray) -> pd.DataFrame:
    met = data.inputs.metrics
    keys = pd.MultiIndex.from_product([met["metric_id"], list(data.years)],
                                      names=["metric_id", "year"])
    base = _outcomes(data, base_x).reindex(keys, fill_value=0.0)
    value = _outcomes(data, x).reindex(keys, fill_value=0.0) if x is not None else base * np.nan
    out = pd.DataFrame({"value": value, "baseline_value": base}).reset_index()
    out["change"] = out["value"] - out["baseline_value"]
    out = out.merge(met[["metric_id", "name", "unit", "weight"]], on="metric_id", how="left")
    out["weighted_value"] = out["value"] * out["weight"]
    return out[["metric_id", "name", "unit", "year", "value", "baseline_value", "change",
                "weight", "weighted_value"]]


def allocation_table(data: ModelData, x: np.ndarray | None) -> pd.DataFrame:
    seg = data.segments
    key = ["service_id", "place_id", "year"]
    spend = seg[key].assign(spend_m=x if x is not None else np.nan)
    spend = spend.groupby(key, sort=False, dropna=False)["spend_m"].sum(min_count=1)
    base = data.baseline.groupby(key, sort=False, dropna=False)["amount_m"].sum()
    alloc = spend.reset_index().merge(base.rename("baseline_m").reset_index(), on=key,
                                      how="left")
    alloc["baseline_m"] = alloc["baseline_m"].fillna(0.0)
    alloc["change_m"] = alloc["spend_m"] - alloc["baseline_m"]
    svc = data.inputs.services[["service_id", "name", "sector"]]
    alloc = alloc.merge(svc, on="service_id", how="left")
    alloc["place_id"] = alloc["place_id"].astype(object).where(alloc["place_id"] != ICS_WIDE, None)
    return alloc[["service_id", "name", "sector", "place_id", "year", "spend_m", "baseline_m",
                  "change_m"]]


CONSTRAINT_COLUMNS = ["name", "family", "component", "sense", "limit", "activity", "unit",
                      "binding", "shadow_price", "meaning", "shadow_price_down", "holds_from",
                      "holds_to", "ranged"]
"""The constraints frame's columns before the keys: one column per key follows (every one of
:data:`KEY_FIELDS`, then any other key a row has, such as an analysis's ``sample``)."""


def constraint_table(compiled: Compiled, outcome: SolveOutcome, mode: str,
                     effect: Callable[[float], str] | None = None,
                     ranges: PriceRanges | None = None) -> pd.DataFrame:
    """One row per reported constraint row: its limit, activity, shadow price and what the
    price means (`effect` words a change of the objective, for an analysis whose objective is
    not the policy's), the one-sided prices and their range (from `ranges`, see
    :mod:`budgetopt.solve.ranging`), then its keys: the row's coordinates as ids, None where
    they do not apply. Select rows by ``family``, ``component`` and keys, never by name."""
    rows, keys = [], []
    for r, info in enumerate(compiled.rows):
        if info.report:
            rows.append(describe_row(compiled, outcome, r, mode, effect, ranges))
            keys.append(info.keys)
    frame = pd.DataFrame(rows, columns=CONSTRAINT_COLUMNS)
    extra = dict.fromkeys(k for row in keys for k in row if k not in KEY_FIELDS)
    for key in (*KEY_FIELDS, *extra):
        frame[key] = pd.Series([row.get(key) for row in keys], dtype=object)
    return frame


def binding_rows(compiled: Compiled, outcome: SolveOutcome) -> np.ndarray:
    """Numbers of the reported rows at their limit in `outcome`."""
    if outcome.row_value is None:
        return np.zeros(0, dtype=np.int64)
    limit = np.where([info.sense == "<=" for info in compiled.rows], compiled.row_upper,
                     compiled.row_lower)
    report = np.array([info.report for info in compiled.rows], dtype=bool)
    near = np.abs(outcome.row_value - limit) <= BINDING_TOL * np.maximum(1.0, np.abs(limit))
    return np.flatnonzero(near & report & np.isfinite(limit))


def describe_row(compiled: Compiled, outcome: SolveOutcome, r: int, mode: str,
                 effect: Callable[[float], str] | None = None,
                 ranges: PriceRanges | None = None) -> tuple:
    """Row `r` as the constraints frame's columns (:data:`CONSTRAINT_COLUMNS`)."""
    info = compiled.rows[r]
    limit = compiled.row_upper[r] if info.sense == "<=" else compiled.row_lower[r]
    activity = outcome.row_value[r] if outcome.row_value is not None else np.nan
    dual = outcome.row_dual[r] if outcome.row_dual is not None else np.nan
    at_limit = bool(abs(activity - limit) <= BINDING_TOL * max(1.0, abs(limit)))
    shadow = float(dual) / info.scale if np.isfinite(dual) else np.nan
    down, lo, hi = shadow, np.nan, np.nan
    ranged = not at_limit and np.isfinite(activity)
    capped = False  # a kink the ranging did not re-solve (the price_ranging setting's cap)
    if ranged:  # the price 0 holds until the limit meets it
        lo, hi = (activity, np.inf) if info.sense == "<=" else (-np.inf, activity)
        down = shadow = 0.0 if np.isfinite(shadow) else shadow
    elif ranges is not None and not ranges.exact[r]:
        capped = True
    elif ranges is not None and not np.isnan([ranges.up[r], ranges.down[r], ranges.lower[r],
                                              ranges.upper[r]]).all():  # a ranged row
        shadow, down = ranges.up[r] / info.scale, ranges.down[r] / info.scale
        lo, hi = ranges.lower[r], ranges.upper[r]
        ranged = True
    if not np.isfinite(dual):
        meaning = "No shadow price: the model was not solved to optimality."
    elif capped:
        meaning = shadow_sentence(info, shadow, at_limit, mode, effect).rstrip(".") + "." + \
            NOT_RANGED
    elif not np.isnan(lo + hi) or ranges is not None:
        meaning = shadow_sentence(info, shadow, at_limit, mode, effect, down=down,
                                  limit=limit * info.scale, holds_from=lo * info.scale,
                                  holds_to=hi * info.scale)
    else:
        meaning = shadow_sentence(info, shadow, at_limit, mode, effect)
    return (info.name, info.family, info.component, info.sense, limit * info.scale,
            activity * info.scale, info.unit, at_limit, shadow, meaning, down,
            lo * info.scale, hi * info.scale, ranged)


NOT_RANGED = (" Not ranged: how far this holds, and whether a fall is worth the same, was not "
              "worked out (solver.price_ranging: full works it out at any size).")
"""The words a binding row's meaning ends with where its kink was not re-solved."""


def key_columns(constraints: pd.DataFrame) -> list[str]:
    """The key columns of a constraints frame, in order."""
    return [c for c in constraints.columns if c not in CONSTRAINT_COLUMNS]


def row_keys(constraints: pd.DataFrame) -> list[dict[str, str]]:
    """Each row's keys as a dict of the keys that apply (the JSON's ``keys``)."""
    cols = key_columns(constraints)
    return [{k: v for k, v in zip(cols, values) if v is not None and pd.notna(v)}
            for values in constraints[cols].itertuples(index=False, name=None)]


def reduced_cost_table(data: ModelData, compiled: Compiled, outcome: SolveOutcome,
                       ranges: PriceRanges | None = None) -> pd.DataFrame:
    """Per service and year: how much more effective it would need to be to get more money.

    Read from the reduced cost of the service's best segment that still has room. In a
    maximisation that reduced cost is ≤ 0 for a segment the optimiser leaves empty; its size is
    the extra weighted outcome per £1m the segment would need to be worth funding. With
    `ranges` (maximising), ``holds_to_per_m`` is the outcome per £1m of that segment up to
    which the plan stays the same (HiGHS's cost ranging), ``per_m`` what it buys today.
    """
    cols = ["service_id", "name", "year", "needs_per_m", "relative", "meaning", "per_m",
            "holds_to_per_m"]
    if outcome.col_dual is None or outcome.col_value is None:
        return pd.DataFrame(columns=cols)
    seg = data.segments
    xcols = compiled.columns(compiled.model.x)
    rc = outcome.col_dual[xcols]
    x = outcome.col_value[xcols]
    room = x < seg["width_m"].to_numpy() - 1e-7
    sign = 1.0 if compiled.maximise else -1.0
    up = (ranges.cost_up[xcols] if ranges is not None and ranges.cost_up is not None
          and compiled.maximise else np.full(len(xcols), np.nan))
    frame = seg[["service_id", "year"]].assign(rc=sign * rc, room=room,
                                               c=objective_coefficients(data), up=up)
    frame = frame[frame["room"]]
    best = frame.sort_values("rc", ascending=False).groupby(["service_id", "year"],
                                                           sort=False).head(1)
    best = best[best["rc"] < -1e-7]
    names = names_by_id(data.inputs.services, "service_id")
    out = []
    for sid, year, r, c, u in best[["service_id", "year", "rc", "c", "up"]].itertuples(
            index=False):
        needs = -r
        rel = needs / (c * sign) if data.policy.objective == "max_outcome" and c > 1e-12 else None
        holds = float(u) if np.isfinite(u) else np.nan
        out.append((sid, names[sid], year, needs, rel,
                    reduced_cost_sentence(names[sid], year, needs, rel, data.policy.objective,
                                          per_m=c, holds_to=holds), c, holds))
    order = {s: i for i, s in enumerate(data.inputs.service_ids)}
    res = pd.DataFrame(out, columns=cols)
    return res.sort_values(["year", "service_id"], key=lambda s: s.map(order) if s.name ==
                           "service_id" else s).reset_index(drop=True)


FLOW_COLUMNS = ["source_id", "service_id", "year", "amount_m", "hwb_id", "pool_hwb_id"]
"""The funding flows frame: ``hwb_id`` is the HWB whose places the money pays for (None: no
HWB), ``pool_hwb_id`` the HWB pool the money is in (None: ICS-wide money)."""


def flow_table(data: ModelData, compiled: Compiled, x: np.ndarray | None) -> pd.DataFrame:
    flows = data.flows.copy()
    if x is None:
        flows["amount_m"] = np.nan
    else:
        m = compiled.model  # a flow that alone pays for a spend is that spend (Flows)
        flows["amount_m"] = m.flows.values(x[compiled.columns(m.x)], x[compiled.columns(m.flow)])
    flows = flows[flows["amount_m"].abs() > 1e-9] if x is not None else flows
    pool = {(s, y): h for s, y, h in zip(data.funding["source_id"], data.funding["year"],
                                          data.funding["hwb_id"])}
    flows = flows.assign(
        hwb_id=pd.Series([h or None for h in flows["hwb_id"]], index=flows.index,
                         dtype=object),
        pool_hwb_id=pd.Series([pool.get((s, y)) or None for s, y in zip(flows["source_id"],
                                                                         flows["year"])],
                              index=flows.index, dtype=object))
    return flows[FLOW_COLUMNS].astype({"hwb_id": object, "pool_hwb_id": object}
                                      ).reset_index(drop=True)


HWB_RESULT_COLUMNS: list[str] = [
    "hwb_id", "name", "year", "income_m", "from_pool_m", "from_ics_wide_m",
    "spend_m", "baseline_m", "unspent_m", "capital_m", "capital_to_districts"]
"""Results per Health and Wellbeing Board and year (£m): its pool's income, what its places
spend from its pool and from ICS-wide money, their total spend and baseline, what its pool
leaves unspent, and its capital spend (the Disabled Facilities Grant: the capital streams of
the BCF rule set, else sources whose bcf_source is DFG), passed to the district councils
where the HWB is two-tier (``hwbs.two_tier``)."""

CAPITAL_SOURCES = ("DFG",)
"""BCF sources of funding that are capital when no rule set says (the DFG)."""


def hwb_result_table(data: ModelData, allocation: pd.DataFrame, flows: pd.DataFrame
                     ) -> pd.DataFrame:
    """One row per HWB and year (:data:`HWB_RESULT_COLUMNS`); empty without HWBs."""
    hwbs = data.inputs.hwb_table()
    if hwbs.empty:
        return pd.DataFrame(columns=HWB_RESULT_COLUMNS)
    place_hwb = data.inputs.hwb_of_place()
    alloc = allocation.assign(hwb=allocation["place_id"].map(place_hwb))
    spent = alloc.groupby(["hwb", "year"])[["spend_m", "baseline_m"]].sum()
    fund = data.funding[data.funding["hwb_id"] != ""]
    income = fund.groupby(["hwb_id", "year"])["amount_m"].sum()
    own = flows[flows["pool_hwb_id"].notna()].groupby(["pool_hwb_id", "year"])[
        "amount_m"].sum()
    wide = flows[flows["pool_hwb_id"].isna() & flows["hwb_id"].notna()].groupby(
        ["hwb_id", "year"])["amount_m"].sum()
    capital = _capital_sources(data)
    cap = flows[flows["source_id"].isin(capital) & flows["hwb_id"].notna()].groupby(
        ["hwb_id", "year"])["amount_m"].sum()
    # each sum as a dict once: a lookup per HWB and year in a MultiIndex is slow (this table is
    # made on every solve)
    income_of, own_of, wide_of, cap_of = (s.to_dict() for s in (income, own, wide, cap))
    spend_of, base_of = spent["spend_m"].to_dict(), spent["baseline_m"].to_dict()
    rows = []
    for h, name, two_tier in zip(hwbs["hwb_id"], hwbs["name"], hwbs["two_tier"]):
        for y in data.years:
            inc = float(income_of.get((h, y), 0.0))
            mine = float(own_of.get((h, y), 0.0))
            rows.append((h, name, y, inc, mine, float(wide_of.get((h, y), 0.0)),
                         float(spend_of.get((h, y), 0.0)), float(base_of.get((h, y), 0.0)),
                         0.0 if abs(inc - mine) < 1e-9 else inc - mine,
                         float(cap_of.get((h, y), 0.0)), bool(two_tier)))
    return pd.DataFrame(rows, columns=HWB_RESULT_COLUMNS)


def _capital_sources(data: ModelData) -> set[str]:
    """The funding sources that are capital grants."""
    from budgetopt.families.bcf_rules import rule_set

    kinds = (rule_set(data.policy.bcf.rules).capital_sources if data.policy.bcf.rules
             else CAPITAL_SOURCES)
    fund = data.inputs.funding
    return set(fund.loc[fund["bcf_source"].isin(kinds), "source_id"])


def baseline_segments(data: ModelData) -> np.ndarray:
    return data.baseline_segments()


def make_results(data: ModelData, compiled: Compiled, outcome: SolveOutcome,
                 infeasibility: Infeasibility | None = None, warnings: tuple[str, ...] = (),
                 overrides: Any = None, timings: dict[str, float] | None = None,
                 ranges: PriceRanges | None = None,
                 unpinned_objective: float | None = None) -> Results:
    x_all = outcome.col_value
    x = x_all[compiled.columns(compiled.model.x)] if x_all is not None else None
    base_x = baseline_segments(data)
    c = objective_coefficients(data)
    allocation = allocation_table(data, x)
    flows = flow_table(data, compiled, x_all)
    warnings = tuple(warnings) + low_certainty_flags(data.inputs, allocation)
    return Results(
        status=outcome.status,
        solver_status=outcome.solver_status,
        objective=outcome.objective,
        mode=data.policy.objective,
        allocation=allocation,
        funding_flows=flows,
        hwbs=hwb_result_table(data, allocation, flows),
        outcomes=outcome_table(data, x, base_x),
        constraints=constraint_table(compiled, outcome, data.policy.objective, ranges=ranges),
        reduced_costs=reduced_cost_table(data, compiled, outcome, ranges),
        infeasibility=infeasibility,
        baseline_objective=float(c @ base_x),
        warnings=tuple(warnings),
        provenance=provenance(data, overrides),
        timings=dict(timings or {}),
        duals_note=outcome.duals_note,
        price_ranging=ranges.summary() if ranges is not None else None,
        mip_gap=outcome.mip_gap,
        unpinned_objective=unpinned_objective,
    )
