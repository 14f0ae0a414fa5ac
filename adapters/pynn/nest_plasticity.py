"""Plastic projections on pynn:nest: STDP and Tsodyks-Markram through NEST's own synapse models, connected
with the native array connect, and the weights read back in snnrun's conventions (semantics.md,
"Plasticity", "Short-term plasticity", "pynn").

How each rule maps (checked in nest/include/nest/*_synapse.h of NEST 3.10, measured in the tests):

- ``stdp`` (``all_to_all``): ``stdp_synapse`` with ``mu_plus = mu_minus`` 0 (additive) or 1
  (multiplicative), ``tau_plus`` (ms); ``tau_minus`` is a parameter of the post neuron. NEST's rule is
  ``w^ + lambda (1 - w^)^mu K+`` and ``w^ - alpha lambda w^mu K-`` with ``w^ = w / Wmax``, clipped to
  [0, 1]. It clips at 0 only, so a spec's ``w_min > 0`` becomes two connections per synapse: a static one
  of weight ``w_min`` and a plastic one of weight ``w - w_min`` with ``Wmax = w_max - w_min``. Then, with
  ``W = w_max - w_min``: multiplicative ``lambda = a_plus`` and ``alpha = a_minus / a_plus`` give exactly
  ``w + a_plus (w_max - w) K+`` and ``w - a_minus (w - w_min) K-``; additive ``lambda = a_plus w_max / W``
  and the same ``alpha`` give ``w +- a w_max K``. The post neuron sums both PSPs.
- ``stdp`` (``nearest``): ``stdp_nn_symm_synapse`` (each post pairs with the latest pre, each pre with the
  latest post): the same parameters. Its last pre spike time starts at 0, so post spikes before a
  synapse's first pre spike pair with a phantom pre spike at t = 0; the run warns when that happened.
- ``tsodyks_markram``: ``tsodyks2_synapse`` with ``u = U`` and ``x = 1`` set explicitly (NEST leaves u at
  0.5 whatever U), ``tau_rec``, ``tau_fac`` (ms; 0: no facilitation): NEST's equations are semantics.md's.
- NEST's delays are dendritic: only ``dendritic_delay_fraction`` 1 (check refuses others).
- Devices (``spike_generator``) connect only through static synapses: a source population with a plastic
  projection is made of ``spike_train_injector`` nodes (NEST's spike-emitting replay node), which deliver
  a stamp ``t`` at ``t + d`` like the generators.

**Weights.** NEST updates a synapse only when a pre spike passes it, and defers potentiation to the next
pre spike, so its stored weight is not semantics.md's sample. A ``weight_recorder`` (one copied synapse
model per projection) logs the weight every pre spike transmits, stamped with that spike's stamp; the
sample at ``t`` of a synapse with delay ``d`` is the weight after its last pre spike stamped ``<= t - d``,
potentiated by each post spike with ``t_post + d`` after that pre spike and before ``t - d`` (what NEST
applies at the next pre spike), with ``K+`` from the pre spike train (``nearest``: 1). Post spikes come
from a native ``spike_recorder`` on the post neurons.
"""

from __future__ import annotations

import numpy as np

from ...numerics.plasticity import StdpUpdate
from ..base import WeightTrace

#: NEST synapse model per (STDP pairing); Tsodyks-Markram is tsodyks2_synapse
STDP_MODELS = {"all_to_all": "stdp_synapse", "nearest": "stdp_nn_symm_synapse"}
TM_MODEL = "tsodyks2_synapse"


def is_plastic(proj) -> bool:
    return proj.plasticity is not None or proj.short_term is not None


def stdp_parameters(rule) -> dict[str, float]:
    """NEST's per-connection STDP parameters for ``rule`` (weights handled by the caller: ``Wmax`` is
    set from the native bounds). ``lambda`` and ``alpha`` for the shifted bounds, see the module doc."""
    span = rule.w_max - rule.w_min
    mu = 1.0 if rule.weight_dependence == "multiplicative" else 0.0
    lam = rule.a_plus if mu else rule.a_plus * rule.w_max / span
    return {"tau_plus": rule.tau_plus * 1e3, "lambda": lam, "alpha": rule.a_minus / rule.a_plus,
            "mu_plus": mu, "mu_minus": mu}


