"""Tables as a finance lead reads them: plain headers, £m and % formats, sector names, rounding.

Every table the app shows goes through :func:`show_table`. A column's header and format come
from :data:`COLUMNS` by its name (a name not listed keeps its words, with £m for a ``_m``
column); values are rounded for the eye (no "-0.00", no "None"); sector ids become names.
A table with sentences is drawn so that they wrap (they are never cut off at 1366 wide), its
text escaped (``st.table`` reads cells as markdown).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd
import streamlit as st

from budgetopt.data.schema import SECTOR_LABELS
from budgetopt.ui.markdown import md_text

# kinds: money (£m), change (£m, signed), share (0-1 shown as %), pct (already in %),
# count (whole number), value (objective units, no decimals), number (2 decimals), text
COLUMNS: dict[str, tuple[str, str]] = {
    "name": ("Service", "text"),
    "service_id": ("Service id", "text"),
    "place_id": ("Place", "text"),
    "place": ("Place", "text"),
    "sector": ("Sector", "text"),
    "year": ("Year", "text"),
    "baseline_m": ("Today (£m)", "money"),
    "spend_m": ("Plan (£m)", "money"),
    "change_m": ("Change (£m)", "change"),
    "difference_m": ("Difference (£m)", "change"),
    "difference": ("Difference (£m)", "change"),
    "budget_m": ("Budget (£m)", "money"),
    "min_m": ("Least (£m)", "money"),
    "max_m": ("Most (£m)", "money"),
    "spend_a": ("Spend A (£m)", "money"),
    "spend_b": ("Spend B (£m)", "money"),
    "unit": ("Unit", "text"),
    "baseline_value": ("Today", "number"),
    "value": ("Plan", "number"),
    "change": ("Change", "number"),
    "weighted_value": ("Weighted (objective units)", "value"),
    "objective": ("Objective", "value"),
    "objective_with": ("Objective with the rule", "value"),
    "objective_without": ("Objective without the rule", "value"),
    "price": ("What it costs (objective units)", "value"),
    "meaning": ("What it means", "text"),
    "family": ("Rule", "text"),
    "limit": ("Limit", "number"),
    "shadow_price": ("Shadow price (per unit of the limit)", "number"),
    "needs_per_m": ("Needs more outcome per £1m", "number"),
    "relative": ("As a share of what it buys now", "share"),
    "status": ("Status", "text"),
    "point": ("Point", "count"),
    "trade_off": ("Trade-off (first aim per unit of the second)", "number"),
    "p_beyond_minimum": ("Chance it gets more than its minimum", "share"),
    "p_grows": ("Chance it grows", "share"),
    "mean": ("Average", "value"),
    "p5": ("Worst 5%", "value"),
    "p95": ("Best 5%", "value"),
    "cvar_5": ("Average of the worst 5%", "value"),
    "cvar_10": ("Average of the worst 10%", "value"),
    "std": ("Spread (standard deviation)", "value"),
    "limit_a": ("Limit in A", "number"),
    "limit_b": ("Limit in B", "number"),
    "binding_a": ("Binds in A", "text"),
    "binding_b": ("Binds in B", "text"),
    "shadow_a": ("Shadow price in A", "number"),
    "shadow_b": ("Shadow price in B", "number"),
    "enters_at_m": ("Gets more than its minimum from a budget of (£m)", "money"),
    "leaves_after_m": ("Back to its minimum above a budget of (£m)", "money"),
    "minimum_m": ("Its minimum (£m)", "money"),
    "title": ("Rule", "text"),
    "status_without": ("Without it", "text"),
    "rule": ("Rule", "text"),
    "advice": ("Advice", "text"),
    "allocation": ("Plan", "text"),
    "sd": ("Spread (standard deviation)", "value"),
    "p50": ("Median", "value"),
    "worst": ("Worst sample", "value"),
    "mean_spend_m": ("Average spend (£m)", "money"),
    "p5_spend_m": ("Spend, low 5% (£m)", "money"),
    "p95_spend_m": ("Spend, high 5% (£m)", "money"),
    "central_spend_m": ("Central-estimate plan (£m)", "money"),
    "robust_spend_m": ("Robust plan (£m)", "money"),
    "marginal": ("Marginal return per £1m", "value"),
    "scenario": ("Scenario", "text"),
    "answer": ("Answer", "text"),
    "saved by": ("Saved by", "text"),
    "saved (UTC)": ("Saved (UTC)", "text"),
    "note": ("Note", "text"),
    "kind": ("Free choice or forced", "text"),
    "free_m": ("Room to move (£m)", "money"),
}
"""Header and kind of every column name the app's tables have."""

