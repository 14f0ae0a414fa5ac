"""The Hodgkin-Huxley group (``hh_cond_exp``, numerics.hh): exponential conductance synapses, RK4 on
substeps of at most 0.05 ms with exact conductances at every stage, internal units mV, ms, nS, pF, pA.

No reset and no refractoriness. ``spike_rule`` (``simulation.options.reference.hh_spike``):
``crossing`` (default, semantics.md): a spike is an upward crossing of -20 mV between the start and the
end of a step (``v(k dt) < -20 mV <= v((k+1) dt)``), stamped at the step's end. ``nest_peak``: NEST's
``hh_cond_exp_traub`` rule, for telling its stamps from a difference of dynamics: outside a detection
dead time, a spike when ``v >= v_offset + 30 mV`` at the step's end and v fell during the step (the step
after the peak), stamped at the step's end; the next ``round(2 ms / dt)`` steps (NEST's default
``t_ref``, which PyNN does not expose) only count the dead time down. ``max_substep`` (ms,
``simulation.options.reference.hh_max_substep_ms``) replaces the 0.05 ms bound on the RK4 substeps: the
peak's sample is far more sensitive to RK4's error than the -20 mV crossing is (below 0.005 ms the peaks
fall on the solve_ivp oracle's steps, semantics.md).
"""

from __future__ import annotations

import numpy as np

from ...numerics import hh as hh_math
from ...numerics.initial import derived_initial
from ...numerics.spiking import upward_crossings
from .conductance import ConductanceGroup

SPIKE_RULES = ("crossing", "nest_peak")
NEST_PEAK_ABOVE_OFFSET = 30.0  # mV: hh_cond_exp_traub's threshold, V_T + 30 mV
NEST_T_REF = 2e-3  # s: hh_cond_exp_traub's default t_ref, its detection dead time


class HHGroup(ConductanceGroup):
    sorted_spikes = True  # upward_crossings returns them ascending (flatnonzero)
    time_unit = 1e3
    current_unit = hh_math.PA
    conductance_unit = hh_math.NS

    def __init__(self, params, initial, dt, integrator="standard", *, kinetics, spike_rule="crossing",
                 max_substep=hh_math.MAX_SUBSTEP):
        if spike_rule not in SPIKE_RULES:
            raise ValueError(f"unknown hh spike rule '{spike_rule}' (known: {', '.join(SPIKE_RULES)})")
        if not max_substep > 0:
            raise ValueError(f"hh_max_substep_ms must be > 0 ms, not {max_substep}")
        self.substeps = hh_math.substeps(dt * self.time_unit, max_substep) if integrator != "euler" else 1
        super().__init__(params, initial, dt, integrator, kinetics=kinetics)
        self.coef = hh_math.HHCoefficients.from_params(params)
        initial = {**derived_initial("hh_cond_exp", params, initial), **initial}
        self.v = np.array(initial["v"], float) * hh_math.MV
        self.state = [self.v] + [np.array(initial[x], float) for x in ("m", "h", "n")]
        self.below = np.empty(self.n, bool)
        self.nest_peak = spike_rule == "nest_peak"
        if self.nest_peak:
            self.v_old = self.v.copy()
            self.peak_level = np.asarray(params["v_offset"], float) * hh_math.MV + NEST_PEAK_ABOVE_OFFSET
            self.dead_steps = int(round(NEST_T_REF / dt))
            self.dead = np.zeros(self.n, np.int64)  # steps of dead time left

    def membrane_step(self, k, g_stages):
        if self.nest_peak:
            np.copyto(self.v_old, self.v)
        else:
            np.less(self.v, hh_math.SPIKE_THRESHOLD, out=self.below)
        hh_math.hh_step(self.state, g_stages, self.coef, self.current, self.h, self.integrator, self.substeps)

    def fire(self, k: int) -> np.ndarray:
        if not self.nest_peak:
            return upward_crossings(self.below, self.v, hh_math.SPIKE_THRESHOLD)
        counting = self.dead > 0
        spikes = np.flatnonzero(~counting & (self.v >= self.peak_level) & (self.v < self.v_old))
        self.dead[counting] -= 1
        self.dead[spikes] = self.dead_steps
        return spikes

    def read(self, name, neurons):
        if name == "v":
            return self.v[neurons] / hh_math.MV
        if name in ("m", "h", "n"):
            return self.state[1 + "mhn".index(name)][neurons].copy()
        return super().read(name, neurons)
