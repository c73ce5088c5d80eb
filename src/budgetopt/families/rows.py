"""The one door for constraint rows: plain-English names, families, units and keys.

Every constraint in a budgetopt model is added through :func:`add_rows`, which

- creates an indexed Pyomo ``Constraint`` whose limit is a mutable ``Param`` (so sweeps change
  limits and re-solve without rebuilding),
- takes its documentation from the catalogue (``catalogue.yaml``), so the model and the
  explanations cannot drift apart, and
- records a :class:`RowInfo` per row (family, name, sense, unit, the words of its sentences
  and its keys) in ``model.row_info``, in the order the solver sees the rows.

Bodies are linear expressions built with :func:`linear` (no per-term Python overhead beyond
one monomial per term).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, Literal

import pyomo.environ as pyo
import yaml
from pyomo.core.expr.numeric_expr import LinearExpression, MonomialTermExpression

Sense = Literal["<=", ">=", "=="]


@dataclass(frozen=True)
class RowInfo:
    """What one constraint row means."""

    component: str  # Pyomo component name, a catalogue key
    index: Hashable  # Pyomo index of the row
    family: str  # MODEL.md family: money, bounds, workforce, ...
    name: str  # plain English, unique in the model
    sense: Sense
    unit: str  # unit of the limit: "£m", "WTE", "percentage points", ...
    labels: dict[str, Any] = field(default_factory=dict)  # words for sentences: {service}, ...
    relaxable: bool = True  # may the elastic model relax it?
    report: bool = True  # listed among the results' constraints?
    scale: float = 1.0  # limit units per model unit (e.g. 100 for shares in %)
    keys: dict[str, str] = field(default_factory=dict)  # coordinates: service_id, year, ...


KEY_FIELDS = ("service_id", "place_id", "year", "source_id", "group_id", "metric_id",
              "sector_group_id", "hwb_id", "band")
"""The coordinates a row may have, as ids (never its English name): results, the workbook,
the comparison and tests find rows by these. ``group_id`` is a workforce group,
``sector_group_id`` a sector-share group (its sectors joined by '+', with '@system' for a share
of the system), ``band`` a curve segment's number (the mixed-integer band order)."""


KNOWN_KEYS = frozenset(KEY_FIELDS)


@cache
def _catalogue_file() -> dict[str, dict[str, dict[str, str]]]:
    text = resources.files("budgetopt").joinpath("catalogue.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def catalogue() -> dict[str, dict[str, str]]:
    """Catalogue entries per constraint component: title, meaning, unit, dual reading."""
    return _catalogue_file()["constraints"]


def family_catalogue() -> dict[str, dict[str, str]]:
    """Catalogue entries per constraint family (policy rule): title and a one-line help."""
    return _catalogue_file()["families"]


def linear(terms: Iterable[tuple[float, Any]]) -> LinearExpression:
    """Sum of coefficient × variable pairs as one Pyomo LinearExpression.

    A unit coefficient is the variable itself (no monomial object): most rows are sums of
    spends, and this is the cheapest expression Pyomo builds (PERF-NOTES.md). A variable that
    appears more than once (a place's spend less a share of the total it is part of) appears
    once with its coefficients added, so the row compiles by the fast route.
    """
    pairs = [(c, v) for c, v in terms if c]
    if len({id(v) for _, v in pairs}) != len(pairs):
        merged: dict[int, list] = {}
        for c, v in pairs:
            if (entry := merged.get(id(v))) is None:
                merged[id(v)] = [c, v]
            else:
                entry[0] += c
        pairs = [(c, v) for c, v in merged.values() if c]
    return LinearExpression([v if c == 1.0 else MonomialTermExpression((float(c), v))
                             for c, v in pairs])


def unit_sum(variables: Iterable[Any]) -> LinearExpression:
    """Σ variables (every coefficient 1) as one Pyomo LinearExpression: the cheapest build."""
    return LinearExpression(list(variables))


def add_rows(
    m: pyo.ConcreteModel,
    component: str,
    family: str,
    index: Sequence[Hashable],
    body: Callable[[Hashable], LinearExpression | None],
    sense: Sense,
    limit: Mapping[Hashable, float],
    name: Callable[[Hashable], str],
    labels: Callable[[Hashable], dict[str, Any]] | None = None,
    *,
    keys: Callable[[Hashable], dict[str, str]] | None = None,
    relaxable: bool = True,
    report: bool = True,
    scale: float = 1.0,
) -> None:
    """Add one indexed constraint ``body[i] (sense) limit[i]`` for i in `index`.

    A row whose body is ``None`` (nothing to constrain) is skipped. `component` must have a
    catalogue entry. `labels` gives the words its sentences are filled with (names, the year),
    `keys` its coordinates as ids (fields of :data:`KEY_FIELDS`; none for a row that has no
    coordinates, such as an analysis's single row).
    """
    entry = catalogue().get(component)
    if entry is None:
        raise KeyError(f"constraint component {component!r} has no catalogue entry")
    bodies = {i: body(i) for i in index}
    keep = [i for i in index if bodies[i] is not None and len(bodies[i].args) > 0]
    limit_param = pyo.Param(keep, mutable=True, initialize={i: float(limit[i]) for i in keep},
                            doc=f"limit of {component}")
    m.add_component(f"{component}_limit", limit_param)

    def rule(_m: pyo.ConcreteModel, *i: Hashable) -> Any:
        key = i[0] if len(i) == 1 else i
        if sense == "<=":
            return bodies[key] <= limit_param[key]
        if sense == ">=":
            return bodies[key] >= limit_param[key]
        return bodies[key] == limit_param[key]

    con = pyo.Constraint(keep, rule=rule, doc=entry["title"])
    m.add_component(component, con)
    unit = entry.get("unit", "")
    for i in keep:
        words = labels(i) if labels else {}
        coords = keys(i) if keys else {}
        if not coords.keys() <= KNOWN_KEYS:
            raise KeyError(f"{component}: keys {sorted(coords.keys() - KNOWN_KEYS)} are not "
                           f"among {KEY_FIELDS}")
        m.row_info.append(RowInfo(component, i, family, name(i), sense, unit, words, relaxable,
                                  report, scale, coords))
