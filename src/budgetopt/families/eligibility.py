"""Eligibility (ring-fences): each funding source pays only for the services it may.

The rule has no rows of its own: it decides which money flows f[i,s,y] exist. A source with
rows in the ``eligibility`` table may pay only for the services listed there; any other source
may pay for every service. With the rule off, every source may pay for every service.
With a BCF rule set chosen (``bcf: {rules: ...}``, :mod:`budgetopt.families.bcf_rules`), a
source with no rows of its own whose ``bcf_source`` is a stream that pays only for some
services (the Local Authority Better Care Grant for social care, the DFG for DFG schemes) may
pay only for those.

=========  ==========================================================  ========
symbol     meaning                                                      unit
=========  ==========================================================  ========
E(i)       the services source i may pay for                            —
=========  ==========================================================  ========

The acute money the acute offset releases (:mod:`budgetopt.families.acute_offset`) is always
restricted: it pays for the sectors that offset names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from budgetopt.families import acute_offset
from budgetopt.families.bcf_rules import rule_set, stream_services
from budgetopt.families.common import Switch
from budgetopt.families.family import Family

if TYPE_CHECKING:
    from budgetopt.data.inputs import Inputs
    from budgetopt.policy import Policy


def flows(inputs: Inputs, policy: Policy, funding: pd.DataFrame,
          groups: list[str] | tuple[str, ...] = ("",)) -> pd.DataFrame:
    """The flows that exist: ``col, source_id, service_id, year, hwb_id``, one per eligible
    (source, service) of each funding row and each spending group it may pay for, services
    in the services table's order.

    `groups` are the HWBs whose places spend (and ``""`` for places without one, or for no
    HWBs at all). Money of an HWB's pool (``funding.hwb_id``) flows only to its own group;
    ICS-wide money (``hwb_id`` ``""``) to every group. With no HWBs that is one flow per
    (source, service, year), as without the HWB columns."""
    elig = inputs.eligibility
    restricted = set(elig["source_id"]) if policy.enabled("eligibility") else set()
    allowed = {(a, b) for a, b in zip(elig["source_id"], elig["service_id"])}
    if policy.enabled("eligibility") and policy.bcf.rules:
        allowed |= _stream_rule(inputs, policy, restricted)
        restricted |= {a for a, _ in allowed}
    allowed |= {(acute_offset.RELEASE_SOURCE, s)
                for s in acute_offset.release_services(inputs, policy)}
    restricted.add(acute_offset.RELEASE_SOURCE)
    services = inputs.service_ids
    by_source: dict[str, list[str]] = {}  # the services each restricted source may pay for
    for src, sid in allowed:
        may = by_source.setdefault(src, [])
        if sid:
            may.append(sid)
    order = {sid: i for i, sid in enumerate(services)}
    pools = funding["hwb_id"].tolist() if "hwb_id" in funding else [""] * len(funding)
    rows = [
        (src, sid, year, group)
        for src, year, pool in zip(funding["source_id"].tolist(), funding["year"].tolist(),
                                   pools)
        for group in ((pool,) if pool else groups)
        for sid in (sorted(by_source.get(src, []), key=order.__getitem__)
                    if src in restricted else services)
    ]
    frame = pd.DataFrame(rows, columns=["source_id", "service_id", "year", "hwb_id"])
    frame.insert(0, "col", np.arange(len(frame)))
    return frame


def _stream_rule(inputs: Inputs, policy: Policy, restricted: set[str]) -> set[tuple[str, str]]:
    """The BCF rule set's eligibility of its streams, for sources with no rows of their own:
    (source, service) pairs of each source whose stream pays only for some services."""
    rules = rule_set(policy.bcf.rules)
    fund = inputs.funding.drop_duplicates("source_id")
    pairs: set[tuple[str, str]] = set()
    for src, bcf in zip(fund["source_id"], fund["bcf_source"]):
        if src in restricted:
            continue
        services = stream_services(rules, inputs.services, bcf)
        if services is not None:
            pairs |= {(src, s) for s in services}
            pairs.add((src, ""))  # marks the source restricted even when no service fits
    return pairs


FAMILY = Family("eligibility", Switch, Switch())
