"""Song, Miller & Abbott (2000) on the reference engine for specs/song_miller_abbott.yaml (its 1000 s, or
--duration), and the bimodality of the final weights; with --brian2, Brian2's own example of the same
network at the spec's a_plus (benchmarks/song_miller_abbott_brian2.py) too, for comparison; with
--backends, snnrun's other backends on the same drawn instance, each with the Kolmogorov-Smirnov
distance of its final weights from the reference engine's (scipy.stats.ks_2samp; issue 10 asks at
most 0.05) and the largest relative difference of a synapse's final weight.

Prints the number of weights in each tenth of [w_min, w_max], the share in the lowest and in the
highest tenth, and whether the distribution is bimodal in two senses: the two outer tenths are the two
fullest (a U-shaped histogram), and the stricter "over 25 % in each outer tenth" of
../shared/design/benchmarks.md.

    python benchmarks/song_miller_abbott.py [--duration 1000] [--brian2] [--backends brian2,nengo]
                                            [--codegen cython]
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
    ap.add_argument("--duration", type=float, default=None, help="simulated seconds (default: the spec's)")
    ap.add_argument("--brian2", action="store_true", help="also run Brian2's own example")
    ap.add_argument("--backends", default="", help="snnrun backends to run on the same instance, comma-separated")
    ap.add_argument("--codegen", default="cython", help="brian2 backend's code generation target")
    args = ap.parse_args()
    from snnrun.adapters.reference.adapter import ReferenceAdapter
    from snnrun.instance import instantiate
    from snnrun.schema.loader import load_spec

    overrides = {"simulation.options": {"brian2": {"codegen": args.codegen}}}
    if args.duration is not None:
        overrides["simulation.duration"] = f"{args.duration} s"
    spec = load_spec(REPO / "specs" / "song_miller_abbott.yaml", overrides=overrides)
    args.duration = float(spec.simulation.duration)
    rule = spec.projections["plastic"].synapse.plasticity
    instance = instantiate(spec)
    t0 = time.perf_counter()
    out = ReferenceAdapter().run(instance)
    wall = time.perf_counter() - t0
    w = (out.final_weights["plastic"].values[-1] - rule.w_min) / (rule.w_max - rule.w_min)
    print(f"# Song, Miller & Abbott, {args.duration:g} s\n")
    print("| run | weights per tenth of [w_min, w_max] | lowest tenth | highest tenth | outer tenths fullest "
          "| both over 25 % | post rate Hz | wall s |")
    print("|---|---|---:|---:|---|---|---:|---:|")
    verdict("snnrun reference", np.histogram(w, bins=10, range=(0, 1))[0], wall,
            out.spikes["neuron"][0].size / args.duration)
    others = {}
    for backend in filter(None, args.backends.split(",")):
        from scipy.stats import ks_2samp

        from snnrun.adapters.registry import get_adapter
        t0 = time.perf_counter()
        other = get_adapter(backend).run(instance)
        others[backend] = (other, time.perf_counter() - t0)
        w_b = (other.final_weights["plastic"].values[-1] - rule.w_min) / (rule.w_max - rule.w_min)
        verdict(f"snnrun {backend}", np.histogram(w_b, bins=10, range=(0, 1))[0], others[backend][1],
                other.spikes["neuron"][0].size / args.duration)
    for backend, (other, _wall) in others.items():
        w_ref, w_b = out.final_weights["plastic"].values[-1], other.final_weights["plastic"].values[-1]
        same = np.array_equal(out.spikes["neuron"][1], other.spikes["neuron"][1])
        ks = ks_2samp(w_ref, w_b).statistic
        print(f"\n{backend}: KS distance from the reference {ks:.4g}, largest relative "
              f"difference of a final weight {np.max(np.abs(w_b - w_ref)) / rule.w_max:.3g} of w_max, post spikes "
              f"{'identical' if same else 'different'} ({other.spikes['neuron'][0].size} vs {out.spikes['neuron'][0].size})")
    if args.brian2:
        for extra, name in (([], "Brian2 example (driving force Ee - vr)"), (["--conductance"], "Brian2, Ee - v")):
            t0 = time.perf_counter()
            text = subprocess.run([sys.executable, str(REPO / "benchmarks" / "song_miller_abbott_brian2.py"),
                                   "--duration", str(args.duration), "--a-plus", str(rule.a_plus), *extra],
                                  capture_output=True, text=True, check=True).stdout
            wall = time.perf_counter() - t0
            fields = dict(part.split("=") for line in text.splitlines() for part in line.split() if "=" in part)
            verdict(name, np.array([int(c) for c in fields["tenths"].split(",")]), wall, float(fields["rate_hz"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
