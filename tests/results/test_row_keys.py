"""Every constraint row keeps its coordinates as ids (service_id, place_id, year, source_id,
group_id, metric_id, sector_group_id): in the model's row list, in the constraints frame, in the JSON and in a
stored record. Rows are found by family, component and keys, never by their English name."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from budgetopt.api import build
from budgetopt.data.dataset import load_dataset
from budgetopt.families import workforce
from budgetopt.families.bounds import service_bounds
from budgetopt.policy import load_policy
from budgetopt.results.tables import Results, key_columns, row_keys

ROOT = Path(__file__).resolve().parents[2]
MODELS = sorted(p.stem for p in (ROOT / "models").glob("*.yaml"))

# the keys each component's rows have (every other key does not apply)
EXPECTED = {
    "money_source_limit": {"source_id", "year"},
    "funding_balance": {"service_id", "year"},
    "bounds_min": {"service_id", "year"},
    "bounds_max": {"service_id", "year"},
    "workforce_limit": {"group_id", "year"},
    "targets_min": {"metric_id", "year"},
    "targets_max": {"metric_id", "year"},
    "transition_rise": {"service_id", "year"},
    "transition_fall": {"service_id", "year"},
    "share_min": {"sector_group_id", "year"},
    "share_max": {"sector_group_id", "year"},
    "fair_share_spend": {"place_id", "year"},
    "fair_share_max": {"place_id", "year"},
    "fair_share_min": {"place_id", "year"},
    "bcf_asc_hwb": {"year"},  # and its hwb_id
    "capacity_demand": {"pathway", "year"},  # and its hwb_id
}
YEAR_ONLY = {"acute_demand", "acute_budget", "acute_release", "double_running_switch",
             "release_switch", "bed_capacity", "mhis", "bcf_asc", "bcf_ooh",
             "personal_budgets", "core20_share", "core20_ratio", "tf_scope", "tf_limit"}


@pytest.fixture(scope="module", params=MODELS)
def solved(request):
    inputs = load_dataset(ROOT / "inputs" / "example")
    policy = load_policy(ROOT / "models" / f"{request.param}.yaml")
    session = build(inputs, policy)
    return inputs, policy, session, session.results()


def test_every_row_has_the_keys_of_its_component_and_no_two_rows_share_them(solved):
    _, _, session, _ = solved
    rows = session.compiled.rows
    for info in rows:
        expected = EXPECTED.get(info.component, {"year"} if info.component in YEAR_ONLY
                                else None)
        assert expected is not None, f"no expected keys for {info.component}: add them here"
        # with HWBs (the example has three) a row of a pool's family also names its HWB
        assert set(info.keys) - {"hwb_id"} == expected, (info.component, info.keys)
        assert all(isinstance(v, str) and v for v in info.keys.values()), info.keys
    seen = Counter((info.component, tuple(sorted(info.keys.items()))) for info in rows)
    assert [k for k, n in seen.items() if n > 1] == []


def test_the_keys_are_the_rows_own_coordinates(solved):
    """Each key is checked against the figure it locates: a money row's limit is that source's
    funding in that year, a bound's that service's bound, a workforce row's that group's staff
    in that year, a sector share's group the sectors of one of the policy's limits."""
    inputs, policy, session, res = solved
    c = res.constraints
    years = set(session.data.years)
    assert set(c["year"]) <= years and c["year"].notna().all()
    fund = session.data.funding.set_index(["source_id", "year"])["amount_m"]
    for r in c[c["component"] == "money_source_limit"].itertuples():
        assert r.limit == pytest.approx(fund[(r.source_id, r.year)])
    lo, hi = service_bounds(inputs, policy)
    for r in c[c["family"] == "bounds"].itertuples():
        assert r.limit == pytest.approx(lo[r.service_id] if r.component == "bounds_min"
                                        else hi[r.service_id])
    avail = workforce.limits(session.data)[0]
    for r in c[c["family"] == "workforce"].itertuples():
        assert r.limit == pytest.approx(avail[(r.group_id, r.year)])
    for r in c[c["family"] == "transition"].itertuples():
        assert r.service_id in set(inputs.service_ids)
    if policy.enabled("fair_shares"):
        assert set(c.loc[c["family"] == "fair_shares", "place_id"]) == set(
            inputs.places["place_id"])
    if policy.enabled("sector_shares"):
        groups = {"+".join(sorted(lim.sectors)) + ("@system" if lim.of == "system" else "")
                  for lim in policy.rules.sector_shares.limits}
        assert set(c.loc[c["family"] == "sector_shares", "sector_group_id"]) == groups
    targets = c[c["family"] == "targets"]
    assert set(targets["metric_id"]) <= set(inputs.metrics["metric_id"])


def test_the_json_and_a_stored_record_keep_the_keys(solved):
    _, _, session, res = solved
    doc = res.to_json_dict()
    reported = [info for info in session.compiled.rows if info.report]
    assert len(doc["constraints"]) == len(reported)
    for entry, info in zip(doc["constraints"], reported):
        assert entry["component"] == info.component and entry["keys"] == info.keys
    assert row_keys(res.constraints) == [info.keys for info in reported]
    back = Results.from_record(res.to_record())
    assert row_keys(back.constraints) == row_keys(res.constraints)
    assert list(back.constraints.columns) == list(res.constraints.columns)


def test_a_record_saved_before_rows_kept_keys_reads_back_with_empty_keys(solved):
    _, _, _, res = solved
    record = res.to_record()
    frame = record["constraints"]
    keys = set(key_columns(res.constraints))
    keep = [i for i, name in enumerate(frame["columns"]) if name not in keys]
    record["constraints"] = {"columns": [frame["columns"][i] for i in keep],
                             "dtypes": [frame["dtypes"][i] for i in keep],
                             "rows": [[row[i] for i in keep] for row in frame["rows"]]}
    back = Results.from_record(record)
    assert all(keys == {} for keys in row_keys(back.constraints))
    assert back.constraints["name"].tolist() == res.constraints["name"].tolist()


def test_a_relaxation_keeps_its_rows_keys_in_the_json_and_a_stored_record():
    """Minimums of £6m each for two services against £10m in the first year and £11m in the
    second: the smallest relaxation moves a minimum £2m in the first year and £1m in the
    second, each relaxation with its row's keys."""
    from budgetopt import optimise
    from tests.builders import make_inputs

    inputs = make_inputs(
        services=[{"service_id": "A", "min_m": 6.0}, {"service_id": "B", "min_m": 6.0}],
        curves=[("A", "m", 1, 20, 2), ("B", "m", 1, 20, 1)],
        funding=[("pool", "2026/27", 10.0), ("pool", "2027/28", 11.0)])
    res = optimise(inputs)
    assert res.status == "infeasible"
    relaxations = res.infeasibility.relaxations
    by_year: dict[str, float] = {}
    for r in relaxations:
        assert r.family == "bounds" and set(r.keys) == {"service_id", "year"}, r
        by_year[r.keys["year"]] = by_year.get(r.keys["year"], 0.0) + r.relax_by
    assert by_year == pytest.approx({"2026/27": 2.0, "2027/28": 1.0})
    doc = res.to_json_dict()
    assert [r["keys"] for r in doc["infeasibility"]["relaxations"]] == [
        r.keys for r in relaxations]
    again = Results.from_record(res.to_record())
    assert again.infeasibility.relaxations == relaxations
