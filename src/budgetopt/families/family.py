"""What a constraint family is, and how it describes its checklist rows for the BCF workbook.

A :class:`Family` is one module's record of everything about its rule: its parameters, its
checks of the policy against the data, its rows, its pre-solve warnings and its checklist rows.
The registry (:data:`budgetopt.families.FAMILIES`) lists them in row order.

Checklist rows are data, not spreadsheet formulas: a :class:`Requirement` says what is summed
over which Expenditure rows (:class:`Spend`), against what (:class:`Amount`, :class:`Income`),
and :mod:`budgetopt.reports.excel.workbook` renders it as live formulas. A family whose rule
the sheet cannot hold (spend by place, acute demand outside the pool) has no checklist rows:
its ``checklist`` returns ``None`` and the workbook shows each of its rows with the figure of
the solve.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel

from budgetopt.errors import Problem
from budgetopt.families.common import no_problems, no_warnings

if TYPE_CHECKING:
    import pyomo.environ as pyo

    from budgetopt.model.data import ModelData


@dataclass(frozen=True)
class Spend:
    """Planned spend (£) in `year` over the Expenditure rows that match every filter given.

    ``services``: rows of these schemes (each summed on its own, in this order); ``sources``:
    rows paid by these funding sources; ``area``: rows of this area of spend; ``nhs_share``:
    each row at its NHS share (commissioner ICB in full, Joint at its % NHS, not LA) and acute
    care left out (the BCF's NHS-commissioned out-of-hospital spend; needs ``sources``). The
    sum is multiplied by ``factor`` (e.g. WTE per £1m, or a share) or by ``1 + growth``, and
    negated with ``minus``. ``hwb``: only the lines spent in that Health and Wellbeing Board's
    places ("" for places of none; None: every line).
    """

    year: str
    services: tuple[str, ...] | None = None
    sources: tuple[str, ...] | None = None
    area: str | None = None
    nhs_share: bool = False
    factor: float | None = None
    growth: float | None = None
    minus: bool = False
    hwb: str | None = None


@dataclass(frozen=True)
class Income:
    """A funding source's income in `year` on the Income sheet (``source`` None: the total)."""

    year: str
    source: str | None = None


@dataclass(frozen=True)
class Amount:
    """A number in the requirement's unit (£m, shown in £ on the sheet; or WTE)."""

    value: float


Term = Spend | Income | Amount


@dataclass(frozen=True)
class Requirement:
    """One checklist row: ``Σ figure (sense) Σ limit`` in `year`.

    In ``£m`` requirements every term is money; in ``WTE`` ones the figure's spend terms carry
    WTE per £1m as their factor and the limit is staff."""

    text: str
    year: str
    figure: tuple[Term, ...]
    sense: Literal["<=", ">="]
    limit: tuple[Term, ...]
    unit: Literal["£m", "WTE"] = "£m"


Checklist = Callable[["ModelData", list[str]], "list[Requirement] | None"]


@dataclass(frozen=True)
class Family:
    """A constraint family: everything about one rule, in one module.

    name
        The key under ``rules:`` in a policy model and the contract's ``family`` value.
    params, default
        The parameter class and the instance a policy that does not mention the family holds
        (the ICS rules are off until a policy writes them). ``None`` for the band order, which
        is not a policy rule.
    components
        The catalogue entries of its rows, in the order it adds them.
    add
        ``add(m, data)``: its rows, through :func:`budgetopt.families.rows.add_rows`.
    check
        ``check(data) -> list[Problem]``: the policy against the data; never raises.
    presolve
        ``presolve(data) -> list[str]``: plain-word warnings of conflicts before the solve.
    checklist
        ``checklist(data, years) -> list[Requirement] | None``: its live rows for the BCF
        workbook, or None when the Expenditure sheet cannot hold the rule.
    applies
        Whether it is added for `data`; default: switched on in the policy.
    """

    name: str
    params: type[BaseModel] | None
    default: BaseModel | None
    components: tuple[str, ...] = ()
    add: Callable[[pyo.ConcreteModel, ModelData], None] | None = None
    check: Callable[[ModelData], list[Problem]] = no_problems
    presolve: Callable[[ModelData], list[str]] = no_warnings
    checklist: Checklist | None = None
    applies: Callable[[ModelData], bool] | None = None

    def on(self, data: ModelData) -> bool:
        """Whether this family applies to `data`."""
        if self.applies is not None:
            return self.applies(data)
        return data.policy.enabled(self.name)
