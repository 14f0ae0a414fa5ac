"""CUBA benchmark network, hand-written in native PyNEST.

Network: Brette et al. (2007), J. Comput. Neurosci. 23:349-398, benchmark 2
("CUBA"), as in Brian2's examples/CUBA.py, with the synaptic inputs written as
currents. 4000 LIF neurons (3200 exc, 800 inh), iaf_psc_exp with C_m 200 pF,
tau_m 20 ms, E_L -49 mV, V_th -50 mV, V_reset -60 mV, t_ref 5 ms,
tau_syn_ex 5 ms, tau_syn_in 10 ms; all-to-all Bernoulli connectivity p = 0.02
(autapses allowed, no multapses); weights +16.2 pA (exc) / -90 pA (inh),
delay 0.1 ms; dt 0.1 ms; V0 ~ U[-60, -50] mV; 1 s; no external input.
Prints: spikes=<N> rate_hz=<mean rate>
"""
import argparse
import os

os.environ.setdefault("PYNEST_QUIET", "1")
import nest  # noqa: E402

N_E, N_I, P = 3200, 800, 0.02
T_SIM = 1000.0  # ms

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--seed", type=int, default=12345)
parser.add_argument("--threads", type=int, default=1, help="NEST local_num_threads (bench_parallel.py)")
args = parser.parse_args()

if hasattr(nest, "VerbosityLevel"):  # NEST >= 3.10; set_verbosity() warns there
    nest.verbosity = nest.VerbosityLevel.ERROR
else:
    nest.set_verbosity("M_ERROR")
nest.ResetKernel()
nest.set(resolution=0.1, local_num_threads=args.threads, rng_seed=args.seed)

params = dict(C_m=200.0, tau_m=20.0, E_L=-49.0, V_th=-50.0, V_reset=-60.0,
              t_ref=5.0, tau_syn_ex=5.0, tau_syn_in=10.0, I_e=0.0)
neurons = nest.Create("iaf_psc_exp", N_E + N_I, params=params)
neurons.V_m = nest.random.uniform(-60.0, -50.0)
exc, inh = neurons[:N_E], neurons[N_E:]

conn = dict(rule="pairwise_bernoulli", p=P, allow_autapses=True, allow_multapses=False)
nest.Connect(exc, neurons, conn, dict(synapse_model="static_synapse", weight=16.2, delay=0.1))
nest.Connect(inh, neurons, conn, dict(synapse_model="static_synapse", weight=-90.0, delay=0.1))

recorder = nest.Create("spike_recorder")
nest.Connect(neurons, recorder)

nest.Simulate(T_SIM)

n_spikes = recorder.n_events
print(f"spikes={n_spikes} rate_hz={n_spikes / len(neurons) / (T_SIM / 1000.0):.3f}")
