"""The vectorised segment build gives exactly the tables of the per-service loop it replaced
(tests/segments_reference.py): same rows, order, dtypes and floats, bit for bit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from budgetopt.data.dataset import load_dataset
from budgetopt.model.data import _places, _segments, planning_years
from budgetopt.policy import load_policy
from tests.golden.make import EXAMPLE, MODELS
from tests.segments_reference import reference_segments


def both(inputs, policy):
    years = planning_years(inputs, policy, [])
    places = _places(inputs, policy, [])
    got = _segments(inputs, policy, years, places, p1 := [])
    want = reference_segments(inputs, policy, years, places, p2 := [])
    return got, want, p1, p2


def assert_same(inputs, policy):
    (seg, co), (seg0, co0), p1, p2 = both(inputs, policy)
    places = _places(inputs, policy, [])
    hwb = dict(zip(places["place_id"], places["hwb_id"]))
    assert seg["hwb_id"].tolist() == [hwb[p] for p in seg0["place_id"]]  # each place's HWB
    pd.testing.assert_frame_equal(seg.drop(columns="hwb_id"), seg0, check_exact=True)
    pd.testing.assert_frame_equal(co, co0, check_exact=True)
    assert [str(p) for p in p1] == [str(p) for p in p2]


@pytest.mark.parametrize("model", MODELS, ids=[m.stem for m in MODELS])
def test_example_segments_are_the_loops(model):
    policy = load_policy(model)
    assert_same(load_dataset(EXAMPLE, nonconcave=policy.nonconcave), policy)


def _with_curves(inputs, curves: pd.DataFrame, places: bool = True):
    fields = {f: getattr(inputs, f) for f in inputs.__dataclass_fields__}
    if not places:
        fields["places"] = inputs.places.iloc[0:0]
    return type(inputs)(**{**fields, "curves": curves})


@pytest.mark.parametrize("seed", range(6))
def test_random_curves_year_specific_bands_and_no_curve(seed):
    """Several metrics per service with unequal breakpoints (some equal to 1e-10), bands
    given for one year only, a service with no curve, zero and rising estimates."""
    rng = np.random.default_rng(seed)
    policy = load_policy(None).model_copy(update={"nonconcave": "milp"})
    inputs = load_dataset(EXAMPLE)
    services = list(inputs.service_ids)
    metrics = list(inputs.metrics["metric_id"])
    rows = []
    for s in services[1:]:  # the first service has no curve
        for m in rng.choice(metrics, size=int(rng.integers(1, 4)), replace=False):
            for year in [None, *([inputs.years[1]] if rng.random() < 0.3 else [])]:
                nb = int(rng.integers(1, 6))
                widths = rng.choice([1.0, 2.5, 0.1 + 1e-10, 3.3], size=nb)
                per = np.sort(rng.choice([0.0, 5.0, 12.5, 40.0], size=nb))[::-1]
                if rng.random() < 0.2:
                    per = per[::-1]  # rising: not concave
                rows += [(s, m, b + 1, float(w), float(p), float(p) * 0.7, float(p) * 1.3,
                          year) for b, (w, p) in enumerate(zip(widths, per))]
    curves = pd.DataFrame(rows, columns=["service_id", "metric_id", "band", "width_m", "per_m",
                                         "per_m_low", "per_m_high", "year"])
    curves = curves.astype({"service_id": inputs.curves["service_id"].dtype,
                            "metric_id": inputs.curves["metric_id"].dtype})
    curves["year"] = curves["year"].astype(object)
    shuffled = curves.sample(frac=1.0, random_state=seed)
    assert_same(_with_curves(inputs, shuffled), policy)
    assert_same(_with_curves(inputs, shuffled, places=False), policy)  # one ICS-wide place
