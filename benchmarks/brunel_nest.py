"""Brunel (2000) model A at full size, hand-written in native PyNEST (as NEST's brunel_delta_nest.py).

Network as in specs/brunel.yaml: 10,000 excitatory and 2,500 inhibitory iaf_psc_delta neurons (C_m
250 pF, tau_m 20 ms, E_L 0 mV, V_th 20 mV, V_reset 10 mV, t_ref 2 ms, V_m 0 mV at the start), fixed
in-degrees C_E = 1000 and C_I = 250 (NEST's fixed_indegree: autapses and multapses allowed), J = 0.1 mV,
-0.5 mV inhibitory (g = 5), delay 1.5 ms, one poisson_generator of 20 kHz (eta = 2) connected to every
neuron with J (NEST gives each target an independent train); dt 0.1 ms; 1 s.
Prints: spikes=<N> rate_hz=<mean rate> and exc=<Hz> inh=<Hz>
"""
import argparse
import os

os.environ.setdefault("PYNEST_QUIET", "1")
import nest  # noqa: E402

N_E, N_I, C_E, C_I = 10000, 2500, 1000, 250
J, G, DELAY, P_RATE = 0.1, 5.0, 1.5, 20000.0  # mV, -, ms, Hz
T_SIM = 1000.0  # ms

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--seed", type=int, default=12345)
parser.add_argument("--threads", type=int, default=1)
args = parser.parse_args()

if hasattr(nest, "VerbosityLevel"):
    nest.verbosity = nest.VerbosityLevel.ERROR
else:
    nest.set_verbosity("M_ERROR")
nest.ResetKernel()
nest.set(resolution=0.1, local_num_threads=args.threads, rng_seed=args.seed)

params = dict(C_m=250.0, tau_m=20.0, E_L=0.0, V_th=20.0, V_reset=10.0, t_ref=2.0, V_m=0.0, I_e=0.0)
exc = nest.Create("iaf_psc_delta", N_E, params=params)
inh = nest.Create("iaf_psc_delta", N_I, params=params)
neurons = exc + inh
noise = nest.Create("poisson_generator", params={"rate": P_RATE})
nest.Connect(noise, neurons, syn_spec={"weight": J, "delay": 0.1})
nest.Connect(exc, neurons, {"rule": "fixed_indegree", "indegree": C_E}, {"weight": J, "delay": DELAY})
nest.Connect(inh, neurons, {"rule": "fixed_indegree", "indegree": C_I}, {"weight": -G * J, "delay": DELAY})
rec_e, rec_i = nest.Create("spike_recorder"), nest.Create("spike_recorder")
nest.Connect(exc, rec_e)
nest.Connect(inh, rec_i)

nest.Simulate(T_SIM)

n_e, n_i = rec_e.n_events, rec_i.n_events
seconds = T_SIM / 1000.0
print(f"spikes={n_e + n_i} rate_hz={(n_e + n_i) / (N_E + N_I) / seconds:.3f}")
print(f"exc={n_e / N_E / seconds:.3f} inh={n_i / N_I / seconds:.3f}")
