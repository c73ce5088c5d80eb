"""Every kind of sentence the example's answer speaks, checked against a re-solve, under each
shipped policy model (issue 16: "every sentence should be checked against a re-solve").

The figures are read back out of the sentences (never from the tables beside them) and the
model is solved again with the limit, the effect or the line moved as the sentence says:

- a rule's shadow price: "£1m more … would buy X" (the gain of a re-solve with the limit a
  little higher), "This holds for up to £R more" / "from £F below … to £R above" (the same
  gain per unit over the whole stated range), "each £1m less would give up Y", "would change
  nothing", "would not be possible", "cannot fall at all";
- a service's reduced cost: "would need to buy N more … per £1m to receive more money" (N a
  little less leaves the plan as it is, N a little more moves money to it) and "the plan
  stays the same while its next £1m buys anything up to H (today P)";
- a flexibility range: "could receive anything from £a to £b … within 1% of the best" (pinned
  at £a and at £b the outcome is within 1%, and a little beyond either it is not);
- the app's budget sentence: "£1m more on the first year's budget buys about S" (a re-solve
  with the budget £1m higher).

A mixed-integer model (shift-left) is re-solved with its integer choices fixed, as its
prices are computed ("from the LP with the mixed-integer choices fixed").
"""

from __future__ import annotations

import re
from pathlib import Path

import highspy
import numpy as np
import pytest

from budgetopt.analyses.flexibility import flexibility, flexibility_sentences
from budgetopt.api import build
from budgetopt.data.dataset import load_dataset
from budgetopt.policy import apply_overrides, load_policy, policy_from_dict

ROOT = Path(__file__).resolve().parents[2]
MODELS = sorted((ROOT / "models").glob("*.yaml"))
PER_COMPONENT = 3  # rows checked per constraint component and model: the largest prices
NUMBER = r"(-?[\d,]+(?:\.\d+)?)"


def _num(text: str) -> float:
    return float(text.replace(",", ""))


def _amount(text: str) -> float | None:
    """An amount as the sentences write it (£3.2m, £34.1k, £142, £0.50, £2.00 a head,
    12.50 WTE, any amount) in its unit (money in £m)."""
    found = re.match(r"(£?)" + NUMBER + r"([mk]?)", text)
    if not found:
        return None
    value = _num(found.group(2))
    if found.group(1) and not text.endswith("a head"):
        value *= {"m": 1.0, "k": 1e-3, "": 1e-6}[found.group(3)]
    return value


class Resolver:
    """The session's LP (integer choices fixed at the optimum for a mixed-integer model) in a
    HiGHS of its own: re-solved with one row's limit moved, or some columns' costs raised."""

    def __init__(self, session) -> None:
        compiled = session.compiled
        lp = compiled.highs.getLp()
        x = np.asarray(compiled.highs.getSolution().col_value, float)
        if np.any(compiled.integer):
            ints = np.flatnonzero(compiled.integer)
            lower = np.array(lp.col_lower_, dtype=float)
            upper = np.array(lp.col_upper_, dtype=float)
            lower[ints] = upper[ints] = np.round(x[ints])
            lp.col_lower_, lp.col_upper_ = lower, upper
            lp.integrality_ = []
        self.h = highspy.Highs()
        self.h.setOptionValue("output_flag", False)
        self.h.passModel(lp)
        self.lower = np.array(lp.row_lower_, dtype=float)
        self.upper = np.array(lp.row_upper_, dtype=float)
        self.cost = np.array(lp.col_cost_, dtype=float)
        self.maximise = compiled.maximise
        self.hrow = compiled.hrow
        self.senses = [info.sense for info in compiled.rows]
        self.base = self._run()
        assert self.base is not None
        self.x = np.asarray(self.h.getSolution().col_value, float)

    def _run(self) -> float | None:
        self.h.clearSolver()
        self.h.run()
        if self.h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        return float(self.h.getInfo().objective_function_value)

    def with_limit(self, r: int, delta: float) -> float | None:
        """The objective with model row `r`'s limit moved by `delta` (model units); None when
        that is infeasible. A row that shares a ranged HiGHS row with its twin (a service's
        minimum and maximum) moves only its own side."""
        hr = int(self.hrow[r])
        lo, up = self.lower[hr], self.upper[hr]
        sense = self.senses[r]
        self.h.changeRowBounds(hr, lo + delta if np.isfinite(lo) and sense != "<=" else lo,
                               up + delta if np.isfinite(up) and sense != ">=" else up)
        try:
            return self._run()
        finally:
            self.h.changeRowBounds(hr, lo, up)

    def with_costs(self, cols: np.ndarray, extra: float) -> tuple[float | None, np.ndarray]:
        """The objective and plan with the objective coefficient of `cols` raised by `extra`
        (more outcome per £1m when maximising, less cost when minimising)."""
        cost = self.cost.copy()
        cost[cols] += extra if self.maximise else -extra
        self.h.changeColsCost(len(cols), cols.astype(np.int32), cost[cols])
        try:
            obj = self._run()
            return obj, np.asarray(self.h.getSolution().col_value, float)
        finally:
            self.h.changeColsCost(len(cols), cols.astype(np.int32), self.cost[cols])


