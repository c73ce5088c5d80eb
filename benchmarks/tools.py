"""One tool on one case, in this process: what benchmarks/run.py times, one process each.

    python benchmarks/tools.py TOOL CASE_DIR ANSWER

TOOL is ``direct`` (numpy arrays -> ``highspy.Highs.passModel``: the floor), ``linopy``,
``pyoptinterface`` or ``split`` (budgetopt in process, as ``budgetopt solve`` runs it, each stage
timed; for an ``lp`` case it also writes budgetopt's LP to ``CASE_DIR/lp.npz`` for the peers).
Each reads its input from the files, solves, writes its answer to ANSWER, and prints one JSON
line: status, objective and its own stage seconds.

Inputs of the peers (see :attr:`shapes.Case.kind`): a ``flat`` case is read from its data set
(services.csv, curves.csv, funding.csv) and each peer builds its own model of it; an ``lp`` case
is read from lp.npz, budgetopt's compiled LP (columns with bounds, costs and integrality, rows
with lower and upper limits, the matrix), and each peer builds that LP through its own API. The
answer is spend per allocation line (service for flat; service, place and year otherwise), as
CSV.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

T_START = time.perf_counter()

import numpy as np  # (after the clock starts: imports are part of a tool's time)
import pandas as pd

INF = float("inf")


# -- reading the inputs --------------------------------------------------------------------------


def read_flat(folder: Path) -> dict:
    """The flat data set's arrays: widths and outcome per £m (services × bands), min, max,
    budget, weight."""
    svc = pd.read_csv(folder / "services.csv", dtype={"service_id": str})
    cur = pd.read_csv(folder / "curves.csv", dtype={"service_id": str, "metric_id": str})
    fund = pd.read_csv(folder / "funding.csv")
    weight = float(pd.read_csv(folder / "metrics.csv")["weight"].iloc[0])
    cur = cur.sort_values(["service_id", "band"], kind="stable")
    ids = svc["service_id"].to_numpy()
    n, bands = len(ids), int(cur["band"].max())
    order = pd.Index(ids).get_indexer(cur["service_id"])
    width = np.zeros((n, bands))
    per_m = np.zeros((n, bands))
    width[order, cur["band"].to_numpy() - 1] = cur["width_m"].to_numpy(float)
    per_m[order, cur["band"].to_numpy() - 1] = cur["per_m"].to_numpy(float) * weight
    return {"ids": ids, "width": width, "per_m": per_m,
            "min": svc["min_m"].fillna(0.0).to_numpy(float),
            "max": svc["max_m"].fillna(INF).to_numpy(float),
            "budget": float(fund["amount_m"].sum())}


def read_lp(path: Path) -> dict:
    """budgetopt's LP as written by ``split``: CSR rows, column arrays, allocation lines."""
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def write_answer(path: Path, labels: np.ndarray, line: np.ndarray, x: np.ndarray) -> None:
    """Spend per allocation line: Σ x over the columns of each line (line -1: not a spend)."""
    keep = line >= 0
    spend = np.bincount(line[keep], weights=x[keep], minlength=len(labels))
    pd.DataFrame({"line": labels, "spend_m": spend}).to_csv(path, index=False)


# -- the floor: numpy arrays into highspy -------------------------------------------------------


def _highs(options: dict):
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    for k, v in options.items():
        h.setOptionValue(k, v)
    return h


def direct(kind: str, case: Path, options: dict, answer: Path) -> tuple[dict, tuple]:
    import highspy

    t0 = time.perf_counter()
    if kind == "flat":
        d = read_flat(case / "data")
        n, bands = d["width"].shape
        ncol = n * bands
        t1 = time.perf_counter()
        # row 0: the budget over every column; rows 1..n: each service's min <= sum <= max
        starts = np.r_[0, ncol, ncol + bands * np.arange(1, n + 1)]
        index = np.r_[np.arange(ncol), np.arange(ncol)]
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = ncol, n + 1
        lp.col_cost_ = d["per_m"].ravel()
        lp.col_lower_, lp.col_upper_ = np.zeros(ncol), d["width"].ravel()
        lp.row_lower_ = np.r_[-INF, d["min"]]
        lp.row_upper_ = np.r_[d["budget"], d["max"]]
        lp.sense_ = highspy.ObjSense.kMaximize
        a = lp.a_matrix_
        a.format_ = highspy.MatrixFormat.kRowwise
        a.num_col_, a.num_row_ = ncol, n + 1
        a.start_, a.index_, a.value_ = starts.astype(np.int32), index.astype(np.int32), \
            np.ones(2 * ncol)
        labels, line = d["ids"], np.repeat(np.arange(n), bands)
    else:
        d = read_lp(case / "lp.npz")
        t1 = time.perf_counter()
        ncol, nrow = len(d["col_cost"]), len(d["row_lower"])
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = ncol, nrow
        lp.col_cost_, lp.col_lower_, lp.col_upper_ = d["col_cost"], d["col_lower"], \
            d["col_upper"]
        lp.row_lower_, lp.row_upper_ = d["row_lower"], d["row_upper"]
        lp.offset_ = float(d["offset"])
        lp.sense_ = highspy.ObjSense.kMaximize if int(d["sense"]) < 0 else \
            highspy.ObjSense.kMinimize
        a = lp.a_matrix_
        a.format_ = highspy.MatrixFormat.kRowwise
        a.num_col_, a.num_row_ = ncol, nrow
        a.start_, a.index_, a.value_ = d["start"], d["index"], d["value"]
        if d["integer"].any():
            lp.integrality_ = [highspy.HighsVarType.kInteger if i else
                               highspy.HighsVarType.kContinuous for i in d["integer"]]
        labels, line = d["labels"], d["line"]
    h = _highs(options)
    h.passModel(lp)
    t2 = time.perf_counter()
    h.run()
    t3 = time.perf_counter()
    status = h.modelStatusToString(h.getModelStatus())
    x = np.asarray(h.getSolution().col_value)
    return ({"status": status, "objective": h.getInfo().objective_function_value,
             "read_s": t1 - t0, "build_s": t2 - t1, "solve_s": t3 - t2}, (labels, line, x))


