"""Excel for BCF leads and boards: the results workbook, reading its plan back, a PDF pack.

* :func:`write_bcf_workbook` — Cover, Income, Expenditure (BCF template layout with its
  drop-down lists), Planning requirements (live formulas, red/green), Metrics, Allocation,
  What each rule costs, Trade-offs (native charts). Layout of the Expenditure sheet:
  :mod:`budgetopt.reports.excel.layout`.
* :func:`read_expenditure` / :func:`next_year_baseline` — the (possibly edited) Expenditure
  sheet read back as next year's baseline.
* :func:`to_pdf` — a board pack converted from the workbook by LibreOffice, headless.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pandas as pd

from budgetopt.errors import BudgetoptError, InputError
from budgetopt.reports.excel.layout import EXPENDITURE, HEADER_ROW
from budgetopt.reports.excel.workbook import Analyses, write_bcf_workbook

SOFFICE_TIMEOUT_S = 180


def read_expenditure(path: str | Path) -> pd.DataFrame:
    """The Expenditure sheet as ``service_id, source_id, year, amount_m`` (edits included).

    Columns are found by their headers (:mod:`budgetopt.reports.excel.layout`), so a sheet whose
    columns were moved still reads; a missing column or a non-number names the cell.
    """
    from openpyxl import load_workbook

    path = Path(path)
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as err:  # noqa: BLE001 - any unreadable file is bad input
        raise InputError.single(str(path), f"not a readable workbook ({err})") from None
    if "Expenditure" not in wb.sheetnames:
        raise InputError.single(str(path), "has no 'Expenditure' sheet")
    rows = list(wb["Expenditure"].iter_rows(min_row=HEADER_ROW, values_only=True))
    wb.close()
    headers = [str(h).strip() if h is not None else "" for h in rows[0]]
    where = f"{path.name} › Expenditure"
    id_header = EXPENDITURE[0].header
    spend = next(c for c in EXPENDITURE if c.key == "spend_gbp").header
    for needed in (id_header, "budgetopt source id"):
        if needed not in headers:
            raise InputError.single(where, f"no '{needed}' column in row {HEADER_ROW}")
    year_cols = {h[len(spend) + 1:]: j for j, h in enumerate(headers) if h.startswith(spend + " ")}
    if not year_cols:
        raise InputError.single(where, f"no '{spend} <year>' columns in row {HEADER_ROW}")
    sid, src = headers.index(id_header), headers.index("budgetopt source id")
    out = []
    for i, row in enumerate(rows[1:], start=HEADER_ROW + 1):
        if row[sid] in (None, "") or row[src] in (None, ""):
            continue  # blank lines and the total row
        for year, j in year_cols.items():
            value = row[j] if j < len(row) else None
            if value in (None, ""):
                value = 0.0
            if not isinstance(value, int | float):
                from openpyxl.utils import get_column_letter

                raise InputError.single(where, f"row {i}, column {get_column_letter(j + 1)} "
                                        f"({headers[j]}): '{value}' is not an amount in £")
            out.append({"service_id": str(row[sid]), "source_id": str(row[src]), "year": year,
                        "amount_m": float(value) / 1e6})
    return pd.DataFrame(out, columns=["service_id", "source_id", "year", "amount_m"])


def next_year_baseline(path: str | Path, tables: dict[str, pd.DataFrame], year: str
                       ) -> dict[str, pd.DataFrame]:
    """Data-set tables whose baseline is the workbook's planned expenditure in `year`.

    Each service's ``baseline_m`` becomes its planned spend that year (all sources); where the
    data set has a baseline table by place, each service's place rows are scaled to the new
    total (the place split is kept), for every year of the table.
    """
    plan = read_expenditure(path)
    plan = plan[plan["year"] == year]
    if plan.empty:
        raise InputError.single(str(path), f"the Expenditure sheet has no year '{year}'")
    per_service = plan.groupby("service_id")["amount_m"].sum()
    out = {k: v.copy() for k, v in tables.items()}
    services = out["services"]
    services["baseline_m"] = [float(per_service.get(s, 0.0)) for s in services["service_id"]]
    if "baseline" in out and len(out["baseline"]):
        base = out["baseline"]
        amount = pd.to_numeric(base["amount_m"], errors="coerce")
        totals = amount.groupby([base["service_id"], base["year"]]).transform("sum")
        new_total = base["service_id"].map(per_service).fillna(0.0)
        share = (amount / totals).where(totals > 0, 0.0)
        base["amount_m"] = (share * new_total).round(6)
    return out


def to_pdf(workbook: str | Path, pdf: str | Path) -> Path:
    """Convert the workbook to a PDF board pack with LibreOffice (headless, private profile)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise BudgetoptError("LibreOffice (soffice) is not installed: `make system` installs it "
                             "(Debian package libreoffice-calc-nogui)")
    workbook, pdf = Path(workbook).resolve(), Path(pdf)
    with tempfile.TemporaryDirectory(prefix="budgetopt-soffice-") as tmp:
        profile = Path(tmp) / "profile"
        cmd = [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless",
               "--norestore", "--convert-to", "pdf", "--outdir", tmp, str(workbook)]
        env = {**os.environ, "HOME": tmp}
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, env=env,
                                  timeout=SOFFICE_TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired:
            raise BudgetoptError(f"LibreOffice took over {SOFFICE_TIMEOUT_S} s to convert "
                                 f"{workbook.name}") from None
        made = Path(tmp) / (workbook.stem + ".pdf")
        if done.returncode or not made.exists():
            raise BudgetoptError(f"LibreOffice could not convert {workbook.name}: "
                                 f"{(done.stderr or done.stdout).strip()[-500:]}")
        shutil.move(str(made), pdf)
    return pdf


__all__ = ["Analyses", "next_year_baseline", "read_expenditure", "to_pdf",
           "write_bcf_workbook"]
