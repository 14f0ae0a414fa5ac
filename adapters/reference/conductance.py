"""Conductance-based groups: the machinery every conductance model shares (synaptic conductances from
a kinetics part, injected current, the integrator option, an instability check), and the two reset
models ``lif_cond_*`` and ``adex_cond_*``. The membrane arithmetic is :mod:`snnrun.numerics`'.

Phase 1 (semantics.md): the conductances' exact values at the stage times of the step are computed
first (:mod:`snnrun.numerics.kinetics`), the membrane takes one RK4 step with them and with the
injected current of the step held constant, and the conductances then take their end-of-step values;
phase 2 adds the arriving weights to g (exp) or to the alpha drive y. With ``integrator: euler`` every
state variable, conductances included, takes one forward-Euler step from the step's start.
"""

from __future__ import annotations

from abc import abstractmethod

import numpy as np

from ...numerics import adex as adex_math
from ...numerics import lif_cond as lif_cond_math
from ...numerics.propagators import scalar_if_uniform
from ...numerics.spiking import ThresholdReset, refractory_steps
from ...schema.values import value_bounds
from .protocol import NeuronGroup, check_finite

CHECK_EVERY = 64  # steps between checks that the membrane potential is still finite


class ConductanceGroup(NeuronGroup):
    """Base of the conductance-based groups. Internal units: ``time_unit``, ``current_unit`` and
    ``conductance_unit`` per SI unit (1 for SI; HH works in ms, pA and nS)."""

    time_unit = current_unit = conductance_unit = 1.0
    substeps = 1

    def __init__(self, params, initial, dt: float, integrator: str = "standard", *, kinetics):
        self.n = len(params["cm"])
        self.dt = dt
        self.h = dt * self.time_unit
        self.integrator = "euler" if integrator == "euler" else "rk4"
        self.syn = kinetics(params, initial, dt, self.n, unit=self.conductance_unit, substeps=self.substeps)
        self.n_channels = self.syn.n_channels
        self.i_offset = np.asarray(params["i_offset"], float) * self.current_unit
        self.i_stim = np.zeros(self.n)
        self._update_current()

    def _update_current(self) -> None:
        self.current = scalar_if_uniform(self.i_offset + self.i_stim)

    def inject(self, neurons: np.ndarray, deltas: np.ndarray) -> None:
        np.add.at(self.i_stim, neurons, np.asarray(deltas, float) * self.current_unit)
        self._update_current()

    def integrate(self, k: int) -> None:
        if self.integrator == "euler":
            self.membrane_step(k, [self.syn.g])
            self.syn.advance_euler()
        else:
            self.membrane_step(k, self.syn.stages())
            self.syn.advance()
        if k % CHECK_EVERY == 0:
            check_finite("v", self.v, k)

    def receive(self, inputs: np.ndarray) -> None:
        self.syn.receive(inputs)

    @abstractmethod
    def membrane_step(self, k: int, g_stages: list[np.ndarray]) -> None:
        """Integrate the membrane state over step k with the conductances at the stage times."""

    def weight_scale(self, receptor: str, post: np.ndarray):
        return self.syn.weight_scale(receptor, post)

    def read(self, name: str, neurons: np.ndarray) -> np.ndarray:
        return self.syn.read(name, neurons)


class LifCondGroup(ConductanceGroup):
    """lif_cond_exp / lif_cond_alpha: the LIF membrane with conductance synapses (numerics.lif_cond);
    reset and refractoriness as for the current-based LIF (v held at v_reset)."""

    sorted_spikes = True  # ThresholdReset returns them ascending (AdexGroup adds to w only)

    def __init__(self, params, initial, dt, integrator="standard", *, kinetics):
        super().__init__(params, initial, dt, integrator, kinetics=kinetics)
        self.coef = lif_cond_math.LifCondCoefficients.from_params(params)
        self.v = np.array(initial["v"], float)
        self.v_reset, self.v_thresh = scalar_if_uniform(params["v_reset"]), scalar_if_uniform(params["v_thresh"])
        self.ref_steps = refractory_steps(params["tau_refrac"], dt)
        self.ref_until = np.zeros(self.n, np.int64)
        self._threshold_reset = ThresholdReset(self.ref_until, self.ref_steps)

    def membrane_step(self, k, g_stages):
        lif_cond_math.lif_cond_step(self.v, g_stages, self.coef, self.current, self.h, self.integrator)

    def fire(self, k: int) -> np.ndarray:
        # v is the only membrane variable: integrating a refractory neuron and putting it back at
        # v_reset is the same as holding it there
        return self._threshold_reset(k, self.v, self.v_reset, self.v_thresh)

    def read(self, name, neurons):
        return self.v[neurons] if name == "v" else super().read(name, neurons)


class AdexGroup(LifCondGroup):
    """adex_cond_exp / adex_cond_alpha (numerics.adex): spike at v >= v_spike, then v <- v_reset,
    w <- w + b; while refractory v is held (dv/dt = 0) and w evolves with v = v_reset."""

    @staticmethod
    def check_params(params) -> list[tuple[str, str]]:
        """(parameter, message) for what this scheme cannot run: delta_t <= 0, and an exponential term
        that could overflow, (v_spike - v_thresh) / delta_t above ln(DBL_MAX / 1e20) (NEST's limit)."""
        return adex_math.parameter_problems(value_bounds(params["delta_t"])[0], value_bounds(params["v_spike"])[1],
                                            value_bounds(params["v_thresh"])[0])

    def __init__(self, params, initial, dt, integrator="standard", *, kinetics):
        super().__init__(params, initial, dt, integrator, kinetics=kinetics)
        self.coef = adex_math.AdexCoefficients.from_params(params)
        self.v_thresh = scalar_if_uniform(params["v_spike"])
        self.w = np.array(initial["w"], float)
        self.b = scalar_if_uniform(params["b"])

    def membrane_step(self, k, g_stages):
        refractory = self.ref_until > k
        active = (~refractory).astype(float) if refractory.any() else None
        adex_math.adex_step(self.v, self.w, g_stages, self.coef, self.current, self.h, self.integrator, active)

    def fire(self, k: int) -> np.ndarray:
        spikes = super().fire(k)
        if spikes.size:
            self.w[spikes] += self.b if np.isscalar(self.b) else self.b[spikes]
        return spikes

    def read(self, name, neurons):
        return self.w[neurons] if name == "w" else super().read(name, neurons)
