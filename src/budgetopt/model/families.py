"""Constraint families of the core model: one ``add_<family>(m, data)`` per family.

Each function's docstring states its mathematics in the symbols of
:mod:`budgetopt.model.data`. Rows are added through :func:`budgetopt.model.rows.add_rows`, so
every row has a plain-English name, a family and a unit, and its limit is a mutable parameter.
"""

from __future__ import annotations

import math
from collections import defaultdict

import pyomo.environ as pyo

from budgetopt.errors import PolicyError, Problem
from budgetopt.model.data import ModelData
from budgetopt.model.rows import add_rows, linear, unit_sum


def _names(frame, key: str) -> dict[str, str]:
    return dict(zip(frame[key], frame["name"]))


def fmt_m(value: float) -> str:
    """£m with one decimal, as finance leads write it: £12.3m."""
    return f"£{value:,.1f}m"


def add_money(m: pyo.ConcreteModel, data: ModelData) -> None:
    """Money: each funding source spends at most its amount, and pays only for what it may.

    .. math::

        Σ_{s ∈ E(i)} f[i,s,y] ≤ F[i,y]          ∀ i, y        (money_source_limit)
        Σ_{i : s ∈ E(i)} f[i,s,y] = S[s,y]      ∀ s, y        (funding_balance)

    E(i) is the set of services source i may pay for: every service, or those listed for i in
    the eligibility table when eligibility is on. The balance rows are accounting identities
    (not relaxable, not reported); the eligibility rule acts through which flows f exist.
    The shadow price of a source's row is the objective gained per extra £1m of that source.
    """
    flows = data.flows
    by_source: dict[tuple[str, str], list] = defaultdict(list)
    by_service: dict[tuple[str, str], list] = defaultdict(list)
    fs = list(m.flow.values())
    for col, src, sid, year in zip(flows["col"].tolist(), flows["source_id"].tolist(),
                                   flows["service_id"].tolist(), flows["year"].tolist()):
        by_source[(src, year)].append(fs[col])
        by_service[(sid, year)].append(fs[col])
    fund = data.funding
    from budgetopt.model.rules import carried_forward_sources

    rolled = carried_forward_sources(data)  # their limit is cumulative (transformation fund)
    amount = {(s, y): a for s, y, a in zip(fund["source_id"], fund["year"], fund["amount_m"])
              if s not in rolled}
    names = dict(zip(fund["source_id"], fund["name"]))
    add_rows(
        m, "money_source_limit", "money", list(amount),
        body=lambda k: unit_sum(by_source[k]) if by_source[k] else None,
        sense="<=", limit=amount,
        name=lambda k: f"Spend from {names[k[0]]} in {k[1]} within its {fmt_m(amount[k])}",
        labels=lambda k: {"source": names[k[0]], "source_id": k[0], "year": k[1]},
    )
    services = _names(data.inputs.services, "service_id")
    keys = [(s, y) for y in data.years for s in data.inputs.service_ids]
    add_rows(
        m, "funding_balance", "money", keys,
        # written S[s,y] − Σ f = 0: the many segment terms stay bare variables (cheaper)
        body=lambda k: linear([*((1.0, x) for x in m.terms.spend[k]),
                               *((-1.0, f) for f in by_service[k])]),
        sense="==", limit={k: 0.0 for k in keys},
        name=lambda k: f"Spend on {services[k[0]]} in {k[1]} is paid for by eligible sources",
        labels=lambda k: {"service": services[k[0]], "service_id": k[0], "year": k[1]},
        relaxable=False, report=False,
    )


def service_bounds(inputs, policy) -> tuple[dict[str, float], dict[str, float]]:
    """Each service's minimum and maximum spend a year (£m): the services table, overridden
    by ``rules.bounds.services`` in the policy model."""
    svc = inputs.services
    lo = {s: float(v) for s, v in zip(svc["service_id"], svc["min_m"])}
    hi = {s: float(v) for s, v in zip(svc["service_id"], svc["max_m"])}
    for sid, o in policy.rules.bounds.services.items():
        if o.min_m is not None:
            lo[sid] = float(o.min_m)
        if o.max_m is not None:
            hi[sid] = float(o.max_m)
    return lo, hi


