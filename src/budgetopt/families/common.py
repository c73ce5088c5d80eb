"""What the constraint families share: the parameters' base class, year values, the spend of a
group of services, and the checks of ids a policy names.

Nothing here knows any one family. The symbols are those of :mod:`budgetopt.families`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Annotated, Any, Literal, overload

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from budgetopt.data.schema import SECTORS
from budgetopt.errors import Problem

if TYPE_CHECKING:
    import pyomo.environ as pyo

    from budgetopt.model.data import ModelData

WHERE = "policy model"
"""Where a policy problem is: the policy model (its key path leads the message)."""


class Params(BaseModel):
    """Base of every parameter class: unknown keys are errors, values are frozen, and a
    number must be finite (``budget_m: .inf`` is refused, not "solved within £infm")."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Switch(Params):
    """A family with no parameters but its switch."""

    enabled: bool = True


def _keys_to_str(value: Any) -> Any:
    """YAML reads ``2026: 12.0`` with an integer key; year labels are strings."""
    if isinstance(value, dict):
        return {str(k): v for k, v in value.items()}
    return value


YearMap = Annotated[dict[str, float], BeforeValidator(_keys_to_str)]
YearValue = float | YearMap  # one value for every planning year, or {year: value}


@overload
def year_value(value: Any, year: str, default: float) -> float: ...
@overload
def year_value(value: Any, year: str, default: None = None) -> float | None: ...
def year_value(value: Any, year: str, default: float | None = None) -> float | None:
    """A policy value given once for every year or as {year: value} (`default`: when it is
    blank, or has no value for `year`)."""
    if value is None:
        return default
    if isinstance(value, dict):
        return float(value[year]) if year in value else default
    return float(value)


def fmt_m(value: float) -> str:
    """£m with one decimal, as finance leads write it: £12.3m."""
    return f"£{value:,.1f}m"


PENCE_BELOW_M = 0.05
"""An amount of money under this (£m) reads £0.0m with one decimal: it is written in pounds
and pence instead."""


def _pounds(value_m: float) -> str:
    sign = "−" if value_m < 0 and round(abs(value_m) * 1e6, 2) > 0 else ""
    return f"{sign}£{abs(value_m) * 1e6:,.2f}"


def money(value_m: float) -> str:
    """An amount of money given in £m, for a message: £12.3m as finance leads write it, but in
    pounds and pence where one decimal of £m would hide it (£0.50, £4,999.99).

    >>> money(12.34), money(5e-07), money(0.0123), money(0.0)
    ('£12.3m', '£0.50', '£12,300.00', '£0.0m')
    """
    if value_m != 0 and abs(value_m) < PENCE_BELOW_M:
        return _pounds(value_m)
    return fmt_m(value_m)


def money_size(value_m: float) -> str:
    """How much an amount of money (£m) is, for a sentence about a margin or a range, where
    its size matters and its last pennies do not: £12.3m from £0.1m, £k with one decimal from
    £1,000, whole pounds from £1, pence below (as :func:`money`, never £0.000m).

    >>> money_size(12.34), money_size(0.0341), money_size(0.00014237), money_size(5e-07)
    ('£12.3m', '£34.1k', '£142', '£0.50')
    """
    v = abs(value_m)
    sign = "−" if value_m < 0 and round(v * 1e6, 2) > 0 else ""
    if v >= 0.1:
        return fmt_m(value_m)
    if v >= 0.001:
        return f"{sign}£{v * 1e3:,.1f}k"
    if v >= 1e-6:
        return f"{sign}£{v * 1e6:,.0f}"
    return _pounds(value_m)


def money_against(a_m: float, b_m: float) -> tuple[str, str]:
    """Two amounts (£m) set against each other in a message: as :func:`money`, unless that
    would show them equal while they differ by a penny or more; then both in pounds and pence.

    >>> money_against(10.00000005, 10.0)
    ('£10,000,000.05', '£10,000,000.00')
    >>> money_against(12.0, 10.0)
    ('£12.0m', '£10.0m')
    """
    a, b = money(a_m), money(b_m)
    if a == b and round(a_m * 1e6, 2) != round(b_m * 1e6, 2):
        return _pounds(a_m), _pounds(b_m)
    return a, b


def names_by_id(frame, key: str) -> dict[str, str]:
    """Each id's name in a table with an id column `key` and a ``name`` column."""
    return dict(zip(frame[key].tolist(), frame["name"].tolist()))


def service_names(data: ModelData) -> dict[str, str]:
    return names_by_id(data.inputs.services, "service_id")


def hwb_names(data: ModelData) -> dict[str, str]:
    """Each HWB's name (the hwbs table's, else its id) by id; ICS_WIDE ("") reads "places
    with no HWB"."""
    names = names_by_id(data.inputs.hwb_table(), "hwb_id")
    return {"": "places with no HWB", **names}


def sector_services(data: ModelData, sectors: Iterable[str]) -> list[str]:
    """The services of the given sectors, in the services table's order."""
    svc = data.inputs.services
    return list(svc.loc[svc["sector"].isin(set(sectors)), "service_id"])


def baseline_by_service(data: ModelData) -> dict[str, float]:
    """B[s]: each service's baseline spend in the first planning year (£m)."""
    b = data.baseline[data.baseline["year"] == data.years[0]]
    return b.groupby("service_id")["amount_m"].sum().to_dict()


