"""How much of the microcircuit's population rates is the Poisson background's draw: one drawn network
instance, run on the reference engine with several seeds of its ``poisson_input`` streams.

    python benchmarks/microcircuit_seeds.py [--scale 1] [--seeds 55,56,57] [--duration "1 s"]
                                            [--bounds truncate|clip] [--json out.json]

The network (connectivity, weights, delays, initial v) is drawn once from seed 55, as in
benchmarks/microcircuit.py; for each seed the instance's master seed is then replaced, which changes only
the streams drawn while the engine runs (the Poisson counts, ``stream(seed, "poisson_input", ...)``).
Prints each population's rate per seed, their mean, range and the mean's deviation from the published
full-scale rate (specs/make_microcircuit.py). At full scale a run holds about 5 GiB and takes about
80 s of loop on this machine type.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "specs"))
import make_microcircuit as mc  # noqa: E402

from snnrun.adapters.reference.adapter import ReferenceAdapter  # noqa: E402
from snnrun.instance import instantiate  # noqa: E402
from snnrun.schema.loader import load_spec  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--k-scale", type=float, default=1.0)
    ap.add_argument("--duration", default="1 s")
    ap.add_argument("--seeds", default="55,56,57")
    ap.add_argument("--bounds", choices=["truncate", "clip"], default="truncate",
                    help="weight and delay bounds (specs/make_microcircuit.py)")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    path = Path(tempfile.mkdtemp(prefix="snnrun_mc_seeds_")) / "microcircuit.yaml"
    path.write_text(mc.spec(args.scale, args.k_scale, args.duration, "microcircuit", 55, expect=False,
                            bounds=args.bounds))
    spec = load_spec(path)
    t0 = time.perf_counter()
    inst = instantiate(spec)
    print(f"drawn in {time.perf_counter() - t0:.1f} s (seed 55)", flush=True)
    seconds = spec.simulation.duration
    rates = {}
    for seed in seeds:
        inst.seed = seed  # the Poisson streams only: the network above is already drawn
        t0 = time.perf_counter()
        out = ReferenceAdapter().run(inst)
        rates[seed] = [out.spikes[p][0].size / inst.populations[p].size / seconds for p in mc.POPS]
        print(f"seed {seed}: {time.perf_counter() - t0:.1f} s, "
              + ", ".join(f"{p} {r:.3f}" for p, r in zip(mc.POPS, rates[seed])), flush=True)
    table = np.array([rates[s] for s in seeds])
    print("\n| population | published Hz | " + " | ".join(f"seed {s}" for s in seeds)
          + " | mean | range | mean vs published |")
    print("|---|---:|" + "---:|" * (len(seeds) + 3))
    for i, (pop, published) in enumerate(zip(mc.POPS, mc.FULL_RATES)):
        col = table[:, i]
        print(f"| {pop} | {published:.3f} | " + " | ".join(f"{r:.3f}" for r in col)
              + f" | {col.mean():.3f} | {col.min():.3f}-{col.max():.3f} | {100 * (col.mean() / published - 1):+.1f} % |")
    if args.json:
        args.json.write_text(json.dumps({"args": vars(args) | {"json": str(args.json)},
                                         "rates": {str(s): dict(zip(mc.POPS, rates[s])) for s in seeds}}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
