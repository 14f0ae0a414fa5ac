"""Write the cortical microcircuit of Potjans & Diesmann (2014), Cereb. Cortex 24:785, as a spec.

    python specs/make_microcircuit.py > specs/microcircuit.yaml                      # full scale
    python specs/make_microcircuit.py --scale 0.1 --name microcircuit_10 > mc10.yaml  # 10 % of the neurons

Eight populations (L2/3, L4, L5, L6; excitatory and inhibitory) of current-based LIF neurons with
exponential currents (NEST's ``iaf_psc_exp``: C 250 pF, tau_m 10 ms, tau_syn 0.5 ms, E_L = V_reset
-65 mV, V_th -50 mV, refractory 2 ms), the published connection
probability table turned into a number of synapses per projection (``fixed_total`` with multapses and
autapses, as in the model's NEST implementation), PSPs of 0.15 mV (0.30 mV for L4E -> L2/3E),
inhibitory weights -4 times the excitatory, weights normal with a relative sd of 10 % (bounded at 0 so
no synapse changes sign), delays normal with means 1.5 ms (E) and 0.75 ms (I) and a relative sd of 50 %,
bounded below at dt. The bounds are ``truncate`` (``--bounds truncate``, default): a value outside is
redrawn, as the model's NEST implementation does (``nest.math.redraw``); ``--bounds clip`` sets it to the
bound instead, which puts 4.2 % of the inhibitory and 3.1 % of the excitatory delays at exactly dt
(measured on native NEST at full scale, seed 55: L2/3E 0.873 Hz with clipped delays against 0.909 with
redrawn ones; README, "Benchmarks"). The weights' bounds are 10 sd away and never act.

Scaling (the model's own, in-degree preserving): ``--scale`` multiplies the neuron numbers and
``--k-scale`` the in-degrees, so a projection has ``scale * k_scale`` times its full-scale synapses.
With ``k_scale < 1`` the weights grow by ``1/sqrt(k_scale)`` and a dc current restores the mean input
lost, computed from the published full-scale rates (van Albada et al. 2015), as the NEST example does.

Initial v (``--initial``): ``optimized`` (default), normal with the population-specific means and
standard deviations of NEST's microcircuit example (its default ``V0_type``, chosen there to shorten the
burst at onset), or ``original``, normal(-58 mV, 10 mV) for every population (earlier implementations).
Measured on the reference at full scale with the original start, the burst lifts L2/3E's rate over the
first second by a third (README, "Benchmarks").

Background (default ``--background poisson``, the published variant): every neuron receives an
independent Poisson train of ``K_ext * 8 Hz`` (12-23 kHz) excitatory events of the external weight
``w_ext`` (the PSC of a 0.15 mV PSP), a ``poisson_input`` stimulus per population: several events per
step, as NEST's poisson_generator gives each target. It is not part of the drawn instance: each backend
draws it from the spec's seed (schema/semantics.md, "Poisson input"), so backends agree in their rates,
not spike for spike. ``--background dc`` writes the model's ``poisson_input: False`` variant instead: the
dc current of the same mean, ``bg_rate * K_ext * w * tau_syn``, which removes the input's fluctuations
(measured on the reference at full scale: L2/3E +38 %, the others -3..+16 % off the published rates).
``expect:`` holds the published rates (NEST's microcircuit example, Poisson background, full scale) with
a 20 % margin (another realisation of the network moves them by up to about 8 %), and the benchmark
(benchmarks/microcircuit.py) reports how far each backend is from them and from each other.
"""

from __future__ import annotations

import argparse
import math

import numpy as np

POPS = ["l23e", "l23i", "l4e", "l4i", "l5e", "l5i", "l6e", "l6i"]
N_FULL = np.array([20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948])
# connection probabilities, rows: target, columns: source (Potjans & Diesmann 2014, Table 5)
CONN_PROBS = np.array([
    [0.1009, 0.1689, 0.0437, 0.0818, 0.0323, 0.0, 0.0076, 0.0],
    [0.1346, 0.1371, 0.0316, 0.0515, 0.0755, 0.0, 0.0042, 0.0],
    [0.0077, 0.0059, 0.0497, 0.1350, 0.0067, 0.0003, 0.0453, 0.0],
    [0.0691, 0.0029, 0.0794, 0.1597, 0.0033, 0.0, 0.1057, 0.0],
    [0.1004, 0.0622, 0.0505, 0.0057, 0.0831, 0.3726, 0.0204, 0.0],
    [0.0548, 0.0269, 0.0257, 0.0022, 0.0600, 0.3158, 0.0086, 0.0],
    [0.0156, 0.0066, 0.0211, 0.0166, 0.0572, 0.0197, 0.0396, 0.2252],
    [0.0364, 0.0010, 0.0034, 0.0005, 0.0277, 0.0080, 0.0658, 0.1443]])
