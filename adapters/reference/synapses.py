"""Synaptic kinetics parts of the reference engine's groups: the state of each receptor channel
(exc = row 0, inh = row 1), how spike input enters it, and its exact evolution over a step.

- current kinetics for the exact LIF membrane (:mod:`.lif`): :class:`ExpCurrents`, :class:`AlphaCurrents`,
  :class:`VoltageJumps` (no synaptic state; a weight is a jump of v). They add their exact contribution
  to the membrane over the step (the propagators P21, P31) and then decay exactly;
- conductance kinetics for the nonlinear membranes: :class:`ExpConductances`, :class:`AlphaConductances`.
  They give the conductances at the RK4 stage times (:mod:`snnrun.numerics.kinetics`) and then take
  their end-of-step values.

Each also supports forward Euler (``simulation.options.reference.integrator: euler``): the synaptic
variables then step with ``g <- g + h dg/dt`` like every other state variable.
"""

from __future__ import annotations

import numpy as np

from ...numerics import kinetics as kin
from ...numerics import propagators as prop

CHANNEL = {"exc": 0, "inh": 1}
_NAMES = {"i_syn_exc": 0, "i_syn_inh": 1, "g_exc": 0, "g_inh": 1}


def _pair(params, a: str, b: str, n: int) -> np.ndarray:
    return np.stack([np.broadcast_to(params[a], n), np.broadcast_to(params[b], n)]).astype(float)


class VoltageJumps:
    """A weight (V, times ``unit``) is added to the membrane potential at the step's end."""

    n_channels = 1
    names: tuple[str, ...] = ()

    def __init__(self, params, initial, dt: float, n: int, unit: float = 1.0):
        self.unit = unit

    def add_to_membrane(self, u: np.ndarray) -> None:
        pass

    def advance(self) -> None:
        pass

    def advance_euler(self) -> None:
        pass

    def current_sum(self):
        return 0.0

    def receive(self, inputs: np.ndarray, u: np.ndarray) -> None:
        u += inputs[0]

    def weight_scale(self, receptor: str, post: np.ndarray):
        return 0, self.unit

    def read(self, name: str, neurons: np.ndarray) -> np.ndarray:
        raise KeyError(name)


class ExpCurrents:
    """Exponentially decaying currents ``i_syn_exc``, ``i_syn_inh`` (A); a weight is added to i_syn."""

    n_channels = 2
    names = ("i_syn_exc", "i_syn_inh")

    def __init__(self, params, initial, dt: float, n: int):
        self.h = dt
        self.tau = _pair(params, "tau_syn_exc", "tau_syn_inh", n)
        self.i_syn = np.stack([np.asarray(initial["i_syn_exc"], float), np.asarray(initial["i_syn_inh"], float)])
        self.p11 = self._column(prop.decay(dt, self.tau))
        p21 = prop.exp_current_to_v(dt, params["tau_m"], self.tau, params["cm"])
        self.p21_uniform = np.all(p21 == p21[:, :1])
        self.p21 = p21[:, 0].copy() if self.p21_uniform else p21
        # per receptor: its row of i_syn and its coefficients (floats when uniform), and scratch rows, so
        # a step is a few numpy calls writing in place (each allocation and broadcast costs time at the
        # group sizes where the per-call overhead dominates)
        self._rows = (self.i_syn[0], self.i_syn[1])
        self._p21 = tuple(float(c) for c in self.p21) if self.p21_uniform else (self.p21[0], self.p21[1])
        self._p11 = (float(self.p11[0, 0]), float(self.p11[1, 0])) if self.p11.shape[1] == 1 else \
            (self.p11[0], self.p11[1])
        scratch = np.empty((2, n))
        self._scratch = (scratch[0], scratch[1])  # views made once: unpacking a 2-D array costs a step 1 us

    @staticmethod
    def _column(arr: np.ndarray):
        return arr[:, :1].copy() if np.all(arr == arr[:, :1]) else arr

    def add_to_membrane(self, u: np.ndarray) -> None:
        # u + (p21_exc i_exc + p21_inh i_inh): the receptors summed in order with one rounding per product
        # and sum, as the compiled kernel does (numba_kernels.py) and numpy's einsum over the receptors did;
        # a matrix product would go through BLAS, whose fused multiply-adds depend on the CPU
        a, b = self._scratch
        np.multiply(self._rows[0], self._p21[0], out=a)
        np.multiply(self._rows[1], self._p21[1], out=b)
        np.add(a, b, out=a)
        np.add(u, a, out=u)

    def advance(self) -> None:
        for row, p11 in zip(self._rows, self._p11):
            np.multiply(row, p11, out=row)

    def current_sum(self) -> np.ndarray:
        return self.i_syn[0] + self.i_syn[1]

    def advance_euler(self) -> None:
        self.i_syn -= (self.h / self.tau) * self.i_syn

    def receive(self, inputs: np.ndarray, u: np.ndarray) -> None:
        np.add(self.i_syn, inputs, out=self.i_syn)

    def weight_scale(self, receptor: str, post: np.ndarray):
        return CHANNEL[receptor], 1.0

    def read(self, name: str, neurons: np.ndarray) -> np.ndarray:
        return self.i_syn[_NAMES[name], neurons]


