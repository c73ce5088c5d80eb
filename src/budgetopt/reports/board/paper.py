"""What the board paper says: its sentences, tables and figures, from a solve and its analyses.

:func:`board_paper` turns a :class:`~budgetopt.results.tables.Results`, the inputs it was
solved from, the policy and the :class:`~budgetopt.analyses.board.Analyses` into a
:class:`Paper`: plain values (strings, rows of strings, plotly figures) that the HTML template
lays out. Every figure in the paper is a chart function of :mod:`budgetopt.reports.charts`
(the ones the app shows), numbered in reading order, with a title, a one-sentence caption and
alt text made from its own figures. Input text (names, ids) stays data: the template escapes
it, and chart labels go through :func:`budgetopt.reports.charts.plain`.

The front page answers three questions in three sentences: what moves, what it buys, what it
costs. A section whose analysis was not run is listed, with the reason, on the front page and
in the appendix, never silently dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import plotly.graph_objects as go

from budgetopt.analyses.board import (
    MC_SAMPLES,
    ROBUST_ALPHA,
    ROBUST_SAMPLES,
    Analyses,
    first_year_budget,
)
from budgetopt.reports import charts
from budgetopt.results.summary import STATUS_WORDS, priced_rules

if TYPE_CHECKING:
    from budgetopt.data.inputs import Inputs
    from budgetopt.policy import Policy
    from budgetopt.results.tables import Results

MOVE_TOL_M = 0.05  # changes smaller than £50k over the plan are not "moves"
NO_ANALYSES = "this paper was made with --no-analyses"
CHANGES_SHOWN = 12  # services in the chart of the largest changes
FLEX_SHOWN = 10  # services in the chart of flexibility ranges (the widest; all in the workbook)
SANKEY_PX = 800  # the flow diagram's height: with its heading and caption, one page


# -- numbers in words -------------------------------------------------------------------------


def gbp_m(value: float, sign: bool = False) -> str:
    """£m with one decimal, a true minus sign, and a + when `sign` asks for one."""
    text = f"£{abs(value):,.1f}m"
    if value < 0 and round(abs(value), 1) > 0:
        return "−" + text
    return ("+" + text) if sign and round(value, 1) > 0 else text


def number(value: float, digits: int = 0, sign: bool = False) -> str:
    """A figure with thousands separators, a true minus sign and, with `sign`, a +."""
    text = f"{abs(value):,.{digits}f}"
    if float(text.replace(",", "")) == 0:
        return text
    if value < 0:
        return "−" + text
    return ("+" + text) if sign else text


def percent(value: float, sign: bool = False, digits: int = 1) -> str:
    text = f"{abs(value) * 100:.{digits}f}%"
    if value < 0 and float(text[:-1]) > 0:
        return "−" + text
    return ("+" + text) if sign and float(text[:-1]) > 0 else text


def listing(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


# -- the paper ---------------------------------------------------------------------------------


@dataclass
class Figure:
    """One numbered figure: a plotly chart with its title, caption and alt text."""

    key: str
    title: str
    caption: str
    alt: str
    figure: go.Figure
    height: int = 400  # CSS pixels, at the print width
    number: int = 0
    width: int = charts.PRINT_WIDTH
    half: bool = False  # drawn at half the width, beside the next half-width figure
    image: str = ""  # a data: URL of the rendered SVG, filled in by the renderer


@dataclass
class Table:
    """A short table: a header row and rows of text (numbers formatted already)."""

    caption: str
    header: list[str]
    rows: list[list[str]]
    numeric: list[bool] = field(default_factory=list)  # right-align these columns
    number: int = 0


@dataclass
class Section:
    key: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    blocks: list[Figure | Table | list[str]] = field(default_factory=list)  # list = bullets
    left_out: list[tuple[str, str]] = field(default_factory=list)  # (what, why not here)


@dataclass
class Paper:
    title: str  # the heading; the PDF's title is "Board paper: " and this
    subtitle: str
    prepared: str
    decision: str
    recommendation: list[str]
    key_figures: list[tuple[str, str]]
    sections: list[Section]
    appendix: list[tuple[str, list[tuple[str, str]]]]  # (heading, [(term, text)])
    omitted: list[tuple[str, str]]  # (section, why it is not in the paper)
    status: str
    notes: list[str] = field(default_factory=list)

    @property
    def document_title(self) -> str:
        return f"Board paper: {self.title[:1].lower()}{self.title[1:]}"

    @property
    def figures(self) -> list[Figure]:
        return [b for s in self.sections for b in s.blocks if isinstance(b, Figure)]


def board_paper(results: Results, inputs: Inputs, policy: Policy,
                analyses: Analyses | None = None, *, scenario: str = "",
                left_out_because: str = NO_ANALYSES) -> Paper:
    """The board paper's content for `results` solved from `inputs` under `policy`.

    Sections whose analyses are missing from `analyses` (None: none run) are listed in
    ``omitted`` with `left_out_because` (or a reason of their own, e.g. no places).
    """
    facts = _Facts(results, inputs, policy, analyses or Analyses(), scenario)
    facts.ran = analyses is not None
    why = left_out_because
    if results.optimal:
        sections = [_money_section(facts), _allocation_section(facts),
                    _rules_section(facts, why), _tradeoffs_section(facts, why),
                    _risks_section(facts, why)]
    else:
        sections = [_not_optimal_section(facts)]
        sections[0].left_out.append((
            "Every section on the plan and its analyses",
            f"the solve is {STATUS_WORDS.get(results.status, results.status)}"))
    omitted = [item for s in sections for item in s.left_out]
    _number(sections)
    return Paper(
        title=facts.title(), subtitle=facts.subtitle(), prepared=facts.prepared,
        decision=facts.decision(), recommendation=facts.recommendation(),
        key_figures=facts.key_figures(), sections=sections,
        appendix=_appendix(facts, omitted), omitted=omitted, status=results.status,
        notes=list(results.warnings))


def _number(sections: list[Section]) -> None:
    figure = table = 0
    for section in sections:
        for block in section.blocks:
            if isinstance(block, Figure):
                figure += 1
                block.number = figure
            elif isinstance(block, Table):
                table += 1
                block.number = table


class _Facts:
    """The figures the sentences are made of, computed once."""

    def __init__(self, results: Results, inputs: Inputs, policy: Policy, analyses: Analyses,
                 scenario: str) -> None:
        self.res, self.inputs, self.policy, self.an = results, inputs, policy, analyses
        self.scenario = scenario
        self.maximise = results.mode == "max_outcome"
        alloc = results.allocation
        self.years = list(dict.fromkeys(alloc["year"])) or list(inputs.years)
        self.span = (self.years[0] if len(self.years) == 1
                     else f"{self.years[0]} to {self.years[-1]}")
        self.names = dict(zip(inputs.services["service_id"], inputs.services["name"]))
        self.money = charts.money_available(inputs, policy)
        real = self.money[~self.money["cap_only"]]
        self.available = real.groupby("year", sort=False)["amount_m"].sum()
        self.spend = alloc.groupby("year", sort=False)["spend_m"].sum()
        self.baseline = alloc.groupby("year", sort=False)["baseline_m"].sum()
        self.change = (alloc.groupby("service_id", sort=False)["change_m"].sum()
                       .sort_values(key=abs, ascending=False))
        self.by_sector = alloc.groupby("sector", sort=False)[["baseline_m", "spend_m"]].sum()
        self.by_sector["change_m"] = self.by_sector["spend_m"] - self.by_sector["baseline_m"]
        self.hwb = "hwb_id" in inputs.places.columns and inputs.places["hwb_id"].map(
            charts._blank).ne("").any()
        made = results.provenance.get("created_utc")
        when = datetime.fromisoformat(made) if made else datetime.now(UTC)
        self.prepared = when.date().strftime("%-d %B %Y") if when else date.today().isoformat()

    ran = False  # were any analyses run for this paper?

    def not_run(self, why: str) -> str:
        """Why an analysis is missing: none were run (`why`), or this one was not."""
        return "this analysis was not run for this paper" if self.ran else why

    # -- the front page --------------------------------------------------------------------

    def title(self) -> str:
        return f"The pooled budget, {self.span}"

    def subtitle(self) -> str:
        parts = [f"Policy model: {self.policy.name}"]
        if self.scenario:
            parts.append(f"Scenario: {self.scenario}")
        source = str(self.res.provenance.get("data_source") or self.inputs.source)
        parts.append(f"Data: {Path(source).name or source}")  # the full path is in the appendix
        return " · ".join(parts)

    def decision(self) -> str:
        total = float(self.available.sum())
        n = len(self.inputs.services)
        if not self.res.optimal:
            return (f"The board is asked to note that no allocation of the pooled budget for "
                    f"{self.span} meets every rule of the policy model “{self.policy.name}”, "
                    "and to decide which rule to relax.")
        if self.maximise:
            return (f"The board is asked to approve the allocation of the pooled budget, "
                    f"{gbp_m(total)} over {self.span} ({gbp_m(float(self.available.iloc[0]))} "
                    f"in {self.years[0]}), across {n} services as set out in this paper, "
                    f"under the rules of the policy model “{self.policy.name}”.")
        return (f"The board is asked to approve the least-cost allocation that meets the "
                f"outcome targets and rules of the policy model “{self.policy.name}”: "
                f"{gbp_m(float(self.spend.sum()))} over {self.span} of the "
                f"{gbp_m(total)} available, across {n} services.")

    def recommendation(self) -> list[str]:
        if not self.res.optimal:
            info = self.res.infeasibility
            lines = [info.message] if info is not None else []
            if info is not None and info.relaxations:
                lines.append("The smallest change that makes a plan possible: "
                             + listing([r.sentence() for r in info.relaxations[:4]]) + ".")
            return lines or [STATUS_WORDS.get(self.res.status, self.res.status).capitalize()
                             + "."]
        return [self._what_moves(), self._what_it_buys(), self._what_it_costs()]

    def _what_moves(self) -> str:
        up = self.change[self.change > MOVE_TOL_M]
        down = self.change[self.change < -MOVE_TOL_M]
        if not len(up) and not len(down):
            return "The plan keeps every service at today's spend."
        gainers = self.by_sector[self.by_sector["change_m"] > MOVE_TOL_M].sort_values(
            "change_m", ascending=False)
        towards = listing([charts.sector_label(s) for s in gainers.index[:2]]).lower()
        lead = listing([f"{self.names.get(s, s)} ({gbp_m(v, True)})" for s, v in
                        up.sort_values(ascending=False).head(2).items()])
        text = (f"Move money towards {towards or 'the services that buy most'}: "
                f"{len(up)} service{'s' if len(up) != 1 else ''} gain "
                f"{gbp_m(float(up.sum()))} over {self.span}, led by {lead}")
        if len(down):
            worst = down.sort_values().head(2)
            text += (f", and {len(down)} lose {gbp_m(float(-down.sum()))}, most "
                     + listing([f"{self.names.get(s, s)} ({gbp_m(v)})" for s, v in
                                worst.items()]))
        return text + "."

    def _metric_gain(self) -> str:
        out = self.res.outcomes
        by = out.groupby(["metric_id", "name", "unit"], sort=False)[
            ["change", "weight"]].agg({"change": "sum", "weight": "first"}).reset_index()
        by["valued"] = (by["change"] * by["weight"]).abs()
        by = by[by["change"].abs() > 0.5].sort_values("valued", ascending=False)
        return listing([f"{r.name} ({number(r.change, sign=True)} {r.unit})"
                        for r in by.head(2).itertuples()])

    def _what_it_buys(self) -> str:
        gain = self._metric_gain()
        if (self.maximise and self.res.baseline_objective
                and self.res.objective is not None):
            obj, base = self.res.objective, self.res.baseline_objective
            text = (f"It buys {number(obj)} weighted outcomes over {self.span}, "
                    f"{percent(obj / base - 1, True)} ({number(obj - base)}) on what today's "
                    f"allocation buys")
            return text + (f", chiefly {gain}." if gain else ".")
        targets = self.res.constraints[self.res.constraints["family"] == "targets"]
        what = (f"It meets the policy model's {len(targets)} outcome "
                f"target{'s' if len(targets) != 1 else ''} (by metric and year)"
                if len(targets) else "It meets every rule")
        return what + (f"; against today the outcomes that move most are {gain}." if gain
                       else ".")

    def _what_it_costs(self) -> str:
        spend, avail = float(self.spend.sum()), float(self.available.sum())
        left = avail - spend
        text = f"It spends {gbp_m(spend)} of the {gbp_m(avail)} available"
        text += f" (leaving {gbp_m(left)} unspent)" if left > MOVE_TOL_M else ""
        base = float(self.baseline.sum())
        text += f", against {gbp_m(base)} spent today"
        prices = self.an.price_of_rules
        if prices is not None and len(prices.dropna(subset=["price"])):
            top = prices.dropna(subset=["price"]).iloc[0]
            if top["price"] > 1e-6:
                share = (top["price"] / abs(float(self.res.objective))
                         if self.res.objective else 0.0)
                if self.maximise:
                    return text + (f"; the costliest rule, {top['title'].lower()}, gives up "
                                   f"{number(top['price'])} weighted outcomes "
                                   f"({percent(share)} of the total).")
                return text + (f"; the costliest rule, {top['title'].lower()}, adds "
                               f"{gbp_m(top['price'])} to the least cost ({percent(share)} "
                               "of it).")
        binding = self._priced()
        if binding:
            return text + "; the tightest limit: " + binding[0][0].lower() + binding[0][1:]
        return text + "."

    def _priced(self, top: int = 4) -> list[str]:
        binding = self.res.binding()
        binding = binding[binding["shadow_price"].abs() > 1e-9]
        return priced_rules(binding, top) if len(binding) else []

    def key_figures(self) -> list[tuple[str, str]]:
        r = self.res
        words = STATUS_WORDS.get(r.status, r.status)
        rows = [("Status", words[:1].upper() + words[1:])]
        if r.objective is None:
            return rows
        if self.maximise:
            rows.append(("Weighted outcome, all years", (f"{number(r.objective)} "
                         f"(today's allocation: {number(r.baseline_objective or 0)})")))
        else:
            rows.append(("Least cost, discounted", gbp_m(r.objective)))
        for year in self.years:
            rows.append((f"Spend in {year}", (f"{gbp_m(float(self.spend[year]))} of "
                         f"{gbp_m(float(self.available.get(year, 0.0)))} available "
                         f"(today {gbp_m(float(self.baseline[year]))})")))
        up = int((self.change > MOVE_TOL_M).sum())
        down = int((self.change < -MOVE_TOL_M).sum())
        rows.append(("Services", (f"{up} gain, {down} lose, "
                     f"{len(self.change) - up - down} unchanged")))
        return rows


# -- sections ----------------------------------------------------------------------------------


def _money_section(f: _Facts) -> Section:
    r = f.res
    fig = charts.money_flow(r.allocation, r.funding_flows, f.money, f.inputs.places,
                            height=SANKEY_PX)
    sources = f.money[~f.money["cap_only"]]["source_id"].nunique()
    pools = ("each Health and Wellbeing Board's pool" if f.hwb else "the pool")
    links = charts.money_flow_links(r.allocation, r.funding_flows, f.money, f.inputs.places)
    unspent = float(links["plan"].loc[links["plan"]["target"] == charts.NOT_SPENT,
                                      "value_m"].sum())
    top = f.by_sector.sort_values("spend_m", ascending=False)
    alt = (f"Two flow diagrams over {f.span}. Today: {gbp_m(float(f.baseline.sum()))} from "
           f"{pools} to {len(top)} sectors. The plan: {sources} funding sources, "
           f"{gbp_m(float(f.spend.sum()))} spent, through {pools} to the sectors: "
           + "; ".join(f"{charts.sector_label(s)} {gbp_m(v.baseline_m)} today, "
                       f"{gbp_m(v.spend_m)} in the plan" for s, v in top.iterrows())
           + (f"; {gbp_m(unspent)} not spent." if unspent > MOVE_TOL_M else "."))
    route = f"through {pools} " if f.hwb else ""
    caption = (f"Today's spend (top) and the plan's (below) over {f.span}, from each funding "
               f"source {route}to sectors and services (today starts at the pool: the data "
               "does not say which source pays for what today).")
    text = (f"The plan spends {gbp_m(float(f.spend.sum()))} over {f.span} from {sources} "
            f"funding sources, against {gbp_m(float(f.baseline.sum()))} spent on the same "
            "services today.")
    return Section("money", "Where the money goes", [text],
                   [Figure("money_flow", "Where the money goes", caption, alt,
                           charts.for_print(fig, height=SANKEY_PX), height=SANKEY_PX)])


def _sector_table(f: _Facts) -> Table:
    rows = []
    by = f.by_sector.sort_values("spend_m", ascending=False)
    for sector, v in by.iterrows():
        share = v.change_m / v.baseline_m if v.baseline_m > 1e-9 else None
        rows.append([charts.sector_label(sector), gbp_m(v.baseline_m), gbp_m(v.spend_m),
                     gbp_m(v.change_m, True), percent(share, True) if share is not None
                     else "new"])
    tot = by.sum()
    rows.append(["All sectors", gbp_m(tot.baseline_m), gbp_m(tot.spend_m),
                 gbp_m(tot.change_m, True),
                 percent(tot.change_m / tot.baseline_m, True) if tot.baseline_m else ""])
    return Table(f"Spend by sector over {f.span}, today and in the plan.",
                 ["Sector", "Today", "The plan", "Change", "Change %"], rows,
                 [False, True, True, True, True])


def _allocation_section(f: _Facts) -> Section:
    r = f.res
    by = f.by_sector.sort_values("change_m", ascending=False)
    most, least = by.index[0], by.index[-1]
    text = [f"Over {f.span} the plan gives most extra money to "
            f"{charts.sector_label(most).lower()} ({gbp_m(by.loc[most, 'change_m'], True)})"
            + (f" and takes most from {charts.sector_label(least).lower()} "
               f"({gbp_m(by.loc[least, 'change_m'], True)})"
               if by.loc[least, "change_m"] < -MOVE_TOL_M else "") + "."]
    blocks: list[Figure | Table | list[str]] = []
    alt = "Bar chart of spend by sector over the plan, today and in the plan: " + "; ".join(
        f"{charts.sector_label(s)} {gbp_m(v.baseline_m)} today, {gbp_m(v.spend_m)} planned"
        for s, v in f.by_sector.iterrows()) + "."
    blocks.append(Figure(
        "sector", "Spend by sector",
        f"Spend by sector over {f.span}: today (grey) and the plan (blue).", alt,
        charts.for_print(charts.spend_by_sector(r.allocation, horizontal=True), height=300),
        300))
    blocks.append(_sector_table(f))
    change = f.change[f.change.abs() > MOVE_TOL_M]
    if len(change):
        shown = change.head(CHANGES_SHOWN)
        alt = "Bar chart of the largest changes from today's spend over the plan: " + "; ".join(
            f"{f.names.get(s, s)} {gbp_m(v, True)}" for s, v in shown.items()) + "."
        fig = charts.change_by_service(r.allocation, top=CHANGES_SHOWN)
        blocks.append(Figure(
            "change", "The largest changes",
            f"The services whose spend moves most from today's over {f.span} (gains in "
            "green, cuts in vermillion).", alt,
            charts.for_print(fig, height=80 + 22 * len(shown)), 80 + 22 * len(shown)))
    # by HWB and per head by place: two small charts side by side when there are both
    areas: list[Figure] = []
    if f.hwb:
        areas.append(_hwb_figure(f))
    if f.inputs.has_places:
        first = r.allocation["year"].iloc[0]
        fig = charts.spend_by_place(r.allocation, f.inputs.places)
        heads = _per_head(r.allocation, f.inputs.places, first)
        alt = (f"Bar chart of spend per need-weighted head by place in {first}: " + "; ".join(
            f"{name} £{b:,.0f} today, £{p:,.0f} planned" for name, b, p in heads) + ".")
        areas.append(Figure(
            "place", "Spend per head by place",
            f"Spend per need-weighted head in each place in {first}, today and in the plan "
            "(fair shares would make the bars level).", alt, fig))
    half = len(areas) == 2
    for fig in areas:
        fig.half, fig.width = half, HALF_WIDTH if half else charts.PRINT_WIDTH
        fig.height = HALF_HEIGHT if half else 270
        fig.figure = charts.for_print(fig.figure, width=fig.width, height=fig.height)
    blocks += areas
    if f.hwb:
        blocks.append(_hwb_table(f))
    return Section("allocation", "The allocation against today", text, blocks)


HALF_WIDTH = 326  # CSS pixels: a figure beside another, with the gap between them
HALF_HEIGHT = 330


def _per_head(alloc: pd.DataFrame, places: pd.DataFrame, year: str
              ) -> list[tuple[str, float, float]]:
    frame = alloc[(alloc["year"] == year) & alloc["place_id"].notna()]
    by = frame.groupby("place_id", sort=False)[["baseline_m", "spend_m"]].sum()
    pl = places.set_index("place_id")
    return [(str(pl.loc[p, "name"]), v.baseline_m * 1e6 / pl.loc[p, "weighted_population"],
             v.spend_m * 1e6 / pl.loc[p, "weighted_population"]) for p, v in by.iterrows()]


def _by_hwb(f: _Facts) -> pd.DataFrame:
    hwb = charts._hwb_of_places(f.inputs.places)
    alloc = f.res.allocation
    frame = alloc.assign(hwb=[hwb.get(charts._blank(p), "") for p in alloc["place_id"]])
    return frame.groupby("hwb", sort=True)[["baseline_m", "spend_m"]].sum()


def _hwb_figure(f: _Facts) -> Figure:
    """Spend by Health and Wellbeing Board (the plotly figure not yet laid out for print)."""
    by = _by_hwb(f)
    alt = "Bar chart of spend by Health and Wellbeing Board over the plan: " + "; ".join(
        f"{h or 'no HWB'} {gbp_m(v.baseline_m)} today, {gbp_m(v.spend_m)} planned"
        for h, v in by.iterrows()) + "."
    return Figure("hwb", "Spend by Health and Wellbeing Board",
                  f"Spend in each Health and Wellbeing Board's places over {f.span}, today "
                  "and in the plan.", alt, charts.spend_by_hwb(f.res.allocation, f.inputs.places))


def _hwb_table(f: _Facts) -> Table:
    rows = [[h or "no HWB", gbp_m(v.baseline_m), gbp_m(v.spend_m),
             gbp_m(v.spend_m - v.baseline_m, True)] for h, v in _by_hwb(f).iterrows()]
    return Table(f"Spend by Health and Wellbeing Board over {f.span}.",
                 ["Health and Wellbeing Board", "Today", "The plan", "Change"], rows,
                 [False, True, True, True])


def _rules_section(f: _Facts, why: str) -> Section:
    omitted: list[tuple[str, str]] = []
    unit = "weighted outcomes" if f.maximise else "£m"
    text = [("A rule that binds has a shadow price: what one more unit of its limit would "
             "buy (or, for a least-cost plan, save). A rule's price is what switching it off "
             "on its own would gain.")]
    blocks: list[Figure | Table | list[str]] = []
    prices = f.an.price_of_rules
    if prices is not None and len(prices):
        ok = prices.dropna(subset=["price"])
        costly = ok[ok["price"].abs() > 1e-6]
        def amount(v: float) -> str:
            return f"{number(v)} {unit}" if f.maximise else gbp_m(v)

        sentences = []
        if len(costly):
            first = costly.iloc[0]
            sentences.append(f"The costliest rule is {first['title'].lower()}: switching it "
                             f"off alone would {'gain' if f.maximise else 'save'} "
                             f"{amount(first['price'])}"
                             + ("; then " + listing([f"{r.title.lower()} ({amount(r.price)})"
                                                     for r in costly.iloc[1:].itertuples()])
                                if len(costly) > 1 else "") + ".")
        free = ok[ok["price"].abs() <= 1e-6]
        if len(free):
            sentences.append("Cost nothing at this budget: "
                             + listing([t.lower() for t in free["title"]]) + ".")
        if len(costly):
            alt = "Bar chart of the price of each rule: " + "; ".join(
                f"{row.title} {number(row.price)}" for row in costly.itertuples()) + "."
            gain = "gain" if f.maximise else "save"
            axis = None if f.maximise else "£m added to the least cost"
            # the rules that cost nothing are named in the sentence below, not drawn as
            # empty bars
            height = 120 + 24 * len(costly)
            blocks.append(Figure(
                "prices", "The price of each rule",
                f"What each switched-on rule that costs anything costs: the {unit} the plan "
                f"would {gain} with that rule alone switched off.", alt,
                charts.for_print(charts.price_of_rules(costly, unit.rstrip("s"), axis),
                                 height=height), height))
        blocks.append(sentences)
    else:
        omitted.append(("The price of each rule",
                        why if prices is None else "no rule could be priced"))
    priced = f._priced(top=3)  # the rest are in the workbook: the paper keeps to 10 pages
    if priced:
        note = f" (shadow prices {f.res.duals_note})" if f.res.duals_note else ""
        blocks.append([f"The limits that bind, in words, largest first{note}:"] + priced)
    rc = f.res.reduced_costs
    if len(rc):
        near = rc.sort_values("needs_per_m").drop_duplicates("service_id").head(2)
        blocks.append([("Services closest to getting more money (how much more each would "
                       "need to buy per £1m):")] + list(near["meaning"]))
    return Section("rules", "What each rule costs", text, blocks, omitted)


def _tradeoffs_section(f: _Facts, why: str) -> Section:
    omitted: list[tuple[str, str]] = []
    blocks: list[Figure | Table | list[str]] = []
    text: list[str] = []
    curve = f.an.budget_curve
    if curve is not None and len(curve.dropna(subset=["objective"])):
        budget = first_year_budget(f.inputs, f.policy)
        ok = curve.dropna(subset=["objective"])
        at = ok.iloc[(ok["budget_m"] - budget).abs().argsort()[:1]].iloc[0]
        lo, hi = ok.iloc[0], ok.iloc[-1]
        if f.maximise:
            sentence = (f"Between {gbp_m(lo.budget_m)} and {gbp_m(hi.budget_m)} in "
                        f"{f.years[0]} the best plan's outcome runs from {number(lo.objective)} "
                        f"to {number(hi.objective)}")
            if "marginal" in ok and pd.notna(at.get("marginal")):
                sentence += (f"; at this plan's budget ({gbp_m(budget)}) each extra £1m a year "
                             f"buys about {number(at.marginal)} weighted outcomes over the plan")
            alt_what = "the best outcome"
            label, y_unit = "this plan", "weighted outcome"
        else:
            sentence = (f"The targets can be met from a first-year budget of about "
                        f"{gbp_m(lo.budget_m)} (of the range {gbp_m(curve['budget_m'].min())} to "
                        f"{gbp_m(hi.budget_m)} tried); the least cost runs from "
                        f"{gbp_m(lo.objective)} there to {gbp_m(hi.objective)} at the top")
            alt_what = "the least cost that meets the targets"
            label, y_unit = "this plan", "least cost (£m, discounted)"
        text.append(sentence + ".")
        alt = (f"Line chart of {alt_what} against the first-year budget from "
               f"{gbp_m(lo.budget_m)} ({number(lo.objective)}) to {gbp_m(hi.budget_m)} "
               f"({number(hi.objective)}), with this plan's budget, {gbp_m(budget)}, marked.")
        blocks.append(Figure(
            "curve", "What each budget buys",
            f"{alt_what[0].upper()}{alt_what[1:]} the rules allow at each first-year budget "
            "(the money of every year scaled alike), with this plan's budget marked by the "
            "dotted line.", alt,
            charts.for_print(charts.budget_curve(curve, budget, f"{label}: {gbp_m(budget)}",
                                                 y_unit=y_unit, marginal=f.maximise),
                             height=260), 260))
    else:
        omitted.append(("What each budget buys: the budget curve",
                        why if curve is None else "no budget in the range had an optimal plan"))
    frontier = f.an.pareto
    if frontier is not None and len(frontier.dropna(subset=["first", "second"])):
        blocks += _pareto_blocks(f, frontier)
    elif not f.inputs.has_places:
        omitted.append(("Health gain against equity: the Pareto frontier",
                        "the data has no places, so there is no equity between places"))
    else:
        omitted.append(("Health gain against equity: the Pareto frontier",
                        why if frontier is None else "no point of the frontier was solved"))
    flex = f.an.flexibility
    if flex is not None and len(flex):
        blocks += _flexibility_blocks(f, flex)
    else:
        omitted.append((("Flexibility: how far each service's money can move at almost the "
                        "same outcome"),
                        f.not_run(why)))
    return Section("tradeoffs", "The trade-offs", text, blocks, omitted)


def _pareto_blocks(f: _Facts, frontier: pd.DataFrame) -> list[Figure | Table | list[str]]:
    ok = frontier.dropna(subset=["first", "second"])
    a, b = frontier.attrs["first"], frontier.attrs["second"]
    base = frontier.attrs.get("baseline") or {}
    best = ok.loc[ok["first"].idxmax() if a["maximise"] else ok["first"].idxmin()]
    fair = ok.loc[ok["second"].idxmin() if not b["maximise"] else ok["second"].idxmax()]
    given = abs(best["first"] - fair["first"])
    share = given / abs(best["first"]) if best["first"] else 0.0
    if b["name"] == "equity" and a["name"] == "outcome":
        head = (f"At the best outcome ({number(best['first'])} weighted outcomes)" if f.maximise
                else f"At the least cost ({gbp_m(best['first'])})")
        cost = (f"gives up {number(given)} weighted outcomes" if f.maximise
                else f"costs {gbp_m(given)} more")
        sentence = (f"{head} the best- and the worst-funded places differ by "
                    f"£{number(best['second'], 1)} a need-weighted head; bringing that to "
                    f"£{number(fair['second'], 1)} {cost} ({percent(share, digits=2)}).")
    else:
        sentence = (f"At the best {a['label']} ({number(best['first'])}), {b['label']} is "
                    f"{number(best['second'], 1)}; taking it to {number(fair['second'], 1)} "
                    f"changes the first by {number(given)} ({percent(share, digits=2)}).")
    if base:
        sentence += (" Today's allocation is " + ("dominated: a plan on the frontier does "
                     "better on both." if base["dominated"] else "on the frontier."))
    alt = (f"Line chart of the frontier of {a['label']} against {b['label']}: from "
           f"{number(best['first'])} at {number(best['second'], 1)} to "
           f"{number(fair['first'])} at {number(fair['second'], 1)}"
           + (f"; today's allocation at {number(base['first'])} and "
              f"{number(base['second'], 1)}." if base else "."))
    first = (a["label"].lower() if a["name"] != "outcome" else
             "weighted outcome" if f.maximise else "cost")
    best_word = "most" if a["maximise"] else "least"
    return [[sentence], Figure(
        "pareto", "Health gain against equity",
        f"The {best_word} {first} the rules allow at each level of "
        f"{b['label'].lower()} (the line), and today's allocation (the cross).", alt,
        charts.for_print(charts.pareto(frontier), height=290), 290)]


def _flexibility_blocks(f: _Facts, flex: pd.DataFrame) -> list[Figure | Table | list[str]]:
    year = flex["year"].iloc[0]
    part = flex[flex["year"] == year].assign(width=lambda d: d["max_m"] - d["min_m"])
    wide = part.sort_values("width", ascending=False)
    movable = part[part["width"] > 1.0]
    slack = flex.attrs.get("slack", 0.01)
    near = (f"{percent(slack, digits=0)} of the best outcome" if f.maximise
            else f"{percent(slack, digits=0)} of the least cost")
    sentence = (f"Within {near}, "
                f"{len(movable)} of {len(part)} services could move by more than £1m in "
                f"{year}; the widest ranges: " + listing([
                    f"{f.names.get(r.service_id, r.service_id)} ({gbp_m(r.min_m)} to "
                    f"{gbp_m(r.max_m)})" for r in wide.head(3).itertuples()]) + ".")
    shown = wide.head(FLEX_SHOWN)
    alt = (f"Range chart of the least and the most spend in {year} within {near}, with the "
           "plan marked: "
           + "; ".join(f"{f.names.get(r.service_id, r.service_id)} {gbp_m(r.min_m)} to "
                       f"{gbp_m(r.max_m)}, plan {gbp_m(r.spend_m)}"
                       for r in shown.itertuples()) + ".")
    which = (f"the {len(shown)} services with the widest ranges" if len(part) > len(shown)
             else "each service")
    height = 130 + 20 * len(shown)
    stays = (f"the outcome stays within {percent(slack, digits=0)} of the best" if f.maximise
             else f"the cost stays within {percent(slack, digits=0)} of the least")
    rest = (" (every service's: `budgetopt analyse flexibility`)" if len(part) > len(shown)
            else "")
    return [[sentence], Figure(
        "flexibility", "Flexibility ranges",
        f"How far the money of {which} in {year} can move while {stays} and every rule holds "
        f"(bars), and the plan (marks){rest}.", alt,
        charts.for_print(charts.flexibility_ranges(shown, f.names, year), height=height),
        height)]


def _risks_section(f: _Facts, why: str) -> Section:
    omitted: list[tuple[str, str]] = []
    blocks: list[Figure | Table | list[str]] = []
    text: list[str] = []
    mc = f.an.monte_carlo
    if mc is not None and "outcomes" in mc:
        s = mc["summary"].set_index("allocation").loc["central_plan"]
        n = len(mc["outcomes"])
        cvar = next((c for c in mc["summary"].columns if c.startswith("cvar")), None)
        sentence = (f"Over {n:,} samples of the evidence (each service's effects between "
                    f"their low and high estimates), this plan's outcome has a mean of "
                    f"{number(s['mean'])} weighted outcomes; 90% of samples fall between "
                    f"{number(s['p5'])} and {number(s['p95'])}")
        if cvar:
            sentence += f", and the worst 5% average {number(s[cvar])}"
        text.append(sentence + ".")
        alt = (f"Histogram of this plan's weighted outcome over {n:,} samples: mean "
               f"{number(s['mean'])}, 5th percentile {number(s['p5'])}, 95th percentile "
               f"{number(s['p95'])}.")
        blocks.append(Figure(
            "spread", "The spread of the outcome",
            f"How this plan's outcome varies over {n:,} samples of the effects of the "
            "services (PERT between each curve's low, central and high values).", alt,
            charts.for_print(charts.outcome_distribution(mc["outcomes"]), height=260), 260))
    else:
        omitted.append(("The spread of the outcome: Monte Carlo", f.not_run(why)))
    robust = f.an.robust
    if not f.maximise:
        omitted.append(("The robust plan against the central one",
                        ("the robust plan maximises the outcome, and this plan is the least cost "
                        "that meets the targets: they answer different questions")))
    elif robust is not None and robust.get("status") == "Optimal":
        blocks += _robust_blocks(f, robust)
    else:
        omitted.append(("The robust plan against the central one",
                        f.not_run(why) if robust is None else
                        f"the robust plan's solve ended {robust.get('status')}"))
    evpi = f.an.evpi
    if evpi is not None and len(evpi):
        blocks += _evpi_blocks(f, evpi)
    elif not f.maximise and f.ran:
        omitted.append(("Which evidence gap is worth closing: the value of information",
                        ("the value of information is measured in outcome, and this plan is "
                         "the least cost that meets the targets")))
    else:
        omitted.append(("Which evidence gap is worth closing: the value of information",
                        f.not_run(why)))
    return Section("risks", "The risks", text, blocks, omitted)


def _robust_blocks(f: _Facts, robust: dict[str, Any]) -> list[Figure | Table | list[str]]:
    comp = robust["comparison"].set_index("allocation")
    central, safe = comp.index[0], comp.index[1]
    cvar = next(c for c in comp.columns if c.startswith("cvar"))
    alpha = robust["comparison"].attrs.get("alpha", ROBUST_ALPHA)
    samples = robust["comparison"].attrs.get("samples", ROBUST_SAMPLES)
    d_tail = comp.loc[safe, cvar] - comp.loc[central, cvar]
    d_mean = comp.loc[safe, "mean"] - comp.loc[central, "mean"]
    moves = robust["allocation"]
    moves = moves[moves["difference_m"].abs() > MOVE_TOL_M].sort_values(
        "difference_m", key=abs, ascending=False)
    sentence = (f"A plan built to protect the worst outcomes (the mean of the worst "
                f"{percent(alpha, digits=0)} of {samples} samples) would change that tail by "
                f"{number(d_tail, sign=True)} and the mean by "
                f"{number(d_mean, sign=True)} weighted "
                "outcomes")
    if len(moves):
        sentence += ("; it moves " + gbp_m(float(moves["difference_m"].clip(lower=0).sum()))
                     + " between services, most " + listing([
                         f"{r.name} ({gbp_m(r.difference_m, True)})"
                         for r in moves.head(3).itertuples()]))
    else:
        sentence += "; it is the same plan"
    cols = [c for c in ("worst", cvar, "p5", "mean", "p95") if c in comp.columns]
    alt = ("Bar chart comparing the central and the robust plans on the same samples: "
           + "; ".join(f"{name}: " + ", ".join(f"{c} {number(comp.loc[name, c])}" for c in cols)
                       for name in comp.index) + ".")
    blocks: list[Figure | Table | list[str]] = [[sentence + "."], Figure(
        "robust", "The robust plan against the central one",
        "The central-estimate plan and the robust plan judged on the same samples: the worst "
        "sample, the mean of the worst tail, the 5th percentile, the mean and the 95th "
        "percentile.", alt,
        charts.for_print(charts.robust_comparison(robust["comparison"]), height=250), 250)]
    if len(moves):
        blocks.append(Table(
            "Where the robust plan differs from the central one, over the plan.",
            ["Service", "Central plan", "Robust plan", "Difference"],
            [[r.name, gbp_m(r.central_spend_m), gbp_m(r.robust_spend_m),
              gbp_m(r.difference_m, True)] for r in moves.head(5).itertuples()],
            [False, True, True, True]))
    return blocks


EVPI_SHOWN = 8  # services in the paper's value-of-information chart (those worth most)


def _evpi_blocks(f: _Facts, evpi: pd.DataFrame) -> list[Figure | Table | list[str]]:
    total = evpi.loc[evpi["service_id"] == "ALL", "evppi"]
    parts = evpi[evpi["service_id"] != "ALL"].sort_values("evppi", ascending=False)
    worth = parts[parts["evppi"] > 1e-9]
    shown = worth.head(EVPI_SHOWN) if len(worth) else parts.head(EVPI_SHOWN)
    sentence = (f"Perfect information on every effect would be worth "
                f"{number(float(total.iloc[0]), 1) if len(total) else 'an unknown amount'} "
                "weighted outcomes")
    if len(worth):
        sentence += ("; the gaps most worth closing: " + listing([
            f"{f.names.get(r.service_id, r.service_id)} ({number(r.evppi, 1)})"
            for r in worth.head(3).itertuples()]) + ".")
    else:
        sentence += ": no evidence gap changes the decision."
    alt = ("Bar chart of the value of perfect information on each service's effects: "
           + "; ".join(f"{f.names.get(r.service_id, r.service_id)} {number(r.evppi, 1)}"
                       for r in shown.itertuples()) + ".")
    height = 90 + 20 * len(shown)
    return [[sentence], Figure(
        "evpi", "Which evidence gap is worth closing",
        "The expected value of perfect information on each service's effects: what knowing "
        "them exactly would add to the expected outcome, largest first.", alt,
        charts.for_print(charts.evidence_value(evpi, f.names, top=len(shown)), height=height),
        height)]


def _not_optimal_section(f: _Facts) -> Section:
    info = f.res.infeasibility
    blocks: list[Figure | Table | list[str]] = []
    if info is not None and info.relaxations:
        blocks.append(Table(
            "The smallest relaxation that makes a plan possible (each in the rule's own unit).",
            ["Rule", "Family", "Relax by"],
            [[r.name, r.family, r.amount()] for r in info.relaxations],
            [False, False, True]))
    return Section("not-optimal", "Why there is no plan to approve",
                   [(f"The solve is {STATUS_WORDS.get(f.res.status, f.res.status)} "
                    f"(HiGHS: {f.res.solver_status}).")]
                   + ([info.message] if info is not None else []), blocks)


# -- appendix ----------------------------------------------------------------------------------


def _value_text(value: Any) -> str:
    """A policy parameter in words: numbers short, lists joined, mappings as key: value, blanks
    left out."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_value_text(v)}" for k, v in value.items()
                         if v not in (None, [], {}, ""))
    if isinstance(value, list):
        parts = [_value_text(v) for v in value]
        return "; ".join(f"({p})" for p in parts) if any(isinstance(v, dict) for v in value) \
            else ", ".join(parts)
    return str(value)


