"""From validated inputs and a policy to the flat tables the model is built from.

The decision is spend on each service ``s`` in each place ``p`` and year ``y``, split into the
segments of its response curves. A service may have a curve for several metrics with different
band widths; the segments are the union of every metric's breakpoints, so each segment buys a
fixed amount of every metric per £1m and the piecewise-linear curves are represented exactly.
A last, uncapped segment buys nothing: spend above every curve (forced by a minimum, say) is
allowed but earns no outcome.

With places, each segment's width is shared among places in proportion to need-weighted
population (need saturates where the need is) and its outcome per £1m is multiplied by the
place's effect (MODEL.md, "How the tables combine").

The symbols (x, w, a, f, F, S, O, v, d) are those of :mod:`budgetopt.families`.

:func:`prepare` also runs every check of the policy against the data (the horizon, the places'
effects, and each switched-on family's ``check``) and reports all the problems at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from budgetopt.data.inputs import Inputs
from budgetopt.errors import PolicyError, Problem
from budgetopt.families import policy_problems
from budgetopt.families.acute_offset import RELEASE_SOURCE, release_funding
from budgetopt.families.bcf_rules import rule_set_problems
from budgetopt.families.common import WHERE
from budgetopt.families.eligibility import flows
from budgetopt.policy import Policy

ICS_WIDE = ""  # internal place_id of the single ICS-wide "place" (reported as null)

__all__ = ["ICS_WIDE", "RELEASE_SOURCE", "ModelData", "check_policy", "fill_in_order",
           "planning_years", "prepare"]


@dataclass(frozen=True)
class ModelData:
    """Everything the model needs, as tidy frames; built once per (inputs, policy)."""

    inputs: Inputs
    policy: Policy
    years: tuple[str, ...]
    # Health and Wellbeing Boards: ``hwb_id`` in places, segments, funding and flows is the
    # HWB's id, or ICS_WIDE ("") for a place without one, ICS-wide money, or no HWBs at all.
    discount: dict[str, float]  # d[y]
    places: pd.DataFrame  # place_id (ICS_WIDE when there is no places table), share, effect
    segments: pd.DataFrame  # col, service_id, place_id, year, seg, lo_m, width_m, nonconcave, hwb_id
    coefs: pd.DataFrame  # col, metric_id, per_m (place effect applied), per_m_low, per_m_high
    flows: pd.DataFrame  # col, source_id, service_id, year, hwb_id (whose places it pays for)
    funding: pd.DataFrame  # source_id, name, year, amount_m (policy applied), hwb_id (pool)
    baseline: pd.DataFrame  # service_id, place_id, year, amount_m

    @property
    def n_segments(self) -> int:
        return len(self.segments)

    @property
    def hwb_groups(self) -> list[str]:
        """The spending groups money balances in: each HWB, then ICS_WIDE for places without
        one (just [ICS_WIDE] when the data has no HWBs)."""
        return list(dict.fromkeys(self.places["hwb_id"]))

    @property
    def milp(self) -> bool:
        return bool(self.segments["nonconcave"].any())

    def baseline_segments(self) -> np.ndarray:
        """The baseline's spend on each segment, filled band by band (:func:`fill_in_order`);
        worked out once (a solve asks for it more than once), a copy to each caller."""
        return self._baseline_segments.copy()

    @cached_property
    def _baseline_segments(self) -> np.ndarray:
        return fill_in_order(self, self.baseline)

    @cached_property
    def objective_vector(self) -> np.ndarray:
        """The objective coefficient of each segment column, worked out once: read it through
        :func:`budgetopt.model.build.objective_coefficients` (a copy each time).

        ``max_outcome``: c[j] = d[y(j)] · Σ_m v[m] · a[j,m]  (discounted weighted outcome per £m);
        ``min_cost``:    c[j] = d[y(j)]                      (discounted £m).
        """
        seg = self.segments
        disc = seg["year"].map(self.discount).to_numpy(dtype=float)
        if self.policy.objective == "min_cost":
            return disc
        weights = dict(zip(self.inputs.metrics["metric_id"], self.inputs.metrics["weight"]))
        co = self.coefs
        value = (co["per_m"].to_numpy(dtype=float)
                 * co["metric_id"].map(weights).to_numpy(dtype=float))
        per_col = np.bincount(co["col"].to_numpy(), weights=value, minlength=len(seg))
        return per_col * disc


def planning_years(inputs: Inputs, policy: Policy, problems: list[Problem]) -> tuple[str, ...]:
    """The funding years the horizon plans, in order; a year that is not a funding year is
    added to `problems`."""
    if policy.horizon.years is None:
        return inputs.years
    problems += [Problem(WHERE, f"horizon.years[{i}]: {y!r} is not a funding year (funding "
                         f"years: {', '.join(inputs.years)})")
                 for i, y in enumerate(policy.horizon.years) if y not in inputs.years]
    return tuple(y for y in inputs.years if y in policy.horizon.years)


def _places(inputs: Inputs, policy: Policy, problems: list[Problem]) -> pd.DataFrame:
    if not inputs.has_places:
        problems += [Problem(WHERE, f"places.effects.{pid}: names a place but the data set has "
                             "no places table") for pid in policy.places.effects]
        return pd.DataFrame({"place_id": [ICS_WIDE], "share": [1.0], "effect": [1.0],
                             "hwb_id": [ICS_WIDE]})
    pl = inputs.places[["place_id", "weighted_population", "effect"]].copy()
    hwb = inputs.hwb_of_place()
    pl["hwb_id"] = [hwb[p] or ICS_WIDE for p in pl["place_id"]]
    total = pl["weighted_population"].sum()
    pl["share"] = pl["weighted_population"] / total if total > 0 else 1.0 / len(pl)
    for pid, eff in policy.places.effects.items():
        if pid not in set(pl["place_id"]):
            problems.append(Problem(WHERE, f"places.effects.{pid}: unknown place {pid!r} "
                                    f"(places: {', '.join(pl['place_id'])})"))
            continue
        pl.loc[pl["place_id"] == pid, "effect"] = float(eff)
    return pl[["place_id", "share", "effect", "hwb_id"]].reset_index(drop=True)


ESTIMATES = ("per_m", "per_m_low", "per_m_high")


def _curves_for_year(curves: pd.DataFrame, year: str) -> pd.DataFrame:
    """Bands that apply in `year`: year-specific rows replace the all-years rows."""
    specific = curves[curves["year"] == year]
    generic = curves[curves["year"].isna()]
    if len(specific):
        keys = pd.MultiIndex.from_arrays([specific["service_id"], specific["metric_id"]])
        mask = ~pd.MultiIndex.from_arrays([generic["service_id"], generic["metric_id"]]).isin(keys)
        generic = generic[np.asarray(mask, dtype=bool)]
    return pd.concat([generic, specific], ignore_index=True)


def _group_cumsum(values: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """Running sums within runs of rows (`pos`: each row's place in its run, 0 first), added
    one term at a time as ``np.cumsum`` does, so every sum is the same float."""
    out = values.copy()
    for k in range(1, int(pos.max()) + 1 if len(pos) else 0):
        idx = np.flatnonzero(pos == k)
        out[idx] = out[idx - 1] + values[idx]
    return out


def _positions(starts: np.ndarray, n: int) -> np.ndarray:
    """Each row's place in its run, given the runs' first rows."""
    first = np.zeros(n, dtype=np.int64)
    first[starts] = starts
    return np.arange(n) - np.maximum.accumulate(first)


def _merged_segments(curves: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every service's segments: the union of its metrics' breakpoints, in one numpy pass.

    Returns (segments: service_id, seg (1, 2, ...), width (the last one infinite),
    nonconcave; coefficients: service_id, seg, metric_id and the estimates per £1m, only
    where one is non-zero), ordered by service, segment, then metric. A segment buys what the
    band holding its middle buys of each metric (nothing above the band's curve); the
    breakpoints are rounded to 1e-9 £m so that metrics' equal breakpoints merge.
    """
    if curves.empty:
        return (pd.DataFrame({"service_id": np.array([], object), "seg": np.array([], np.int64),
                              "width": np.array([]), "nonconcave": np.array([], bool)}),
                pd.DataFrame({"service_id": np.array([], object), "seg": np.array([], np.int64),
                              "metric_id": np.array([], object),
                              **{k: np.array([]) for k in ESTIMATES}}))
    c = curves.sort_values(["service_id", "metric_id", "band"])
    sid = c["service_id"].to_numpy(object)
    metric = c["metric_id"].to_numpy(object)
    width = c["width_m"].to_numpy(dtype=float)
    est = [c[k].to_numpy(dtype=float) for k in ESTIMATES]
    n = len(sid)
    new_s = np.r_[True, sid[1:] != sid[:-1]]
    new_sm = new_s | np.r_[True, metric[1:] != metric[:-1]]
    sm_start = np.flatnonzero(new_sm)
    ends = _group_cumsum(width, _positions(sm_start, n))
    g_of_row = np.cumsum(new_sm) - 1  # (service, metric) group of each band
    svc_of_row = np.cumsum(new_s) - 1
    services = sid[new_s]
    n_svc = len(services)
    svc_of_group = svc_of_row[sm_start]
    # breakpoints per service: 0 and every metric's band ends, rounded, sorted, each once
    p_svc = np.r_[np.arange(n_svc), svc_of_row]
    p_val = np.r_[np.zeros(n_svc), np.round(ends, 9)]
    order = np.lexsort((p_val, p_svc))
    p_svc, p_val = p_svc[order], p_val[order]
    keep = np.r_[True, (p_svc[1:] != p_svc[:-1]) | (p_val[1:] != p_val[:-1])]
    p_svc, p_val = p_svc[keep], p_val[keep]
    last = np.r_[p_svc[1:] != p_svc[:-1], True]  # the last breakpoint: the uncapped segment
    nxt = np.r_[p_val[1:], np.inf]
    seg_width = np.where(last, np.inf, nxt - p_val)
    mid = np.where(last, np.inf, (p_val + nxt) / 2)
    seg_start = np.flatnonzero(np.r_[True, p_svc[1:] != p_svc[:-1]])
    seg_no = _positions(seg_start, len(p_svc)) + 1
    # each segment against each metric of its service: the first band ending at or above its
    # middle (numpy's searchsorted, side="left", within the metric's bands)
    groups_per_svc = np.bincount(svc_of_group, minlength=n_svc)
    first_group = np.r_[0, np.cumsum(groups_per_svc)[:-1]]
    q_seg = np.repeat(np.arange(len(p_svc)), groups_per_svc[p_svc])
    q_rank = _positions(np.flatnonzero(np.r_[True, q_seg[1:] != q_seg[:-1]]), len(q_seg))
    q_group = first_group[p_svc[q_seg]] + q_rank
    q_mid = mid[q_seg]
    kind = np.r_[np.ones(n, np.int8), np.zeros(len(q_seg), np.int8)]  # a query before an end
    all_g = np.r_[g_of_row, q_group]
    all_v = np.r_[ends, q_mid]
    order = np.lexsort((kind, all_v, all_g))
    ends_before = np.cumsum(kind[order] == 1)
    is_query = order >= n
    idx_in_all = np.empty(len(q_seg), dtype=np.int64)
    idx_in_all[order[is_query] - n] = ends_before[is_query]
    band = idx_in_all - sm_start[q_group]  # ends before it in its own group
    n_bands = np.diff(np.r_[sm_start, n])[q_group]
    inside = band < n_bands
    row = sm_start[q_group] + np.minimum(band, n_bands - 1)
    vals = [np.where(inside, e[row], 0.0) for e in est]
    # not concave: some estimate of some metric rises from one segment to the next
    q_order = np.lexsort((q_seg, q_group))  # each group's segments in order
    g_sorted = q_group[q_order]
    same = g_sorted[1:] == g_sorted[:-1]
    rises = np.zeros(len(q_seg), dtype=bool)
    for v in vals:
        vs = v[q_order]
        up = same & (vs[1:] > vs[:-1] + 1e-12)
        rises[q_order[1:][up]] = True
    nonconcave_svc = np.zeros(n_svc, dtype=bool)
    nonconcave_svc[p_svc[q_seg[rises]]] = True
    segments = pd.DataFrame({"service_id": services[p_svc], "seg": seg_no.astype(np.int64),
                             "width": seg_width, "nonconcave": nonconcave_svc[p_svc]})
    nonzero = (vals[0] != 0) | (vals[1] != 0) | (vals[2] != 0)
    coefs = pd.DataFrame({"service_id": services[p_svc[q_seg]][nonzero],
                          "seg": seg_no[q_seg][nonzero].astype(np.int64),
                          "metric_id": metric[sm_start[q_group]][nonzero],
                          **{k: v[nonzero] for k, v in zip(ESTIMATES, vals)}})
    return segments, coefs


def _segments(inputs: Inputs, policy: Policy, years: tuple[str, ...], places: pd.DataFrame,
              problems: list[Problem]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Segment and coefficient tables: per year, service (in the services table's order),
    place and segment, each place getting its share of every segment's width."""
    curves = inputs.curves
    specific = curves[curves["year"].notna()]
    merged = _merged_segments(curves[curves["year"].isna()])  # all-years bands, once
    order = {s: i for i, s in enumerate(inputs.service_ids)}
    seg_parts, coef_parts = [], []
    for y, year in enumerate(years):
        this_year = set(specific.loc[specific["year"] == year, "service_id"])
        segs, cos = merged
        if this_year:
            own = _curves_for_year(curves, year)
            own_segs, own_cos = _merged_segments(own[own["service_id"].isin(this_year)])
            segs = pd.concat([segs[~segs["service_id"].isin(this_year)], own_segs])
            cos = pd.concat([cos[~cos["service_id"].isin(this_year)], own_cos])
        have = set(segs["service_id"])
        missing = [s for s in inputs.service_ids if s not in have]
        if missing:  # no curve: one uncapped segment that buys nothing
            segs = pd.concat([segs, pd.DataFrame({"service_id": np.array(missing, object),
                                                  "seg": 1, "width": np.inf,
                                                  "nonconcave": False})])
        seg_parts.append(segs.assign(year=year, y=y))
        coef_parts.append(cos.assign(year=year))
    t = pd.concat(seg_parts, ignore_index=True)
    t_rank = t["service_id"].map(order).to_numpy(dtype=np.int64)
    t = t.iloc[np.lexsort((t["seg"].to_numpy(), t_rank, t["y"].to_numpy()))].reset_index(
        drop=True)
    # every (year, service) block of segments, once per place
    n_t, n_pl = len(t), len(places)
    block = np.cumsum(np.r_[True, (t["service_id"].to_numpy(object)[1:]
                                   != t["service_id"].to_numpy(object)[:-1])
                            | (t["y"].to_numpy()[1:] != t["y"].to_numpy()[:-1])]) - 1
    rows = np.repeat(np.arange(n_t), n_pl)
    place = np.tile(np.arange(n_pl), n_t)
    final = np.lexsort((t["seg"].to_numpy()[rows], place, block[rows]))
    rows, place = rows[final], place[final]
    share = places["share"].to_numpy(dtype=float)
    effect = places["effect"].to_numpy(dtype=float)
    w = t["width"].to_numpy(dtype=float)[rows] * share[place]
    run_start = np.flatnonzero(np.r_[True, (block[rows][1:] != block[rows][:-1])
                                    | (place[1:] != place[:-1])])
    pos = _positions(run_start, len(rows))
    ends = _group_cumsum(w, pos)
    lo = np.where(pos == 0, 0.0, np.r_[0.0, ends[:-1]])
    n = len(rows)
    segments = pd.DataFrame({
        "col": np.arange(n, dtype=np.int64),
        "service_id": t["service_id"].to_numpy(object)[rows],
        "place_id": places["place_id"].to_numpy(object)[place],
        "year": t["year"].to_numpy(object)[rows], "seg": t["seg"].to_numpy(np.int64)[rows],
        "lo_m": lo, "width_m": w, "nonconcave": t["nonconcave"].to_numpy(bool)[rows]})
    # coefficients: each template segment's, once per place (times its effect), by column
    col_of = np.empty((n_t, n_pl), dtype=np.int64)
    col_of[rows, place] = np.arange(n)
    co = pd.concat(coef_parts, ignore_index=True)
    key = pd.MultiIndex.from_arrays([t["year"], t["service_id"], t["seg"]])
    t_row = key.get_indexer(pd.MultiIndex.from_arrays([co["year"], co["service_id"],
                                                       co["seg"]]))
    c_rows = np.repeat(np.arange(len(co)), n_pl)
    c_place = np.tile(np.arange(n_pl), len(co))
    c_col = col_of[t_row[c_rows], c_place]
    c_order = np.lexsort((c_rows, c_col))
    c_rows, c_place, c_col = c_rows[c_order], c_place[c_order], c_col[c_order]
    coefs = pd.DataFrame({"col": c_col.astype(np.int64),
                          "metric_id": co["metric_id"].to_numpy(object)[c_rows],
                          **{k: co[k].to_numpy(dtype=float)[c_rows] * effect[c_place]
                             for k in ESTIMATES}})
    segments = segments.astype({"col": "int64", "seg": "int64", "lo_m": float,
                                "width_m": float, "nonconcave": bool})
    coefs = coefs.astype({"col": "int64", "per_m": float, "per_m_low": float,
                          "per_m_high": float})
    segments["hwb_id"] = segments["place_id"].map(dict(zip(places["place_id"],
                                                           places["hwb_id"])))
    if policy.estimate != "central":
        coefs["per_m"] = coefs[f"per_m_{policy.estimate}"]
    if segments["nonconcave"].any() and policy.nonconcave != "milp":
        # The validator rejects these first; this guards data built in code.
        bad = sorted(set(segments.loc[segments["nonconcave"], "service_id"]))
        problems.append(Problem("curves", f"curves of {', '.join(bad)} are not concave; set "
                                "`nonconcave: milp` in the policy model to solve them exactly"))
    return segments, coefs


def _funding(inputs: Inputs, policy: Policy, years: tuple[str, ...]) -> pd.DataFrame:
    """F[i,y]: the funding table's amounts with ``rules.money`` applied (an override of a
    source-year not in the table is the money family's problem), and the acute offset's
    released money as a source."""
    money = policy.rules.money
    fund = inputs.funding[inputs.funding["year"].isin(years)].copy()
    for sid, by_year in money.amounts.items():
        for year, amount in by_year.items():
            mask = (fund["source_id"] == sid) & (fund["year"] == str(year))
            fund.loc[mask, "amount_m"] = float(amount)
    scale = money.scale
    if money.budget_m is not None:
        first = fund.loc[fund["year"] == years[0], "amount_m"].sum()
        scale *= money.budget_m / first if first > 0 else 0.0
    fund["amount_m"] = fund["amount_m"] * scale
    fund = fund[["source_id", "name", "year", "amount_m"]].assign(hwb_id=_pool_of(inputs, fund))
    released = release_funding(policy, years)
    if len(released):
        fund = pd.concat([fund, released.assign(hwb_id=ICS_WIDE)], ignore_index=True)
    return fund.reset_index(drop=True)


def policy_funding(inputs: Inputs, policy: Policy) -> pd.DataFrame:
    """F[i,y] as :func:`prepare` puts it in ``ModelData.funding`` (the money rule's amounts,
    scale and budget applied, the acute offset's released money as a source), without the
    rest of the model's tables or the policy's checks: what a page showing the money needs
    (the curves' segments, most of the cost of :func:`prepare`, are not made). Empty when
    the horizon keeps no funding year."""
    years = planning_years(inputs, policy, [])
    if not years:
        return pd.DataFrame(columns=["source_id", "name", "year", "amount_m", "hwb_id"])
    return _funding(inputs, policy, years)


def _pool_of(inputs: Inputs, fund: pd.DataFrame) -> list[str]:
    """Each funding row's HWB pool (ICS_WIDE for ICS-wide money)."""
    pool = inputs.hwb_of_funding()
    return [pool.get((s, y)) or ICS_WIDE for s, y in zip(fund["source_id"], fund["year"])]


def _baseline(inputs: Inputs, years: tuple[str, ...], places: pd.DataFrame) -> pd.DataFrame:
    if len(inputs.baseline):
        return inputs.baseline[inputs.baseline["year"].isin(years)].reset_index(drop=True)
    place_share = list(zip(places["place_id"].tolist(), places["share"].tolist()))
    rows = [
        (sid, pid, year, base * share)
        for sid, base in zip(inputs.services["service_id"].tolist(),
                             inputs.services["baseline_m"].tolist())
        for year in years
        for pid, share in place_share
    ]
    return pd.DataFrame(rows, columns=["service_id", "place_id", "year", "amount_m"])


def check_policy(inputs: Inputs, policy: Policy) -> tuple[ModelData | None, list[Problem]]:
    """The flat tables for `inputs` under `policy`, and every problem of the policy against
    the data: the horizon's years, the places' effects, the curves' shape, then each
    switched-on family's checks. With no year left to plan the tables are None (and the
    families are not checked)."""
    problems: list[Problem] = []
    years = planning_years(inputs, policy, problems)
    if not years:
        return None, problems
    places = _places(inputs, policy, problems)
    segments, coefs = _segments(inputs, policy, years, places, problems)
    funding = _funding(inputs, policy, years)
    rate = policy.horizon.discount_rate
    discount = {y: (1.0 + rate) ** -t for t, y in enumerate(years)}
    data = ModelData(
        inputs=inputs, policy=policy, years=years, discount=discount, places=places,
        segments=segments, coefs=coefs, flows=flows(inputs, policy, funding, list(dict.fromkeys(places["hwb_id"]))),
        funding=funding,
        baseline=_baseline(inputs, years, places),
    )
    return data, problems + rule_set_problems(policy.bcf.rules, years) + policy_problems(data)


def prepare(inputs: Inputs, policy: Policy) -> ModelData:
    """Build the flat tables for `inputs` under `policy`.

    Raises
    ------
    PolicyError
        Every problem :func:`check_policy` finds, at once.
    """
    data, problems = check_policy(inputs, policy)
    if problems or data is None:
        raise PolicyError(problems, title="The policy model has problems")
    return data


def fill_in_order(data: ModelData, spend: pd.DataFrame) -> np.ndarray:
    """Segment values that spend `spend` (service_id, place_id, year, amount_m) in band order.

    This is how money on a concave curve is best used, and how the baseline's outcome is
    evaluated. Returns an array indexed like ``data.segments['col']``.
    """
    seg = data.segments
    key = ["service_id", "place_id", "year"]
    amounts = spend.groupby(key, dropna=False, sort=False)["amount_m"].sum()
    total = seg[key].merge(amounts.rename("amt").reset_index(), on=key, how="left")["amt"]
    total = total.fillna(0.0).to_numpy(dtype=float)
    lo = seg["lo_m"].to_numpy(dtype=float)
    width = seg["width_m"].to_numpy(dtype=float)
    return np.clip(total - lo, 0.0, width)
