"""The Rules page's fields, made from each constraint family's parameter class.

Every family's parameters (its pydantic class in :mod:`budgetopt.families`) become labelled
fields in the user's units: money in £m (or £), shares in %, beds, years, WTE. A field's help is
its description in the family module; its label and unit come from :data:`FIELDS` (a field not
listed there gets its name in words and a unit read from its name). A list of sectors, services
or metrics is a pick list of the data's own; a list of sub-settings (targets, sector shares,
per-service limits) is a small table. A new family appears here with no change to the app.

The widgets only read and return values: :func:`rule_values` gives the new parameter mapping of
one family, which the page validates through the policy model as the YAML editor does.
"""

from __future__ import annotations

import dataclasses
import math
import re
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from budgetopt.data.schema import SECTORS
from budgetopt.ui.markdown import md_text

if TYPE_CHECKING:
    from streamlit.elements.lib.column_types import ColumnConfig

PERCENT, MONEY_M, POUNDS = "%", "£m", "£"

FIELDS: dict[str, tuple[str, str]] = {  # field name -> (label, unit)
    "scale": ("Multiply every amount by", "×"),
    "budget_m": ("Budget", "£m a year"),
    "baseline_cost_m": ("Acute demand cost today", "£m a year"),
    "lag_years": ("Years before savings release cash", "years"),
    "realisation": ("Share of the saving that is cash-releasing", PERCENT),
    "savings_gbp": ("Acute cost avoided per unit of each metric", POUNDS),
    "reinvest_share": ("Share of released money reinvested in the pool", PERCENT),
    "reinvest_in": ("Sectors the released money may pay for", ""),
    "source": ("Funding source", ""),
    "schemes": ("Services it may pay for", ""),
    "double_running": ("May pay for double running", ""),
    "carry_forward": ("Unspent money carries forward to later years", ""),
    "max_rise": ("Largest rise a year (share of baseline)", PERCENT),
    "max_fall": ("Largest fall a year (share of baseline)", PERCENT),
    "min_step_m": ("Every line may move by at least", "£m a year"),
    "sectors": ("Sectors", ""),
    "services": ("Services", ""),
    "beds_per_year": ("Acute beds that can close a year", "beds"),
    "cost_per_bed_gbp": ("Annual cost of one acute bed", POUNDS),
    "allocation_growth": ("Allocation growth to match", PERCENT),
    "include": ("Also count these services", ""),
    "exclude": ("Leave out these services", ""),
    "asc_min_m": ("NHS minimum contribution to adult social care", "£m a year"),
    "ooh_min_m": ("NHS minimum contribution to out-of-hospital services", "£m a year"),
    "asc_services": ("Services that count as adult social care", ""),
    "ooh_services": ("Services that count as NHS out-of-hospital", ""),
    "band": ("Largest difference from a place's fair share", PERCENT),
    "pace": ("Share of the remaining gap closed each year", PERCENT),
    "min_share": ("At least this share", PERCENT),
    "min_ratio": ("Spend per head in the most deprived areas at least", "× elsewhere"),
    "eligible_sectors": ("Sectors eligible for personal budgets", ""),
    "items": ("Targets", ""),
    "limits": ("Shares", ""),
    "amounts": ("Amounts by source and year", "£m"),
    "min_m": ("Minimum", "£m a year"),
    "max_m": ("Maximum", "£m a year"),
    "metric": ("Metric", ""),
    "year": ("Year (blank: every year)", ""),
    "years": ("Years (blank: every year)", ""),
    "label": ("Name in the results", ""),
    "min": ("At least", ""),
    "max": ("At most", ""),
    "of": ("Share of", ""),
    "wte": ("Staff", "WTE"),
    "spend_m": ("Spend", "£m"),
    "place_id": ("Place (blank: the service's total)", ""),
    "service_id": ("Service", ""),
    "scope": ("Where it holds", ""),
    "hwb": ("Health and Wellbeing Board (blank: the whole ICS)", ""),
    "asc_uplift": ("Yearly uplift of each HWB's adult social care minimum", PERCENT),
    "hwb_asc_min_m": ("Each HWB's adult social care minimum in the first plan year", "£m"),
    "hwb_ooh_min_m": ("Each HWB's out-of-hospital minimum in the first plan year", "£m"),
}
"""Labels and units of the parameters, by field name (shared by every family using it)."""