def _rules_in_force(policy_model: dict[str, Any]) -> list[tuple[str, str]]:
    from budgetopt.families.rows import family_catalogue

    titles = family_catalogue()
    out, plain = [], []  # rules with settings, one row each; rules simply on, in one row
    for family, params in (policy_model.get("rules") or {}).items():
        if not isinstance(params, dict) or params.get("enabled") is False:
            continue
        title = titles.get(family, {}).get("title", family)
        shown = [f"{k} = {_value_text(v)}" for k, v in params.items()
                 if k != "enabled" and v not in (None, [], {}, "")]
        if shown:
            out.append((title, "; ".join(shown)))
        else:
            plain.append(title)
    if plain:
        out.append(("Switched on, as set in the data", listing(plain)))
    return out


_EVIDENCE_LISTED = 8
"""Up to this many services, the paper names each one's evidence; beyond, it sums them up by
certainty (naming the high-certainty services; the caution that follows names the
low-certainty ones that get money) and points to the workbook's Evidence sheet."""


def _evidence_assumption(inputs) -> tuple[str, str] | None:
    """The evidence behind the curves, as an assumption: which curves were derived from unit
    cost, reach and effect, and each service's sources and certainty."""
    ev = inputs.evidence
    if not len(ev):
        return None
    names = dict(zip(inputs.services["service_id"], inputs.services["name"], strict=True))
    derived = int(ev["derived"].sum())
    text = [[v if isinstance(v, str) else "" for v in ev[c]] for c in ("source", "certainty")]
    view = pd.DataFrame({"sid": ev["service_id"].astype(str).to_numpy(),
                         "metric": ev["metric_id"].astype(str).to_numpy(), "source": text[0],
                         "certainty": text[1], "derived": ev["derived"].astype(bool).to_numpy()})
    groups = list(view.groupby(["sid", "source", "certainty", "derived"], sort=False))
    head = (f"{derived} curve{'s' if derived != 1 else ''} derived from unit cost, reach and "
            "effect (a saturating cost-coverage curve, within 1% in bands)")
    if view["sid"].nunique() > _EVIDENCE_LISTED:
        level = view.drop_duplicates("sid").groupby("certainty", sort=False)["sid"]
        count = level.nunique().to_dict()
        high = ", ".join(names.get(sid, sid) for sid in level.get_group("high")) \
            if "high" in count else ""
        parts = [f"high certainty {count['high']}" + (f" ({high})" if high else "")
                 if "high" in count else "",
                 f"moderate {count['moderate']}" if "moderate" in count else "",
                 f"low {count['low']} (named below where they get money)"
                 if "low" in count else "",
                 f"not stated {count['']}" if "" in count else ""]
        return ("Evidence behind the curves",
                f"{head}, for {view['sid'].nunique()} services: "
                + ", ".join(p for p in parts if p)
                + ". Every row's source and certainty is in the workbook's Evidence sheet.")
    items = []  # one item per service and source: its metrics, the source, the certainty
    for (sid, source, certainty, was_derived), group in groups:
        how = "" if was_derived else ", the given curve's source"
        sure = f", {certainty} certainty" if certainty else ""
        items.append(f"{names.get(sid, sid)} ({', '.join(group['metric'])}): "
                     f"{source or 'source not stated'}{sure}{how}")
    return ("Evidence behind the curves", f"{head}; " + "; ".join(items))


