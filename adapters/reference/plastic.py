"""Plastic synapses of the reference engine: per-synapse STDP and Tsodyks-Markram state, updated on the
pre spikes of each synapse (rows of a CSR by pre neuron) and on the spikes of its post neuron (a
transposed index), exactly as schema/semantics.md ("Plasticity", "Short-term plasticity") defines.

Static projections keep :class:`~snnrun.numerics.delivery.CsrDelivery` (and whatever compiled kernel
replaces it); every projection with a rule gets a :class:`PlasticDelivery` of its own, in numpy.

**The time frame.** A synapse sees its pre spikes at ``t_pre + (1 - f) d`` and its post neuron's at
``t_post + f d``. Shifting every event of one synapse by its own constant ``f d`` keeps their order and
puts each pre arrival on the grid: the pre spike is processed at ``t_pre + d``, the step its PSP reaches
the post neuron, and a post spike at ``t_post + 2 f d``. With ``D`` the delay in steps, ``L = floor(2 f D)``
and ``phi = 2 f D - L``, the start of step ``m`` (before the groups integrate it) processes

1. the post spikes stamped ``(m - L) dt`` (shifted time ``(m + phi) dt``, in ``[m dt, (m + 1) dt)``):
   potentiation, then the post trace;
2. the pre spikes emitted in step ``m - D`` (shifted time ``(m + 1) dt``): depression, the pre trace,
   the Tsodyks-Markram release, and the amplitude into ring slot ``m``, which the target adds in phase 2
   of this very step.

A post spike at the same shifted time as a pre spike (``phi = 0``) is processed at the start of the next
step: after it ("pre first"), and it pairs with the pre spikes before, not with that one. Everything
needed is known in time: a post stamped ``(m - L) dt`` spiked in step ``m - L - 1 < m``. Each step costs
a few numpy calls per projection with events, proportional to the synapses they touch.
"""

from __future__ import annotations

import numpy as np

from ...numerics.plasticity import StdpUpdate, tsodyks_markram_release
from ..base import WeightTrace

#: 2 f D within this of a whole number of steps is that number (0.5 * 3 is 1.5; 0.3 * 2 * 5 is 3.0000000000000004)
_WHOLE_STEPS = 1e-9


def is_plastic(proj) -> bool:
    return proj.plasticity is not None or proj.short_term is not None