def group_terms(m: pyo.ConcreteModel, services: Iterable[str], year: str,
                coef: float = 1.0) -> list:
    """coef · S[G,y] as (coefficient, variable) pairs, for :func:`~budgetopt.families.rows.linear`."""
    return [(coef, x) for s in services for x in m.terms.spend.get((s, year), ())]


def place_terms(m: pyo.ConcreteModel, services: Iterable[str], place: str, year: str,
                coef: float = 1.0) -> list:
    """coef · Σ_{s∈G} S[s,p,y] as (coefficient, variable) pairs."""
    return [(coef, x) for s in services for x in m.terms.spend_place.get((s, place, year), ())]


def hwb_terms(m: pyo.ConcreteModel, services: Iterable[str], hwb: str, year: str,
              coef: float = 1.0) -> list:
    """coef · Σ_{s∈G} S[s,h,y] (spend in HWB h's places) as (coefficient, variable) pairs."""
    return [(coef, x) for s in services for x in m.terms.spend_hwb.get((s, hwb, year), ())]


Scope = Literal["hwb", "ics"]
"""Where a rule about "the pool" holds: ``hwb`` in each Health and Wellbeing Board's places
on its own (the BCF has one pool per HWB), ``ics`` once across the whole ICS."""


def scope_field(what: str) -> Any:
    """The ``scope`` parameter of a rule about the pool (default: per HWB)."""
    return Field("hwb", description=f"hwb: {what} in each Health and Wellbeing Board's places "
                 "on its own (one BCF pool per HWB); ics: once across the whole ICS. A data "
                 "set without HWBs has one ICS-wide rule either way.")


def scopes(data: ModelData, scope: Scope) -> list[str | None]:
    """The groups a rule with `scope` is stated over: each HWB group of the places
    (:attr:`~budgetopt.model.data.ModelData.hwb_groups`, ICS_WIDE "" for places with no HWB)
    when the scope is ``hwb`` and the data has HWBs, else ``[None]``: the whole ICS once."""
    if scope == "hwb" and data.inputs.has_hwbs:
        return list(data.hwb_groups)
    return [None]


def scope_terms(m: pyo.ConcreteModel, services: Iterable[str], hwb: str | None, year: str,
                coef: float = 1.0) -> list:
    """coef · S[G,h,y] in HWB `hwb`'s places (:func:`hwb_terms`), or coef · S[G,y] across the
    ICS when `hwb` is None (:func:`group_terms`)."""
    if hwb is None:
        return group_terms(m, services, year, coef)
    return hwb_terms(m, services, hwb, year, coef)


def in_hwb(data: ModelData, hwb: str | None) -> str:
    """" in <HWB name>" for a row of one HWB's places, "" for an ICS-wide one."""
    return "" if hwb is None else f" in {hwb_names(data)[hwb]}"


def hwb_key(hwb: str | None) -> dict[str, Any]:
    """A row's ``hwb_id`` key where it is one HWB group's ({} for an ICS-wide row; the group
    of places with no HWB has ``hwb_id`` None, as the money rows have it)."""
    return {} if hwb is None else {"hwb_id": hwb or None}


def problem(key: str, message: str) -> Problem:
    """A problem with the policy model, led by the YAML key path it is about."""
    return Problem(WHERE, f"{key}: {message}")


def _listing(known: Sequence[str], limit: int = 12) -> str:
    shown = ", ".join(known[:limit])
    return shown + (f", ... ({len(known)} in all)" if len(known) > limit else "")


def unknown_ids(key: str, ids: Iterable[str] | None, known: Sequence[str], what: str
                ) -> list[Problem]:
    """One problem per id in `ids` that is not in `known`: ``key[i]: 'X' is not a <what>``.

    `ids` may be a list (each id at ``key[i]``) or a mapping (each at ``key.id``)."""
    if not ids:
        return []
    have = set(known)
    if isinstance(ids, dict):
        return [problem(f"{key}.{k}", _not_a(k, what, known)) for k in ids if k not in have]
    return [problem(f"{key}[{i}]", _not_a(k, what, known))
            for i, k in enumerate(ids) if k not in have]


def _not_a(value: str, what: str, known: Sequence[str]) -> str:
    return f"{value!r} is not a {what} (the {what}s: {_listing(known)})"


def unknown_year(data: ModelData, key: str, year: str | None) -> list[Problem]:
    """A problem when `year` is given (None: every planning year) and is not a planning year:
    ``key: 'Y' is not a planning year (the planning years: ...)``."""
    if year is None or year in data.years:
        return []
    return [problem(key, _not_a(year, "planning year", list(data.years)))]


def unknown_services(data: ModelData, key: str, ids: Iterable[str] | None) -> list[Problem]:
    return unknown_ids(key, ids, list(data.inputs.service_ids), "service")


def unknown_sectors(key: str, sectors: Iterable[str] | None) -> list[Problem]:
    """Sector codes that are not sectors at all (a typo): the data's vocabulary."""
    return unknown_ids(key, sectors, list(SECTORS), "sector")


def needs_places(data: ModelData, family: str) -> list[Problem]:
    if data.inputs.has_places:
        return []
    return [problem(f"rules.{family}", "needs a places table in the data set (each place's "
                    "population, need-weighted population and core20_share)")]


def no_problems(data: ModelData) -> list[Problem]:
    return []


def no_warnings(data: ModelData) -> list[str]:
    return []
