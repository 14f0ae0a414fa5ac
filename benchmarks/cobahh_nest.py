"""COBAHH benchmark network, hand-written in native PyNEST.

Network: Brette et al. (2007), J. Comput. Neurosci. 23:349-398, benchmark 3 ("COBAHH"), as in
specs/cobahh.yaml. 4000 Traub-Miles HH neurons (3200 exc, 800 inh), hh_cond_exp_traub with C_m 200 pF,
g_Na 20 uS, g_K 6 uS, g_L 10 nS, E_Na 50 mV, E_K -90 mV, E_L -60 mV, V_T -63 mV, E_ex 0 mV, E_in -80 mV,
tau_syn_ex 5 ms, tau_syn_in 10 ms; Bernoulli connectivity p = 0.02 (autapses allowed, no multapses);
weights 6 nS (exc) and 67 nS (inh, negative in NEST), delay 0.1 ms; dt 0.1 ms; V_m ~ N(-65, 5) mV,
gates at their steady state at V_m, and g_ex ~ N(40, 15) nS, g_in ~ N(200, 120) nS (clipped at 0) as one
input spike arriving at 0.2 ms (NEST cannot set this model's conductances); 1 s;
no external input. NEST integrates with GSL's adaptive rkf45 (absolute tolerance 1e-3) and detects a
spike at the peak above V_T + 30 mV (its own rule; snnrun's is an upward crossing of -20 mV).
Prints: spikes=<N> rate_hz=<mean rate>
"""
import argparse
import os

import numpy as np

os.environ.setdefault("PYNEST_QUIET", "1")
import nest  # noqa: E402

N_E, N_I, P = 3200, 800, 0.02
T_SIM = 1000.0  # ms
V_T = -63.0

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--seed", type=int, default=12345)
args = parser.parse_args()

if hasattr(nest, "VerbosityLevel"):
    nest.verbosity = nest.VerbosityLevel.ERROR
else:
    nest.set_verbosity("M_ERROR")
nest.ResetKernel()
nest.set(resolution=0.1, local_num_threads=1, rng_seed=args.seed)


def steady_state(v):
    """Traub-Miles gates at their steady state at v (mV)."""
    u = v - V_T
    am = 0.32 * (13 - u) / np.expm1((13 - u) / 4)
    bm = 0.28 * (u - 40) / np.expm1((u - 40) / 5)
    ah, bh = 0.128 * np.exp((17 - u) / 18), 4 / (1 + np.exp((40 - u) / 5))
    an, bn = 0.032 * (15 - u) / np.expm1((15 - u) / 5), 0.5 * np.exp((10 - u) / 40)
    return am / (am + bm), ah / (ah + bh), an / (an + bn)


params = dict(C_m=200.0, g_Na=20000.0, g_K=6000.0, g_L=10.0, E_Na=50.0, E_K=-90.0, E_L=-60.0, V_T=V_T,
              E_ex=0.0, E_in=-80.0, tau_syn_ex=5.0, tau_syn_in=10.0, I_e=0.0)
neurons = nest.Create("hh_cond_exp_traub", N_E + N_I, params=params)
rng = np.random.default_rng(args.seed)
n = N_E + N_I
v0 = rng.normal(-65.0, 5.0, n)
m, h, n_gate = steady_state(v0)
neurons.set(V_m=v0.tolist(), Act_m=m.tolist(), Inact_h=h.tolist(), Act_n=n_gate.tolist())
# hh_cond_exp_traub cannot set its conductances: they are given as one input spike at 0.1 ms instead
kick = nest.Create("spike_generator", params={"spike_times": [0.1]})
for weights in (np.clip(rng.normal(40.0, 15.0, n), 0, None), -np.clip(rng.normal(200.0, 120.0, n), 0, None)):
    nest.Connect(kick, neurons, "all_to_all", dict(weight=weights.reshape(n, 1), delay=0.1))
exc, inh = neurons[:N_E], neurons[N_E:]

conn = dict(rule="pairwise_bernoulli", p=P, allow_autapses=True, allow_multapses=False)
nest.Connect(exc, neurons, conn, dict(synapse_model="static_synapse", weight=6.0, delay=0.1))
nest.Connect(inh, neurons, conn, dict(synapse_model="static_synapse", weight=-67.0, delay=0.1))

recorder = nest.Create("spike_recorder")
nest.Connect(neurons, recorder)

nest.Simulate(T_SIM)

n_spikes = recorder.n_events
print(f"spikes={n_spikes} rate_hz={n_spikes / len(neurons) / (T_SIM / 1000.0):.3f}")
