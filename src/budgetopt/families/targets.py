"""Outcome targets: a metric's outcome in a year at least (or at most) a stated value.

.. math::

    O[m,y] ≥ T_min[m,y]          (targets_min)
    O[m,y] ≤ T_max[m,y]          (targets_max)

A target without a year applies in every planning year. A target with an ``hwb`` is on the
outcome bought in that Health and Wellbeing Board's places only (each HWB's BCF goals). In ``min_cost`` mode these are what
the spend must buy; in ``max_outcome`` mode they are side constraints.

=========  ==========================================================  ========
symbol     meaning                                                      unit
=========  ==========================================================  ========
T_min[m,y] the least outcome of metric m in year y (``items[].min``)    unit
T_max[m,y] the most (``items[].max``)                                   unit
=========  ==========================================================  ========
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field, model_validator

from budgetopt.errors import Problem
from budgetopt.families.common import Params, hwb_names, problem, unknown_year
from budgetopt.families.family import Family
from budgetopt.families.rows import add_rows, linear

if TYPE_CHECKING:
    import pyomo.environ as pyo

    from budgetopt.model.data import ModelData


class Target(Params):
    metric: str
    year: str | None = Field(None, description="Year label; blank = every year.")
    hwb: str | None = Field(None, description="Health and Wellbeing Board: the outcome in its "
                            "places only. Blank = the whole ICS.")
    min: float | None = Field(None, description="Outcome at least this (metric's units).")
    max: float | None = Field(None, description="Outcome at most this.")

    @model_validator(mode="after")
    def _one_side(self) -> Target:
        if self.min is None and self.max is None:
            raise ValueError("a target needs min or max")
        return self


class TargetsRule(Params):
    """Outcome targets: a metric's outcome at least (or at most) a stated value."""

    enabled: bool = True
    items: list[Target] = Field(default_factory=list)


SIDES: tuple[tuple[str, str, Literal[">=", "<="], str], ...] = (
    ("targets_min", "min", ">=", "at least"), ("targets_max", "max", "<=", "at most"))
"""(component, parameter, sense, words) of each side."""


def _limits(data: ModelData) -> dict[str, dict[tuple[str, str, str], float]]:
    """{component: {(metric, year, hwb or ""): target}}; a later item replaces an earlier
    one."""
    out: dict[str, dict[tuple[str, str, str], float]] = {}
    for component, side, _, _ in SIDES:
        limit = {}
        for t in data.policy.rules.targets.items:
            value = getattr(t, side)
            if value is not None:
                for y in ([t.year] if t.year else data.years):
                    limit[(t.metric, y, t.hwb or "")] = float(value)
        out[component] = limit
    return out


def goals(data: ModelData) -> dict[tuple[str, str, str], list[tuple[str, float]]]:
    """Each target as ``{(metric, year, hwb or ""): [(sense, value), ...]}`` (sense ``>=`` for
    a min, ``<=`` for a max): the goals the BCF plans show beside each metric."""
    out: dict[tuple[str, str, str], list[tuple[str, float]]] = {}
    if not data.policy.enabled("targets"):
        return out
    for component, _, sense, _ in SIDES:
        for key, value in _limits(data)[component].items():
            out.setdefault(key, []).append((sense, value))
    return out


def _hwb_outcome(m: pyo.ConcreteModel, data: ModelData) -> dict[tuple[str, str, str], list]:
    """(m, y, h) -> [(a[j,m], x[j])] over the segments in HWB h's places."""
    from collections import defaultdict

    xs = list(m.x.values())
    seg = data.segments
    years, hwbs = seg["year"].tolist(), seg["hwb_id"].tolist()
    co = data.coefs
    out: dict[tuple[str, str, str], list] = defaultdict(list)
    for col, metric, per_m in zip(co["col"].tolist(), co["metric_id"].tolist(),
                                  co["per_m"].tolist()):
        if per_m and hwbs[col]:
            out[(metric, years[col], hwbs[col])].append((float(per_m), xs[col]))
    return out


def check(data: ModelData) -> list[Problem]:
    """Each target names a metric and a planning year, and some service's curve buys it."""
    items = data.policy.rules.targets.items
    metrics = set(data.inputs.metrics["metric_id"])
    problems = []
    for i, t in enumerate(items):
        where = f"rules.targets.items[{i}]"
        if t.metric not in metrics:
            problems.append(problem(f"{where}.metric", f"unknown metric {t.metric!r}"))
        problems += unknown_year(data, f"{where}.year", t.year)
        if t.hwb is not None and t.hwb not in data.inputs.hwb_ids:
            known = ", ".join(data.inputs.hwb_ids) or "none: the data set has no hwb_id"
            problems.append(problem(f"{where}.hwb", f"{t.hwb!r} is not a Health and Wellbeing "
                                    f"Board (the HWBs: {known})"))
    if problems or not items:
        return problems
    year_of = data.segments["year"].to_numpy()
    co = data.coefs[data.coefs["per_m"] != 0]
    bought = set(zip(co["metric_id"], year_of[co["col"].to_numpy()]))
    for i, t in enumerate(items):
        missing = [y for y in ([t.year] if t.year else data.years) if (t.metric, y) not in bought]
        if missing:
            problems.append(problem(f"rules.targets.items[{i}]", f"target on {t.metric} in "
                                    f"{', '.join(missing)}: no service has a curve for this "
                                    "metric"))
    return problems


def add(m: pyo.ConcreteModel, data: ModelData) -> None:
    metrics = data.inputs.metrics.set_index("metric_id")
    limits = _limits(data)
    by_hwb = _hwb_outcome(m, data) if any(k[2] for lim in limits.values() for k in lim) else {}
    hwbs = hwb_names(data)

    def terms(k: tuple[str, str, str]) -> list:
        return by_hwb.get(k, []) if k[2] else m.terms.outcome.get(k[:2], [])

    def where(k: tuple[str, str, str]) -> str:
        return f" in {hwbs[k[2]]}" if k[2] else ""

    def side(component: str, sense: Literal[">=", "<="], words: str) -> None:
        limit = limits[component]
        add_rows(
            m, component, "targets", list(limit),
            body=lambda k: linear(terms(k)) if terms(k) else None,
            sense=sense, limit=limit,
            name=lambda k:
                f"{metrics.at[k[0], 'name']}{where(k)} in {k[1]} {words} {limit[k]:,.1f} "
                f"{metrics.at[k[0], 'unit']}",
            labels=lambda k: {"metric": metrics.at[k[0], "name"] + where(k), "year": k[1],
                              "metric_unit": metrics.at[k[0], "unit"]},
            keys=lambda k: {"metric_id": k[0], "year": k[1],
                            **({"hwb_id": k[2]} if k[2] else {})},
        )

    for component, _, sense, words in SIDES:
        side(component, sense, words)


FAMILY = Family("targets", TargetsRule, TargetsRule(), ("targets_min", "targets_max"), add=add,
                check=check)
