"""Per-neuron stimulus parameters (``amplitude: {values: [...], unit: nA}`` or a distribution) as groups
of neurons that share one value each, so every backend keeps receiving plain stimuli: one
:class:`~snnrun.instance.StimulusInstance` per distinct set of values, named ``<stimulus>#<k>``.

Why groups and not a per-neuron amplitude array in the instance: every adapter already maps a stimulus
with one schedule onto its simulator (a Brian2 TimedArray column, a nengo Process, a NEST
step_current_generator, NEURON's IClamp), and a group is exactly such a stimulus. Measured for 1000
neurons with 1000 distinct dc amplitudes (``benchmarks/stimulus_groups.py``): see the README.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .random_streams import stream
from .schema.model import Distribution, Stimulus, Values, frozen_map


def _draw(value, n: int, rng) -> np.ndarray:
    if isinstance(value, Values):
        return np.asarray(value.values, dtype=float)
    from .instance import draw_value
    return draw_value(value, n, rng)


def stimulus_groups(stim: Stimulus, population_size: int, seed: int) -> list[Stimulus]:
    """``stim`` itself when every parameter is one value; else one Stimulus per distinct set of per-neuron
    values, its ``neurons`` the targets that share them (in target order) and its params plain floats.

    Distributions are drawn from the stream ``("stimuli", name, "params", key)``, one value per target
    neuron in target order; the noise sequence of a ``noise`` stimulus stays the stimulus' own (its
    groups share it, scaled by their own mean and std).
    """
    per_neuron = sorted(k for k, v in stim.params.items() if isinstance(v, (Values, Distribution)))
    if not per_neuron:
        return [stim]
    neurons = np.arange(population_size) if stim.neurons is None else np.asarray(stim.neurons, np.int64)
    columns = [_draw(stim.params[k], neurons.size, stream(seed, "stimuli", stim.name, "params", k))
               for k in per_neuron]
    rows, group_of = np.unique(np.column_stack(columns), axis=0, return_inverse=True)
    group_of = group_of.reshape(-1)
    return [dataclasses.replace(stim, name=f"{stim.name}#{g}", neurons=tuple(neurons[group_of == g].tolist()),
                                params=frozen_map({**stim.params, **{k: float(v) for k, v in zip(per_neuron, row)}}))
            for g, row in enumerate(rows)]


def noise_stream_name(name: str) -> str:
    """The stimulus whose noise stream a group uses: ``"bias#3" -> "bias"``."""
    return name.split("#", 1)[0]
