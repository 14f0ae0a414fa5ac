"""The whole-process benchmark harness shared by bench_cuba.py, bench_coba.py and bench_cobahh.py.

Each command is run as a separate process: one untimed warm-up run each (pays Brian2's compile cache
and NEST's first import), then --repeats timed runs, interleaved (A B C A B C ...). Wall time is
time.perf_counter() around Popen .. os.wait4(); peak RSS is the child's ru_maxrss from wait4 (on Linux
the largest of the child and of any descendant it waited for, not a sum). MPI launcher variables
(PMIX_*, PMI_*, OMPI_*) are stripped from the child environment, since NEST can exit with 127 when it
sees them, and so is PYTHONDONTWRITEBYTECODE (the warm-up run writes bytecode caches, as any install
has them). A command prints ``spikes=<N> rate_hz=<rate>``, or is an ``snnrun`` run whose manifest has
the counts.
"""
from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PY = sys.executable
MPI_PREFIXES = ("PMIX_", "PMI_", "OMPI_")
RESULT_RE = re.compile(r"spikes=(\d+)\s+rate_hz=([0-9.eE+-]+)")


def child_env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(MPI_PREFIXES)}
    env["PYNEST_QUIET"] = "1"
    # bytecode caches as on an ordinary install (pip compiles a wheel's modules, an editable install
    # writes them on first import): with PYTHONDONTWRITEBYTECODE set, as in some sandboxes, every run of
    # a source checkout would recompile its modules (about 0.15 s for snnrun) while the simulators' own
    # installed modules have theirs; the warm-up run writes them
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def run_once(argv: list[str]) -> dict:
    """Run one command to completion; return wall s, peak MiB, exit code, output."""
    out_dir = tempfile.mkdtemp(prefix="snnrun_bench_")
    argv = [a.replace("{out}", out_dir) for a in argv]
    with tempfile.TemporaryFile() as fout, tempfile.TemporaryFile() as ferr:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=REPO, env=child_env(), stdout=fout, stderr=ferr)
        _, status, rusage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)  # we reaped it, not Popen
        fout.seek(0), ferr.seek(0)
        stdout, stderr = fout.read().decode(errors="replace"), ferr.read().decode(errors="replace")
    spikes, rate = _snnrun_spikes(stdout)
    shutil.rmtree(out_dir, ignore_errors=True)
    m = RESULT_RE.search(stdout)
    if m:
        spikes, rate = int(m.group(1)), float(m.group(2))
    return {"wall_s": wall, "peak_mib": rusage.ru_maxrss / 1024.0, "returncode": proc.returncode,
            "spikes": spikes, "rate_hz": rate, "stderr_tail": stderr[-2000:]}


def _snnrun_spikes(stdout: str) -> tuple[int | None, float | None]:
    """Total spikes and mean rate (Hz) from the manifest of the run an ``snnrun`` command printed."""
    m = re.search(r"^results: (.+)$", stdout, re.M)
    if not m:
        return None, None
    for manifest in Path(m.group(1).strip()).glob("*/manifest.json"):
        pops = json.loads(manifest.read_text())["populations"].values()
        spikes = sum(p["spikes"] for p in pops)
        return spikes, sum(p["rate_hz"] * p["size"] for p in pops) / sum(p["size"] for p in pops)
    return None, None


def machine_info() -> dict:
    def version(dist):
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            return None

    cpu = platform.processor() or ""
    try:
        cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"platform": platform.platform(), "cpu": cpu, "cpu_count": os.cpu_count(),
            "python": platform.python_version(), "nest-simulator": version("nest-simulator"),
            "brian2": version("brian2"), "numpy": version("numpy"), "snnrun": version("snnrun")}


def summarise(runs: list[dict]) -> dict:
    walls = [r["wall_s"] for r in runs]
    spikes = sorted({r["spikes"] for r in runs if r["spikes"] is not None})
    return {"median_s": statistics.median(walls), "min_s": min(walls), "max_s": max(walls),
            "median_peak_mib": statistics.median(r["peak_mib"] for r in runs),
            "spikes": spikes, "rate_hz": sorted({r["rate_hz"] for r in runs if r["rate_hz"] is not None})}


