"""budgetopt against HiGHS called directly, in one process, on the stacked-ICS shape.

    .venv/bin/python benchmarks/inprocess.py                # ics, region, national
    .venv/bin/python benchmarks/inprocess.py --sizes tiny --repeat 1 --out /tmp/bench   # (tests)

The whole-process benchmark on every shape, against the peers too, is ``benchmarks/run.py``;
this one times the library's stages in process and the re-solves of a sweep.

For each synthetic size (:mod:`budgetopt.data.synthetic`) and the default policy model (money,
eligibility, service bounds, workforce), in a fresh subprocess per size so peak memory is that
size's own:

* budgetopt end to end: validate the tables, prepare, build (Pyomo), compile, solve, results;
* budgetopt build alone (Pyomo model + compile to HiGHS) and solve alone;
* direct: the same LP built from the same prepared data with numpy arrays (CSR) and passed to
  ``highspy.Highs.passModel``, then solved: the floor any modelling layer is measured against;
* re-solve: the budget cut by 1-5% and the model solved again, as the budget curve does it —
  budgetopt's persistent model (the money rows' mutable limits changed, pushed to HiGHS by
  ``update_limits``, solved, solution and duals read back as arrays) against a bare
  ``changeRowsBounds`` + ``run`` + ``getSolution``; median of five.

The objectives must agree (relative 1e-6) or the run fails. Results: a Markdown table on
stdout and ``results.csv`` / ``results.md`` in --out (default benchmarks/results/inprocess/),
plus a log-log chart of time against size (``scaling.html``, plotly) with the fitted exponents.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from statistics import median
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
POLICY = ROOT / "models" / "default.yaml"
RESOLVES = 5  # re-solves per size (a sweep's steps), the median reported


# -- the direct baseline -----------------------------------------------------------------------


def direct_lp(data):
    """The default policy's LP from prepared data, as numpy arrays (no modelling layer).

    Columns: segment spends x (0 ≤ x ≤ width), then flows f ≥ 0. Rows: each source-year's
    flows ≤ its money; each service-year's flows − its segments = 0; service minimums and
    maximums on Σ x; workforce Σ n·x ≤ available. Objective: max Σ d[y]·Σ_m w_m a[j,m] x_j.
    """
    import highspy

    seg, flows, inp = data.segments, data.flows, data.inputs
    nx, nf = len(seg), len(flows)
    disc = seg["year"].map(data.discount).to_numpy(dtype=float)
    weights = dict(zip(inp.metrics["metric_id"], inp.metrics["weight"]))
    co = data.coefs
    value = co["per_m"].to_numpy(float) * co["metric_id"].map(weights).to_numpy(float)
    cost = np.r_[np.bincount(co["col"].to_numpy(), weights=value, minlength=nx) * disc,
                 np.zeros(nf)]
    lower = np.zeros(nx + nf)
    upper = np.r_[np.where(np.isfinite(seg["width_m"].to_numpy(float)),
                           seg["width_m"].to_numpy(float), np.inf), np.full(nf, np.inf)]
    rows_i, rows_j, rows_v, lo, up = [], [], [], [], []
    n_rows = 0

    def block(keys_of_cols, cols, coef, limits_lo, limits_up):
        nonlocal n_rows
        keys, inverse = np.unique(keys_of_cols, return_inverse=True)
        rows_i.append(n_rows + inverse)
        rows_j.append(cols)
        rows_v.append(coef)
        lo.append(np.array([limits_lo(k) for k in keys], float))
        up.append(np.array([limits_up(k) for k in keys], float))
        n_rows += len(keys)
        return keys

    fund = data.funding
    amount = {f"{s}|{y}": a for s, y, a in zip(fund["source_id"], fund["year"], fund["amount_m"])}
    fkey = (flows["source_id"] + "|" + flows["year"]).to_numpy()
    block(fkey, nx + flows["col"].to_numpy(), np.ones(nf), lambda k: -np.inf,
          lambda k: amount[k])
    skey_f = (flows["service_id"] + "|" + flows["year"]).to_numpy()
    skey_x = (seg["service_id"] + "|" + seg["year"]).to_numpy()
    block(np.r_[skey_f, skey_x], np.r_[nx + flows["col"].to_numpy(), seg["col"].to_numpy()],
          np.r_[np.ones(nf), -np.ones(nx)], lambda k: 0.0, lambda k: 0.0)
    svc = inp.services.set_index("service_id")
    lo_s, hi_s = svc["min_m"].to_dict(), svc["max_m"].to_dict()
    has_min = seg["service_id"].map(lambda s: lo_s[s] > 0).to_numpy()
    block(skey_x[has_min], seg["col"].to_numpy()[has_min], np.ones(has_min.sum()),
          lambda k: lo_s[k.split("|")[0]], lambda k: np.inf)
    has_max = seg["service_id"].map(lambda s: np.isfinite(hi_s[s])).to_numpy()
    block(skey_x[has_max], seg["col"].to_numpy()[has_max], np.ones(has_max.sum()),
          lambda k: -np.inf, lambda k: hi_s[k.split("|")[0]])
    wf, need = inp.workforce, inp.workforce_need
    wf = wf[wf["year"].isin(data.years)]
    avail = {f"{g}|{y}": a * data.policy.rules.workforce.scale
             for g, y, a in zip(wf["group_id"], wf["year"], wf["wte_available"])}
    merged = seg[["col", "service_id", "year"]].merge(need, on="service_id")
    block((merged["group_id"] + "|" + merged["year"]).to_numpy(), merged["col"].to_numpy(),
          merged["wte_per_m"].to_numpy(float), lambda k: -np.inf, lambda k: avail[k])

    i, j, v = np.concatenate(rows_i), np.concatenate(rows_j), np.concatenate(rows_v)
    order = np.lexsort((j, i))
    i, j, v = i[order], j[order], v[order]
    starts = np.r_[0, np.cumsum(np.bincount(i, minlength=n_rows))]
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = nx + nf, n_rows
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = cost, lower, upper
    lp.row_lower_, lp.row_upper_ = np.concatenate(lo), np.concatenate(up)
    lp.sense_ = highspy.ObjSense.kMaximize
    a = lp.a_matrix_
    a.format_ = highspy.MatrixFormat.kRowwise
    a.num_col_, a.num_row_ = nx + nf, n_rows
    a.start_, a.index_, a.value_ = starts.astype(np.int32), j.astype(np.int32), v
    money_rows = np.arange(len(np.unique(fkey)))
    return lp, money_rows


def _highs():
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    return h


# -- one size, in its own process ---------------------------------------------------------------


def measure(size: str, repeat: int) -> dict:
    """Everything for one size (run in a subprocess: its peak memory is its own)."""
    from pyomo.common.gc_manager import PauseGC

    from budgetopt.data.read import read_frames
    from budgetopt.data.synthetic import SIZES, synthetic_tables
    from budgetopt.data.validate import validate
    from budgetopt.model.data import prepare
    from budgetopt.policy import load_policy

    policy = load_policy(POLICY)
    tables = synthetic_tables(**SIZES[size])
    out: dict = {"size": size}
    session, res, times = end_to_end(tables, size, policy, repeat)
    out.update(segments=len(session.data.segments), rows=session.compiled.highs.getNumRow(),
               cols=session.compiled.highs.getNumCol(), budgetopt_e2e_s=times["e2e_s"],
               budgetopt_build_s=times["build_s"], budgetopt_solve_s=times["solve_s"],
               prepare_s=session.timings["prepare_s"], objective=res.objective)

    d_e2e, d_build, d_solve = [], [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        inputs = validate(read_frames(tables, size))
        with PauseGC():  # as budgetopt's own build does: the same footing
            data = prepare(inputs, policy)
            t1 = time.perf_counter()
            lp, money_rows = direct_lp(data)
            h = _highs()
            h.passModel(lp)
            t2 = time.perf_counter()
        h.run()
        t3 = time.perf_counter()
        d_e2e.append(t3 - t0)
        d_build.append(t2 - t1)
        d_solve.append(t3 - t2)
    direct_obj = h.getInfo().objective_function_value
    out.update(direct_e2e_s=median(d_e2e), direct_build_s=median(d_build),
               direct_solve_s=median(d_solve), direct_objective=direct_obj)
    if abs(direct_obj - out["objective"]) > 1e-6 * max(1.0, abs(direct_obj)):
        raise SystemExit(f"{size}: objectives differ: budgetopt {out['objective']!r}, direct "
                         f"{direct_obj!r}")

    # re-solves, as a sweep does them: every money limit scaled (the model's mutable
    # parameters, pushed to HiGHS), solved, the answer read; median of RESOLVES cuts
    compiled = session.compiled
    limits = session.model.money_source_limit_limit
    base = {k: float(p.value) for k, p in limits.items()}
    lp_lo, lp_up = np.array(lp.row_lower_), np.array(lp.row_upper_)
    ours, direct, cuts = [], [], np.linspace(0.95, 0.99, RESOLVES)
    for cut in cuts:
        t0 = time.perf_counter()
        for k, p in limits.items():
            p.value = base[k] * cut
        compiled.update_limits(["money_source_limit"])
        again = session.solve()
        ours.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        h.changeRowsBounds(len(money_rows), money_rows.astype(np.int32), lp_lo[money_rows],
                           lp_up[money_rows] * cut)
        h.run()
        sol = h.getSolution()  # a re-solve is read: spends, and the prices of the rules
        _answer = (np.asarray(sol.col_value), np.asarray(sol.row_dual))
        direct.append(time.perf_counter() - t0)
        if abs(h.getInfo().objective_function_value - again.objective) > 1e-6 * abs(
                again.objective):
            raise SystemExit(f"{size}: re-solve objectives differ at a cut of {cut}")
    out["budgetopt_resolve_s"], out["direct_resolve_s"] = median(ours), median(direct)
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def example_timings(repeat: int = 7) -> dict[str, float]:
    """The built-in example ICS under each shipped policy model: in-process build + solve +
    results (the data set read once), median seconds of `repeat`."""
    from budgetopt.api import build
    from budgetopt.data.dataset import load_dataset
    from budgetopt.policy import load_policy

    inputs = load_dataset(ROOT / "inputs" / "example")
    out = {}
    for path in sorted((ROOT / "models").glob("*.yaml")):
        policy = load_policy(path)
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            build(inputs, policy).results()
            times.append(time.perf_counter() - t0)
        out[path.stem] = median(times)
    return out


RICHER = ("ics-statutory", "fair-shares")
"""Shipped models with more rule families on (MHIS, BCF conditions, transition, personal
budgets; fair shares and Core20PLUS5), timed at each size without a direct baseline. Models with
the acute offset need a per-ICS acute budget in the policy, which synthetic copies do not have."""


def end_to_end(tables: dict, size: str, policy, repeat: int) -> tuple[Any, Any, dict]:
    """budgetopt from the tables to the results, `repeat` times: the last session and
    results, and the median seconds end to end, to build (Pyomo + compile), to solve and to
    read the results."""
    from budgetopt.api import build
    from budgetopt.data.read import read_frames
    from budgetopt.data.validate import validate

    times: dict[str, list[float]] = {"e2e_s": [], "build_s": [], "solve_s": [], "results_s": []}
    for _ in range(repeat):
        t0 = time.perf_counter()
        session = build(validate(read_frames(tables, size)), policy)
        res = session.results()
        times["e2e_s"].append(time.perf_counter() - t0)
        times["build_s"].append(res.timings["build_s"] + res.timings["compile_s"])
        times["solve_s"].append(res.timings["solve_s"])
        times["results_s"].append(res.timings["results_s"])
    return session, res, {k: median(v) for k, v in times.items()}


def measure_model(size: str, model: str, repeat: int) -> dict:
    """budgetopt alone under a richer policy model (run in a subprocess, like :func:`measure`)."""
    from budgetopt.data.synthetic import SIZES, synthetic_tables
    from budgetopt.policy import load_policy

    policy = load_policy(ROOT / "models" / f"{model}.yaml")
    session, res, times = end_to_end(synthetic_tables(**SIZES[size]), size, policy, repeat)
    return {"size": size, "model": model, "status": res.status,
            "rows": session.compiled.highs.getNumRow(),
            "cols": session.compiled.highs.getNumCol(), **times,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def model_table(rows: list[dict]) -> str:
    head = ("| size | model | status | rows | columns | end to end s | build s (Pyomo+compile) "
            "| solve s | results s | peak MB |")
    lines = [head, "|" + " --- |" * 10]
    lines += [f"| {r['size']} | {r['model']} | {r['status']} | {r['rows']:,} | {r['cols']:,} | "
              f"{r['e2e_s']:.2f} | {r['build_s']:.2f} | {r['solve_s']:.2f} | "
              f"{r['results_s']:.2f} | {r['peak_mb']:,.0f} |" for r in rows]
    return "\n".join(lines)


# -- the report ---------------------------------------------------------------------------------


def table(results: list[dict]) -> str:
    head = ("| size | band vars | rows | budgetopt end to end s | direct end to end s | ratio | "
            "build s (Pyomo+compile) | direct build s | ratio | solve s | direct solve s | "
            "re-solve s | direct re-solve s | ratio | peak MB |")
    lines = [head, "|" + " --- |" * 15]
    for r in results:
        lines.append(
            f"| {r['size']} | {r['segments']:,} | {r['rows']:,} | {r['budgetopt_e2e_s']:.2f} | "
            f"{r['direct_e2e_s']:.2f} | {r['budgetopt_e2e_s'] / r['direct_e2e_s']:.2f} | "
            f"{r['budgetopt_build_s']:.2f} | {r['direct_build_s']:.3f} | "
            f"{r['budgetopt_build_s'] / max(r['direct_build_s'], 1e-9):.1f} | "
            f"{r['budgetopt_solve_s']:.2f} | {r['direct_solve_s']:.2f} | "
            f"{r['budgetopt_resolve_s']:.3f} | {r['direct_resolve_s']:.3f} | "
            f"{r['budgetopt_resolve_s'] / max(r['direct_resolve_s'], 1e-9):.2f} | "
            f"{r['peak_mb']:,.0f} |")
    return "\n".join(lines)


def exponents(results: list[dict]) -> dict[str, float]:
    """Fitted slope of log(time) against log(band variables)."""
    if len(results) < 2:
        return {}
    x = np.log([r["segments"] for r in results])
    return {k: float(np.polyfit(x, np.log([max(r[k], 1e-6) for r in results]), 1)[0])
            for k in ("budgetopt_e2e_s", "direct_e2e_s", "budgetopt_build_s", "direct_build_s")}


def chart(results: list[dict], fits: dict[str, float], path: Path) -> None:
    import plotly.graph_objects as go

    fig = go.Figure()
    colours = {"budgetopt_e2e_s": "#0072B2", "direct_e2e_s": "#E69F00",
               "budgetopt_build_s": "#009E73", "direct_build_s": "#D55E00"}
    names = {"budgetopt_e2e_s": "budgetopt end to end", "direct_e2e_s": "direct highspy end to end",
             "budgetopt_build_s": "budgetopt build", "direct_build_s": "direct build"}
    for key, colour in colours.items():
        fig.add_trace(go.Scatter(
            x=[r["segments"] for r in results], y=[r[key] for r in results], mode="lines+markers",
            name=f"{names[key]} (slope {fits.get(key, float('nan')):.2f})",
            line={"color": colour}))
    fig.update_layout(title="Time against problem size (log-log)", template="simple_white",
                      xaxis={"type": "log", "title": "band variables"},
                      yaxis={"type": "log", "title": "seconds"}, width=900, height=520)
    fig.write_html(path, include_plotlyjs="cdn")
    picture(fig, path.with_suffix(".png"))


def picture(fig, png: Path, size: tuple[int, int] = (920, 540)) -> None:
    """The chart as a PNG for the README: plotly drawn by headless Chromium (Playwright, as the
    app's browser tests use), the plotly.js bundled so no network is needed."""
    import shutil
    import tempfile

    from playwright.sync_api import sync_playwright

    browser_path = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser_path is None:
        print(f"no chromium: {png.name} not drawn (make system installs it)", file=sys.stderr)
        return
    with tempfile.TemporaryDirectory() as tmp:
        page_file = Path(tmp) / "chart.html"
        fig.write_html(page_file, include_plotlyjs=True, full_html=True)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=browser_path, headless=True,
                                         args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": size[0], "height": size[1]})
            page.goto(page_file.as_uri())
            page.wait_for_selector(".main-svg")
            page.locator(".plotly-graph-div").screenshot(path=str(png))
            browser.close()


def in_own_process(flag: list[str], label: str, repeat: int) -> dict:
    """This script run again with `flag` (one measurement, so its peak memory is its own):
    the JSON it prints, or exit naming what failed."""
    done = subprocess.run([sys.executable, __file__, *flag, "--repeat", str(repeat)],
                          capture_output=True, text=True, check=False)
    if done.returncode:
        sys.exit(f"{label} failed:\n{done.stderr[-3000:]}")
    print(f"{label}: done", file=sys.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description="budgetopt against HiGHS called directly")
    ap.add_argument("--sizes", nargs="+", default=["ics", "region", "national"])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", type=Path, default=HERE / "results" / "inprocess")
    ap.add_argument("--models", nargs="*", default=list(RICHER),
                    help="richer shipped models to time too (budgetopt alone)")
    ap.add_argument("--one", help=argparse.SUPPRESS)  # internal: measure one size, print JSON
    ap.add_argument("--one-model", help=argparse.SUPPRESS)  # internal: SIZE:MODEL
    args = ap.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.repeat)))
        return
    if args.one_model:
        size, model = args.one_model.split(":", 1)
        print(json.dumps(measure_model(size, model, args.repeat)))
        return
    results = [in_own_process(["--one", size], size, args.repeat) for size in args.sizes]
    richer = [in_own_process(["--one-model", f"{size}:{model}"], f"{size} under {model}",
                             args.repeat) for size in args.sizes for model in args.models]
    args.out.mkdir(parents=True, exist_ok=True)
    fits = exponents(results)
    md = (f"Machine: {platform.machine()}, {__import__('os').cpu_count()} cores, Python "
          f"{platform.python_version()}; median of {args.repeat}.\n\n{table(results)}\n")
    if richer:
        md += ("\nRicher policy models, budgetopt alone (the direct baseline builds the default "
               "model's families only):\n\n" + model_table(richer) + "\n")
    example_repeat = max(args.repeat, 1) * 2 + 1
    example = example_timings(example_repeat)
    md += ("\nExample ICS (inputs/example), in-process build + solve + results, median of "
           f"{example_repeat}: " + ", ".join(f"{k} {v:.2f} s" for k, v in example.items())
           + "\n")
    if fits:
        md += "\nFitted exponents (time ∝ size^k): " + ", ".join(
            f"{k.removesuffix('_s').replace('_', ' ')} {v:.2f}" for k, v in fits.items()) + "\n"
        chart(results, fits, args.out / "scaling.html")
    (args.out / "results.md").write_text(md, encoding="utf-8")
    import csv

    with (args.out / "results.csv").open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(results[0]))
        w.writeheader()
        w.writerows(results)
    print(md)


if __name__ == "__main__":
    main()
