"""Policy models: which rules apply and how they are tuned (YAML under ``models/``).

A policy model is a file a person can read and diff. Every key is checked: an unknown key is an
error that names the key, where it is, and the nearest valid key. Contract keys (MODEL.md):
``objective: max_outcome | min_cost`` and ``nonconcave: reject | milp``.

Constraint families live under ``rules:``, each with ``enabled`` and its parameters, so a
scenario override reads ``rules.workforce.scale=0.9``. Families are registered in
:data:`RULE_MODELS`; adding a family means adding its parameter model there and its
``add_<family>`` function in :mod:`budgetopt.model.families`.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from budgetopt.errors import PolicyError, Problem


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Horizon(_Strict):
    """Planning horizon: which funding years to plan, and how to weigh later years."""

    years: list[str] | None = Field(
        None, description="Years to plan (labels as in funding). Blank = every funding year."
    )
    discount_rate: float = Field(
        0.0, ge=0.0, le=1.0,
        description="Annual discount rate on outcomes (and on spend in min_cost mode), "
        "e.g. 0.035 (HM Treasury Green Book). Year 1 is undiscounted.",
    )


class MoneyRule(_Strict):
    """Money: spend in each year within each funding source's amount."""

    scale: float = Field(1.0, ge=0.0, description="Multiply every funding amount by this.")
    budget_m: float | None = Field(
        None, ge=0.0,
        description="Total pooled budget per year in £m: every source in every year is "
        "scaled by budget_m / (first year's total funding). Blank = as in the data.",
    )
    amounts: dict[str, dict[str, float]] = Field(
        default_factory=dict,
        description="Override amounts: {source_id: {year: £m}} (applied before scaling).",
    )


class Switch(_Strict):
    enabled: bool = True


class ServiceBounds(_Strict):
    min_m: float | None = Field(None, ge=0.0)
    max_m: float | None = Field(None, ge=0.0)


class BoundsRule(_Strict):
    """Service bounds: minimum and maximum spend per service and year."""

    enabled: bool = True
    services: dict[str, ServiceBounds] = Field(
        default_factory=dict, description="Per-service overrides of min_m / max_m (£m a year)."
    )


class WorkforceRule(_Strict):
    """Workforce: WTE needed by the allocation within WTE available, per group and year."""

    enabled: bool = True
    scale: float = Field(1.0, ge=0.0, description="Multiply every group's WTE available.")


class Target(_Strict):
    metric: str
    year: str | None = Field(None, description="Year label; blank = every year.")
    min: float | None = Field(None, description="Outcome at least this (metric's units).")
    max: float | None = Field(None, description="Outcome at most this.")

    @model_validator(mode="after")
    def _one_side(self) -> "Target":
        if self.min is None and self.max is None:
            raise ValueError("a target needs min or max")
        return self


class TargetsRule(_Strict):
    """Outcome targets: a metric's outcome at least (or at most) a stated value."""

    enabled: bool = True
    items: list[Target] = Field(default_factory=list)


class PlacesSettings(_Strict):
    """Places: effect multipliers overriding the data (outcome per £ relative to average)."""

    effects: dict[str, float] = Field(default_factory=dict)


class SolverSettings(_Strict):
    time_limit_s: float = Field(60.0, gt=0.0, description="Stop after this many seconds.")
    mip_rel_gap: float = Field(1e-6, ge=0.0, description="Relative optimality gap for MILP.")
    presolve: Literal["on", "off", "choose"] = "choose"
    method: Literal["choose", "simplex", "ipm"] = "choose"


class Rules(_Strict):
    """Constraint families. Money, eligibility, bounds and workforce are on by default."""

    money: MoneyRule = MoneyRule()
    eligibility: Switch = Switch()
    bounds: BoundsRule = BoundsRule()
    workforce: WorkforceRule = WorkforceRule()
    targets: TargetsRule = TargetsRule()