CHOICE_WORDS: dict[str, str] = {
    "hwb": "In each HWB's places (one BCF pool per HWB)",
    "ics": "Once across the whole ICS",
    "pool": "The pooled money",
    "system": "The system (pool and acute budget)",
}
"""How a choice of a parameter reads on the page (its value otherwise)."""


def choice_words(value) -> str:
    return CHOICE_WORDS.get(value, str(value)) if isinstance(value, str) else str(value)

OWN_FIELDS: dict[tuple[str, str], tuple[str, str]] = {  # (family or sub-setting, field)
    ("SectorShare", "min"): ("At least", PERCENT),
    ("SectorShare", "max"): ("At most", PERCENT),
    ("workforce", "scale"): ("Multiply every staff group's WTE available by", "×"),
    ("money", "scale"): ("Multiply every funding amount by", "×"),
    ("core20", "min_share"): ("Share of prevention spend in the most deprived areas", PERCENT),
    ("personal_budgets", "min_share"): ("Personal budgets' least share of eligible spend",
                                        PERCENT),
    ("acute_offset", "budget_m"): ("Acute budget (blank: the demand cost, held flat)",
                                   "£m a year"),
    ("bounds", "services"): ("Minimum and maximum of a service", ""),
    ("transition", "sectors"): ("Limits for every line of a sector", ""),
    ("transition", "services"): ("Limits for one service (over its sector's)", ""),
    ("fair_shares", "sectors"): ("Sectors shared fairly (blank: every sector)", ""),
    ("core20", "sectors"): ("Sectors that count as prevention", ""),
    ("core20", "services"): ("Further services that count as prevention", ""),
    ("personal_budgets", "services"): ("Personal-budget services (blank: by scheme type)",
                                       ""),
}
"""Labels and units where the field's name alone does not say (a sector share's min)."""

_SHARE_NAMES = ("_share", "_rate", "_growth")


def unit_of(name: str, owner: str = "") -> str:
    """The unit a field is shown in: £m, £, %, years, beds, WTE, × (or "" for none)."""
    if (owner, name) in OWN_FIELDS:
        return OWN_FIELDS[(owner, name)][1]
    if name in FIELDS:
        return FIELDS[name][1]
    if name.endswith("_m"):
        return MONEY_M
    if name.endswith("_gbp"):
        return POUNDS
    if name.endswith(_SHARE_NAMES):
        return PERCENT
    if name.endswith("_years"):
        return "years"
    return ""


def label_of(name: str, owner: str = "") -> str:
    """A field's label with its unit: "Acute demand cost today (£m a year)"."""
    if (owner, name) in OWN_FIELDS:
        text = OWN_FIELDS[(owner, name)][0]
    else:
        text = FIELDS[name][0] if name in FIELDS else name.replace("_", " ").capitalize()
    unit = unit_of(name, owner)
    return f"{text} ({unit})" if unit else text


def is_percent(name: str, owner: str = "") -> bool:
    return unit_of(name, owner) == PERCENT


