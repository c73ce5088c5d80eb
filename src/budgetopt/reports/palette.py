"""One palette and one set of sector names for every chart: the app's, the board paper's and
the workbook's (so a sector has the same colour and the same name wherever it is shown). The
names are :func:`budgetopt.data.schema.sector_label`'s, which the app's pick lists and the
analyses' sentences use too.

Colours are the Okabe-Ito palette, safe for the common colour-vision deficiencies. This module
is light (no plotly, no openpyxl): the workbook and the charts both import it.
"""

from __future__ import annotations

from budgetopt.data.schema import SECTOR_LABELS, sector_label

OKABE_ITO = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7",
             "#000000")
"""Okabe & Ito (2008), 'Color Universal Design': orange, sky blue, bluish green, yellow, blue,
vermillion, reddish purple, black."""

BASELINE_GREY = "#999999"
"""Today's spend (the baseline) beside the plan."""
PLANNED = OKABE_ITO[4]
"""The optimised plan (blue)."""
GOOD, BAD = OKABE_ITO[2], OKABE_ITO[5]
"""A met check (bluish green) and a missed one (vermillion)."""


def sector_colour(sector: str) -> str:
    """The sector's colour: its place in :data:`SECTOR_LABELS` in the Okabe-Ito palette."""
    order = list(SECTOR_LABELS)
    i = order.index(sector) if sector in order else len(order) + sum(map(ord, str(sector)))
    return OKABE_ITO[i % len(OKABE_ITO)]


def excel_rgb(colour: str) -> str:
    """``"#0072B2"`` as Excel writes it: ``"0072B2"``."""
    return colour.lstrip("#").upper()


__all__ = ["BAD", "BASELINE_GREY", "GOOD", "OKABE_ITO", "PLANNED", "excel_rgb",
           "sector_colour", "sector_label"]