K_EXT = np.array([1600, 1500, 2100, 1900, 2000, 1900, 2900, 2100])  # external in-degrees
BG_RATE = 8.0  # Hz per external synapse
# full-scale rates (Hz) of NEST's microcircuit example (NEST 3, Poisson background, 1 s, scale 1);
# other realisations differ by up to about 8 % (its NEST 2 version: 0.971, 2.868, 4.746, 5.396, ...)
FULL_RATES = np.array([0.943, 3.026, 4.368, 5.882, 7.733, 8.664, 1.096, 7.851])
# initial v (mV): NEST's microcircuit example, V0_type "optimized" (per population) and "original"
V0_OPTIMIZED = (np.array([-68.28, -63.16, -63.33, -63.45, -63.11, -61.66, -66.72, -61.43]),
                np.array([5.36, 4.57, 4.74, 4.94, 4.94, 4.55, 5.46, 4.48]))
V0_ORIGINAL = (np.full(8, -58.0), np.full(8, 10.0))
C_M, TAU_M, TAU_SYN = 250.0, 10.0, 0.5  # pF, ms, ms
PSP_MEAN, G, W_REL_SD = 0.15, -4.0, 0.1  # mV, inhibitory/excitatory, relative sd of weights
DELAY_E, DELAY_I, DELAY_REL_SD = 1.5, 0.75, 0.5  # ms


def psc_per_psp(c_m: float, tau_m: float, tau_syn: float) -> float:
    """PSC amplitude (pA) that gives a PSP peak of 1 mV on the LIF membrane with exponential currents."""
    sub = 1.0 / (tau_syn - tau_m)
    pre = tau_m * tau_syn / c_m * sub
    frac = (tau_m / tau_syn) ** sub
    return 1.0 / (pre * (frac ** tau_m - frac ** tau_syn))


def full_synapses() -> np.ndarray:
    """Synapses per projection at full scale, from the probability of at least one synapse per pair."""
    prod = np.outer(N_FULL, N_FULL).astype(float)
    with np.errstate(divide="ignore"):
        return np.log(1.0 - CONN_PROBS) / np.log((prod - 1.0) / prod)


def build(scale: float, k_scale: float, background: str = "poisson"):
    """(sizes, synapse numbers [target, source], weight matrix pA, dc per population pA, external
    weight pA, external rate per neuron Hz); with a Poisson background the dc holds only the mean input
    that ``k_scale < 1`` takes away."""
    sizes = np.round(N_FULL * scale).astype(int)
    k_full = full_synapses()
    n_syn = np.round(k_full * scale * k_scale).astype(int)
    w_e = PSP_MEAN * psc_per_psp(C_M, TAU_M, TAU_SYN)
    w = np.tile([w_e, G * w_e], (8, 4))
    w[0, 2] *= 2.0  # L4E -> L2/3E: twice the PSP
    mean_bg = 0.001 * TAU_SYN * BG_RATE * K_EXT * w_e  # the background's mean current (pA)
    dc = mean_bg if background == "dc" else np.zeros(8)
    w_ext, bg_rate = w_e, BG_RATE * K_EXT
    if k_scale != 1.0:
        indegree = k_full / N_FULL[:, None]
        dc = dc + 0.001 * TAU_SYN * (1.0 - math.sqrt(k_scale)) * (w * indegree * FULL_RATES).sum(axis=1)
        w = w / math.sqrt(k_scale)
        if background == "poisson":  # external in-degree scaled like the others, its lost mean as dc
            dc = dc + (1.0 - math.sqrt(k_scale)) * mean_bg
            w_ext, bg_rate = w_e / math.sqrt(k_scale), BG_RATE * K_EXT * k_scale
    return sizes, n_syn, w, dc, w_ext, bg_rate


def initial_v(initial: str = "optimized") -> tuple[np.ndarray, np.ndarray]:
    """(mean, sd) of each population's initial v, mV."""
    return V0_OPTIMIZED if initial == "optimized" else V0_ORIGINAL