class NestPlasticity:
    """The plastic projections of one NestSession: connects them and reads their weights back."""

    def __init__(self, session):
        self.s = session
        self.nest = session.nest
        self.recorders: dict[str, object] = {}  # projection -> weight_recorder
        self.post_recorders: dict[str, object] = {}  # post population -> spike_recorder
        self.native_scale: dict[str, np.ndarray] = {}  # projection -> native weight per SI weight, per synapse

    # -- building --------------------------------------------------------------------------------
    def connect(self, proj) -> None:
        s, nest = self.s, self.nest
        pre = s.node_ids(proj.pre_population)[proj.pre]
        post = s.node_ids(proj.post_population)[proj.post]
        delay = np.round(proj.delay_steps * s.dt_ms, 9)
        rule, tm = proj.plasticity, proj.short_term
        weight = np.asarray(proj.weight, float)
        # native weight per SI weight (pyNN.nest's conversion is linear: unit, receptor_scale, sign)
        unit = s.native_weights(proj, np.ones_like(weight))
        self.native_scale[proj.name] = unit
        if rule is None:  # its weights stay the drawn ones: no recorder needed
            nest.Connect(pre, post, "one_to_one", {
                "synapse_model": TM_MODEL, "weight": weight * unit, "delay": delay, "U": tm.u, "u": tm.u, "x": 1.0,
                "tau_rec": tm.tau_rec * 1e3, "tau_fac": tm.tau_facil * 1e3})
            return
        model = f"snnrun_{proj.name}"
        recorder = nest.Create("weight_recorder")
        self.recorders[proj.name] = recorder
        nest.CopyModel(STDP_MODELS[rule.pairing], model, {"weight_recorder": recorder})
        if rule.w_min > 0:  # NEST clips at 0: the floor w_min travels through a static companion synapse
            nest.Connect(pre, post, "one_to_one", {"synapse_model": "static_synapse",
                                                    "weight": np.full(weight.size, rule.w_min) * unit,
                                                    "delay": delay})
        params = {k: np.full(weight.size, v) for k, v in stdp_parameters(rule).items()}
        nest.Connect(pre, post, "one_to_one", {
            "synapse_model": model, "weight": (weight - rule.w_min) * unit, "delay": delay,
            "Wmax": (rule.w_max - rule.w_min) * unit, **params})
        # tau_minus belongs to the post neuron (check() refuses two values onto one population)
        nodes = nest.NodeCollection(np.unique(post).tolist())
        nodes.set(tau_minus=rule.tau_minus * 1e3)
        if proj.post_population not in self.post_recorders:
            rec = nest.Create("spike_recorder")
            nest.Connect(s.cells[proj.post_population].node_collection, rec, syn_spec={"delay": s.dt_ms})
            self.post_recorders[proj.post_population] = rec

    # -- reading -----------------------------------------------------------------------------------
    def weights(self) -> tuple[dict[str, WeightTrace], dict[str, WeightTrace]]:
        """(the spec's weight recordings, one WeightTrace per projection; the final weights of every
        projection with STDP), as the reference engine reports them."""
        inst = self.s.inst
        dt, n_steps = inst.dt, inst.n_steps
        recorded: dict[str, list] = {}
        for rec in inst.recordings:
            if rec.projection is None:
                continue
            proj = inst.projections[rec.projection]
            chosen = np.arange(proj.size) if rec.synapses is None else np.asarray(rec.synapses, np.int64)
            every = int(round((rec.interval or dt) / dt))
            steps = np.arange(0, n_steps, every)
            recorded.setdefault(rec.projection, []).append((chosen, steps))
        out = {}
        for name, parts in recorded.items():
            proj = inst.projections[name]
            steps = np.unique(np.concatenate([p[1] for p in parts]))
            chosen = np.unique(np.concatenate([p[0] for p in parts]))
            values = self.samples(proj, chosen, steps)
            if len(parts) > 1:  # NaN where an entry did not sample a synapse (as the reference)
                mask = np.zeros(values.shape, bool)
                for own, own_steps in parts:
                    mask[np.ix_(np.searchsorted(steps, own_steps), np.searchsorted(chosen, own))] = True
                values = np.where(mask, values, np.nan)
            out[name] = _trace(proj, chosen, steps * dt, values)
        final = {}
        for name, proj in inst.projections.items():
            if proj.plasticity is not None and proj.size:
                every = np.arange(proj.size)
                final[name] = _trace(proj, every, np.array([n_steps * dt]),
                                     self.samples(proj, every, np.array([n_steps])))
        return out, final

    def samples(self, proj, synapses: np.ndarray, steps: np.ndarray) -> np.ndarray:
        """Weights (SI) of ``synapses`` at the sample steps ``steps``: (steps, synapses)."""
        w0 = np.asarray(proj.weight, float)[synapses]
        if proj.plasticity is None or proj.name not in self.recorders:
            return np.broadcast_to(w0, (steps.size, synapses.size)).copy()
        rule = proj.plasticity
        d = proj.delay_steps[synapses].astype(np.int64)
        ev_syn, ev_step, ev_w = self._events(proj)
        # per synapse, its pre spikes (stamps in steps) and the weight each transmitted (SI)
        order = np.lexsort((ev_step, ev_syn))
        ev_syn, ev_step, ev_w = ev_syn[order], ev_step[order], ev_w[order]
        k_plus = self._k_plus(ev_syn, ev_step, rule.tau_plus / self.s.inst.dt, rule.pairing == "nearest")
        key_base = np.int64(self.s.inst.n_steps + 2)
        keys = ev_syn * key_base + ev_step
        post_steps = self._post_spikes(proj.post_population)
        update = StdpUpdate(rule)
        c_plus = self.s.inst.dt / rule.tau_plus
        out = np.empty((steps.size, synapses.size))
        post_of = np.asarray(proj.post, np.int64)[synapses]
        for i, t in enumerate(steps):
            limit = t - d  # the last pre spike counted is stamped <= t - d
            pos = np.searchsorted(keys, synapses * key_base + limit, side="right") - 1
            has = (pos >= 0) & (ev_syn[np.maximum(pos, 0)] == synapses)
            w = np.where(has, ev_w[np.maximum(pos, 0)], w0)
            last = np.where(has, ev_step[np.maximum(pos, 0)], 0)
            kp = np.where(has, k_plus[np.maximum(pos, 0)], 0.0)
            # the potentiation NEST defers: post spikes with last < t_post + d < t - d, one at a time
            out[i] = _defer(w, has, last, kp, d, limit, post_of, post_steps, update, c_plus)
        return out

    def _events(self, proj):
        """The weight recorder's events of ``proj`` as (synapse index, pre stamp in steps, weight SI)."""
        s = self.s
        ev = self.recorders[proj.name].events
        senders = np.asarray(ev["senders"], np.int64)
        targets = np.asarray(ev["targets"], np.int64)
        steps = np.rint(np.asarray(ev["times"], float) / s.dt_ms).astype(np.int64)
        pre = s.node_ids(proj.pre_population)[proj.pre]
        post = s.node_ids(proj.post_population)[proj.post]
        span = np.int64(max(int(post.max()), int(targets.max(initial=0))) + 1)
        syn_keys = pre * span + post
        order = np.argsort(syn_keys, kind="stable")
        ev_keys = senders * span + targets
        at = np.searchsorted(syn_keys[order], ev_keys)
        syn = order[np.minimum(at, order.size - 1)]
        if np.any(syn_keys[syn] != ev_keys):
            raise RuntimeError(f"projection {proj.name}: weight recorder events of unknown connections")
        if np.unique(syn_keys).size != syn_keys.size:
            raise RuntimeError(f"projection {proj.name}: several plastic synapses between one pair of neurons "
                               "cannot be told apart in NEST's weight recorder")
        rule = proj.plasticity
        w = np.asarray(ev["weights"], float) / self.native_scale[proj.name][syn] + rule.w_min
        return syn.astype(np.int64), steps, w

    @staticmethod
    def _k_plus(syn: np.ndarray, steps: np.ndarray, tau_steps: float, nearest: bool) -> np.ndarray:
        """K+ right after each pre spike (events sorted by synapse, time): sum of exp(-(t - t_i)/tau_plus)
        over the synapse's pre spikes up to it (``nearest``: 1)."""
        k = np.ones(syn.size)
        if nearest or syn.size == 0:
            return k
        new = np.concatenate([[True], syn[1:] != syn[:-1]])
        rank = np.arange(syn.size) - np.maximum.accumulate(np.where(new, np.arange(syn.size), 0))
        for r in range(1, int(rank.max()) + 1):
            idx = np.flatnonzero(rank == r)
            k[idx] = k[idx - 1] * np.exp(-(steps[idx] - steps[idx - 1]) / tau_steps) + 1.0
        return k

    def _post_spikes(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """The post population's spikes as CSR (indptr by neuron, stamps in steps sorted per neuron)."""
        ev = self.post_recorders[name].events
        ids = np.searchsorted(self.s.node_ids(name), np.asarray(ev["senders"], np.int64))
        steps = np.rint(np.asarray(ev["times"], float) / self.s.dt_ms).astype(np.int64)
        order = np.lexsort((steps, ids))
        size = self.s.inst.populations[name].size
        indptr = np.concatenate([[0], np.cumsum(np.bincount(ids, minlength=size))]).astype(np.int64)
        return indptr, steps[order]

    def phantom_pairs(self) -> list[str]:
        """Warnings for nearest-pairing projections where NEST paired post spikes before a synapse's first
        pre spike with a phantom pre spike at t = 0 (stdp_nn_symm_synapse starts its last pre time at 0)."""
        out = []
        for name, proj in self.s.inst.projections.items():
            if proj.plasticity is None or proj.plasticity.pairing != "nearest" or name not in self.recorders:
                continue
            ev_syn, ev_step, _ = self._events(proj)
            first = np.full(proj.size, np.iinfo(np.int64).max)
            np.minimum.at(first, ev_syn, ev_step)
            indptr, stamps = self._post_spikes(proj.post_population)
            starts = indptr[proj.post]
            has_post = indptr[proj.post + 1] > starts
            earliest = np.full(proj.size, np.iinfo(np.int64).max // 2)
            earliest[has_post] = stamps[starts[has_post]]
            sent = first < np.iinfo(np.int64).max  # a synapse no pre spike passed was never updated
            hit = int(np.count_nonzero(sent & has_post & (earliest + proj.delay_steps <= first)))
            if hit:
                out.append(f"pynn:nest: projections.{name}: {hit} synapse(s) had post spikes before their first "
                           "pre spike; NEST's stdp_nn_symm_synapse paired them with a phantom pre spike at t = 0 "
                           "(semantics.md: they pair with nothing), so their weights differ from the contract")
        return out


def _defer(w, has, last, kp, d, limit, rows, post_steps, update, c_plus):
    """Apply, synapse by synapse, the potentiation by each post spike of neuron ``rows`` with stamp + d in
    (last, limit) (steps), with K+ = kp exp(-(t_post + d - last) dt / tau_plus), in time order."""
    indptr, stamps = post_steps
    if stamps.size == 0 or not has.any():
        return w
    lo = _row_search(stamps, indptr, rows, last - d, "right")
    hi = _row_search(stamps, indptr, rows, limit - d, "left")
    count = np.where(has, hi - lo, 0)
    w = w.copy()
    for r in range(int(count.max(initial=0))):
        sel = np.flatnonzero(count > r)
        t_post = stamps[lo[sel] + r] + d[sel]
        w[sel] = update.potentiate(w[sel], kp[sel] * np.exp(-(t_post - last[sel]) * c_plus))
    return w


def _row_search(stamps, indptr, rows, values, side):
    """Per entry j, the position in ``stamps`` of ``values[j]`` within row ``rows[j]`` of the CSR
    (``stamps`` sorted within each row), clamped to the row: one searchsorted on (row, stamp) keys."""
    n_rows = indptr.size - 1
    row_of = np.repeat(np.arange(n_rows, dtype=np.int64), np.diff(indptr))
    lo, hi = int(min(stamps.min(), values.min())), int(max(stamps.max(), values.max()))
    base = np.int64(hi - lo + 2)
    keys = row_of * base + (stamps - lo)
    pos = np.searchsorted(keys, rows * base + (np.clip(values, lo - 1, hi) - lo), side=side)
    return np.clip(pos, indptr[rows], indptr[rows + 1])


def _trace(proj, synapses: np.ndarray, times: np.ndarray, values: np.ndarray) -> WeightTrace:
    return WeightTrace(times, synapses, np.asarray(proj.pre, np.int64)[synapses],
                       np.asarray(proj.post, np.int64)[synapses], values)
