"""Where budgetopt's seconds go on one benchmark case: ``budgetopt solve`` under cProfile.

    .venv/bin/python benchmarks/where_time_goes.py flat-default-100k [--work DIR] [--top 25]

The case (named as in benchmarks/run.py) is written to --work (kept there), then
``budgetopt solve DATA --model M --json OUT -q`` runs in this process under :mod:`cProfile`
(whose own overhead inflates pure-Python code, by 1.5-2x: read the shares, not the seconds).
Prints the functions with the most time of their own, and the cumulative time of the stages
(imports, read + validate, prepare, Pyomo build, compile, solve, results, JSON), as Markdown;
the raw profile is kept as ``<case>.prof`` in --work (``python -m pstats`` or snakeviz read it).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from shapes import SIZES, Case, write_case

# stage -> (file suffix, function name) of the function whose cumulative time is the stage's
STAGES = {
    "read + validate": ("data/dataset.py", "load_dataset"),
    "prepare": ("model/data.py", "prepare"),
    "Pyomo build": ("model/build.py", "build_model"),
    "compile": ("solve/highs.py", "compile_model"),
    "solve (HiGHS run)": ("solve/highs.py", "run"),
    "results": ("results/tables.py", "make_results"),
    "JSON": ("results/tables.py", "to_json"),
}


def parse_case(name: str) -> Case:
    for shape in SIZES:
        if name.startswith(shape + "-"):
            model, size = name[len(shape) + 1:].rsplit("-", 1)
            return Case(shape, model, size)
    raise SystemExit(f"{name}: not a case name (shape-model-size, e.g. flat-default-100k)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("case")
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "budgetopt-bench")
    ap.add_argument("--top", type=int, default=25)
    args = ap.parse_args()
    folder = write_case(parse_case(args.case), args.work)
    out = folder / "profile.json"
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    from budgetopt.cli import main as cli  # the imports are profiled too

    t_import = time.perf_counter() - t0
    try:
        cli(["solve", str(folder / "data"), "--model", str(folder / "model.yaml"), "--json",
             str(out), "-q"])
    except SystemExit:  # the CLI exits with its code
        pass
    prof.disable()
    wall = time.perf_counter() - t0
    prof.dump_stats(folder / f"{args.case}.prof")
    stats = pstats.Stats(prof)
    total = stats.total_tt
    doc = json.loads(out.read_text())
    print(f"{args.case}: status {doc['status']}, wall {wall:.1f} s under the profiler "
          f"(profiled CPU {total:.1f} s; budgetopt.cli imported in {t_import:.1f} s)\n")
    print("| stage | cumulative s | share |\n| --- | --- | --- |")
    for stage, (suffix, func) in STAGES.items():
        cum = sum(v[3] for k, v in stats.stats.items()
                  if k[0].endswith(suffix) and k[2] == func)
        print(f"| {stage} | {cum:.2f} | {cum / total:.0%} |")
    print("\n| function (own time) | calls | own s | cumulative s |\n| --- | --- | --- | --- |")
    rows = sorted(stats.stats.items(), key=lambda kv: -kv[1][2])[:args.top]
    for (file, line, func), (_cc, nc, tt, ct, _callers) in rows:
        where = "/".join(Path(file).parts[-2:]) if file != "~" else "builtin"
        print(f"| `{where}:{line} {func}` | {nc:,} | {tt:.2f} | {ct:.2f} |")


if __name__ == "__main__":
    main()