@pytest.fixture(scope="module")
def example():
    return load_dataset(ROOT / "inputs" / "example")


@pytest.fixture(scope="module", params=MODELS, ids=lambda p: p.stem)
def solved(request, example):
    policy = load_policy(request.param)
    session = build(example, policy)
    res = session.results()
    assert res.optimal, f"{request.param.name}: {res.status}"
    return policy, session, res, Resolver(session)


def _effect(text: str, mode: str) -> float | None:
    """The signed change of the objective an effect phrase states ("buy 3.00 more weighted
    outcomes" +3, "give up 1.50 weighted outcomes" −1.5, "add £0.727m to the cost" +0.727,
    "save £0.1m" −0.1, "change nothing" 0); None for "not be possible"."""
    if text.startswith("change nothing"):
        return 0.0
    if text.startswith("not be possible"):
        return None
    m = re.match(r"(buy|give up) " + NUMBER + r" (more )?weighted outcomes", text)
    if m:
        return _num(m.group(2)) * (1 if m.group(1) == "buy" else -1)
    m = re.match(r"(add|save) £" + NUMBER + "m", text)
    assert m, f"an effect phrase not understood: {text!r}"
    return _num(m.group(2)) * (1 if m.group(1) == "add" else -1)


def _claims(meaning: str, mode: str) -> dict:
    """What a shadow-price sentence claims: the rise's effect per unit, how far it holds, the
    fall's effect per unit and how far it holds (None: not said)."""
    m = re.search(r" would (.*?)(?:\. |: another rule|\.$)", meaning)
    assert m, meaning
    claim = {"rise": _effect(m.group(1), mode), "rise_to": None, "fall": None,
             "fall_to": None, "fall_possible": True}
    both = re.search(r"This holds from (.+?) below today's limit to (.+?) above it\.", meaning)
    if both:
        claim["fall"] = -claim["rise"]
        claim["fall_to"], claim["rise_to"] = _amount(both.group(1)), _amount(both.group(2))
    up = re.search(r"This holds for up to (.+?) more\.", meaning)
    if up:
        claim["rise_to"] = _amount(up.group(1))
    below = re.search(r"Below today's limit, each .+? less would (.+?)(?: \(for up to (.+?) "
                      r"less\))?\.$", meaning)
    if below:
        claim["fall"] = _effect(below.group(1), mode)
        claim["fall_to"] = _amount(below.group(2)) if below.group(2) else None
    if "a small fall would change nothing either" in meaning:
        claim["fall"] = 0.0
    if "It cannot fall at all" in meaning:
        claim["fall_possible"] = False
    return claim


def _checked_rows(session, res):
    """(HiGHS row, constraint row) of the binding rows checked: per component, the
    :data:`PER_COMPONENT` with the largest price either way."""
    reported = [r for r, info in enumerate(session.compiled.rows) if info.report]
    pairs = [(r, c) for r, c in zip(reported, res.constraints.itertuples(index=False))
             if c.binding]
    by: dict[str, list] = {}
    for r, c in pairs:
        by.setdefault(c.component, []).append((r, c))
    out = []
    for rows in by.values():
        size = [max(abs(np.nan_to_num(c.shadow_price)), abs(np.nan_to_num(c.shadow_price_down)))
                for _, c in rows]
        out += [rows[i] for i in np.argsort(size)[::-1][:PER_COMPONENT]]
    return out


