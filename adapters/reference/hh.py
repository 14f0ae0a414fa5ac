"""The Hodgkin-Huxley group (``hh_cond_exp``, numerics.hh): exponential conductance synapses, RK4 on
substeps of at most 0.05 ms with exact conductances at every stage, internal units mV, ms, nS, pF, pA.

No reset and no refractoriness: a spike is an upward crossing of -20 mV between the start and the end
of a step (``v(k dt) < -20 mV <= v((k+1) dt)``), stamped at the step's end.
"""

from __future__ import annotations

import numpy as np

from ...numerics import hh as hh_math
from ...numerics.initial import derived_initial
from ...numerics.spiking import upward_crossings
from .conductance import ConductanceGroup


class HHGroup(ConductanceGroup):
    sorted_spikes = True  # upward_crossings returns them ascending (flatnonzero)
    time_unit = 1e3
    current_unit = hh_math.PA
    conductance_unit = hh_math.NS

    def __init__(self, params, initial, dt, integrator="standard", *, kinetics):
        self.substeps = hh_math.substeps(dt * self.time_unit) if integrator != "euler" else 1
        super().__init__(params, initial, dt, integrator, kinetics=kinetics)
        self.coef = hh_math.HHCoefficients.from_params(params)
        initial = {**derived_initial("hh_cond_exp", params, initial), **initial}
        self.v = np.array(initial["v"], float) * hh_math.MV
        self.state = [self.v] + [np.array(initial[x], float) for x in ("m", "h", "n")]
        self.below = np.empty(self.n, bool)

    def membrane_step(self, k, g_stages):
        np.less(self.v, hh_math.SPIKE_THRESHOLD, out=self.below)
        hh_math.hh_step(self.state, g_stages, self.coef, self.current, self.h, self.integrator)

    def fire(self, k: int) -> np.ndarray:
        return upward_crossings(self.below, self.v, hh_math.SPIKE_THRESHOLD)

    def read(self, name, neurons):
        if name == "v":
            return self.v[neurons] / hh_math.MV
        if name in ("m", "h", "n"):
            return self.state[1 + "mhn".index(name)][neurons].copy()
        return super().read(name, neurons)
