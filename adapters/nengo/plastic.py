"""Plastic synapses for nengo: STDP and Tsodyks-Markram on the delayed sparse weights of one projection.

nengo's own learning rules act on Dense transforms only and change weights on every step from decoded
signals; snnrun's rules are event-driven and per synapse (schema/semantics.md, "Plasticity",
"Short-term plasticity"). :class:`PlasticSparse` is a connection transform (like
:class:`~.transforms.DelayedSparse`, nengo's extension point) whose builder steps the shared
:class:`~snnrun.numerics.plastic_delivery.PlasticDelivery` the reference engine steps, in the same
order, so the weights, traces and amplitudes are the reference's arithmetic:

- :class:`ProcessPlasticEvents` (``sets`` the transform's output) in nengo step ``n`` (step ``m = n - 1``
  of semantics.md): samples the recorded weights, then ``begin_step(m)`` (the post spikes, then the pre
  spikes due: potentiation, depression, traces, release) writes the transmitted amplitudes into the
  ring's slot, which it outputs (the amplitudes arriving at ``n dt``) and clears;
- :class:`ScheduleSpikes` (``updates`` the ring, so it runs after the neurons of step ``n`` have spiked
  and after the output was read): the pre neurons' spikes of step ``n`` (stamp ``n dt``, step ``k = n - 1``)
  go to ``deliver(k, ...)``, the post neurons' to ``post_spikes(k, ...)``; both are due at later steps
  (at least ``k + 1``), so nothing of step ``n`` changes this step's output.

The output in step ``n`` does not depend on the spikes of step ``n``: recurrent plastic projections are
not algebraic loops, as with DelayedSparse. One pre spike per neuron and step (nengo's spikes have
height ``1/dt``; a source emits at most one per step).
"""

from __future__ import annotations

import numpy as np
from nengo.builder import Builder, Operator, Signal
from nengo.transforms import Transform

from ...numerics.plastic_delivery import PlasticDelivery


class _Part:
    """The projection as PlasticDelivery's ``parts`` expect it (name, size, pre, delay_steps, weight)."""

    def __init__(self, proj):
        self.name, self.size = proj.name, proj.size
        self.pre, self.delay_steps, self.weight = proj.pre, proj.delay_steps, proj.weight


class PlasticSparse(Transform):
    """The synapses of one plastic projection ``proj`` (of the drawn instance) onto ``post_neurons`` (the
    post ensemble's ``.neurons``, whose spikes drive STDP): weights in SI, ``scale`` the factor from a
    spec weight to the amplitude the post synapse takes (scalar or per synapse), ``stdp`` and ``tm`` the
    rules (None: absent). ``probes`` are ``(synapses, every)`` weight samples to take; after the run
    :attr:`delivery` holds the synapses' state and :attr:`samples` the samples, per probe."""

    def __init__(self, shape: tuple[int, int], proj, scale, stdp, tm, post_neurons, dt: float,
                 probes: list[tuple[np.ndarray, int]] = ()):
        super().__init__()
        self.shape = (int(shape[0]), int(shape[1]))
        if proj.size and np.min(proj.delay_steps) < 1:
            raise ValueError("PlasticSparse: every delay must be at least one step")
        self.proj, self.scale, self.stdp, self.tm = proj, scale, stdp, tm
        self.post_neurons, self.dt = post_neurons, dt
        self.probes = list(probes)
        self.samples: list[list[np.ndarray]] = [[] for _ in self.probes]
        self.delivery: PlasticDelivery | None = None

    __eq__ = object.__eq__
    __hash__ = object.__hash__

    @property
    def size_in(self) -> int:
        return self.shape[1]

    @property
    def size_out(self) -> int:
        return self.shape[0]

    def make_delivery(self, ring: np.ndarray) -> PlasticDelivery:
        """A fresh delivery writing into ``ring[slot, post]`` (the built signal's array)."""
        post = np.asarray(self.proj.post, np.int64)
        self.samples = [[] for _ in self.probes]
        self.delivery = PlasticDelivery([(_Part(self.proj), post, self.scale, post)], self.shape[1], self.shape[0],
                                        self.stdp, self.tm, ring, self.dt)
        return self.delivery

    def weights(self, synapses: np.ndarray) -> np.ndarray:
        """The current weights (SI) of the drawn synapses ``synapses``."""
        return self.delivery.weights(self.proj.name, synapses)

    def sample(self, rng=np.random):
        """The drawn (initial) weights as a post x pre scipy CSR matrix, delays dropped (for inspection:
        the weights change during the run, :meth:`weights` reads them)."""
        import scipy.sparse
        return scipy.sparse.csr_matrix((np.asarray(self.proj.weight, float), (self.proj.post, self.proj.pre)),
                                       shape=self.shape)


