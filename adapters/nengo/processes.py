"""Inputs nengo lacks, as nengo Processes: replayed spike trains, piecewise-constant stimuli and the
decay of an initial synaptic current.

A Process in a Node runs in nengo's ``set`` mode: its output in step n (t = n dt) is read by the
neurons in the same step n, which is step k = n - 1 of semantics.md. So a source emits in step n the
spikes stamped n dt, and a stimulus outputs in step n the current of step k = n - 1.
"""

from __future__ import annotations

import numpy as np
from nengo.exceptions import BuildError
from nengo.processes import Process


class _FixedProcess(Process):
    """A Process made for one dt and one instance; identity equality (each node owns its state)."""

    def __init__(self, dt: float, size_out: int):
        super().__init__(default_size_in=0, default_size_out=size_out, default_dt=dt)
        self.dt = dt
        self.size = size_out

    __eq__ = object.__eq__
    __hash__ = object.__hash__

    def _check(self, shape_out, dt):
        if abs(dt - self.dt) > 1e-12 * self.dt or shape_out != (self.size,):
            raise BuildError(f"{type(self).__name__} was made for dt={self.dt} and size {self.size}, "
                             f"built with dt={dt} and shape {shape_out}")


class SpikeTrainSource(_FixedProcess):
    """Replays snnrun's drawn spike stamps: in nengo step n, neuron i outputs 1/dt if it has the stamp
    ``n dt``, else 0. ``indptr``/``steps`` are the instance's compressed rows (steps >= 1)."""

    def __init__(self, indptr: np.ndarray, steps: np.ndarray, dt: float, n_steps: int):
        super().__init__(dt, len(indptr) - 1)
        ids = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
        order = np.argsort(steps, kind="stable")
        self.ids = ids[order]
        # ptr[n]..ptr[n+1]: the neurons stamped n dt
        self.ptr = np.searchsorted(np.asarray(steps)[order], np.arange(n_steps + 2))

    def make_step(self, shape_in, shape_out, dt, rng, state):
        self._check(shape_out, dt)
        out = np.zeros(shape_out)
        height = 1.0 / dt
        ids, ptr, last = self.ids, self.ptr, len(self.ptr) - 2
        previous = ids[:0]

        def step_spike_train(t):
            nonlocal previous
            out[previous] = 0.0
            n = int(round(t / dt))
            if n <= last:
                previous = ids[ptr[n]:ptr[n + 1]]
                out[previous] = height
            else:
                previous = ids[:0]
            return out

        return step_spike_train


class StimulusCurrent(_FixedProcess):
    """Sum of the population's piecewise-constant stimuli (A, per neuron of the population).

    ``events``: step k -> list of (neuron indices, amplitude change), as the reference engine applies
    them (changes accumulate in the same order, so the currents are the same floats). In nengo step n
    the output is the current of step k = n - 1.
    """

    def __init__(self, events: dict[int, list[tuple[np.ndarray, float]]], dt: float, size: int):
        super().__init__(dt, size)
        self.events = events

    def make_step(self, shape_in, shape_out, dt, rng, state):
        self._check(shape_out, dt)
        current = np.zeros(shape_out)
        events = self.events

        def step_stimulus(t):
            k = int(round(t / dt)) - 1
            changes = events.get(k)
            if changes:
                for neurons, delta in changes:
                    current[neurons] += delta
            return current

        return step_stimulus


class InitialCurrent(_FixedProcess):
    """Effective current (A) of a nonzero initial synaptic current that decays with no input:
    ``factor * i0 * decay**(n - 1)`` in nengo step n (the current at the step's start)."""

    def __init__(self, start: np.ndarray, decay, dt: float):
        super().__init__(dt, len(start))
        self.start = np.asarray(start, float)
        self.decay = decay

    def make_step(self, shape_in, shape_out, dt, rng, state):
        self._check(shape_out, dt)
        value = self.start.copy()
        out = np.empty(shape_out)
        decay = self.decay

        def step_initial_current(t):
            out[...] = value
            value[...] *= decay
            return out

        return step_initial_current


def stimulus_events(stimuli, n_steps: int) -> dict[int, list[tuple[np.ndarray, float]]]:
    """Changes by step of the instance's stimuli on one population (the reference engine's rule)."""
    events: dict[int, list[tuple[np.ndarray, float]]] = {}
    for stim in stimuli:
        previous = 0.0
        for step, amp in zip(stim.change_steps, stim.amplitudes):
            if step < n_steps and amp != previous:
                events.setdefault(int(max(step, 0)), []).append((stim.neurons, float(amp - previous)))
            previous = amp
    return events