class Policy(_Strict):
    """A policy model: objective, curve treatment, horizon and the rules."""

    name: str = "Default"
    description: str = ""
    objective: Literal["max_outcome", "min_cost"] = "max_outcome"
    nonconcave: Literal["reject", "milp"] = "reject"
    estimate: Literal["central", "low", "high"] = Field(
        "central", description="Which curve values to optimise with."
    )
    horizon: Horizon = Horizon()
    rules: Rules = Rules()
    places: PlacesSettings = PlacesSettings()
    solver: SolverSettings = SolverSettings()

    def enabled(self, family: str) -> bool:
        """Whether a constraint family is switched on (money always is)."""
        rule = getattr(self.rules, family, None)
        if rule is None:
            return False
        return bool(getattr(rule, "enabled", True))


RULE_MODELS: dict[str, type[BaseModel]] = {
    name: field.annotation  # type: ignore[misc]
    for name, field in Rules.model_fields.items()
}


def _fields_at(loc: tuple[Any, ...]) -> list[str]:
    """Valid keys at a location in the policy tree (for 'did you mean')."""
    model: Any = Policy
    for part in loc:
        if isinstance(part, int) or model is None:
            return []
        field = getattr(model, "model_fields", {}).get(part)
        if field is None:
            return []
        ann = field.annotation
        model = ann if isinstance(ann, type) and issubclass(ann, BaseModel) else None
    return list(getattr(model, "model_fields", {}).keys()) if model else []


def _problems(err: ValidationError, where: str) -> list[Problem]:
    problems = []
    for e in err.errors():
        loc = tuple(e["loc"])
        path = ".".join(str(p) for p in loc)
        if e["type"] == "extra_forbidden":
            key = str(loc[-1])
            valid = _fields_at(loc[:-1])
            close = difflib.get_close_matches(key, valid, n=1, cutoff=0.5)
            hint = f"did you mean '{close[0]}'?" if close else (
                f"valid keys here: {', '.join(valid)}" if valid else "not a valid key"
            )
            problems.append(Problem(where, f"unknown key '{path}': {hint}"))
        else:
            value = e.get("input")
            shown = value if isinstance(value, (str, int, float, bool)) else None
            problems.append(Problem(where, f"{path}: {e['msg']}", value=shown))
    return problems


def policy_from_dict(data: dict[str, Any] | None, where: str = "policy model") -> Policy:
    """Validate a policy mapping, reporting every problem with the key's path."""
    try:
        return Policy.model_validate(data or {})
    except ValidationError as err:
        raise PolicyError(_problems(err, where), title=f"The policy model {where} has problems")


def load_policy(path: str | Path | None) -> Policy:
    """Read a policy model YAML file; ``None`` gives the default policy."""
    if path is None:
        return Policy()
    p = Path(path)
    if not p.is_file():
        raise PolicyError.single(str(p), "policy model file not found")
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        row = mark.line + 1 if mark is not None else None
        raise PolicyError.single(p.name, f"not valid YAML: {getattr(err, 'problem', err)}",
                                 row=row) from None
    if data is not None and not isinstance(data, dict):
        raise PolicyError.single(p.name, "a policy model must be a mapping of keys to values")
    return policy_from_dict(data, where=p.name)


def _parse_scalar(text: str) -> Any:
    """Parse an override value as YAML (numbers, booleans, lists), else keep the string."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


OVERRIDE_ALIASES = {"budget_m": "rules.money.budget_m", "scale": "rules.money.scale"}


def apply_overrides(policy: Policy, overrides: list[str] | dict[str, Any]) -> Policy:
    """Return a new policy with ``key.path=value`` overrides applied and validated.

    ``budget_m=240`` is short for ``rules.money.budget_m=240``.
    """
    items: list[tuple[str, Any]]
    if isinstance(overrides, dict):
        items = list(overrides.items())
    else:
        items = []
        for text in overrides:
            if "=" not in text:
                raise PolicyError.single("--set", f"'{text}' is not of the form key=value")
            key, _, value = text.partition("=")
            items.append((key.strip(), _parse_scalar(value.strip())))
    data = policy.model_dump(mode="python")
    for key, value in items:
        path = OVERRIDE_ALIASES.get(key, key).split(".")
        node = data
        for part in path[:-1]:
            if not isinstance(node.get(part), dict):
                node[part] = {} if node.get(part) is None else node[part]
            node = node[part]
            if not isinstance(node, dict):
                raise PolicyError.single("--set", f"'{key}' does not name a setting")
        node[path[-1]] = value
    return policy_from_dict(data, where="overrides")
