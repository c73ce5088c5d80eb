"""budgetopt end to end against HiGHS called directly, linopy and pyoptinterface, on every shape.

    make bench                                   # = .venv/bin/python benchmarks/run.py
    .venv/bin/python benchmarks/run.py --sizes 100k 500k 1M --rounds 3
    .venv/bin/python benchmarks/run.py --sizes tiny --rounds 1 --out /tmp/bench   # (the tests)
    .venv/bin/python benchmarks/run.py --only flat-default     # cases whose name starts so

Every case (:mod:`shapes`: a shape, a policy model, a size) is a data set and a policy model on
disk. Each tool runs as its own process, from the files to its answer on disk, and is timed
whole (interpreter start, imports, reading, building, solving, writing), with its peak memory
(the process's RSS high-water mark, from ``wait4``):

* budgetopt: ``budgetopt solve DATA --model M --json OUT -q`` (with ``--set tie_break=off``
  once the policy has that key, so that every tool solves the same LP);
* direct: numpy arrays -> ``highspy.Highs.passModel`` -> run (the floor);
* linopy (``io_api="direct"``) and pyoptinterface (HiGHS from the highsbox package).

The tools of a case run round-robin, ``--rounds`` times (the order turned each round), and the
median is reported; the objectives of every optimal answer must agree to 1e-6 relative or the
run fails. Before the rounds, one in-process run of budgetopt (``tools.py split``) times its
stages (imports, read + validate, prepare, Pyomo build, compile, solve, results, JSON) and writes
its LP for the peers. Also timed: ``budgetopt --help`` and ``budgetopt solve inputs/example``.

Results in --out (default benchmarks/results/): ``results.md`` (tables), ``results.csv`` (one
row per case and tool), ``split.csv`` (budgetopt's stages), ``scaling.png``/``scaling.html``
(log-log chart), ``log.txt`` (every run with the load average at its start).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from shapes import SIZES, Case, default_cases, write_case

PEERS = ("direct", "linopy", "pyoptinterface")
REL_TOL = 1e-6
TIMEOUT_S = 360
"""A run still going after this is stopped and recorded as such (--timeout; the in-process
stages run gets three times as long): with the shipped settings HiGHS's presolve on the flat
500k LP ran past its 60 s limit for half an hour."""


def budgetopt_exe() -> str:
    exe = Path(sys.executable).with_name("budgetopt")
    return str(exe) if exe.exists() else shutil.which("budgetopt") or "budgetopt"


def overrides() -> list[str]:
    """``tie_break=off`` where the policy knows the key (the same LP as the other tools)."""
    from budgetopt.policy import Policy

    # quoted: --set reads its value as YAML, where a bare off is the boolean false
    return ['tie_break="off"'] if "tie_break" in Policy.model_fields else []


def timed(cmd: list[str], log, timeout: float | None = None) -> dict:
    """Run `cmd` as its own process: wall seconds, peak RSS (MB), exit code, last stdout line;
    stopped after `timeout` seconds (exit code None)."""
    timeout = TIMEOUT_S if timeout is None else timeout
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        load = os.getloadavg()[0]
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=ROOT)
        killed = False
        try:
            while True:
                pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    break
                if time.perf_counter() - t0 > timeout and not killed:
                    proc.kill()
                    killed = True
                time.sleep(0.005)
        except BaseException:
            proc.kill()
            raise
        seconds = time.perf_counter() - t0
        proc.returncode = None if killed else os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    lines = stdout.strip().splitlines()
    result = {"seconds": seconds, "peak_mb": usage.ru_maxrss / 1024, "code": proc.returncode,
              "last": lines[-1] if lines else "", "stderr": stderr[-3000:], "load": load}
    print(f"{seconds:8.2f} s {result['peak_mb']:7.0f} MB load {load:4.1f} "
          f"exit {proc.returncode}  {' '.join(Path(c).name if '/' in c else c for c in cmd)}",
          file=log, flush=True)
    return result


def commands(case: Case, folder: Path, answers: Path, sets: list[str]) -> dict[str, list[str]]:
    tool_py = str(HERE / "tools.py")
    extra = [a for s in sets for a in ("--set", s)]
    solve = [budgetopt_exe(), "solve", str(folder / "data"), "--model",
             str(folder / "model.yaml"), "--json", str(answers / "budgetopt.json"), "-q", *extra]
    cmds = {"budgetopt": solve}
    if case.shape == "flat":  # the second budgetopt row: its settings for this shape
        cmds["budgetopt (presolve off, ipm)"] = [*solve, "--set", 'solver.presolve="off"',
                                                 "--set", "solver.method=ipm"]
    for tool in PEERS:
        cmds[tool] = [sys.executable, tool_py, tool, str(folder), str(answers / f"{tool}.csv")]
    return cmds


def answer_of(tool: str, run: dict, answers: Path) -> tuple[str, float | None]:
    """(status, objective) of one run: budgetopt's from its JSON, a peer's from its stdout."""
    if run["code"] is None:
        (answers / "budgetopt.json").unlink(missing_ok=True)
        return f"no answer within {TIMEOUT_S:.0f} s (stopped)", None
    if tool.startswith("budgetopt"):
        path = answers / "budgetopt.json"
        if not path.exists():
            return f"no answer (exit {run['code']})", None
        doc = json.loads(path.read_text())
        path.unlink()
        return doc["status"], doc["objective"]
    if run["code"]:
        return f"failed (exit {run['code']})", None
    doc = json.loads(run["last"])
    ok = doc["status"].lower() in ("optimal", "kOptimal".lower())
    return ("optimal" if ok else doc["status"]), doc["objective"]


def measure_case(case: Case, work: Path, rounds: int, sets: list[str], log) -> tuple[list[dict],
                                                                                      dict]:
    folder = write_case(case, work)
    (folder / "sets.json").write_text(json.dumps(sets))
    answers = folder / "answers"
    answers.mkdir(exist_ok=True)
    print(f"== {case.name}", file=log, flush=True)
    first = timed([sys.executable, str(HERE / "tools.py"), "split", str(folder),
                   str(answers / "split.json")], log, timeout=3 * TIMEOUT_S)
    partial = answers / "split.json.partial"
    if first["code"] is None and case.kind == "flat" and partial.exists():
        # stopped in the solve: the stages it reached (the peers need no LP from it)
        stages = {"case": case.name, **json.loads(partial.read_text()),
                  "status": f"stopped after {first['seconds']:.0f} s", "peak_mb": first["peak_mb"]}
    elif first["code"] is None:
        sys.exit(f"{case.name}: budgetopt in process still running after {first['seconds']:.0f} s")
    elif first["code"]:
        sys.exit(f"{case.name}: budgetopt in process failed:\n{first['stderr']}")
    else:
        stages = {"case": case.name, **json.loads(first["last"]), "peak_mb": first["peak_mb"]}
    (answers / "split.json").unlink(missing_ok=True)
    cmds = commands(case, folder, answers, sets)
    tools = list(cmds)
    runs: dict[str, list[dict]] = {t: [] for t in tools}
    for r in range(rounds):
        turn = tools[r % len(tools):] + tools[:r % len(tools)]
        for tool in turn:
            run = timed(cmds[tool], log)
            run["status"], run["objective"] = answer_of(tool, run, answers)
            if run["status"].startswith("failed") and tool in PEERS:
                sys.exit(f"{case.name}: {tool} failed:\n{run['stderr']}")
            runs[tool].append(run)
    ref = next((r["objective"] for r in runs["direct"] if r["status"] == "optimal"), None)
    for tool, rs in runs.items():
        for run in rs:
            if run["status"] == "optimal" and (ref is None or abs(run["objective"] - ref) >
                                               REL_TOL * max(1.0, abs(ref))):
                sys.exit(f"{case.name}: objectives differ: {tool} {run['objective']!r}, "
                         f"direct {ref!r}")
    floor = median(r["seconds"] for r in runs["direct"])
    rows = []
    for tool, rs in runs.items():
        statuses = sorted({r["status"] for r in rs})
        rows.append({
            "case": case.name, "shape": case.shape, "model": case.model, "size": case.size,
            "band_vars": stages["band_vars"], "tool": tool, "status": "/".join(statuses),
            "median_s": median(r["seconds"] for r in rs),
            "min_s": min(r["seconds"] for r in rs), "max_s": max(r["seconds"] for r in rs),
            "ratio": median(r["seconds"] for r in rs) / floor,
            "peak_mb": max(r["peak_mb"] for r in rs),
            "objective": next((r["objective"] for r in rs if r["objective"] is not None), None),
            "rounds": len(rs), "load_avg": median(r["load"] for r in rs)})
    return rows, stages


def startup(rounds: int, log) -> list[dict]:
    """``budgetopt --help`` and ``budgetopt solve inputs/example``, whole process, interleaved."""
    with tempfile.TemporaryDirectory() as tmp:
        cmds = {"budgetopt --help": [budgetopt_exe(), "--help"],
                "budgetopt solve inputs/example": [
                    budgetopt_exe(), "solve", str(ROOT / "inputs" / "example"), "--json",
                    str(Path(tmp) / "example.json"), "-q"]}
        runs: dict[str, list[dict]] = {k: [] for k in cmds}
        for _ in range(rounds):
            for name, cmd in cmds.items():
                run = timed(cmd, log)
                if run["code"]:
                    sys.exit(f"{name} failed:\n{run['stderr']}")
                runs[name].append(run)
    return [{"command": k, "median_s": median(r["seconds"] for r in v),
             "min_s": min(r["seconds"] for r in v), "max_s": max(r["seconds"] for r in v),
             "peak_mb": max(r["peak_mb"] for r in v), "rounds": len(v)}
            for k, v in runs.items()]


# -- the report -----------------------------------------------------------------------------------

TOOL_ORDER = ["direct", "budgetopt", "budgetopt (presolve off, ipm)", "linopy", "pyoptinterface"]


def ratio_table(rows: list[dict]) -> str:
    """One line per case: seconds of direct, every other tool's ratio to it, peak memory."""
    head = ("| case | band vars | direct s | budgetopt × | linopy × | pyoptinterface × | "
            "budgetopt status | peak MB direct / budgetopt / linopy / poi |")
    lines = [head, "|" + " --- |" * 8]
    fastest = {(r["case"], r["tool"]): r["min_s"] for r in rows}
    by_case: dict[str, dict[str, dict]] = {}
    for r in rows:
        by_case.setdefault(r["case"], {})[r["tool"]] = r
    for case, tools in by_case.items():
        d = tools["direct"]

        def x(tool: str, tools: dict = tools, case: str = case) -> str:
            """The median's ratio, and in brackets the fastest round's against direct's."""
            if tool not in tools:
                return "—"
            best = fastest[case, tool] / fastest[case, "direct"]
            mark = "" if tools[tool]["status"] == "optimal" else " †"
            return f"{tools[tool]['ratio']:.2f} ({best:.2f}){mark}"

        ipm = tools.get("budgetopt (presolve off, ipm)")
        bo = x("budgetopt") + (f"; presolve off + ipm {x('budgetopt (presolve off, ipm)')}"
                               if ipm else "")
        status = tools["budgetopt"]["status"] + (f"; ipm {ipm['status']}" if ipm else "")
        mem = " / ".join(f"{tools[t]['peak_mb']:,.0f}" for t in
                         ("direct", "budgetopt", "linopy", "pyoptinterface"))
        lines.append(f"| {case} | {d['band_vars']:,} | {d['median_s']:.2f} | {bo} | "
                     f"{x('linopy')} | {x('pyoptinterface')} | {status} | {mem} |")
    return "\n".join(lines)


