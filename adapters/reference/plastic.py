"""Plastic synapses of the reference engine: per-synapse STDP and Tsodyks-Markram state, updated on the
pre spikes of each synapse (rows of a CSR by pre neuron) and on the spikes of its post neuron (a
transposed index), exactly as schema/semantics.md ("Plasticity", "Short-term plasticity") defines.

Static projections keep :class:`~snnrun.numerics.delivery.CsrDelivery` (and whatever compiled kernel
replaces it); the projections with rules get :class:`PlasticDelivery` objects of their own, in numpy,
one per pre population, target group and rule (as static ones share one CsrDelivery per pre population
and target group).

The delivery objects and their time frame (the shifted events, what the start of a step processes)
are in :mod:`snnrun.numerics.plastic_delivery`, shared with the nengo adapter.
"""

from __future__ import annotations

import numpy as np

from ...numerics.plastic_delivery import PlasticDelivery
from ..base import WeightTrace
from ..weights import merge_samples, weight_trace


def is_plastic(proj) -> bool:
    return proj.plasticity is not None or proj.short_term is not None


class PlasticSynapses:
    """Every plastic projection of one engine, and the weight recordings.

    Built from the instance, the engine's groups (by name), the populations' places in them
    (``members[pop] = (group, offset, size)``) and the ring buffers. Projections from one pre population
    into one group with the same rules share one :class:`PlasticDelivery` (as static ones share a
    CsrDelivery). The engine routes pre spikes through :attr:`by_pre` like any delivery, calls
    :meth:`begin_step` before the groups step, hands every group's spikes to :meth:`post_spikes`, and
    reads :meth:`recorded` at the end.
    """

    def __init__(self, instance, groups, members, rings):
        self.dt, self.n_steps = instance.dt, instance.n_steps
        self.projections = instance.projections
        grouped: dict[tuple, list] = {}
        for proj in instance.projections.values():
            if proj.size == 0 or not is_plastic(proj):
                continue
            gname, offset, _size = members[proj.post_population]
            group = groups[gname]
            post = np.asarray(proj.post, np.int64) + offset
            channel, scale = group.weight_scale(proj.receptor, post)
            key = (proj.pre_population, gname, proj.plasticity, proj.short_term)
            grouped.setdefault(key, []).append((proj, channel * group.n + post, scale, post))
        self.by_pre: dict[str, list] = {}
        self.by_group: dict[str, list] = {}
        self.delivery_of: dict[str, PlasticDelivery] = {}
        for (pre_pop, gname, stdp, tm), parts in grouped.items():
            delivery = PlasticDelivery(parts, instance.populations[pre_pop].size, groups[gname].n, stdp, tm,
                                       rings[gname], self.dt)
            self.by_pre.setdefault(pre_pop, []).append((gname, delivery))
            if stdp is not None:
                self.by_group.setdefault(gname, []).append(delivery)
            self.delivery_of.update({proj.name: delivery for proj, *_ in parts})
        self.active = list({id(d): d for d in self.delivery_of.values()}.values())
        self.probes = []
        for rec in instance.recordings:
            if rec.projection is None:
                continue
            chosen = np.arange(instance.projections[rec.projection].size) if rec.synapses is None else \
                np.asarray(rec.synapses, np.int64)
            every = int(round((rec.interval or self.dt) / self.dt))
            self.probes.append((rec.projection, chosen, every, []))

    def begin_step(self, k: int) -> None:
        for name, chosen, every, samples in self.probes:
            if k % every == 0:
                samples.append(self._weights(name, chosen))
        for delivery in self.active:
            delivery.begin_step(k)

    def post_spikes(self, gname: str, k: int, spikes: np.ndarray) -> None:
        for delivery in self.by_group.get(gname, ()):
            delivery.post_spikes(k, spikes)

    def _weights(self, name: str, chosen: np.ndarray) -> np.ndarray:
        if name in self.delivery_of:
            return self.delivery_of[name].weights(name, chosen)
        return np.asarray(self.projections[name].weight, float)[chosen]

    def recorded(self) -> tuple[dict[str, WeightTrace], dict[str, WeightTrace]]:
        """(weights recorded by the spec's ``record`` entries, one WeightTrace per projection; the final
        weights of every projection with STDP, at the end of the run)."""
        by_projection: dict[str, list] = {}
        for name, chosen, every, samples in self.probes:
            by_projection.setdefault(name, []).append((chosen, np.arange(len(samples)) * every, samples))
        weights = {name: merge_samples(parts, self.projections[name], self.dt) for name, parts in by_projection.items()}
        final = {}
        for name, delivery in self.delivery_of.items():
            if delivery.stdp is None:
                continue
            every = np.arange(self.projections[name].size)
            final[name] = weight_trace(self.projections[name], every, np.array([self.n_steps * self.dt]),
                                 delivery.weights(name, every)[None, :])
        return weights, final
