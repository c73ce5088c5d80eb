"""Policy models: which rules apply and how they are tuned (YAML under ``models/``).

A policy model is a file a person can read and diff. Every key is checked: an unknown key is an
error that names the key, where it is, and the nearest valid key. Contract keys (MODEL.md):
``objective: max_outcome | min_cost`` and ``nonconcave: reject | milp``.

Constraint families live under ``rules:``, each with ``enabled`` and its parameters, so a
scenario override reads ``rules.workforce.scale=0.9``. The section is built from the registry
of families (:data:`budgetopt.families.FAMILIES`): each family's module holds its parameter
class, so adding a family adds its key here.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, create_model, field_validator

from budgetopt.data.safe_yaml import load_yaml, read_yaml
from budgetopt.errors import InputError, PolicyError, Problem
from budgetopt.families import FAMILIES
from budgetopt.families.bcf_rules import rule_set_ids
from budgetopt.families.common import Params
from budgetopt.families.family import Family
from budgetopt.families.pins import Pin
from budgetopt.families.rows import family_catalogue
from budgetopt.safe import regular_input


class Horizon(Params):
    """Planning horizon: which funding years to plan, and how to weigh later years."""

    years: list[str] | None = Field(
        None, description="Years to plan (labels as in funding). Blank = every funding year."
    )

    @field_validator("years")
    @classmethod
    def _at_least_one_year(cls, years: list[str] | None) -> list[str] | None:
        if years is not None and not years:
            raise ValueError("give at least one year, or leave years out to plan every "
                             "funding year")
        return years
    discount_rate: float = Field(
        0.0, ge=0.0, le=1.0,
        description="Annual discount rate on outcomes (and on spend in min_cost mode), "
        "e.g. 0.035 (HM Treasury Green Book). Year 1 is undiscounted.",
    )


class PlacesSettings(Params):
    """Places: effect multipliers overriding the data (outcome per £ relative to average)."""

    effects: dict[str, float] = Field(default_factory=dict)


class BcfSettings(Params):
    """The Better Care Fund rule set the plan follows (``policy/bcf_rules/<id>.yaml``)."""

    rules: str | None = Field(
        None, description="BCF rule set, e.g. 2026-27: its funding streams and what each may "
        "pay for, the ASC minimum's yearly uplift per HWB, the national conditions, and the "
        "plan years it covers. Blank = the 2023-25 reading (floors only as rules.bcf_conditions "
        "states them).")

    @field_validator("rules", mode="before")
    @classmethod
    def _known(cls, value: Any) -> Any:
        if value is None:
            return None
        value = str(value)
        known = rule_set_ids()
        if value not in known:
            raise ValueError(f"{value!r} is not a BCF rule set (the rule sets: "
                             f"{', '.join(known)})")
        return value


class SolverSettings(Params):
    time_limit_s: float = Field(60.0, gt=0.0, description="Stop after this many seconds.")
    mip_rel_gap: float = Field(1e-6, ge=0.0, description="Relative optimality gap for MILP.")
    presolve: Literal["on", "off", "choose"] = "choose"
    method: Literal["choose", "simplex", "ipm"] = "choose"
    random_seed: int = Field(0, ge=0, description="HiGHS's random seed (a batch job's seed).")
    price_ranging: Literal["choose", "full", "basis", "off"] = Field(
        "choose", description="How the binding rows' shadow prices are ranged: full = every "
        "kink (a degenerate side) re-solved to find its one-sided value and range; basis = "
        "HiGHS's ranging of the optimal basis only, kinks reported as not ranged; off = no "
        "ranging (every binding row not ranged); choose = full up to 20,000 columns, basis "
        "above (a re-solve per kink costs a few percent of a national solve).")

    @field_validator("presolve", "price_ranging", mode="before")
    @classmethod
    def _off_is_a_word(cls, value: Any) -> Any:  # YAML reads a bare off/on as a boolean
        return {False: "off", True: "on"}.get(value, value) if isinstance(value, bool) \
            else value


# -- the rules: one field per constraint family of the registry ---------------------------------
#
# Each ICS rule is off unless the policy model mentions it: ``Rules()`` holds each family's
# default (a switched-off instance), while a rule written in a YAML file (``mhis:
# {allocation_growth: 0.03}``) is built with ``enabled: true``. Shares and rates are fractions
# (0.05 = 5%); money is £m a year. The parameter classes live with their families.


def rules_model(families: list[Family]) -> Any:
    """The ``rules:`` section for `families`: one field per family with parameters (its
    default when the policy does not mention it), in the catalogue's order of families (the
    order the policy model and its documentation list them)."""
    order = {name: i for i, name in enumerate(family_catalogue())}
    missing = [f.name for f in families if f.params is not None and f.name not in order]
    if missing:
        raise KeyError(f"constraint families {missing} have no catalogue entry")
    fields: dict[str, Any] = {f.name: (f.params, f.default)
                              for f in sorted((f for f in families if f.params is not None),
                                              key=lambda f: order[f.name])}
    return create_model("Rules", __base__=Params, **fields)


# mypy cannot see a base class made at run time (pydantic's create_model)
class Rules(rules_model(FAMILIES)):  # type: ignore[misc]
    """Constraint families. Money, eligibility, bounds, workforce and targets are on by
    default; the ICS rules from ``transition`` on are off until a policy model writes them."""


class Relax(Params):
    """Loosen one named rule by a stated amount: how the infeasibility advice is applied."""

    rule: str = Field(description="The rule's plain-English name, exactly as the results give it.")
    by: float = Field(gt=0.0, description="How far to loosen its limit, in the rule's own unit "
                      "(£m, WTE, percentage points, the metric's unit).")
    direction: Literal["up", "down"] | None = Field(
        default=None, description="For a rule that fixes a figure (a pinned line): which way "
        "to move it. Other rules are loosened the one way that loosens them.")


class Policy(Params):
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
    bcf: BcfSettings = BcfSettings()
    solver: SolverSettings = SolverSettings()
    tie_break: bool = Field(
        True, description="Among equally good plans, return the one that moves least from the "
        "baseline, then whose funding sources change least from year to year: on (default) or "
        "off (the solver's own optimal plan, for speed).")
    pins: list[Pin] = Field(
        default_factory=list,
        description="Lines whose spend a person fixes, whatever the model would say: "
        "[{service_id: DN, spend_m: 35.0}] (every year, the service's total), with optional "
        "year and place_id.")
    relax: list[Relax] = Field(
        default_factory=list,
        description="Named rules loosened by stated amounts, e.g. the infeasibility advice "
        "accepted: [{rule: \"Minimum spend on Care Act duties in 2026/27 (£20.0m)\", by: 8.0}].")

    def enabled(self, family: str) -> bool:
        """Whether a constraint family is switched on (money always is)."""
        rule = getattr(self.rules, family, None)
        if rule is None:
            return False
        return bool(getattr(rule, "enabled", True))


def _fields_at(loc: tuple[Any, ...], root: Any = None) -> list[str]:
    """Valid keys at a location in the tree of pydantic model `root` (default: the policy
    model), for 'did you mean'. List items (int parts) and ``list[Model]`` are followed."""
    model: Any = Policy if root is None else root
    for part in loc:
        if isinstance(part, int):
            continue
        if model is None:
            return []
        if isinstance(part, int) or model is None:
            return []
        field = getattr(model, "model_fields", {}).get(part)
        if field is None:
            return []
        model = _model_in(field.annotation)
    return list(getattr(model, "model_fields", {}).keys()) if model else []


def _model_in(annotation: Any) -> Any:
    """The pydantic model an annotation holds (``M``, ``M | None``, ``list[M]``), or None."""
    from typing import get_args

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def key_path(loc: tuple[Any, ...]) -> str:
    """A pydantic error location as a person reads it: ``jobs[2].seed`` (items from 1)."""
    text = ""
    for part in loc:
        text += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def validation_problems(err: ValidationError, where: str, root: Any = None) -> list[Problem]:
    """Every error of a pydantic validation as a :class:`Problem` naming the key's path, with
    "did you mean" for an unknown key (`root`: the model validated, default the policy's)."""
    problems = []
    for e in err.errors():
        loc = tuple(e["loc"])
        path = key_path(loc) if root is not None else ".".join(str(p) for p in loc)
        if e["type"] == "extra_forbidden":
            key = str(loc[-1])
            valid = _fields_at(loc[:-1], root)
            close = difflib.get_close_matches(key, valid, n=1, cutoff=0.5)
            hint = f"did you mean '{close[0]}'?" if close else (
                f"valid keys here: {', '.join(valid)}" if valid else "not a valid key"
            )
            problems.append(Problem(where, f"unknown key '{path}': {hint}"))
        else:
            value = e.get("input")
            shown = value if isinstance(value, (str, int, float, bool)) else None
            message = str(e["msg"]).removeprefix("Value error, ")
            problems.append(Problem(where, f"{path}: {message}", value=shown))
    return problems


def policy_from_dict(data: dict[str, Any] | None, where: str = "policy model") -> Policy:
    """Validate a policy mapping, reporting every problem with the key's path."""
    try:
        return Policy.model_validate(data or {})
    except ValidationError as err:
        raise PolicyError(validation_problems(err, where),
                          title=f"The policy model {where} has problems")


def load_policy(path: str | Path | None) -> Policy:
    """Read a policy model YAML file; ``None`` gives the default policy."""
    if path is None:
        return Policy()
    p = Path(path)
    if not p.exists():
        raise PolicyError.single(str(p), "policy model file not found")
    regular_input(p, "the policy model", error=PolicyError)
    data = read_yaml(p, error=PolicyError)
    if data is not None and not isinstance(data, dict):
        raise PolicyError.single(p.name, "a policy model must be a mapping of keys to values")
    return policy_from_dict(data, where=p.name)


def _parse_scalar(text: str) -> Any:
    """Parse an override value as YAML (numbers, booleans, lists), else keep the string."""
    try:
        return load_yaml(text, "--set")
    except InputError:
        return text


OVERRIDE_ALIASES = {"budget_m": "rules.money.budget_m", "scale": "rules.money.scale"}


def override_items(overrides: list[str] | dict[str, Any]) -> list[tuple[str, Any]]:
    """``["budget_m=240", ...]`` or ``{"budget_m": 240}`` as ``[("budget_m", 240), ...]``."""
    if isinstance(overrides, dict):
        return list(overrides.items())
    items = []
    for text in overrides:
        if "=" not in text:
            raise PolicyError.single("--set", f"'{text}' is not of the form key=value")
        key, _, value = text.partition("=")
        items.append((key.strip(), _parse_scalar(value.strip())))
    return items


def apply_overrides(policy: Policy, overrides: list[str] | dict[str, Any]) -> Policy:
    """Return a new policy with ``key.path=value`` overrides applied and validated.

    ``budget_m=240`` is short for ``rules.money.budget_m=240``.
    """
    data = policy.model_dump(mode="python")
    for key, value in override_items(overrides):
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
