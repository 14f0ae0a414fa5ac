"""CUBA benchmark network, hand-written in idiomatic nengo (reference simulator, neuron level).

Network: Brette et al. (2007), J. Comput. Neurosci. 23:349-398, benchmark 2
("CUBA"), as in Brian2's examples/CUBA.py. 4000 LIF neurons (3200 exc, 800 inh)
in one Ensemble used through ``.neurons``: tau_m 20 ms, refractory 5 ms,
E_l -49 mV, threshold -50 mV, reset -60 mV; Bernoulli connectivity p = 0.02 from
every neuron to every neuron (self-connections allowed, no multapses) as
``nengo.transforms.Sparse`` transforms; Lowpass synapses 5 ms (exc) / 10 ms (inh);
dt 0.1 ms; v0 ~ U[-60, -50] mV; 1 s; no external input; spikes probed.

Nengo's LIF is dimensionless: ``tau_rc dx/dt = -x + J``, threshold 1, reset 0.
With ``x = (v - V_r) / (V_t - V_r)`` (10 mV per unit) the leak reversal
E_l = -49 mV is ``x = 1.1``, a constant bias of 1.1; v0 ~ U[0, 1]; the
benchmark's jumps of the current term (+1.62 mV, -9 mV of R*I) are jumps of J
of +0.162 and -0.9, and a Lowpass(tau) turns a spike of area 1 (height 1/dt)
into a jump of 1/tau, so the transform weights are 0.162 tau_e and -0.9 tau_i.
``min_voltage=-inf`` because inhibition drives v below the reset (nengo's
default floor of 0 would clip it at V_r and change the network).
Prints: spikes=<N> rate_hz=<mean rate>
"""
import argparse

import nengo
import numpy as np
import scipy.sparse

N_E, N_I, P = 3200, 800, 0.02
DT, T_SIM = 1e-4, 1.0
TAU_E, TAU_I = 0.005, 0.010

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--seed", type=int, default=12345)
args = parser.parse_args()
rng = np.random.default_rng(args.seed)
N = N_E + N_I


def bernoulli(n_post, n_pre, weight):
    """(n_post, n_pre) CSR matrix: each entry present with probability P, value ``weight``."""
    mask = rng.random((n_post, n_pre), dtype=np.float32) < P
    return scipy.sparse.csr_matrix(mask, dtype=np.float64) * weight


with nengo.Network(seed=args.seed) as net:
    cells = nengo.Ensemble(
        N, 1, gain=np.ones(N), bias=np.full(N, 1.1),
        neuron_type=nengo.LIF(tau_rc=0.02, tau_ref=0.005, min_voltage=-np.inf,
                              initial_state={"voltage": nengo.dists.Uniform(0.0, 1.0)}))
    nengo.Connection(cells.neurons[:N_E], cells.neurons, synapse=nengo.Lowpass(TAU_E),
                     transform=nengo.transforms.Sparse((N, N_E), init=bernoulli(N, N_E, 0.162 * TAU_E)))
    nengo.Connection(cells.neurons[N_E:], cells.neurons, synapse=nengo.Lowpass(TAU_I),
                     transform=nengo.transforms.Sparse((N, N_I), init=bernoulli(N, N_I, -0.9 * TAU_I)))
    spikes = nengo.Probe(cells.neurons)

with nengo.Simulator(net, dt=DT, progress_bar=False) as sim:
    sim.run(T_SIM)

n_spikes = int(np.count_nonzero(sim.data[spikes]))
print(f"spikes={n_spikes} rate_hz={n_spikes / N / T_SIM:.3f}")