def add_bounds(m: pyo.ConcreteModel, data: ModelData) -> None:
    """Service bounds: minimum and maximum spend per service and year (ICS-wide).

    .. math::

        S[s,y] ≥ min_s        ∀ s, y with min_s > 0          (bounds_min)
        S[s,y] ≤ max_s        ∀ s, y with max_s finite       (bounds_max)

    min_s and max_s come from the services table, overridden per service by
    ``rules.bounds.services`` in the policy model.
    """
    names = _names(data.inputs.services, "service_id")
    lo, hi = service_bounds(data.inputs, data.policy)
    for component, bound, sense, word in (("bounds_min", lo, ">=", "Minimum"),
                                          ("bounds_max", hi, "<=", "Maximum")):
        keys = [(s, y) for y in data.years for s in data.inputs.service_ids
                if (bound[s] > 0 if sense == ">=" else math.isfinite(bound[s]))]
        add_rows(
            m, component, "bounds", keys,
            body=lambda k: unit_sum(m.terms.spend[k]),
            sense=sense, limit={k: bound[k[0]] for k in keys},
            name=lambda k, word=word, bound=bound:
                f"{word} spend on {names[k[0]]} in {k[1]} ({fmt_m(bound[k[0]])})",
            labels=lambda k: {"service": names[k[0]], "service_id": k[0], "year": k[1]},
        )


def add_workforce(m: pyo.ConcreteModel, data: ModelData) -> None:
    """Workforce: staff needed within staff available, per group and year.

    .. math::

        Σ_s n[g,s] · S[s,y] ≤ scale · A[g,y]       ∀ g, y              (workforce_limit)

    n[g,s] is WTE of group g needed per £1m on service s (workforce_need), A[g,y] the WTE
    available (workforce) and scale ``rules.workforce.scale``. The shadow price is the
    objective gained per extra WTE.
    """
    if data.inputs.workforce.empty or data.inputs.workforce_need.empty:
        return
    avail, names, per_group = workforce_limits(data.inputs, data.policy, data.years)
    add_rows(
        m, "workforce_limit", "workforce", list(avail),
        body=lambda k: linear((n, x) for s, n in per_group[k[0]]
                              for x in m.terms.spend[(s, k[1])]) if per_group[k[0]] else None,
        sense="<=", limit=avail,
        name=lambda k: workforce_row_name(names[k[0]], k[1], avail[k]),
        labels=lambda k: {"group": names[k[0]], "group_id": k[0], "year": k[1]},
    )


def workforce_limits(inputs, policy, years) -> tuple[dict[tuple[str, str], float],
                                                     dict[str, str],
                                                     dict[str, list[tuple[str, float]]]]:
    """(scale · A[g,y] per (group, year), each group's name, n[g,s] as [(service, WTE per
    £1m)] per group): the workforce rule's data, for the model and the workbook's checklist."""
    wf, need = inputs.workforce, inputs.workforce_need
    scale = policy.rules.workforce.scale
    wf = wf[wf["year"].isin(years)]
    avail = {(g, y): a * scale for g, y, a in zip(wf["group_id"], wf["year"], wf["wte_available"])}
    names = {g: (n or g) for g, n in zip(wf["group_id"], wf["name"])}
    per_group: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for g, s, n in zip(need["group_id"], need["service_id"], need["wte_per_m"]):
        per_group[g].append((s, float(n)))
    return avail, names, per_group


def workforce_row_name(group: str, year: str, available: float) -> str:
    return f"{group} needed in {year} within {available:,.0f} WTE available"