@dataclass(frozen=True)
class Choices:
    """The data's own ids a field may pick from, each with its name for the list."""

    sectors: dict[str, str]
    services: dict[str, str]
    metrics: dict[str, str]
    sources: dict[str, str]
    years: dict[str, str]
    places: dict[str, str]
    hwbs: dict[str, str] = dataclasses.field(default_factory=dict)

    @classmethod
    def of(cls, inputs) -> Choices:
        if inputs is None:
            return cls({s: _words(s) for s in SECTORS}, {}, {}, {}, {}, {})
        sectors = list(dict.fromkeys([*SECTORS, *inputs.services["sector"]]))

        def named(frame, key):
            return dict(zip(frame[key].astype(str), frame["name"].astype(str)))

        places = named(inputs.places, "place_id") if inputs.has_places else {}
        return cls({s: _words(s) for s in sectors}, named(inputs.services, "service_id"),
                   named(inputs.metrics, "metric_id"),
                   named(inputs.funding.drop_duplicates("source_id"), "source_id"),
                   {y: y for y in inputs.years}, places, named(inputs.hwb_table(), "hwb_id"))

    def for_field(self, name: str) -> dict[str, str] | None:
        """The ids a field named `name` holds, or None (free text)."""
        if "sector" in name or name == "reinvest_in":
            return self.sectors
        if name in ("services", "schemes", "include", "exclude", "service_id") \
                or name.endswith("_services"):
            return self.services
        if name in ("metric", "savings_gbp", "metric_id"):
            return self.metrics
        if name == "source" or name == "amounts":
            return self.sources
        if name in ("year", "years"):
            return self.years
        if name == "place_id":
            return self.places
        if name == "hwb" or name.startswith("hwb_"):  # an HWB, or a figure per HWB
            return self.hwbs or None
        return None


def _words(sector: str) -> str:
    return sector.replace("_", " ").capitalize().replace("Vcse", "VCSE")


# -- reading a parameter's type ----------------------------------------------------------------

def _optional(annotation) -> tuple[Any, bool]:
    """The annotation without ``None``, and whether None was allowed."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        optional = len(args) < len(typing.get_args(annotation))
        if len(args) == 1:
            return args[0], optional
        return typing.Union[tuple(args)], optional  # noqa: UP007 - rebuilt from parts
    return annotation, False


def _plain(annotation):
    """``Annotated[X, ...]`` as X."""
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def kind_of(annotation) -> tuple[str, Any, bool]:
    """(kind, detail, optional) of a parameter: kinds bool, choice, int, float, year_value,
    text, ids, number_map, model_map, model_list, nested_map, or other (YAML only)."""
    inner, optional = _optional(annotation)
    inner = _plain(inner)
    origin = typing.get_origin(inner)
    if origin in (typing.Union, types.UnionType):
        args = [_plain(a) for a in typing.get_args(inner)]
        if float in args and any(typing.get_origin(a) is dict for a in args):
            return "year_value", None, optional
        return "other", None, optional
    if inner is bool:
        return "bool", None, optional
    if origin is typing.Literal:
        return "choice", typing.get_args(inner), optional
    if inner in (int, float):
        return inner.__name__, None, optional
    if inner is str:
        return "text", None, optional
    if origin is list:
        (item,) = typing.get_args(inner)
        item = _plain(item)
        if item is str:
            return "ids", None, optional
        if isinstance(item, type) and issubclass(item, BaseModel):
            return "model_list", item, optional
    if origin is dict:
        _, value = (_plain(a) for a in typing.get_args(inner))
        if value in (float, int):
            return "number_map", None, optional
        if isinstance(value, type) and issubclass(value, BaseModel):
            return "model_map", value, optional
        if typing.get_origin(value) is dict:
            return "nested_map", None, optional
    return "other", None, optional


# -- widgets -----------------------------------------------------------------------------------

def _shown(value, percent: bool):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return round(float(value) * 100, 6) if percent else value


def _stored(value, percent: bool, kind: str = "float"):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if kind == "int":
        return int(value)
    return round(float(value) / 100, 10) if percent else float(value)


def _number(label: str, value, *, key: str, help_: str | None, kind: str, percent: bool,
            optional: bool):
    shown = _shown(value, percent)
    step = 1.0 if percent else (1 if kind == "int" else 0.1)
    fmt = "%d" if kind == "int" else ("%.2f" if percent else "%.4g")
    new = st.number_input(label, value=shown if shown is not None or optional else 0,
                          key=key, help=help_, step=step, format=fmt,
                          placeholder="blank: as the help says" if optional else None)
    return _stored(new, percent, kind)


def _ids(label: str, value, options: dict[str, str] | None, *, key: str, help_: str | None,
         optional: bool):
    if options is None:  # free ids: a comma-separated list
        text = st.text_input(label, value=", ".join(value or []), key=key, help=help_,
                             placeholder="ids separated by commas")
        items = [t.strip() for t in text.split(",") if t.strip()]
    else:
        known = list(options) + [v for v in value or [] if v not in options]
        items = st.multiselect(label, known, default=list(value or []), key=key, help=help_,
                               format_func=lambda k: options.get(k, k),
                               placeholder="blank: as the help says" if optional else "none")
    return None if optional and not items else list(items)


def _year_value(label: str, value, years: list[str], *, key: str, help_: str | None,
                percent: bool, optional: bool):
    """One figure for every year, or (ticked) one per year."""
    per_year = st.checkbox(f"Year by year: {label}", key=f"{key}-each",
                           value=isinstance(value, dict))
    if not per_year:
        one = (next(iter(value.values()), None) if isinstance(value, dict) else value)
        return _number(label, one, key=f"{key}-all", help_=help_, kind="float",
                       percent=percent, optional=optional)
    base = value if isinstance(value, dict) else {y: value for y in years}
    out = {}
    cols = st.columns(max(1, len(years)))
    for col, year in zip(cols, years):
        with col:
            v = _number(md_text(year), base.get(year), key=f"{key}-{year}", help_=help_,
                        kind="float", percent=percent, optional=True)
        if v is not None:
            out[year] = v
    return out or None


def _named(options: dict[str, str]) -> Callable[[object], str]:
    """A pick list's words for an id: its name in `options`, else the id."""
    return lambda k: options.get(str(k), str(k))


