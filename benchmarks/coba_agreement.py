"""COBA on one drawn instance: each backend's population rates against the reference's, and the
reference's own spread under small shifts of the initial v (issue 9).

specs/coba.yaml (Brette et al. 2007 benchmark 1, 4000 conductance LIF) is chaotic: two backends'
spike trains part within the first few hundred ms, so only rates can agree, and the reference's own
rate moves with any perturbation of the initial state. This script runs the spec, lengthened to
--duration, on each backend one after the other (one simulation at a time, each in its worker
process, drawing the same instance from the same seed), then the reference again with every initial
v shifted by each of --shifts-uv (the ``mean`` of the spec's normal initial v changed, in both
populations: numpy draws mean + std z, so every drawn value moves alike; the connectivity, weights
and initial conductances are unchanged, which the script checks before running).

Before running, it also checks that the drawn instance does not depend on the duration: the
projections' pre, post, weight and delay arrays and every initial-state array of the spec at
--duration are compared with those of the spec at its own 1 s.

    python benchmarks/coba_agreement.py --duration "10 s" --json coba_10s.json
    python benchmarks/coba_agreement.py --duration "4 s" --backends reference,pynn:neuron --shifts-uv 10,-10

brian2 runs with cython code generation (``simulation.options.brian2.codegen``); if that run fails,
it is retried once with numpy and the table says which target ran. Wall seconds are measured around
``snnrun.run`` (worker process start, instance draw, simulation, writing the results); the
backend's own total from the manifest is printed next to it.
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import snnrun

REPO = Path(__file__).resolve().parent.parent
SPEC = REPO / "specs" / "coba.yaml"
POPULATIONS = ("exc", "inh")
DEFAULT_BACKENDS = "reference,pynn:neuron,pynn:nest,brian2,nengo"
DEFAULT_SHIFTS_UV = "10,-10,20,-20,50,-50"


def spec_overrides(duration: str, shift_uv: float = 0.0, brian2_codegen: str | None = None) -> dict:
    """Dotted-path overrides of specs/coba.yaml: the duration, every initial v shifted by ``shift_uv``
    (the normal distribution's mean), brian2's code generation target."""
    over: dict = {"simulation.duration": duration}
    if shift_uv:
        import yaml
        data = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
        for pop in POPULATIONS:
            v = dict(data["populations"][pop]["initial"]["v"])
            assert v.get("distribution") == "normal", f"{SPEC}: initial v of {pop} is not normal"
            number, unit = str(v["mean"]).split()
            assert unit == "mV", f"{SPEC}: initial v mean of {pop} in {unit}, expected mV"
            v["mean"] = f"{float(number) + shift_uv / 1000.0:.9g} mV"
            over[f"populations.{pop}.initial.v"] = v
    if brian2_codegen:
        over["simulation.options"] = {"brian2": {"codegen": brian2_codegen}}
    return over


def instance_arrays(spec) -> dict[str, np.ndarray]:
    inst = snnrun.instantiate(spec)
    arrays = {}
    for name, p in inst.projections.items():
        for field in ("pre", "post", "weight", "delay_steps"):
            arrays[f"projections.{name}.{field}"] = np.asarray(getattr(p, field))
    for name, pop in inst.populations.items():
        for var, values in pop.initial.items():
            arrays[f"populations.{name}.initial.{var}"] = np.asarray(values)
    return arrays


def check_instance(duration: str, shifts_uv: list[float]) -> dict:
    """Compare the instance at ``duration`` (and with each shift) with the spec's own (1 s)."""
    base = instance_arrays(snnrun.load_spec(SPEC))
    report = {"synapses": {k.split(".")[1]: int(v.size) for k, v in base.items() if k.endswith(".pre")}}
    longer = instance_arrays(snnrun.load_spec(SPEC, overrides=spec_overrides(duration)))
    same = sorted(base) == sorted(longer) and all(np.array_equal(base[k], longer[k]) for k in base)
    report["duration_identical"] = bool(same)
    report["duration_arrays_compared"] = len(base)
    report["shifts"] = {}
    for s in shifts_uv:
        shifted = instance_arrays(snnrun.load_spec(SPEC, overrides=spec_overrides(duration, s)))
        others_same = all(np.array_equal(base[k], shifted[k]) for k in base if not k.endswith("initial.v"))
        moves = np.concatenate([shifted[k] - base[k] for k in base if k.endswith("initial.v")])
        report["shifts"][s] = {"rest_identical": bool(others_same),
                               "v_shift_min_uv": float(moves.min() * 1e6), "v_shift_max_uv": float(moves.max() * 1e6)}
    return report


def rates(results, duration_s: float) -> dict[str, float]:
    spikes = results.spikes
    sizes = {name: p["size"] for name, p in results.manifest["populations"].items()}
    counts = spikes.groupby("population").size()
    return {pop: float(counts.get(pop, 0)) / (sizes[pop] * duration_s) for pop in POPULATIONS}


def spike_keys(results, dt: float) -> np.ndarray:
    """Every spike as one sortable integer: (population index, neuron, time step)."""
    sp = results.spikes
    pop = sp["population"].map({p: i for i, p in enumerate(POPULATIONS)}).to_numpy(np.int64)
    step = np.rint(sp["time"].to_numpy() / dt).astype(np.int64)
    return np.sort((pop << 58) | (sp["neuron"].to_numpy(np.int64) << 32) | step)


def first_difference(a: np.ndarray, b: np.ndarray, dt: float) -> float | None:
    """Time (s) of the earliest spike in one train set and not the other; None if identical."""
    if a.size == b.size and np.array_equal(a, b):
        return None
    odd = np.setxor1d(a, b)
    return float((odd & ((1 << 32) - 1)).min() * dt)


def run_one(backend: str, duration: str, shift_uv: float = 0.0, brian2_codegen: str | None = None) -> dict:
    spec = snnrun.load_spec(SPEC, overrides=spec_overrides(duration, shift_uv, brian2_codegen))
    out = tempfile.mkdtemp(prefix="snnrun_coba_agreement_")
    try:
        t0 = time.perf_counter()
        results = snnrun.run(spec, backend=backend, out=out)
        wall = time.perf_counter() - t0
        row = {"backend": backend, "shift_uv": shift_uv, "wall_s": wall, **rates(results, spec.simulation.duration),
               "spikes": {pop: int((results.spikes["population"] == pop).sum()) for pop in POPULATIONS},
               "backend_total_s": results.manifest["wall_time"].get("backend_total"),
               "versions": results.manifest.get("simulator_versions", {}),
               "keys": spike_keys(results, spec.simulation.dt), "dt": spec.simulation.dt}
    finally:
        shutil.rmtree(out, ignore_errors=True)
    if backend == "brian2":
        row["codegen"] = row["versions"].get("brian2-codegen", brian2_codegen)
    return row


def pct(value: float, ref: float) -> str:
    return f"{100.0 * (value - ref) / ref:+.2f} %"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].replace("\n", " "))
    ap.add_argument("--duration", default="10 s", help='simulation.duration override (default "10 s")')
    ap.add_argument("--backends", default=DEFAULT_BACKENDS, help=f"comma-separated (default {DEFAULT_BACKENDS})")
    ap.add_argument("--shifts-uv", default=DEFAULT_SHIFTS_UV,
                    help=f"initial-v shifts in uV for the reference's spread (default {DEFAULT_SHIFTS_UV}; "
                         "'' for none); the unshifted run is always a member")
    ap.add_argument("--json", type=Path, help="also write everything as JSON here")
    args = ap.parse_args(argv)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    shifts = [float(s) for s in args.shifts_uv.split(",") if s.strip()]
    if "reference" not in backends:
        backends.insert(0, "reference")

    print(f"# COBA agreement, specs/coba.yaml, duration {args.duration}, seed 1, dt 0.1 ms\n")
    check = check_instance(args.duration, shifts)
    print(f"- instance at {args.duration} against the spec's 1 s: "
          f"{'identical' if check['duration_identical'] else 'DIFFERENT'} "
          f"({check['duration_arrays_compared']} arrays: projections' pre, post, weight, delay_steps; "
          f"initial v, g_exc, g_inh); synapses {check['synapses']}")
    for s, c in check["shifts"].items():
        print(f"- shift {s:+g} uV: connectivity and initial g {'identical' if c['rest_identical'] else 'DIFFERENT'}, "
              f"initial v moved by {c['v_shift_min_uv']:.6f} .. {c['v_shift_max_uv']:.6f} uV")
    print()

    rows, failed = [], {}
    for backend in backends:
        print(f"running {backend} ...", flush=True)
        try:
            row = run_one(backend, args.duration, brian2_codegen="cython" if backend == "brian2" else None)
        except Exception as exc:  # noqa: BLE001 - report and go on with the other backends
            if backend != "brian2":
                failed[backend] = f"{type(exc).__name__}: {exc}"
                print(f"  FAILED: {failed[backend]}", flush=True)
                continue
            print(f"  cython failed ({type(exc).__name__}: {exc}); retrying with numpy", flush=True)
            try:
                row = run_one(backend, args.duration, brian2_codegen="numpy")
                row["cython_error"] = f"{type(exc).__name__}: {exc}"
            except Exception as exc2:  # noqa: BLE001
                failed[backend] = f"{type(exc2).__name__}: {exc2}"
                print(f"  FAILED: {failed[backend]}", flush=True)
                continue
        print(f"  {row['exc']:.4f} / {row['inh']:.4f} Hz, {row['wall_s']:.1f} s", flush=True)
        rows.append(row)

    ref = next((r for r in rows if r["backend"] == "reference"), None)
    for r in rows:
        r["first_difference_s"] = first_difference(r["keys"], ref["keys"], r["dt"]) if ref else None
    print(f"\n| backend | exc Hz | inh Hz | exc vs reference | inh vs reference | wall s | backend total s "
          f"| trains vs reference |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        name = r["backend"] + (f" ({r['codegen']})" if r.get("codegen") else "")
        d_exc = pct(r["exc"], ref["exc"]) if ref else "n/a"
        d_inh = pct(r["inh"], ref["inh"]) if ref else "n/a"
        total = f"{r['backend_total_s']:.1f}" if r["backend_total_s"] is not None else "?"
        trains = ("identical" if r["first_difference_s"] is None
                  else f"first differ at {1e3 * r['first_difference_s']:.1f} ms")
        print(f"| {name} | {r['exc']:.4f} | {r['inh']:.4f} | {d_exc} | {d_inh} | {r['wall_s']:.1f} | {total} "
              f"| {trains} |")
    for b, why in failed.items():
        print(f"\nfailed {b}: {why}")

    spread = []
    if shifts and ref:
        print(f"\nReference under initial-v shifts ({args.duration}):\n")
        for s in shifts:
            print(f"running reference, shift {s:+g} uV ...", flush=True)
            spread.append(run_one("reference", args.duration, shift_uv=s))
        members = [ref] + spread
        print("\n| shift uV | exc Hz | inh Hz | exc vs unshifted | inh vs unshifted | wall s | trains vs unshifted |")
        print("|---:|---:|---:|---:|---:|---:|---|")
        for r in members:
            r["first_difference_s"] = first_difference(r["keys"], ref["keys"], r["dt"])
            trains = ("identical" if r["first_difference_s"] is None
                      else f"first differ at {1e3 * r['first_difference_s']:.1f} ms")
            print(f"| {r['shift_uv']:+g} | {r['exc']:.4f} | {r['inh']:.4f} | {pct(r['exc'], ref['exc'])} "
                  f"| {pct(r['inh'], ref['inh'])} | {r['wall_s']:.1f} | {trains} |")
        summary = {}
        for pop in POPULATIONS:
            values = [r[pop] for r in members]
            mean, sd = statistics.mean(values), statistics.stdev(values)
            summary[pop] = {"mean": mean, "sd": sd, "min": min(values), "max": max(values), "n": len(values)}
        print(f"\nover {len(members)} members (unshifted and {len(shifts)} shifts):")
        for pop, s in summary.items():
            print(f"- {pop}: mean {s['mean']:.4f} Hz, sd {s['sd']:.4f} Hz ({100 * s['sd'] / s['mean']:.2f} %), "
                  f"range {s['min']:.4f} .. {s['max']:.4f}")
        print("\n| backend | exc vs spread mean | inh vs spread mean |")
        print("|---|---:|---:|")
        for r in rows:
            name = r["backend"] + (f" ({r['codegen']})" if r.get("codegen") else "")
            print(f"| {name} | {pct(r['exc'], summary['exc']['mean'])} | {pct(r['inh'], summary['inh']['mean'])} |")
    else:
        summary = {}

    for r in rows + spread:
        r.pop("keys", None)
    if args.json:
        doc = {"spec": str(SPEC.relative_to(REPO)), "duration": args.duration, "instance_check": check,
               "runs": rows, "failed": failed, "reference_shifts": spread, "reference_spread": summary}
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(doc, indent=2, default=str) + "\n")
        print(f"\nJSON written to {args.json}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
