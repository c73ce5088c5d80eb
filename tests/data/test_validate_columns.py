"""Validation a column at a time: the same answers and messages as a cell at a time.

The data hash is in every result's provenance, so the column-wise :func:`data_hash` must give
the value the row-by-row one gave: :func:`reference_hash` below is that earlier code, kept
here as the oracle, and the two are compared on the example and on random data sets.
"""

from __future__ import annotations

import hashlib
import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from budgetopt.data.dataset import load_dataset
from budgetopt.data.read import read_frames
from budgetopt.data.schema import TABLES
from budgetopt.data.validate import ADDED_COLUMNS, ADDED_TABLES, data_hash, validate
from budgetopt.errors import InputError
from tests.datasets import tiny_tables


def _reference_canonical(value: object) -> object:
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float) and math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if isinstance(value, float):
        return float(f"{value:.12g}")
    return value


def reference_hash(frames: dict[str, pd.DataFrame], years: tuple[str, ...]) -> str:
    """The row-by-row data hash as it was before validation went column-wise (with the later
    rule that tables and columns added in 2026-12 are left out when empty)."""
    doc: dict[str, object] = {"years": list(years)}
    for name, frame in frames.items():
        if name in ADDED_TABLES and frame.empty:
            continue
        frame = frame.drop(columns=[c for c in ADDED_COLUMNS.get(name, ())
                                    if c in frame.columns and frame[c].isna().all()])
        rows = [[_reference_canonical(v) for v in row]
                for row in frame.itertuples(index=False, name=None)]
        key = [list(frame.columns).index(k) for k in TABLES[name].key]
        rows.sort(key=lambda r: json.dumps([r[i] for i in key], ensure_ascii=False))
        doc[name] = {"columns": list(frame.columns), "rows": rows}
    text = json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def frames_of(inputs) -> dict[str, pd.DataFrame]:
    return {name: getattr(inputs, name) for name in TABLES}


def test_data_hash_is_the_row_by_row_value_on_the_example():
    inputs = load_dataset("inputs/example")
    assert inputs.data_hash == reference_hash(frames_of(inputs), inputs.years)


TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")),
               min_size=1, max_size=6).map(str.strip).filter(bool)
AMOUNT = st.one_of(st.floats(0, 1e9, allow_nan=False), st.integers(0, 10**6),
                   st.sampled_from([0.1, 1 / 3, 2.675, 1e-12, 123456789.123456789]))


@st.composite
def data_sets(draw) -> dict[str, pd.DataFrame]:
    """The tiny data set with random ids, names, amounts and curve years."""
    n = draw(st.integers(1, 6))
    ids = draw(st.lists(TEXT.filter(lambda s: not s.startswith("#")), min_size=n,
                        max_size=n, unique=True))
    tables = tiny_tables()
    tables["services"] = pd.DataFrame({
        "service_id": ids, "name": draw(st.lists(TEXT, min_size=n, max_size=n)),
        "sector": "community", "baseline_m": draw(st.lists(AMOUNT, min_size=n, max_size=n)),
        "max_m": draw(st.lists(st.sampled_from(["", 1e12, 50.5]), min_size=n, max_size=n)),
        "pct_nhs": draw(st.lists(st.sampled_from(["", 0, 33.3333333333333]), min_size=n,
                                 max_size=n)),
    }, dtype=object)
    years = draw(st.lists(st.sampled_from(["", "2026/27"]), min_size=n, max_size=n))
    tables["curves"] = pd.DataFrame({
        "service_id": ids, "metric_id": "ADM", "band": 1, "year": years,
        "width_m": draw(st.lists(AMOUNT, min_size=n, max_size=n)),
        "per_m": draw(st.lists(st.floats(0, 1e6), min_size=n, max_size=n)),
    }, dtype=object)
    order = draw(st.permutations(range(n)))
    tables["curves"] = tables["curves"].iloc[list(order)].reset_index(drop=True)
    return tables


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data_sets())
def test_data_hash_is_the_row_by_row_value_on_random_data_sets(tables):
    inputs = validate(read_frames(tables, "Random"))
    assert data_hash(frames_of(inputs), inputs.years) == reference_hash(frames_of(inputs),
                                                                        inputs.years)


def test_each_bad_cell_of_a_long_column_is_named_once():
    """Given 3,000 services where three cells are bad, each bad cell is one problem naming
    its row; the thousands of good cells of the same column say nothing."""
    n = 3000
    ids = [f"S{i:05d}" for i in range(n)]
    tables = tiny_tables()
    baseline = np.full(n, "1.5", dtype=object)
    baseline[[10, 1500, 2999]] = ["lots", "-2", "1e999"]
    tables["services"] = pd.DataFrame({"service_id": ids, "name": ids, "sector": "community",
                                       "baseline_m": baseline}, dtype=object)
    tables["curves"] = pd.DataFrame({"service_id": ids, "metric_id": "ADM", "band": 1,
                                     "width_m": 1, "per_m": 2}, dtype=object)
    with pytest.raises(InputError) as info:
        validate(read_frames(tables, "Long"))
    found = [(p.row, p.column, p.value) for p in info.value.problems]
    assert found == [(12, "baseline_m", "lots"), (1502, "baseline_m", "-2"),
                     (3001, "baseline_m", "1e999")]
    assert "money cannot be negative" in info.value.problems[1].message
    assert "finite" in info.value.problems[2].message


def test_huge_band_number_is_checked_without_counting_up_to_it():
    """A band numbered 100,000,000 is a gap reported at once, not a range of a hundred
    million numbers (issue 21, item 3)."""
    tables = tiny_tables()
    tables["curves"].loc[1, "band"] = 100_000_000
    with pytest.raises(InputError) as info:
        validate(read_frames(tables, "Bands"))
    assert any(p.column == "band" and p.row == 3 for p in info.value.problems), \
        str(info.value)
