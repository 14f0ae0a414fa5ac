"""COBAHH benchmark network, hand-written in idiomatic Brian2 (after Brian2's examples/COBAHH.py).

Network: Brette et al. (2007), J. Comput. Neurosci. 23:349-398, benchmark 3 ("COBAHH"), as in
specs/cobahh.yaml: 4000 Traub-Miles HH neurons (3200 exc, 800 inh), area 20000 um2 (C 200 pF, g_L
10 nS, g_Na 20 uS, g_K 6 uS), E_L -60 mV, E_K -90 mV, E_Na 50 mV, V_T -63 mV, E_e 0 mV, E_i -80 mV,
tau_e 5 ms, tau_i 10 ms; Bernoulli connectivity p = 0.02; conductance jumps 6 nS and 67 nS, delay
0.1 ms; dt 0.1 ms; v ~ N(-65, 5) mV, g_e ~ N(40, 15) nS, g_i ~ N(200, 120) nS (clipped at 0), gates
at their steady state; 1 s. Integration: 'exponential_euler' and the threshold 'v > -20*mV' with a
3 ms refractory period, as Brian2's example.
Prints: spikes=<N> rate_hz=<mean rate>
"""
import argparse
import os

from brian2 import (NeuronGroup, SpikeMonitor, Synapses, defaultclock, mV, ms, nS, pF, prefs, run, second, seed,
                    set_device, uS)

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--codegen", choices=["cython", "numpy", "cpp_standalone"], default="cython")
parser.add_argument("--seed", type=int, default=12345)
args = parser.parse_args()

if args.codegen == "cpp_standalone":
    build_dir = os.path.join(os.path.expanduser("~"), ".cache", "snnrun-bench", "brian2_cobahh")
    set_device("cpp_standalone", directory=build_dir, build_on_run=True)
else:
    prefs.codegen.target = args.codegen

seed(args.seed)
defaultclock.dt = 0.1 * ms
duration = 1 * second

Cm, gl, g_na, g_kd = 200 * pF, 10 * nS, 20 * uS, 6 * uS
El, EK, ENa, VT = -60 * mV, -90 * mV, 50 * mV, -63 * mV
Ee, Ei, taue, taui = 0 * mV, -80 * mV, 5 * ms, 10 * ms

eqs = """
dv/dt = (gl*(El - v) + ge*(Ee - v) + gi*(Ei - v) - g_na*(m*m*m)*h*(v - ENa) - g_kd*(n*n*n*n)*(v - EK))/Cm : volt
dm/dt = alpha_m*(1 - m) - beta_m*m : 1
dn/dt = alpha_n*(1 - n) - beta_n*n : 1
dh/dt = alpha_h*(1 - h) - beta_h*h : 1
dge/dt = -ge/taue : siemens
dgi/dt = -gi/taui : siemens
alpha_m = 0.32*(mV**-1)*4*mV/exprel((13*mV - v + VT)/(4*mV))/ms : Hz
beta_m = 0.28*(mV**-1)*5*mV/exprel((v - VT - 40*mV)/(5*mV))/ms : Hz
alpha_h = 0.128*exp((17*mV - v + VT)/(18*mV))/ms : Hz
beta_h = 4./(1 + exp((40*mV - v + VT)/(5*mV)))/ms : Hz
alpha_n = 0.032*(mV**-1)*5*mV/exprel((15*mV - v + VT)/(5*mV))/ms : Hz
beta_n = .5*exp((10*mV - v + VT)/(40*mV))/ms : Hz
"""
P = NeuronGroup(4000, eqs, threshold="v > -20*mV", refractory=3 * ms, method="exponential_euler")
P.v = "-65*mV + 5*mV*randn()"
P.ge = "clip(40*nS + 15*nS*randn(), 0*nS, 1000*nS)"
P.gi = "clip(200*nS + 120*nS*randn(), 0*nS, 2000*nS)"
P.m = "alpha_m/(alpha_m + beta_m)"
P.h = "alpha_h/(alpha_h + beta_h)"
P.n = "alpha_n/(alpha_n + beta_n)"
Pe, Pi = P[:3200], P[3200:]

Ce = Synapses(Pe, P, on_pre="ge += 6*nS", delay=0.1 * ms)
Ci = Synapses(Pi, P, on_pre="gi += 67*nS", delay=0.1 * ms)
Ce.connect(p=0.02)
Ci.connect(p=0.02)

M = SpikeMonitor(P)
run(duration)

n_spikes = int(M.num_spikes)
print(f"spikes={n_spikes} rate_hz={n_spikes / len(P) / float(duration):.3f}")
