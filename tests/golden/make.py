"""Write the golden JSON answers: the example under every shipped model.

    PYTHONPATH=src python -m tests.golden.make

Run it only when a change is meant to change the answers (a new example, a new rule, a
changed contract), and say so in the commit: tests/test_golden.py holds every other change
to the same JSON (the figures to 1e-9, the words exactly).
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
EXAMPLE = ROOT / "inputs" / "example"
MODELS = sorted((ROOT / "models").glob("*.yaml"))

VOLATILE = ("created_utc", "solver_version", "pyomo_version", "python_version", "version")
"""Provenance fields that name the moment or the software, not the answer."""


def answer(model: Path) -> dict:
    """The contract's JSON of the example under `model`, less the volatile provenance."""
    from budgetopt.api import build
    from budgetopt.data.dataset import load_dataset
    from budgetopt.policy import load_policy

    policy = load_policy(model)
    inputs = load_dataset(EXAMPLE, nonconcave=policy.nonconcave)
    doc = json.loads(build(inputs, policy).results().to_json())
    for key in VOLATILE:
        doc["provenance"].pop(key, None)
    doc["provenance"]["data_source"] = "inputs/example"
    return doc


def main() -> None:
    for model in MODELS:
        path = HERE / f"{model.stem}.json"
        path.write_text(json.dumps(answer(model), indent=1, sort_keys=True) + "\n",
                        encoding="utf-8")
        print(path)


if __name__ == "__main__":
    main()
