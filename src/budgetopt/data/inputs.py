"""Validated inputs: what every later stage may trust.

:func:`budgetopt.data.validate.validate` turns raw tables into an :class:`Inputs`. After that, no
code checks the data again: ids are unique, references resolve, numbers are finite, defaults
are filled, and every frame has exactly the columns listed below with the dtypes given.

Frames (one row per key, keys as columns):

- ``services``: service_id, name, sector, baseline_m, min_m, max_m (inf = no cap), and the
  BCF fields of :data:`budgetopt.data.schema.SERVICES` (description, scheme_type, sub_type,
  area_of_spend, commissioner, pct_nhs, provider, pooled, mhis, output_unit, unit_cost_gbp,
  new_or_existing) with their defaults filled.
- ``metrics``: metric_id, name, unit, weight, bcf_metric, better, baseline_level, level_unit,
  level_per_outcome.
- ``curves``: service_id, metric_id, year (None = every year), band, width_m, per_m,
  per_m_low, per_m_high (low/high filled with central where blank).
- ``funding``: source_id, name, year, amount_m, bcf_source, hwb_id (None = ICS-wide money).
- ``eligibility``: source_id, service_id (empty frame when the table is absent).
- ``places``: place_id, name, population, weighted_population, core20_share, effect, hwb_id
  (None = no HWB) (empty when absent: the problem is ICS-wide).
- ``workforce``: group_id, year, wte_available, name.
- ``workforce_need``: group_id, service_id, wte_per_m.
- ``baseline``: service_id, place_id, year, amount_m (empty when absent).
- ``demand``: hwb_id (None = ICS-wide), year, pathway, demand; ``capacity``: service_id,
  pathway, per_m (both empty when absent: intermediate-care capacity and demand).
- ``hwbs``: hwb_id, name (None = the id), two_tier, asc_min_m (NaN = none stated); empty when
  absent. Use :meth:`Inputs.hwb_table` for one row per HWB with the defaults filled.

Health and Wellbeing Boards (MODEL.md, "Health and Wellbeing Board pools"): ``hwb_ids`` lists
the HWBs named in ``places.hwb_id`` in the order of their first place; with none the data set
is one ICS-wide pool and ``has_hwbs`` is false.
- ``evidence``: service_id, metric_id, unit_cost_gbp, eligible, max_coverage, effect,
  effect_low, effect_high, source, certainty (None = not stated), and what they imply
  (:func:`budgetopt.data.evidence.with_derived_curves`): derived, people_max, ceiling,
  max_per_m, spend_to_reach_m. Empty when absent. The curves derived from it are already in
  ``curves`` (year blank).

``years`` are the funding years in planning order; ids are strings; years are strings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

import pandas as pd

HWB_COLUMNS = ("hwb_id", "name", "two_tier", "asc_min_m")


def _no_hwbs() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=float if c == "asc_min_m" else object)
                         for c in HWB_COLUMNS})


EVIDENCE_COLUMNS = ["service_id", "metric_id", "unit_cost_gbp", "eligible", "max_coverage",
                    "effect", "effect_low", "effect_high", "source", "certainty", "derived",
                    "people_max", "ceiling", "max_per_m", "spend_to_reach_m"]


@dataclass(frozen=True)
class Inputs:
    services: pd.DataFrame
    metrics: pd.DataFrame
    curves: pd.DataFrame
    funding: pd.DataFrame
    eligibility: pd.DataFrame
    places: pd.DataFrame
    workforce: pd.DataFrame
    workforce_need: pd.DataFrame
    baseline: pd.DataFrame
    years: tuple[str, ...]
    evidence: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=EVIDENCE_COLUMNS))
    demand: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        {"hwb_id": pd.Series(dtype=object), "year": pd.Series(dtype=object),
         "pathway": pd.Series(dtype=object), "demand": pd.Series(dtype=float)}))
    capacity: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        {"service_id": pd.Series(dtype=object), "pathway": pd.Series(dtype=object),
         "per_m": pd.Series(dtype=float)}))
    source: str = ""  # where the data came from (path), for messages and provenance
    data_hash: str = ""  # sha256 of the canonical content: the same for CSV and workbook
    warnings: tuple[str, ...] = field(default_factory=tuple)
    hwbs: pd.DataFrame = field(default_factory=_no_hwbs)

    @property
    def has_places(self) -> bool:
        return len(self.places) > 0

    @property
    def service_ids(self) -> list[str]:
        return self.services["service_id"].tolist()  # (pandas 3 str: iterating is slow)

    @property
    def place_ids(self) -> list[str]:
        return self.places["place_id"].tolist()

    @property
    def hwb_ids(self) -> list[str]:
        """The HWBs of the places, in the order of their first place (empty: no HWBs)."""
        if "hwb_id" not in self.places:
            return []
        return list(dict.fromkeys(h for h in self.places["hwb_id"].tolist() if isinstance(h, str)))

    @property
    def has_hwbs(self) -> bool:
        return bool(self.hwb_ids)

    def hwb_of_place(self) -> dict[str, str | None]:
        """place_id -> its HWB (None for a place without one)."""
        if "hwb_id" not in self.places:
            return dict.fromkeys(self.place_ids)
        return {p: (h if isinstance(h, str) else None)
                for p, h in zip(self.places["place_id"].tolist(), self.places["hwb_id"].tolist())}

    def places_of_hwb(self, hwb_id: str) -> list[str]:
        """The places of one HWB, in the places table's order."""
        return [p for p, h in self.hwb_of_place().items() if h == hwb_id]

    def hwb_of_funding(self) -> dict[tuple[str, str], str | None]:
        """(source_id, year) -> the HWB whose pool the money is in (None: ICS-wide)."""
        if "hwb_id" not in self.funding:
            return dict.fromkeys(zip(self.funding["source_id"].tolist(),
                                     self.funding["year"].tolist()))
        return {(s, y): (h if isinstance(h, str) else None)
                for s, y, h in zip(self.funding["source_id"].tolist(),
                                   self.funding["year"].tolist(),
                                   self.funding["hwb_id"].tolist())}

    def hwb_table(self) -> pd.DataFrame:
        """One row per HWB of :attr:`hwb_ids`: hwb_id, name, two_tier, asc_min_m, with the
        ``hwbs`` table's values where it has a row and the defaults (name = id, not two-tier,
        no ASC minimum stated: NaN) where not. Made once per data set (a solve asks for it
        several times); each caller gets its own copy."""
        return self._hwb_table.copy()

    @cached_property
    def _hwb_table(self) -> pd.DataFrame:
        given = {r["hwb_id"]: r for r in self.hwbs.to_dict("records")}
        rows = []
        for h in self.hwb_ids:
            r = given.get(h, {})
            name = r.get("name")
            asc = r.get("asc_min_m")
            rows.append({"hwb_id": h, "name": name if isinstance(name, str) and name else h,
                         "two_tier": bool(r.get("two_tier", False)),
                         "asc_min_m": float(asc) if asc is not None else math.nan})
        return pd.DataFrame(rows, columns=list(HWB_COLUMNS)).astype(
            {"hwb_id": object, "name": object, "two_tier": bool, "asc_min_m": float})