class AlphaCurrents(ExpCurrents):
    """Alpha currents ``w (t/tau) exp(1 - t/tau)``, peak = weight at t = tau: each receptor has a drive
    ``y`` (A/s), a spike adds ``w e / tau`` to y, and di/dt = y - i/tau."""

    def __init__(self, params, initial, dt: float, n: int):
        self.h = dt
        self.tau = _pair(params, "tau_syn_exc", "tau_syn_inh", n)
        self.i_syn = np.stack([np.asarray(initial["i_syn_exc"], float), np.asarray(initial["i_syn_inh"], float)])
        self.y = np.zeros_like(self.i_syn)
        self.p11 = prop.decay(dt, self.tau)
        self.p21 = prop.exp_current_to_v(dt, params["tau_m"], self.tau, params["cm"])
        self.p31 = prop.alpha_drive_to_v(dt, params["tau_m"], self.tau, params["cm"])
        self.hp11 = dt * self.p11

    def add_to_membrane(self, u: np.ndarray) -> None:
        u += np.einsum("cn,cn->n", self.p21, self.i_syn)
        u += np.einsum("cn,cn->n", self.p31, self.y)

    def advance(self) -> None:
        self.i_syn *= self.p11
        self.i_syn += self.hp11 * self.y
        self.y *= self.p11

    def advance_euler(self) -> None:
        h = self.h
        self.i_syn += h * (self.y - self.i_syn / self.tau)
        self.y -= (h / self.tau) * self.y

    def receive(self, inputs: np.ndarray, u: np.ndarray) -> None:
        self.y += inputs

    def weight_scale(self, receptor: str, post: np.ndarray):
        channel = CHANNEL[receptor]
        return channel, kin.alpha_scale(self.tau[channel, post])


class ExpConductances:
    """Exponentially decaying conductances ``g_exc``, ``g_inh`` (S; held internally in ``unit`` per S);
    a weight is added to g. ``stages()`` gives g at the stage times of a step of ``substeps`` RK4
    substeps (kinetics.py); ``advance()`` then moves g to the step's end."""

    n_channels = 2
    names = ("g_exc", "g_inh")

    def __init__(self, params, initial, dt: float, n: int, unit: float = 1.0, substeps: int = 1):
        self.unit = unit
        self.tau = _pair(params, "tau_syn_exc", "tau_syn_inh", n)
        self.g = np.stack([np.asarray(initial["g_exc"], float), np.asarray(initial["g_inh"], float)]) * unit
        self.factors = kin.StageFactors.make(dt, self.tau, substeps)
        self._stages = [self.g] + [np.empty_like(self.g) for _ in range(2 * substeps)]

    def stages(self) -> list[np.ndarray]:
        """g at every stage time of the step (index 0: the step's start, which is ``self.g`` itself)."""
        f = self.factors
        for j in range(1, f.last + 1):
            kin.exp_stage(self.g, f, j, self._stages[j])
        return self._stages

    def advance(self) -> None:
        """After :meth:`stages`: g <- g(t0 + h)."""
        self.g[...] = self._stages[self.factors.last]

    def advance_euler(self) -> None:
        self.g *= self.factors.euler

    def receive(self, inputs: np.ndarray) -> None:
        self.g += inputs

    def weight_scale(self, receptor: str, post: np.ndarray):
        return CHANNEL[receptor], self.unit

    def read(self, name: str, neurons: np.ndarray) -> np.ndarray:
        values = self.g[_NAMES[name], neurons]
        return values / self.unit if self.unit != 1.0 else values.copy()


class AlphaConductances(ExpConductances):
    """Alpha conductances ``w (t/tau) exp(1 - t/tau)`` (peak = weight, tau after the spike): each
    receptor has a drive ``y`` (S/s); a spike adds ``w e / tau`` to y, and dg/dt = y - g/tau."""

    def __init__(self, params, initial, dt: float, n: int, unit: float = 1.0, substeps: int = 1):
        super().__init__(params, initial, dt, n, unit, substeps)
        self.h = dt
        self.y = np.zeros_like(self.g)

    def stages(self) -> list[np.ndarray]:
        f = self.factors
        for j in range(1, f.last + 1):
            kin.alpha_stage(self.g, self.y, f, j, self._stages[j])
        return self._stages

    def advance(self) -> None:
        self.g[...] = self._stages[self.factors.last]
        self.y *= self.factors.decay[self.factors.last]

    def advance_euler(self) -> None:
        self.g *= self.factors.euler
        self.g += self.h * self.y
        self.y *= self.factors.euler

    def receive(self, inputs: np.ndarray) -> None:
        self.y += inputs

    def weight_scale(self, receptor: str, post: np.ndarray):
        channel = CHANNEL[receptor]
        return channel, kin.alpha_scale(self.tau[channel, post]) * self.unit
