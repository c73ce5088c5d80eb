"""What the answers a board can sign cost: the shadow prices' ranging, the tie-break stage and
the flexibility analysis, timed in process.

    .venv/bin/python benchmarks/plan_stages.py                       # example + stacked 100k
    .venv/bin/python benchmarks/plan_stages.py --sizes tiny --no-flexibility   # quick

For the example under each shipped model and for stacked copies of the example (benchmarks/
shapes.py, "stacked", the default model), one build and ``Session.results()`` with
``tie_break`` on: the solve, the ranging of the binding rows' shadow prices (HiGHS ranging and
the re-solves at kinks) and the tie-break stage (least change from the baseline, then the
funding sources), each from :attr:`Results.timings`; then the same with ``tie_break=off`` (the
objectives must agree to 1e-9 relative). With flexibility, ``analyse flexibility``'s re-solves
on the example (and, at national size, the time of one pair of re-solves, from which the whole
is estimated: one pair per service-year). Seconds; the machine's load average is printed.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))


def stages(inputs, policy) -> dict[str, float]:
    from budgetopt.api import build
    from budgetopt.policy import apply_overrides

    t0 = time.perf_counter()
    session = build(inputs, policy)
    built = time.perf_counter() - t0
    res = session.results()
    off = build(inputs, apply_overrides(policy, ["tie_break=off"])).results()
    if res.optimal:
        assert abs(res.objective - off.objective) <= 1e-9 * max(1.0, abs(off.objective)), \
            (res.objective, off.objective)
    t = res.timings
    return {"build_s": built, "solve_s": t.get("solve_s", 0.0),
            "ranging_s": t.get("ranging_s", 0.0), "tie_break_s": t.get("tie_break_s", 0.0),
            "binding": int(res.constraints["binding"].sum()),
            "moved_on": float(res.allocation["change_m"].abs().sum()),
            "moved_off": float(off.allocation["change_m"].abs().sum())}


def flex_pair(inputs, policy) -> tuple[float, int]:
    """Seconds of one pair of flexibility re-solves (least and most of one service-year) at
    this size, and the number of pairs the whole analysis would make."""
    from budgetopt.analyses.flexibility import _Held

    held = _Held(inputs, policy, 0.01)
    keys = list(held.groups)
    picks = keys[:: max(1, len(keys) // 5)][:5]
    t0 = time.perf_counter()
    for key in picks:
        held.extreme(held.groups[key], False)
        held.extreme(held.groups[key], True)
    return (time.perf_counter() - t0) / len(picks), len(keys)


def main() -> None:
    from budgetopt import load_dataset, load_policy

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="*", default=["100k"])
    parser.add_argument("--no-flexibility", action="store_true")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} cores")
    example = load_dataset(ROOT / "inputs" / "example")
    print("| case | build | solve | ranging | tie-break | binding rows | £m moved from "
          "baseline (on / off) |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for model in ("default", "ics-statutory", "shift-left", "fair-shares", "bcf-ambitions"):
        s = stages(example, load_policy(ROOT / "models" / f"{model}.yaml"))
        print(f"| example {model} | {s['build_s']:.2f} | {s['solve_s']:.2f} | "
              f"{s['ranging_s']:.2f} | {s['tie_break_s']:.2f} | {s['binding']} | "
              f"{s['moved_on']:,.1f} / {s['moved_off']:,.1f} |")
    if not args.no_flexibility:
        from budgetopt.analyses.flexibility import flexibility

        t0 = time.perf_counter()
        flex = flexibility(example, load_policy(ROOT / "models" / "default.yaml"))
        print(f"\nflexibility on the example (default): {time.perf_counter() - t0:.2f} s for "
              f"{2 * len(flex['flexibility'])} re-solves and {len(flex['alternatives'])} "
              f"alternatives, {flex['flexibility'].attrs['workers']} process(es)")
    from shapes import Case, write_case

    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            folder = write_case(Case("stacked", "default", size), Path(tmp))
            inputs = load_dataset(folder / "data")
            policy = load_policy(folder / "model.yaml")
            s = stages(inputs, policy)
            print(f"\nstacked default {size}: build {s['build_s']:.1f} s, solve "
                  f"{s['solve_s']:.1f} s, ranging {s['ranging_s']:.1f} s "
                  f"({s['binding']} binding rows), tie-break {s['tie_break_s']:.1f} s; "
                  f"£m moved from baseline {s['moved_on']:,.1f} (on) / {s['moved_off']:,.1f} "
                  "(off)")
            if not args.no_flexibility:
                pair, n = flex_pair(inputs, policy)
                print(f"  flexibility: {pair:.2f} s a service-year (one pair of re-solves), "
                      f"{n:,} service-years: about {pair * n / 60:.0f} min in one process")


if __name__ == "__main__":
    main()
