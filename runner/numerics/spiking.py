"""Spike conditions and resets (phases 3 and 4 of schema/semantics.md), as pure functions of the state
arrays, shared by the reference engine and the adapters that reproduce it.

- reset models (LIF, conductance LIF, AdEx): refractory neurons are held at the reset value, neurons at
  or above threshold spike, are reset and are refractory for ``round(tau_refrac / dt)`` steps;
- Izhikevich: ``v >= 30 mV`` spikes, ``v <- c``, ``u <- u + d``, no refractoriness;
- HH: an upward crossing of the detection potential between the step's start and end, no reset.
"""

from __future__ import annotations

import numpy as np


def refractory_steps(tau_refrac, dt: float) -> int | np.ndarray:
    """round(tau_refrac / dt) per neuron (tau_refrac, dt in s): one int when all agree, else int64."""
    steps = np.rint(np.asarray(tau_refrac, float) / dt).astype(np.int64)
    return int(steps[0]) if np.all(steps == steps[0]) else steps


def clamp_threshold_reset(k: int, x: np.ndarray, ref_until: np.ndarray, ref_steps, x_reset, x_thresh) -> np.ndarray:
    """Phases 3 and 4 of a reset model in step k, in place: hold refractory neurons (``ref_until > k``)
    at ``x_reset``; neurons with ``x >= x_thresh`` spike, are reset and are refractory until step
    ``k + 1 + ref_steps`` (``ref_until`` is the first step they integrate again). Returns the spiking
    neurons (int64 indices)."""
    np.putmask(x, ref_until > k, x_reset)
    spikes = np.flatnonzero(x >= x_thresh)
    if spikes.size:
        x[spikes] = x_reset if np.isscalar(x_reset) else x_reset[spikes]
        ref_until[spikes] = k + 1 + (ref_steps if np.isscalar(ref_steps) else ref_steps[spikes])
    return spikes


def izhikevich_fire(v: np.ndarray, u: np.ndarray, c, d, v_peak: float) -> np.ndarray:
    """``v >= v_peak`` spikes: ``v <- c``, ``u <- u + d`` (in place, the paper's units). Returns them."""
    spikes = np.flatnonzero(v >= v_peak)
    if spikes.size:
        v[spikes] = c if np.isscalar(c) else c[spikes]
        u[spikes] += d if np.isscalar(d) else d[spikes]
    return spikes


def upward_crossings(below_before: np.ndarray, v: np.ndarray, threshold: float) -> np.ndarray:
    """The neurons that were below ``threshold`` at the step's start (``below_before``) and are at or
    above it at its end."""
    return np.flatnonzero(below_before & (v >= threshold))
