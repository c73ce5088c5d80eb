"""Statuses are enums of strings: the JSON, the store and every comparison are unchanged."""

from __future__ import annotations

import json

from budgetopt.api import build
from budgetopt.batch.run import JobStatus
from budgetopt.data.dataset import load_dataset
from budgetopt.policy import Policy
from budgetopt.solve.status import SolveStatus
from budgetopt.store import STATUSES, ApprovalStatus
from tests.datasets import tiny_tables, write_csv


def test_a_solve_reports_an_enum_that_writes_as_the_contract_word(tmp_path):
    results = build(load_dataset(write_csv(tiny_tables(), tmp_path / "d")), Policy()).results()
    assert results.status is SolveStatus.OPTIMAL and results.status == "optimal"
    assert json.loads(results.to_json())["status"] == "optimal"
    assert json.dumps({"s": results.status}) == '{"s": "optimal"}'


def test_the_contract_statuses_and_the_others_are_one_enum_each():
    assert {s.value for s in SolveStatus} == {"optimal", "infeasible", "unbounded",
                                              "time_limit", "error"}
    assert {s.value for s in JobStatus} == {s.value for s in SolveStatus} | {"failed"}
    assert STATUSES == ("draft", "proposed", "approved") == tuple(ApprovalStatus)
    assert f"{JobStatus.FAILED}" == "failed" and str(ApprovalStatus.DRAFT) == "draft"
