"""Per-task overhead of a sweep: a 100-point sweep of a small spec, whole process from the shell.

The spec (written to a temporary folder): 10 LIF neurons with a constant current, 100 ms at dt 0.1 ms,
``populations.cells.params.i_offset`` swept over ``--points`` values, reference engine. Commands, each
run ``--repeats`` times (interleaved, after one untimed warm-up each), median wall time and median
peak RSS (the largest process, ``ru_maxrss`` from wait4, see bench_cuba.py):

- ``loop``: benchmarks/sweep_loop.py, the same runs in a plain loop in one process (no isolation, no
  files): what the runs themselves cost (its ``runs_s``, the loop alone, is the baseline);
- ``local-1``, ``local-2``: ``snnrun SPEC --jobs 1|2`` (one forked worker process per task);
- ``dask-2``: ``snnrun SPEC --dask local --jobs 2`` (a LocalCluster of 2 workers, a forkserver child
  per task; the cluster's start is part of the wall time).

Overhead per task = (wall x workers - runs_s) / points: everything beyond the runs (starting snnrun,
validating every point, forking, writing each task's folder, the summary), spread over the tasks.

    python benchmarks/bench_sweep.py --points 100 --repeats 3 [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_cuba import BIN, PY, machine_info, run_once  # noqa: E402

SPEC = """\
snnrun: "1.0"
name: bench_sweep
simulation: {{duration: 100 ms, dt: 0.1 ms}}
populations:
  cells:
    size: 10
    model: {{type: lif_curr_exp, params: {{cm: 1 nF, tau_m: 20 ms, v_rest: -65 mV, v_reset: -65 mV,
                                          v_thresh: -50 mV, tau_refrac: 2 ms}}}}
sweep:
  parameters:
    populations.cells.params.i_offset: [{values}]
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--points", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench_sweep_"))
    spec = folder / "bench_sweep.yaml"
    values = ", ".join(f"{0.5 + i / args.points:.6f} nA" for i in range(args.points))
    spec.write_text(SPEC.format(values=values))
    snnrun = str(BIN / "snnrun")
    commands = {
        "loop": ([PY, "benchmarks/sweep_loop.py", str(spec)], 1),
        "local-1": ([snnrun, str(spec), "--jobs", "1", "--out", "{out}", "--quiet"], 1),
        "local-2": ([snnrun, str(spec), "--jobs", "2", "--out", "{out}", "--quiet"], 2),
        "dask-2": ([snnrun, str(spec), "--dask", "local", "--jobs", "2", "--out", "{out}", "--quiet"], 2),
    }
    runs: dict[str, list[dict]] = {name: [] for name in commands}
    for round_ in range(args.repeats + 1):  # round 0 is the warm-up
        for name, (argv, _) in commands.items():
            result = run_once(argv)
            if result["returncode"] != 0:
                sys.exit(f"{name} failed ({result['returncode']}): {result['stderr_tail']}")
            if name == "loop":
                result["runs_s"] = float(re.search(r"runs_s=([0-9.]+)", result["stdout_tail"]).group(1))
            if round_:
                runs[name].append(result)
    print(json.dumps(machine_info()))
    print(f"points: {args.points}, repeats: {args.repeats}")
    loop_runs = statistics.median(r["runs_s"] for r in runs["loop"])
    rows = {}
    print("| command | workers | median wall s | peak MiB | overhead per task ms |")
    print("|---|---:|---:|---:|---:|")
    for name, (_, workers) in commands.items():
        wall = statistics.median(r["wall_s"] for r in runs[name])
        peak = statistics.median(r["peak_mib"] for r in runs[name])
        overhead = None if name == "loop" else (wall * workers - loop_runs) / args.points * 1e3
        rows[name] = {"wall_s": wall, "peak_mib": peak, "overhead_ms_per_task": overhead, "workers": workers}
        shown = "" if overhead is None else f"{overhead:.1f}"
        print(f"| {name} | {workers} | {wall:.2f} | {peak:.0f} | {shown} |")
    print(f"the runs themselves (loop, median): {loop_runs:.2f} s, {loop_runs / args.points * 1e3:.1f} ms per run")
    if args.json:
        args.json.write_text(json.dumps({"points": args.points, "runs_s": loop_runs, "commands": rows}, indent=2))


if __name__ == "__main__":
    main()