def add_targets(m: pyo.ConcreteModel, data: ModelData) -> None:
    """Outcome targets: a metric's outcome in a year at least (or at most) a stated value.

    .. math::

        O[m,y] ≥ T_min[m,y]          (targets_min)
        O[m,y] ≤ T_max[m,y]          (targets_max)

    A target without a year applies in every planning year. In ``min_cost`` mode these are what
    the spend must buy; in ``max_outcome`` mode they are side constraints.
    """
    items = data.policy.rules.targets.items
    metrics = data.inputs.metrics.set_index("metric_id")
    problems = [Problem("policy model", f"rules.targets names unknown metric {t.metric!r}")
                for t in items if t.metric not in metrics.index]
    problems += [Problem("policy model", f"rules.targets names year {t.year!r}, not a planning "
                         "year") for t in items if t.year is not None and t.year not in data.years]
    if problems:
        raise PolicyError(problems, title="The policy model has problems")
    for component, side, sense, word in (("targets_min", "min", ">=", "at least"),
                                         ("targets_max", "max", "<=", "at most")):
        limit = {}
        for t in items:
            value = getattr(t, side)
            if value is not None:
                for y in ([t.year] if t.year else data.years):
                    limit[(t.metric, y)] = float(value)
        add_rows(
            m, component, "targets", list(limit),
            body=lambda k: linear(m.terms.outcome.get(k, ())) if m.terms.outcome.get(k) else None,
            sense=sense, limit=limit,
            name=lambda k, word=word, limit=limit:
                f"{metrics.at[k[0], 'name']} in {k[1]} {word} {limit[k]:,.1f} "
                f"{metrics.at[k[0], 'unit']}",
            labels=lambda k: {"metric": metrics.at[k[0], "name"], "metric_id": k[0], "year": k[1],
                              "metric_unit": metrics.at[k[0], "unit"]},
        )
        if any(k not in m.terms.outcome for k in limit):
            missing = next(k for k in limit if k not in m.terms.outcome)
            raise PolicyError.single("policy model", f"target on {missing[0]} in {missing[1]}: "
                                     "no service has a curve for this metric")


def add_segment_order(m: pyo.ConcreteModel, data: ModelData) -> None:
    """Bands filled in order, for curves that are not concave (``nonconcave: milp``).

    .. math::

        x[j-1] ≥ w[j-1] · z[j]        (segment_order_prev_full)
        x[j]   ≤ W[j] · z[j]          (segment_order_use)          z[j] ∈ {0, 1}

    for each segment j after the first of a service whose curve is not concave, with W[j] the
    segment's width (or, for the last, uncapped segment, an upper bound on any service's spend).
    A concave curve needs none of this: the LP fills its best bands first by itself.
    """
    seg = data.segments
    rows = seg[seg["nonconcave"] & (seg["seg"] > 1)]
    if rows.empty:
        return
    big = float(data.funding.groupby("year")["amount_m"].sum().max()) + 1.0
    cols = list(rows["col"])
    m.z = pyo.Var(cols, within=pyo.Binary, doc="segment switched on (mixed-integer mode)")
    width = dict(zip(seg["col"], seg["width_m"]))
    label = {c: f"{s} band {k} ({p + ', ' if p else ''}{y})"
             for c, s, p, y, k in rows[["col", "service_id", "place_id", "year", "seg"]]
             .itertuples(index=False)}
    add_rows(m, "segment_order_prev_full", "bounds", cols,
             body=lambda j: linear([(1.0, m.x[j - 1]), (-width[j - 1], m.z[j])]),
             sense=">=", limit={j: 0.0 for j in cols},
             name=lambda j: f"Band before {label[j]} full before it is used",
             relaxable=False, report=False)
    add_rows(m, "segment_order_use", "bounds", cols,
             body=lambda j: linear([(1.0, m.x[j]),
                                    (-(width[j] if math.isfinite(width[j]) else big), m.z[j])]),
             sense="<=", limit={j: 0.0 for j in cols},
             name=lambda j: f"{label[j]} used only when switched on",
             relaxable=False, report=False)
