"""CUBA benchmark network, hand-written in PyNN with PyNN's FixedProbabilityConnector.

Network: Brette et al. (2007), J. Comput. Neurosci. 23:349-398, benchmark 2 ("CUBA"), as in
cuba_nest.py: 4000 IF_curr_exp (3200 exc, 800 inh), cm 0.2 nF, tau_m 20 ms, v_rest -49 mV,
v_thresh -50 mV, v_reset -60 mV, tau_refrac 5 ms, tau_syn_E 5 ms, tau_syn_I 10 ms; Bernoulli
connectivity p = 0.02 (self-connections allowed); weights 0.0162 nA (exc) and -0.09 nA (inh), delay
0.1 ms; dt 0.1 ms; v0 ~ U[-60, -50] mV; 1 s; spikes of every neuron recorded and read back with
get_data(). This is how the network is usually written for PyNN: the connector draws the synapses with
PyNN's own NumpyRNG (``--rng native`` lets the simulator draw them instead, where PyNN supports it).

On NEST the script asks for ``spike_precision="on_grid"`` (iaf_psc_exp, the model cuba_nest.py and
snnrun run; PyNN's default would be the off-grid iaf_psc_exp_ps). On NEURON it keeps PyNN's defaults.
Prints: spikes=<N> rate_hz=<mean rate>

    python benchmarks/cuba_pynn.py --simulator nest|neuron|brian2 [--seed 12345] [--rng numpy|native]
"""
import argparse
import logging
import os
import sys
import warnings

N_E, N_I, P = 3200, 800, 0.02
T_SIM = 1000.0  # ms

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--simulator", choices=("nest", "neuron", "brian2"), required=True)
parser.add_argument("--seed", type=int, default=12345)
parser.add_argument("--rng", choices=("numpy", "native"), default="numpy")
args = parser.parse_args()

os.environ.setdefault("PYNEST_QUIET", "1")
if args.simulator == "neuron":
    # pyNN.neuron compiles its mechanisms with nrnivmodl on first use; find it next to this Python
    os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
warnings.filterwarnings("ignore")  # NEST deprecation notices triggered inside PyNN
logging.getLogger("PyNN").setLevel(logging.ERROR)  # one line per default initial value NEST refuses

if args.simulator == "nest":
    import pyNN.nest as sim
    sim.setup(timestep=0.1, min_delay=0.1, max_delay=1.0, spike_precision="on_grid", threads=1,
              verbosity="error", rng_seed=args.seed)
elif args.simulator == "neuron":
    import pyNN.neuron as sim
    sim.setup(timestep=0.1, min_delay=0.1, max_delay=1.0)
else:
    import pyNN.brian2 as sim
    sim.setup(timestep=0.1, min_delay=0.1, max_delay=1.0)

from pyNN.random import NumpyRNG, RandomDistribution  # noqa: E402

rng = NumpyRNG(seed=args.seed)
celltype = sim.IF_curr_exp(cm=0.2, tau_m=20.0, v_rest=-49.0, v_thresh=-50.0, v_reset=-60.0,
                           tau_refrac=5.0, tau_syn_E=5.0, tau_syn_I=10.0, i_offset=0.0)
exc = sim.Population(N_E, celltype, label="exc")
inh = sim.Population(N_I, celltype, label="inh")
for pop in (exc, inh):
    pop.initialize(v=RandomDistribution("uniform", (-60.0, -50.0), rng=rng))
    pop.record("spikes")

if args.rng == "native" and hasattr(sim, "NativeRNG"):
    conn_rng = sim.NativeRNG(seed=args.seed)
else:
    conn_rng = rng
connector = sim.FixedProbabilityConnector(P, allow_self_connections=True, rng=conn_rng)
projections = []
for pre, weight, receptor in ((exc, 0.0162, "excitatory"), (inh, -0.09, "inhibitory")):
    for post in (exc, inh):
        projections.append(sim.Projection(pre, post, connector, sim.StaticSynapse(weight=weight, delay=0.1),
                                          receptor_type=receptor))

sim.run(T_SIM)

n_spikes = sum(sum(len(st) for st in pop.get_data("spikes").segments[0].spiketrains) for pop in (exc, inh))
sim.end()
print(f"spikes={n_spikes} rate_hz={n_spikes / (N_E + N_I) / (T_SIM / 1000.0):.3f}")
