"""CUBA benchmark network in native PyNEST with a given number of threads (the baseline of
bench_parallel.py for ``simulation.options.pynn:nest.threads``).

The network of cuba_nest.py (Brette et al. 2007 benchmark 2: 4000 iaf_psc_exp, p = 0.02, +16.2 pA /
-90 pA, delay 0.1 ms, dt 0.1 ms, 1 s), with ``local_num_threads`` from ``--threads``.
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
parser.add_argument("--threads", type=int, default=1)
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
exc = neurons[:N_E]
inh = neurons[N_E:]

conn = dict(rule="pairwise_bernoulli", p=P, allow_autapses=True, allow_multapses=False)
nest.Connect(exc, neurons, conn, dict(synapse_model="static_synapse", weight=16.2, delay=0.1))
nest.Connect(inh, neurons, conn, dict(synapse_model="static_synapse", weight=-90.0, delay=0.1))

recorder = nest.Create("spike_recorder")
nest.Connect(neurons, recorder)

nest.Simulate(T_SIM)

n_spikes = recorder.n_events
print(f"spikes={n_spikes} rate_hz={n_spikes / len(neurons) / (T_SIM / 1000.0):.3f}")
