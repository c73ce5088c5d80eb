"""The per-HWB BCF plan workbook's layout, in one place (``budgetopt solve --bcf-dir``).

Each Health and Wellbeing Board submits its own plan. The 2025-26 and 2026-27 templates sit
behind a login on the Better Care Exchange; what is public (councils' published plans, the BCF
policy framework 2025 to 2026) gives the tab names: Summary, Income, Expenditure, National
Conditions, with the metrics and a separate capacity-and-demand plan for intermediate care.
Column orders that are not public follow the last public template (2023-25), and every sheet
says so on its second row (:data:`FOLLOWS`).

When next year's template changes, change this module and nothing else: the order of
:data:`SHEETS` is the order of the tabs, each :class:`Sheet`'s ``columns`` the order of its
columns (the Expenditure columns are :data:`budgetopt.reports.excel.layout.EXPENDITURE`, shared
with the ICS workbook), :data:`FUNDING_CONDITION` the condition checked from the sheets,
:data:`ASSURANCE` the drop-down of an assurance answer. The national conditions themselves
(their titles and wording) come from the BCF rule set (``policy/bcf_rules/<id>.yaml``), so a
new year's conditions are a new rule-set file.
"""

from __future__ import annotations

from dataclasses import dataclass

from budgetopt.data.schema import BCF_FUNDING_SOURCES
from budgetopt.reports.excel.layout import NUMBER, POUNDS, year_headers

LAYOUT_YEAR = "2025-26 and 2026-27"
"""The template year the workbook follows (written on every sheet)."""

FOLLOWS = (f"Layout: BCF planning template {LAYOUT_YEAR} (tab names as published; column "
           "order of the last public template, 2023-25, where the newer one is not public).")


@dataclass(frozen=True)
class Column:
    header: str
    key: str  # the field of a row the sheet's writer fills in
    width: int
    number_format: str | None = None
    choices: tuple[str, ...] | None = None  # a drop-down list (data validation)
    per_year: bool = False  # one column per plan year: header "<header> <year>"
    input: bool = False  # a yellow cell the BCF lead fills in or may edit


@dataclass(frozen=True)
class Sheet:
    name: str
    title: str  # row 1; "{hwb}" is the board's name
    note: str  # row 2, after the layout year
    columns: tuple[Column, ...] = ()


ASSURANCE = ("Yes", "No")
"""The answers to an assurance statement (the template's drop-down)."""

SUMMARY = Sheet(
    "Summary", "{hwb}: Better Care Fund plan",
    "Income and expenditure of this Health and Wellbeing Board's pool by year (£); the "
    "figures are formulas over the Income and Expenditure sheets.",
    (Column("Year", "year", 12), Column("Income (£)", "income", 18, POUNDS),
     Column("Expenditure (£)", "expenditure", 18, POUNDS),
     Column("Unallocated (£)", "balance", 18, POUNDS)))

FACT_HEADERS = ("Fact", "Checked", "Source")
"""The Summary sheet's table of what the BCF rule set rests on (its ``facts``)."""

FACT_STATUS = {"verified": "Verified against the source",
               "unverified": "Unverified: an assumption to check"}

CAPITAL_TO_DISTRICTS = "Capital, passed to the district councils"
"""The Income sheet's "Capital or revenue" of a capital stream (the DFG) in a two-tier board
(``hwbs.two_tier``): the county pools it and passes it to its district councils."""

INCOME = Sheet(
    "Income", "{hwb}: income by funding stream and year (£)",
    "This board's own pool, then the ICS-wide money (a transformation fund, say) its "
    "schemes use in this plan.",
    (Column("Funding stream", "stream", 34, choices=BCF_FUNDING_SOURCES),
     Column("Name", "name", 40), Column("Pool", "pool", 22),
     Column("Capital or revenue", "capital", 12),
     Column("Income (£)", "amount_gbp", 16, POUNDS, per_year=True),
     Column("budgetopt source id", "source_id", 16)))

EXPENDITURE = Sheet(
    "Expenditure", "{hwb}: expenditure plan by scheme and source of funding (£)",
    "One row per scheme and source of funding, for this board's places only. Yellow cells "
    "can be edited; the drop-down lists are the template's; National Conditions and Summary "
    "recalculate from this sheet.")
"""Its columns are :data:`budgetopt.reports.excel.layout.EXPENDITURE`."""

