"""Spike delivery from compressed sparse rows into ring buffers (schema/semantics.md, "Delays and
delivery").

The synapses from one pre population into one target group are stored by pre neuron (CSR); their
targets are flat indices into the group's ring buffer ``ring[slot, channel, neuron]`` (channel = the
receptor row), and their weights are already scaled to what the target's state receives (e.g. the alpha
drive ``w e / tau``). Delivering the spikes of step ``k`` adds each synapse's weight to the slot
``(k + delay) % ring_len``, which the target reads at step ``k + delay``. Delivery is an object of its
own so that another rule (per-synapse plasticity) can replace it without touching the engine loop.
"""

from __future__ import annotations

from array import array

import numpy as np

#: up to this many spikes in a step, each spike's row is added by its own np.add.at (about 1-2 us each);
#: more take the vectorised gather of all rows at once (about 10 us whatever the count)
_ROWS_ONE_BY_ONE = 8


class CsrDelivery:
    """Outgoing synapses of one pre population into one target group, in CSR form by pre neuron.

    ``pre`` (pre indices), ``flat_target`` (channel * group size + post index), ``weight`` (scaled),
    ``delay`` (steps >= 1) are per synapse; ``row_len`` = channels * group size."""

    def __init__(self, n_pre: int, pre: np.ndarray, flat_target: np.ndarray, weight: np.ndarray,
                 delay: np.ndarray, ring_len: int, row_len: int):
        order = np.argsort(pre, kind="stable")
        self.indptr = np.concatenate([[0], np.cumsum(np.bincount(pre, minlength=n_pre))]).astype(np.int64)
        # int32 targets and no per-synapse delay array when all delays are equal: 12 bytes per synapse
        # (weight and target) instead of 24, which is what the engine's peak memory grows with
        index_type = np.int32 if ring_len * row_len < 2**31 else np.int64
        self.target = flat_target[order].astype(index_type)
        self.weight = weight[order].astype(float)
        uniform = delay.size and np.all(delay == delay[0])
        self.uniform_delay = int(delay[0]) if uniform else None
        self.delay = None if uniform else delay[order].astype(np.int64)
        self.ring_len, self.row_len = ring_len, row_len
        # the row pointers as machine integers that index to Python ints without numpy's scalar boxing
        self._rows = array("q", self.indptr.tobytes())

    def deliver(self, k: int, spikes: np.ndarray, ring_flat: np.ndarray) -> None:
        """Add the synapses of the pre neurons ``spikes`` (spiking in step k) to the flat ring buffer."""
        if self.uniform_delay is not None and spikes.size <= _ROWS_ONE_BY_ONE:
            # the same additions in the same order (row by row, synapse by synapse) as below
            base = ((k + self.uniform_delay) % self.ring_len) * self.row_len
            slot, rows, target, weight = ring_flat[base:base + self.row_len], self._rows, self.target, self.weight
            for i in spikes.tolist():
                start, end = rows[i], rows[i + 1]
                if end > start:
                    np.add.at(slot, target[start:end], weight[start:end])
            return
        starts, ends = self.indptr[spikes], self.indptr[spikes + 1]
        counts = ends - starts
        total = int(counts.sum())
        if total == 0:
            return
        if spikes.size == 1:
            idx = slice(int(starts[0]), int(ends[0]))
        else:
            # concatenated ranges [starts[i], ends[i]) without a Python loop
            idx = np.repeat(starts - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts) + np.arange(total)
        if self.uniform_delay is not None:
            base = ((k + self.uniform_delay) % self.ring_len) * self.row_len
            np.add.at(ring_flat, self.target[idx] + base, self.weight[idx])
        else:
            slots = (k + self.delay[idx]) % self.ring_len
            np.add.at(ring_flat, slots * self.row_len + self.target[idx], self.weight[idx])