def _table_columns(model: type[BaseModel], choices: Choices) -> dict[str, ColumnConfig]:
    config: dict[str, ColumnConfig] = {}
    for name, fld in model.model_fields.items():
        kind, detail, _ = kind_of(fld.annotation)
        label = label_of(name, model.__name__)
        options = choices.for_field(name)
        if kind == "ids" and options is not None:
            config[name] = st.column_config.MultiselectColumn(
                label, options=list(options), help=fld.description,
                format_func=_named(options))
        elif kind == "text" and options:
            config[name] = st.column_config.SelectboxColumn(
                label, options=list(options), help=fld.description)
        elif kind == "choice":
            config[name] = st.column_config.SelectboxColumn(
                label, options=list(detail), help=fld.description, format_func=choice_words)
        elif kind in ("float", "int"):
            config[name] = st.column_config.NumberColumn(
                label, help=fld.description, format="%.2f" if kind == "float" else "%d")
        else:
            config[name] = st.column_config.Column(label, help=fld.description)
    return config


def _model_rows(model: type[BaseModel], rows: list[dict], key_name: str | None) -> pd.DataFrame:
    names = ([key_name] if key_name else []) + list(model.model_fields)
    out = []
    for row in rows:
        out.append({n: (_shown(row.get(n), True) if is_percent(n, model.__name__)
                        and row.get(n) is not None else row.get(n)) for n in names})
    frame = pd.DataFrame(out, columns=names)
    for n in names:
        kind = kind_of(model.model_fields[n].annotation)[0] if n in model.model_fields else ""
        if kind in ("float", "int"):
            frame[n] = pd.to_numeric(frame[n], errors="coerce").astype(float)
        elif kind == "ids":
            frame[n] = pd.Series([list(v) if isinstance(v, list | tuple) else []
                                  for v in frame[n]], index=frame.index, dtype=object)
        else:
            frame[n] = frame[n].astype(object)
    return frame