CONDITIONS = Sheet(
    "National Conditions", "{hwb}: national conditions",
    "Each check is a formula over this board's Income and Expenditure sheets: edit the plan "
    "and the status follows (green: met, red: not met). Assurance statements are answered "
    "in the yellow cells.",
    (Column("Condition", "condition", 44), Column("Requirement", "requirement", 64),
     Column("Year", "year", 10), Column("Figure (£)", "figure", 18, POUNDS),
     Column("Test", "test", 10), Column("Limit (£)", "limit", 18, POUNDS),
     Column("Status", "status", 12), Column("How it is checked", "how", 56)))

METRICS = Sheet(
    "Metrics", "{hwb}: metrics (outcomes bought in this board's places)",
    "The national metrics first, then the local ones; the outcome of the plan's spend and of "
    "the baseline allocation in this board's places, each filled in band order; the board's "
    "goal from the policy model's targets; and the change in the reported level (a rate per "
    "100,000 or an average such as days of delay per discharge), taking the board's share of "
    "the ICS's people (and discharges) as its share of the places' population.",
    (Column("Metric", "metric", 50), Column("National metric", "national", 10),
     Column("Unit", "unit", 22), Column("Year", "year", 10),
     Column("Baseline allocation", "baseline", 16, NUMBER),
     Column("Planned", "planned", 16, NUMBER), Column("Change", "change", 16, NUMBER),
     Column("Goal test", "goal_test", 10), Column("Goal (this HWB)", "goal", 16, NUMBER),
     Column("Goal met", "goal_met", 10),
     Column("Change in the reported level", "level_change", 16, "#,##0.00"),
     Column("Level unit", "level_unit", 30)))

CAPACITY = Sheet(
    "Capacity and Demand", "{hwb}: intermediate care capacity and demand",
    "Planned spend and the capacity it buys on each intermediate-care scheme (expected "
    "outputs at the scheme's unit cost); demand from the data set where it has it, else "
    "the yellow cells are for the board's own estimate.",
    (Column("Scheme ID", "scheme_id", 12), Column("Scheme Name", "scheme_name", 36),
     Column("Scheme Type", "scheme_type", 34), Column("Units", "unit", 18),
     Column("Year", "year", 10), Column("Planned spend (£)", "spend_gbp", 18, POUNDS),
     Column("Capacity (expected outputs)", "capacity", 16, NUMBER),
     Column("Demand", "demand", 14, NUMBER, input=True),
     Column("Capacity less demand", "gap", 16, NUMBER)))

PATHWAYS = (Column("Pathway", "pathway", 12), Column("Year", "year", 10),
            Column("Capacity (people a year)", "capacity", 16, NUMBER),
            Column("Demand (people)", "demand", 16, NUMBER),
            Column("Share of demand met", "share", 14, "0%"),
            Column("Share the plan must meet", "required", 14, "0%"),
            Column("Status", "status", 12))
"""The Capacity and Demand sheet's second table: each pathway's capacity (the plan's spend
on each scheme times the people it serves per £1m, the data set's capacity table) against
the board's expected demand (its demand table), and the share the policy model's capacity
rule asks (blank without the rule) with a live Met / Not met status."""

INTERMEDIATE_CARE = ("Bed based intermediate Care Services", "Home-based intermediate care services",
                     "Urgent Community Response", ("High Impact Change Model for Managing "
                     "Transfer of Care"))
"""Scheme types whose schemes appear on the Capacity and Demand sheet."""

LOCAL = Sheet(
    "Local Rules", "{hwb}: the policy model's own rules in this board's places",
    "Not BCF national conditions: the rules of the policy model held in this board's places "
    "on their own (its share of personal budgets, the sector shares of its pool). Each figure "
    "is a formula over this board's Expenditure sheet: edit the plan and the status follows.",
    (Column("Rule", "rule", 64), Column("Year", "year", 10),
     Column("Figure (£)", "figure", 18, POUNDS), Column("Test", "test", 10),
     Column("Limit (£)", "limit", 18, POUNDS), Column("Status", "status", 12)))

SHEETS = (SUMMARY, INCOME, EXPENDITURE, CONDITIONS, METRICS, CAPACITY, LOCAL)
"""The tabs, in order."""


FUNDING_CONDITION = "NC3"
"""The national condition (an id of the BCF rule set's ``conditions``) whose checks are
computed from the sheets: complying with grant and funding conditions. Every other condition
of the rule set is an assurance statement the board answers Yes or No."""

DEFAULT_RULE_SET = "2026-27"
"""The BCF rule set (``policy/bcf_rules``) whose national conditions the plans show when the
policy model chose none and no shipped set covers the plan years."""


def headers(sheet: Sheet, years: list[str]) -> list[tuple[Column, str | None, str]]:
    """(column, year or None, header text) in sheet order."""
    return year_headers(sheet.columns, years)
