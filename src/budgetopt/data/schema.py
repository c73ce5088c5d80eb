"""The data-set tables: every column with its type, unit, allowed values and meaning.

This is the single description of the input contract (MODEL.md, "A data set"). The reader,
the validator, the blank template workbook and the README's table reference all come from it,
so they cannot drift apart. Contract columns are marked ``contract=True``: never rename or
drop them. Extra columns in a user's file are allowed and ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["id", "text", "number", "integer", "bool", "choice", "year"]

SECTORS: tuple[str, ...] = (
    "acute",
    "community",
    "mental_health",
    "primary_care",
    "social_care",
    "housing",
    "vcse",
    "public_health",
)

SECTOR_LABELS: dict[str, str] = {
    "acute": "Acute hospital",
    "community": "Community health",
    "mental_health": "Mental health",
    "primary_care": "Primary care",
    "social_care": "Adult social care",
    "housing": "Housing",
    "vcse": "Voluntary, community and social enterprise",
    "public_health": "Prevention and public health",
}

# BCF planning template drop-down lists (DOMAIN.md). Keep them here, in one place.
BCF_SCHEME_TYPES: tuple[str, ...] = (
    "Assistive Technologies and Equipment",
    "Care Act Implementation Related Duties",
    "Carers Services",
    "Community Based Schemes",
    "DFG Related Schemes",
    "Enablers for Integration",
    "High Impact Change Model for Managing Transfer of Care",
    "Home Care or Domiciliary Care",
    "Housing Related Schemes",
    "Integrated Care Planning and Navigation",
    "Bed based intermediate Care Services",
    "Home-based intermediate care services",
    "Urgent Community Response",
    "Personalised Budgeting and Commissioning",
    "Personalised Care at Home",
    "Prevention / Early Intervention",
    "Residential Placements",
    "Workforce recruitment and retention",
    "Other",
)
BCF_AREAS_OF_SPEND: tuple[str, ...] = (
    "Social Care",
    "Community Health",
    "Mental Health",
    "Continuing Care",
    "Primary Care",
    "Acute Care",
    "Other",
)
BCF_COMMISSIONERS: tuple[str, ...] = ("LA", "ICB", "Joint")
BCF_PROVIDERS: tuple[str, ...] = (
    "LA",
    "Local Authority",
    "NHS Community Provider",
    "NHS Acute Provider",
    "NHS Mental Health Provider",
    "NHS Primary Care",
    "Private Sector",
    "Charity/Voluntary Sector",
)
BCF_FUNDING_SOURCES: tuple[str, ...] = (
    "Minimum NHS Contribution",
    "Additional NHS Contribution",
    "iBCF",
    "Local Authority Better Care Grant",
    "DFG",
    "Local Authority Discharge Funding",
    "ICB Discharge Funding",
    "Additional LA Contribution",
    "Transformation Fund",
    "Other",
)
NEW_OR_EXISTING: tuple[str, ...] = ("New", "Existing")
CERTAINTY: tuple[str, ...] = ("high", "moderate", "low")
"""How sure the evidence behind a derived curve is (GRADE-like words)."""
WEIGHT_UNITS: dict[str, float] = {"£": 1.0, "£k": 1e3, "£m": 1e6}
"""metrics.weight_unit: £ per unit of weight."""


MAX_BAND = 1_000
"""Largest band number: a curve has a handful of bands; a band numbered in the millions is a
typing slip, refused at its cell (never counted up to)."""


@dataclass(frozen=True)
class Column:
    """One column of a data-set table."""

    name: str
    kind: Kind
    description: str
    required: bool = True  # the column must be present
    blank_ok: bool = False  # a cell may be empty (then `default` applies)
    default: object = None
    unit: str = ""
    minimum: float | None = None
    maximum: float | None = None
    above: float | None = None  # a strict lower bound: the value must be more than this
    choices: tuple[str, ...] = ()
    contract: bool = False  # fixed by MODEL.md's contract


@dataclass(frozen=True)
class Table:
    """One data-set table (a CSV file or a workbook sheet of the same name)."""

    name: str
    description: str
    columns: tuple[Column, ...]
    required: bool = True
    key: tuple[str, ...] = ()  # columns whose combination must be unique
    extra: dict[str, str] = field(default_factory=dict)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


def _money(name: str, description: str, *, required: bool = True, blank_ok: bool = False,
           default: object = None, contract: bool = False) -> Column:
    """A column of money: £m, never negative."""
    return Column(name, "number", description, required=required, blank_ok=blank_ok,
                  default=default, unit="£m", minimum=0.0, contract=contract)


SERVICES = Table(
    "services",
    "One row per service (BCF scheme or service line) that the budget can fund.",
    (
        Column("service_id", "id", "Short unique identifier, e.g. REABLE.", contract=True),
        Column("name", "text", "Service name as the board knows it.", contract=True),
        Column("sector", "choice", "Sector the service belongs to.", choices=SECTORS, contract=True),
        _money("baseline_m", "Current spend per year across the ICS.", contract=True),
        _money("min_m", "Minimum spend per year (contracts, statutory duties). Blank = 0.",
               required=False, blank_ok=True, default=0.0, contract=True),
        _money("max_m", "Maximum spend per year. Blank = no cap.", required=False,
               blank_ok=True, default=float("inf"), contract=True),
        Column("description", "text", "Brief description (BCF 'Brief Description').",
               required=False, blank_ok=True, default=""),
        Column("scheme_type", "choice", "BCF scheme type.", required=False, blank_ok=True,
               default="Other", choices=BCF_SCHEME_TYPES),
        Column("sub_type", "text", "BCF scheme sub-type.", required=False, blank_ok=True, default=""),
        Column("area_of_spend", "choice", "BCF area of spend.", required=False, blank_ok=True,
               default="Other", choices=BCF_AREAS_OF_SPEND),
        Column("commissioner", "choice", "Who commissions the service.", required=False,
               blank_ok=True, default="Joint", choices=BCF_COMMISSIONERS),
        Column("pct_nhs", "number", "Share commissioned by the NHS where joint (0-100).",
               required=False, blank_ok=True, default=None, unit="%", minimum=0, maximum=100),
        Column("provider", "choice", "Provider type.", required=False, blank_ok=True,
               default="Local Authority", choices=BCF_PROVIDERS),
        Column("pooled", "bool", "Sits in the pooled (section 75) budget: yes/no.", required=False,
               blank_ok=True, default=True),
        Column("mhis", "bool", "Counts towards the Mental Health Investment Standard: yes/no.",
               required=False, blank_ok=True, default=False),
        Column("output_unit", "text", "Unit of the expected output, e.g. 'hours of care'.",
               required=False, blank_ok=True, default=""),
        Column("unit_cost_gbp", "number", "Cost of one output unit in £.", required=False,
               blank_ok=True, default=None, unit="£", minimum=0.0),
        Column("new_or_existing", "choice", "New or existing scheme.", required=False,
               blank_ok=True, default="Existing", choices=NEW_OR_EXISTING),
    ),
    key=("service_id",),
)

METRICS = Table(
    "metrics",
    "One row per outcome metric. Outcomes are improvements (e.g. admissions avoided).",
    (
        Column("metric_id", "id", "Short unique identifier.", contract=True),
        Column("name", "text", "Metric name.", contract=True),
        Column("unit", "text", "Unit of one outcome, e.g. 'admissions avoided'.", contract=True),
        Column("weight", "number", "Value of one unit in the objective. Blank = 1.",
               required=False, blank_ok=True, default=1.0, minimum=0.0, contract=True),
        Column("bcf_metric", "bool", "One of the BCF national metrics: yes/no.", required=False,
               blank_ok=True, default=False),
        Column("better", "choice", "Whether the reported level is better when higher or lower.",
               required=False, blank_ok=True, default="higher", choices=("higher", "lower")),
        Column("baseline_level", "number", "Current level of the metric (for reporting).",
               required=False, blank_ok=True, default=None),
        Column("level_unit", "text", "Unit of the level, e.g. 'per 100,000 people aged 65+'.",
               required=False, blank_ok=True, default=""),
        Column("level_per_outcome", "number",
               "Change in the reported level per unit of outcome (signed), for reporting.",
               required=False, blank_ok=True, default=None),
        Column("saving_gbp", "number",
               "Acute hospital cost avoided per unit of outcome, in £ (e.g. £2,800 an emergency "
               "admission avoided): what the acute demand offset can release. Blank = 0.",
               required=False, blank_ok=True, default=0.0, unit="£", minimum=0.0),
        Column("weight_unit", "choice",
               "What one unit of weight is worth in money, when the weights are money: £, £k "
               "(thousand) or £m (million); blank = not money (e.g. QALYs). Lets analyses "
               "also speak in £.", required=False, blank_ok=True, default=None,
               choices=tuple(WEIGHT_UNITS)),
    ),
    key=("metric_id",),
)

CURVES = Table(
    "curves",
    "Response curves: outcome bought per £1m in successive spend bands, per service and metric.",
    (
        Column("service_id", "id", "Service (see services).", contract=True),
        Column("metric_id", "id", "Metric (see metrics).", contract=True),
        Column("band", "integer", "Band number 1, 2, ... in order of spend.", minimum=1,
               maximum=MAX_BAND, contract=True),
        _money("width_m", "£m per year the band can absorb (ICS-wide).", contract=True),
        Column("per_m", "number", "Outcome per £1m in this band (central estimate).",
               contract=True),
        Column("per_m_low", "number", "Low estimate of outcome per £1m. Blank = central.",
               required=False, blank_ok=True, default=None, contract=True),
        Column("per_m_high", "number", "High estimate of outcome per £1m. Blank = central.",
               required=False, blank_ok=True, default=None, contract=True),
        Column("year", "year", "Year these bands apply to. Blank or absent = every year.",
               required=False, blank_ok=True, default=None),
    ),
    key=("service_id", "metric_id", "year", "band"),
)

FUNDING = Table(
    "funding",
    "Money available: one row per funding source and year.",
    (
        Column("source_id", "id", "Funding source identifier.", contract=True),
        Column("name", "text", "Funding source name.", contract=True),
        Column("year", "year", "Financial year label, e.g. 2026/27.", contract=True),
        _money("amount_m", "£m available in the year.", contract=True),
        Column("bcf_source", "choice", "BCF 'Source of Funding' this maps to.", required=False,
               blank_ok=True, default="Other", choices=BCF_FUNDING_SOURCES),
        Column("hwb_id", "id", "Health and Wellbeing Board whose BCF pool this source-year "
               "belongs to: it pays only for spend in that HWB's places. Blank = ICS-wide "
               "money (a transformation fund, say) that may pay for any place.",
               required=False, blank_ok=True, default=None, contract=True),
    ),
    key=("source_id", "year"),
)

ELIGIBILITY = Table(
    "eligibility",
    "Which services a funding source may pay for. A source with no rows may pay for anything.",
    (
        Column("source_id", "id", "Funding source (see funding).", contract=True),
        Column("service_id", "id", "Service it may pay for (see services).", contract=True),
    ),
    required=False,
    key=("source_id", "service_id"),
)

PLACES = Table(
    "places",
    "Places (local authority or locality footprints) within the ICS.",
    (
        Column("place_id", "id", "Place identifier.", contract=True),
        Column("name", "text", "Place name.", contract=True),
        Column("population", "number", "Registered population.", unit="people", minimum=0.0,
               contract=True),
        Column("weighted_population", "number", "Need-weighted population (fair-shares weight).",
               unit="people", above=0.0, contract=True),
        Column("core20_share", "number",
               "Share of population in the most deprived national quintile (0-1).",
               minimum=0.0, maximum=1.0, contract=True),
        Column("effect", "number", "Effect multiplier: outcome per £ here relative to average. "
               "Blank = 1.", required=False, blank_ok=True, default=1.0, minimum=0.0,
               contract=True),
        Column("hwb_id", "id", "Health and Wellbeing Board (HWB) the place belongs to. Blank "
               "= none: only ICS-wide money pays for its spend.", required=False,
               blank_ok=True, default=None, contract=True),
    ),
    required=False,
    key=("place_id",),
)

WORKFORCE = Table(
    "workforce",
    "Whole-time equivalent staff available per workforce group and year.",
    (
        Column("group_id", "id", "Workforce group identifier.", contract=True),
        Column("year", "year", "Year (see funding).", contract=True),
        Column("wte_available", "number", "WTE available.", unit="WTE", minimum=0.0,
               contract=True),
        Column("name", "text", "Workforce group name.", required=False, blank_ok=True,
               default=""),
    ),
    required=False,
    key=("group_id", "year"),
)

WORKFORCE_NEED = Table(
    "workforce_need",
    "WTE of each workforce group needed per £1m of spend on a service.",
    (
        Column("group_id", "id", "Workforce group (see workforce).", contract=True),
        Column("service_id", "id", "Service (see services).", contract=True),
        Column("wte_per_m", "number", "WTE needed per £1m of spend.", unit="WTE per £m",
               minimum=0.0, contract=True),
    ),
    required=False,
    key=("group_id", "service_id"),
)

BASELINE = Table(
    "baseline",
    "Optional baseline spend by place and year (otherwise services.baseline_m is shared among "
    "places by weighted population).",
    (
        Column("service_id", "id", "Service (see services).", contract=True),
        Column("place_id", "id", "Place (see places).", contract=True),
        Column("year", "year", "Year (see funding).", contract=True),
        _money("amount_m", "Baseline spend.", contract=True),
    ),
    required=False,
    key=("service_id", "place_id", "year"),
)

HWBS = Table(
    "hwbs",
    "Optional facts about each Health and Wellbeing Board named in places.hwb_id (an HWB "
    "not listed here takes the defaults).",
    (
        Column("hwb_id", "id", "HWB identifier (see places.hwb_id)."),
        Column("name", "text", "HWB name, e.g. the council's. Blank = the hwb_id.",
               required=False, blank_ok=True, default=None),
        Column("two_tier", "bool", "A county with district councils: its Disabled Facilities "
               "Grant is passed to the districts (yes/no).", required=False, blank_ok=True,
               default=False),
        _money("asc_min_m", "NHS minimum contribution to adult social care required in the "
               "first plan year; later years rise by the BCF rule set's uplift. Blank = none "
               "stated.", required=False, blank_ok=True, default=None),
    ),
    required=False,
    key=("hwb_id",),
)

EVIDENCE = Table(
    "evidence",
    "Evidence a response curve is derived from, per service and metric: what it costs to "
    "serve one person, how many could benefit, how many can be reached and the effect on "
    "each. A service with evidence and no curves rows for that metric gets a curve derived "
    "from it (docs/evidence.md).",
    (
        Column("service_id", "id", "Service (see services).", contract=True),
        Column("metric_id", "id", "Metric (see metrics).", contract=True),
        Column("unit_cost_gbp", "number", "Cost of serving one person, in £.", unit="£",
               above=0.0, contract=True),
        Column("eligible", "number", "People who could benefit, a year, ICS-wide.",
               unit="people", minimum=0.0, contract=True),
        Column("max_coverage", "number",
               "Share of the eligible people the service can realistically reach (0-1).",
               minimum=0.0, maximum=1.0, contract=True),
        Column("effect", "number", "Outcome units per person served (central estimate).",
               unit="outcome per person", minimum=0.0, contract=True),
        Column("effect_low", "number", "Low estimate of the effect. Blank = central.",
               required=False, blank_ok=True, default=None, unit="outcome per person",
               minimum=0.0, contract=True),
        Column("effect_high", "number", "High estimate of the effect. Blank = central.",
               required=False, blank_ok=True, default=None, unit="outcome per person",
               minimum=0.0, contract=True),
        Column("source", "text", "Where the figures come from (e.g. PSSRU Unit Costs; a NICE "
               "evidence review).", required=False, blank_ok=True, default="", contract=True),
        Column("certainty", "choice", "How sure the evidence is: high, moderate or low. "
               "Blank = not stated.", required=False, blank_ok=True, default=None,
               choices=CERTAINTY, contract=True),
    ),
    required=False,
    key=("service_id", "metric_id"),
)

DEMAND = Table(
    "demand",
    "Optional expected demand for intermediate care, by Health and Wellbeing Board, year and "
    "pathway (e.g. discharge pathways P1-P3 and step-up): the capacity-and-demand plan.",
    (
        Column("hwb_id", "id", "HWB (see places.hwb_id). Blank = the whole ICS.",
               required=False, blank_ok=True, default=None),
        Column("year", "year", "Year (see funding)."),
        Column("pathway", "id", "Pathway, e.g. P1 (home with support), P2 (bed-based "
               "rehabilitation), P3 (long-term care bed), STEPUP (community step-up)."),
        Column("demand", "number", "People (or episodes) expected to need the pathway in the "
               "year.", unit="people", minimum=0.0),
    ),
    required=False,
    key=("hwb_id", "year", "pathway"),
)

CAPACITY = Table(
    "capacity",
    "Optional intermediate-care capacity each scheme provides per £1m, by pathway.",
    (
        Column("service_id", "id", "Service (see services)."),
        Column("pathway", "id", "Pathway (see demand)."),
        Column("per_m", "number", "People (or episodes) a year the scheme serves per £1m of "
               "spend.", unit="people per £m", minimum=0.0),
    ),
    required=False,
    key=("service_id", "pathway"),
)

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        SERVICES, METRICS, CURVES, FUNDING, ELIGIBILITY, PLACES, WORKFORCE, WORKFORCE_NEED,
        BASELINE, HWBS, EVIDENCE, DEMAND, CAPACITY,
    )
}

TRUE_WORDS = frozenset({"yes", "y", "true", "1", "t"})
FALSE_WORDS = frozenset({"no", "n", "false", "0", "f"})


def markdown_reference() -> str:
    """The data-set tables as Markdown (embedded in the README; a test keeps them in step)."""
    lines = []
    for table in TABLES.values():
        need = "required" if table.required else "optional"
        lines += [f"**{table.name}** ({need}): {table.description}", "",
                  "| column | required | unit | meaning |", "| --- | --- | --- | --- |"]
        for c in table.columns:
            req = "yes" if c.required and not c.blank_ok else "no"
            allowed = f" One of: {', '.join(c.choices)}." if c.choices and len(c.choices) <= 8 \
                else (" One of the BCF template's list." if c.choices else "")
            lines.append(f"| `{c.name}` | {req} | {c.unit} | {c.description}{allowed} |")
        lines.append("")
    return "\n".join(lines)
