"""Pinned lines: spend a person fixes, whatever the model would say (the policy's ``pins:``).

.. math::

    S[s,y] = Π[s,y]   ∀ pins (s, Π, y) without a place            (pins)
    S[s,p,y] = Π[s,p,y] ∀ pins (s, Π, y, p) with a place p          (pins)

A pin without a year applies in every planning year. Its shadow price is what one more £1m
on the pinned line does to the objective (a pin above the optimum's spend has a negative
one: it costs), with the fall value beside it (MODEL.md, "Shadow prices that hold"). A pin
that cannot be met with the other rules is reported like any conflict, with the smallest
relaxation (the pin moved by £Xm) as the advice.

=========  ==========================================================  ========
symbol     meaning                                                      unit
=========  ==========================================================  ========
Π[s,y]     the spend a pin fixes (``pins[i].spend_m``)                  £m
=========  ==========================================================  ========
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field, field_validator

from budgetopt.errors import Problem
from budgetopt.families.bounds import service_bounds
from budgetopt.families.common import (
    Params,
    fmt_m,
    names_by_id,
    problem,
    service_names,
    unknown_year,
)
from budgetopt.families.family import Family
from budgetopt.families.rows import add_rows, unit_sum

if TYPE_CHECKING:
    import pyomo.environ as pyo
    from pyomo.core.expr.numeric_expr import LinearExpression

    from budgetopt.model.data import ModelData


class Pin(Params):
    """Fix one line's spend: a service in a year (blank: every year), in a place (blank: the
    service's total)."""

    service_id: str = Field(description="The service whose spend is fixed.")
    spend_m: float = Field(ge=0.0, description="The spend it is fixed at (£m a year).")
    year: str | None = Field(None, description="The year (blank: every planning year).")
    place_id: str | None = Field(None, description="The place (blank: the service's total).")

    @field_validator("year", "place_id", "service_id", mode="before")
    @classmethod
    def _label(cls, v: Any) -> Any:  # YAML reads `year: 2026` as a number
        return str(v) if isinstance(v, int | float) and not isinstance(v, bool) else v


def pinned_rows(data: ModelData) -> list[tuple[int, str, str, str | None, float]]:
    """(pin number, service, year, place or None, £m) of every row the pins make."""
    out = []
    for i, pin in enumerate(data.policy.pins):
        years = data.years if pin.year is None else (pin.year,)
        out += [(i, pin.service_id, y, pin.place_id, pin.spend_m) for y in years]
    return out


def check(data: ModelData) -> list[Problem]:
    """Unknown services, places and years; a place pin without places; a line pinned twice."""
    out = []
    services = set(data.inputs.service_ids)
    places = set(data.inputs.places["place_id"]) if data.inputs.has_places else set()
    seen: dict[tuple, int] = {}
    for i, pin in enumerate(data.policy.pins):
        key = f"pins[{i}]"
        if pin.service_id not in services:
            out.append(problem(f"{key}.service_id", f"{pin.service_id!r} is not a service"))
        out += unknown_year(data, f"{key}.year", pin.year)
        if pin.place_id is not None and pin.place_id not in places:
            out.append(problem(f"{key}.place_id", f"{pin.place_id!r} is not a place" + (
                "" if places else " (the data set has no places table)")))
        for y in (data.years if pin.year is None else (pin.year,)):
            line = (pin.service_id, y, pin.place_id)
            if line in seen:
                out.append(problem(key, f"pins {pin.service_id} in {y} again (pins[{seen[line]}]"
                                   " already does)"))
            seen.setdefault(line, i)
    return out


def _where(data: ModelData, place: str | None) -> str:
    if place is None:
        return ""
    return f" in {names_by_id(data.inputs.places, 'place_id').get(place, place)}"


def add(m: pyo.ConcreteModel, data: ModelData) -> None:
    names = service_names(data)
    rows = pinned_rows(data)
    index = list(range(len(rows)))

    def body(k: int) -> LinearExpression:
        _, s, y, p, _ = rows[k]
        return unit_sum(m.terms.spend[(s, y)] if p is None
                        else m.terms.spend_place.get((s, p, y), ()))

    add_rows(m, "pins", "pins", index, body=body, sense="==",
             limit={k: rows[k][4] for k in index},
             name=lambda k: f"Pin: {names[rows[k][1]]}{_where(data, rows[k][3])} in "
                            f"{rows[k][2]} at {fmt_m(rows[k][4])}",
             labels=lambda k: {"service": names[rows[k][1]], "year": rows[k][2],
                               "where": _where(data, rows[k][3])},
             keys=lambda k: _keys(*rows[k][1:4]))


def _keys(service: str, year: str, place: str | None) -> dict[str, str]:
    """A pin row's keys: its place's only where it has one."""
    keys = {"service_id": service, "year": year}
    if place is not None:
        keys["place_id"] = place
    return keys


def presolve(data: ModelData) -> list[str]:
    """A pin outside its service's minimum and maximum."""
    lo, hi = service_bounds(data.inputs, data.policy)
    names = service_names(data)
    out = []
    for _, s, y, p, v in pinned_rows(data):
        if p is None and (v < lo.get(s, 0.0) - 1e-9 or v > hi.get(s, float("inf")) + 1e-9):
            out.append(f"The pin of {names.get(s, s)} in {y} at {fmt_m(v)} is outside its "
                       f"minimum ({fmt_m(lo[s])}) and maximum.")
    return out


FAMILY = Family("pins", None, None, ("pins",), add=add, check=check, presolve=presolve,
                applies=lambda data: bool(data.policy.pins))
