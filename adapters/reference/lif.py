"""Current-based LIF groups (``lif_curr_exp``, ``lif_curr_alpha``, ``lif_curr_delta``): the exact LIF
membrane composed with one current-kinetics part (:mod:`.synapses`).

Phase 1 is the exact propagator update (Rotter & Diesmann 1999): ``u <- P22 u + P21 i + P31 y + P20 I``
with ``u = v - v_rest`` (held relative to v_rest, which saves an operation per step), then the synaptic
state decays exactly. With ``integrator: euler`` the same equations take a forward-Euler step instead.
"""

from __future__ import annotations

import numpy as np

from ...numerics import propagators as prop
from ...numerics.spiking import ThresholdReset, refractory_steps
from .protocol import NeuronGroup


class LifCurrGroup(NeuronGroup):
    """The exact LIF membrane with synaptic ``kinetics`` (ExpCurrents, AlphaCurrents or VoltageJumps)."""

    sorted_spikes = True  # ThresholdReset returns them ascending

    def __init__(self, params, initial, dt: float, integrator: str = "standard", *, kinetics):
        self.n = len(params["cm"])
        self.dt = dt
        self.euler = integrator == "euler"
        p = {k: prop.scalar_if_uniform(v) for k, v in params.items()}
        self.v_rest = p["v_rest"]
        self.theta = prop.scalar_if_uniform(params["v_thresh"] - params["v_rest"])
        self.u_reset = prop.scalar_if_uniform(params["v_reset"] - params["v_rest"])
        self.ref_steps = refractory_steps(params["tau_refrac"], dt)
        self.p22 = prop.scalar_if_uniform(prop.decay(dt, params["tau_m"]))
        self.p20 = prop.scalar_if_uniform(prop.dc_to_v(dt, params["tau_m"], params["cm"]))
        self.h_over_tau_m = prop.scalar_if_uniform(dt / np.asarray(params["tau_m"], float))
        self.h_over_cm = prop.scalar_if_uniform(dt / np.asarray(params["cm"], float))
        self.u = np.asarray(initial["v"], float) - params["v_rest"]
        self.i_offset = np.asarray(params["i_offset"], float)
        self.i_stim = np.zeros(self.n)
        self.ref_until = np.zeros(self.n, np.int64)  # first step at which the neuron integrates again
        self._threshold_reset = ThresholdReset(self.ref_until, self.ref_steps)
        self.syn = kinetics(params, initial, dt, self.n)
        self.n_channels = self.syn.n_channels
        self._update_drive()

    def _update_drive(self) -> None:
        """Recompute the constant-current term of the voltage update (after a stimulus change)."""
        current = self.i_offset + self.i_stim
        self.current = prop.scalar_if_uniform(current)
        drive = prop.scalar_if_uniform(self.p20 * current)
        self.drive = None if (np.isscalar(drive) and drive == 0.0) else drive

    def integrate(self, k: int) -> None:
        u = self.u
        if self.euler:
            # u' = -u/tau_m + (i_syn + I)/cm, all from the step's start; then the synapses' own step
            du = self.h_over_cm * (self.syn.current_sum() + self.current) - self.h_over_tau_m * u
            u += du
            self.syn.advance_euler()
            return
        u *= self.p22
        self.syn.add_to_membrane(u)
        if self.drive is not None:
            u += self.drive
        self.syn.advance()

    def receive(self, inputs: np.ndarray) -> None:
        self.syn.receive(inputs, self.u)

    def fire(self, k: int) -> np.ndarray:
        return self._threshold_reset(k, self.u, self.u_reset, self.theta)

    def inject(self, neurons: np.ndarray, deltas: np.ndarray) -> None:
        np.add.at(self.i_stim, neurons, deltas)
        self._update_drive()

    def read(self, name: str, neurons: np.ndarray) -> np.ndarray:
        if name == "v":
            v_rest = self.v_rest if np.isscalar(self.v_rest) else self.v_rest[neurons]
            return self.u[neurons] + v_rest
        return self.syn.read(name, neurons)

    def weight_scale(self, receptor: str, post: np.ndarray):
        return self.syn.weight_scale(receptor, post)
