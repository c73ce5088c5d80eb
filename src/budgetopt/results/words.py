"""Words for numbers: shadow prices, reduced costs and infeasibility, for a board.

Shadow prices are read through the catalogue (``catalogue.yaml``): each constraint component
has a sentence template, filled with the row's labels and with what one more unit of its limit
does to the objective. Infeasibility is diagnosed by the solver, never guessed: an elastic copy
of the model gives every relaxable rule a penalised slack in the direction that loosens it and
minimises the total slack; the non-zero slacks are the smallest relaxation, in each rule's own
unit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeGuard

import highspy
import numpy as np

if TYPE_CHECKING:
    import pandas as pd

from budgetopt.families.common import money, money_size
from budgetopt.families.rows import RowInfo, entry
from budgetopt.solve.highs import FEASIBILITY_TOL, Compiled, new_highs

TOL = 2 * FEASIBILITY_TOL
"""A slack of the elastic model below this (a fifth of a penny in £m) is the solver's noise."""


def effect_phrase(delta: float, mode: str) -> str:
    """What a change of `delta` in the objective means, in words."""
    if mode == "max_outcome":
        if delta >= 0:
            return f"buy {delta:,.2f} more weighted outcomes"
        return f"give up {-delta:,.2f} weighted outcomes"
    if delta >= 0:
        return f"add £{delta:,.3f}m to the cost"
    return f"save £{-delta:,.3f}m"


def shadow_sentence(info: RowInfo, shadow: float, binding: bool, mode: str,
                    effect: Callable[[float], str] | None = None, *, down: float | None = None,
                    limit: float | None = None, holds_from: float | None = None,
                    holds_to: float | None = None) -> str:
    """The meaning of a row's shadow price, as a sentence a board understands: the row's
    catalogue template filled with its labels and with what one more unit of its limit does
    to the objective (:func:`effect_phrase` in `mode`, or `effect` for an analysis that
    optimises something else), then how far that holds.

    `shadow` is the value of a rise of the limit, `down` that of a fall (the objective given
    up per unit less; NaN: the limit cannot fall), `holds_from`/`holds_to` the limit's values
    between which they hold (±inf: unbounded, NaN or None: not known). A rise that is not
    possible (`shadow` NaN) or worth nothing is said so, never left empty."""
    if not binding:
        return f"Not binding: {info.name} has room to spare, so a small change to it changes " \
               "nothing."
    say = effect or (lambda d: effect_phrase(d, mode))
    template = (entry(info.component) or {}).get("dual", "{effect}")

    def filled(words: str) -> str:
        text = template.format_map(_Labels(info.labels, effect=words))
        return text[0].upper() + text[1:]

    def cannot(d: float | None) -> bool:
        return d is not None and not np.isfinite(d) and np.isnan(d)

    up_zero = not cannot(shadow) and abs(shadow) < 1e-9
    if cannot(shadow):
        text = filled("not be possible without breaking another rule")
    elif up_zero:
        text = filled("change nothing")
    else:
        text = filled(say(shadow))
    if limit is None:
        return text if not up_zero else text.rstrip(".") + ": another rule holds the plan here."
    rise = _amount(holds_to - limit, info.unit) if _known(holds_to) else None
    fall = _amount(limit - holds_from, info.unit) if _known(holds_from) else None
    same = down is None or (not cannot(down) and not cannot(shadow)
                            and abs(down - shadow) <= 1e-6 * max(1.0, abs(shadow)))
    if same and not cannot(shadow):
        if up_zero:
            return text.rstrip(".") + (": another rule holds the plan here, and a small fall "
                                       "would change nothing either.")
        if rise is None and fall is None:
            return text
        return (f"{text} This holds from {fall or 'any amount'} below today's limit to "
                f"{rise or 'any amount'} above it.")
    if not cannot(shadow) and not up_zero:
        text += f" This holds for up to {rise} more." if rise else " This holds for any rise."
    one = _one(info.unit)
    if down is None:  # a rise that cannot be: nothing known of a fall
        return text
    if cannot(down):
        return f"{text} It cannot fall at all without breaking another rule."
    below = f" Below today's limit, each {one} less would {say(-down)}"
    return text + below + (f" (for up to {fall} less)." if fall else ".")


def _known(v: float | None) -> TypeGuard[float]:
    """A number that is there and finite (not None, NaN or ±inf)."""
    return v is not None and bool(np.isfinite(v))