def _inner(amount: float | None) -> float:
    """A move inside a stated range whatever its rounding (£3.2m may be £3.15m)."""
    if amount is None:
        return 0.01
    if amount >= 0.2:
        return amount - 0.05
    return amount / 2 if amount > 0 else 0.0


def _close(got: float, said: float, decimals: int) -> bool:
    return abs(got - said) <= 0.6 * 10 ** -decimals + 1e-5 * abs(said) + 1e-6


def test_every_shadow_price_sentence_matches_a_re_solve(solved):
    policy, session, res, again = solved  # noqa: RUF059
    checked = 0
    for r, c in _checked_rows(session, res):
        info = session.compiled.rows[r]
        claim = _claims(c.meaning, res.mode)
        decimals = 3 if res.mode == "min_cost" else 2
        where = f"{c.name}: {c.meaning}"
        for sign, effect, reach in ((1, claim["rise"], claim["rise_to"]),
                                    (-1, claim["fall"], claim["fall_to"])):
            if sign < 0 and not claim["fall_possible"]:
                assert again.with_limit(r, -0.01 / info.scale) is None, f"it can fall: {where}"
                continue
            if sign > 0 and effect is None:  # "not be possible"
                assert again.with_limit(r, 0.01 / info.scale) is None, f"it can rise: {where}"
                continue
            if effect is None:
                continue
            step = _inner(reach) if reach is not None else 0.01
            if step <= 0:
                continue
            got = again.with_limit(r, sign * step / info.scale)
            assert got is not None, f"a {'rise' if sign > 0 else 'fall'} of {step} is " \
                                    f"infeasible: {where}"
            per_unit = (got - again.base) / step * sign
            assert _close(per_unit, effect * sign, decimals), \
                f"{'rise' if sign > 0 else 'fall'} by {step}: a re-solve gives " \
                f"{per_unit * sign:+.4f} a unit, the sentence {effect:+.4f}: {where}"
            checked += 1
    assert checked >= 10


def test_every_reduced_cost_sentence_matches_a_re_solve(solved):
    """N a little less than the sentence's figure leaves the plan's objective as it is; N a
    little more moves money to the service (the objective rises); H = P + N."""
    policy, session, res, again = solved  # noqa: RUF059
    rc = res.reduced_costs
    assert len(rc), "no service is at the margin"
    seg = session.data.segments
    xcols = np.asarray(session.compiled.columns(session.model.x))
    empty = again.x[xcols] < 1e-9
    checked = 0
    for row in rc.head(8).itertuples(index=False):
        if res.mode == "max_outcome":
            m = re.search(r"would need to buy " + NUMBER + r" more weighted outcomes per £1m"
                          r"(?: \(" + NUMBER + r"% more effective\))?", row.meaning)
            decimals = 2
        else:
            m = re.search(r"would need to cost £" + NUMBER + r"m less per £1m", row.meaning)
            decimals = 3
        assert m, row.meaning
        needs = _num(m.group(1))
        held = re.search(r"anything up to " + NUMBER + r" \(today " + NUMBER + r"\)",
                         row.meaning)
        if held:
            assert _num(held.group(1)) == pytest.approx(_num(held.group(2)) + needs, abs=0.011)
        if m.lastindex and m.lastindex > 1 and m.group(2):
            assert _num(m.group(2)) == pytest.approx(100 * needs / row.per_m, abs=0.6)
        mine = (seg["service_id"] == row.service_id).to_numpy() & (
            seg["year"] == row.year).to_numpy() & empty
        cols = xcols[mine]
        assert len(cols), row.meaning
        scale = 10 ** -decimals
        less, _ = again.with_costs(cols, max(needs - scale, 0.0) * 0.999)
        assert less == pytest.approx(again.base, rel=1e-9, abs=1e-6), \
            f"less than the figure already changes the plan: {row.meaning}"
        _, x = again.with_costs(cols, needs * 1.001 + scale)
        assert x[cols].sum() > 1e-6, f"the figure and more moves no money: {row.meaning}"
        checked += 1
    assert checked


