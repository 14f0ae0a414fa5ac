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

    Within a step, changes keep the order the stimuli are given in, so currents add up in the same
    order as when each stimulus is applied on its own. Changes at negative steps act from step 0."""
    steps, neurons, deltas = [], [], []
    for targets, change_steps, amplitudes in stimuli:
        targets = np.unique(np.asarray(targets, np.int64))
        amplitudes = np.asarray(amplitudes, float)
        change = np.diff(np.concatenate([[0.0], amplitudes]))
        keep = (np.asarray(change_steps) < n_steps) & (amplitudes != np.concatenate([[0.0], amplitudes[:-1]]))
        at = np.maximum(np.asarray(change_steps, np.int64)[keep], 0)
        steps.append(np.repeat(at, targets.size))
        neurons.append(np.tile(targets, at.size))
        deltas.append(np.repeat(change[keep], targets.size))
    steps_all = np.concatenate(steps) if steps else np.empty(0, np.int64)
    order = np.argsort(steps_all, kind="stable")
    steps_all = steps_all[order]
    unique = np.unique(steps_all)
    ptr = np.searchsorted(steps_all, np.concatenate([unique, [n_steps + 1]]) if unique.size else [0])
    neurons_all = np.concatenate(neurons)[order] if neurons else np.empty(0, np.int64)
    deltas_all = np.concatenate(deltas)[order] if deltas else np.empty(0)
    return StimulusSchedule(unique, ptr.astype(np.int64), neurons_all, deltas_all)
