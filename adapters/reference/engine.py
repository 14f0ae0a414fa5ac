"""The reference engine's simulation loop: neuron groups, event delivery from compressed sparse rows
into ring buffers, stimulus schedules and recording, over the instance's time grid.

The loop knows no model: populations of the same model type share one group built by the registry of
:mod:`.protocol` (filled by :mod:`.groups`), and every group is driven through the
:class:`~.protocol.NeuronGroup` protocol. Each (pre population, target group) pair gets one
:class:`~snnrun.numerics.delivery.CsrDelivery` whose targets are flat indices into that group's ring
buffer ``ring[slot, channel, neuron]``, so delivering all of a step's spikes of one population is a
handful of numpy calls whatever the number of projections. Projections with a plasticity rule get a
delivery each (:mod:`.plastic`), which also sees the post neurons' spikes and is called at the start of
every step, before the groups read their input.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...numerics.delivery import CsrDelivery
from ...numerics.schedules import stimulus_schedule
from ...schema.errors import BackendError
from ..base import Trace
from . import groups as _registered  # noqa: F401  (registers the built-in group classes)
from . import kernels
from .plastic import PlasticSynapses, is_plastic
from .protocol import NumericalInstability, make_group

_PROGRESS_EVERY = 200  # steps between progress callbacks


@dataclass
class _Member:
    """Where a population's neurons sit inside its group: neurons ``offset ... offset + size - 1``."""

    group: str
    offset: int
    size: int


