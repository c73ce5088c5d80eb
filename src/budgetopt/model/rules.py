"""The rules of an ICS: the policy constraint families beyond money, bounds and workforce.

One function per family, each with its mathematics (symbols in :mod:`budgetopt.model.data`).
Every family is switched on and tuned in the policy model (``rules.<family>``); the parameter
classes with their meanings are in :mod:`budgetopt.policy`.

Extra symbols used here:

=====================  ==========================================================  ========
symbol                 meaning                                                      unit
=====================  ==========================================================  ========
B[s]                   baseline spend on service s (first planning year)            £m
S[G,y]                 Σ_{s∈G} S[s,y]: spend on a group of services                  £m
S[s,p,y]               spend on service s in place p, year y                         £m
A[y]                   acute spend needed (acute offset; outside the pool)            £m
D[y]                   double running paid by the transformation fund                 £m
C[y]                   acute demand cost at today's activity                          £m
Ō[m,y]                 outcome the baseline allocation buys                           unit
=====================  ==========================================================  ========
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import pandas as pd
import pyomo.environ as pyo

from budgetopt.errors import PolicyError, Problem
from budgetopt.model.data import RELEASE_SOURCE, ModelData, year_value
from budgetopt.model.families import fmt_m
from budgetopt.model.rows import add_rows, linear

# -- shared helpers ---------------------------------------------------------------------------


def _policy_problem(message: str) -> PolicyError:
    return PolicyError([Problem("policy model", message)], title="The policy model has problems")


def _group_terms(m, services: Iterable[str], year: str, coef: float = 1.0) -> list:
    return [(coef, x) for s in services for x in m.terms.spend.get((s, year), ())]


def _sector_services(data: ModelData, sectors: Iterable[str]) -> list[str]:
    svc = data.inputs.services
    wanted = set(sectors)
    return list(svc.loc[svc["sector"].isin(wanted), "service_id"])


def _baseline_by_service(data: ModelData) -> dict[str, float]:
    first = data.years[0]
    b = data.baseline[data.baseline["year"] == first]
    return b.groupby("service_id")["amount_m"].sum().to_dict()


def _check_ids(data: ModelData, where: str, ids: Iterable[str] | None) -> None:
    if not ids:
        return
    known = set(data.inputs.service_ids)
    bad = [s for s in ids if s not in known]
    if bad:
        raise _policy_problem(f"{where} names unknown service(s) {', '.join(map(repr, bad))}")


def _needs_places(data: ModelData, family: str) -> None:
    if not data.inputs.has_places:
        raise _policy_problem(f"rules.{family} needs a places table in the data set (each "
                              "place's population, need-weighted population and core20_share)")


# -- managed transition ------------------------------------------------------------------------


def transition_steps(data: ModelData) -> dict[str, dict[tuple[str, str], float]]:
    """How far each line may move in a year (£m): ``{"transition_rise": {(s, y): step}, ...}``
    with step = max(ρ · B[s], δ), ρ the service's limit, else its sector's, else the rule's; a
    line with no limit on a side has no entry there."""
    rule = data.policy.rules.transition
    svc = data.inputs.services
    _check_ids(data, "rules.transition.services", rule.services)
    sector_of = dict(zip(svc["service_id"], svc["sector"]))
    base = _baseline_by_service(data)

    def limit_of(s: str, side: str) -> float | None:
        for over in (rule.services.get(s), rule.sectors.get(sector_of[s])):
            if over is not None and getattr(over, side) is not None:
                return getattr(over, side)
        return getattr(rule, side)

    out: dict[str, dict[tuple[str, str], float]] = {}
    for component, side in (("transition_rise", "max_rise"), ("transition_fall", "max_fall")):
        out[component] = {}
        for s in data.inputs.service_ids:
            share = limit_of(s, side)
            if share is not None:
                step = max(share * base.get(s, 0.0), rule.min_step_m)
                out[component].update({(s, y): step for y in data.years})
    return out


def transition_row_name(service: str, word: str, step: float, year: str) -> str:
    """'<service> rises (or falls) by at most £Xm in <year>': the model's and the checklist's."""
    return f"{service} {word} by at most {fmt_m(step)} in {year}"


def add_transition(m: pyo.ConcreteModel, data: ModelData) -> None:
    """Managed transition: each line's spend moves at most a stated share a year.

    .. math::

        S[s,y] − S[s,y−1] ≤ max(ρ⁺_s · B[s], δ)      ∀ s, y      (transition_rise)
        S[s,y−1] − S[s,y] ≤ max(ρ⁻_s · B[s], δ)      ∀ s, y      (transition_fall)

    with S[s,y₀−1] = B[s] (year one moves from the baseline), ρ± the service's limit (else its
    sector's, else the rule's), δ = ``min_step_m`` so that new and small lines can move. No
    cliff-edge: a service cannot lose more than ρ⁻ of its baseline in a year.
    """
    names = dict(zip(data.inputs.services["service_id"], data.inputs.services["name"]))
    base = _baseline_by_service(data)
    prev = {y: data.years[t - 1] for t, y in enumerate(data.years) if t}
    steps = transition_steps(data)
    for component, sign, word in (("transition_rise", 1.0, "rises"),
                                  ("transition_fall", -1.0, "falls")):
        limit = {(s, y): step + (sign * base.get(s, 0.0) if y not in prev else 0.0)
                 for (s, y), step in steps[component].items()}

        def body(k, sign=sign):
            s, y = k
            terms = _group_terms(m, [s], y, sign)
            if y in prev:
                terms += _group_terms(m, [s], prev[y], -sign)
            return linear(terms) if terms else None

        add_rows(
            m, component, "transition", list(limit), body=body, sense="<=", limit=limit,
            name=lambda k, word=word, component=component:
                transition_row_name(names[k[0]], word, steps[component][k], k[1]),
            labels=lambda k: {"service": names[k[0]], "service_id": k[0], "year": k[1]},
        )


# -- acute offset, double running, bed capacity --------------------------------------------------


def _baseline_outcomes(data: ModelData) -> dict[tuple[str, str], float]:
    from budgetopt.results.tables import baseline_segments

    x = baseline_segments(data)
    year_of = data.segments["year"].to_numpy()
    co = data.coefs
    out: dict[tuple[str, str], float] = defaultdict(float)
    for col, metric, per_m in co[["col", "metric_id", "per_m"]].itertuples(index=False):
        out[(metric, year_of[col])] += float(per_m) * float(x[col])
    return out


def acute_vars(m: pyo.ConcreteModel, data: ModelData) -> None:
    """A[y] (acute spend needed) and D[y] (double running from the transformation fund)."""
    if hasattr(m, "acute"):
        return
    m.acute = pyo.Var(data.years, within=pyo.NonNegativeReals,
                      doc="acute spend needed (outside the pool, £m)")
    m.double_running = pyo.Var(data.years, within=pyo.NonNegativeReals,
                               doc="double running paid by the transformation fund (£m)")
    tf = data.policy.rules.transformation_fund
    ao = data.policy.rules.acute_offset
    for y in data.years:
        if not (data.policy.enabled("transformation_fund") and tf.double_running
                and data.policy.enabled("acute_offset")):
            m.double_running[y].fix(0.0)
            continue
        # At most the double running needed if nothing were saved: the fund cannot be turned
        # into general money by paying acute costs the acute budget could have met.
        cost = year_value(ao.baseline_cost_m, y)
        budget = year_value(ao.budget_m, y, year_value(ao.baseline_cost_m, data.years[0]))
        m.double_running[y].setub(max(0.0, (cost or 0.0) - (budget or 0.0)))


def add_acute_offset(m: pyo.ConcreteModel, data: ModelData) -> None:
    """Acute demand offset with double running: hospital money moves only as demand moves.

    .. math::

        A[y] + ρ · Σ_m g_m · (O[m,y−L] − Ō[m,y−L]) / 10⁶ ≥ C[y]             (acute_demand)
        A[y] − D[y] ≤ Bᴬ[y]                                                  (acute_budget)
        Σ_s f[R,s,y] + σ · (A[y] − D[y]) ≤ σ · Bᴬ[y]                          (acute_release)

    Acute spend needed A[y] is today's demand cost C[y] less the cash-releasing saving of the
    extra admissions and bed-days the pool's schemes avoid (metric m's extra outcome over what
    the baseline buys, times £g_m a unit, times the realisation rate ρ), realised only after a
    lag of L years (savings of years before the plan are nil). The acute budget Bᴬ pays for A;
    what it cannot pay (the double running: new services running while the beds they replace
    are still open) must come from the transformation fund, D[y] (zero unless that fund may pay
    double running; D[y] ≤ max(0, C[y] − Bᴬ[y]), the double running needed if nothing were
    saved). A year either pays double running or releases money, never both (one binary z[y]
    a year: D[y] ≤ D̄[y]·z[y], Σ_s f[R,s,y] ≤ σBᴬ[y]·(1 − z[y])), so the fund cannot become
    general money by paying acute costs the acute budget could meet; the model is then a small
    mixed-integer programme and its shadow prices come from the LP with z fixed. What the
    acute budget no longer needs is released to the pool (source R,
    ``ACUTE_RELEASE``), at most the share σ of it. The shadow price of ``acute_demand`` is what
    £1m less acute demand would be worth.
    """
    rule = data.policy.rules.acute_offset
    acute_vars(m, data)
    metrics = data.inputs.metrics
    given = metrics["saving_gbp"] if "saving_gbp" in metrics else [None] * len(metrics)
    saving = {k: float(v) for k, v in zip(metrics["metric_id"], given)
              if pd.notna(v) and float(v) > 0}
    saving.update({k: float(v) for k, v in rule.savings_gbp.items()})
    unknown = [k for k in rule.savings_gbp if k not in set(metrics["metric_id"])]
    if unknown:
        raise _policy_problem(f"rules.acute_offset.savings_gbp names unknown metric(s) {unknown}")
    base_out = _baseline_outcomes(data)
    years = data.years
    cost = {y: year_value(rule.baseline_cost_m, y) for y in years}
    missing = [y for y, c in cost.items() if c is None]
    if missing:
        raise _policy_problem(f"rules.acute_offset.baseline_cost_m has no value for {missing}")
    budget = {y: year_value(rule.budget_m, y, cost[years[0]]) for y in years}

    def demand_body(y):
        t = years.index(y) - rule.lag_years
        terms = [(1.0, m.acute[y])]
        if t >= 0:
            src = years[t]
            for metric, g in saving.items():
                terms += [(rule.realisation * g / 1e6 * a, x)
                          for a, x in m.terms.outcome.get((metric, src), ())]
        return linear(terms)

    def demand_limit(y):
        t = years.index(y) - rule.lag_years
        if t < 0:
            return cost[y]
        return cost[y] + sum(rule.realisation * g / 1e6 * base_out.get((mt, years[t]), 0.0)
                             for mt, g in saving.items())

    add_rows(m, "acute_demand", "acute_offset", list(years), body=demand_body, sense=">=",
             limit={y: demand_limit(y) for y in years},
             name=lambda y: f"Acute spend needed in {y}: demand cost {fmt_m(cost[y])} less "
                            f"realised savings",
             labels=lambda y: {"year": y})
    add_rows(m, "acute_budget", "acute_offset", list(years),
             body=lambda y: linear([(1.0, m.acute[y]), (-1.0, m.double_running[y])]),
             sense="<=", limit=budget,
             name=lambda y: f"Acute spend in {y} within the acute budget of {fmt_m(budget[y])} "
                            "(plus double running)",
             labels=lambda y: {"year": y})
    flows = data.flows[data.flows["source_id"] == RELEASE_SOURCE]
    by_year: dict[str, list] = defaultdict(list)
    for col, y in zip(flows["col"], flows["year"]):
        by_year[y].append((1.0, m.flow[col]))
    s = rule.reinvest_share
    add_rows(m, "acute_release", "acute_offset", list(years),
             body=lambda y: linear([*by_year[y], (s, m.acute[y]), (-s, m.double_running[y])]),
             sense="<=", limit={y: s * budget[y] for y in years},
             name=lambda y: f"Acute money released to the pool in {y} at most "
                            f"{s:.0%} of what the acute budget no longer needs",
             labels=lambda y: {"year": y}, relaxable=False)
    open_years = [y for y in years if not m.double_running[y].fixed and m.double_running[y].ub]
    if open_years:  # a year pays double running or releases money, never both
        m.double_running_on = pyo.Var(open_years, within=pyo.Binary,
                                      doc="1 if the year pays double running (no release)")
        add_rows(m, "double_running_switch", "acute_offset", open_years,
                 body=lambda y: linear([(1.0, m.double_running[y]),
                                        (-m.double_running[y].ub, m.double_running_on[y])]),
                 sense="<=", limit={y: 0.0 for y in open_years},
                 name=lambda y: f"Double running in {y} only in a year that releases nothing",
                 labels=lambda y: {"year": y}, relaxable=False, report=False)
        add_rows(m, "release_switch", "acute_offset", open_years,
                 body=lambda y: linear([*by_year[y], (s * budget[y], m.double_running_on[y])])
                 if by_year[y] else None,
                 sense="<=", limit={y: s * budget[y] for y in open_years},
                 name=lambda y: f"Acute money released in {y} only in a year without double "
                                "running",
                 labels=lambda y: {"year": y}, relaxable=False, report=False)


def add_bed_capacity(m: pyo.ConcreteModel, data: ModelData) -> None:
    """Acute bed capacity closes only at a stated rate.

    .. math::

        A[y−1] − A[y] ≤ β · c / 10⁶      ∀ y       (bed_capacity)

    with the acute offset on (A[y₀−1] = its acute budget), else on the pool's acute lines,
    S[acute,y−1] − S[acute,y] ≤ β · c / 10⁶ (S[acute,y₀−1] = their baseline). β is
    ``beds_per_year`` and c the annual cost of a bed (£): acute spend falls at most as fast as
    wards can close.
    """
    rule = data.policy.rules.bed_capacity
    step = rule.beds_per_year * rule.cost_per_bed_gbp / 1e6
    years = data.years
    if data.policy.enabled("acute_offset"):
        acute_vars(m, data)
        ao = data.policy.rules.acute_offset
        start = year_value(ao.budget_m, years[0], year_value(ao.baseline_cost_m, years[0]))

        def body(y):
            t = years.index(y)
            terms = [(-1.0, m.acute[y])] + ([(1.0, m.acute[years[t - 1]])] if t else [])
            return linear(terms)

        limit = {y: step - (start if years.index(y) == 0 else 0.0) for y in years}
        what = "Acute spend needed"
    else:
        acute = _sector_services(data, ["acute"])
        base = _baseline_by_service(data)
        start = sum(base.get(s, 0.0) for s in acute)

        def body(y):
            t = years.index(y)
            terms = _group_terms(m, acute, y, -1.0)
            if t:
                terms += _group_terms(m, acute, years[t - 1], 1.0)
            return linear(terms) if terms else None

        limit = {y: step - (start if years.index(y) == 0 else 0.0) for y in years}
        what = "Pooled acute spend"
    add_rows(m, "bed_capacity", "bed_capacity", list(years), body=body, sense="<=", limit=limit,
             name=lambda y: f"{what} falls in {y} by at most {rule.beds_per_year:,.0f} beds' "
                            f"worth ({fmt_m(step)})",
             labels=lambda y: {"year": y, "beds": rule.beds_per_year})


# -- mental health, BCF conditions, personal budgets -------------------------------------------


def mhis_services(data: ModelData) -> list[str]:
    """The services the Mental Health Investment Standard counts (flag, include, exclude)."""
    rule = data.policy.rules.mhis
    _check_ids(data, "rules.mhis.include", rule.include)
    _check_ids(data, "rules.mhis.exclude", rule.exclude)
    svc = data.inputs.services
    scope = set(svc.loc[svc["mhis"].astype(bool), "service_id"]) | set(rule.include)
    return [s for s in data.inputs.service_ids if s in scope and s not in set(rule.exclude)]


def mhis_growth(data: ModelData) -> dict[str, float]:
    """The allocation growth the MHIS is measured against, per planning year."""
    rule = data.policy.rules.mhis
    fund = data.funding[data.funding["source_id"] != RELEASE_SOURCE]
    total = fund.groupby("year")["amount_m"].sum()
    base_total = float(data.baseline[data.baseline["year"] == data.years[0]]["amount_m"].sum())
    out = {}
    for t, y in enumerate(data.years):
        before = total[data.years[t - 1]] if t else base_total
        default = total[y] / before - 1.0 if before > 0 else 0.0
        out[y] = year_value(rule.allocation_growth, y, default)
    return out


def add_mhis(m: pyo.ConcreteModel, data: ModelData) -> None:
    """Mental Health Investment Standard: in-scope mental-health spend grows with allocation.

    .. math::

        S[MH,y] − (1 + g_y) · S[MH,y−1] ≥ 0       ∀ y > y₀                 (mhis)
        S[MH,y₀] ≥ (1 + g_y₀) · B[MH]                                       (mhis)

    MH is the in-scope services (``mhis`` yes in the data, plus ``include``, less ``exclude``:
    learning disability, autism, dementia and specialised services are out of scope). g_y is the
    allocation growth (stated, or the growth of total funding on the year before).
    """
    mh = mhis_services(data)
    if not mh:
        raise _policy_problem("rules.mhis: no service is in scope (mark services mhis = yes "
                              "or list them in rules.mhis.include)")
    g = mhis_growth(data)
    base = _baseline_by_service(data)
    b_mh = sum(base.get(s, 0.0) for s in mh)
    years = data.years

    def body(y):
        t = years.index(y)
        terms = _group_terms(m, mh, y)
        if t:
            terms += _group_terms(m, mh, years[t - 1], -(1.0 + g[y]))
        return linear(terms)

    limit = {y: ((1.0 + g[y]) * b_mh if years.index(y) == 0 else 0.0) for y in years}
    add_rows(m, "mhis", "mhis", list(years), body=body, sense=">=", limit=limit,
             name=lambda y: f"Mental health spend in {y} grows at least {g[y]:.1%} "
                            "(Mental Health Investment Standard)",
             labels=lambda y: {"year": y, "growth": g[y]})


def add_bcf_conditions(m: pyo.ConcreteModel, data: ModelData) -> None:
    """BCF national conditions: the NHS minimum contribution's floors.

    .. math::

        Σ_{s∈ASC} f[N,s,y] ≥ ASC_min[y]                   (bcf_asc)
        Σ_{s∈OOH} ν_s · f[N,s,y] ≥ OOH_min[y]             (bcf_ooh)

    N is the NHS minimum contribution (``source``, or every source whose bcf_source is
    'Minimum NHS Contribution'); ASC the services whose area of spend is Social Care; OOH the
    NHS-commissioned out-of-hospital services (commissioner ICB, or Joint counted at its NHS
    share ν = pct_nhs/100; never acute).
    """
    rule = data.policy.rules.bcf_conditions
    svc = data.inputs.services
    fund = data.inputs.funding
    sources = ([rule.source] if rule.source else
               sorted(set(fund.loc[fund["bcf_source"] == "Minimum NHS Contribution",
                                   "source_id"])))
    if not sources or (rule.source and rule.source not in set(fund["source_id"])):
        raise _policy_problem("rules.bcf_conditions: no NHS minimum contribution source "
                              f"({rule.source!r} is not in funding)" if rule.source else
                              "rules.bcf_conditions: no funding source has bcf_source "
                              "'Minimum NHS Contribution': name it in rules.bcf_conditions.source")
    _check_ids(data, "rules.bcf_conditions.asc_services", rule.asc_services)
    _check_ids(data, "rules.bcf_conditions.ooh_services", rule.ooh_services)
    asc = {s: 1.0 for s in (rule.asc_services if rule.asc_services is not None else
                            svc.loc[svc["area_of_spend"] == "Social Care", "service_id"])}
    if rule.ooh_services is not None:
        ooh = {s: 1.0 for s in rule.ooh_services}
    else:
        ooh = {}
        for s, sector, comm, pct in zip(svc["service_id"], svc["sector"], svc["commissioner"],
                                        svc["pct_nhs"]):
            if sector == "acute":
                continue
            if comm == "ICB":
                ooh[s] = 1.0
            elif comm == "Joint":
                ooh[s] = float(pct) / 100.0 if pd.notna(pct) else 0.5
    flows = data.flows[data.flows["source_id"].isin(sources)]
    for component, weights, value, what in (
            ("bcf_asc", asc, rule.asc_min_m, "adult social care"),
            ("bcf_ooh", ooh, rule.ooh_min_m, "NHS-commissioned out-of-hospital services")):
        limit = {y: year_value(value, y) for y in data.years}
        limit = {y: v for y, v in limit.items() if v is not None}
        terms: dict[str, list] = defaultdict(list)
        for col, s, y in zip(flows["col"], flows["service_id"], flows["year"]):
            if weights.get(s):
                terms[y].append((weights[s], m.flow[col]))
        add_rows(m, component, "bcf_conditions", list(limit),
                 body=lambda y, terms=terms: linear(terms[y]) if terms[y] else None,
                 sense=">=", limit=limit,
                 name=lambda y, what=what, limit=limit:
                     f"NHS minimum contribution to {what} in {y} at least {fmt_m(limit[y])}",
                 labels=lambda y: {"year": y})


def personal_budget_lines(data: ModelData) -> tuple[list[str], list[str]]:
    """(PB, E): the personal-budget lines (``services``, or scheme type 'Personalised
    Budgeting and Commissioning') and the eligible services (those in the eligible sectors)."""
    rule = data.policy.rules.personal_budgets
    svc = data.inputs.services
    _check_ids(data, "rules.personal_budgets.services", rule.services)
    pb = (rule.services if rule.services is not None else
          list(svc.loc[svc["scheme_type"] == "Personalised Budgeting and Commissioning",
                       "service_id"]))
    if not pb:
        raise _policy_problem("rules.personal_budgets: no personal-budget line (scheme type "
                              "'Personalised Budgeting and Commissioning', or list services)")
    return list(pb), _sector_services(data, rule.eligible_sectors)


def personal_budgets_row_name(year: str, share: float) -> str:
    return f"Personal budgets in {year} at least {share:.0%} of eligible social care spend"


def add_personal_budgets(m: pyo.ConcreteModel, data: ModelData) -> None:
    """Personal budgets: at least a share of eligible social-care spend.

    .. math::

        S[PB,y] − π · S[E,y] ≥ 0        ∀ y        (personal_budgets)

    PB is the personal-budget lines (``services``, or scheme type 'Personalised Budgeting and
    Commissioning'); E every service in the eligible sectors (social care by default).
    """
    rule = data.policy.rules.personal_budgets
    pb, eligible = personal_budget_lines(data)
    add_rows(m, "personal_budgets", "personal_budgets", list(data.years),
             body=lambda y: linear(_group_terms(m, pb, y)
                                   + _group_terms(m, eligible, y, -rule.min_share)),
             sense=">=", limit={y: 0.0 for y in data.years},
             name=lambda y: personal_budgets_row_name(y, rule.min_share),
             labels=lambda y: {"year": y})


# -- sector shares ---------------------------------------------------------------------------


def share_label(lim) -> str:
    """A sector-share limit's group in words: its label, or its sectors."""
    return lim.label or " and ".join(s.replace("_", " ") for s in lim.sectors)


def share_row_name(lim, word: str, share: float, year: str) -> str:
    """'<Group> at least (at most) X% of pooled (system) spend in <year>'."""
    label = share_label(lim)
    return (f"{label[:1].upper() + label[1:]} {word} {share:.0%} of "
            f"{'system' if lim.of == 'system' else 'pooled'} spend in {year}")


def add_sector_shares(m: pyo.ConcreteModel, data: ModelData) -> None:
    """Sector shares: a group of sectors at least (or at most) a share of the money.

    .. math::

        S[G,y] − σ_min · T[y] ≥ 0       (share_min)
        S[G,y] − σ_max · T[y] ≤ 0       (share_max)

    T[y] is total pool spend Σ_s S[s,y]; with ``of: system`` and the acute offset on, T[y] also
    counts the acute spend needed A[y], and A[y] counts in a group that includes acute. The
    shadow price is per £1m of the group's spend (the row is in £m).
    """
    rule = data.policy.rules.sector_shares
    system = any(lim.of == "system" for lim in rule.limits)
    if system and not data.policy.enabled("acute_offset"):
        raise _policy_problem("rules.sector_shares: 'of: system' needs rules.acute_offset "
                              "(the acute budget outside the pool)")
    sectors = set(data.inputs.services["sector"])
    everything = data.inputs.service_ids
    rows: dict[str, dict] = {"share_min": {}, "share_max": {}}  # (i, y) -> (share, group, ...)
    for i, lim in enumerate(rule.limits):
        unknown = [s for s in lim.sectors if s not in sectors]
        if unknown:
            raise _policy_problem(f"rules.sector_shares.limits[{i}] names sector(s) {unknown} "
                                  "that no service has")
        group = _sector_services(data, lim.sectors)
        label = share_label(lim)
        for y in data.years:
            if lim.years is not None and y not in lim.years:
                continue
            if lim.min is not None:
                rows["share_min"][(i, y)] = (lim.min, group, label, lim)
            if lim.max is not None:
                rows["share_max"][(i, y)] = (lim.max, group, label, lim)

    def body(k, spec):
        share, group, _, lim = spec[k]
        y = k[1]
        terms = _group_terms(m, group, y) + _group_terms(m, everything, y, -share)
        if lim.of == "system":
            terms.append(((1.0 if "acute" in lim.sectors else 0.0) - share, m.acute[y]))
        return linear(terms)

    for component, sense, word in (("share_min", ">=", "at least"),
                                   ("share_max", "<=", "at most")):
        spec = rows[component]
        add_rows(m, component, "sector_shares", list(spec),
                 body=lambda k, spec=spec: body(k, spec), sense=sense,
                 limit={k: 0.0 for k in spec},
                 name=lambda k, spec=spec, word=word:
                     share_row_name(spec[k][3], word, spec[k][0], k[1]),
                 labels=lambda k, spec=spec: {"group": spec[k][2], "year": k[1]})


# -- places: fair shares and Core20PLUS5 ---------------------------------------------------------


def _place_terms(m, data: ModelData, services: Iterable[str], place: str, year: str,
                 coef: float = 1.0) -> list:
    return [(coef, x) for s in services for x in m.terms.spend_place.get((s, place, year), ())]


def add_fair_shares(m: pyo.ConcreteModel, data: ModelData) -> None:
    """Fair shares across places: spend per need-weighted head within a band of the ICS figure.

    .. math::

        S[p,y] − Σ_{s in scope} S[s,p,y] = 0              (fair_share_spend)
        S[p,y] − (1 + b_p,y) · φ_p · Σ_q S[q,y] ≤ 0      (fair_share_max)
        S[p,y] − (1 − b_p,y) · φ_p · Σ_q S[q,y] ≥ 0      (fair_share_min)

    φ_p is place p's share of need-weighted population, S[p,y] its spend on the services in
    scope. b is the band; with a pace of change π, a place whose baseline is further from its
    fair share than b moves towards it: b_p,y = max(b, |gap_p| · (1 − π)^(t+1)), gap_p the
    baseline's relative distance from the fair share, t the year's position in the plan.
    """
    _needs_places(data, "fair_shares")
    rule = data.policy.rules.fair_shares
    services = (_sector_services(data, rule.sectors) if rule.sectors else
                data.inputs.service_ids)
    places = data.inputs.places
    share = dict(zip(places["place_id"], places["weighted_population"]
                     / places["weighted_population"].sum()))
    names = dict(zip(places["place_id"], places["name"]))
    first = data.baseline[(data.baseline["year"] == data.years[0])
                          & data.baseline["service_id"].isin(services)]
    by_place = first.groupby("place_id")["amount_m"].sum()
    total = float(by_place.sum())
    gap = {p: (by_place.get(p, 0.0) / (share[p] * total) - 1.0) if total > 0 else 0.0
           for p in share}

    def band(p: str, t: int) -> float:
        if rule.pace is None:
            return rule.band
        return max(rule.band, abs(gap[p]) * (1.0 - rule.pace) ** (t + 1))

    keys = [(p, y) for y in data.years for p in share]
    bands = {(p, y): band(p, data.years.index(y)) for p, y in keys}
    # S[p,y] as a variable of its own, defined once: each fair-share row then has one term per
    # place rather than one per band variable of the whole year (a dense row slows HiGHS).
    m.fair_place_spend = pyo.Var(keys, within=pyo.NonNegativeReals,
                                 doc="spend in scope of the fair-shares rule, by place (£m)")
    add_rows(m, "fair_share_spend", "fair_shares", keys,
             body=lambda k: linear([(1.0, m.fair_place_spend[k]),
                                    *_place_terms(m, data, services, k[0], k[1], -1.0)]),
             sense="==", limit={k: 0.0 for k in keys},
             name=lambda k: f"Spend in {names[k[0]]} in {k[1]} that fair shares count",
             labels=lambda k: {"place": names[k[0]], "place_id": k[0], "year": k[1]},
             relaxable=False, report=False)
    for component, sign, sense, word in (("fair_share_max", 1.0, "<=", "at most"),
                                         ("fair_share_min", -1.0, ">=", "at least")):
        def body(k, sign=sign):
            p, y = k
            factor = (1.0 + sign * bands[k]) * share[p]
            return linear([(1.0, m.fair_place_spend[k]),
                           *((-factor, m.fair_place_spend[(q, y)]) for q in share)])

        add_rows(m, component, "fair_shares", keys, body=body, sense=sense,
                 limit={k: 0.0 for k in keys},
                 name=lambda k, word=word, sign=sign:
                     f"{names[k[0]]} spend in {k[1]} {word} its fair share "
                     f"{'+' if sign > 0 else '−'}{bands[k]:.0%}",
                 labels=lambda k: {"place": names[k[0]], "place_id": k[0], "year": k[1]})


def add_core20(m: pyo.ConcreteModel, data: ModelData) -> None:
    """Core20PLUS5: prevention money reaches the most deprived 20%.

    .. math::

        Σ_p c_p P[p,y] − μ · Σ_p P[p,y] ≥ 0                                  (core20_share)
        Σ_p c_p P[p,y] / N₂₀ − r · Σ_p (1 − c_p) P[p,y] / N₈₀ ≥ 0            (core20_ratio)

    P[p,y] is prevention spend in place p (the sectors and services named), c_p the place's
    core20_share (the share of its people in the most deprived national quintile, who are
    assumed to receive that share of its prevention spend), μ the minimum share, r the minimum
    ratio of spend per head in the Core20 population (N₂₀ = Σ c_p · population_p) to elsewhere.
    """
    _needs_places(data, "core20")
    rule = data.policy.rules.core20
    _check_ids(data, "rules.core20.services", rule.services)
    prevention = list(dict.fromkeys(_sector_services(data, rule.sectors) + list(rule.services)))
    if not prevention:
        raise _policy_problem("rules.core20: no prevention service (name sectors or services)")
    places = data.inputs.places
    c = dict(zip(places["place_id"], places["core20_share"].astype(float)))
    pop = dict(zip(places["place_id"], places["population"].astype(float)))
    n20 = sum(c[p] * pop[p] for p in c)
    n80 = sum((1 - c[p]) * pop[p] for p in c)
    years = list(data.years)
    if rule.min_share is not None:
        mu = rule.min_share
        add_rows(m, "core20_share", "core20", years,
                 body=lambda y: linear([t for p in c for t in _place_terms(
                     m, data, prevention, p, y, c[p] - mu)]),
                 sense=">=", limit={y: 0.0 for y in years},
                 name=lambda y: f"At least {mu:.0%} of prevention spend reaches the most "
                                f"deprived 20% in {y} (Core20PLUS5)",
                 labels=lambda y: {"year": y})
    if rule.min_ratio is not None:
        if n20 <= 0 or n80 <= 0:
            raise _policy_problem("rules.core20.min_ratio needs places with core20_share "
                                  "between 0 and 1")
        r = rule.min_ratio
        add_rows(m, "core20_ratio", "core20", years,
                 body=lambda y: linear([t for p in c for t in _place_terms(
                     m, data, prevention, p, y, c[p] / n20 * 1e6 - r * (1 - c[p]) / n80 * 1e6)]),
                 sense=">=", limit={y: 0.0 for y in years},
                 name=lambda y: f"Prevention spend per head in the most deprived 20% at least "
                                f"{r:.2f} times elsewhere in {y} (Core20PLUS5)",
                 labels=lambda y: {"year": y})


# -- transformation fund ----------------------------------------------------------------------


def transformation_sources(data: ModelData) -> list[str]:
    rule = data.policy.rules.transformation_fund
    fund = data.inputs.funding
    if rule.source:
        if rule.source not in set(fund["source_id"]):
            raise _policy_problem(f"rules.transformation_fund.source {rule.source!r} is not in "
                                  "the funding table")
        return [rule.source]
    return sorted(set(fund.loc[fund["bcf_source"] == "Transformation Fund", "source_id"]))


def add_transformation_fund(m: pyo.ConcreteModel, data: ModelData) -> None:
    """Ring-fenced transformation fund: new schemes and double running only.

    .. math::

        Σ_{s∉N} f[TF,s,y] ≤ 0                                             (tf_scope)
        Σ_s f[TF,s,y] + D[y] ≤ F[TF,y]                                    (tf_limit)
        Σ_{t≤y} (Σ_s f[TF,s,t] + D[t]) ≤ Σ_{t≤y} F[TF,t]  (carry_forward)   (tf_limit)

    N is the schemes it may pay for (``schemes``, or those marked New); D[y] the double running
    of the acute offset, when allowed. With ``carry_forward`` unspent money rolls on to later
    years (the per-year money limit of the fund is then replaced by the cumulative one).
    """
    rule = data.policy.rules.transformation_fund
    tf = transformation_sources(data)
    if not tf:
        raise _policy_problem("rules.transformation_fund: no funding source has bcf_source "
                              "'Transformation Fund': name it in rules.transformation_fund.source")
    svc = data.inputs.services
    _check_ids(data, "rules.transformation_fund.schemes", rule.schemes)
    schemes = set(rule.schemes if rule.schemes is not None else
                  svc.loc[svc["new_or_existing"] == "New", "service_id"])
    flows = data.flows[data.flows["source_id"].isin(tf)]
    outside: dict[str, list] = defaultdict(list)
    inside: dict[str, list] = defaultdict(list)
    for col, s, y in zip(flows["col"], flows["service_id"], flows["year"]):
        (inside if s in schemes else outside)[y].append((1.0, m.flow[col]))
    names = dict(zip(data.inputs.funding["source_id"], data.inputs.funding["name"]))
    label = " and ".join(names[s] for s in tf)
    add_rows(m, "tf_scope", "transformation_fund", list(data.years),
             body=lambda y: linear(outside[y]) if outside[y] else None, sense="<=",
             limit={y: 0.0 for y in data.years},
             name=lambda y: f"{label} in {y} pays only for new schemes and double running",
             labels=lambda y: {"year": y}, relaxable=False)
    fund = data.funding[data.funding["source_id"].isin(tf)].groupby("year")["amount_m"].sum()
    dr = data.policy.enabled("acute_offset") and rule.double_running
    if dr:
        acute_vars(m, data)
    years = list(data.years)

    def body(y):
        upto = years[: years.index(y) + 1] if rule.carry_forward else [y]
        terms = [t for u in upto for t in inside[u] + outside[u]]
        if dr:
            terms += [(1.0, m.double_running[u]) for u in upto]
        return linear(terms) if terms else None

    limit = {y: float(sum(fund.get(u, 0.0) for u in (years[: years.index(y) + 1]
                                                      if rule.carry_forward else [y])))
             for y in years}
    add_rows(m, "tf_limit", "transformation_fund", years, body=body, sense="<=", limit=limit,
             name=lambda y: (f"{label} spent by the end of {y} within {fmt_m(limit[y])} "
                             "(unspent money carried forward)" if rule.carry_forward else
                             f"{label} in {y} (schemes and double running) within "
                             f"{fmt_m(limit[y])}"),
             labels=lambda y: {"year": y})


def carried_forward_sources(data: ModelData) -> set[str]:
    """Sources whose per-year money limit the transformation fund's cumulative one replaces."""
    rule = data.policy.rules.transformation_fund
    if data.policy.enabled("transformation_fund") and rule.carry_forward:
        return set(transformation_sources(data))
    return set()
