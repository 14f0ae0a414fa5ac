"""Synaptic delays for nengo: a sparse transform with per-synapse delays, delivered event by event.

Nengo has no synaptic delays. :class:`DelayedSparse` is a connection transform (nengo's extension point
for what a connection does to its input: a Transform subclass with a registered builder) holding the
instance's explicit synapses ``(pre, post, weight, delay_steps)``. Its builder adds two operators
around a ring buffer ``ring[slot, post]`` (slots = longest delay + 1):

- :class:`EmitArrivals` (``sets`` the transform's output): in step n, output ``ring[n % slots]``, the
  amplitudes arriving at the end of step n (stamp n dt);
- :class:`DeliverSpikes` (``updates`` the ring, so it runs after every read of it in the step): clears
  slot n and adds the weights of the pre neurons that spiked in step n (stamp n dt) to slot
  ``(n + delay) % slots``, from compressed rows by pre neuron, without a Python loop over synapses.

Because delivery looks only at the pre neurons that spiked, a step costs a few numpy calls plus the
synapses of the spikes, instead of a sparse matrix-vector product over every synapse (what nengo's
``Sparse`` transform does: 70% of a hand-written nengo CUBA step). A spike's amplitude is its height
times dt (1 for nengo's spikes of height 1/dt), so a weight is delivered once per spike.

Since the output of step n never depends on the input of step n, a recurrent connection with no
synapse (delta jumps) is not an algebraic loop for nengo's operator graph.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse
from nengo.builder import Builder, Operator, Signal
from nengo.transforms import Transform

_FEW = 8  # spikes in a step up to which rows are delivered one by one


class DelayedSparse(Transform):
    """Explicit synapses with delays: ``pre``, ``post`` (int indices), ``weight`` (amplitude delivered
    per spike, in the post synapse's units), ``delay_steps`` (int >= 1, whole steps of dt)."""

    def __init__(self, shape: tuple[int, int], pre, post, weight, delay_steps):
        super().__init__()
        self.shape = (int(shape[0]), int(shape[1]))
        order = np.argsort(pre, kind="stable")
        self.indptr = np.concatenate([[0], np.cumsum(np.bincount(pre, minlength=self.shape[1]))]).astype(np.int64)
        self.post = np.asarray(post, np.int64)[order]
        self.weight = np.asarray(weight, float)[order]
        delay = np.asarray(delay_steps, np.int64)[order]
        if delay.size and delay.min() < 1:
            raise ValueError("DelayedSparse: every delay must be at least one step")
        self.uniform_delay = int(delay[0]) if delay.size and np.all(delay == delay[0]) else None
        self.delay = delay
        self.slots = int(delay.max()) + 1 if delay.size else 2

    __eq__ = object.__eq__
    __hash__ = object.__hash__

    @property
    def size_in(self) -> int:
        return self.shape[1]

    @property
    def size_out(self) -> int:
        return self.shape[0]

    def sample(self, rng=np.random):
        """The summed weight matrix (post x pre) as scipy CSR, delays dropped (for inspection)."""
        pre = np.repeat(np.arange(self.shape[1]), np.diff(self.indptr))
        return scipy.sparse.csr_matrix((self.weight, (self.post, pre)), shape=self.shape)


class EmitArrivals(Operator):
    """``output <- ring[step % slots]``: sets output; reads the ring and the step counter."""

    def __init__(self, ring, step, output, tag=None):
        super().__init__(tag=tag)
        self.sets, self.incs, self.reads, self.updates = [output], [], [ring, step], []

    def make_step(self, signals, dt, rng):
        ring, step, output = signals[self.reads[0]], signals[self.reads[1]], signals[self.sets[0]]
        slots = ring.shape[0]

        def step_emit_arrivals():
            output[...] = ring[step % slots]

        return step_emit_arrivals


class DeliverSpikes(Operator):
    """Clears this step's slot and adds the weights of this step's spikes ``delay`` slots ahead.

    Reads the pre population's output and the step counter; updates the ring.
    """

    def __init__(self, transform, spikes, step, ring, tag=None):
        super().__init__(tag=tag)
        self.transform = transform
        self.sets, self.incs, self.reads, self.updates = [], [], [spikes, step], [ring]

    def make_step(self, signals, dt, rng):
        spikes, step, ring = signals[self.reads[0]], signals[self.reads[1]], signals[self.updates[0]]
        tr = self.transform
        slots, n_post = ring.shape
        flat = ring.reshape(-1)
        if not np.shares_memory(flat, ring):
            raise ValueError("DeliverSpikes needs a contiguous ring buffer")
        indptr, post, weight, delay = tr.indptr, tr.post, tr.weight, tr.delay
        uniform = tr.uniform_delay
        height = 1.0 / dt  # a nengo spike; its amplitude height * dt is 1 and needs no multiply

        def step_deliver_spikes():
            n = int(step)
            ring[n % slots] = 0.0
            # (x != 0).nonzero() is about 3x faster than np.flatnonzero on a float vector
            fired = (spikes != 0.0).nonzero()[0]
            if fired.size == 0:
                return
            if fired.size <= _FEW:
                # a few spikes (CUBA: about 2 per step): rows one by one beat building an index
                for j in fired.tolist():
                    a, b = indptr[j], indptr[j + 1]
                    w = weight[a:b] if spikes[j] == height else weight[a:b] * (spikes[j] * dt)
                    if uniform is not None:
                        np.add.at(ring[(n + uniform) % slots], post[a:b], w)
                    else:
                        np.add.at(flat, post[a:b] + ((n + delay[a:b]) % slots) * n_post, w)
                return
            starts, ends = indptr[fired], indptr[fired + 1]
            counts = ends - starts
            total = int(counts.sum())
            # concatenated ranges [starts[i], ends[i]) without a Python loop
            idx = np.repeat(starts - np.concatenate(([0], np.cumsum(counts)[:-1])), counts) + np.arange(total)
            amp = spikes[fired] * dt
            w = weight[idx] if np.all(spikes[fired] == height) else weight[idx] * np.repeat(amp, counts)
            if uniform is not None:
                np.add.at(ring[(n + uniform) % slots], post[idx], w)
            else:
                np.add.at(flat, post[idx] + ((n + delay[idx]) % slots) * n_post, w)

        return step_deliver_spikes


@Builder.register(DelayedSparse)
def build_delayed_sparse(model, transform, sig_in, decoders=None, encoders=None, rng=np.random):
    """Builds the ring buffer and the emit/deliver operators; returns (output signal, weights signal)."""
    if decoders is not None or encoders is not None:
        raise ValueError("DelayedSparse connects neurons or nodes, not decoded ensembles")
    ring = Signal(np.zeros((transform.slots, transform.size_out)), name=f"{transform}.ring")
    weighted = Signal(shape=transform.size_out, name=f"{transform}.arrivals")
    model.add_op(EmitArrivals(ring, model.step, weighted, tag=f"{transform}.emit"))
    model.add_op(DeliverSpikes(transform, sig_in, model.step, ring, tag=f"{transform}.deliver"))
    weights = Signal(transform.weight, name=f"{transform}.weights", readonly=True)
    return weighted, weights