def _one(unit: str) -> str:
    """One unit of a limit, in words: £1m, one WTE, £1 a head, one outcome unit."""
    return {"£m": "£1m", "WTE": "one WTE", "£ per head": "£1 a head"}.get(unit, f"one {unit}")


def _amount(v: float, unit: str) -> str:
    """An amount of a limit's unit, in words (£3.2m, £34.1k, £142, 12.5 WTE)."""
    v = abs(float(v))
    digits = 1 if v >= 0.1 else 3
    if unit == "£m":
        return money_size(v)
    if unit == "£ per head":
        return f"£{v:,.2f} a head"
    return f"{v:,.{digits + 1}f} {unit}"


class _Labels(dict):
    def __init__(self, labels: dict, **extra: str) -> None:
        super().__init__({**labels, **extra})

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


@dataclass(frozen=True)
class Relaxation:
    name: str
    family: str
    relax_by: float  # in the rule's own unit
    unit: str
    direction: str = ""  # an equality (a pinned line): "up" or "down"; else the loosening way
    keys: dict[str, str] = field(default_factory=dict)  # the row's keys that apply (its year…)

    def amount(self) -> str:
        """How far to relax it, in words: money as £12.3m or, under £0.05m, in pounds and
        pence (£0.50); another unit to two decimals (1.50 WTE)."""
        if self.unit == "£m":
            return money(self.relax_by)
        return f"{self.relax_by:,.2f} {self.unit}"

    def sentence(self) -> str:
        if self.direction:
            return f"move '{self.name}' {self.direction} by {self.amount()}"
        return f"relax '{self.name}' by {self.amount()}"


@dataclass(frozen=True)
class Infeasibility:
    message: str
    relaxations: tuple[Relaxation, ...] = field(default_factory=tuple)

    def to_json(self) -> dict:
        return {"message": self.message,
                "relaxations": [{"name": r.name, "family": r.family, "relax_by": r.relax_by,
                                 "unit": r.unit, **({"direction": r.direction}
                                                    if r.direction else {}), "keys": r.keys}
                                for r in self.relaxations]}


FACT_FAMILIES = {"money": 10.0, "eligibility": 10.0, "workforce": 3.0}
"""Penalty multipliers of the elastic model: funding and ring-fences are facts a finance lead
cannot easily change, staff take years to train; policy choices (minimums, targets, rule
parameters) are relaxed first. Every other family weighs 1."""


def _slack_costs(compiled: Compiled, rows: list[int], signs: list[float]) -> np.ndarray:
    """Penalty per unit of slack: relative to the size of the row's limit, times the family's
    weight, so that £m, WTE and outcome units compare as shares of what each rule asks."""
    costs = np.empty(len(rows))
    for j, (r, sign) in enumerate(zip(rows, signs)):
        limit = compiled.row_upper[r] if sign < 0 else compiled.row_lower[r]
        size = max(abs(float(limit)), 1.0) if np.isfinite(limit) else 1.0
        costs[j] = FACT_FAMILIES.get(compiled.rows[r].family, 1.0) / size
    return costs


