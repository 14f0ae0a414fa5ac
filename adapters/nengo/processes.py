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

from ...numerics.schedules import stimulus_schedule


class _FixedProcess(Process):
    """A Process made for one dt and one instance; identity equality (each node owns its state)."""

    def __init__(self, dt: float, size_out: int):
        super().__init__(default_size_in=0, default_size_out=size_out, default_dt=dt)
        self.dt = dt
        self.size = size_out

    __eq__ = object.__eq__
    __hash__ = object.__hash__

    def __repr__(self) -> str:
        # nengo names the signals it builds for a process by its repr; FrozenObject's repr prints every
        # argument, which for a stimulus of 1000 per-neuron noise groups took 48 s of building
        return f"{type(self).__name__}(size={self.size}, dt={self.dt})"

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
    """Sum of the population's piecewise-constant stimuli (per neuron of the population, in the
    NeuronType's current unit: A, or pA for Izhikevich and HH).

    ``events``: step k -> (neuron indices, current changes), the reference engine's schedule
    (:func:`stimulus_events`), applied as it applies it (``np.add.at`` in schedule order), so the
    currents are the same floats. In nengo step n the output is the current of step k = n - 1.
    """

    def __init__(self, events: dict[int, tuple[np.ndarray, np.ndarray]], dt: float, size: int):
        super().__init__(dt, size)
        self.events = events

    def make_step(self, shape_in, shape_out, dt, rng, state):
        self._check(shape_out, dt)
        current = np.zeros(shape_out)
        events = self.events

        def step_stimulus(t):
            change = events.get(int(round(t / dt)) - 1)
            if change is not None:
                np.add.at(current, change[0], change[1])
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


def stimulus_events(stimuli, n_steps: int, unit: float = 1.0) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Changes by step of the instance's stimuli on one population: the reference engine's schedule
    (:func:`snnrun.numerics.schedules.stimulus_schedule`), the changes in ``unit`` per ampere (scaled
    before they accumulate, as the reference engine scales them)."""
    schedule = stimulus_schedule([(s.neurons, s.change_steps, s.amplitudes) for s in stimuli], n_steps)
    return {step: (neurons, deltas * unit if unit != 1.0 else deltas)
            for step, (neurons, deltas) in schedule.by_step().items()}
