"""CUBA with plastic excitatory synapses, hand-written in native PyNEST (the network of specs/cuba_stdp.yaml).

The CUBA network of cuba_nest.py (Brette et al. 2007, benchmark 2: 3200 exc + 800 inh iaf_psc_exp,
p = 0.02, +16.2 pA / -90 pA, delay 0.1 ms, dt 0.1 ms, V0 ~ U[-60, -50] mV), with every synapse from the
excitatory population a stdp_synapse: additive (mu_plus = mu_minus = 0), tau_plus = tau_minus 20 ms,
lambda 0.005, alpha 1.05, Wmax 32.4 pA; 10 s; no external input. NEST counts the whole delay as
dendritic, as the spec does (dendritic_delay_fraction 1).
Prints: spikes=<N> rate_hz=<mean rate>
"""
import argparse
import os

os.environ.setdefault("PYNEST_QUIET", "1")
import nest  # noqa: E402

N_E, N_I, P = 3200, 800, 0.02

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--seed", type=int, default=12345)
parser.add_argument("--duration", type=float, default=10000.0, help="ms")
args = parser.parse_args()

if hasattr(nest, "VerbosityLevel"):  # NEST >= 3.10; set_verbosity() warns there
    nest.verbosity = nest.VerbosityLevel.ERROR
else:
    nest.set_verbosity("M_ERROR")
nest.ResetKernel()
nest.set(resolution=0.1, local_num_threads=1, rng_seed=args.seed)

params = dict(C_m=200.0, tau_m=20.0, E_L=-49.0, V_th=-50.0, V_reset=-60.0, t_ref=5.0, tau_syn_ex=5.0,
              tau_syn_in=10.0, I_e=0.0, tau_minus=20.0)
neurons = nest.Create("iaf_psc_exp", N_E + N_I, params=params)
neurons.V_m = nest.random.uniform(-60.0, -50.0)
exc = neurons[:N_E]
inh = neurons[N_E:]

nest.CopyModel("stdp_synapse", "plastic", {"tau_plus": 20.0, "lambda": 0.005, "alpha": 1.05, "mu_plus": 0.0,
                                           "mu_minus": 0.0, "Wmax": 32.4})
conn = dict(rule="pairwise_bernoulli", p=P, allow_autapses=True, allow_multapses=False)
nest.Connect(exc, neurons, conn, dict(synapse_model="plastic", weight=16.2, delay=0.1))
nest.Connect(inh, neurons, conn, dict(synapse_model="static_synapse", weight=-90.0, delay=0.1))

recorder = nest.Create("spike_recorder")
nest.Connect(neurons, recorder)

nest.Simulate(args.duration)

n_spikes = recorder.n_events
print(f"spikes={n_spikes} rate_hz={n_spikes / len(neurons) / (args.duration / 1000.0):.3f}")
