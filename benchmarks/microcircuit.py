"""Whole-process benchmark of the Potjans & Diesmann (2014) microcircuit: the reference engine and
pynn:nest (``snnrun``, one drawn instance) against the hand-written native NEST script, with each
population's rate next to the published full-scale rates (specs/make_microcircuit.py).

    python benchmarks/microcircuit.py [--scale 0.1] [--k-scale 1] [--duration "1 s"] [--repeats 1]
                                      [--background poisson|dc] [--initial optimized|original]
                                      [--only reference,pynn-nest,nest] [--threads 1] [--json out.json]

Each command runs as its own process (wall time by perf_counter around Popen .. os.wait4, peak RSS
from wait4's ru_maxrss); the spec is generated at the given scale into a temporary folder. At full
scale (about 3e8 synapses) a run needs several GiB per process: run the commands one at a time
(``--only``) on a machine with nothing else on it.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "specs"))
import make_microcircuit as mc  # noqa: E402
from harness import BIN, PY, child_env, machine_info  # noqa: E402


def _run(argv: list[str]) -> dict:
    with tempfile.TemporaryFile() as fout, tempfile.TemporaryFile() as ferr:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=REPO, env=child_env(), stdout=fout, stderr=ferr)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        fout.seek(0), ferr.seek(0)
        out, err = fout.read().decode(errors="replace"), ferr.read().decode(errors="replace")
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"{' '.join(argv)} failed (exit {code}):\n{err[-3000:]}")
    return {"wall_s": wall, "peak_mib": usage.ru_maxrss / 1024, "stdout": out}


def _snnrun_rates(stdout: str, backend_dir: str) -> tuple[dict, dict]:
    folder = Path(re.search(r"^results: (.+)$", stdout, re.M).group(1).strip()) / backend_dir
    manifest = json.loads((folder / "manifest.json").read_text())
    return {p: v["rate_hz"] for p, v in manifest["populations"].items()}, manifest.get("wall_time", {})


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=0.1)
    ap.add_argument("--k-scale", type=float, default=1.0)
    ap.add_argument("--duration", default="1 s")
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--only", default="reference,pynn-nest,nest")
    ap.add_argument("--threads", type=int, default=1, help="NEST threads of the native script and of pynn:nest")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--background", choices=["poisson", "dc"], default="poisson",
                    help="external input (specs/make_microcircuit.py): Poisson trains (default) or dc")
    ap.add_argument("--initial", choices=["optimized", "original"], default="optimized",
                    help="initial v (specs/make_microcircuit.py)")
    ap.add_argument("--bounds", choices=["truncate", "clip"], default="truncate",
                    help="weight and delay bounds of the spec (specs/make_microcircuit.py); the native "
                         "script's delays follow (--delay-rule redraw or clip)")
    args = ap.parse_args()
    duration_ms = float(args.duration.split()[0]) * (1000.0 if args.duration.split()[1] == "s" else 1.0)
    tmp = Path(tempfile.mkdtemp(prefix="snnrun_mc_"))
    spec = tmp / "microcircuit.yaml"
    text = mc.spec(args.scale, args.k_scale, args.duration, "microcircuit", 55, expect=False,
                   background=args.background, initial=args.initial, bounds=args.bounds,
                   nest_threads=args.threads)  # pynn:nest on the same thread count as the native script
    spec.write_text(text)
    snnrun = str(BIN / "snnrun")
    # --force: the pre-run estimate (runner/estimate.py) is a guard for users; a benchmark measures what a
    # run really takes, also on a machine where other processes hold memory when it starts
    commands = {
        "reference": ([snnrun, str(spec), "--out", str(tmp / "out"), "--force"], "reference"),
        "pynn-nest": ([snnrun, str(spec), "--backend", "pynn:nest", "--out", str(tmp / "out"), "--force"],
                      "pynn-nest"),
        "nest": ([PY, "benchmarks/microcircuit_nest.py", "--scale", str(args.scale), "--k-scale", str(args.k_scale),
                  "--duration-ms", str(duration_ms), "--threads", str(args.threads),
                  "--background", args.background, "--initial", args.initial,
                  "--delay-rule", "redraw" if args.bounds == "truncate" else "clip"], None),
    }
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    info = machine_info()
    print(f"# Microcircuit, scale {args.scale:g}, k_scale {args.k_scale:g}, {args.duration}, "
          f"{args.background} background, {args.initial} initial v, {args.bounds} bounds\n")
    for k, v in info.items():
        print(f"- {k}: {v}")
    results = {}
    for name in names:
        argv, backend_dir = commands[name]
        runs = []
        for i in range(args.repeats):
            r = _run(argv)
            if backend_dir is None:
                r["rates"] = json.loads(re.search(r"^rates=(.+)$", r["stdout"], re.M).group(1))
            else:
                r["rates"], r["wall_time"] = _snnrun_rates(r["stdout"], backend_dir)
            del r["stdout"]
            runs.append(r)
            print(f"  {name} run {i + 1}: {r['wall_s']:.1f} s, {r['peak_mib']:.0f} MiB", flush=True)
        results[name] = {"median_s": statistics.median(r["wall_s"] for r in runs),
                         "median_peak_mib": statistics.median(r["peak_mib"] for r in runs), "runs": runs}
    print("\n| command | median wall s | peak MiB |")
    print("|---|---:|---:|")
    for name, s in results.items():
        print(f"| {name} | {s['median_s']:.1f} | {s['median_peak_mib']:.0f} |")
    print("\n| population | published (full scale) Hz | " + " | ".join(f"{n} Hz" for n in results) + " |")
    print("|---|---:|" + "---:|" * len(results))
    for pop, published in zip(mc.POPS, mc.FULL_RATES):
        cells = " | ".join(f"{s['runs'][0]['rates'][pop]:.3f}" for s in results.values())
        print(f"| {pop} | {published:.3f} | {cells} |")
    if args.json:
        args.json.write_text(json.dumps({"machine": info, "args": vars(args) | {"json": str(args.json)},
                                         "results": results}, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
