"""The README's figures of the example are a fresh solve's: each pair below is (what the README
says, how to compute it). When the example or a model changes on purpose, rerun the commands
the README shows and update its text; this test says which figure went stale."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from tests.example_figures import ROOT, example_results
from tests.families.cases import row

README = ROOT / "README.md"


def _text() -> str:
    return re.sub(r"\s+", " ", README.read_text(encoding="utf-8"))


def _n(value: float) -> str:
    return f"{value:,.0f}"


def _m(value: float) -> str:
    return f"£{value:,.1f}m"


def _pct(res) -> str:
    return f"{res.objective / res.baseline_objective - 1:+.1%}"


def _spend_by_year(model: str) -> list[float]:
    alloc = example_results(model).allocation
    return [float(v) for v in alloc.groupby("year")["spend_m"].sum()]


def _hwb_row(hwb: str, label: str) -> str:
    h = example_results().hwbs
    r = h[(h["hwb_id"] == hwb) & (h["year"] == "2026/27")].iloc[0]
    return (f"| {label} | {_m(r.income_m)} | {_m(r.from_ics_wide_m)} | {_m(r.spend_m)} | "
            f"{_m(r.baseline_m)} |")


def _meaning(model: str, component: str, **keys: str) -> str:
    """The meaning of the row of `component` with these keys (never found by its name)."""
    return str(row(example_results(model), component, **keys)["meaning"])


def _shadow(model: str, component: str, **keys: str) -> float:
    return float(row(example_results(model), component, **keys)["shadow_price"])


def _pinned():
    import yaml

    from budgetopt.api import optimise
    from budgetopt.data.dataset import load_dataset
    from budgetopt.policy import policy_from_dict

    model = yaml.safe_load((ROOT / "models" / "default.yaml").read_text(encoding="utf-8"))
    model["pins"] = [{"service_id": "DN", "spend_m": 35.0}]
    res = optimise(load_dataset(ROOT / "inputs" / "example"),
                   policy_from_dict(model, where="default.yaml with a pin"))
    pins = res.constraints[res.constraints["family"] == "pins"]
    return (f"would give up {-float(pins['shadow_price'].iloc[0]):.2f} weighted outcomes\", on "
            "the example with district nursing pinned at £35m")


FIGURES: list[tuple[str, Callable[[], str]]] = [
    ("the default optimum against today's allocation", lambda: (
        f"**{_n(example_results().objective)} weighted outcomes against "
        f"{_n(example_results().baseline_objective)} for today's allocation rolled forward "
        f"({_pct(example_results())})**")),
    ("the default plan's spend each year", lambda: "spending every pound ({})".format(
        ", ".join(_m(v) for v in _spend_by_year("default.yaml")))),
    ("Shire County's row of the HWB table", lambda: _hwb_row("SHIRE", "Shire County")),
    ("Eastbrook's row", lambda: _hwb_row("EASTBROOK", "Eastbrook")),
    ("Harbourside's row", lambda: _hwb_row("HARBOUR", "Harbourside")),
    ("the price of the placements' minimum", lambda: (
        f"£1m less of it would buy {_n(-_shadow('default.yaml', 'bounds_min', service_id='RESPLACE', year='2026/27'))} "
        "more weighted outcomes in 2026/27")),
    ("therapists' shadow price", lambda: (
        f"one more WTE would buy {_shadow('default.yaml', 'workforce_limit', group_id='THERAPY', year='2026/27'):.1f} "
        "weighted outcomes in 2026/27")),
    ("the nurses' shadow price in words", lambda: _meaning(
        "default.yaml", "workforce_limit", group_id="NURSE", year="2028/29").split(". This holds")[0]),
    ("a money rule's shadow price in words", lambda: _meaning(
        "default.yaml", "money_source_limit", source_id="NHSMIN_SHIRE", year="2026/27").split(". This holds")[0]),
    ("the least cost of the BCF ambitions", lambda: "answers {}, {} and {}".format(
        *(_m(v) for v in _spend_by_year("bcf-ambitions.yaml")))),
    ("the statutory rules' optimum", lambda: (
        f"managed transition and personal budgets: {_n(example_results('ics-statutory.yaml').objective)}")),
    ("shift left's total against the statutory rules", lambda: (
        f"The total is {_n(example_results('shift-left.yaml').objective)} weighted outcomes, "
        f"against {_n(example_results('ics-statutory.yaml').objective)} under the statutory "
        "rules alone")),
    *[(f"the models table: {m}", (lambda m=m: (
        f"optimal: {_n(example_results(m).objective)}"
        + (" weighted outcomes" if m == "default.yaml" else "")
        + f" ({_pct(example_results(m))}"))) for m in
      ("default.yaml", "ics-statutory.yaml", "shift-left.yaml", "fair-shares.yaml")],
    ("the models table: bcf-ambitions", lambda: "optimal: {} / {} / {} a year".format(
        *(_m(v) for v in _spend_by_year("bcf-ambitions.yaml")))),
    ("the pin's shadow price", _pinned),
]


@pytest.mark.parametrize(("what", "compute"), FIGURES, ids=[w for w, _ in FIGURES])
def test_the_readme_quotes_the_example_as_it_solves(what, compute):
    expected = compute()
    assert expected in _text(), f"README's {what} is stale: it should read {expected!r}"
