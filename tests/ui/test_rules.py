"""The Rules page: every constraint family switched on, tuned and solved from the page alone."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from streamlit.testing.v1 import AppTest

from budgetopt.families import names, policy_families
from budgetopt.ui.rule_form import kind_of, label_of, unit_of
from budgetopt.ui.state import KEY, Workspace
from tests.apptest import open_tab
from tests.example_figures import optimum_text

ROOT = Path(__file__).resolve().parents[2]
PAGES = "src/budgetopt/ui/pages/"

# The figures a rule needs before it can be switched on in the example (typed on the page).
NEEDS = {"acute_offset": ("Acute demand cost today", 1500.0),
         "bed_capacity": ("Acute beds that can close", 40.0),
         "core20": ("Share of prevention spend in the most deprived areas", 20.0)}


def rules_page() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page(PAGES + "rules.py").run()
    return at


def toggle(at: AppTest, family: str):
    return next(t for t in at.toggle if t.key.startswith(f"on-{family}-"))


def number(at: AppTest, label: str):
    return next(n for n in at.number_input if n.label.startswith(label))


def ws_of(at: AppTest) -> Workspace:
    return at.session_state[KEY]


def no_errors(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def test_every_parameter_of_every_family_has_a_field_on_the_page():
    """A family whose parameter the page cannot show fails here, not in front of a user."""
    for family in policy_families():
        for name, fld in family.params.model_fields.items():
            kind, _, _ = kind_of(fld.annotation)
            assert kind != "other", f"{family.name}.{name} has no widget ({fld.annotation})"


def test_fields_are_labelled_in_the_users_units():
    assert label_of("baseline_cost_m") == "Acute demand cost today (£m a year)"
    assert unit_of("max_fall") == "%" and unit_of("beds_per_year") == "beds"
    assert unit_of("lag_years") == "years" and unit_of("cost_per_bed_gbp") == "£"
    assert unit_of("min", "SectorShare") == "%"
    assert unit_of("anything_new_m") == "£m"  # a new family's money field, by its name


def test_every_rule_is_switched_on_tuned_and_solved_from_the_page():
    at = rules_page()
    for family in names():
        if family in ("money", "eligibility", "bounds", "workforce", "targets"):
            continue  # on in the default model
        if family in NEEDS:
            label, value = NEEDS[family]
            number(at, label).set_value(value).run()
        toggle(at, family).set_value(True).run()
        no_errors(at)
        assert ws_of(at).policy.enabled(family), family
        assert toggle(at, family).value
    policy = ws_of(at).policy
    assert policy.rules.acute_offset.baseline_cost_m == 1500.0
    assert policy.rules.core20.min_share == pytest.approx(0.20)  # typed as 20 (%)
    at.switch_page(PAGES + "results.py").run()
    no_errors(at)
    status = next(m.value for m in at.metric if m.label == "Status")
    assert status == "Optimal"
    constraints = ws_of(at).answer().constraints
    assert {"acute_offset", "bed_capacity", "core20", "fair_shares"} <= set(constraints["family"])


def test_a_rule_missing_a_figure_goes_back_off_with_the_reason_and_nothing_disappears():
    at = rules_page()
    n_toggles, n_inputs = len(at.toggle), len(at.number_input)
    toggle(at, "acute_offset").set_value(True).run()
    assert not at.exception
    (err,) = at.error
    shown = err.value.replace("\\", "")  # as the page shows it (markdown escapes removed)
    assert "Not switched on" in shown and "Acute demand cost today (£m a year)" in shown
    assert toggle(at, "acute_offset").value is False  # the switch went back off
    assert not ws_of(at).policy.enabled("acute_offset")
    assert len(at.toggle) == n_toggles and len(at.number_input) == n_inputs
    assert at.text_area(key=next(t.key for t in at.text_area if t.key.startswith("yaml-")))
    # the field is there: fill it and switch on
    number(at, "Acute demand cost today").set_value(1500.0).run()
    toggle(at, "acute_offset").set_value(True).run()
    no_errors(at)
    assert ws_of(at).policy.enabled("acute_offset")


def test_a_rule_that_cannot_apply_says_why_beside_its_switch():
    at = rules_page()
    infos = [i.value.replace("\\", "") for i in at.info]
    assert any("Cannot apply as it stands" in i and "Acute beds that can close a year" in i
               for i in infos)
    # targets are on with none set: the page says it changes nothing
    assert any("it changes nothing" in i for i in infos)


def test_shares_are_shown_in_percent_and_stored_as_fractions():
    at = rules_page()
    toggle(at, "transition").set_value(True).run()
    rise = number(at, "Largest rise a year")
    assert rise.value == pytest.approx(25.0)  # 0.25 in the policy model
    rise.set_value(10.0).run()
    no_errors(at)
    assert ws_of(at).policy.rules.transition.max_rise == pytest.approx(0.10)


def test_the_yaml_editor_round_trips_with_the_page():
    at = rules_page()
    toggle(at, "fair_shares").set_value(True).run()
    number(at, "Largest difference from a place's fair share").set_value(10.0).run()
    area = next(t for t in at.text_area if t.key.startswith("yaml-"))
    data = yaml.safe_load(area.value)
    assert data["rules"]["fair_shares"] == {**data["rules"]["fair_shares"], "enabled": True,
                                            "band": pytest.approx(0.10)}
    data["rules"]["fair_shares"]["band"] = 0.2
    area.input(yaml.safe_dump(data)).run()
    at.button(key="apply-yaml").click().run()
    no_errors(at)
    assert number(at, "Largest difference from a place's fair share").value == pytest.approx(20.0)


def test_tables_of_sub_settings_round_trip_in_the_users_units():
    """Sector shares (a list) and per-service limits (a mapping) as the page's tables: shown
    in %, read back as the policy's fractions, blank cells as blanks."""
    from budgetopt.families.sector_shares import SectorShare
    from budgetopt.families.transition import StepLimits
    from budgetopt.ui.rule_form import _model_rows, _rows_back

    shares = [{"sectors": ["vcse"], "label": "VCSE", "min": 0.03, "max": None, "of": "pool",
               "years": None, "scope": "ics"}]
    frame = _model_rows(SectorShare, shares, None)
    assert frame.loc[0, "min"] == pytest.approx(3.0)
    back = [SectorShare.model_validate(r).model_dump() for r in _rows_back(frame, SectorShare,
                                                                            None)]
    assert back == shares
    limits = {"acute": {"max_rise": None, "max_fall": 0.03}}
    frame = _model_rows(StepLimits, [{"sector_id": "acute", **limits["acute"]}], "sector_id")
    rows = _rows_back(frame, StepLimits, "sector_id")
    assert rows == [{"sector_id": "acute", "max_fall": pytest.approx(0.03)}]


