"""The solve's statuses, as an enum of strings (so the JSON and every comparison with a plain
string are unchanged: ``SolveStatus.OPTIMAL == "optimal"``, ``json.dumps`` writes
``"optimal"``). The contract's four (MODEL.md) and ``error`` for a solver that failed."""

from __future__ import annotations

from enum import StrEnum


class SolveStatus(StrEnum):
    """What a solve ended in, in the contract's words."""

    OPTIMAL = "optimal"
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    TIME_LIMIT = "time_limit"
    ERROR = "error"


__all__ = ["SolveStatus"]
