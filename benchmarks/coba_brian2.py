"""COBA benchmark network, hand-written in idiomatic Brian2.

Network: Brette et al. (2007), J. Comput. Neurosci. 23:349-398, benchmark 1 ("COBA"), as in
specs/coba.yaml: 4000 LIF neurons (3200 exc, 800 inh), C 200 pF, g_L 10 nS, E_L -60 mV, threshold
-50 mV, reset -60 mV, refractory 5 ms, E_e 0 mV, E_i -80 mV, tau_e 5 ms, tau_i 10 ms; Bernoulli
connectivity p = 0.02 (self-connections allowed, no multapses); conductance jumps 6 nS (exc) and
67 nS (inh), delay 0.1 ms; dt 0.1 ms; v ~ N(-65, 5) mV, g_e ~ N(40, 15) nS, g_i ~ N(200, 120) nS
(clipped at 0); 1 s; no external input. Integration: Brian2's 'euler' (what its automatic choice
takes for these equations, and what its COBA examples use).
Prints: spikes=<N> rate_hz=<mean rate>
"""
import argparse
import os

from brian2 import (NeuronGroup, SpikeMonitor, Synapses, defaultclock, ms, mV, nS, pF, prefs, run, second,
                    seed, set_device)

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--codegen", choices=["cython", "numpy", "cpp_standalone"], default="cython")
parser.add_argument("--seed", type=int, default=12345)
args = parser.parse_args()

if args.codegen == "cpp_standalone":
    build_dir = os.path.join(os.path.expanduser("~"), ".cache", "snnrun-bench", "brian2_coba")
    set_device("cpp_standalone", directory=build_dir, build_on_run=True)
else:
    prefs.codegen.target = args.codegen

seed(args.seed)
defaultclock.dt = 0.1 * ms
duration = 1 * second

C, g_L, E_L, V_t, V_r = 200 * pF, 10 * nS, -60 * mV, -50 * mV, -60 * mV
E_e, E_i, tau_e, tau_i = 0 * mV, -80 * mV, 5 * ms, 10 * ms

eqs = """
dv/dt = (g_L*(E_L - v) + ge*(E_e - v) + gi*(E_i - v))/C : volt (unless refractory)
dge/dt = -ge/tau_e : siemens
dgi/dt = -gi/tau_i : siemens
"""
P = NeuronGroup(4000, eqs, threshold="v > V_t", reset="v = V_r", refractory=5 * ms, method="euler")
P.v = "-65*mV + 5*mV*randn()"
P.ge = "clip(40*nS + 15*nS*randn(), 0*nS, 1000*nS)"
P.gi = "clip(200*nS + 120*nS*randn(), 0*nS, 2000*nS)"
Pe, Pi = P[:3200], P[3200:]

Ce = Synapses(Pe, P, on_pre="ge += 6*nS", delay=0.1 * ms)
Ci = Synapses(Pi, P, on_pre="gi += 67*nS", delay=0.1 * ms)
Ce.connect(p=0.02)
Ci.connect(p=0.02)

M = SpikeMonitor(P)
run(duration)

n_spikes = int(M.num_spikes)
print(f"spikes={n_spikes} rate_hz={n_spikes / len(P) / float(duration):.3f}")
