"""Song, Miller & Abbott (2000) on the reference engine for the full 100 s of specs/song_miller_abbott.yaml,
and the bimodality of the final weights; with --brian2, Brian2's own example of the same network
(benchmarks/song_miller_abbott_brian2.py) too, for comparison.

Prints the number of weights in each tenth of [w_min, w_max], the share in the lowest and in the
highest tenth, and whether the distribution is bimodal in two senses: the two outer tenths are the two
fullest (a U-shaped histogram), and the stricter "over 25 % in each outer tenth" of
../shared/design/benchmarks.md.

    python benchmarks/song_miller_abbott.py [--duration 100] [--brian2]
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent


def verdict(name: str, tenths: np.ndarray, wall: float, rate: float) -> None:
    share = tenths / tenths.sum()
    u_shaped = set(np.argsort(tenths)[-2:]) == {0, 9}
    print(f"| {name} | {', '.join(str(int(c)) for c in tenths)} | {100 * share[0]:.1f} % | {100 * share[-1]:.1f} % "
          f"| {'yes' if u_shaped else 'no'} | {'yes' if min(share[0], share[-1]) > 0.25 else 'no'} "
          f"| {rate:.2f} | {wall:.1f} |")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=float, default=100.0, help="simulated seconds")
    ap.add_argument("--brian2", action="store_true", help="also run Brian2's own example")
    args = ap.parse_args()
    from snnrun.adapters.reference.adapter import ReferenceAdapter
    from snnrun.instance import instantiate
    from snnrun.schema.loader import load_spec

    spec = load_spec(REPO / "specs" / "song_miller_abbott.yaml", overrides={"simulation.duration": f"{args.duration} s"})
    rule = spec.projections["plastic"].synapse.plasticity
    t0 = time.perf_counter()
    out = ReferenceAdapter().run(instantiate(spec))
    wall = time.perf_counter() - t0
    w = (out.final_weights["plastic"].values[-1] - rule.w_min) / (rule.w_max - rule.w_min)
    print(f"# Song, Miller & Abbott, {args.duration:g} s\n")
    print("| run | weights per tenth of [w_min, w_max] | lowest tenth | highest tenth | outer tenths fullest "
          "| both over 25 % | post rate Hz | wall s |")
    print("|---|---|---:|---:|---|---|---:|---:|")
    verdict("snnrun reference", np.histogram(w, bins=10, range=(0, 1))[0], wall,
            out.spikes["neuron"][0].size / args.duration)
    if args.brian2:
        for extra, name in (([], "Brian2 example (driving force Ee - vr)"), (["--conductance"], "Brian2, Ee - v")):
            t0 = time.perf_counter()
            text = subprocess.run([sys.executable, str(REPO / "benchmarks" / "song_miller_abbott_brian2.py"),
                                   "--duration", str(args.duration), *extra], capture_output=True, text=True,
                                  check=True).stdout
            wall = time.perf_counter() - t0
            fields = dict(part.split("=") for line in text.splitlines() for part in line.split() if "=" in part)
            verdict(name, np.array([int(c) for c in fields["tenths"].split(",")]), wall, float(fields["rate_hz"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