_FORMAT = {"money": "£%.1fm", "change": "%+.1f", "share": "%.1f%%", "pct": "%.1f%%",
           "count": "%d", "value": "%.0f", "number": "%.2f"}
_DECIMALS = {"money": 1, "change": 1, "share": 1, "pct": 1, "count": 0, "value": 0,
             "number": 2}
LONG_TEXT = 60
"""A text column whose values run longer than this is a sentence: the table wraps."""


def kind_of(column: str) -> tuple[str, str]:
    """(header, kind) of a column by its name."""
    if column in COLUMNS:
        return COLUMNS[column]
    if column.startswith("spend_") and column[6:] in SECTOR_LABELS:
        return f"{SECTOR_LABELS[column[6:]]} (£m)", "money"
    words = column.replace("_", " ")
    if column.endswith("_m"):
        return f"{words[:-2].strip().capitalize()} (£m)", "money"
    return words[:1].upper() + words[1:], "text"


def readable(frame: pd.DataFrame, columns: Sequence[str] | None = None,
             headers: Mapping[str, str] | None = None,
             kinds: Mapping[str, str] | None = None) -> pd.DataFrame:
    """`frame`'s `columns` rounded, blanks blank and sectors named, under readable headers."""
    cols = [c for c in (columns or frame.columns) if c in frame.columns]
    out = pd.DataFrame(index=frame.index)
    for col in cols:
        header, kind = kind_of(col)
        kind = (kinds or {}).get(col, kind)
        header = (headers or {}).get(col, header)
        values = frame[col]
        if kind == "text":
            if col == "sector":
                values = values.map(lambda s: SECTOR_LABELS.get(s, s))
            values = values.map(lambda v: "" if v is None or (isinstance(v, float)
                                                               and np.isnan(v)) else
                                ("yes" if v is True else "no" if v is False else str(v)))
        else:
            values = pd.to_numeric(values, errors="coerce")
            if kind == "share":
                values = values * 100
            values = values.round(_DECIMALS[kind]) + 0.0  # + 0.0: no "-0.0"
        out[header] = values
    return out.reset_index(drop=True)


def show_table(frame: pd.DataFrame, columns: Sequence[str] | None = None, *,
               headers: Mapping[str, str] | None = None, kinds: Mapping[str, str] | None = None,
               key: str | None = None, height: int | Literal["auto"] = "auto") -> None:
    """Show `frame` as a readable table (see the module's docstring)."""
    cols = [c for c in (columns or frame.columns) if c in frame.columns]
    shown = readable(frame, cols, headers, kinds)
    texts = [(headers or {}).get(c, kind_of(c)[0]) for c in cols
             if (kinds or {}).get(c, kind_of(c)[1]) == "text"]
    long = len(shown) > 0 and any(shown[h].map(len).max() > LONG_TEXT for h in texts)
    if long:  # sentences wrap in a static table; numbers are formatted as text
        text = shown.copy()
        for col in cols:
            header, kind = kind_of(col)
            header = (headers or {}).get(col, header)
            kind = (kinds or {}).get(col, kind)
            text[header] = ([md_text(v) for v in shown[header]] if kind == "text"
                            else [_fmt(v, kind) for v in shown[header]])
        text.columns = [md_text(c) for c in text.columns]  # st.table renders cells as markdown
        st.table(text.set_index(text.columns[0]) if len(text.columns) > 1 else text)
        return
    config = {}
    for col in cols:
        header, kind = kind_of(col)
        header = (headers or {}).get(col, header)
        kind = (kinds or {}).get(col, kind)
        if kind != "text":
            config[header] = st.column_config.NumberColumn(header, format=_fmt_spec(kind))
    st.dataframe(shown, hide_index=True, width="stretch", column_config=config, key=key,
                 height=height)


def _fmt_spec(kind: str) -> str:
    if kind in ("value", "count"):
        return "localized"
    return _FORMAT[kind]


def _fmt(value: float | None, kind: str) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if kind == "money":
        return f"£{value:,.1f}m"
    if kind == "change":
        return f"{value:+,.1f}"
    if kind in ("share", "pct"):
        return f"{value:.1f}%"
    if kind in ("value", "count"):
        return f"{value:,.0f}"
    return f"{value:,.2f}"