def _clean(value):
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, str) and not value.strip():
        return None
    if hasattr(value, "tolist"):
        return value.tolist()
    return value


def _rows_back(frame: pd.DataFrame, model: type[BaseModel], key_name: str | None) -> list[dict]:
    rows = []
    for rec in frame.to_dict("records"):
        row = {}
        for name, fld in model.model_fields.items():
            value = _clean(rec.get(name))
            kind, _, optional = kind_of(fld.annotation)
            if kind == "ids":
                value = list(value) if value else None
                if value is None and not optional:
                    value = []
            elif kind in ("float", "int") and value is not None:
                value = _stored(value, is_percent(name, model.__name__), kind)
            if value is not None:
                row[name] = value
        if key_name:
            key = _clean(rec.get(key_name))
            if key is None and not row:
                continue
            row = {key_name: key, **row}
        elif not row:
            continue
        rows.append(row)
    return rows


def _model_table(label: str, value, model: type[BaseModel], choices: Choices, *, key: str,
                 help_: str | None, mapping: str | None):
    """A list (or a mapping keyed by `mapping`) of sub-settings as an editable table."""
    if mapping:
        rows = [{mapping: k, **(v or {})} for k, v in (value or {}).items()]
    else:
        rows = list(value or [])
    frame = _model_rows(model, rows, mapping)
    config = _table_columns(model, choices)
    if mapping:
        options = choices.for_field(mapping)
        config[mapping] = (st.column_config.SelectboxColumn(
            "Which", options=list(options), required=True,
            format_func=_named(options)) if options
            else st.column_config.TextColumn("Which", required=True))
    st.caption(f"{label}" + (f": {help_}" if help_ else ""))
    edited = st.data_editor(frame, num_rows="dynamic", hide_index=True, key=key,
                            column_config=config, width="stretch")
    back = _rows_back(edited, model, mapping)
    if mapping:
        return {r.pop(mapping): r for r in back if r.get(mapping) is not None}
    return back


def _number_map(label: str, value, options: dict[str, str] | None, *, key: str,
                help_: str | None, percent: bool):
    rows = [{"id": k, "value": _shown(v, percent)} for k, v in (value or {}).items()]
    frame = pd.DataFrame(rows, columns=["id", "value"]).astype({"id": object, "value": float})
    config = {"id": (st.column_config.SelectboxColumn("Which", options=list(options),
                                                      required=True)
                     if options else st.column_config.TextColumn("Which", required=True)),
              "value": st.column_config.NumberColumn(label, format="%.2f")}
    st.caption(label + (f": {help_}" if help_ else ""))
    edited = st.data_editor(frame, num_rows="dynamic", hide_index=True, key=key,
                            column_config=config, width="stretch")
    return {str(r["id"]): _stored(r["value"], percent) for r in edited.to_dict("records")
            if _clean(r["id"]) is not None and _clean(r["value"]) is not None}


def _nested_map(label: str, value, *, key: str, help_: str | None):
    """{source: {year: £m}} as rows of source, year, amount."""
    rows = [{"source": s, "year": y, "amount_m": a}
            for s, by_year in (value or {}).items() for y, a in by_year.items()]
    frame = pd.DataFrame(rows, columns=["source", "year", "amount_m"]).astype(
        {"source": object, "year": object, "amount_m": float})
    st.caption(label + (f": {help_}" if help_ else ""))
    edited = st.data_editor(frame, num_rows="dynamic", hide_index=True, key=key, width="stretch",
                            column_config={"source": "Funding source", "year": "Year",
                                           "amount_m": st.column_config.NumberColumn(
                                               "Amount (£m)", format="%.2f")})
    out: dict[str, dict[str, float]] = {}
    for r in edited.to_dict("records"):
        s, y, a = _clean(r["source"]), _clean(r["year"]), _clean(r["amount_m"])
        if s is not None and y is not None and a is not None:
            out.setdefault(str(s), {})[str(y)] = float(a)
    return out


