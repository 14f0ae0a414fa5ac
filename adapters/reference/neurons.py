"""Vectorised neuron groups of the reference engine: one object per model type, holding every neuron of
every population of that type, so a step costs the same dozen numpy calls however many populations
share the type. The order of operations inside a step is the one schema/semantics.md defines:

1. integrate the subthreshold state over the step with the exact propagators (using the synaptic
   state and the injected current at the step's start);
2. add the synaptic input arriving at the step's end (ring-buffer slot of this step);
3. clamp refractory neurons at v_reset (a delta jump arriving while refractory is discarded);
4. threshold: v >= v_thresh spikes, stamped at the step's end; v <- v_reset; refractory for
   round(tau_refrac / dt) steps.

The membrane potential is held relative to v_rest (``u = v - v_rest``), which saves an operation per step.
"""

from __future__ import annotations

import math

import numpy as np

from . import propagators as prop

E = math.e


class LifGroup:
    """Shared LIF machinery; subclasses add the synaptic state of their model type.

    ``params``: name -> float64 array over the group's neurons (SI). ``initial``: state name -> array.
    ``n_channels`` is the number of input rows the ring buffer has for this group.
    """

    n_channels = 2
    state_names: tuple[str, ...] = ("v",)

    def __init__(self, params: dict[str, np.ndarray], initial: dict[str, np.ndarray], dt: float):
        self.n = len(params["cm"])
        self.dt = dt
        p = {k: prop.scalar_if_uniform(v) for k, v in params.items()}
        self.p = p
        self.v_rest = p["v_rest"]
        self.theta = prop.scalar_if_uniform(params["v_thresh"] - params["v_rest"])
        self.u_reset = prop.scalar_if_uniform(params["v_reset"] - params["v_rest"])
        ref_steps = np.rint(np.asarray(params["tau_refrac"], float) / dt).astype(np.int64)
        self.ref_steps = int(ref_steps[0]) if np.all(ref_steps == ref_steps[0]) else ref_steps
        self.p22 = prop.scalar_if_uniform(prop.decay(dt, params["tau_m"]))
        self.p20 = prop.scalar_if_uniform(prop.dc_to_v(dt, params["tau_m"], params["cm"]))
        self.u = np.asarray(initial["v"], float) - params["v_rest"]
        self.i_offset = np.asarray(params["i_offset"], float)
        self.i_stim = np.zeros(self.n)
        self.ref_until = np.zeros(self.n, np.int64)  # first step at which the neuron integrates again
        self.update_drive()

    def update_drive(self) -> None:
        """Recompute the constant-current term of the voltage update (after a stimulus change)."""
        drive = prop.scalar_if_uniform(self.p20 * (self.i_offset + self.i_stim))
        self.drive = None if (np.isscalar(drive) and drive == 0.0) else drive

    def _clamp_and_threshold(self, k: int) -> np.ndarray:
        u = self.u
        refractory = self.ref_until > k
        np.putmask(u, refractory, self.u_reset)
        spikes = np.flatnonzero(u >= self.theta)
        if spikes.size:
            u[spikes] = self.u_reset if np.isscalar(self.u_reset) else self.u_reset[spikes]
            ref = self.ref_steps if np.isscalar(self.ref_steps) else self.ref_steps[spikes]
            self.ref_until[spikes] = k + 1 + ref
        return spikes

    def read(self, name: str, neurons: np.ndarray) -> np.ndarray:
        """Current value (SI) of a state variable for the given neurons."""
        if name == "v":
            v_rest = self.v_rest if np.isscalar(self.v_rest) else self.v_rest[neurons]
            return self.u[neurons] + v_rest
        raise KeyError(name)


class LifCurrDelta(LifGroup):
    """lif_curr_delta: input is a voltage jump added at the step's end (both receptors alike)."""

    n_channels = 1

    def step(self, k: int, inputs: np.ndarray) -> np.ndarray:
        u = self.u
        u *= self.p22
        if self.drive is not None:
            u += self.drive
        u += inputs[0]
        return self._clamp_and_threshold(k)

    def weight_scale(self, receptor: str, post: np.ndarray) -> tuple[int, np.ndarray | float]:
        return 0, 1.0