# -- linopy ---------------------------------------------------------------------------------------


def _linopy_rows(m, labels_of_col: np.ndarray, d: dict) -> None:
    """budgetopt's rows as linopy constraints: rows grouped by their number of terms (to a
    power of two) so that linopy's padded term arrays stay within twice the non-zeros; a row
    with both limits (and not an equality) is two constraints, as linopy has no ranges."""
    import xarray as xr

    start, index, value = d["start"], d["index"], d["value"]
    lo, up = d["row_lower"], d["row_upper"]
    length = np.diff(start)
    bucket = np.ceil(np.log2(np.maximum(length, 1))).astype(int)
    for b in np.unique(bucket):
        rows = np.flatnonzero(bucket == b)
        width = int(length[rows].max()) if len(rows) else 0
        if width == 0:
            continue
        pos = np.arange(width)[None, :]
        take = start[rows][:, None] + pos
        valid = pos < length[rows][:, None]
        take = np.where(valid, take, 0)
        coeffs = np.where(valid, value[take], np.nan)
        vars_ = np.where(valid, labels_of_col[index[take]], -1)
        for sign, limit, mask in (
                ("=", lo, lo[rows] == up[rows]),
                ("<=", up, (lo[rows] != up[rows]) & np.isfinite(up[rows])),
                (">=", lo, (lo[rows] != up[rows]) & np.isfinite(lo[rows]))):
            if not mask.any():
                continue
            ds = xr.Dataset({"coeffs": (("row", "_term"), coeffs[mask]),
                             "vars": (("row", "_term"), vars_[mask])},
                            coords={"row": rows[mask]})
            from linopy import LinearExpression

            m.add_constraints(LinearExpression(ds, m), sign,
                              xr.DataArray(limit[rows[mask]], coords={"row": rows[mask]}),
                              name=f"r{b}{'eq' if sign == '=' else sign[0]}")


def run_linopy(kind: str, case: Path, options: dict, answer: Path) -> tuple[dict, tuple]:
    import xarray as xr
    from linopy import LinearExpression, Model

    t0 = time.perf_counter()
    m = Model()
    if kind == "flat":
        d = read_flat(case / "data")
        n, bands = d["width"].shape
        t1 = time.perf_counter()
        coords = [pd.RangeIndex(n, name="service"), pd.RangeIndex(bands, name="band")]
        x = m.add_variables(lower=0.0, upper=xr.DataArray(d["width"], coords=coords),
                            name="x")
        m.add_constraints(x.sum() <= d["budget"], name="budget")
        spend = x.sum("band")
        m.add_constraints(spend >= xr.DataArray(d["min"], coords=coords[:1]), name="min")
        m.add_constraints(spend <= xr.DataArray(d["max"], coords=coords[:1]), name="max")
        m.add_objective((xr.DataArray(d["per_m"], coords=coords) * x).sum(), sense="max")
        labels, line = d["ids"], np.repeat(np.arange(n), bands)
        cols = [x]
    else:
        d = read_lp(case / "lp.npz")
        t1 = time.perf_counter()
        ncol = len(d["col_cost"])
        integer = d["integer"].astype(bool)
        labels_of_col = np.empty(ncol, dtype=np.int64)
        cols = []
        for flag, name in ((False, "x"), (True, "z")):
            which = np.flatnonzero(integer == flag)
            if not len(which):
                continue
            coord = [pd.Index(which, name=f"col_{name}")]
            v = m.add_variables(lower=xr.DataArray(d["col_lower"][which], coords=coord),
                                upper=xr.DataArray(d["col_upper"][which], coords=coord),
                                integer=flag, name=name)
            labels_of_col[which] = v.labels.values
            cols.append((which, v))
        _linopy_rows(m, labels_of_col, d)
        nz = np.flatnonzero(d["col_cost"])
        obj = LinearExpression(xr.Dataset({"coeffs": (("_term",), d["col_cost"][nz]),
                                           "vars": (("_term",), labels_of_col[nz]),
                                           "const": float(d["offset"])}), m)
        m.add_objective(obj, sense="max" if int(d["sense"]) < 0 else "min")
        labels, line = d["labels"], d["line"]
    t2 = time.perf_counter()
    _, condition = m.solve("highs", io_api="direct", output_flag=False, **options)
    t3 = time.perf_counter()
    if kind == "flat":
        x_all = cols[0].solution.values.ravel()
    else:
        x_all = np.zeros(len(d["col_cost"]))
        for which, v in cols:
            x_all[which] = v.solution.values
    return ({"status": condition, "objective": float(m.objective.value), "read_s": t1 - t0,
             "build_s": t2 - t1, "solve_s": t3 - t2}, (labels, line, x_all))


