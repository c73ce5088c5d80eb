"""The BCF planning template's Expenditure layout, in one place.

The template's exact column order changes from year to year (DOMAIN.md): when it does, change
:data:`EXPENDITURE` (the order of the list is the order of the columns) and nothing else. Each
column says where its value comes from, how wide it is, its number format and, for the
template's drop-down lists, the allowed values (written as data validation so a BCF lead can
edit the sheet as they would the template). The drop-down values themselves live in
:mod:`budgetopt.data.schema` with the data-set contract, so the input and the export agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from budgetopt.data.schema import (
    BCF_AREAS_OF_SPEND,
    BCF_COMMISSIONERS,
    BCF_FUNDING_SOURCES,
    BCF_PROVIDERS,
    BCF_SCHEME_TYPES,
    NEW_OR_EXISTING,
)
from budgetopt.reports import palette
from budgetopt.reports.palette import excel_rgb

POUNDS = '"£"#,##0'
POUNDS_M = '"£"#,##0.00"m"'
NUMBER = "#,##0"
PERCENT = "0%"
GOOD, BAD = excel_rgb(palette.GOOD), excel_rgb(palette.BAD)  # checklist green / red
BASELINE, PLANNED = excel_rgb(palette.BASELINE_GREY), excel_rgb(palette.PLANNED)
"""The app's colours for today's spend and the plan (:mod:`budgetopt.reports.palette`)."""
SERIES = tuple(excel_rgb(c) for c in (palette.PLANNED, palette.BAD, palette.GOOD,
                                      *palette.OKABE_ITO))
"""A chart's series colours in order: the app's (the plan's blue first, then vermillion)."""
INPUT_FILL = "FFF2CC"  # the template's yellow input cells


@dataclass(frozen=True)
class ExpenditureColumn:
    header: str
    key: str  # field of an expenditure row (see budgetopt.reports.excel.workbook._expenditure_rows)
    width: int
    number_format: str | None = None
    choices: tuple[str, ...] | None = None  # a drop-down list
    per_year: bool = False  # one column per plan year: header "<header> <year>"


EXPENDITURE: list[ExpenditureColumn] = [
    ExpenditureColumn("Scheme ID", "scheme_id", 12),
    ExpenditureColumn("Scheme Name", "scheme_name", 36),
    ExpenditureColumn("Brief Description of Scheme", "description", 44),
    ExpenditureColumn("Scheme Type", "scheme_type", 34, choices=BCF_SCHEME_TYPES),
    ExpenditureColumn("Sub Types", "sub_type", 24),
    ExpenditureColumn("Expected outputs", "outputs", 14, NUMBER, per_year=True),
    ExpenditureColumn("Units", "output_unit", 18),
    ExpenditureColumn("Area of Spend", "area_of_spend", 18, choices=BCF_AREAS_OF_SPEND),
    ExpenditureColumn("Commissioner", "commissioner", 14, choices=BCF_COMMISSIONERS),
    ExpenditureColumn("% NHS (if Joint Commissioner)", "pct_nhs", 14, "0"),
    ExpenditureColumn("% LA (if Joint Commissioner)", "pct_la", 14, "0"),
    ExpenditureColumn("Provider", "provider", 26, choices=BCF_PROVIDERS),
    ExpenditureColumn("Source of Funding", "source", 30, choices=BCF_FUNDING_SOURCES),
    ExpenditureColumn("Expenditure (£)", "spend_gbp", 16, POUNDS, per_year=True),
    ExpenditureColumn("New/ Existing Scheme", "new_or_existing", 12, choices=NEW_OR_EXISTING),
    ExpenditureColumn("budgetopt source id", "source_id", 14),
    ExpenditureColumn("budgetopt HWB id", "hwb_id", 14),
]
"""Column order of the Expenditure sheet. The last two columns (the data set's own funding
source id, and the Health and Wellbeing Board whose places the line is spent in, blank without
HWBs) are not in the template; they let the sheet be read back as next year's baseline and
the rules held in each HWB's places (a share of that HWB's pool, its personal budgets) be
checked by formulas over the sheet."""

HEADER_ROW = 3  # rows 1-2: the sheet's title and a line on how to edit it
FIRST_ROW = HEADER_ROW + 1


class PerYear(Protocol):
    """A sheet's column: a header, and whether it is one column per plan year."""

    @property
    def header(self) -> str: ...
    @property
    def per_year(self) -> bool: ...


C = TypeVar("C", bound=PerYear)


def year_headers(columns: Iterable[C], years: Sequence[str]) -> list[tuple[C, str | None, str]]:
    """(column, year or None, header text) in sheet order: a per-year column is one column a
    plan year, headed "<header> <year>"."""
    out: list[tuple[C, str | None, str]] = []
    for col in columns:
        if col.per_year:
            out += [(col, y, f"{col.header} {y}") for y in years]
        else:
            out.append((col, None, col.header))
    return out


def expenditure_headers(years: list[str]) -> list[tuple[ExpenditureColumn, str | None, str]]:
    """(column, year or None, header text) of the expenditure sheet, in sheet order."""
    return year_headers(EXPENDITURE, years)
