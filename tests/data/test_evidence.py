"""Response curves derived from evidence (unit cost, reach, effect): the derivation, its
ceilings, the evidence table's checks and data sets that mix given and derived curves."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from budgetopt.api import optimise
from budgetopt.data.dataset import load_dataset
from budgetopt.data.evidence import (
    REACH,
    TOLERANCE,
    breakpoints,
    chord_gap,
    derive_bands,
    low_certainty_sources,
    smooth_outcome,
)
from budgetopt.data.schema import TABLES
from budgetopt.data.validate import data_hash
from budgetopt.errors import InputError
from tests.datasets import tiny_tables, write_csv, write_xlsx
from tests.example_figures import ROOT

EVIDENCE_COLUMNS = ["service_id", "metric_id", "unit_cost_gbp", "eligible", "max_coverage",
                    "effect", "effect_low", "effect_high", "source", "certainty"]


def evidence_frame(*rows: list[object]) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=EVIDENCE_COLUMNS, dtype=object)


def piecewise(bands: pd.DataFrame, x: np.ndarray, column: str = "per_m") -> np.ndarray:
    """Outcome of filling the bands in order with spend x (£m)."""
    ends = np.r_[0.0, np.cumsum(bands["width_m"].to_numpy(float))]
    out = np.zeros_like(x, dtype=float)
    for lo, hi, per in zip(ends[:-1], ends[1:], bands[column].to_numpy(float), strict=True):
        out += np.clip(x - lo, 0.0, hi - lo) * per
    return out


# -- the derivation, worked by hand --------------------------------------------------------


def test_breakpoints_keep_every_chord_within_the_tolerance_and_end_at_the_reach():
    t = breakpoints()
    assert t[0] == 0.0 and t[-1] == pytest.approx(math.log(100))
    assert all(chord_gap(a, b) <= TOLERANCE for a, b in itertools.pairwise(t))
    assert 4 <= len(t) - 1 <= 12  # a handful of bands, not hundreds


def test_worked_example_of_docs_evidence_md():
    """Falls classes: £300 a course place, 20,000 people at risk, 25% reachable, 0.05 fall
    admissions avoided a person. P = 5,000 people, X0 = 5,000 × £300 = £1.5m, ceiling 250
    admissions a year, at most 1e6 × 0.05 / 300 = 166.7 per £1m."""
    bands = derive_bands(300, 20_000, 0.25, 0.05, 0.03, 0.07)
    t = np.array(breakpoints())
    assert bands["width_m"].sum() == pytest.approx(1.5 * t[-1])
    total = float((bands["width_m"] * bands["per_m"]).sum())
    assert total == pytest.approx(250 * REACH)
    assert bands["per_m"].iloc[0] < 1e6 * 0.05 / 300
    assert bands["per_m"].iloc[0] == pytest.approx(1e6 * 0.05 / 300 * -math.expm1(-t[1]) / t[1])
    assert np.allclose(bands["per_m_low"] / bands["per_m"], 0.6)
    assert np.allclose(bands["per_m_high"] / bands["per_m"], 1.4)
    x = np.linspace(0, 10, 2001)
    gap = smooth_outcome(x, 300, 20_000, 0.25, 0.05) - piecewise(bands, x)
    assert gap.min() >= -1e-9 and gap.max() <= TOLERANCE * 250


def test_nobody_reachable_gives_no_bands():
    assert derive_bands(300, 0, 0.5, 1.0).empty
    assert derive_bands(300, 1000, 0.0, 1.0).empty


# -- properties on random evidence ---------------------------------------------------------

EVIDENCE = st.tuples(
    st.floats(1.0, 1e6),  # unit cost £
    st.floats(1.0, 1e6),  # eligible
    st.floats(0.01, 1.0),  # max coverage
    st.one_of(st.just(0.0), st.floats(1e-6, 10.0)),  # effect
)


@settings(max_examples=200, deadline=None)
@given(EVIDENCE)
def test_derived_curves_keep_below_their_ceilings_are_concave_and_reach_them(ev):
    u, n, c, e = ev
    bands = derive_bands(u, n, c, e)
    per = bands["per_m"].to_numpy(float)
    width = bands["width_m"].to_numpy(float)
    ceiling = n * c * e
    assert (width > 0).all()
    assert (np.diff(per) <= 1e-12 * max(per.max(), 1.0)).all()  # concave
    assert (per <= 1e6 * e / u * (1 + 1e-12)).all()  # never above 1e6 × effect / unit cost
    total = float((width * per).sum())
    assert total <= ceiling * (1 + 1e-9)  # never above eligible × coverage × effect
    assert total >= 0.98 * ceiling - 1e-9  # within 2% of it when spend is ample
    x = np.linspace(0.0, width.sum() * 1.2, 400)
    gap = smooth_outcome(x, u, n, c, e) - piecewise(bands, x)
    assert gap.max() <= TOLERANCE * ceiling + 1e-9 * max(ceiling, 1.0)  # within 1%
    assert gap.min() >= -1e-9 * max(ceiling, 1.0)  # chords lie below the curve


@settings(max_examples=50, deadline=None)
@given(EVIDENCE, st.floats(0.0, 1.0), st.floats(1.0, 3.0))
def test_low_and_high_curves_come_from_the_effects_interval(ev, low_share, high_share):
    u, n, c, e = ev
    bands = derive_bands(u, n, c, e, e * low_share, e * high_share)
    assert (bands["per_m_low"] <= bands["per_m"] + 1e-12).all()
    assert (bands["per_m"] <= bands["per_m_high"] + 1e-12).all()
    assert np.allclose(bands["per_m_low"], bands["per_m"] * low_share)


# -- the evidence table in a data set ------------------------------------------------------


def mixed_tables() -> dict[str, pd.DataFrame]:
    """The tiny data set with VWARD's curve replaced by evidence, and evidence beside FALLS's
    given curve (its source only)."""
    tables = tiny_tables()
    tables["curves"] = tables["curves"][tables["curves"]["service_id"] != "VWARD"]
    tables["evidence"] = evidence_frame(
        ["VWARD", "ADM", 2000, 6000, 0.5, 0.4, 0.25, 0.5,
         "NHS England virtual ward evaluations", "moderate"],
        ["FALLS", "ADM", 300, 20000, 0.25, 0.05, "", "", "Cochrane review", "low"])
    return tables


def test_a_mixed_data_set_derives_the_missing_curve_and_solves(tmp_path):
    inputs = load_dataset(write_csv(mixed_tables(), tmp_path / "data"))
    ev = inputs.evidence.set_index("service_id")
    assert bool(ev.loc["VWARD", "derived"]) and not bool(ev.loc["FALLS", "derived"])
    assert ev.loc["VWARD", "ceiling"] == pytest.approx(6000 * 0.5 * 0.4)
    vward = inputs.curves[inputs.curves["service_id"] == "VWARD"]
    assert list(vward["band"]) == list(range(1, len(breakpoints())))
    assert vward["year"].isna().all()
    falls = inputs.curves[inputs.curves["service_id"] == "FALLS"]
    assert list(falls["per_m"]) == [40.0, 15.0]  # the given curve is kept as it is
    assert any("FALLS" in w and "used as given" in w for w in inputs.warnings)
    assert low_certainty_sources(inputs) == {"FALLS": "ADM: Cochrane review"}
    result = optimise(inputs)
    assert result.status == "optimal"
    spend = result.allocation.groupby("service_id")["spend_m"].sum()
    assert spend.sum() == pytest.approx(10.0)
    assert spend["VWARD"] > 0 and spend["FALLS"] > 0
    flags = [w for w in result.warnings if "low-certainty evidence" in w]
    assert len(flags) == 1 and flags[0].startswith("Strength and balance classes gets £")
    assert "Cochrane review" in flags[0]


def test_derived_curves_are_the_same_from_a_workbook_and_hash_alike(tmp_path):
    a = load_dataset(write_csv(mixed_tables(), tmp_path / "data"))
    b = load_dataset(write_xlsx(mixed_tables(), tmp_path / "data.xlsx"))
    pd.testing.assert_frame_equal(a.curves, b.curves)
    assert a.data_hash == b.data_hash


def test_no_evidence_table_leaves_the_data_hash_as_before(tmp_path):
    inputs = load_dataset(write_csv(tiny_tables(), tmp_path / "data"))
    assert inputs.evidence.empty
    assert "derived" in inputs.evidence.columns
    before = [n for n in TABLES if n != "evidence"]
    assert data_hash({n: getattr(inputs, n) for n in before}, inputs.years) == inputs.data_hash


def test_curves_may_be_left_out_entirely_when_evidence_gives_them(tmp_path):
    tables = tiny_tables()
    del tables["curves"]
    tables["evidence"] = evidence_frame(
        *[[s, "ADM", 500, 10000, 0.5, 0.2, "", "", "test", ""] for s in
          ("FALLS", "REABLE", "VWARD")])
    inputs = load_dataset(write_csv(tables, tmp_path / "data"))
    assert set(inputs.curves["service_id"]) == {"FALLS", "REABLE", "VWARD"}
    assert optimise(inputs).status == "optimal"


def problems(tables, tmp_path):
    with pytest.raises(InputError) as info:
        load_dataset(write_csv(tables, tmp_path / "data"))
    return info.value.problems


@pytest.mark.parametrize(("column", "value", "words"), [
    ("unit_cost_gbp", 0, "must be more than 0 £"),
    ("unit_cost_gbp", -5, "must be more than 0 £"),
    ("max_coverage", 1.2, "must be at most 1"),
    ("max_coverage", -0.1, "must be at least 0"),
    ("certainty", "certain", "one of: high, moderate, low"),
    ("eligible", "many", "expected a number"),
])
def test_a_bad_evidence_cell_names_file_row_and_column(tmp_path, column, value, words):
    tables = mixed_tables()
    tables["evidence"].loc[0, column] = value
    found = [p for p in problems(tables, tmp_path)
             if (p.where, p.row, p.column) == ("evidence.csv", 2, column)]
    assert len(found) == 1 and words in found[0].message


@pytest.mark.parametrize(("low", "high", "column"), [(0.5, 0.6, "effect_low"),
                                                     (0.2, 0.3, "effect_high")])
def test_effects_out_of_order_are_reported(tmp_path, low, high, column):
    tables = mixed_tables()
    tables["evidence"].loc[0, ["effect_low", "effect_high"]] = [low, high]  # central 0.4
    found = [p for p in problems(tables, tmp_path) if p.column == column]
    assert len(found) == 1 and found[0].row == 2 and "VWARD" in found[0].message


@pytest.mark.parametrize(("column", "value"), [("service_id", "VWARDS"), ("metric_id", "ADMS")])
def test_unknown_service_or_metric_in_evidence_is_reported(tmp_path, column, value):
    tables = mixed_tables()
    tables["evidence"].loc[0, column] = value
    found = [p for p in problems(tables, tmp_path) if p.column == column]
    assert len(found) == 1 and f"unknown {column}" in found[0].message
    assert "did you mean" in found[0].message


# -- evidence carried to the outputs -------------------------------------------------------


def test_workbook_has_an_evidence_sheet_with_sources_and_the_low_certainty_flag(tmp_path):
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    from budgetopt.reports.excel import write_bcf_workbook

    tables = mixed_tables()
    tables["evidence"].loc[1, "source"] = "=HYPERLINK(\"x\")"  # text, never a formula
    inputs = load_dataset(write_csv(tables, tmp_path / "data"))
    path = tmp_path / "plan.xlsx"
    write_bcf_workbook(optimise(inputs), inputs, path)
    ws = load_workbook(path)["Evidence"]
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=3)]
    header, body = rows[0], rows[1:]
    record = {r[header.index("Service id")]: dict(zip(header, r, strict=True)) for r in body}
    assert record["VWARD"]["Curve"] == "derived from this evidence"
    assert record["VWARD"]["Source"] == "NHS England virtual ward evaluations"
    assert record["VWARD"]["Ceiling (outcome a year)"] == pytest.approx(1200)
    assert record["FALLS"]["Flag"] == "Funded on low-certainty evidence"
    assert record["FALLS"]["Source"] == "=HYPERLINK(\"x\")"
    column = ws[get_column_letter(header.index("Source") + 1)]
    cell = next(c for c in column if c.value == record["FALLS"]["Source"])
    assert cell.data_type == "s"


def test_chart_of_a_derived_curve_shows_the_smooth_curve_and_its_evidence(tmp_path):
    from budgetopt.reports.charts import curve_with_evidence

    tables = mixed_tables()
    tables["evidence"].loc[0, "source"] = "<b>trial</b> & review"
    inputs = load_dataset(write_csv(tables, tmp_path / "data"))
    fig = curve_with_evidence(inputs, "VWARD", "ADM")
    names = [t.name for t in fig.data]
    assert "cost-coverage curve (smooth)" in names and "central estimate" in names
    central = next(t for t in fig.data if t.name == "central estimate")
    assert central.y[-1] == pytest.approx(1200 * REACH)
    title = fig.layout.title.text
    assert "&lt;b&gt;trial&lt;/b&gt; &amp; review" in title and "moderate" in title
    given = curve_with_evidence(inputs, "REABLE", "HOME91")  # no evidence: the curve alone
    assert [t.name for t in given.data] == ["high estimate", "central estimate", "low estimate"]


def test_board_paper_assumptions_name_the_evidence_and_warn_of_low_certainty(tmp_path):
    from budgetopt.policy import load_policy
    from budgetopt.reports.board.paper import board_paper

    inputs = load_dataset(write_csv(mixed_tables(), tmp_path / "data"))
    policy = load_policy(None)
    paper = board_paper(optimise(inputs, policy), inputs, policy)
    appendix = dict(paper.appendix)
    evidence = dict(appendix["A. Assumptions"])["Evidence behind the curves"]
    assert evidence.startswith("1 curve derived from unit cost, reach and effect")
    assert "Virtual wards (ADM): NHS England virtual ward evaluations, moderate certainty" \
        in evidence
    # the caution on low-certainty evidence is said once, with the evidence it is about
    assert "low-certainty evidence" in evidence
    warned = " ".join(text for heading, rows in paper.appendix if "Warnings" in heading
                      for _, text in rows)
    assert "low-certainty evidence" not in warned


# -- the example ICS from evidence ---------------------------------------------------------


def test_the_example_is_built_from_evidence_and_gives_a_plausible_plan(tmp_path):
    """The shipped example has no hand-written bands: every curve is derived from an evidence
    row with a source and a certainty; the plan is optimal, spends each HWB's pool, keeps
    every scheme funded and moves money from beds to home and prevention."""
    from budgetopt.policy import load_policy

    inputs = load_dataset(ROOT / "inputs" / "example")
    assert not (ROOT / "inputs" / "example" / "curves.csv").exists()
    assert len(inputs.evidence) and inputs.evidence["derived"].all()
    assert inputs.evidence["source"].str.len().min() > 10
    assert set(inputs.evidence["certainty"]) == {"low", "moderate", "high"}
    pairs = set(zip(inputs.curves["service_id"], inputs.curves["metric_id"]))
    assert pairs == set(zip(inputs.evidence["service_id"], inputs.evidence["metric_id"]))
    res = optimise(inputs, load_policy(ROOT / "models" / "default.yaml"))
    assert res.status == "optimal"
    assert (res.hwbs["unspent_m"].abs() < 1e-6).all()
    by_service = res.allocation.groupby("service_id")["spend_m"].sum() / 3
    assert (by_service > 0).all()
    base = inputs.services.set_index("service_id")["baseline_m"]
    for grows in ("UCR", "EHCH", "FALLS", "FRAILTY"):  # home, community and prevention
        assert by_service[grows] > base[grows], grows
    for shrinks in ("STEPDOWN", "RESPLACE"):  # beds
        assert by_service[shrinks] < base[shrinks], shrinks
    assert any("low-certainty evidence" in w for w in res.warnings)


def test_the_example_with_bands_gives_the_same_plan(tmp_path):
    """`budgetopt example DIR --bands` writes the evidence's curves as spend bands: the same
    optimum (the bands are written to 6 significant figures)."""
    from typer.testing import CliRunner

    from budgetopt.cli import app
    from budgetopt.policy import load_policy

    done = CliRunner().invoke(app, ["example", str(tmp_path / "ex"), "--bands"])
    assert done.exit_code == 0, done.output
    assert not (tmp_path / "ex" / "example" / "evidence.csv").exists()
    policy = load_policy(ROOT / "models" / "default.yaml")
    banded = optimise(load_dataset(tmp_path / "ex" / "example"), policy)
    evidence = optimise(load_dataset(ROOT / "inputs" / "example"), policy)
    assert banded.objective == pytest.approx(evidence.objective, rel=1e-5)


def test_template_has_the_evidence_sheet_with_units_and_a_certainty_drop_down(tmp_path):
    from openpyxl import load_workbook

    from budgetopt.data.template import write_template

    ws = load_workbook(write_template(tmp_path / "t.xlsx"))["evidence"]
    header = [c.value for c in ws[1]]
    assert header[:3] == ["service_id", "metric_id", "unit_cost_gbp"]
    assert "Unit: £." in ws.cell(row=2, column=3).value
    rules = {str(dv.sqref).split(":")[0][0]: dv for dv in ws.data_validations.dataValidation}
    assert rules["J"].formula1 == '"high,moderate,low"'  # certainty
    assert (rules["C"].operator, rules["C"].formula1) == ("greaterThan", "0.0")  # unit cost
    assert (rules["E"].operator, rules["E"].formula2) == ("between", "1.0")  # coverage


def test_the_data_editor_offers_the_evidence_table_and_checks_it():
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    from budgetopt.ui.state import Workspace

    root = Path(__file__).resolve().parents[2]
    at = AppTest.from_file(str(root / "app.py"), default_timeout=60).run()
    at.switch_page("src/budgetopt/ui/pages/data.py").run()
    assert not at.exception
    assert "evidence" in [t.label for t in at.tabs]
    ws = Workspace()
    ws.use_example()
    tables = {k: v.copy() for k, v in ws.tables.items()}
    ev = tables["evidence"]
    (i,) = ev.index[(ev["service_id"] == "FALLS") & (ev["metric_id"] == "FALLS65")]
    ev.loc[i, "certainty"] = "sure"
    ws.apply_edits(tables)
    (problem,) = ws.problems
    assert (problem.where, problem.row, problem.column) == ("Data editor › evidence",
                                                            int(i) + 2, "certainty")
    ev.loc[i, "certainty"] = "high"
    ws.apply_edits(tables)
    assert not ws.problems
    assert ws.inputs.evidence["derived"].all()


def test_the_app_shows_a_curve_with_its_evidence_and_the_value_of_information():
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    root = Path(__file__).resolve().parents[2]
    at = AppTest.from_file(str(root / "app.py"), default_timeout=120).run()
    at.switch_page("src/budgetopt/ui/pages/data.py").run()
    assert not at.exception and "A curve and its evidence" in [h.value for h in at.subheader]
    at.switch_page("src/budgetopt/ui/pages/tradeoffs.py").run()
    next(n for n in at.number_input if n.key == "mc-samples").set_value(100).run()
    next(b for b in at.button if b.key == "run-evpi").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Knowing every effect exactly" in m.value for m in at.markdown)
