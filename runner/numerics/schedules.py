"""Injected currents as a schedule of changes per step (schema/semantics.md, "Injected currents").

A stimulus holds ``amplitudes[j]`` (A) from step ``change_steps[j]`` to the next change (0 before the
first), so a group's injected current only needs updating at the steps where some stimulus changes,
by the difference from its previous amplitude. A neuron a stimulus lists twice receives it once; the
currents of several stimuli add up.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import numpy as np


@dataclass(frozen=True)
class StimulusSchedule:
    """At step ``steps[j]`` the current of the neurons ``neurons[ptr[j]:ptr[j+1]]`` (indices into the
    group) changes by ``deltas[ptr[j]:ptr[j+1]]`` (A); ``steps`` is increasing."""

    steps: np.ndarray
    ptr: np.ndarray
    neurons: np.ndarray
    deltas: np.ndarray

    def by_step(self) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """step -> (neurons, deltas), for a loop that looks its step up."""
        return {int(s): (self.neurons[a:b], self.deltas[a:b])
                for s, a, b in zip(self.steps, self.ptr[:-1], self.ptr[1:])}


def stimulus_schedule(stimuli: Iterable[tuple[np.ndarray, np.ndarray, np.ndarray]], n_steps: int) -> StimulusSchedule:
    """The schedule of ``(neurons, change_steps, amplitudes)`` stimuli over steps 0 ... n_steps - 1.

    Changes are kept in the order the stimuli are given, so currents add up in the same order as when
    each stimulus is applied on its own. Changes at negative steps act from step 0."""
    events: dict[int, list[tuple[np.ndarray, float]]] = {}
    for neurons, change_steps, amplitudes in stimuli:
        neurons = np.unique(np.asarray(neurons, np.int64))
        previous = 0.0
        for step, amp in zip(change_steps, amplitudes):
            if step < n_steps and amp != previous:
                events.setdefault(int(max(step, 0)), []).append((neurons, amp - previous))
            previous = amp
    steps = np.array(sorted(events), np.int64)
    parts = [events[int(s)] for s in steps]
    sizes = [sum(n.size for n, _ in p) for p in parts]
    ptr = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    neurons = np.concatenate([n for p in parts for n, _ in p]) if parts else np.empty(0, np.int64)
    deltas = np.concatenate([np.full(n.size, d) for p in parts for n, d in p]) if parts else np.empty(0)
    return StimulusSchedule(steps, ptr, neurons, deltas)
