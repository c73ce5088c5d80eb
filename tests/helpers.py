"""Helpers that test modules in more than one folder share, so that a test module need not
import another: a file tree's digest, a valid places table, random model instances, and the
workbook checks that need LibreOffice.

The families' own helpers are in ``tests/families/cases.py``, the app's in ``tests/apptest.py``;
inputs come from ``tests/builders.py`` (from lists) or ``tests/datasets.py`` (as files).
"""

from __future__ import annotations

import hashlib
import math
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import strategies as st

from budgetopt.reports.excel.layout import HEADER_ROW
from tests.builders import make_inputs

Y = "2026/27"


# --- files -------------------------------------------------------------------------------

def tree_digest(path: Path) -> dict[str, str]:
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


# --- data --------------------------------------------------------------------------------

PLACES = pd.DataFrame([["N", "North", 100, 110, 1.5, ""]],
                      columns=["place_id", "name", "population", "weighted_population",
                               "core20_share", "effect"])


# --- random instances --------------------------------------------------------------------

def tenths(lo: int, hi: int):
    """Amounts in tenths of £1m (or of a unit): real data, not numbers below the solver's
    tolerances."""
    return st.integers(lo, hi).map(lambda k: k / 10)


@st.composite
def instances(draw):
    """Up to 5 services of 1-3 concave bands, 1-3 sources (the later ring-fenced) over two
    years, some minimums (that fit the money) and maximums, a workforce group sometimes."""
    n = draw(st.integers(1, 5))
    services, curves = [], []
    for i in range(n):
        sid = f"S{i}"
        per = sorted(draw(st.lists(st.integers(0, 20), min_size=1, max_size=3)), reverse=True)
        services.append({"service_id": sid, "baseline_m": draw(tenths(0, 50))})
        curves += [(sid, "m", b + 1, draw(tenths(1, 50)), float(p)) for b, p in enumerate(per)]
    ids = [s["service_id"] for s in services]
    sources = ["pool", "dfg", "ibcf"][: draw(st.integers(1, 3))]
    funding = [(s, y, draw(tenths(0, 150))) for s in sources for y in (Y, "2027/28")]
    eligibility = [(s, sid) for s in sources[1:]
                   for sid in draw(st.lists(st.sampled_from(ids), min_size=1, unique=True))]
    least = min(sum(a for _, y, a in funding if y == yr) for yr in (Y, "2027/28"))
    for svc in services:
        if draw(st.booleans()):
            svc["min_m"] = math.floor(10 * least / (2 * n)) / 10 * draw(st.sampled_from([0.5, 1]))
        if draw(st.booleans()):
            svc["max_m"] = svc.get("min_m", 0.0) + draw(tenths(0, 100))
    staff = draw(st.booleans())
    return make_inputs(services, curves, funding, eligibility=eligibility,
                       workforce=[("staff", y, draw(tenths(0, 400))) for y in (Y, "2027/28")]
                       if staff else [],
                       workforce_need=[("staff", sid, float(draw(st.integers(0, 5))))
                                       for sid in ids] if staff else [])


# --- workbooks ---------------------------------------------------------------------------

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
needs_office = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice not installed "
                                  "(make system installs libreoffice-calc-nogui)")

HOSTILE = ["=1+1", "+SUM(A1:A2)", "-2+3", "@cmd", "\t=1", "=HYPERLINK(\"http://x\",\"y\")"]
"""Cell values that a spreadsheet would run as formulas."""


def recalculated(path: Path, out: Path) -> Path:
    """The workbook as LibreOffice recalculates and saves it (formulas evaluated)."""
    out.mkdir(parents=True, exist_ok=True)
    done = subprocess.run([SOFFICE, f"-env:UserInstallation={(out / 'profile').as_uri()}",
                           "--headless", "--norestore", "--convert-to", "xlsx", "--outdir",
                           str(out), str(path)], capture_output=True, text=True, timeout=180,
                          check=False)
    assert done.returncode == 0, done.stderr
    return out / path.name


def sheet_rows(ws, first: int = HEADER_ROW) -> tuple[list[str], list[tuple]]:
    rows = list(ws.iter_rows(min_row=first, values_only=True))
    return [str(h) for h in rows[0]], [r for r in rows[1:] if any(v is not None for v in r)]