class Engine:
    """Build once from a NetworkInstance, then :meth:`run`. Spikes and traces follow semantics.md.

    ``delivery`` is the class that carries one pre population's spikes into one target group
    (``deliver(k, spikes, ring_flat)``): a subclass may replace it (per-synapse plasticity).
    ``kernel`` (``auto``, ``numba``, ``numpy``) selects compiled steps and deliveries (:mod:`.kernels`)
    where they cover a group; :attr:`kernel` is the one used."""

    delivery = CsrDelivery

    def __init__(self, instance, integrator: str = "standard", kernel: str = "auto", hh_options=None):
        self.instance = instance
        self.integrator = integrator
        self.hh_options = dict(hh_options or {})  # the HH group's spike_rule and max_substep (hh.py)
        n_neurons = sum(p.size for p in instance.populations.values() if not p.model.is_source)
        self.kernel = kernels.resolve(kernel, kernels.work(
            n_neurons, instance.n_steps, sum(p.size for p in instance.projections.values()), instance.duration))
        self.dt, self.n_steps = instance.dt, instance.n_steps
        self._build_groups()
        self._build_delivery()
        self._build_sources()
        self._build_stimuli()
        self._build_poisson_inputs()
        self._build_recording()

    def kernel_versions(self) -> dict[str, str]:
        """For the results manifest: numba's version when the compiled kernels ran, else nothing."""
        if self.kernel != "numba":
            return {}
        import numba
        return {"numba": numba.__version__}

    # -- building ----------------------------------------------------------------------------------
    def _build_groups(self) -> None:
        inst = self.instance
        self.members: dict[str, _Member] = {}
        by_type: dict[str, list] = {}
        for pop in inst.populations.values():
            if not pop.model.is_source:
                by_type.setdefault(pop.type, []).append(pop)
        self.groups = {}
        for mtype, pops in by_type.items():
            offset = 0
            for pop in pops:
                self.members[pop.name] = _Member(mtype, offset, pop.size)
                offset += pop.size
            params = {k: np.concatenate([np.broadcast_to(p.params[k], p.size) for p in pops]) for k in pops[0].params}
            initial = {k: np.concatenate([p.initial[k] for p in pops]) for k in pops[0].initial}
            options = self.hh_options if mtype == "hh_cond_exp" else {}
            self.groups[mtype] = make_group(mtype, params, initial, self.dt, self.integrator, **options)
        # a compiled step where a kernel covers the group (its state stays the group's), else its own
        self.steppers = {name: (kernels.stepper(g) if self.kernel == "numba" else None) or g
                         for name, g in self.groups.items()}

    def _build_delivery(self) -> None:
        inst = self.instance
        max_delay = max((int(p.delay_steps.max()) for p in inst.projections.values() if p.size), default=1)
        self.ring_len = max_delay + 1
        self.rings = {name: np.zeros((self.ring_len, g.n_channels, g.n)) for name, g in self.groups.items()}
        grouped: dict[tuple[str, str], list] = {}
        for proj in inst.projections.values():
            if proj.size == 0 or is_plastic(proj):  # plastic projections: a delivery each (.plastic)
                continue
            member = self.members[proj.post_population]
            grouped.setdefault((proj.pre_population, member.group), []).append((proj, member.offset))
        merged = self._mergeable_groups(grouped)
        #: pre group -> [(target group, delivery over the pre group's neuron indices)]
        self.group_deliveries: dict[str, list[tuple[str, CsrDelivery]]] = {}
        by_group: dict[tuple[str, str], list] = {}
        for (pre_pop, gname), parts in grouped.items():
            pre = self.members.get(pre_pop)
            if pre is not None and pre.group in merged:
                by_group.setdefault((pre.group, gname), []).extend((proj, offset, pre.offset) for proj, offset in parts)
        for (pre_group, gname), parts in by_group.items():
            group = self.groups[gname]
            cat = [np.concatenate(arrays) for arrays in zip(*(self._csr_part(proj, offset, group, pre_offset)
                                                              for proj, offset, pre_offset in parts))]
            delivery = CsrDelivery(self.groups[pre_group].n, *cat, ring_len=self.ring_len,
                                   row_len=group.n_channels * group.n)
            self.group_deliveries.setdefault(pre_group, []).append((gname, delivery))
        self.deliveries: dict[str, list[tuple[str, CsrDelivery]]] = {}
        for (pre_pop, gname), parts in grouped.items():
            if pre_pop in self.members and self.members[pre_pop].group in merged:
                continue
            n_pre = inst.populations[pre_pop].size
            group = self.groups[gname]
            row_len = group.n_channels * group.n
            # a subclass's own delivery class is honoured; the compiled one replaces only CsrDelivery
            compiled = self._compiled_parts(parts, group) \
                if self.kernel == "numba" and self.delivery is CsrDelivery else None
            if compiled is not None:
                delivery = kernels.CompiledDelivery(n_pre, compiled, group.n, self.ring_len, row_len)
            else:
                cat = [np.concatenate(arrays) for arrays in zip(*(self._csr_part(proj, offset, group)
                                                                  for proj, offset in parts))]
                delivery = self.delivery(n_pre, *cat, ring_len=self.ring_len, row_len=row_len)
            self.deliveries.setdefault(pre_pop, []).append((gname, delivery))
        members = {pop: (m.group, m.offset, m.size) for pop, m in self.members.items()}
        self.plastic = PlasticSynapses(inst, self.groups, members, self.rings)
        for pre_pop, outs in self.plastic.by_pre.items():
            self.deliveries.setdefault(pre_pop, []).extend(outs)

    @staticmethod
    def _csr_part(proj, offset: int, group, pre_offset: int = 0):
        """(pre, flat target, scaled weight, delay) of one projection for a CsrDelivery; ``offset`` and
        ``pre_offset`` place the post and pre neurons in their groups."""
        post = np.asarray(proj.post, np.int64) + offset
        channel, scale = group.weight_scale(proj.receptor, post)
        return (np.asarray(proj.pre, np.int64) + pre_offset, channel * group.n + post, proj.weight * scale,
                np.asarray(proj.delay_steps, np.int64))

    def _mergeable_groups(self, grouped) -> set[str]:
        """The groups of several populations whose static synapses are delivered by one CsrDelivery per
        target group, indexed by the group's neurons, instead of one per population: the loop then hands
        a step's spikes over whole, without splitting them by population (on CUBA, about a sixth of the
        loop). It adds the same weights to the same ring cells in the same order, so only groups where
        that holds merge: the numpy kernel and the plain delivery class, spikes returned in ascending order
        (so population by population, as the split gave them), no plastic projection from the group, and
        delays that stay uniform when merged if they were uniform per population (the uniform-delay
        delivery is the fast one)."""
        if self.kernel != "numpy" or self.delivery is not CsrDelivery:
            return set()
        plastic_pre = {p.pre_population for p in self.instance.projections.values() if p.size and is_plastic(p)}
        delays: dict[tuple[str, str], list] = {}
        for (pre_pop, gname), parts in grouped.items():
            pre = self.members.get(pre_pop)
            if pre is not None:
                delays.setdefault((pre.group, gname), []).extend(np.asarray(p.delay_steps) for p, _ in parts)
        out = set()
        for name, group in self.groups.items():
            members = [pop for pop, m in self.members.items() if m.group == name]
            if len(members) < 2 or not getattr(self.steppers[name], "sorted_spikes", False) \
                    or plastic_pre.intersection(members):
                continue
            if all(_uniform_kept(arrays) for (pre_group, _), arrays in delays.items() if pre_group == name):
                out.add(name)
        return out

    def _compiled_parts(self, parts, group):
        """The parts of a CompiledDelivery, or None when two projections reach the same neurons through the
        same receptor (the compiled delivery adds part by part, and only disjoint parts keep CsrDelivery's
        order of additions into one ring cell, so those keep CsrDelivery)."""
        out, seen = [], set()
        every = np.arange(group.n)
        for proj, offset in parts:
            channel, scale = group.weight_scale(proj.receptor, every)
            key = (proj.post_population, channel)
            if key in seen:
                return None
            seen.add(key)
            out.append((proj.pre, proj.post, offset, channel, proj.weight, scale, proj.delay_steps))
        return out

    def _build_sources(self) -> None:
        """Source spike trains re-sorted by step, so step k finds its spikes (stamp (k+1) dt) by slicing."""
        self.sources = {}
        for pop in self.instance.populations.values():
            if pop.spikes is None:
                continue
            ids = pop.spikes.neuron_ids()
            steps = pop.spikes.steps - 1  # a stamp s dt is emitted in step s - 1
            order = np.argsort(steps, kind="stable")
            ptr = np.searchsorted(steps[order], np.arange(self.n_steps + 1))
            self.sources[pop.name] = (ptr, ids[order])

    def _build_stimuli(self) -> None:
        """Stimulus changes by step: step -> list of (group, neuron indices in group, current deltas)."""
        by_group: dict[str, list] = {}
        for stim in self.instance.stimuli.values():
            member = self.members[stim.population]
            by_group.setdefault(member.group, []).append(
                (stim.neurons + member.offset, stim.change_steps, stim.amplitudes))
        self.stim_events: dict[int, list] = {}
        for gname, stims in by_group.items():
            for step, (neurons, deltas) in stimulus_schedule(stims, self.n_steps).by_step().items():
                self.stim_events.setdefault(step, []).append((gname, neurons, deltas))

    def _build_poisson_inputs(self) -> None:
        """``poisson_input`` stimuli as (group, channel, neurons in group, weight per event in the ring's
        unit, events per step, first step, stop step, generator): each step adds a Poisson count per
        neuron times the weight to the receptor's ring row, the row every synaptic event of that step
        lands in, so the numpy groups and the compiled kernels read it alike (semantics.md, "Poisson
        input"). Drawn from the engine's own stream of the spec's seed, not from the instance."""
        from ...random_streams import stream
        self.poisson_inputs = []
        for pin in self.instance.poisson_inputs.values():
            member = self.members[pin.population]
            neurons = np.asarray(pin.neurons, np.int64) + member.offset
            channel, scale = self.groups[member.group].weight_scale(pin.receptor, neurons)
            if np.unique(neurons).size != neurons.size:  # a neuron listed twice gets two trains
                neurons, repeats = np.unique(neurons, return_counts=True)
                channel, scale = self.groups[member.group].weight_scale(pin.receptor, neurons)
                lam = pin.rate * self.dt * repeats
            else:
                lam = pin.rate * self.dt
            weight = pin.weight * np.broadcast_to(scale, neurons.shape).astype(float)
            self.poisson_inputs.append((member.group, channel, neurons, weight, lam, pin.start_step,
                                        min(pin.stop_step, self.n_steps),
                                        stream(self.instance.seed, "poisson_input", pin.name, "reference")))

    def _build_recording(self) -> None:
        self.spike_pops = {r.population for r in self.instance.recordings if r.variable == "spikes"}
        self.probes = []
        for rec in self.instance.recordings:
            if rec.variable == "spikes" or rec.population is None:
                continue
            member = self.members[rec.population]
            local = np.arange(member.size) if rec.neurons is None else np.asarray(rec.neurons, np.int64)
            every = int(round((rec.interval or self.dt) / self.dt))
            self.probes.append((rec, member.group, local + member.offset, local, every, []))

    # -- running -----------------------------------------------------------------------------------
    def _unstable(self, gname: str, exc: NumericalInstability) -> BackendError:
        pop, local = next((pop, exc.neuron - m.offset) for pop, m in self.members.items()
                          if m.group == gname and m.offset <= exc.neuron < m.offset + m.size)
        return BackendError("reference", f"{exc.variable} of neuron {local} became non-finite by t = "
                                         f"{(exc.step + 1) * self.dt:g} s: the integration is unstable at "
                                         f"dt = {self.dt:g} s (decrease simulation.dt)", ("populations", pop))

    def run(self, progress=None):
        """Simulate every step; return (spikes by population, traces by (population, variable)).
        A group whose integration became unstable raises BackendError naming its population (the
        groups check their state for non-finite values, so numpy's overflow warnings are silenced)."""
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return self._run(progress)

    def _run(self, progress):
        groups, rings, members = self.groups, self.rings, self.members
        ring_flat = {name: ring.reshape(-1) for name, ring in rings.items()}
        spike_log: dict[str, list] = {name: [] for name in groups}
        source_log: dict[str, list] = {name: [] for name in self.sources}
        # per group: its ring buffer's slots as views made once (indexing the ring every step costs time)
        group_items = [(name, [rings[name][s] for s in range(self.ring_len)], self.steppers[name],
                        getattr(self.steppers[name], "clears_input", False), self.group_deliveries.get(name))
                       for name in groups]
        # a stepper whose spikes are ascending: its populations' spikes are slices (one searchsorted)
        sorted_cuts = {name: np.array([m.offset for m in members.values() if m.group == name]
                                      + [groups[name].n], np.int64)
                       for name, stepper in self.steppers.items() if getattr(stepper, "sorted_spikes", False)}
        deliveries = self.deliveries
        sources = [(name, ptr, ids, deliveries.get(name, ())) for name, (ptr, ids) in self.sources.items()]
        # which group neurons belong to which population, for routing a group's spikes to deliveries
        routes = {g: [(m.offset, m.size, pop, deliveries.get(pop, ())) for pop, m in members.items() if m.group == g]
                  for g in groups}
        stim_events, probes, ring_len = self.stim_events, self.probes, self.ring_len
        poisson_inputs = self.poisson_inputs
        plastic = self.plastic if self.plastic.active or self.plastic.probes else None
        for k in range(self.n_steps):
            if k in stim_events:
                for gname, neurons, deltas in stim_events[k]:
                    groups[gname].inject(neurons, deltas)
            for probe in probes:
                if k % probe[4] == 0:
                    probe[5].append(groups[probe[1]].read(probe[0].variable, probe[2]))
            if plastic is not None:  # weight samples, then the plastic events due before this step's input
                plastic.begin_step(k)
            slot = k % ring_len
            for gname, channel, neurons, weight, lam, first, stop, rng in poisson_inputs:
                if first <= k < stop:  # a Poisson count per neuron: several events per step allowed
                    rings[gname][slot, channel, neurons] += rng.poisson(lam, neurons.size) * weight
            for gname, slots, stepper, clears_input, group_outs in group_items:
                inputs = slots[slot]
                try:
                    spikes = stepper.step(k, inputs)
                except NumericalInstability as exc:
                    raise self._unstable(gname, exc) from exc
                if not clears_input:
                    inputs.fill(0.0)
                if spikes.size:
                    spike_log[gname].append((k, spikes))
                    if plastic is not None:
                        plastic.post_spikes(gname, k, spikes)
                    if group_outs is not None:  # every synapse of the group in one delivery per target
                        for target, delivery in group_outs:
                            delivery.deliver(k, spikes, ring_flat[target])
                        continue
                    group_routes = routes[gname]
                    if len(group_routes) > 1 and gname in sorted_cuts:
                        cuts = spikes.searchsorted(sorted_cuts[gname]).tolist()
                        for i, (offset, _size, _pop, outs) in enumerate(group_routes):
                            if outs and cuts[i + 1] > cuts[i]:
                                local = spikes[cuts[i]:cuts[i + 1]] - offset
                                for target, delivery in outs:
                                    delivery.deliver(k, local, ring_flat[target])
                        continue
                    for offset, size, _pop, outs in group_routes:
                        local = spikes - offset if offset else spikes
                        if len(group_routes) > 1:
                            local = local[(local >= 0) & (local < size)]
                        if local.size:
                            for target, delivery in outs:
                                delivery.deliver(k, local, ring_flat[target])
            for name, ptr, ids, outs in sources:
                a, b = ptr[k], ptr[k + 1]
                if b > a:
                    fired = ids[a:b]
                    source_log[name].append((k, fired))
                    for target, delivery in outs:
                        delivery.deliver(k, fired, ring_flat[target])
            if progress is not None and k % _PROGRESS_EVERY == 0:
                progress(k, self.n_steps)
        if progress is not None:
            progress(self.n_steps, self.n_steps)
        return self._collect(spike_log, source_log)

    def _collect(self, spike_log, source_log):
        dt = self.dt
        spikes, flat = {}, {}
        for pop, member in self.members.items():
            if pop not in self.spike_pops:
                continue
            log = spike_log[member.group]
            if log:
                if member.group not in flat:  # once per group, shared by its populations
                    flat[member.group] = _flatten(log)
                steps, ids = flat[member.group]
                ids = ids - member.offset
                keep = (ids >= 0) & (ids < member.size)
                steps, ids = steps[keep], ids[keep]
            else:
                steps = ids = np.empty(0, np.int64)
            spikes[pop] = (ids.astype(np.int64), (steps + 1) * dt)
        for pop, log in source_log.items():
            if pop not in self.spike_pops:
                continue
            if log:
                steps, ids = _flatten(log)
            else:
                steps = ids = np.empty(0, np.int64)
            spikes[pop] = (ids.astype(np.int64), (steps + 1) * dt)
        traces = {}
        for rec, _g, _idx, local, every, samples in self.probes:
            times = np.arange(len(samples)) * every * dt
            values = np.vstack(samples) if samples else np.empty((0, local.size))
            traces[(rec.population, rec.variable)] = Trace(times, local, values)
        return spikes, traces


def _uniform_kept(delays: list[np.ndarray]) -> bool:
    """False when some of these per-population delay arrays (steps) are uniform but not all of them
    together are."""
    uniform = [a.size and bool(np.all(a == a.flat[0])) for a in delays]
    if not any(uniform):
        return True
    values = {int(a.flat[0]) for a, u in zip(delays, uniform) if u}
    return all(uniform) and len(values) == 1


def _flatten(log: list) -> tuple[np.ndarray, np.ndarray]:
    """(step, neuron) of every spike of a log of (step, neurons) entries."""
    steps = np.repeat(np.fromiter((k for k, _ in log), np.int64, len(log)), [s.size for _, s in log])
    return steps, np.concatenate([s for _, s in log])
