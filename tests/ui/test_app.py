"""The Streamlit app through Streamlit's AppTest: every page, and the main interactions."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest
from openpyxl import Workbook
from streamlit.testing.v1 import AppTest

from budgetopt.data.example import example_tables
from budgetopt.store.db import Store
from budgetopt.ui.state import KEY, MODELS_KEY, Workspace
from tests.apptest import each_tab, open_tab
from tests.example_figures import first_year_spend, objective, optimum_text

ROOT = Path(__file__).resolve().parents[2]
PAGES = "src/budgetopt/ui/pages/"


def app() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)  # loaded machines


def on_page(page: str) -> AppTest:
    at = app().run()
    at.switch_page(PAGES + page).run()
    return at


def no_errors(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label.startswith(label))


def test_the_app_opens_on_the_solved_example():
    at = app().run()
    no_errors(at)
    assert metric(at, "Status") == "Optimal"
    assert metric(at, "Weighted outcome") == optimum_text()
    label = next(m.label for m in at.metric if m.label.startswith("Weighted outcome"))
    assert label == "Weighted outcome (£k of social value)"  # the example's weights are £k
    assert any(f"This plan buys {optimum_text()} £k of social value" in m.value.replace("\\", "")
               for m in at.markdown)


def test_the_results_page_makes_only_the_open_tab_and_keeps_the_answer_across_tabs():
    """The page draws the headline and the open tab only (no chart is made until its tab
    is opened); each tab, once opened, has its content; moving between tabs never solves
    again, and a chart opened a second time is the same figure (kept for the session until
    the data or the rules change)."""
    at = app().run()
    no_errors(at)
    ws = at.session_state[KEY]
    assert not at.get("plotly_chart") and not [k for k in ws._kept if k[0] == "chart"]
    answer = ws.answer()
    seen = {}
    for label in each_tab(at):
        no_errors(at)
        seen[label] = len(at.get("plotly_chart")) + len(at.dataframe) + len(at.table)
        assert ws.answer() is answer  # no solve on a tab switch
    assert all(n for label, n in seen.items() if label != "Summary"), seen  # each has content
    kept = ws._kept[("chart", "service")]
    open_tab(at, "By service")
    assert ws._kept[("chart", "service")] is kept
    assert at.get("plotly_chart")[0].proto.spec  # drawn again from the kept figure


def test_the_headline_is_in_the_unit_the_data_gives_its_weights():
    import tempfile

    from budgetopt.data.dataset import write_dataset

    tables = {k: v.copy() for k, v in example_tables().items() if k != "notes"}
    tables["metrics"] = tables["metrics"].drop(columns=["weight_unit"])  # no unit given
    at = app().run()
    with tempfile.TemporaryDirectory() as tmp:
        content = write_dataset(tables, Path(tmp) / "d.xlsx").read_bytes()
    at.session_state[KEY].use_upload("valued.xlsx", content)
    at.switch_page(PAGES + "results.py").run()
    no_errors(at)
    label = next(m.label for m in at.metric if m.label.startswith("Weighted outcome"))
    assert label == "Weighted outcome (weighted outcome units)"
    assert any(f"This plan buys {optimum_text()} weighted outcome units"
               in m.value.replace("\\", "") for m in at.markdown)
    assert metric(at, "Spend 2026/27") == f"£{first_year_spend():.1f}m"


@pytest.mark.parametrize("page,title", [("data.py", "Data"), ("rules.py", "Rules"),
                                        ("results.py", "Results"),
                                        ("tradeoffs.py", "Trade-offs"),
                                        ("scenarios.py", "Scenarios")])
def test_every_page_renders_without_errors(page, title):
    at = on_page(page)
    no_errors(at)
    assert at.title[0].value == title


def test_changing_the_budget_changes_the_allocation():
    at = on_page("rules.py")
    budget = next(n for n in at.number_input if n.label.startswith("Pooled budget"))
    assert budget.value == pytest.approx(first_year_spend(), abs=0.05)
    budget.set_value(200.0).run()
    at.switch_page(PAGES + "results.py").run()
    no_errors(at)
    assert metric(at, "Spend 2026/27") == "£200.0m"
    assert float(metric(at, "Weighted outcome").replace(",", "")) < objective()
    # the change in words where the page and the sidebar name it, not as `budget_m = 200.0`
    shown = [c.value.replace("\\", "") for c in at.caption]  # the sidebar's too
    assert sum("pooled budget in 2026/27 £200.0m" in t for t in shown) == 2, shown
    assert not any("budget_m" in t for t in shown), shown


def test_switching_a_rule_off_and_on_shows_what_it_costs():
    at = on_page("rules.py")
    workforce = next(t for t in at.toggle if t.key.startswith("on-workforce"))
    workforce.set_value(False).run()
    at.switch_page(PAGES + "results.py").run()
    without = float(metric(at, "Weighted outcome").replace(",", ""))
    assert without > objective()  # workforce binds in the example: freeing it buys more
    at.switch_page(PAGES + "rules.py").run()
    next(t for t in at.toggle if t.key.startswith("on-workforce")).set_value(True).run()
    at.switch_page(PAGES + "results.py").run()
    assert metric(at, "Weighted outcome") == optimum_text()


def test_choosing_another_policy_model_solves_under_it():
    at = on_page("rules.py")
    at.selectbox(key=next(s.key for s in at.selectbox if s.key.startswith("model-"))) \
        .set_value("bcf-ambitions").run()
    at.switch_page(PAGES + "results.py").run()
    no_errors(at)
    assert metric(at, "Least cost").startswith("£")


def test_infeasible_rules_show_the_advice_and_applying_it_solves():
    at = on_page("rules.py")
    budget = next(n for n in at.number_input if n.label.startswith("Pooled budget"))
    budget.set_value(60.0).run()  # below the £82m of protected minimums
    at.switch_page(PAGES + "results.py").run()
    assert metric(at, "Status") == "Infeasible"
    errors = [e.value.replace("\\", "") for e in at.error]
    assert errors[0].startswith("**Infeasible: the rules cannot all be met**")  # in full
    advice = next(e for e in errors if "smallest change" in e)
    # the gap the checks report, and why the advice moves the minimums by more, in £m
    gap = re.search(r"a gap of £([\d,.]+)m", advice)
    moved = re.search(r"by £([\d,.]+)m, more than the gap", advice)
    assert gap and moved and float(moved[1].replace(",", "")) > float(gap[1].replace(",", ""))
    assert "ring-fences" in advice
    (warning,) = at.warning  # each pre-solve warning once, and not again in the advice
    for line in warning.value.replace("\\", "").splitlines()[1:]:
        assert line.strip("- ") not in advice
    assert len(warning.value.splitlines()) == 4
    at.button(key="apply-relax").click().run()
    no_errors(at)
    assert metric(at, "Status") == "Optimal"
    relaxed = next(i.value for i in at.info if "Relaxed in this scenario" in i.value)
    assert f"by £{moved[1]}m" in relaxed.replace("\\", "")
    assert not at.warning  # the checks' warnings of the unrelaxed rules are not shown as live


def _bad_workbook() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "services"
    ws.append(["service_id", "name", "sector", "baseline_m"])
    ws.append(["A", "Service A", "hospital", "-3"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_a_bad_upload_lists_its_problems_and_keeps_the_session():
    at = app().run()
    ws: Workspace = at.session_state[KEY]
    ws.use_upload("mine.xlsx", _bad_workbook())
    at.switch_page(PAGES + "data.py").run()
    assert not at.exception
    assert any("was not used" in e.value for e in at.error)
    table = at.dataframe[0].value
    assert {"file or sheet", "row", "column", "what to fix"} <= set(table.columns)
    assert "mine.xlsx › services" in set(table["file or sheet"])
    assert ws.label == "Example ICS"  # the example is still the data in use
    at.switch_page(PAGES + "results.py").run()
    assert metric(at, "Status") == "Optimal"


def test_an_upload_that_is_not_a_workbook_or_too_big_is_refused_plainly():
    ws = Workspace()
    ws.use_upload("data.csv", b"service_id\nA\n")
    assert "xlsx" in ws.problems[0].message
    ws.use_upload("big.xlsx", b"0" * (21 * 1024 * 1024))
    assert "MB" in ws.problems[0].message and ws.inputs is None


def test_edited_tables_are_checked_before_use():
    ws = Workspace()
    ws.use_example()
    tables = {k: v.copy() for k, v in ws.tables.items()}
    tables["funding"].loc[0, "amount_m"] = -5
    ws.apply_edits(tables)
    (problem,) = ws.problems
    assert problem.where == "Data editor › funding" and problem.row == 2
    assert problem.column == "amount_m"
    assert ws.label == "Example ICS"
    tables["funding"].loc[0, "amount_m"] = 130
    ws.apply_edits(tables)
    assert not ws.problems and ws.label == "Example ICS (edited)"
    assert ws.first_year_budget() > first_year_spend()


def test_the_example_in_the_app_is_the_example_on_disk():
    from budgetopt import load_dataset

    ws = Workspace()
    ws.use_example()
    assert ws.inputs.data_hash == load_dataset(ROOT / "inputs" / "example").data_hash
    assert set(ws.tables) == set(example_tables()) - {"notes"}


def test_scenarios_are_saved_in_the_store_compared_approved_and_loaded():
    at = on_page("scenarios.py")
    at.text_input(key="save-name").input("Default")
    at.text_input(key="save-author").input("Ada Finance")
    at.button[0].click().run()
    at.switch_page(PAGES + "rules.py").run()
    next(n for n in at.number_input if n.label.startswith("Pooled budget")).set_value(220.0).run()
    at.switch_page(PAGES + "scenarios.py").run()
    at.text_input(key="save-name").input("Cut to £220m")
    at.button[0].click().run()
    no_errors(at)
    store = Store(os.environ["BUDGETOPT_DB_URL"])
    saved = store.list()
    assert sorted(saved["name"]) == ["Cut to £220m", "Default"]
    assert set(saved["author"]) == {"Ada Finance"}
    assert store.get("Cut to £220m").overrides == {"budget_m": 220.0}
    text = " ".join(m.value for m in at.markdown)
    assert "fewer weighted outcomes than Default@1" in text
    downloads = at.get("download_button")
    assert len(downloads) == 3  # JSON, the workbook, the BCF plans per board (zip)
    assert "BCF plans per board" in downloads[2].proto.label
    # approve version 1 of Default: the history is kept in the store
    at.selectbox(key="status-pick-2").set_value("Default@1").run()
    at.selectbox(key="status-new-Default@1").set_value("approved").run()
    at.text_input(key="status-note-Default@1").input("Board, 12 November")
    at.button(key="set-status").click().run()
    assert [h["status"] for h in store.get("Default").history] == ["draft", "approved"]
    # load it back: data, policy and (no) changes
    at.selectbox(key="load-pick-2").set_value("Default@1").run()
    at.button(key="load-scenario").click().run()
    ws: Workspace = at.session_state[KEY]
    assert ws.overrides == {} and ws.label.startswith("Example ICS")
    at.switch_page(PAGES + "results.py").run()
    assert metric(at, "Weighted outcome") == optimum_text()
    store.close()


def test_a_second_save_under_a_name_is_a_new_version():
    at = on_page("scenarios.py")
    for _ in range(2):
        at.text_input(key="save-name").input("Plan")
        at.button[0].click().run()
    no_errors(at)
    assert "Saved 'Plan' version 2." in [s.value for s in at.success]
    assert at.dataframe[0].value["Scenario"].tolist() == ["Plan@2", "Plan@1"]


def test_a_store_that_is_not_ours_is_a_message_not_a_crash(tmp_path, monkeypatch):
    bad = tmp_path / "other.db"
    bad.write_text("somebody's notes")
    monkeypatch.setenv("BUDGETOPT_DB_URL", str(bad))
    at = on_page("scenarios.py")
    assert not at.exception
    assert any("not a SQLite database" in e.value for e in at.error)
    assert bad.read_text() == "somebody's notes"


def test_a_store_that_can_only_be_read_is_listed_and_says_why_it_cannot_save(tmp_path,
                                                                           monkeypatch):
    """A store this user cannot write (tests/store/test_store.py makes a real one): its scenarios
    are listed; the page says why nothing can be saved or approved, and the buttons are off."""
    import budgetopt.store.db as store_mod

    url = f"sqlite:///{tmp_path / 'shared.db'}"
    with Store(url) as writable:
        ws = Workspace()
        ws.use_example()
        ws.save_scenario("Base", "", "Ada", writable)
    monkeypatch.setenv("BUDGETOPT_DB_URL", url)
    monkeypatch.setattr(store_mod, "_sqlite_unwritable",
                        lambda path: f"the file {path.name} is read-only for this user")
    at = on_page("scenarios.py")
    no_errors(at)
    assert at.dataframe[0].value["Scenario"].tolist() == ["Base@1"]
    warned = " ".join(w.value for w in at.warning).replace("\\", "")  # md_text escapes
    assert "can only be read" in warned and "shared.db is read-only" in warned, warned
    assert at.button(key="set-status").disabled
    save = next(b for b in at.get("button") if b.proto.label == "Save the current answer")
    assert save.proto.disabled


def test_trade_offs_draw_the_budget_curve_and_price_the_rules():
    at = on_page("tradeoffs.py")
    at.slider(key="curve-points").set_value(5).run()
    at.button(key="run-curve").click().run()
    no_errors(at)
    curve = at.session_state[KEY].analysis("curve")
    assert len(curve) == 5 and (curve["status"] == "optimal").all()
    assert curve["objective"].is_monotonic_increasing
    at.button(key="run-prices").click().run()
    prices = at.session_state[KEY].analysis("prices")
    assert prices.loc[prices["family"] == "workforce", "price"].item() > 0


def test_trade_offs_trace_the_frontier_and_run_the_monte_carlo():
    at = on_page("tradeoffs.py")
    at.slider(key="pareto-points").set_value(3).run()
    at.button(key="run-pareto").click().run()
    no_errors(at)
    frontier = at.session_state[KEY].analysis("pareto")
    assert len(frontier) == 3 and frontier.attrs["baseline"]["dominated"]
    assert any("dominated" in m.value for m in at.markdown)
    at.number_input(key="mc-samples").set_value(100).run()
    at.button(key="run-mc").click().run()
    no_errors(at)
    mc = at.session_state[KEY].analysis("mc")
    assert len(mc["outcomes"]) == 100
    assert at.session_state[KEY].analysis("robust")["status"] == "Optimal"


def test_two_sessions_do_not_share_state():
    one, two = app().run(), app().run()
    one.switch_page(PAGES + "rules.py").run()
    next(n for n in one.number_input if n.label.startswith("Pooled budget")).set_value(200.0).run()
    two.switch_page(PAGES + "rules.py").run()
    budget = next(n for n in two.number_input if n.label.startswith("Pooled budget"))
    assert budget.value == pytest.approx(first_year_spend(), abs=0.05)
    assert one.session_state[KEY] is not two.session_state[KEY]
    assert MODELS_KEY in two.session_state


def test_a_session_changing_its_answer_cannot_change_another_sessions():
    """Answers are cached per server (a new session on the example gets its first answer
    without solving), but each session holds its own copy: whatever one session does to its
    answer's tables and lists, another session on the same data and rules sees the answer as
    solved, on its page and in its workspace."""
    one, two = app().run(), app().run()
    mine = one.session_state[KEY].answer()
    theirs = two.session_state[KEY].answer()
    assert mine is not theirs
    for frame in (mine.allocation, mine.outcomes, mine.constraints, mine.funding_flows):
        assert not any(frame is f for f in (theirs.allocation, theirs.outcomes,
                                            theirs.constraints, theirs.funding_flows))
    mine.allocation["spend_m"] = -1.0
    mine.outcomes["value"] = -1.0
    mine.provenance["data_hash"] = "changed by one session"
    mine.timings.clear()
    three = app().run()  # a third session, after the first changed its copy
    for at in (two, three):
        res = at.session_state[KEY].answer()
        assert (res.allocation["spend_m"] >= 0).all() and (res.outcomes["value"] != -1.0).all()
        assert res.provenance["data_hash"] != "changed by one session" and res.timings
        assert res.objective == pytest.approx(objective())
        assert any(m.value == optimum_text() for m in at.metric), [m.value for m in at.metric]


def test_the_results_page_shows_where_the_money_goes_and_makes_the_board_paper():
    from budgetopt.errors import BudgetoptError
    from budgetopt.reports.board import find_chromium

    at = on_page("results.py")
    no_errors(at)
    open_tab(at, "Where the money goes")
    no_errors(at)
    charts = [c.proto.spec for c in at.get("plotly_chart")]
    assert any('"type":"sankey"' in spec.replace(" ", "") for spec in charts)
    try:
        find_chromium()
    except BudgetoptError:
        pytest.skip("Chromium is not installed: `make system` installs it")
    at.checkbox(key="results-board-analyses").uncheck().run()
    at.button(key="results-board-make").click().run(timeout=300)
    no_errors(at)
    paper = [b for b in at.get("download_button") if "board paper" in b.proto.label]
    assert len(paper) == 1 and paper[0].proto.label == "Download the board paper (PDF)"


def test_trade_offs_show_what_else_is_nearly_as_good():
    """The flexibility ranges at the chosen tolerance: a chart and a table of each line's
    least and most (£m) around the plan's figure, in the plan's year; sentences with sector
    names; the ranges at 0% lie within those at 1% (a tighter tolerance never widens one)."""
    at = on_page("tradeoffs.py")
    at.button(key="run-flex").click().run()
    no_errors(at)
    ws = at.session_state[KEY]
    found = ws.analysis("flexibility")
    assert found is not None and found["flexibility"].attrs["slack"] == pytest.approx(0.01)
    table = next(d.value for d in at.dataframe
                 if "Room to move (£m)" in d.value.columns)
    assert list(table.columns) == ["Service", "This plan (£m)", "Least (£m)", "Most (£m)",
                                   "Room to move (£m)"]
    first = ws.inputs.years[0]
    res = ws.answer()
    plan = res.allocation[res.allocation["year"] == first].groupby("name")["spend_m"].sum()
    assert len(table) == len(plan)
    for r in table.itertuples(index=False):
        assert r[2] - 0.05 <= r[1] <= r[3] + 0.05
        assert r[1] == pytest.approx(plan[r[0]], abs=0.051)
        assert r[4] == pytest.approx(r[3] - r[2], abs=0.11)
    assert any(c.proto.id and "chart-flex" in c.proto.id for c in at.get("plotly_chart"))
    text = [m.value.replace("\\", "") for m in at.markdown]
    assert any("could receive anything from £" in t and "within 1% of the best" in t
               for t in text)
    assert any(t.startswith("- Favouring adult social care:") for t in text)
    assert not any("Favouring social_care" in t or "Favouring vcse" in t for t in text)
    alternatives = next(t.value for t in at.table  # sentences: a table that wraps
                        if "Where it differs most from this plan" in t.value.columns)
    assert alternatives.index.name == "The plan that most favours"
    assert "Adult social care" in set(alternatives.index)
    assert "social_care" not in set(alternatives.index)
    # another year of the same ranges, and a tighter tolerance nests inside
    at.selectbox(key="flex-year").set_value(ws.inputs.years[-1]).run()
    no_errors(at)
    wide = found["flexibility"].set_index(["service_id", "year"])
    at.number_input(key="flex-slack").set_value(0.0).run()
    at.button(key="run-flex").click().run()
    no_errors(at)
    tight = ws.analysis("flexibility")["flexibility"].set_index(["service_id", "year"])
    assert tight.attrs["slack"] == 0.0
    assert (tight["min_m"] >= wide["min_m"] - 1e-6).all()
    assert (tight["max_m"] <= wide["max_m"] + 1e-6).all()
    assert (tight["free_m"] <= wide["free_m"] + 1e-6).all()


def test_the_rules_shadow_prices_say_how_far_each_holds_in_its_unit():
    """Beside each shadow price: the value of one unit less, the limit today and the limits
    between which the prices hold, each in the rule's unit; the limit lies between them."""
    at = open_tab(app().run(), "What the rules cost")
    no_errors(at)
    table = next(t.value for t in at.table if "Holds up to" in t.value.columns)
    table = table.map(lambda v: v.replace("\\", ""))  # escaped for st.table's markdown
    assert list(table.columns) == ["Limit today", "A unit more buys", "A unit less gives up",
                                   "Holds down to", "Holds up to"]
    from budgetopt.ui.widgets import value_unit

    unit = value_unit(at.session_state[KEY].inputs)  # the data's unit of the objective
    assert any(f"({unit})" in c.value.replace("\\", "") for c in at.caption)
    money = re.compile(r"^£(-?[\d,]+\.\d+)m$")

    def value(text: str) -> float | None:
        found = money.match(text)
        return float(found.group(1).replace(",", "")) if found else None

    checked = 0
    for r in table.itertuples(index=False):
        low, limit, high = value(r[3]), value(r[0]), value(r[4])
        assert r[3] and r[4], r
        if limit is not None:
            assert (low is None or low <= limit + 0.05) and (high is None or limit <= high + 0.05)
            checked += 1
    assert checked >= 5