def test_per_hwb_rules_offer_where_they_hold_and_the_examples_hwbs():
    """Personal budgets hold per HWB by default: the page says so in words, and switching to
    the whole ICS reaches the policy. A figure per HWB (each HWB's adult social care minimum)
    and a target's HWB pick from the data's own HWBs, by name."""
    from budgetopt.ui.rule_form import Choices

    at = rules_page()
    toggle(at, "personal_budgets").set_value(True).run()
    no_errors(at)
    where = next(s for s in at.selectbox if s.key.startswith("p-personal_budgets-")
                 and s.label == "Where it holds")
    assert where.value == "hwb"
    assert list(where.options) == ["In each HWB's places (one BCF pool per HWB)",
                                   "Once across the whole ICS"]
    where.set_value("ics").run()
    no_errors(at)
    assert ws_of(at).policy.rules.personal_budgets.scope == "ics"
    choices = Choices.of(ws_of(at).inputs)
    hwbs = ws_of(at).inputs.hwb_table()
    assert choices.for_field("hwb_asc_min_m") == dict(zip(hwbs["hwb_id"], hwbs["name"]))
    assert choices.for_field("hwb") == choices.hwbs and len(choices.hwbs) == len(hwbs) >= 2
    assert label_of("asc_uplift") == "Yearly uplift of each HWB's adult social care minimum (%)"


def test_least_money_without_targets_warns():
    at = rules_page()
    at.radio(key=next(r.key for r in at.radio if r.key.startswith("objective-"))) \
        .set_value("min_cost").run()
    assert any("no targets to meet" in w.value for w in at.warning)


def test_one_budget_the_rules_budget_is_the_one_used_everywhere():
    at = rules_page()
    number(at, "Pooled budget in 2026/27").set_value(230.0).run()
    ws = ws_of(at)
    assert ws.budget() == pytest.approx(230.0, abs=0.05)
    labels = [n.label for n in at.number_input]
    assert not any(lab.startswith("Budget (£m") for lab in labels)  # no second budget field
    at.switch_page(PAGES + "tradeoffs.py").run()
    low = at.number_input(key="curve-low")
    assert low.value == pytest.approx(round(230 * 0.8))  # the curve centres on the budget


