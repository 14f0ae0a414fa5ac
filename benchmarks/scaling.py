"""Reference-engine cost against network size: CUBA at three sizes with a fixed in-degree of 80 per
population pair (as CUBA's p = 0.02 gives at 4000 neurons), so synapses and spikes grow linearly with N.

Each size runs in a fresh process (whole-process wall time and that process' peak RSS via os.wait4);
the table shows time per synapse-event and bytes per synapse, which must stay flat if the cost is linear.
"bytes per synapse" is the peak RSS above the smallest size's, per synapse added: everything that grows
with the network (the drawn instance, the engine's rows and ring buffers, the drawing's transients,
per-neuron state) divided by the synapses only, so it is an upper bound of the per-synapse cost.
Usage: python benchmarks/scaling.py [--sizes 2000,8000,32000] [--repeats 3] [--kernel auto|numba|numpy]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SPEC = """snnrun: "1.0"
name: cuba_scaled
seed: 1
simulation: {{duration: 1 s, dt: 0.1 ms, options: {{reference: {{kernel: {kernel}}}}}}}
models:
  cell:
    type: lif_curr_exp
    params: {{cm: 0.2 nF, tau_m: 20 ms, v_rest: -49 mV, v_thresh: -50 mV, v_reset: -60 mV,
             tau_refrac: 5 ms, tau_syn_exc: 5 ms, tau_syn_inh: 10 ms}}
populations:
  exc: {{size: {ne}, model: cell, initial: {{v: {{distribution: uniform, low: -60 mV, high: -50 mV}}}}}}
  inh: {{size: {ni}, model: cell, initial: {{v: {{distribution: uniform, low: -60 mV, high: -50 mV}}}}}}
projections:
  ee: {{pre: exc, post: exc, connect: {{rule: fixed_indegree, n: 64}}, synapse: {{receptor: exc, weight: 16.2 pA}}}}
  ei: {{pre: exc, post: inh, connect: {{rule: fixed_indegree, n: 64}}, synapse: {{receptor: exc, weight: 16.2 pA}}}}
  ie: {{pre: inh, post: exc, connect: {{rule: fixed_indegree, n: 16}}, synapse: {{receptor: inh, weight: -90 pA}}}}
  ii: {{pre: inh, post: inh, connect: {{rule: fixed_indegree, n: 16}}, synapse: {{receptor: inh, weight: -90 pA}}}}
"""


def run_once(spec: Path, out: Path) -> dict:
    snnrun = str(Path(sys.executable).with_name("snnrun"))
    start = time.perf_counter()
    proc = subprocess.Popen([snnrun, str(spec), "--out", str(out), "--quiet"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    stdout = proc.stdout.read()
    if status != 0:
        raise SystemExit(f"snnrun failed: {proc.stderr.read()}")
    manifest = json.loads((Path(stdout.strip()) / "reference" / "manifest.json").read_text())
    spikes = sum(p["spikes"] for p in manifest["populations"].values())
    return {"wall": wall, "peak_mib": usage.ru_maxrss / 1024, "spikes": spikes, "synapses": manifest["synapses"],
            "run": manifest["wall_time"]["run"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="2000,8000,32000")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--kernel", default="auto", choices=["auto", "numba", "numpy"])
    args = ap.parse_args()
    print("| neurons | synapses | spikes | whole process s (median) | engine loop s | loop ns per synapse event "
          "| peak MiB | peak bytes per synapse (whole process) | bytes per synapse above the smallest run |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    base = None
    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(s) for s in args.sizes.split(",")):
            spec = Path(tmp) / f"cuba_{n}.yaml"
            spec.write_text(SPEC.format(ne=n * 4 // 5, ni=n // 5, kernel=args.kernel))
            runs = [run_once(spec, Path(tmp) / "out") for _ in range(args.repeats)]
            med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
            events = med["spikes"] * 80  # every spike reaches 80 targets on average
            if base is None:
                base = med
            extra = ((med["peak_mib"] - base["peak_mib"]) * 2**20 / (med["synapses"] - base["synapses"])
                     if med["synapses"] > base["synapses"] else float("nan"))
            print(f"| {n} | {int(med['synapses'])} | {int(med['spikes'])} | {med['wall']:.2f} | {med['run']:.2f} "
                  f"| {med['run'] / max(events, 1) * 1e9:.0f} | {med['peak_mib']:.0f} "
                  f"| {med['peak_mib'] * 2**20 / med['synapses']:.0f} | {extra:.1f} |", flush=True)


if __name__ == "__main__":
    main()