def _ranges(indptr: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The concatenated index ranges ``indptr[r]:indptr[r + 1]`` of ``rows``, without a Python loop."""
    starts, ends = indptr[rows], indptr[rows + 1]
    counts = ends - starts
    total = int(counts.sum())
    if rows.size == 1:
        return np.arange(starts[0], ends[0])
    return np.repeat(starts - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts) + np.arange(total)


def _uniform(values: np.ndarray):
    """The single value of ``values`` when they are all equal (the common case: one bucket per step)."""
    return int(values[0]) if values.size and np.all(values == values[0]) else None


class _Schedule:
    """Synapse indices due at future steps: a ring of lists of index arrays, ``horizon`` steps long."""

    def __init__(self, horizon: int):
        self.buckets: list[list[np.ndarray]] = [[] for _ in range(horizon)]
        self.horizon = horizon

    def add(self, due: int | np.ndarray, synapses: np.ndarray) -> None:
        if np.isscalar(due):
            self.buckets[due % self.horizon].append(synapses)
            return
        order = np.argsort(due, kind="stable")
        due, synapses = due[order], synapses[order]
        cuts = np.flatnonzero(np.diff(due)) + 1
        for part_due, part in zip(due[np.concatenate([[0], cuts])], np.split(synapses, cuts)):
            self.buckets[int(part_due) % self.horizon].append(part)

    def take(self, step: int):
        """The synapses due at ``step`` (each at most once: one spike per neuron and step), or None."""
        bucket = self.buckets[step % self.horizon]
        if not bucket:
            return None
        out = bucket[0] if len(bucket) == 1 else np.concatenate(bucket)
        bucket.clear()
        return out


class PlasticDelivery:
    """The synapses of one projection with ``plasticity`` (STDP) and/or ``short_term`` (Tsodyks-Markram),
    delivered into one target group's ring buffer ``ring`` (``ring[slot, channel, neuron]``).

    ``flat_target`` (channel * group size + post index in the group) and ``scale`` (spec weight -> what
    the group receives, scalar or per synapse) come from the group's ``weight_scale``. Internally the
    synapses are sorted by pre neuron; ``synapse[i]`` is the drawn index of internal synapse ``i``.
    """

    def __init__(self, proj, n_pre: int, n_post: int, flat_target: np.ndarray, scale, ring: np.ndarray,
                 dt: float):
        pre = np.asarray(proj.pre, np.int64)
        order = np.argsort(pre, kind="stable")
        self.name, self.dt = proj.name, dt
        self.synapse = order
        self.position = np.empty_like(order)
        self.position[order] = np.arange(order.size)
        self.pre, self.post = pre[order], np.asarray(proj.post, np.int64)[order]
        self.n_pre, self.n_post = n_pre, n_post
        self.indptr = np.concatenate([[0], np.cumsum(np.bincount(self.pre, minlength=n_pre))]).astype(np.int64)
        self.target = np.asarray(flat_target, np.int64)[order]
        self.scale = scale if np.isscalar(scale) else np.asarray(np.broadcast_to(scale, pre.shape), float)[order]
        self.w = np.asarray(proj.weight, float)[order].copy()
        self.delay = np.asarray(proj.delay_steps, np.int64)[order]
        self.uniform_delay = _uniform(self.delay)
        self.ring, self.row_len = ring.reshape(-1), int(np.prod(ring.shape[1:]))
        self.ring_len = ring.shape[0]
        horizon = int(self.delay.max()) + 1 if self.delay.size else 1
        self.stdp = proj.plasticity
        if self.stdp is not None:
            self._init_stdp(proj)
            horizon = max(horizon, int(self.lag.max()) + 2 if self.delay.size else 1)
        self.tm = proj.short_term
        if self.tm is not None:
            self.x = np.ones(self.w.size)
            self.u = np.full(self.w.size, self.tm.u)
            self.t_last = np.full(self.w.size, -np.inf)  # stamp (steps) of the last pre spike
        self.pre_due, self.post_due = _Schedule(horizon), _Schedule(horizon)

    def _init_stdp(self, proj) -> None:
        rule = self.stdp
        shift = 2.0 * rule.dendritic_delay_fraction * self.delay
        whole = np.abs(shift - np.rint(shift)) < _WHOLE_STEPS
        shift = np.where(whole, np.rint(shift), shift)
        self.lag = np.floor(shift).astype(np.int64)  # L: steps from a post stamp to its processing
        self.phase = shift - self.lag  # phi in [0, 1): its shifted time within the step
        self.uniform_lag = _uniform(self.lag)
        if self.uniform_lag is not None and np.all(self.phase == self.phase[0]):
            self.phase = float(self.phase[0])
        self.by_post = np.argsort(self.post, kind="stable")  # the transposed index
        self.post_indptr = np.concatenate([[0], np.cumsum(np.bincount(self.post, minlength=self.n_post))]
                                          ).astype(np.int64)
        self.update = StdpUpdate(rule)
        self.nearest = rule.pairing == "nearest"
        self.c_plus, self.c_minus = self.dt / rule.tau_plus, self.dt / rule.tau_minus  # per step
        n = self.w.size
        # traces in the shifted frame, times in steps; -inf: no spike yet (exp(-inf) = 0)
        self.a_pre, self.a_pre_before, self.t_pre = np.zeros(n), np.zeros(n), np.full(n, -np.inf)
        self.a_post, self.t_post = np.zeros(n), np.full(n, -np.inf)

    # -- events ------------------------------------------------------------------------------------
    def deliver(self, k: int, spikes: np.ndarray, ring_flat=None) -> None:
        """The pre neurons ``spikes`` spiked in step ``k``: their synapses are processed at step k + D."""
        idx = _ranges(self.indptr, spikes)
        if idx.size:
            self.pre_due.add(k + self.uniform_delay if self.uniform_delay is not None else k + self.delay[idx], idx)

    def post_spikes(self, k: int, neurons: np.ndarray) -> None:
        """The post neurons ``neurons`` (population indices) spiked in step ``k`` (stamp (k + 1) dt)."""
        idx = self.by_post[_ranges(self.post_indptr, neurons)]
        if idx.size:
            lag = self.uniform_lag if self.uniform_lag is not None else self.lag[idx]
            self.post_due.add(k + 1 + lag, idx)

    def begin_step(self, m: int) -> None:
        """Process what is due at the start of step ``m``: post spikes, then pre spikes (module doc)."""
        posts = self.post_due.take(m)
        if posts is not None:
            self._potentiate(posts, m)
        pres = self.pre_due.take(m)
        if pres is not None:
            self._transmit(pres, m)

    def _potentiate(self, syn: np.ndarray, m: int) -> None:
        t = m + (self.phase if np.isscalar(self.phase) else self.phase[syn])
        t_pre = self.t_pre[syn]
        k_plus = self.a_pre[syn] * np.exp((t_pre - t) * self.c_plus)
        same = t_pre == t  # a pre spike at this very time: not paired, the traces before it count
        if same.any():
            k_plus = np.where(same, self.a_pre_before[syn], k_plus)
        self.w[syn] = self.update.potentiate(self.w[syn], k_plus)
        decayed = 0.0 if self.nearest else self.a_post[syn] * np.exp((self.t_post[syn] - t) * self.c_minus)
        self.a_post[syn] = decayed + 1.0
        self.t_post[syn] = t

    def _transmit(self, syn: np.ndarray, m: int) -> None:
        t = m + 1.0
        w = self.w[syn]
        if self.stdp is not None:
            k_minus = self.a_post[syn] * np.exp((self.t_post[syn] - t) * self.c_minus)
            w = self.update.depress(w, k_minus)
            self.w[syn] = w
            before = self.a_pre[syn] * np.exp((self.t_pre[syn] - t) * self.c_plus)
            self.a_pre_before[syn] = before
            self.a_pre[syn] = 1.0 if self.nearest else before + 1.0
            self.t_pre[syn] = t
        if self.tm is not None:
            stamp = t - (self.uniform_delay if self.uniform_delay is not None else self.delay[syn])
            x, u = tsodyks_markram_release(self.x[syn], self.u[syn], (stamp - self.t_last[syn]) * self.dt,
                                           self.tm.u, self.tm.tau_rec, self.tm.tau_facil)
            self.x[syn], self.u[syn], self.t_last[syn] = x, u, stamp
            w = x * u * w
        scale = self.scale if np.isscalar(self.scale) else self.scale[syn]
        np.add.at(self.ring, (m % self.ring_len) * self.row_len + self.target[syn], w * scale)

    # -- reading -----------------------------------------------------------------------------------
    def weights(self, synapses: np.ndarray) -> np.ndarray:
        """The weights (SI) of the drawn synapses ``synapses`` now: the weights a pre spike reaching the
        post neuron at this step's start would carry (semantics.md, "Plasticity")."""
        return self.w[self.position[synapses]]


class PlasticSynapses:
    """Every plastic projection of one engine, and the weight recordings.

    Built from the instance, the engine's groups (by name), the populations' places in them
    (``members[pop] = (group, offset, size)``) and the ring buffers. The engine routes pre spikes through
    :attr:`by_pre` like any delivery, calls :meth:`begin_step` before the groups step, hands every
    group's spikes to :meth:`post_spikes`, and reads :meth:`recorded` at the end.
    """

    def __init__(self, instance, groups, members, rings):
        self.deliveries: dict[str, PlasticDelivery] = {}
        self.by_pre: dict[str, list] = {}
        self.by_group: dict[str, list] = {}
        self.dt, self.n_steps = instance.dt, instance.n_steps
        for proj in instance.projections.values():
            if proj.size == 0 or not is_plastic(proj):
                continue
            gname, offset, _size = members[proj.post_population]
            group = groups[gname]
            post = np.asarray(proj.post, np.int64)
            channel, scale = group.weight_scale(proj.receptor, post + offset)
            sizes = (instance.populations[proj.pre_population].size, instance.populations[proj.post_population].size)
            delivery = PlasticDelivery(proj, *sizes, channel * group.n + post + offset, scale, rings[gname], self.dt)
            self.deliveries[proj.name] = delivery
            self.by_pre.setdefault(proj.pre_population, []).append((gname, delivery))
            if proj.plasticity is not None:
                self.by_group.setdefault(gname, []).append((offset, sizes[1], delivery))
        self.active = list(self.deliveries.values())
        self.probes = []
        for rec in instance.recordings:
            if rec.projection is None:
                continue
            proj = instance.projections[rec.projection]
            chosen = np.arange(proj.size) if rec.synapses is None else np.asarray(rec.synapses, np.int64)
            every = int(round((rec.interval or self.dt) / self.dt))
            self.probes.append((rec.projection, chosen, every, []))
        self.projections = instance.projections

    def begin_step(self, k: int) -> None:
        for name, chosen, every, samples in self.probes:
            if k % every == 0:
                samples.append(self._weights(name, chosen))
        for delivery in self.active:
            delivery.begin_step(k)

    def post_spikes(self, gname: str, k: int, spikes: np.ndarray) -> None:
        for offset, size, delivery in self.by_group.get(gname, ()):
            local = spikes - offset  # the group may hold other populations of the same model
            local = local[(local >= 0) & (local < size)]
            if local.size:
                delivery.post_spikes(k, local)

    def _weights(self, name: str, chosen: np.ndarray) -> np.ndarray:
        if name in self.deliveries:
            return self.deliveries[name].weights(chosen)
        return np.asarray(self.projections[name].weight, float)[chosen]

    def recorded(self) -> tuple[dict[str, WeightTrace], dict[str, WeightTrace]]:
        """(weights recorded by the spec's ``record`` entries, one WeightTrace per projection; the final
        weights of every projection with STDP, at the end of the run)."""
        by_projection: dict[str, list] = {}
        for name, chosen, every, samples in self.probes:
            by_projection.setdefault(name, []).append((chosen, np.arange(len(samples)) * every, samples))
        weights = {name: _merge(parts, self.projections[name], self.dt) for name, parts in by_projection.items()}
        final = {}
        for name, delivery in self.deliveries.items():
            if delivery.stdp is None:
                continue
            every = np.arange(self.projections[name].size)
            final[name] = _trace(self.projections[name], every, np.array([self.n_steps * self.dt]),
                                 delivery.weights(every)[None, :])
        return weights, final


def _trace(proj, synapses: np.ndarray, times: np.ndarray, values: np.ndarray) -> WeightTrace:
    return WeightTrace(times, synapses, np.asarray(proj.pre, np.int64)[synapses],
                       np.asarray(proj.post, np.int64)[synapses], values)


def _merge(parts: list, proj, dt: float) -> WeightTrace:
    """One projection's record entries ``(synapses, sample steps, samples)`` as one WeightTrace: a single
    entry as it is; several (other synapses, other intervals) on the union of their sample steps and
    synapses, NaN where an entry did not sample a synapse."""
    if len(parts) == 1:
        chosen, steps, samples = parts[0]
        return _trace(proj, chosen, steps * dt, np.vstack(samples) if samples else np.empty((0, chosen.size)))
    steps = np.unique(np.concatenate([p[1] for p in parts]))
    synapses = np.unique(np.concatenate([p[0] for p in parts]))
    out = np.full((steps.size, synapses.size), np.nan)
    for chosen, own_steps, samples in parts:
        if samples:
            out[np.ix_(np.searchsorted(steps, own_steps), np.searchsorted(synapses, chosen))] = np.vstack(samples)
    return _trace(proj, synapses, steps * dt, out)
