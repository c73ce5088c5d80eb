"""Value of information (`budgetopt analyse evpi`): EVPI and EVPPI, checked by hand.

The case: £1m to spend on one of two services, each able to absorb £1m. A buys 10 outcomes
per £1m for certain; B buys 5, 10 or 15 (low, central, high). The best plan for a known
effect b spends the £1m on whichever is better, worth max(10, b); on the expected effect
(mean 10) it is worth 10. So EVPI = E[max(10, b)] − 10 = E[(b − 10)+], which for a
triangular b on (5, 10, 15) is ∫₀⁵ s (5 − s)/25 ds = 5/6 ≈ 0.833: perfect information changes
the decision whenever b > 10. All of it is information about B: EVPPI(B) = EVPI, EVPPI(A) = 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from budgetopt.analyses.evpi import ALL, evpi, evpi_sentences
from budgetopt.analyses.uncertainty import sample_values
from budgetopt.api import build
from budgetopt.cli import app
from budgetopt.policy import load_policy
from tests.builders import make_inputs
from tests.datasets import tiny_tables, write_csv

YEAR = "2026/27"


def two_services(b_low: float = 5.0, b_high: float = 15.0, weight_unit: str | None = None):
    metrics = [{"metric_id": "OUT", "name": "Outcome", "weight": 1.0,
                "weight_unit": weight_unit}]
    return make_inputs(
        services=[{"service_id": "A"}, {"service_id": "B"}],
        curves=[("A", "OUT", 1, 1.0, 10.0), ("B", "OUT", 1, 1.0, 10.0, b_low, b_high)],
        funding=[("POOL", YEAR, 1.0)], metrics=metrics)


def by_service(frame: pd.DataFrame) -> dict[str, float]:
    return dict(zip(frame["service_id"], frame["evppi"], strict=True))


def test_perfect_information_that_changes_the_decision_is_worth_its_hand_worked_value():
    inputs, policy = two_services(), load_policy(None)
    res = evpi(inputs, policy, 4000, seed=3, distribution="triangular")
    # the same samples, worked by hand: E[max(10, b)] − max(10, E[b])
    b = sample_values(build(inputs, policy), 4000, seed=3, distribution="triangular")
    seg = build(inputs, policy).data.segments
    b_per_m = b.values[:, np.flatnonzero((seg["service_id"] == "B") & (seg["seg"] == 1))[0]]
    by_hand = np.maximum(10.0, b_per_m).mean() - max(10.0, b_per_m.mean())
    value = by_service(res)
    assert value[ALL] == pytest.approx(by_hand, rel=1e-6)
    assert value[ALL] == pytest.approx(5 / 6, abs=0.06)  # the analytic value
    assert value["A"] == 0.0
    assert value["B"] == pytest.approx(value[ALL], rel=0.03)  # bins: a slight under-estimate
    assert value["B"] <= value[ALL] + 1e-9
    assert list(res["service_id"][:2]) == [ALL, "B"]  # ranked, largest first
    assert res.attrs["expected_value_plan"] == pytest.approx(max(10.0, b_per_m.mean()))


def test_nothing_uncertain_is_worth_nothing():
    res = evpi(two_services(10.0, 10.0), load_policy(None), 200)
    assert (res["evppi"] == 0.0).all()
    assert not res["uncertain"].any()
    assert "no evidence gap" in evpi_sentences(res)[0]


def test_uncertainty_that_never_changes_the_decision_is_worth_nothing():
    """B between 11 and 15 always beats A's 10: knowing b exactly changes nothing."""
    res = evpi(two_services(11.0, 15.0), load_policy(None), 500)
    assert res["evppi"].abs().max() < 1e-9
    assert bool(res.set_index("service_id").loc["B", "uncertain"])


def test_value_is_also_in_pounds_when_the_weights_are_money():
    res = evpi(two_services(weight_unit="£k"), load_policy(None), 500, seed=1)
    assert "evppi_gbp" in res.columns
    assert np.allclose(res["evppi_gbp"], res["evppi"] * 1000)
    assert "£" in evpi_sentences(res)[0]
    assert "evppi_gbp" not in evpi(two_services(), load_policy(None), 50).columns


