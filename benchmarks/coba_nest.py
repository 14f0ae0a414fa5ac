"""COBA benchmark network, hand-written in native PyNEST.

Network: Brette et al. (2007), J. Comput. Neurosci. 23:349-398, benchmark 1 ("COBA"), as in
specs/coba.yaml. 4000 LIF neurons (3200 exc, 800 inh), iaf_cond_exp with C_m 200 pF, g_L 10 nS,
E_L -60 mV, V_th -50 mV, V_reset -60 mV, t_ref 5 ms, E_ex 0 mV, E_in -80 mV, tau_syn_ex 5 ms,
tau_syn_in 10 ms; Bernoulli connectivity p = 0.02 (autapses allowed, no multapses); weights 6 nS (exc)
and 67 nS (inh, negative in NEST), delay 0.1 ms; dt 0.1 ms; V_m ~ N(-65, 5) mV, g_ex ~ N(40, 15) nS,
g_in ~ N(200, 120) nS, clipped at 0; 1 s; no external input. NEST integrates with GSL's adaptive
rkf45 (absolute tolerance 1e-3 on every state).
Prints: spikes=<N> rate_hz=<mean rate>
"""
import argparse
import os

import numpy as np

os.environ.setdefault("PYNEST_QUIET", "1")
import nest  # noqa: E402

N_E, N_I, P = 3200, 800, 0.02
T_SIM = 1000.0  # ms

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--seed", type=int, default=12345)
args = parser.parse_args()

if hasattr(nest, "VerbosityLevel"):  # NEST >= 3.10; set_verbosity() warns there
    nest.verbosity = nest.VerbosityLevel.ERROR
else:
    nest.set_verbosity("M_ERROR")
nest.ResetKernel()
nest.set(resolution=0.1, local_num_threads=1, rng_seed=args.seed)

params = dict(C_m=200.0, g_L=10.0, E_L=-60.0, V_th=-50.0, V_reset=-60.0, t_ref=5.0, E_ex=0.0, E_in=-80.0,
              tau_syn_ex=5.0, tau_syn_in=10.0, I_e=0.0)
neurons = nest.Create("iaf_cond_exp", N_E + N_I, params=params)
rng = np.random.default_rng(args.seed)
n = N_E + N_I
neurons.set(V_m=rng.normal(-65.0, 5.0, n).tolist(), g_ex=np.clip(rng.normal(40.0, 15.0, n), 0, None).tolist(),
            g_in=np.clip(rng.normal(200.0, 120.0, n), 0, None).tolist())
exc, inh = neurons[:N_E], neurons[N_E:]

conn = dict(rule="pairwise_bernoulli", p=P, allow_autapses=True, allow_multapses=False)
nest.Connect(exc, neurons, conn, dict(synapse_model="static_synapse", weight=6.0, delay=0.1))
nest.Connect(inh, neurons, conn, dict(synapse_model="static_synapse", weight=-67.0, delay=0.1))

recorder = nest.Create("spike_recorder")
nest.Connect(neurons, recorder)

nest.Simulate(T_SIM)

n_spikes = recorder.n_events
print(f"spikes={n_spikes} rate_hz={n_spikes / len(neurons) / (T_SIM / 1000.0):.3f}")