class LifCurrExp(LifGroup):
    """lif_curr_exp: exponentially decaying currents ``i_syn_exc``, ``i_syn_inh`` (A), jump = weight."""

    state_names = ("v", "i_syn_exc", "i_syn_inh")

    def __init__(self, params, initial, dt):
        super().__init__(params, initial, dt)
        tau = np.stack([np.broadcast_to(params["tau_syn_exc"], self.n), np.broadcast_to(params["tau_syn_inh"], self.n)])
        self.i_syn = np.stack([np.asarray(initial["i_syn_exc"], float), np.asarray(initial["i_syn_inh"], float)])
        self.p11 = self._column(prop.decay(dt, tau))
        p21 = prop.exp_current_to_v(dt, params["tau_m"], tau, params["cm"])
        self.p21_uniform = np.all(p21 == p21[:, :1])
        self.p21 = p21[:, 0].copy() if self.p21_uniform else p21

    @staticmethod
    def _column(arr: np.ndarray):
        return arr[:, :1].copy() if np.all(arr == arr[:, :1]) else arr

    def step(self, k: int, inputs: np.ndarray) -> np.ndarray:
        u, i_syn = self.u, self.i_syn
        u *= self.p22
        u += self.p21 @ i_syn if self.p21_uniform else np.einsum("cn,cn->n", self.p21, i_syn)
        if self.drive is not None:
            u += self.drive
        i_syn *= self.p11
        i_syn += inputs
        return self._clamp_and_threshold(k)

    def weight_scale(self, receptor: str, post: np.ndarray):
        return (0 if receptor == "exc" else 1), 1.0

    def read(self, name, neurons):
        if name in ("i_syn_exc", "i_syn_inh"):
            return self.i_syn[0 if name == "i_syn_exc" else 1, neurons]
        return super().read(name, neurons)


class LifCurrAlpha(LifGroup):
    """lif_curr_alpha: alpha currents w (t/tau) exp(1 - t/tau), peak = weight at t = tau.

    Each receptor has a drive ``y`` (A/s): a spike adds ``w e / tau`` to y; di/dt = y - i/tau.
    """

    state_names = ("v", "i_syn_exc", "i_syn_inh")

    def __init__(self, params, initial, dt):
        super().__init__(params, initial, dt)
        self.tau = np.stack([np.broadcast_to(params["tau_syn_exc"], self.n),
                             np.broadcast_to(params["tau_syn_inh"], self.n)]).astype(float)
        self.i_syn = np.stack([np.asarray(initial["i_syn_exc"], float), np.asarray(initial["i_syn_inh"], float)])
        self.y = np.zeros_like(self.i_syn)
        self.p11 = prop.decay(dt, self.tau)
        self.p21 = prop.exp_current_to_v(dt, params["tau_m"], self.tau, params["cm"])
        self.p31 = prop.alpha_drive_to_v(dt, params["tau_m"], self.tau, params["cm"])
        self.hp11 = dt * self.p11

    def step(self, k: int, inputs: np.ndarray) -> np.ndarray:
        u, i_syn, y = self.u, self.i_syn, self.y
        u *= self.p22
        u += np.einsum("cn,cn->n", self.p21, i_syn)
        u += np.einsum("cn,cn->n", self.p31, y)
        if self.drive is not None:
            u += self.drive
        i_syn *= self.p11
        i_syn += self.hp11 * y
        y *= self.p11
        y += inputs
        return self._clamp_and_threshold(k)

    def weight_scale(self, receptor: str, post: np.ndarray):
        channel = 0 if receptor == "exc" else 1
        return channel, E / self.tau[channel, post]

    def read(self, name, neurons):
        if name in ("i_syn_exc", "i_syn_inh"):
            return self.i_syn[0 if name == "i_syn_exc" else 1, neurons]
        return super().read(name, neurons)


GROUPS = {"lif_curr_exp": LifCurrExp, "lif_curr_alpha": LifCurrAlpha, "lif_curr_delta": LifCurrDelta}