def test_every_flexibility_sentence_matches_a_re_solve_with_the_line_pinned(solved, example):
    """Pinned at the least and at the most of a stated range the outcome stays within the
    slack of the best; £0.1m beyond either end it does not (or cannot be met)."""
    policy, session, res, again = solved  # noqa: RUF059
    slack = 0.01
    found = flexibility(example, policy, slack)
    z = res.objective
    floor = z - slack * abs(z) if res.mode == "max_outcome" else z + slack * abs(z)
    names = dict(zip(example.services["service_id"], example.services["name"]))
    by_name = {v: k for k, v in names.items()}
    pattern = re.compile(r"^(.+) in (\S+) could receive anything from £" + NUMBER + r"m to £"
                         + NUMBER + r"m \(the plan: £" + NUMBER + r"m\)")

    def pinned(service: str, year: str, spend: float) -> float | None:
        data = policy.model_dump(mode="python")
        data["pins"] = [{"service_id": service, "year": year, "spend_m": spend}]
        out = build(example, policy_from_dict(data, where="the test")).results()
        return out.objective if out.optimal else None

    def within(obj: float | None) -> bool:
        tol = 1e-6 * abs(z)
        return obj is not None and (obj >= floor - tol if res.mode == "max_outcome"
                                    else obj <= floor + tol)

    sentences = [s for s in flexibility_sentences(found) if pattern.match(s)]
    assert sentences
    for k, sentence in enumerate(sentences[:2]):
        name, year, low, high, plan = pattern.match(sentence).groups()
        sid = by_name[name]
        low, high = _num(low), _num(high)
        # the stated ends are rounded to £0.1m: pinned £0.05m inside them
        assert within(pinned(sid, year, min(low + 0.05, _num(plan)))), sentence
        assert within(pinned(sid, year, max(high - 0.05, _num(plan)))), sentence
        if k == 0:
            assert not within(pinned(sid, year, high + 0.1)), sentence
            if low >= 0.1:
                assert not within(pinned(sid, year, low - 0.1)), sentence


def test_the_budget_sentence_matches_a_re_solve_with_a_pound_more(solved, example):
    """The Results page's 'so £1m more on the first year's budget buys S': a re-solve with the
    budget £1m higher (every source in proportion) gains S. (The sum of the money rows'
    shadow prices × their share, which it said before, was up to 6% too high under
    fair-shares and ics-statutory: a rise leaves some rows' ranges, and rules follow the
    money.)"""
    from budgetopt.analyses.board import first_year_budget
    from budgetopt.analyses.sweeps import one_more_pound
    from budgetopt.ui.widgets import duals_against_curve

    policy, _, res, _ = solved
    if res.mode != "max_outcome":
        pytest.skip("the budget sentence speaks of outcome")
    budget = first_year_budget(example, policy)
    slope = one_more_pound(example, policy, res.objective, budget)
    sentence = duals_against_curve(res, slope, "weighted outcome units")
    said = _num(re.search(r"budget buys " + NUMBER, sentence).group(1))
    more = build(example, apply_overrides(policy, {"budget_m": budget + 1.0})).results()
    assert more.optimal
    assert more.objective - res.objective == pytest.approx(said, abs=0.51)


def test_the_apps_gap_words_take_the_first_years_relaxations_by_their_year_key():
    """Minimums of £6m each against £10m in the first year (a £2m gap) and £11m in the
    second: the words speak of the first year's £2m alone (the second year's £1m counted
    too would be more than the gap, and the words would blame the ring-fences)."""
    from budgetopt import optimise
    from budgetopt.policy import Policy
    from budgetopt.ui.widgets import gap_words
    from tests.builders import make_inputs

    inputs = make_inputs(
        services=[{"service_id": "A", "min_m": 6.0}, {"service_id": "B", "min_m": 6.0}],
        curves=[("A", "m", 1, 20, 2), ("B", "m", 1, 20, 1)],
        funding=[("pool", "2026/27", 10.0), ("pool", "2027/28", 11.0)])
    policy = Policy()
    res = optimise(inputs, policy)
    text = gap_words(res, inputs, policy)
    assert "In 2026/27 the minimums add up to £12.0m against £10.0m of money: a gap of " \
           "£2.0m." in text, text
    assert "must give way" not in text
