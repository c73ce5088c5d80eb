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
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

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
    def _one_side(self) -> Target:
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
    random_seed: int = Field(0, ge=0, description="HiGHS's random seed (a batch job's seed).")


# -- the ICS rules (MODEL.md families 3-8 and 11; maths in budgetopt.model.rules) -----------
#
# Each rule is off unless the policy model mentions it: ``Rules()`` holds a switched-off
# instance, while a rule written in a YAML file (``mhis: {allocation_growth: 0.03}``) is built
# with ``enabled: true``. Shares and rates are fractions (0.05 = 5%); money is £m a year.


def _keys_to_str(value: Any) -> Any:
    """YAML reads ``2026: 12.0`` with an integer key; year labels are strings."""
    if isinstance(value, dict):
        return {str(k): v for k, v in value.items()}
    return value


YearMap = Annotated[dict[str, float], BeforeValidator(_keys_to_str)]
YearValue = float | YearMap  # one value for every planning year, or {year: value}


class StepLimits(_Strict):
    """Per-sector or per-service transition limits (blank = as the level above).

    To free a line from a limit, give a large share (e.g. ``max_rise: 100``)."""

    max_rise: float | None = Field(
        None, ge=0.0, description="Largest rise a year, as a share of the line's baseline.")
    max_fall: float | None = Field(
        None, ge=0.0, le=1.0, description="Largest fall a year, as a share of the baseline.")


class TransitionRule(_Strict):
    """Managed transition: each line's spend moves at most a stated share a year."""

    enabled: bool = True
    max_rise: float | None = Field(
        0.25, ge=0.0,
        description="Largest rise in a line's spend from one year to the next, as a share of "
        "its baseline (0.25 = 25% of baseline a year). Null = rises are not limited.")
    max_fall: float | None = Field(
        0.10, ge=0.0, le=1.0,
        description="Largest fall from one year to the next, as a share of the baseline "
        "(0.10 = 10% a year). Year one moves from the baseline. Null = falls not limited.")
    min_step_m: float = Field(
        0.5, ge=0.0,
        description="Every line may move by at least this many £m a year, so that new and "
        "small schemes can start (a share of a zero baseline is zero).")
    sectors: dict[str, StepLimits] = Field(
        default_factory=dict, description="Limits for every line of a sector, e.g. "
        "{acute: {max_fall: 0.03}}.")
    services: dict[str, StepLimits] = Field(
        default_factory=dict, description="Limits for one service (over its sector's).")


class BedCapacityRule(_Strict):
    """Acute bed capacity closes only at a stated rate."""

    enabled: bool = True
    beds_per_year: float | None = Field(
        None, ge=0.0,
        description="Acute beds that can close (or be moved out of hospital) in a year: "
        "wards close after consultation and re-deployment of staff.")
    cost_per_bed_gbp: float = Field(
        300_000.0, gt=0.0,
        description="Annual cost of one acute bed in £ (about £900 a bed day at 92% "
        "occupancy is about £300,000 a year): the acute spend one closed bed releases.")

    @model_validator(mode="after")
    def _rate_given(self) -> BedCapacityRule:
        if self.enabled and self.beds_per_year is None:
            raise ValueError("beds_per_year is needed: how many acute beds can close in a year")
        return self


class MhisRule(_Strict):
    """Mental Health Investment Standard: in-scope mental-health spend grows with allocation."""

    enabled: bool = True
    allocation_growth: YearValue | None = Field(
        None,
        description="Allocation growth the MHIS is measured against, e.g. 0.035, or per year "
        "{2026/27: 0.035, 2027/28: 0.03}. Blank = from the funding table: growth in total "
        "funding on the year before (year one: on total baseline spend).")
    include: list[str] = Field(
        default_factory=list, description="Services counted although not marked mhis.")
    exclude: list[str] = Field(
        default_factory=list, description="Services marked mhis but out of scope (e.g. "
        "learning disability, autism, dementia, specialised).")