def spec(scale: float, k_scale: float, duration: str, name: str, seed: int, expect: bool,
         background: str = "poisson", initial: str = "optimized", bounds: str = "truncate",
         nest_threads: int = 1) -> str:
    """The spec's YAML text; ``nest_threads`` > 1 adds ``simulation.options."pynn:nest".threads``."""
    sizes, n_syn, w, dc, w_ext, bg_rate = build(scale, k_scale, background)
    v_mean, v_sd = initial_v(initial)
    lines = [
        f"# Potjans & Diesmann (2014) cortical microcircuit at scale {scale:g} (neurons) and k_scale {k_scale:g}",
        f"# (in-degrees), {background} background; generated by specs/make_microcircuit.py, which documents every "
        "choice.",
        "# Command: python specs/make_microcircuit.py"
        + (f" --scale {scale:g}" if scale != 1 else "") + (f" --k-scale {k_scale:g}" if k_scale != 1 else "")
        + (f" --duration '{duration}'" if duration != "1 s" else "") + (f" --name {name}" if name != "microcircuit" else "")
        + (" --background dc" if background == "dc" else "") + (" --initial original" if initial == "original" else "")
        + (" --bounds clip" if bounds == "clip" else "") + (f" --nest-threads {nest_threads}" if nest_threads > 1 else ""),
        'snnrun: "1.0"',
        f"name: {name}",
        f"description: Potjans & Diesmann 2014 cortical microcircuit, 8 populations, {background} background",
        f"seed: {seed}",
        f"simulation: {{duration: {duration}, dt: 0.1 ms"
        + (f', options: {{"pynn:nest": {{threads: {nest_threads}}}}}' if nest_threads > 1 else "") + "}",
        "models:",
    ]
    for i, pop in enumerate(POPS):
        lines.append(f"  {pop}_cell:")
        lines.append("    type: lif_curr_exp")
        lines.append(f"    params: {{cm: {C_M:g} pF, tau_m: {TAU_M:g} ms, v_rest: -65 mV, v_thresh: -50 mV, "
                     f"v_reset: -65 mV, tau_refrac: 2 ms, tau_syn_exc: {TAU_SYN:g} ms, tau_syn_inh: {TAU_SYN:g} ms, "
                     f"i_offset: {dc[i]:.6g} pA}}")
    lines.append("populations:")
    for i, pop in enumerate(POPS):
        lines.append(f"  {pop}: {{size: {sizes[i]}, model: {pop}_cell, "
                     f"initial: {{v: {{distribution: normal, mean: {v_mean[i]:g} mV, std: {v_sd[i]:g} mV}}}}}}")
    lines.append("projections:")
    for t, target in enumerate(POPS):
        for s, source in enumerate(POPS):
            if n_syn[t, s] == 0:
                continue
            exc = source.endswith("e")
            mean, delay = w[t, s], DELAY_E if exc else DELAY_I
            weight_bounds = f"[0 pA, {10 * mean:.6g} pA]" if exc else f"[{10 * mean:.6g} pA, 0 pA]"
            lines.append(
                f"  {source}_{target}: {{pre: {source}, post: {target}, "
                f"connect: {{rule: fixed_total, n: {n_syn[t, s]}, multapses: true}}, "
                f"synapse: {{receptor: {'exc' if exc else 'inh'}, "
                f"weight: {{distribution: normal, mean: {mean:.6g} pA, std: {abs(mean) * W_REL_SD:.6g} pA, "
                f"{bounds}: {weight_bounds}}}, "
                f"delay: {{distribution: normal, mean: {delay:g} ms, std: {delay * DELAY_REL_SD:g} ms, "
                f"{bounds}: [0.1 ms, {10 * delay:g} ms]}}}}}}")
    if background == "poisson":
        lines.append("stimuli:")
        lines += [f"  bg_{pop}: {{type: poisson_input, target: {{population: {pop}}}, receptor: exc, "
                  f"rate: {bg_rate[i]:.6g} Hz, weight: {w_ext:.6g} pA}}" for i, pop in enumerate(POPS)]
    lines.append("record:")
    lines += [f"  - {{population: {pop}, variable: spikes}}" for pop in POPS]
    if expect:
        lines.append("expect:")
        lines.append("  # the published full-scale rates (module doc of specs/make_microcircuit.py), 20 % margin")
        lines += [f"  - {{population: {pop}, metric: rate, between: [{0.8 * r:.3g} Hz, {1.2 * r:.3g} Hz]}}"
                  for pop, r in zip(POPS, FULL_RATES)]
    return "\n".join(lines) + "\n"


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0, help="fraction of the neurons (default 1)")
    ap.add_argument("--k-scale", type=float, default=1.0, help="fraction of the in-degrees (default 1)")
    ap.add_argument("--duration", default="1 s")
    ap.add_argument("--name", default="microcircuit")
    ap.add_argument("--seed", type=int, default=55)
    ap.add_argument("--expect", choices=["auto", "yes", "no"], default="auto",
                    help="the published rates as expect: blocks (auto: only at full scale)")
    ap.add_argument("--background", choices=["poisson", "dc"], default="poisson",
                    help="external input: a Poisson train per neuron (default) or its mean as a dc current")
    ap.add_argument("--initial", choices=["optimized", "original"], default="optimized",
                    help="initial v: NEST's per-population values (default) or normal(-58 mV, 10 mV) for all")
    ap.add_argument("--bounds", choices=["truncate", "clip"], default="truncate",
                    help="weights and delays outside their bounds: redrawn (default, as the model's NEST "
                         "implementation) or clipped to them")
    ap.add_argument("--nest-threads", type=int, default=1,
                    help="threads of the pynn:nest backend (simulation.options; default 1)")
    args = ap.parse_args(argv)
    expect = args.expect == "yes" or (args.expect == "auto" and args.scale == 1 and args.k_scale == 1)
    print(spec(args.scale, args.k_scale, args.duration, args.name, args.seed, expect, args.background,
               args.initial, args.bounds, args.nest_threads), end="")


if __name__ == "__main__":
    main()
