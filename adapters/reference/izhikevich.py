"""The Izhikevich group (``izhikevich``, numerics.izhikevich), in the paper's units (mV, ms, pA = mV/ms).

Standard integrator: RK4 over the step with the injected current held, then the voltage jumps arriving
at the step's end are added, then ``v >= 30 mV`` spikes: ``v <- c``, ``u <- u + d``. No refractoriness.
With ``integrator: euler`` the step is NEST's ``izhikevich`` update exactly (the jumps enter the same
expression as the Euler increment, so phase 1 waits for them in :meth:`receive`).
"""

from __future__ import annotations

import numpy as np

from ...numerics import izhikevich as izh
from ...numerics.propagators import scalar_if_uniform
from ...numerics.spiking import izhikevich_fire
from .protocol import NeuronGroup, check_finite
from .synapses import VoltageJumps

CHECK_EVERY = 64


class IzhikevichGroup(NeuronGroup):
    sorted_spikes = True  # izhikevich_fire returns them ascending (flatnonzero)
    n_channels = 1

    def __init__(self, params, initial, dt, integrator="standard", *, kinetics=VoltageJumps):
        self.n = len(params["a"])
        self.h = dt * izh.MS_PER_S
        self.euler = integrator == "euler"
        self.coef = izh.IzhikevichCoefficients.from_params(params)
        self.syn = kinetics(params, initial, dt, self.n, unit=izh.MV_PER_V)
        self.v = np.array(initial["v"], float) * izh.MV_PER_V
        self.u = np.array(initial["u"], float)
        self.i_offset = np.asarray(params["i_offset"], float) * izh.PA_PER_A
        self.i_stim = np.zeros(self.n)
        self._update_current()

    def _update_current(self) -> None:
        self.current = scalar_if_uniform(self.i_offset + self.i_stim)

    def inject(self, neurons, deltas):
        np.add.at(self.i_stim, neurons, np.asarray(deltas, float) * izh.PA_PER_A)
        self._update_current()

    def integrate(self, k: int) -> None:
        self._k = k
        if not self.euler:
            izh.izhikevich_rk4_step(self.v, self.u, self.coef, self.current, self.h)

    def receive(self, inputs: np.ndarray) -> None:
        if self.euler:
            izh.nest_euler_step(self.v, self.u, self.coef, self.i_stim, self.i_offset, inputs[0], self.h)
        else:
            self.v += inputs[0]
        if self._k % CHECK_EVERY == 0:
            check_finite("v", self.v, self._k)

    def fire(self, k: int) -> np.ndarray:
        return izhikevich_fire(self.v, self.u, self.coef.c, self.coef.d, izh.V_PEAK)

    def read(self, name, neurons):
        if name == "v":
            return self.v[neurons] / izh.MV_PER_V
        if name == "u":
            return self.u[neurons].copy()
        raise KeyError(name)

    def weight_scale(self, receptor, post):
        return self.syn.weight_scale(receptor, post)
