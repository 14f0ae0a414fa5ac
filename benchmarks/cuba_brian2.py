"""CUBA benchmark network, hand-written in idiomatic Brian2.

Network: Brette et al. (2007), J. Comput. Neurosci. 23:349-398, benchmark 2
("CUBA"), following Brian2's examples/CUBA.py but with the synaptic inputs
written as currents (ge, gi in amp). 4000 LIF neurons (3200 exc, 800 inh),
C 200 pF, tau_m 20 ms, E_l -49 mV, threshold -50 mV, reset -60 mV,
refractory 5 ms, tau_e 5 ms, tau_i 10 ms; Bernoulli connectivity p = 0.02
from every neuron to every neuron (self-connections allowed, no multapses);
current jumps +16.2 pA (exc) / -90 pA (inh), delay 0.1 ms; dt 0.1 ms;
v0 ~ U[-60, -50] mV; 1 s; no external input.
Prints: spikes=<N> rate_hz=<mean rate>
"""
import argparse
import os

from brian2 import (NeuronGroup, SpikeMonitor, Synapses, defaultclock, ms, mV,
                    pA, pF, prefs, run, second, seed, set_device)

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--codegen", choices=["cython", "numpy", "cpp_standalone"], default="cython")
parser.add_argument("--seed", type=int, default=12345)
args = parser.parse_args()

if args.codegen == "cpp_standalone":
    # Fixed per-user directory, so `make` reuses the compiled objects across runs.
    build_dir = os.path.join(os.path.expanduser("~"), ".cache", "snnrun-bench", "brian2_cuba")
    set_device("cpp_standalone", directory=build_dir, build_on_run=True)
else:
    prefs.codegen.target = args.codegen

seed(args.seed)
defaultclock.dt = 0.1 * ms
duration = 1 * second

C, tau_m, tau_e, tau_i = 200 * pF, 20 * ms, 5 * ms, 10 * ms
E_l, V_t, V_r = -49 * mV, -50 * mV, -60 * mV

eqs = """
dv/dt = (E_l - v)/tau_m + (ge + gi)/C : volt (unless refractory)
dge/dt = -ge/tau_e : amp
dgi/dt = -gi/tau_i : amp
"""
P = NeuronGroup(4000, eqs, threshold="v > V_t", reset="v = V_r",
                refractory=5 * ms, method="exact")
P.v = "V_r + rand() * (V_t - V_r)"
Pe, Pi = P[:3200], P[3200:]

Ce = Synapses(Pe, P, on_pre="ge += 16.2*pA", delay=0.1 * ms)
Ci = Synapses(Pi, P, on_pre="gi -= 90*pA", delay=0.1 * ms)
Ce.connect(p=0.02)
Ci.connect(p=0.02)

M = SpikeMonitor(P)
run(duration)

n_spikes = int(M.num_spikes)
print(f"spikes={n_spikes} rate_hz={n_spikes / len(P) / float(duration):.3f}")