def test_never_negative_and_the_parts_do_not_exceed_the_whole_on_a_richer_case(tmp_path):
    from budgetopt.data.dataset import load_dataset

    inputs = load_dataset(write_csv(tiny_tables(), tmp_path / "data"))
    res = evpi(inputs, load_policy(None), 300, seed=2)
    value = by_service(res)
    assert (res["evppi"] >= 0).all()
    assert all(v <= value[ALL] * 1.05 + 1e-9 for k, v in value.items() if k != ALL)
    assert value["REABLE"] >= 0.0


def test_cli_writes_evpi_csv_with_a_row_per_service_and_all(tmp_path):
    data = write_csv(tiny_tables(), tmp_path / "data")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["analyse", "evpi", str(data), "--samples", "100",
                                      "--seed", "4", "--workers", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out / "evpi.csv")
    assert frame["service_id"].iloc[0] == ALL
    assert set(frame["service_id"]) == {ALL, "FALLS", "REABLE", "VWARD"}
    assert (frame["evppi"] >= 0).all()
    assert (out / "provenance.json").exists() and (out / "chart.html").exists()


def test_cli_refuses_a_min_cost_policy_with_a_clear_message(tmp_path):
    data = write_csv(tiny_tables(), tmp_path / "data")
    model = tmp_path / "m.yaml"
    model.write_text("objective: min_cost\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["analyse", "evpi", str(data), "--model", str(model),
                                      "--samples", "20", "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "max_outcome" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_a_mixed_integer_policy_is_re_solved_with_its_integer_choices_held(example_dir,
                                                                          models_dir):
    """shift-left's acute bed closures are integer: the value of information re-solves the
    linear programme left when they are held at the plan's values (hundreds of MILPs took
    minutes), and says so in its attrs."""
    from budgetopt.data.dataset import load_dataset
    from budgetopt.solve.highs import hold_integer_choices

    inputs = load_dataset(example_dir)
    policy = load_policy(models_dir / "shift-left.yaml")
    session = build(inputs, policy)
    mip = session.solve()
    ints = np.flatnonzero(session.compiled.integer)
    assert mip.mip and len(ints)
    assert hold_integer_choices(session.compiled, mip.col_value) == len(ints)
    lp = session.solve()
    assert not lp.mip and not session.compiled.integer.any()
    assert lp.objective == pytest.approx(mip.objective, rel=1e-9)  # the same plan's value
    assert lp.col_value[ints] == pytest.approx(np.round(mip.col_value[ints]))
    frame = evpi(inputs, policy, 20, bins=2)
    assert frame.attrs["integer_choices_held"] == len(ints)
    assert (frame["evppi"] >= 0).all() and frame["evppi"].iloc[0] > 0


def test_chained_bins_give_the_answer_of_independent_re_solves_in_one_process_or_two(tmp_path):
    """One service's bins are re-solved as a chain (each from the last one's basis): the
    optima are those of re-solves each started from the central basis, and the same with the
    chains spread over two processes (to HiGHS's floating-point noise)."""
    from budgetopt.analyses.uncertainty import resolve_objectives
    from budgetopt.data.dataset import load_dataset

    inputs = load_dataset(write_csv(tiny_tables(), tmp_path / "data"))
    policy = load_policy(None)
    session = build(inputs, policy)
    session.solve()
    values = sample_values(session, 40, seed=3).values
    chains = np.repeat(np.arange(8), 5)
    alone, _, _ = resolve_objectives(inputs, policy, None, session, values, 1)
    chained, _, _ = resolve_objectives(inputs, policy, None, session, values, 1, chains=chains)
    spread, _, used = resolve_objectives(inputs, policy, None, session, values, 2,
                                         chains=chains)
    assert used == 2
    np.testing.assert_allclose(chained, alone, rtol=1e-9)
    np.testing.assert_allclose(spread, alone, rtol=1e-9)


def test_chunks_never_cut_a_chain():
    from budgetopt.analyses.uncertainty import _chunks

    chains = np.array([-1, 0, 0, 0, 1, 1, -1, -1, 2, 2, 2, 2])
    parts = _chunks(len(chains), 5, chains)
    assert np.array_equal(np.concatenate(parts), np.arange(len(chains)))
    for p in parts:
        first, last = chains[p[0]], chains[p[-1]]
        assert p[0] == 0 or first < 0 or chains[p[0] - 1] != first
        assert p[-1] == len(chains) - 1 or last < 0 or chains[p[-1] + 1] != last
