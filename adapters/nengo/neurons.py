"""A nengo NeuronType that takes the exact LIF step of schema/semantics.md, in nengo's normalised units.

Nengo's own :class:`nengo.LIF` integrates the same subthreshold map for a constant J, but it spikes at
``x > 1`` (not ``>=``), interpolates a sub-step spike time, gives the step after the refractory period a
partial ``dt`` and floors x at ``min_voltage``; measured on snnrun's deterministic specs it misses the
reference's spike steps (see schema/semantics.md, "nengo"). :class:`ExactLIF` keeps nengo's interface
(normalised J, threshold 1, reset 0, spikes of height 1/dt, probeable ``voltage``) and takes the
reference's step instead, through nengo's documented extension point: a NeuronType with its own builder
and operator. Per-neuron ``tau_rc`` and refractory periods are arrays.

Step ``n`` of nengo (t = n dt) is step ``k = n - 1`` of semantics.md:

1. ``x <- P22 x + (1 - P22) J`` (J: bias + gain * effective input currents, all already of step k);
2. synaptic jumps are inside J (the delta synapse's effective current, see translation.py);
3. neurons with ``n <= refractory_until`` are clamped at 0 (v_reset);
4. ``x >= 1`` spikes (output 1/dt, stamped n dt), ``x <- 0``, ``refractory_until <- n + ref_steps``.
"""

from __future__ import annotations

import numpy as np
from nengo.builder import Builder, Operator, Signal
from nengo.dists import Choice
from nengo.neurons import NeuronType
from nengo.params import NdarrayParam

from .models import NEURON_TYPES as NUMERICS_NEURON_TYPES


class ExactLIF(NeuronType):
    """LIF with exact propagator integration and an integer refractory clamp.

    ``tau_rc`` (s) and ``refractory_steps`` (whole steps of the simulator's dt) are per-neuron arrays
    (or length-1 arrays for a uniform population). State: ``voltage`` (normalised, reset 0, threshold 1)
    and ``refractory_until`` (last nengo step of the clamp, as a float).
    """

    state = {"voltage": Choice([0.0]), "refractory_until": Choice([0.0])}
    spiking = True
    negative = False

    tau_rc = NdarrayParam("tau_rc", shape="*")
    refractory_steps = NdarrayParam("refractory_steps", shape="*")

    def __init__(self, tau_rc, refractory_steps, initial_state=None):
        super().__init__(initial_state=initial_state)
        self.tau_rc = np.atleast_1d(np.asarray(tau_rc, dtype=float))
        self.refractory_steps = np.atleast_1d(np.asarray(refractory_steps, dtype=float))

    def gain_bias(self, max_rates, intercepts):
        raise NotImplementedError("ExactLIF needs gain and bias given explicitly (snnrun's affine map)")

    def max_rates_intercepts(self, gain, bias):
        # nengo's default simulates the neuron to find them; snnrun never uses decoded connections
        return None, None

    def step(self, dt, J, output, voltage, refractory_until):
        raise NotImplementedError("ExactLIF is stepped by its own operator, SimExactLIF")


def _scalar_or(arr: np.ndarray):
    return float(arr[0]) if arr.size == 1 or np.all(arr == arr[0]) else arr


class SimExactLIF(Operator):
    """Sets ``output``, ``voltage`` and ``refractory_until`` from ``J``; reads the step counter.

    Coefficients for the simulator's dt are computed once in make_step, so a step costs about eight
    vectorised numpy calls.
    """

    def __init__(self, neurons, J, output, voltage, refractory_until, step, tag=None):
        super().__init__(tag=tag)
        self.neurons = neurons
        self.sets = [output, voltage, refractory_until]
        self.incs = []
        self.reads = [J, step]
        self.updates = []

    def make_step(self, signals, dt, rng):
        J, step = signals[self.reads[0]], signals[self.reads[1]]
        output, v, until = (signals[s] for s in self.sets)
        n = v.size
        tau = np.broadcast_to(self.neurons.tau_rc, n)
        p22 = _scalar_or(np.exp(-dt / tau))
        c = _scalar_or(-np.expm1(-dt / tau))
        ref = _scalar_or(np.broadcast_to(self.neurons.refractory_steps, n).astype(float))
        inv_dt = 1.0 / dt
        drive = np.empty(n)
        clamp = np.empty(n, dtype=bool)
        spiked = np.empty(n, dtype=bool)

        def step_exact_lif():
            np.multiply(J, c, out=drive)
            np.multiply(v, p22, out=v)
            np.add(v, drive, out=v)
            np.greater_equal(until, step, out=clamp)
            np.putmask(v, clamp, 0.0)
            np.greater_equal(v, 1.0, out=spiked)
            np.multiply(spiked, inv_dt, out=output)
            if spiked.any():
                np.putmask(v, spiked, 0.0)
                np.putmask(until, spiked, step + ref)

        return step_exact_lif


@Builder.register(ExactLIF)
def build_exact_lif(model, neuron_type, neurons):
    """Adds the state signals (probeable as ``voltage``) and the SimExactLIF operator."""
    n = neurons.size_in
    rng = np.random.RandomState(model.seeds[neurons.ensemble] + 1)
    init = neuron_type.make_state(n, rng=rng, dtype=model.sig[neurons]["in"].dtype)
    for key in ("voltage", "refractory_until"):
        model.sig[neurons][key] = Signal(initial_value=np.asarray(init[key], dtype=float),
                                         name=f"{neurons}.{key}")
    model.add_op(SimExactLIF(neuron_type, model.sig[neurons]["in"], model.sig[neurons]["out"],
                             model.sig[neurons]["voltage"], model.sig[neurons]["refractory_until"],
                             model.step, tag=f"{neurons}.ExactLIF"))


#: NeuronType of each model family, by the family's ``neuron_type`` name (translation.py); the families
#: stepped with snnrun.numerics are in models.py
NEURON_TYPES = {"ExactLIF": ExactLIF, **NUMERICS_NEURON_TYPES}