def _appendix(f: _Facts, omitted: list[tuple[str, str]]
              ) -> list[tuple[str, list[tuple[str, str]]]]:
    prov = f.res.provenance
    pm = prov.get("policy_model") or f.policy.model_dump(mode="json")
    horizon = pm.get("horizon") or {}
    assumptions = [
        ("Objective", "maximise the total weighted outcome (each metric's outcome times its "
         "weight, added over metrics, places and years)" if f.maximise else
         "the least total spend that meets the outcome targets"),
        ("Discount rate", (f"{percent(float(horizon.get('discount_rate') or 0.0))} a year: a "
         "later year's outcome counts for less")),
        ("Effects", f"the {pm.get('estimate', 'central')} estimate of each response curve"),
        ("Years", ", ".join(f.years)),
        ("Services, places, funding sources",
         (f"{len(f.inputs.services)} services, {len(f.inputs.places)} places, "
         f"{f.inputs.funding['source_id'].nunique()} funding sources")),
    ]
    metrics = f.inputs.metrics
    assumptions.append(("Outcome metrics and weights", "; ".join(
        f"{r.name} ({r.unit}): {r.weight:g}" for r in metrics.itertuples())))
    evidence = _evidence_assumption(f.inputs)
    # the caution on low-certainty evidence is said with the evidence, not again as a warning
    caution = [w for w in f.res.warnings if "low-certainty evidence" in w]
    warnings = [w for w in f.res.warnings if w not in caution] if evidence else f.res.warnings
    if evidence:
        assumptions.append((evidence[0], " ".join([evidence[1], *caution])))
    rules = _rules_in_force(pm)
    provenance = [
        ("Data set", str(prov.get("data_source") or f.inputs.source)),
        ("Data hash (SHA-256)", str(prov.get("data_hash") or f.inputs.data_hash)),
        ("Policy model", f"{pm.get('name', f.policy.name)}: {pm.get('description') or ''}"
         .rstrip(": ")),
        ("Overrides", ", ".join(map(str, prov.get("overrides") or [])) or "none (the policy "
         "model as written)"),
        ("Software", (f"budgetopt {prov.get('version', '')}, {prov.get('solver', 'HiGHS')} "
         f"{prov.get('solver_version', '')}, Pyomo {prov.get('pyomo_version', '')}, Python "
         f"{prov.get('python_version', '')}")),
        ("Solved", str(prov.get("created_utc", ""))),
    ]
    if f.scenario:
        provenance.insert(0, ("Scenario", f.scenario))
    analyses = _analysis_settings(f.an)
    out = [("A. Assumptions", assumptions), ("B. The rules in force", rules),
           ("C. Provenance", provenance)]
    if analyses:
        out.append(("D. The analyses", analyses))
    if omitted:
        out.append((f"{chr(ord('A') + len(out))}. Left out of this paper",
                    [(what, why[0].upper() + why[1:] + ".") for what, why in omitted]))
    if warnings:
        out.append((f"{chr(ord('A') + len(out))}. Warnings from the solve",
                    [(str(i + 1), w) for i, w in enumerate(warnings)]))
    return out