# -- pyoptinterface -------------------------------------------------------------------------------


def _poi_highs():
    """pyoptinterface's HiGHS model. highspy's wheel ships no shared libhighs; pyoptinterface
    finds the highsbox package's by itself (``pip install '.[bench]'``)."""
    from pyoptinterface import highs

    if not highs.is_library_loaded():
        import highsbox  # noqa: F401  (its presence is what autoload looks for)

        if not highs.autoload_library():
            sys.exit("pyoptinterface found no HiGHS shared library: pip install highsbox")
    return highs.Model()


def run_pyoptinterface(kind: str, case: Path, options: dict, answer: Path
                       ) -> tuple[dict, tuple]:
    import pyoptinterface as poi

    t0 = time.perf_counter()
    m = _poi_highs()
    m.set_raw_parameter("output_flag", False)
    for k, v in options.items():
        m.set_raw_parameter(k, v)
    Leq, Geq, Eq = poi.Leq, poi.Geq, poi.Eq
    if kind == "flat":
        d = read_flat(case / "data")
        n, bands = d["width"].shape
        t1 = time.perf_counter()
        xs = [m.add_variable(lb=0.0, ub=w) for w in d["width"].ravel().tolist()]
        ix = [v.index for v in xs]
        ones = [1.0] * bands
        m.add_linear_constraint(poi.ScalarAffineFunction([1.0] * len(ix), ix), Leq,
                                d["budget"])
        for s, (lo, hi) in enumerate(zip(d["min"].tolist(), d["max"].tolist())):
            m.add_linear_constraint(poi.ScalarAffineFunction(ones, ix[s * bands:(s + 1) * bands]),
                                    (lo, hi))
        m.set_objective(poi.ScalarAffineFunction(d["per_m"].ravel().tolist(), ix),
                        poi.ObjectiveSense.Maximize)
        labels, line = d["ids"], np.repeat(np.arange(n), bands)
    else:
        d = read_lp(case / "lp.npz")
        t1 = time.perf_counter()
        cont, integ = poi.VariableDomain.Continuous, poi.VariableDomain.Integer
        xs = [m.add_variable(domain=integ if i else cont, lb=lo, ub=up)
              for lo, up, i in zip(d["col_lower"].tolist(), d["col_upper"].tolist(),
                                   d["integer"].tolist())]
        if xs and xs[-1].index != len(xs) - 1:
            sys.exit("pyoptinterface numbered its variables otherwise than by column")
        start, index, value = d["start"].tolist(), d["index"], d["value"]
        for r, (lo, up) in enumerate(zip(d["row_lower"].tolist(), d["row_upper"].tolist())):
            a, b = start[r], start[r + 1]
            f = poi.ScalarAffineFunction(value[a:b].tolist(), index[a:b].tolist())
            if lo == up:
                m.add_linear_constraint(f, Eq, up)
            elif lo == -INF:
                m.add_linear_constraint(f, Leq, up)
            elif up == INF:
                m.add_linear_constraint(f, Geq, lo)
            else:
                m.add_linear_constraint(f, (lo, up))
        nz = np.flatnonzero(d["col_cost"])
        m.set_objective(poi.ScalarAffineFunction(d["col_cost"][nz].tolist(), nz.tolist(),
                                                 float(d["offset"])),
                        poi.ObjectiveSense.Maximize if int(d["sense"]) < 0 else
                        poi.ObjectiveSense.Minimize)
        labels, line = d["labels"], d["line"]
    t2 = time.perf_counter()
    m.optimize()
    t3 = time.perf_counter()
    status = str(m.get_model_attribute(poi.ModelAttribute.TerminationStatus)).rsplit(".", 1)[-1]
    x = np.array([m.get_value(v) for v in xs])
    return ({"status": status,
             "objective": float(m.get_model_attribute(poi.ModelAttribute.ObjectiveValue)),
             "read_s": t1 - t0, "build_s": t2 - t1, "solve_s": t3 - t2}, (labels, line, x))