class BcfConditionsRule(_Strict):
    """BCF national conditions: the NHS minimum contribution's floors."""

    enabled: bool = True
    source: str | None = Field(
        None, description="Funding source id of the NHS minimum contribution. Blank = every "
        "source whose bcf_source is 'Minimum NHS Contribution'.")
    asc_min_m: YearValue | None = Field(
        None, description="£m of the NHS minimum contribution that must fund adult social "
        "care (services with area of spend 'Social Care'), a year or {year: £m}.")
    ooh_min_m: YearValue | None = Field(
        None, description="£m that must fund NHS-commissioned out-of-hospital services "
        "(commissioner ICB, or the NHS share of Joint; not acute), a year or {year: £m}.")
    asc_services: list[str] | None = Field(
        None, description="Services that count as adult social care (overrides area_of_spend).")
    ooh_services: list[str] | None = Field(
        None, description="Services that count as NHS-commissioned out-of-hospital "
        "(overrides commissioner; each counts in full).")


class SectorShare(_Strict):
    """A floor or ceiling on one group of sectors' share of the money."""

    sectors: list[str] = Field(..., min_length=1, description="Sectors counted together.")
    label: str | None = Field(None, description="Name used in results, e.g. 'Prevention'.")
    min: float | None = Field(None, ge=0.0, le=1.0, description="At least this share.")
    max: float | None = Field(None, ge=0.0, le=1.0, description="At most this share.")
    of: Literal["pool", "system"] = Field(
        "pool", description="Share of the pooled money (every funding source), or of the "
        "system (the pool plus the acute budget of the acute offset, acute spend needed "
        "counted as acute).")
    years: list[str] | None = Field(None, description="Years it applies in; blank = all.")

    @model_validator(mode="after")
    def _one_side(self) -> SectorShare:
        if self.min is None and self.max is None:
            raise ValueError("a sector share needs min or max")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is above max ({self.max})")
        return self


class SectorSharesRule(_Strict):
    """Sector shares: e.g. acute at most a share ('shift left'), prevention at least one."""

    enabled: bool = True
    limits: list[SectorShare] = Field(default_factory=list)


class FairSharesRule(_Strict):
    """Fair shares across places: spend per need-weighted head near the ICS figure."""

    enabled: bool = True
    band: float = Field(
        0.05, ge=0.0,
        description="Each place's spend may differ from its fair share (its share of need-"
        "weighted population times the money) by at most this share of it: 0.05 = ±5%.")
    pace: float | None = Field(
        None, gt=0.0, le=1.0,
        description="Pace of change: a place whose baseline is further from its fair share "
        "than the band must close at least this share of the remaining gap each year (0.5 = "
        "half a year). Blank = the band applies from year one.")
    sectors: list[str] | None = Field(
        None, description="Sectors whose spend is shared fairly; blank = every sector.")


class Core20Rule(_Strict):
    """Core20PLUS5: prevention money reaches the most deprived 20%."""

    enabled: bool = True
    sectors: list[str] = Field(
        default_factory=lambda: ["public_health"],
        description="Sectors that count as prevention.")
    services: list[str] = Field(
        default_factory=list, description="Further services that count as prevention.")
    min_share: float | None = Field(
        None, ge=0.0, le=1.0,
        description="At least this share of prevention spend reaches people in the most "
        "deprived national quintile (each place's spend is shared by its core20_share).")
    min_ratio: float | None = Field(
        None, ge=0.0,
        description="Prevention spend per head in the most deprived quintile at least this "
        "multiple of spend per head elsewhere (1.2 = 20% more).")

    @model_validator(mode="after")
    def _one_floor(self) -> Core20Rule:
        if self.enabled and self.min_share is None and self.min_ratio is None:
            raise ValueError("Core20PLUS5 needs min_share or min_ratio")
        return self