@pytest.mark.parametrize("run_name, draws", [("__main__", True), ("__mp_main__", False)])
def test_app_py_draws_the_app_only_when_streamlit_runs_it(run_name, draws):
    """A process started by "spawn" (the Monte Carlo's and the flexibility's pools, a Dask
    LocalCluster's workers) re-imports the main script as "__mp_main__"; when the app (or an
    AppTest beside them) is that script, the import must not draw the app again, or the worker
    dies before it starts ("Nanny failed to start")."""
    import subprocess
    import sys

    code = ("import runpy, sys\n"
            "import budgetopt.ui.app as ui\n"
            "ui.main = lambda **kw: sys.exit(7)\n"
            f"runpy.run_path({str(ROOT / 'app.py')!r}, run_name={run_name!r})\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False,
                          env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    assert done.returncode == (7 if draws else 0), done.stderr


def test_the_scenario_comparison_tells_free_choices_from_forced_moves():
    """Issue 16 (5) on the Scenarios page: with A's flexibility ranges worked out, each of B's
    moves is a free choice (within A's range at 1%) or forced, in sentences and in the
    by-service table; the ranges are A's own (its stored data and policy)."""
    at = on_page("scenarios.py")
    at.text_input(key="save-name").input("Flex base")
    at.button[0].click().run()
    at.switch_page(PAGES + "rules.py").run()
    next(n for n in at.number_input if n.label.startswith("Pooled budget")).set_value(
        round(first_year_spend() - 10.0, 1)).run()
    at.switch_page(PAGES + "scenarios.py").run()
    at.text_input(key="save-name").input("Flex cut")
    at.button[0].click().run()
    a_key = next(s.key for s in at.selectbox if s.key.startswith("cmp-a-"))
    b_key = next(s.key for s in at.selectbox if s.key.startswith("cmp-b-"))
    refs = list(at.selectbox(key=a_key).options)
    at.selectbox(key=a_key).set_value(next(r for r in refs if r.startswith("Flex base"))).run()
    at.selectbox(key=b_key).set_value(next(r for r in refs if r.startswith("Flex cut"))).run()
    assert not any("Moves that are" in m.value for m in at.markdown)
    at.button(key="cmp-flex").click().run()
    no_errors(at)
    text = " ".join(m.value.replace("\\", "") for m in at.markdown)
    assert "Moves that are" in text and "flexibility ranges" in text
    table = next(d.value for d in at.dataframe if "Free choice or forced" in d.value.columns)
    kinds = set(table["Free choice or forced"]) - {""}
    assert kinds and kinds <= {"free", "forced"}
