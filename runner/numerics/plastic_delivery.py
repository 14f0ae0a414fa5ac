"""Plastic event delivery: per-synapse STDP and Tsodyks-Markram state of the synapses from one pre
population into one target, updated on the pre spikes of each synapse (rows of a CSR by pre neuron) and
on the spikes of its post neuron (a transposed index), exactly as schema/semantics.md ("Plasticity",
"Short-term plasticity") defines, delivering the transmitted amplitudes into a ring buffer.

Shared by the reference engine (adapters/reference/plastic.py) and the nengo adapter, which step it the
same way: :meth:`PlasticDelivery.deliver` with the pre spikes of step ``k``, :meth:`PlasticDelivery.post_spikes`
with the post neurons' spikes of step ``k``, and :meth:`PlasticDelivery.begin_step` at the start of step
``m``, before the target adds ring slot ``m`` (phase 2 of that step).

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

from .plasticity import StdpUpdate, tsodyks_markram_release

#: 2 f D within this of a whole number of steps is that number (0.5 * 3 is 1.5; 0.3 * 2 * 5 is 3.0000000000000004)
_WHOLE_STEPS = 1e-9


def _rows(indptr: np.ndarray, rows: np.ndarray, items: np.ndarray) -> np.ndarray:
    """``items`` of the concatenated ranges ``indptr[r]:indptr[r + 1]`` of ``rows``, without a Python loop
    (one row, the usual case of a step: a slice, no copy)."""
    if rows.size == 1:
        r = int(rows[0])
        return items[indptr[r]:indptr[r + 1]]
    starts, ends = indptr[rows], indptr[rows + 1]
    counts = ends - starts
    total = int(counts.sum())
    return items[np.repeat(starts - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts) + np.arange(total)]


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
    """The synapses of the projections from one pre population into one target group that share one
    rule pair (``plasticity`` STDP and/or ``short_term`` Tsodyks-Markram), delivered into that group's
    ring buffer ``ring[slot, channel, neuron]``.

    ``parts``: per projection, ``(proj, flat_target, scale, post)`` with ``flat_target`` = channel *
    group size + post neuron in the group, ``scale`` the group's factor from a spec weight to what it
    receives (scalar or per synapse), ``post`` the post neurons' indices in the group. Internally the
    synapses are sorted by pre neuron; ``segments[projection]`` is where a projection's drawn synapses
    start in the concatenation of the parts, and ``position`` maps that to the internal order.

    The per-synapse state is one array ``state[synapse, field]`` (fields: :data:`FIELDS`), a synapse's
    fields side by side, so an event gathers and scatters its synapses' state once, row by row.
    """

    FIELDS = ("w", "a_pre", "a_pre_before", "t_pre", "a_post", "t_post", "x", "u", "t_last")

    def __init__(self, parts: list, n_pre: int, n_post: int, stdp, tm, ring: np.ndarray, dt: float):
        cat = lambda values, kind=np.int64: np.concatenate([np.asarray(v, kind) for v in values])  # noqa: E731
        self.segments, start = {}, 0
        for proj, *_ in parts:
            self.segments[proj.name] = start
            start += proj.size
        pre = cat(p[0].pre for p in parts)
        order = np.argsort(pre, kind="stable")
        self.dt, self.stdp, self.tm = dt, stdp, tm
        self.internal = np.arange(order.size)
        self.position = np.empty_like(order)
        self.position[order] = self.internal
        self.pre, self.post = pre[order], cat(p[3] for p in parts)[order]
        self.n_pre, self.n_post = n_pre, n_post
        self.indptr = np.concatenate([[0], np.cumsum(np.bincount(self.pre, minlength=n_pre))]).astype(np.int64)
        # one synapse per pre neuron (many inputs onto one neuron): a step's synapses are one gather
        self.one_per_pre = bool(np.all(np.diff(self.indptr) == 1))
        self.target = cat(p[1] for p in parts)[order]
        scales = [p[2] for p in parts]
        if all(np.isscalar(c) for c in scales) and len(set(scales)) == 1:
            self.scale = scales[0]
        else:
            self.scale = cat((np.broadcast_to(c, p[0].pre.shape) for c, p in zip(scales, parts)), float)[order]
        self.delay = cat(p[0].delay_steps for p in parts)[order]
        self.uniform_delay = _uniform(self.delay)
        self.ring, self.row_len, self.ring_len = ring.reshape(-1), int(np.prod(ring.shape[1:])), ring.shape[0]
        n = order.size
        # traces in the shifted frame, times in steps; -inf: no spike yet (exp(-inf) = 0); x = 1, u = U
        self.state = np.zeros((n, len(self.FIELDS)))
        self.state[:, 0] = cat((p[0].weight for p in parts), float)[order]
        self.state[:, [3, 5, 8]] = -np.inf
        self.state[:, 6] = 1.0
        if tm is not None:
            self.state[:, 7] = tm.u
        horizon = int(self.delay.max()) + 1 if n else 1
        if stdp is not None:
            self._init_stdp()
            horizon = max(horizon, int(self.lag.max()) + 2 if n else 1)
        self.pre_due, self.post_due = _Schedule(horizon), _Schedule(horizon)

    def _init_stdp(self) -> None:
        rule = self.stdp
        shift = 2.0 * rule.dendritic_delay_fraction * self.delay
        whole = np.abs(shift - np.rint(shift)) < _WHOLE_STEPS
        shift = np.where(whole, np.rint(shift), shift)
        self.lag = np.floor(shift).astype(np.int64)  # L: steps from a post stamp to its processing
        self.uniform_lag = _uniform(self.lag)
        phase = shift - self.lag  # phi in [0, 1): the shifted time within the step
        self.phase = float(phase[0]) if phase.size and np.all(phase == phase[0]) else phase
        self.by_post = np.argsort(self.post, kind="stable")  # the transposed index
        self.post_indptr = np.concatenate([[0], np.cumsum(np.bincount(self.post, minlength=self.n_post))]
                                          ).astype(np.int64)
        self.update = StdpUpdate(rule)
        self.nearest = rule.pairing == "nearest"
        self.c_plus, self.c_minus = self.dt / rule.tau_plus, self.dt / rule.tau_minus  # per step

    # -- events ------------------------------------------------------------------------------------
    def deliver(self, k: int, spikes: np.ndarray, ring_flat=None) -> None:
        """The pre neurons ``spikes`` spiked in step ``k``: their synapses are processed at step k + D."""
        idx = self.internal[self.indptr[spikes]] if self.one_per_pre else _rows(self.indptr, spikes, self.internal)
        if idx.size:
            self.pre_due.add(k + self.uniform_delay if self.uniform_delay is not None else k + self.delay[idx], idx)

    def post_spikes(self, k: int, neurons: np.ndarray) -> None:
        """The group's neurons ``neurons`` spiked in step ``k`` (stamp (k + 1) dt)."""
        idx = _rows(self.post_indptr, neurons, self.by_post)
        if idx.size:
            self.post_due.add(k + 1 + (self.uniform_lag if self.uniform_lag is not None else self.lag[idx]), idx)

    def begin_step(self, m: int) -> None:
        """Process what is due at the start of step ``m``: post spikes, then pre spikes (module doc)."""
        posts = self.post_due.take(m)
        if posts is not None:
            self._potentiate(posts, m)
        pres = self.pre_due.take(m)
        if pres is not None:
            self._transmit(pres, m)

    def _potentiate(self, syn: np.ndarray, m: int) -> None:
        s = self.state[syn]
        w, a_pre, a_pre_before, t_pre, a_post, t_post = s[:, :6].T
        uniform = isinstance(self.phase, float)
        t = m + (self.phase if uniform else self.phase[syn])
        k_plus = a_pre * np.exp((t_pre - t) * self.c_plus)
        if not uniform or self.phase == 0.0:  # pre spikes are processed at whole steps: ties only then
            same = t_pre == t  # a pre spike at this very time: not paired, the traces before it count
            if same.any():
                k_plus = np.where(same, a_pre_before, k_plus)
        s[:, 0] = self.update.potentiate(w, k_plus)
        s[:, 4] = 1.0 if self.nearest else a_post * np.exp((t_post - t) * self.c_minus) + 1.0
        s[:, 5] = t
        self.state[syn] = s

    def _transmit(self, syn: np.ndarray, m: int) -> None:
        s = self.state[syn]
        t = m + 1.0
        if self.stdp is not None:
            w, a_pre, _, t_pre, a_post, t_post = s[:, :6].T
            s[:, 0] = self.update.depress(w, a_post * np.exp((t_post - t) * self.c_minus))
            before = a_pre * np.exp((t_pre - t) * self.c_plus)
            s[:, 2] = before
            s[:, 1] = 1.0 if self.nearest else before + 1.0
            s[:, 3] = t
        amplitude = s[:, 0]
        if self.tm is not None:
            stamp = t - (self.uniform_delay if self.uniform_delay is not None else self.delay[syn])
            s[:, 6], s[:, 7] = tsodyks_markram_release(s[:, 6], s[:, 7], (stamp - s[:, 8]) * self.dt, self.tm.u,
                                                       self.tm.tau_rec, self.tm.tau_facil)
            s[:, 8] = stamp
            amplitude = s[:, 6] * s[:, 7] * s[:, 0]
        self.state[syn] = s
        scale = self.scale if np.isscalar(self.scale) else self.scale[syn]
        cells = (m % self.ring_len) * self.row_len + self.target[syn]
        if syn.size == 1:  # the same single addition as np.add.at's, without its cost per call
            self.ring[cells[0]] += amplitude[0] * scale if np.isscalar(scale) else amplitude[0] * scale[0]
        else:
            np.add.at(self.ring, cells, amplitude * scale)

    # -- reading -----------------------------------------------------------------------------------
    def weights(self, projection: str, synapses: np.ndarray) -> np.ndarray:
        """The weights (SI) of the drawn synapses ``synapses`` of ``projection`` now: the weights a pre
        spike reaching the post neuron at this step's start would carry (semantics.md, "Plasticity")."""
        return self.state[self.position[self.segments[projection] + synapses], 0]
