"""Spike conditions and resets (phases 3 and 4 of schema/semantics.md), as pure functions of the state
arrays, shared by the reference engine and the adapters that reproduce it.

- reset models (LIF, conductance LIF, AdEx): refractory neurons are held at the reset value, neurons at
  or above threshold spike, are reset and are refractory for ``round(tau_refrac / dt)`` steps;
- Izhikevich: ``v >= 30 mV`` spikes, ``v <- c``, ``u <- u + d``, no refractoriness;
- HH: an upward crossing of the detection potential between the step's start and end, no reset.
"""

from __future__ import annotations

from collections import deque

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


class ThresholdReset:
    """:func:`clamp_threshold_reset` for the steps of a run (``k`` = 0, 1, 2, ...), with the same results and
    the same ``ref_until``, in fewer passes over the group when the refractory period is uniform.

    Instead of comparing every neuron's ``ref_until`` with k, the neurons still refractory are kept as an
    index array, in the order they spiked (a neuron that spiked in step s is held in steps s + 1 ... s +
    ref_steps), so clamping them is one indexed assignment; and the threshold test writes into a buffer.
    Per-neuron refractory periods take :func:`clamp_threshold_reset` itself. When the steps do not come in
    order, the held neurons are rebuilt from ``ref_until`` (which only this object may change meanwhile)."""

    def __init__(self, ref_until: np.ndarray, ref_steps):
        self.ref_until, self.ref_steps = ref_until, ref_steps
        self.sparse = np.isscalar(ref_steps)
        self._above = np.empty(ref_until.shape, bool)
        self._next_k = None  # the step the held neurons below are right for

    def _rebuild(self, k: int) -> None:
        held = np.flatnonzero(self.ref_until > k)
        held = held[np.argsort(self.ref_until[held], kind="stable")]
        spiked_in = self.ref_until[held] - 1 - self.ref_steps  # the step each held neuron spiked in
        steps, counts = np.unique(spiked_in, return_counts=True)
        # the held neurons are _buffer[_start:_end]: released from the front, appended at the back, so a
        # step costs a slice and a copy of its spikes instead of a concatenation of all held neurons
        self._buffer = np.empty(max(2 * held.size, 64), np.int64)
        self._buffer[:held.size] = held
        self._start, self._end = 0, held.size
        self._recent = deque(zip(steps.tolist(), counts.tolist()))  # (step, spikes), oldest first

    def _append(self, spikes: np.ndarray) -> None:
        """Hold ``spikes`` after the neurons held already (moving those to the front, or to a buffer twice
        the size, when the end is reached)."""
        start, end, n = self._start, self._end, spikes.size
        if end + n > self._buffer.size:
            buffer = self._buffer if 2 * (end - start + n) <= self._buffer.size else \
                np.empty(2 * (end - start + n), np.int64)
            buffer[:end - start] = self._buffer[start:end]
            self._buffer, start, end = buffer, 0, end - start
        self._buffer[end:end + n] = spikes
        self._start, self._end = start, end + n

    def __call__(self, k: int, x: np.ndarray, x_reset, x_thresh) -> np.ndarray:
        """Phases 3 and 4 of step k on ``x`` (in place); returns the spiking neurons (int64, ascending)."""
        if not self.sparse:
            return clamp_threshold_reset(k, x, self.ref_until, self.ref_steps, x_reset, x_thresh)
        if k != self._next_k:
            self._rebuild(k)
        recent = self._recent
        if recent and recent[0][0] < k - self.ref_steps:  # released from this step on
            while recent and recent[0][0] < k - self.ref_steps:
                self._start += recent.popleft()[1]
        per_neuron = isinstance(x_reset, np.ndarray) and x_reset.ndim > 0  # (np.isscalar costs more)
        if self._end > self._start:
            held = self._buffer[self._start:self._end]
            x[held] = x_reset[held] if per_neuron else x_reset
        spikes = np.greater_equal(x, x_thresh, out=self._above).nonzero()[0]
        if spikes.size:
            x[spikes] = x_reset[spikes] if per_neuron else x_reset
            self.ref_until[spikes] = k + 1 + self.ref_steps
            if self.ref_steps > 0:
                self._append(spikes)
                recent.append((k, spikes.size))
        self._next_k = k + 1
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
