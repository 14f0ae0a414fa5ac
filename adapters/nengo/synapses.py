"""Exact current synapses as nengo Synapses (nengo's extension point for filters).

Both filters take, each step, the amplitudes that :class:`~.transforms.DelayedSparse` says arrive at
the end of that step (A for exp, scaled by ``kappa``; e w / tau, A/s, for alpha) and return the
*effective* current (A) the post neurons integrate over the next step (see translation.py). They are
built in nengo's ``update`` mode, as every connection synapse is, so the value returned in step n is
the neurons' input in step n + 1: the state at the step's start, as the reference's propagators use it.

Why not ``nengo.Lowpass`` / ``nengo.Alpha``: Lowpass is this exp filter up to a weight scale, but its
tau is one number per connection and snnrun's parameters are per neuron; nengo discretises Alpha with
a zero-order hold, treating a spike as a rectangle of width dt, which shifts the alpha kernel by
O(dt/tau) (20% at tau = 0.5 ms, dt = 0.1 ms) instead of sampling it exactly. The states are kept in
nengo process-state signals (``_state_s``, ``_state_i``, ``_state_y``), so they reset with the
simulator and can be probed (:class:`~.probes.SynapseStateProbe`).
"""

from __future__ import annotations

import numpy as np
from nengo.exceptions import BuildError
from nengo.synapses import Synapse


def _coef(value):
    arr = np.asarray(value, dtype=float)
    return float(arr.flat[0]) if arr.size == 1 or np.all(arr == arr.flat[0]) else arr


class _ExactSynapse(Synapse):
    """Common part: coefficients computed for one dt, identity equality (each connection owns its state)."""

    recorded_state = ""

    def __init__(self, dt: float, size: int):
        super().__init__(default_size_in=size, default_dt=dt)
        self.dt = dt
        self.size = size

    __eq__ = object.__eq__
    __hash__ = object.__hash__

    def _check(self, shape_in, dt):
        if abs(dt - self.dt) > 1e-12 * self.dt or shape_in != (self.size,):
            raise BuildError(f"{type(self).__name__} was made for dt={self.dt} and {self.size} neurons, "
                             f"built with dt={dt} and shape {shape_in}")


class ExpCurrent(_ExactSynapse):
    """Exponential current: ``s <- decay s + arrivals``; returns s, the effective current (A).

    ``decay`` = exp(-dt/tau_syn) per post neuron (or a scalar). s is ``kappa i``: the weights were
    scaled by kappa = P21/P20 when the transform was made, so the state is the neurons' input as is.
    """

    recorded_state = "s"

    def __init__(self, decay, dt: float, size: int):
        super().__init__(dt, size)
        self.decay = _coef(decay)

    def make_state(self, shape_in, shape_out, dt, dtype=None, y0=None):
        return {"s": np.zeros(shape_out)}

    def make_step(self, shape_in, shape_out, dt, rng, state):
        self._check(shape_in, dt)
        s, decay = state["s"], self.decay

        def step_exp_current(t, arrivals):
            np.multiply(s, decay, out=s)
            np.add(s, arrivals, out=s)
            return s

        return step_exp_current


class AlphaCurrent(_ExactSynapse):
    """Alpha current as two linear states (semantics.md): ``i <- d i + hp y``, ``y <- d y + arrivals``;
    returns ``c_i i + c_y y`` (A), the effective current of the exact propagators P21, P31.

    ``decay`` = exp(-dt/tau), ``hp`` = dt exp(-dt/tau) (s), ``c_i`` = P21/P20, ``c_y`` = P31/P20 (s),
    each per post neuron or scalar. i (A) is the physical synaptic current, y (A/s) its drive.
    """

    recorded_state = "i"

    def __init__(self, decay, hp, c_i, c_y, dt: float, size: int):
        super().__init__(dt, size)
        self.decay, self.hp, self.c_i, self.c_y = _coef(decay), _coef(hp), _coef(c_i), _coef(c_y)

    def make_state(self, shape_in, shape_out, dt, dtype=None, y0=None):
        return {"i": np.zeros(shape_out), "y": np.zeros(shape_out)}

    def make_step(self, shape_in, shape_out, dt, rng, state):
        self._check(shape_in, dt)
        i, y = state["i"], state["y"]
        decay, hp, c_i, c_y = self.decay, self.hp, self.c_i, self.c_y
        tmp = np.empty(shape_out)
        out = np.empty(shape_out)

        def step_alpha_current(t, arrivals):
            np.multiply(i, decay, out=i)
            np.multiply(y, hp, out=tmp)
            np.add(i, tmp, out=i)
            np.multiply(y, decay, out=y)
            np.add(y, arrivals, out=y)
            np.multiply(i, c_i, out=out)
            np.multiply(y, c_y, out=tmp)
            np.add(out, tmp, out=out)
            return out

        return step_alpha_current