class ProcessPlasticEvents(Operator):
    """Weight samples, the events due at step ``m = n - 1``, and the ring slot out: sets the output."""

    def __init__(self, transform, ring, step, output, tag=None):
        super().__init__(tag=tag)
        self.transform = transform
        self.sets, self.incs, self.reads, self.updates = [output], [], [ring, step], []

    def make_step(self, signals, dt, rng):
        ring, step, output = signals[self.reads[0]], signals[self.reads[1]], signals[self.sets[0]]
        tr = self.transform
        delivery = tr.make_delivery(ring)
        probes = [(synapses, every, out) for (synapses, every), out in zip(tr.probes, tr.samples)]
        slots = ring.shape[0]

        def step_process_plastic_events():
            m = int(step) - 1
            for synapses, every, out in probes:
                if m % every == 0:
                    out.append(delivery.weights(tr.proj.name, synapses).copy())
            delivery.begin_step(m)
            slot = ring[m % slots]
            output[...] = slot
            slot[...] = 0.0

        return step_process_plastic_events


class ScheduleSpikes(Operator):
    """The pre and post spikes of this step into the delivery's schedules: reads both populations'
    outputs and the step counter; updates the ring (so it runs after the ring was read)."""

    def __init__(self, transform, pre_spikes, post_spikes, step, ring, tag=None):
        super().__init__(tag=tag)
        self.transform = transform
        self.sets, self.incs, self.reads, self.updates = [], [], [pre_spikes, post_spikes, step], [ring]

    def make_step(self, signals, dt, rng):
        pre, post, step = (signals[s] for s in self.reads)
        tr = self.transform
        stdp = tr.stdp is not None

        def step_schedule_spikes():
            delivery = tr.delivery
            k = int(step) - 1
            fired = (pre != 0.0).nonzero()[0]
            if fired.size:
                delivery.deliver(k, fired)
            if stdp:
                spiked = (post != 0.0).nonzero()[0]
                if spiked.size:
                    delivery.post_spikes(k, spiked)

        return step_schedule_spikes


@Builder.register(PlasticSparse)
def build_plastic_sparse(model, transform, sig_in, decoders=None, encoders=None, rng=np.random):
    """A one-slot ring (what begin_step(m) writes is output in the same step), the two operators; returns
    (output signal, weights signal: the initial weights, for inspection only)."""
    if decoders is not None or encoders is not None:
        raise ValueError("PlasticSparse connects neurons or nodes, not decoded ensembles")
    ring = Signal(np.zeros((1, transform.size_out)), name=f"{transform}.ring")
    out = Signal(shape=transform.size_out, name=f"{transform}.arrivals")
    post_spikes = model.sig[transform.post_neurons]["out"]
    model.add_op(ProcessPlasticEvents(transform, ring, model.step, out, tag=f"{transform}.events"))
    model.add_op(ScheduleSpikes(transform, sig_in, post_spikes, model.step, ring, tag=f"{transform}.schedule"))
    weights = Signal(np.asarray(transform.proj.weight, float), name=f"{transform}.weights", readonly=True)
    return out, weights
