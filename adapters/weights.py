"""Recorded and final weights (``WeightTrace``) from per-step samples, the same for every backend that
samples its synapses' weights itself (the reference engine, brian2, nengo): schema/semantics.md,
"Plasticity", "Recorded and final weights". Weights in SI (A, S or V), times in s."""

from __future__ import annotations

import numpy as np

from .base import WeightTrace


def weight_trace(proj, synapses: np.ndarray, times: np.ndarray, values: np.ndarray) -> WeightTrace:
    """``values[i, j]``: the weight of drawn synapse ``synapses[j]`` of ``proj`` at ``times[i]``."""
    return WeightTrace(times, synapses, np.asarray(proj.pre, np.int64)[synapses],
                       np.asarray(proj.post, np.int64)[synapses], values)


def recorded_entries(inst) -> dict[str, list[tuple[np.ndarray, np.ndarray]]]:
    """The spec's weight recordings grouped per projection: projection -> one ``(synapse indices, sample
    steps 0, every, ... before n_steps)`` per ``record`` entry, in the instance's order (for backends
    that read weights at those steps, then merge the entries as :func:`merge_samples` does)."""
    entries: dict[str, list] = {}
    for rec in inst.recordings:
        if rec.projection is None:
            continue
        proj = inst.projections[rec.projection]
        chosen = np.arange(proj.size) if rec.synapses is None else np.asarray(rec.synapses, np.int64)
        every = int(round((rec.interval or inst.dt) / inst.dt))
        entries.setdefault(rec.projection, []).append((chosen, np.arange(0, inst.n_steps, every)))
    return entries


def static_samples(proj, synapses: np.ndarray, every: int, n_steps: int) -> tuple:
    """The record entry ``(synapses, sample steps, samples)`` of a static projection: its drawn weights at
    every sample step ``0, every, ...`` before ``n_steps``."""
    steps = np.arange(0, n_steps, every)
    weights = np.asarray(proj.weight, float)[synapses]
    return synapses, steps, [weights] * steps.size


def merge_samples(parts: list, proj, dt: float) -> WeightTrace:
    """One projection's record entries ``(synapses, sample steps, samples)`` as one WeightTrace: a single
    entry as it is; several (other synapses, other intervals) on the union of their sample steps and
    synapses, NaN where an entry did not sample a synapse."""
    if len(parts) == 1:
        chosen, steps, samples = parts[0]
        return weight_trace(proj, chosen, steps * dt, np.vstack(samples) if samples else np.empty((0, chosen.size)))
    steps = np.unique(np.concatenate([p[1] for p in parts]))
    synapses = np.unique(np.concatenate([p[0] for p in parts]))
    out = np.full((steps.size, synapses.size), np.nan)
    for chosen, own_steps, samples in parts:
        if samples:
            out[np.ix_(np.searchsorted(steps, own_steps), np.searchsorted(synapses, chosen))] = np.vstack(samples)
    return weight_trace(proj, synapses, steps * dt, out)
