"""Brian2's own Song, Miller & Abbott example (examples/synapses/STDP.py), native, for comparison with
specs/song_miller_abbott.yaml on the reference engine (benchmarks/song_miller_abbott.py).

As in Brian2's example: 1000 Poisson inputs at 15 Hz, additive STDP (dApre a_plus gmax, dApost -1.05
dApre; the example's a_plus is 0.01, the spec's is Song et al.'s 0.005: ``--a-plus``), one neuron
``dv/dt = (ge (Ee - vr) + El - v) / taum``, i.e. a current-based approximation with the driving force
fixed at Ee - vr; ``--conductance`` uses ``ge (Ee - v)``, the conductance neuron of the
spec. Prints the final weights' histogram over ten tenths of [0, gmax] as ``tenths=a,b,...``.
"""
import argparse

import numpy as np
from brian2 import (Hz, NeuronGroup, PoissonGroup, SpikeMonitor, Synapses, mV, ms, prefs, run, second,
                    seed as brian_seed)

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--duration", type=float, default=100.0, help="s")
parser.add_argument("--a-plus", type=float, default=0.01, help="potentiation per pair, in units of gmax")
parser.add_argument("--conductance", action="store_true")
parser.add_argument("--seed", type=int, default=2000)
args = parser.parse_args()

prefs.codegen.target = "cython"
brian_seed(args.seed)
N, taum, taupre, taupost = 1000, 10 * ms, 20 * ms, 20 * ms
Ee, vt, vr, El, taue, F, gmax = 0 * mV, -54 * mV, -60 * mV, -74 * mV, 5 * ms, 15 * Hz, 0.01
dApre = args.a_plus * gmax
dApost = -args.a_plus * taupre / taupost * 1.05 * gmax
drive = "(Ee - v)" if args.conductance else "(Ee - vr)"
neurons = NeuronGroup(1, f"dv/dt = (ge * {drive} + El - v) / taum : volt\ndge/dt = -ge / taue : 1",
                      threshold="v > vt", reset="v = vr", method="euler")
neurons.v = vr
inputs = PoissonGroup(N, rates=F)
S = Synapses(inputs, neurons, """w : 1
dApre/dt = -Apre / taupre : 1 (event-driven)
dApost/dt = -Apost / taupost : 1 (event-driven)""",
             on_pre="ge += w\nApre += dApre\nw = clip(w + Apost, 0, gmax)",
             on_post="Apost += dApost\nw = clip(w + Apre, 0, gmax)")
S.connect()
S.w = "rand() * gmax"
spikes = SpikeMonitor(neurons)
run(args.duration * second)
tenths = np.histogram(np.asarray(S.w) / gmax, bins=10, range=(0, 1))[0]
print(f"spikes={spikes.num_spikes} rate_hz={spikes.num_spikes / args.duration:.3f}")
print("tenths=" + ",".join(str(int(c)) for c in tenths))