def main(title: str, commands: dict, description: str, argv=None) -> int:
    """Run the benchmark of ``commands`` (name -> (argv, paths that must exist)) from the command line
    ``argv``; ``title`` heads the printed report."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--only", help="comma-separated command names (default: all of %s)" % ", ".join(commands))
    ap.add_argument("--baseline", default="nest", help="command the ratio column is relative to")
    ap.add_argument("--json", type=Path, help="also write the results as JSON here")
    args = ap.parse_args(argv)

    names = list(commands) if not args.only else [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = [n for n in names if n not in commands]
    if unknown:
        ap.error(f"unknown command(s) {unknown}; known: {list(commands)}")

    info = machine_info()
    print(f"# {title}\n")
    for k, v in info.items():
        print(f"- {k}: {v}")
    print(f"- repeats: {args.repeats} timed runs per command, interleaved; cwd {REPO}\n")

    skipped, failed = {}, {}
    active = []
    for name in names:
        missing = [p for p in commands[name][1] if not (REPO / p).exists()]
        if missing:
            skipped[name] = f"missing {', '.join(missing)}"
            print(f"SKIP {name}: missing {', '.join(missing)}")
        else:
            active.append(name)

    def dropped(name: str, r: dict) -> bool:
        """A command that exits non-zero is reported once and dropped from the rest of the benchmark."""
        if r["returncode"] == 0:
            return False
        failed[name] = r["stderr_tail"]
        print(f"FAIL {name} (exit {r['returncode']}), dropping it. stderr tail:\n{r['stderr_tail']}")
        active.remove(name)
        return True

    print("Warm-up: one untimed run of each command (compile caches, first imports)")
    for name in list(active):
        r = run_once(commands[name][0])
        print(f"  warm-up {name}: {r['wall_s']:.2f} s, exit {r['returncode']}, spikes={r['spikes']}")
        dropped(name, r)

    runs = {name: [] for name in active}
    for i in range(args.repeats):
        for name in list(active):
            r = run_once(commands[name][0])
            print(f"  run {i + 1}/{args.repeats} {name}: {r['wall_s']:.2f} s, {r['peak_mib']:.0f} MiB")
            if dropped(name, r):
                del runs[name]
                continue
            runs[name].append(r)

    summary = {name: summarise(rs) for name, rs in runs.items() if rs}
    base = summary.get(args.baseline)
    print(f"\n| command | median wall s | min s | max s | median peak MiB | x {args.baseline} (median) | spikes |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for name, s in summary.items():
        s["ratio_vs_baseline"] = s["median_s"] / base["median_s"] if base else None
        ratio = f"{s['ratio_vs_baseline']:.2f}" if base else "n/a"
        spikes = ", ".join(map(str, s["spikes"])) or "?"
        print(f"| {name} | {s['median_s']:.2f} | {s['min_s']:.2f} | {s['max_s']:.2f} "
              f"| {s['median_peak_mib']:.0f} | {ratio} | {spikes} |")
    if not base:
        print(f"\n(baseline '{args.baseline}' was not run, so no ratios)")
    for name, why in skipped.items():
        print(f"\nskipped {name}: {why}")
    for name in failed:
        print(f"\nfailed {name}")

    if args.json:
        doc = {"machine": info, "repeats": args.repeats, "baseline": args.baseline, "warmup_runs": 1,
               "commands": {n: commands[n][0] for n in names}, "summary": summary,
               "runs": {n: [{k: v for k, v in r.items() if k != "stderr_tail"} for r in rs]
                        for n, rs in runs.items()},
               "skipped": skipped, "failed": failed}
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(doc, indent=2) + "\n")
        print(f"\nJSON written to {args.json}")
    return 1 if failed else 0


