"""The Potjans & Diesmann (2014) microcircuit, hand-written in native PyNEST, with the parameters of
specs/make_microcircuit.py (imported from it, so both describe one network): iaf_psc_exp, the
background as one poisson_generator per population at K_ext * 8 Hz connected to every neuron with
w_ext (NEST gives each target an independent train; the model's own implementation), or with
``--background dc`` its mean as I_e, initial v as ``--initial`` (specs/make_microcircuit.py), fixed_total_number with multapses and autapses, weights and delays normal and,
as in the model's own implementation, redrawn outside their bounds (``--delay-rule clip`` clips the
delays at them instead, as the spec does). NEST draws its own connectivity (seed --seed), so only
statistics compare.

    python benchmarks/microcircuit_nest.py [--scale 0.1] [--k-scale 1] [--duration-ms 1000] [--threads 1]
                                           [--background poisson|dc] [--initial optimized|original]
                                           [--seed 55] [--delay-rule redraw|clip]

Prints ``spikes=<N> rate_hz=<mean rate>`` and one JSON line ``rates={...}`` (Hz per population).
"""
import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("PYNEST_QUIET", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "specs"))
import make_microcircuit as mc  # noqa: E402
import nest  # noqa: E402

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument("--scale", type=float, default=0.1)
ap.add_argument("--k-scale", type=float, default=1.0)
ap.add_argument("--duration-ms", type=float, default=1000.0)
ap.add_argument("--threads", type=int, default=1)
ap.add_argument("--seed", type=int, default=55)
ap.add_argument("--background", choices=["poisson", "dc"], default="poisson")
ap.add_argument("--initial", choices=["optimized", "original"], default="optimized")
ap.add_argument("--delay-rule", choices=["redraw", "clip"], default="redraw",
                help="delays outside [0.1 ms, 10 x mean]: redrawn (the model's own) or clipped (the spec's)")
args = ap.parse_args()

if hasattr(nest, "VerbosityLevel"):
    nest.verbosity = nest.VerbosityLevel.ERROR
else:
    nest.set_verbosity("M_ERROR")
nest.ResetKernel()
nest.set(resolution=0.1, local_num_threads=args.threads, rng_seed=args.seed)

sizes, n_syn, w, dc, w_ext, bg_rate = mc.build(args.scale, args.k_scale, args.background)
v_mean, v_sd = mc.initial_v(args.initial)
pops = []
for i, size in enumerate(sizes):
    pop = nest.Create("iaf_psc_exp", int(size), params=dict(
        C_m=mc.C_M, tau_m=mc.TAU_M, E_L=-65.0, V_th=-50.0, V_reset=-65.0, t_ref=2.0,
        tau_syn_ex=mc.TAU_SYN, tau_syn_in=mc.TAU_SYN, I_e=float(dc[i])))
    pop.V_m = nest.random.normal(mean=float(v_mean[i]), std=float(v_sd[i]))
    pops.append(pop)
    if args.background == "poisson":
        generator = nest.Create("poisson_generator", params={"rate": float(bg_rate[i])})
        nest.Connect(generator, pop, syn_spec={"weight": float(w_ext), "delay": 0.1})


def delays(value, low, high):
    if args.delay_rule == "clip":
        return nest.math.min(nest.math.max(value, low), high)
    return nest.math.redraw(value, min=low, max=high)


for t in range(8):
    for s in range(8):
        if n_syn[t, s] == 0:
            continue
        exc = s % 2 == 0
        mean, delay = float(w[t, s]), mc.DELAY_E if exc else mc.DELAY_I
        weight = nest.math.redraw(nest.random.normal(mean=mean, std=abs(mean) * mc.W_REL_SD),
                                  min=0.0 if exc else 10 * mean, max=10 * mean if exc else 0.0)
        # a copy of static_synapse per projection: NEST 3 holds at most 134,217,726 connections per
        # virtual process and synapse model, and the full scale has 3e8 on one thread
        model = f"static_{t}_{s}"
        nest.CopyModel("static_synapse", model)
        nest.Connect(pops[s], pops[t],
                     dict(rule="fixed_total_number", N=int(n_syn[t, s]), allow_autapses=True, allow_multapses=True),
                     dict(synapse_model=model, weight=weight,
                          delay=delays(nest.random.normal(mean=delay, std=delay * mc.DELAY_REL_SD), 0.1, 10 * delay)))
recorders = [nest.Create("spike_recorder") for _ in pops]
for pop, rec in zip(pops, recorders):
    nest.Connect(pop, rec)
nest.Simulate(args.duration_ms)

seconds = args.duration_ms / 1000.0
rates = {name: rec.n_events / len(pop) / seconds for name, pop, rec in zip(mc.POPS, pops, recorders)}
total = sum(rec.n_events for rec in recorders)
print(f"spikes={total} rate_hz={total / sum(len(p) for p in pops) / seconds:.3f}")
print("rates=" + json.dumps(rates))