# -- budgetopt in process: its stages, and its LP for the peers ------------------------------------


def split(kind: str, case: Path, options: dict, answer: Path) -> tuple[dict, None]:
    """``budgetopt solve DATA --model M --json OUT`` in process, each stage timed; an ``lp``
    case's LP written to lp.npz (after the clock stops)."""
    t0 = time.perf_counter()
    from budgetopt.api import build
    from budgetopt.data.dataset import load_dataset
    from budgetopt.policy import apply_overrides, load_policy
    from budgetopt.reports.outputs import write_outputs

    t1 = time.perf_counter()
    policy = load_policy(case / "model.yaml")
    sets = json.loads((case / "sets.json").read_text()) if (case / "sets.json").exists() else []
    if sets:
        policy = apply_overrides(policy, sets)
    inputs = load_dataset(case / "data", nonconcave=policy.nonconcave)
    t2 = time.perf_counter()
    session = build(inputs, policy, overrides=sets or [])
    h = session.compiled.highs
    # the stages so far, kept in case the solve is stopped (benchmarks/run.py's time-out)
    partial = {"imports_s": t1 - t0, "read_validate_s": t2 - t1, **session.timings,
               "rows": h.getNumRow(), "cols": h.getNumCol(), "nnz": h.getNumNz(),
               "band_vars": session.data.n_segments}
    answer.with_name(answer.name + ".partial").write_text(json.dumps(partial))
    res = session.results()
    t3 = time.perf_counter()
    write_outputs(res, json_path=answer)
    t4 = time.perf_counter()
    out = {"status": res.status, "objective": res.objective, "imports_s": t1 - t0,
           "read_validate_s": t2 - t1, **{k: v for k, v in res.timings.items()},
           "json_s": t4 - t3, "total_s": t4 - T_START,
           "rows": h.getNumRow(), "cols": h.getNumCol(), "nnz": h.getNumNz(),
           "band_vars": session.data.n_segments}
    if kind == "lp":
        export_lp(session, case / "lp.npz")
    return out, None


def export_lp(session, path: Path) -> None:
    """budgetopt's compiled LP as arrays (row-wise), with each band column's allocation line."""
    import scipy.sparse as sp

    lp = session.compiled.highs.getLp()
    a = lp.a_matrix_
    ncol, nrow = lp.num_col_, lp.num_row_
    mat = (sp.csc_matrix if a.format_.name == "kColwise" else sp.csr_matrix)(
        (np.asarray(a.value_), np.asarray(a.index_), np.asarray(a.start_)),
        shape=(nrow, ncol)).tocsr()
    mat.sort_indices()
    seg = session.data.segments
    cols = session.compiled.columns(session.model.x)
    key = seg["service_id"].astype(str) + "|" + seg["place_id"].astype(str) + "|" + \
        seg["year"].astype(str)
    codes, labels = pd.factorize(key)
    line = np.full(ncol, -1, dtype=np.int64)
    line[np.asarray(cols)] = codes
    integer = np.zeros(ncol, dtype=bool)
    if len(lp.integrality_):
        integer = np.array([int(t) != 0 for t in lp.integrality_], dtype=bool)
    np.savez(path, col_cost=np.asarray(lp.col_cost_), col_lower=np.asarray(lp.col_lower_),
             col_upper=np.asarray(lp.col_upper_), row_lower=np.asarray(lp.row_lower_),
             row_upper=np.asarray(lp.row_upper_), start=mat.indptr.astype(np.int32),
             index=mat.indices.astype(np.int32), value=mat.data.astype(float),
             integer=integer, offset=np.float64(lp.offset_),
             sense=np.int64(-1 if lp.sense_.name == "kMaximize" else 1),
             labels=np.asarray(labels, dtype=str), line=line)


TOOLS = {"direct": direct, "linopy": run_linopy, "pyoptinterface": run_pyoptinterface,
         "split": split}


def run_tool(tool: str, case: Path, answer: Path) -> dict:
    """`tool` on the case in folder `case`, its answer written to `answer`: its report."""
    spec = json.loads((case / "case.json").read_text())
    out, result = TOOLS[tool](spec["kind"], case, spec["highs"] if tool != "split" else {},
                              answer)
    if result is not None:
        write_answer(answer, *result)
    return out


def main() -> None:
    out = run_tool(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]))
    out["total_s"] = time.perf_counter() - T_START
    print(json.dumps(out))


if __name__ == "__main__":
    main()