def field_value(name: str, fld: FieldInfo, current, choices: Choices, key: str,
                owner: str = ""):
    """Draw one parameter's widget and return its value (in the policy's units), or the
    current value for a parameter the page cannot show (the YAML editor has it)."""
    kind, detail, optional = kind_of(fld.annotation)
    label, help_ = label_of(name, owner), fld.description
    percent = is_percent(name, owner)
    if kind == "bool":
        return st.checkbox(label, value=bool(current), help=help_, key=key)
    if kind == "choice":
        return st.selectbox(label, detail, index=detail.index(current), help=help_, key=key,
                            format_func=choice_words)
    if kind in ("float", "int"):
        return _number(label, current, key=key, help_=help_, kind=kind, percent=percent,
                       optional=optional)
    if kind == "year_value":
        return _year_value(label, current, list(choices.years), key=key, help_=help_,
                           percent=percent, optional=optional)
    if kind == "text":
        options = choices.for_field(name)
        if options:
            blank = "(blank: as the help says)"
            keys = [blank, *options, *([current] if current and current not in options else [])]
            pick = st.selectbox(label, keys, index=keys.index(current) if current else 0,
                                help=help_, key=key,
                                format_func=lambda k: k if k == blank
                                else f"{options.get(k, k)} ({k})")
            return None if pick == blank else pick
        text = st.text_input(label, value=current or "", help=help_, key=key)
        return text.strip() or (None if optional else "")
    if kind == "ids":
        return _ids(label, current, choices.for_field(name), key=key, help_=help_,
                    optional=optional)
    if kind == "number_map":
        return _number_map(label, current, choices.for_field(name), key=key, help_=help_,
                           percent=percent)
    if kind == "model_list":
        return _model_table(label, current, detail, choices, key=key, help_=help_, mapping=None)
    if kind == "model_map":
        return _model_table(label, current, detail, choices, key=key, help_=help_,
                            mapping=name.rstrip("s") + "_id")
    if kind == "nested_map":
        return _nested_map(label, current, key=key, help_=help_)
    st.caption(f"{label}: set it in the YAML below.")
    return current


def rule_values(rule: BaseModel, choices: Choices, key: str,
                skip: tuple[str, ...] = ("enabled",), owner: str = "") -> dict[str, Any]:
    """Every parameter of `rule` but `skip` as widgets, in up to three columns; returns the
    parameters as the page now shows them (the policy's own units: shares as fractions)."""
    current = rule.model_dump(mode="python")
    fields = {n: f for n, f in type(rule).model_fields.items() if n not in skip}
    small = [n for n, f in fields.items()
             if kind_of(f.annotation)[0] in ("bool", "choice", "float", "int", "text", "ids",
                                              "year_value")]
    tables = [n for n in fields if n not in small]
    out = dict(current)
    if small:
        cols = st.columns(min(len(small), 3))
        for i, name in enumerate(small):
            with cols[i % len(cols)]:
                out[name] = field_value(name, fields[name], current[name], choices,
                                        f"{key}-{name}", owner)
    for name in tables:
        out[name] = field_value(name, fields[name], current[name], choices, f"{key}-{name}",
                                owner)
    return out


def plain_problem(message: str, owner: str, fields) -> str:
    """A policy problem's message for the Rules page: the field names it quotes as the
    page's labels, without the key path and pydantic's prefix."""
    text = message.split(": ", 1)[1] if message.startswith("rules.") else message
    text = text.replace("Value error, ", "")
    for name in sorted(fields, key=len, reverse=True):
        if name in text and name != "enabled":
            plain = label_of(name, owner)
            text = re.sub(rf"\b{re.escape(name)}\b", f"'{plain}'", text)
    return text