def split_table(stages: list[dict]) -> str:
    keys = ["imports_s", "read_validate_s", "prepare_s", "build_s", "compile_s", "solve_s",
            "results_s", "json_s", "total_s"]
    head = ("| case | LP rows / cols / non-zeros | imports | read + validate | prepare | "
            "Pyomo build | compile | solve | results | JSON | total s | peak MB |")
    lines = [head, "|" + " --- |" * 12]
    for s in stages:
        lines.append(f"| {s['case']} | {s['rows']:,} / {s['cols']:,} / {s['nnz']:,} | "
                     + " | ".join(f"{s[k]:.2f}" if k in s else "—" for k in keys)
                     + f" | {s['peak_mb']:,.0f} |" + (
                         f" {s['status']}" if s.get("status", "optimal") != "optimal" else ""))
    return "\n".join(lines)


def chart(rows: list[dict], path: Path) -> None:
    """Seconds against band variables (log-log), one panel per shape and model, one line per
    tool."""
    import plotly.graph_objects as go
    from inprocess import picture
    from plotly.subplots import make_subplots

    panels = sorted({(r["shape"], r["model"]) for r in rows},
                    key=lambda p: (list(SIZES).index(p[0]), p[1]))
    cols = 3
    nrows = (len(panels) + cols - 1) // cols
    fig = make_subplots(rows=nrows, cols=cols, subplot_titles=[f"{s} · {m}" for s, m in panels],
                        horizontal_spacing=0.06, vertical_spacing=0.12 / max(1, nrows / 3))
    colours = {"direct": "#E69F00", "budgetopt": "#0072B2",
               "budgetopt (presolve off, ipm)": "#56B4E9", "linopy": "#009E73",
               "pyoptinterface": "#CC79A7"}
    for i, (shape, model) in enumerate(panels):
        for tool in TOOL_ORDER:
            pts = sorted((r["band_vars"], r["median_s"]) for r in rows
                         if (r["shape"], r["model"], r["tool"]) == (shape, model, tool))
            if not pts:
                continue
            fig.add_trace(go.Scatter(x=[p[0] for p in pts], y=[p[1] for p in pts],
                                     mode="lines+markers", name=tool, legendgroup=tool,
                                     showlegend=i == 0, line={"color": colours[tool]}),
                          row=i // cols + 1, col=i % cols + 1)
    fig.update_xaxes(type="log", title_text="band variables")
    fig.update_yaxes(type="log", title_text="seconds, whole process", col=1)
    fig.update_yaxes(type="log")
    fig.update_layout(title="End to end against problem size (log-log), median of the rounds",
                      template="simple_white", width=1400, height=330 * nrows + 120,
                      legend={"x": 1.01, "y": 1.0})
    fig.write_html(path, include_plotlyjs="cdn")
    picture(fig, path.with_suffix(".png"), size=(1420, 330 * nrows + 140))


def write_csv(path: Path, rows: list[dict]) -> None:
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(dict.fromkeys(k for r in rows for k in r)))
        w.writeheader()
        w.writerows(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--sizes", nargs="+", default=["100k", "500k", "1M"],
                    choices=list(SIZES["flat"]))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--only", nargs="*", default=[],
                    help="run only the cases whose name starts with one of these")
    ap.add_argument("--out", type=Path, default=HERE / "results")
    ap.add_argument("--work", type=Path, default=None,
                    help="folder for the generated cases (default: a temporary one; kept "
                    "when given, so a rerun does not generate them again)")
    ap.add_argument("--no-chart", action="store_true")
    ap.add_argument("--startup-rounds", type=int, default=5,
                    help="rounds of the start-up timings (`budgetopt --help`, the example)")
    ap.add_argument("--timeout", type=float, default=TIMEOUT_S,
                    help="seconds after which a run is stopped and recorded as no answer")
    ap.add_argument("--report-only", action="store_true",
                    help="only write the tables and the chart again from --out's runs.json")
    ap.add_argument("--append", action="store_true",
                    help="keep the cases already measured in --out (runs.json) and add to them: "
                    "a long benchmark in several sittings, one table")
    args = ap.parse_args()
    globals()["TIMEOUT_S"] = args.timeout  # timed()'s default
    cases = [c for c in default_cases(args.sizes)
             if not args.only or any(c.name.startswith(o) for o in args.only)]
    args.out.mkdir(parents=True, exist_ok=True)
    sets = overrides()
    store = args.out / "runs.json"
    kept = (json.loads(store.read_text()) if (args.append or args.report_only)
            and store.exists() else {})
    rows, stages = kept.get("rows", []), kept.get("stages", [])
    started = kept.get("started", time.strftime("%Y-%m-%d %H:%M"))
    load0 = kept.get("load0", os.getloadavg()[0])
    start = kept.get("startup", [])
    done = {s["case"] for s in stages}
    if not args.report_only:
        with (args.out / "log.txt").open("a" if args.append else "w") as log, \
                tempfile.TemporaryDirectory(prefix="budgetopt-bench-") as tmp:
            work = args.work or Path(tmp)
            for case in cases:
                if case.name in done:
                    continue
                r, s = measure_case(case, work, args.rounds, sets, log)
                rows += r
                stages.append(s)
                print(f"{case.name}: done", file=sys.stderr, flush=True)
                store.write_text(json.dumps({"rows": rows, "stages": stages, "started": started,
                                             "load0": load0, "startup": start}))  # as it goes
                write_csv(args.out / "results.csv", rows)
                write_csv(args.out / "split.csv", stages)
            start = startup(args.startup_rounds, log) if args.startup_rounds else start
        store.write_text(json.dumps({"rows": rows, "stages": stages, "started": started,
                                     "load0": load0, "startup": start}))
    write_csv(args.out / "results.csv", rows)
    write_csv(args.out / "split.csv", stages)
    loads = [r["load_avg"] for r in rows]
    from importlib.metadata import version

    versions = ", ".join(f"{p} {version(p)}" for p in ("pyomo", "highspy", "linopy",
                                                        "pyoptinterface", "highsbox"))
    md = (f"Run {started}, {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, {versions} (pyoptinterface runs highsbox's HiGHS, "
          f"the others highspy's); {args.rounds} rounds, median; budgetopt "
          f"{' '.join('--set ' + s for s in sets) or 'with its shipped settings'}; "
          f"load average (1 min) {load0:.1f} at the start, "
          f"{min(loads):.1f}-{max(loads):.1f} at the runs (median per case).\n\n"
          "End to end, whole process, CSV in and answer out: seconds of direct highspy and "
          "each tool's ratio to it (median of the rounds; in brackets, the fastest round "
          "against direct's fastest, the steadier figure on a busy machine), peak RSS of each "
          "process.\n\n"
          f"{ratio_table(rows)}\n\n"
          "† not optimal in every round (see the status; a run stopped at the time-out counts "
          "its time-out as its time).\n\n"
          "budgetopt's stages in one in-process run (seconds):\n\n"
          f"{split_table(stages)}\n\n"
          "Start-up, whole process: " + ", ".join(
              f"`{s['command']}` {s['median_s']:.2f} s (median of {s['rounds']}, "
              f"{s['min_s']:.2f}-{s['max_s']:.2f})" for s in start) + "\n")
    (args.out / "results.md").write_text(md, encoding="utf-8")
    write_csv(args.out / "startup.csv", start)
    if not args.no_chart:
        chart(rows, args.out / "scaling.html")
    print(md)


if __name__ == "__main__":
    main()