class AcuteOffsetRule(_Strict):
    """Acute demand offset with double running (outside the pool, where savings land)."""

    enabled: bool = True
    baseline_cost_m: YearValue | None = Field(
        None, description="Cost of acute non-elective demand at today's activity, £m a year "
        "(or {year: £m} for demand growth): what the hospital costs if nothing changes.")
    budget_m: YearValue | None = Field(
        None, description="Acute budget, £m a year. Blank = the baseline cost (held flat).")
    lag_years: int = Field(
        1, ge=0, description="Years before avoided admissions and bed-days release cash: "
        "wards close only after the demand has gone.")
    realisation: float = Field(
        0.5, ge=0.0, le=1.0,
        description="Share of the gross saving that is cash-releasing (freed beds are "
        "partly refilled by waiting-list work).")
    savings_gbp: dict[str, float] = Field(
        default_factory=dict, description="£ of acute cost avoided per unit of a metric "
        "{metric_id: £}; overrides metrics.saving_gbp.")
    reinvest_share: float = Field(
        1.0, ge=0.0, le=1.0,
        description="Share of released acute money that may be reinvested in the pool's "
        "services (the rest is kept by the acute budget).")
    reinvest_in: list[str] | None = Field(
        None, description="Sectors reinvested savings may pay for; blank = every sector "
        "but acute.")

    @model_validator(mode="after")
    def _cost_given(self) -> AcuteOffsetRule:
        if self.enabled and self.baseline_cost_m is None:
            raise ValueError("baseline_cost_m is needed: the acute demand cost (£m a year)")
        return self


class TransformationFundRule(_Strict):
    """Ring-fenced transformation fund: new schemes and double running only."""

    enabled: bool = True
    source: str | None = Field(
        None, description="Funding source id of the fund. Blank = every source whose "
        "bcf_source is 'Transformation Fund'.")
    schemes: list[str] | None = Field(
        None, description="Services it may pay for. Blank = services marked 'New' "
        "(new_or_existing).")
    double_running: bool = Field(
        True, description="It may pay double running: acute capacity still paid for while "
        "the new services that replace it run (needs the acute offset).")
    carry_forward: bool = Field(
        False, description="Money unspent in a year may be spent in later years.")


class PersonalBudgetsRule(_Strict):
    """Personal budgets: a minimum share of eligible social-care spend."""

    enabled: bool = True
    services: list[str] | None = Field(
        None, description="Personal-budget lines. Blank = services whose scheme_type is "
        "'Personalised Budgeting and Commissioning'.")
    min_share: float = Field(
        0.0, ge=0.0, le=1.0,
        description="Personal budgets at least this share of eligible spend (0.3 = 30%).")
    eligible_sectors: list[str] = Field(
        default_factory=lambda: ["social_care"],
        description="Sectors whose spend is eligible to be taken as a personal budget.")


class Rules(_Strict):
    """Constraint families. Money, eligibility, bounds and workforce are on by default; the ICS
    rules from ``transition`` on are off until a policy model writes them."""

    money: MoneyRule = MoneyRule()
    eligibility: Switch = Switch()
    bounds: BoundsRule = BoundsRule()
    workforce: WorkforceRule = WorkforceRule()
    targets: TargetsRule = TargetsRule()
    transition: TransitionRule = TransitionRule(enabled=False)
    bed_capacity: BedCapacityRule = BedCapacityRule(enabled=False)
    mhis: MhisRule = MhisRule(enabled=False)
    bcf_conditions: BcfConditionsRule = BcfConditionsRule(enabled=False)
    sector_shares: SectorSharesRule = SectorSharesRule(enabled=False)
    fair_shares: FairSharesRule = FairSharesRule(enabled=False)
    core20: Core20Rule = Core20Rule(enabled=False)
    acute_offset: AcuteOffsetRule = AcuteOffsetRule(enabled=False)
    transformation_fund: TransformationFundRule = TransformationFundRule(enabled=False)
    personal_budgets: PersonalBudgetsRule = PersonalBudgetsRule(enabled=False)


class Relax(_Strict):
    """Loosen one named rule by a stated amount: how the infeasibility advice is applied."""

    rule: str = Field(description="The rule's plain-English name, exactly as the results give it.")
    by: float = Field(gt=0.0, description="How far to loosen its limit, in the rule's own unit "
                      "(£m, WTE, percentage points, the metric's unit).")


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