def diagnose_infeasibility(compiled: Compiled, warnings: tuple[str, ...] = ()) -> Infeasibility:
    """Find the smallest relaxation of the rules that makes the model feasible.

    The elastic model keeps every variable and row, drops the objective, and adds a slack
    s_r ≥ 0 to each relaxable row r in the direction that loosens it (row − s_r ≤ limit for
    a ≤ row, row + s_r ≥ limit for a ≥ row, both ways for an equality); it minimises
    Σ w_r s_r with w_r = f_r / max(|limit_r|, 1): each relaxation counted as a share of what
    the rule asks (so £m, WTE and outcome units compare), times a family weight f_r that
    relaxes policy choices before facts (:data:`FACT_FAMILIES`). Integer choices are kept, so
    a mixed-integer model is diagnosed as a mixed-integer model.
    """
    lp = compiled.highs.getLp()
    h = new_highs()
    n = lp.num_col_
    lp.col_cost_ = np.zeros(n)
    lp.offset_ = 0.0
    lp.sense_ = highspy.ObjSense.kMinimize
    h.passModel(lp)
    slack_rows: list[int] = []
    signs: list[float] = []
    for r, info in enumerate(compiled.rows):
        if not info.relaxable:
            continue
        if info.sense in ("<=", "=="):
            slack_rows.append(r)
            signs.append(-1.0)
        if info.sense in (">=", "=="):
            slack_rows.append(r)
            signs.append(1.0)
    k = len(slack_rows)
    if k == 0:
        return Infeasibility("The model is infeasible, and none of its rules can be relaxed: "
                             "check the band widths and the data.")
    h.addCols(k, _slack_costs(compiled, slack_rows, signs), np.zeros(k),
              np.full(k, highspy.kHighsInf), k,
              np.arange(k, dtype=np.int32), compiled.hrow[slack_rows].astype(np.int32),
              np.array(signs, dtype=float))
    h.setOptionValue("time_limit", 120.0)
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return Infeasibility("The model is infeasible even with every rule relaxed: check the "
                             "data (band widths, funding, eligibility).")
    slack = np.asarray(h.getSolution().col_value)[n:]
    total: dict[int, float] = {}
    way: dict[int, float] = {}  # an equality's net move of its limit (+: up)
    for r, s, sign in zip(slack_rows, slack, signs):
        if s > TOL:
            total[r] = total.get(r, 0.0) + float(s)
            way[r] = way.get(r, 0.0) - sign * float(s)  # row + sign·s = limit
    relax = tuple(
        Relaxation(compiled.rows[r].name, compiled.rows[r].family,
                   round(s * compiled.rows[r].scale, 9), compiled.rows[r].unit,
                   ("up" if way[r] > 0 else "down") if compiled.rows[r].sense == "==" else "",
                   {k: v for k, v in compiled.rows[r].keys.items() if v is not None})
        for r, s in sorted(total.items(), key=lambda rs: -rs[1])
    )
    lead = " ".join(warnings)
    body = "; ".join(x.sentence() for x in relax)
    message = (f"{lead + ' ' if lead else ''}The rules cannot all be met. The smallest change "
               f"that makes them feasible: {body}.")
    return Infeasibility(message, relax)


def reduced_cost_sentence(service: str, year: str, needs: float, relative: float | None,
                          mode: str, *, per_m: float | None = None,
                          holds_to: float | None = None) -> str:
    """How much more effective a service would need to be to receive more money, and (with
    `holds_to`, the outcome per £1m of its next band up to which the plan stays the same,
    against `per_m` today) the range over which the plan does not change."""
    if mode != "max_outcome":
        return (f"{service} in {year} would need to cost £{needs:,.3f}m less per £1m of spend "
                "to be used more.")
    pct = f" ({relative:.0%} more effective)" if relative is not None else ""
    text = (f"{service} in {year} would need to buy {needs:,.2f} more weighted outcomes per £1m"
            f"{pct} to receive more money.")
    if _known(holds_to) and per_m is not None:
        text += (f" The plan stays the same while its next £1m buys anything up to "
                 f"{holds_to:,.2f} (today {per_m:,.2f}).")
    return text


def low_certainty_flags(inputs: object, allocation: pd.DataFrame | None) -> tuple[str, ...]:
    """One caution for each service that gets money on low-certainty evidence (the
    ``evidence`` table's ``certainty``): what it gets over the plan and what its curve rests
    on; more than three such services share one caution naming each with its money.
    `allocation` has service_id, name and spend_m."""
    from budgetopt.data.evidence import low_certainty_sources

    low = low_certainty_sources(inputs)
    if not low or allocation is None or not len(allocation):
        return ()
    spend = allocation.groupby("service_id", sort=False)["spend_m"].sum()
    names = dict(zip(allocation["service_id"], allocation["name"], strict=True))
    funded = [(sid, basis, float(spend.get(sid, 0.0))) for sid, basis in low.items()
              if float(spend.get(sid, 0.0)) > 0.05]
    hint = "`budgetopt analyse evpi` shows what better evidence would be worth."
    if len(funded) > 3:  # one caution naming them all, not a page of them
        named = [str(names.get(sid, sid)) for sid, _, _ in funded]
        listed = ", ".join(named[:-1]) + " and " + named[-1]
        return (f"{len(funded)} services are funded on low-certainty evidence ({listed}): "
                f"treat their shares with caution; {hint}"),
    out = [f"{names.get(sid, sid)} gets £{amount:,.1f}m over the plan on low-certainty "
           f"evidence ({basis}): treat its share with caution; {hint}"
           for sid, basis, amount in funded]
    return tuple(out)
