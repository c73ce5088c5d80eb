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
- ``funding``: source_id, name, year, amount_m, bcf_source.
- ``eligibility``: source_id, service_id (empty frame when the table is absent).
- ``places``: place_id, name, population, weighted_population, core20_share, effect
  (empty when absent: the problem is ICS-wide).
- ``workforce``: group_id, year, wte_available, name.
- ``workforce_need``: group_id, service_id, wte_per_m.
- ``baseline``: service_id, place_id, year, amount_m (empty when absent).
- ``evidence``: service_id, metric_id, unit_cost_gbp, eligible, max_coverage, effect,
  effect_low, effect_high, source, certainty (None = not stated), and what they imply
  (:func:`budgetopt.data.evidence.with_derived_curves`): derived, people_max, ceiling,
  max_per_m, spend_to_reach_m. Empty when absent. The curves derived from it are already in
  ``curves`` (year blank).

``years`` are the funding years in planning order; ids are strings; years are strings.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

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
    source: str = ""  # where the data came from (path), for messages and provenance
    data_hash: str = ""  # sha256 of the canonical content: the same for CSV and workbook
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def has_places(self) -> bool:
        return len(self.places) > 0

    @property
    def service_ids(self) -> list[str]:
        return list(self.services["service_id"])

    @property
    def place_ids(self) -> list[str]:
        return list(self.places["place_id"])