def test_a_line_is_pinned_from_the_results_page_its_cost_shown_and_unpinned():
    at = open_tab(AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run(),
                  "By service")  # where a line is pinned
    at.selectbox(key="pin-service").set_value("DN").run()
    spend = next(n for n in at.number_input if n.key.startswith("pin-spend-DN"))
    spend.set_value(40.0).run()
    at.button(key="pin-add").click().run()
    no_errors(at)
    ws = ws_of(at)
    assert [(p.service_id, p.spend_m, p.year) for p in ws.policy.pins] == [("DN", 40.0, None)]
    res = ws.answer()
    pinned = res.allocation.groupby(["service_id", "year"])["spend_m"].sum()["DN"]
    assert pinned.round(6).tolist() == [40.0] * len(ws.inputs.years)
    cost = next(i.value.replace("\\", "") for i in at.info if "The pins cost" in i.value)
    without = ws.objective_without_pins()
    assert without > res.objective  # pinning district nursing above its optimum costs
    assert f"{without - res.objective:,.0f}" in cost
    at.button(key="pin-remove-0").click().run()
    no_errors(at)
    assert ws_of(at).policy.pins == []
    assert next(m.value for m in at.metric if m.label.startswith("Weighted outcome")) \
        == optimum_text()


def test_the_bcf_rule_set_is_chosen_on_the_page_with_what_it_rests_on():
    """The page offers the shipped BCF rule sets by title; choosing 2026-27 reaches the policy
    and lists the set's facts, each verified or marked an assumption; a set whose years do not
    cover the plan is refused with the reason, the rules as they were."""
    at = rules_page()
    pick = next(s for s in at.selectbox if s.key.startswith("bcf-rules-"))
    assert "Better Care Fund framework 2026 to 2027 (2026-27)" in pick.options
    pick.set_value("2026-27").run()
    no_errors(at)
    assert ws_of(at).policy.bcf.rules == "2026-27"
    table = next(d for d in at.dataframe if "Checked" in d.value.columns)
    assert set(table.value["Checked"]) == {"Verified against the source",
                                           "Unverified: an assumption to check"}
    next(s for s in at.selectbox if s.key.startswith("bcf-rules-")).set_value("2025-26").run()
    assert ws_of(at).policy.bcf.rules == "2026-27"  # the example plans 2026/27 to 2028/29
    shown = [e.value.replace("\\", "") for e in at.error]  # the page escapes markdown
    assert any("the 2025-26 rule set" in e and "choose bcf.rules 2026-27" in e for e in shown)
    assert next(s for s in at.selectbox if s.key.startswith("bcf-rules-")).value == "2026-27"


def test_a_pin_that_cannot_be_met_gets_the_relaxation_advice_and_applying_it_solves():
    """Issue 16 (4): district nursing pinned at £400m in the first year, far beyond the money:
    the Results page says infeasible with the smallest relaxation of the pin (found by the
    solver), and applying the advice solves again to optimal."""
    at = open_tab(AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run(),
                  "By service")  # where a line is pinned
    first = ws_of(at).inputs.years[0]
    at.selectbox(key="pin-service").set_value("DN").run()
    at.selectbox(key="pin-year").set_value(first).run()
    spend = next(n for n in at.number_input if n.key.startswith("pin-spend-DN"))
    spend.set_value(400.0).run()
    at.button(key="pin-add").click().run()
    assert not at.exception
    res = ws_of(at).answer()
    assert res.status == "infeasible"
    pins = [r for r in res.infeasibility.relaxations if r.family == "pins"]
    assert pins and pins[0].unit == "£m"
    assert any("Pin: District nursing" in e.value.replace("\\", "") for e in at.error)
    at.button(key="apply-relax").click().run()
    assert not at.exception
    res = ws_of(at).answer()
    assert res.status == "optimal"
    spent = res.allocation[(res.allocation["service_id"] == "DN")
                           & (res.allocation["year"] == first)]["spend_m"].sum()
    assert spent == pytest.approx(400.0 - pins[0].relax_by, abs=0.01)


def test_the_rules_page_names_each_sector_as_the_charts_and_the_workbook_do():
    """One sector-name map: the Rules page's pick list of sectors, the charts and the
    workbook (reports.palette) and the analyses' sentences all say "Adult social care"."""
    from budgetopt.analyses.flexibility import sector_words
    from budgetopt.data.dataset import load_dataset
    from budgetopt.data.schema import SECTORS
    from budgetopt.reports.palette import sector_label
    from budgetopt.ui.rule_form import Choices

    inputs = load_dataset(Path(__file__).resolve().parents[2] / "inputs" / "example")
    for choices in (Choices.of(None), Choices.of(inputs)):
        assert choices.sectors == {s: sector_label(s) for s in choices.sectors}
        assert set(SECTORS) <= set(choices.sectors)
    assert Choices.of(inputs).sectors["social_care"] == "Adult social care"
    assert Choices.of(None).sectors["vcse"] == "Voluntary, community and social enterprise"
    assert sector_words("social_care") == "adult social care"