def _analysis_settings(an: Analyses) -> list[tuple[str, str]]:
    rows = []

    def held(frame: pd.DataFrame) -> str:
        return (", the plan's mixed-integer choices held" if frame.attrs.get(
            "integer_choices_held") else "")

    def took(name: str) -> str:
        t = an.timings.get(name)
        return f" ({t:.1f} s)" if t is not None else ""

    if an.budget_curve is not None:
        rows.append(("Budget curve", (f"{len(an.budget_curve)} budgets from "
                     f"{gbp_m(an.budget_curve['budget_m'].min())} to "
                     f"{gbp_m(an.budget_curve['budget_m'].max())} in the first year, every "
                     f"year's money scaled alike{took('budget_curve')}")))
    if an.price_of_rules is not None:
        rows.append(("Price of each rule", ("each rule switched off alone, the plan solved "
                     f"again{took('price_of_rules')}")))
    if an.pareto is not None:
        rows.append(("Pareto frontier", (f"{len(an.pareto)} points by the epsilon-constraint "
                     f"method, every rule kept{took('pareto')}")))
    if an.monte_carlo is not None:
        attrs = an.monte_carlo["outcomes"].attrs
        rows.append(("Monte Carlo", (f"{attrs.get('samples', MC_SAMPLES):,} samples, seed "
                     f"{attrs.get('seed', 0)}, {attrs.get('distribution', 'pert').upper()} "
                     "between each curve's low, central and high values, one draw per "
                     f"service{took('monte_carlo')}")))
    if an.robust is not None:
        attrs = an.robust["comparison"].attrs
        rows.append(("Robust plan", (f"maximises the mean of the worst "
                     f"{percent(attrs.get('alpha', ROBUST_ALPHA), digits=0)} of "
                     f"{attrs.get('samples', ROBUST_SAMPLES)} samples (CVaR), every rule "
                     f"kept{took('robust')}")))
    if an.flexibility is not None:
        rows.append(("Flexibility", (f"each service's least and most within "
                     f"{percent(an.flexibility.attrs.get('slack', 0.01), digits=0)} of the "
                     f"optimum, every rule kept{held(an.flexibility)}{took('flexibility')}")))
    if an.evpi is not None:
        attrs = an.evpi.attrs
        rows.append(("Value of information", ("perfect information over "
                     f"{attrs.get('samples', 'the Monte Carlo')} samples; each service's by "
                     f"the ordering method, {attrs.get('bins', 'its')} bins"
                     f"{held(an.evpi)}{took('evpi')}")))
    return rows


__all__ = ["NO_ANALYSES", "Figure", "Paper", "Section", "Table", "board_paper", "gbp_m",
           "number", "percent"]
