"""Synaptic kinetics that are exact over a step: exponentially decaying and alpha-shaped conductances
or currents, their values at the stage times of RK4 steps, and the alpha kernel's normalisation.

A synaptic variable ``g`` (S or A) of time constant ``tau`` (s) follows, between spikes,

    exponential:  dg/dt = -g/tau                     g(t0 + s) = g0 exp(-s/tau)
    alpha:        dg/dt = y - g/tau, dy/dt = -y/tau  g(t0 + s) = (g0 + s y0) exp(-s/tau)

so its value at any time inside a step is known exactly. A step of length ``h`` split into ``n``
RK4 substeps evaluates the right-hand side at the stage times ``s_j = j h / (2 n)``, j = 0 ... 2n
(for n = 1: 0, h/2, h); the value at ``s_2n = h`` is the state after the step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .propagators import scalar_if_uniform

E = math.e


def alpha_scale(tau):
    """e / tau (1/s): a spike of weight ``w`` adds ``w e / tau`` to the alpha drive ``y``, so that the
    kernel ``w (t/tau) exp(1 - t/tau)`` peaks at ``w``, ``tau`` after the spike (PyNN's convention)."""
    return E / np.asarray(tau, dtype=float)


@dataclass(frozen=True)
class StageFactors:
    """Exact factors of a synaptic kinetics at the stage times ``s_j`` of a step ``h`` (s) made of
    ``substeps`` RK4 substeps, for ``tau`` per channel and neuron (shape (channels, neurons)):
    ``decay[j] = exp(-s_j/tau)`` and ``s_decay[j] = s_j exp(-s_j/tau)`` (s). Each entry is one float
    when it is the same everywhere, a (channels, 1) column when uniform per channel, else an array.
    ``euler = 1 - h/tau`` and ``h_over_tau`` serve forward Euler."""

    decay: tuple
    s_decay: tuple
    euler: np.ndarray | float
    h_over_tau: np.ndarray | float
    substeps: int

    @classmethod
    def make(cls, h: float, tau, substeps: int = 1) -> "StageFactors":
        tau = np.asarray(tau, dtype=float)
        decay, s_decay = [], []
        for j in range(2 * substeps + 1):
            s = h * j / (2 * substeps)
            d = np.exp(-s / tau)
            decay.append(_compact(d))
            s_decay.append(_compact(s * d))
        return cls(tuple(decay), tuple(s_decay), _compact(1 - h / tau), _compact(h / tau), substeps)

    @property
    def last(self) -> int:
        """Index of the stage at the end of the step (s = h)."""
        return 2 * self.substeps


def _compact(arr: np.ndarray):
    """One float when uniform, a (channels, 1) column when uniform per channel, else the array."""
    uniform = scalar_if_uniform(arr)
    if np.isscalar(uniform):
        return uniform
    if arr.ndim == 2 and np.all(arr == arr[:, :1]):
        return arr[:, :1].copy()
    return arr


def exp_stage(g: np.ndarray, f: StageFactors, j: int, out: np.ndarray) -> np.ndarray:
    """Exponential kinetics: g(t0 + s_j) from g at t0, written into ``out``."""
    return np.multiply(g, f.decay[j], out=out)


def alpha_stage(g: np.ndarray, y: np.ndarray, f: StageFactors, j: int, out: np.ndarray) -> np.ndarray:
    """Alpha kinetics: g(t0 + s_j) = exp(-s_j/tau) g + s_j exp(-s_j/tau) y from g and its drive y at
    t0, written into ``out`` (the drive after the step is ``y exp(-h/tau)``)."""
    np.multiply(g, f.decay[j], out=out)
    out += f.s_decay[j] * y
    return out
