"""The example under every shipped model gives the stored answer (tests/golden/*.json).

Speed work must not change an answer: every figure of the JSON within 1e-9 (relative, or
absolute near zero), every word, name, key and status exactly. A change meant to change the
answers writes them again with ``PYTHONPATH=src python -m tests.golden.make``.
"""

from __future__ import annotations

import json
import math

import pytest

from tests.golden.make import HERE, MODELS, answer

TOL = 1e-9


def differences(got, want, path="") -> list[str]:
    """Where `got` differs from `want`: numbers beyond TOL, anything else at all."""
    if isinstance(want, bool) or want is None or isinstance(want, str):
        return [] if got == want and type(got) is type(want) else [f"{path}: {got!r} != {want!r}"]
    if isinstance(want, int | float):
        ok = (isinstance(got, int | float) and not isinstance(got, bool)
              and math.isclose(got, want, rel_tol=TOL, abs_tol=TOL))
        return [] if ok else [f"{path}: {got!r} != {want!r}"]
    if isinstance(want, list):
        if not isinstance(got, list) or len(got) != len(want):
            return [(f"{path}: {len(got) if isinstance(got, list) else got!r} items, "
                    f"want {len(want)}")]
        return [d for i, (g, w) in enumerate(zip(got, want))
                for d in differences(g, w, f"{path}[{i}]")]
    if not isinstance(got, dict) or got.keys() != want.keys():
        return [(f"{path}: keys {sorted(got) if isinstance(got, dict) else got!r} != "
                f"{sorted(want)}")]
    return [d for k in want for d in differences(got[k], want[k], f"{path}.{k}")]


def test_differences_finds_a_changed_figure_word_and_length():
    want = {"objective": 1.0, "rows": [{"name": "a", "dual": 0.0}], "ok": True}
    assert differences(json.loads(json.dumps(want)), want) == []
    assert differences({**want, "objective": 1.0 + 1e-6}, want) == [
        f".objective: {1.0 + 1e-6!r} != 1.0"]
    assert differences({**want, "rows": [{"name": "b", "dual": 0.0}]}, want)
    assert differences({**want, "rows": [{"name": "a", "dual": 1e-8}]}, want)
    assert differences({**want, "rows": []}, want)
    assert differences({**want, "ok": 1}, want)


@pytest.mark.parametrize("model", MODELS, ids=[m.stem for m in MODELS])
def test_example_answer_is_the_golden_one(model):
    stored = HERE / f"{model.stem}.json"
    assert stored.exists(), f"no golden answer for {model.name}: run python -m tests.golden.make"
    found = differences(answer(model), json.loads(stored.read_text(encoding="utf-8")))
    assert not found, f"{model.name}: {len(found)} differences, first: {found[:5]}"


def test_a_large_answer_is_written_compact_with_the_same_content(monkeypatch, example_dir):
    from budgetopt.api import optimise
    from budgetopt.data.dataset import load_dataset
    from budgetopt.policy import load_policy
    from budgetopt.results import tables

    res = optimise(load_dataset(example_dir), load_policy(None))
    indented = res.to_json()
    assert "\n  " in indented  # the example is small: indented for people
    monkeypatch.setattr(tables, "INDENTED_ROWS", 10)
    compact = res.to_json()
    assert "\n" not in compact
    assert json.loads(compact) == json.loads(indented)
