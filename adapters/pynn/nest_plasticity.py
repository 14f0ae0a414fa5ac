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
- ``stdp`` (``nearest``) is refused: ``stdp_nn_symm_synapse`` pairs as semantics.md says but starts its
  last pre spike time at 0, so post spikes before a synapse's first pre spike pair with a phantom pre
  spike at t = 0 (capabilities.py).
- ``tsodyks_markram``: ``tsodyks2_synapse`` with ``u = U`` and ``x = 1`` set explicitly (NEST leaves u at
  0.5 whatever U), ``tau_rec``, ``tau_fac`` (ms; 0: no facilitation): NEST's equations are semantics.md's.
- NEST's delays are dendritic: only ``dendritic_delay_fraction`` 1 (check refuses others).
- Devices (``spike_generator``) connect only through static synapses: a source population with a plastic
  projection is made of ``spike_train_injector`` nodes (NEST's spike-emitting replay node), which deliver
  a stamp ``t`` at ``t + d`` like the generators.

**Weights.** NEST updates a synapse only when a pre spike passes it, and defers potentiation to the next
pre spike, so its stored weight is not semantics.md's sample. The sample at ``t`` of a synapse with delay
``d`` is the weight after its last pre spike stamped ``<= t - d``, potentiated by each post spike with
``t_post + d`` after that pre spike and before ``t - d`` (what NEST applies at the next pre spike). So the
run stops at PyNN time ``t - d`` for every sample time and delay (PyNN keeps NEST one step ahead, so NEST
has then passed exactly the pre spikes stamped up to ``t - d``), reads ``weight`` and ``Kplus`` of the
connections (``GetStatus``), and after the run adds the deferred potentiation from the post spikes (a
native ``spike_recorder``) and the time of that last pre spike (the pre population's spikes: the drawn
stamps of a source, a native ``spike_recorder`` on neurons).
Reading state at stops costs no memory per spike (a ``weight_recorder`` would log every pre spike of
every synapse: 15 million events for 10 s of CUBA with STDP).
"""

from __future__ import annotations

import numpy as np

from ...numerics.plasticity import StdpUpdate
from ..base import WeightTrace
from ..weights import recorded_entries, weight_trace

#: NEST's synapse models: STDP (all-to-all pairing) and Tsodyks-Markram
STDP_MODEL = "stdp_synapse"
TM_MODEL = "tsodyks2_synapse"


def is_plastic(proj) -> bool:
    return proj.plasticity is not None or proj.short_term is not None


def stdp_parameters(rule) -> dict[str, float]:
    """NEST's per-connection STDP parameters for ``rule`` (weights handled by the caller: ``Wmax`` is
    set from the native bounds). ``lambda`` and ``alpha`` for the shifted bounds, see the module doc."""
    span = rule.w_max - rule.w_min
    mu = 1.0 if rule.weight_dependence == "multiplicative" else 0.0
    lam = rule.a_plus if mu else rule.a_plus * rule.w_max / span
    # a_plus 0 with a_minus > 0 is refused by check(); both 0 is a static synapse (alpha is then moot)
    alpha = rule.a_minus / rule.a_plus if rule.a_plus else 0.0
    return {"tau_plus": rule.tau_plus * 1e3, "lambda": lam, "alpha": alpha,
            "mu_plus": mu, "mu_minus": mu}


class NestPlasticity:
    """The plastic projections of one NestSession: connects them and reads their weights back."""

    def __init__(self, session):
        self.s = session
        self.nest = session.nest
        self.models: dict[str, str] = {}  # STDP projection -> its copied synapse model
        self.spike_recorders: dict[str, object] = {}  # population -> spike_recorder (pre and post neurons)
        self.read: dict[tuple[str, int], tuple] = {}  # (projection, stop step) -> (synapses, weight SI, Kplus)
        self.plan: dict[int, list] = {}  # stop step -> [(projection, synapses to read)]
        self.connections: dict[tuple, tuple] = {}  # (projection, synapses) -> (SynapseCollection, order)
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
        if np.unique(proj.pre.astype(np.int64) * (int(proj.post.max()) + 1) + proj.post).size != proj.size:
            raise ValueError("several plastic synapses between one pair of neurons: NEST's connections "
                             "cannot be told apart when their weights are read back")
        model = f"snnrun_{proj.name}"
        nest.CopyModel(STDP_MODEL, model)
        self.models[proj.name] = model
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
        for name in (proj.pre_population, proj.post_population):
            if name not in self.spike_recorders and self.s.inst.populations[name].spikes is None:
                rec = nest.Create("spike_recorder")
                nest.Connect(s.cells[name].node_collection, rec, syn_spec={"delay": s.dt_ms})
                self.spike_recorders[name] = rec

    # -- reading -----------------------------------------------------------------------------------
    def _samples_wanted(self) -> dict[str, list]:
        """STDP projection -> [(synapses, sample steps)]: the spec's weight recordings, and the end."""
        inst = self.s.inst
        out = {name: parts for name, parts in recorded_entries(inst).items() if name in self.models}
        for name in self.models:
            out.setdefault(name, []).append((np.arange(inst.projections[name].size), np.array([inst.n_steps])))
        return out

    def stops(self) -> set[int]:
        """The PyNN steps ``t - d`` where weights are read, and what to read at each (module doc)."""
        self.plan = {}
        for name, parts in self._samples_wanted().items():
            delays = self.s.inst.projections[name].delay_steps
            for chosen, steps in parts:
                for d in np.unique(delays[chosen]):
                    mine = chosen[delays[chosen] == d]
                    for stop in (steps - int(d)).tolist():
                        if stop >= 1:  # before: no pre spike stamped yet, the drawn weight holds
                            self.plan.setdefault(stop, []).append((name, mine))
        return set(self.plan)

    def at_stop(self, step: int) -> None:
        for name, synapses in self.plan.get(step, ()):
            conns, order = self._connections(name, synapses)
            status = _get(conns, ["weight", "Kplus"])
            weight, kplus = status["weight"][order], status["Kplus"][order]
            rule = self.s.inst.projections[name].plasticity
            self.read[(name, step)] = self.read.get((name, step), ()) + (
                (synapses, weight / self.native_scale[name][synapses] + rule.w_min, kplus),)

    def _connections(self, name: str, synapses: np.ndarray):
        """NEST's connections of ``synapses`` of projection ``name`` and, per synapse, its place in them."""
        key = (name, synapses.tobytes())
        if key not in self.connections:
            s, proj = self.s, self.s.inst.projections[name]
            pre = s.node_ids(proj.pre_population)[proj.pre[synapses]]
            post = s.node_ids(proj.post_population)[proj.post[synapses]]
            conns = self.nest.GetConnections(self.nest.NodeCollection(np.unique(pre).tolist()),
                                             self.nest.NodeCollection(np.unique(post).tolist()),
                                             synapse_model=self.models[name])
            ends = _get(conns, ["source", "target"])
            sources, targets = ends["source"].astype(np.int64), ends["target"].astype(np.int64)
            span = np.int64(max(int(post.max()), int(targets.max(initial=0))) + 1)
            got = sources * span + targets
            wanted = pre * span + post
            sorter = np.argsort(got)
            at = sorter[np.searchsorted(got, wanted, sorter=sorter)]
            assert np.array_equal(got[at], wanted), name
            self.connections[key] = (conns, at)
        return self.connections[key]

    def weights(self) -> tuple[dict[str, WeightTrace], dict[str, WeightTrace]]:
        """(the spec's weight recordings, one WeightTrace per projection; the final weights of every
        projection with STDP), as the reference engine reports them."""
        inst = self.s.inst
        dt, n_steps = inst.dt, inst.n_steps
        recorded = recorded_entries(inst)
        out = {}
        for name, parts in recorded.items():
            proj = inst.projections[name]
            steps = np.unique(np.concatenate([p[1] for p in parts]))
            chosen = np.unique(np.concatenate([p[0] for p in parts]))
            values = np.full((steps.size, chosen.size), np.nan)
            for own, own_steps in parts:  # NaN where an entry did not sample a synapse (as the reference)
                values[np.ix_(np.searchsorted(steps, own_steps), np.searchsorted(chosen, own))] = \
                    self.samples(proj, own, own_steps)
            out[name] = weight_trace(proj, chosen, steps * dt, values)
        final = {}
        for name in self.models:
            proj = inst.projections[name]
            every = np.arange(proj.size)
            final[name] = weight_trace(proj, every, np.array([n_steps * dt]),
                                 self.samples(proj, every, np.array([n_steps])))
        return out, final

    def samples(self, proj, synapses: np.ndarray, steps: np.ndarray) -> np.ndarray:
        """Weights (SI) of ``synapses`` at the sample steps ``steps``: (steps, synapses)."""
        w0 = np.asarray(proj.weight, float)[synapses]
        out = np.broadcast_to(w0, (steps.size, synapses.size)).copy()
        if proj.name not in self.models:
            return out
        rule = proj.plasticity
        d = proj.delay_steps[synapses].astype(np.int64)
        pre_steps = self._spikes(proj.pre_population)
        post_steps = self._spikes(proj.post_population)
        update = StdpUpdate(rule)
        c_plus = self.s.inst.dt / rule.tau_plus
        pre_of = np.asarray(proj.pre, np.int64)[synapses]
        post_of = np.asarray(proj.post, np.int64)[synapses]
        for i, t in enumerate(steps.tolist()):
            limit = t - d  # the last pre spike counted is stamped <= t - d; NEST was read at that stop
            w, kp = w0.copy(), np.zeros(synapses.size)
            for stop in np.unique(limit[limit >= 1]).tolist():
                cols = np.flatnonzero(limit == stop)
                for read_syn, read_w, read_k in self.read[(proj.name, stop)]:
                    pos = np.searchsorted(read_syn, synapses[cols])
                    ok = (pos < read_syn.size) & (read_syn[np.minimum(pos, read_syn.size - 1)] == synapses[cols])
                    w[cols[ok]], kp[cols[ok]] = read_w[pos[ok]], read_k[pos[ok]]
            # the time of the last pre spike, and the potentiation NEST defers to the next one
            lo = _row_search(pre_steps[1], pre_steps[0], pre_of, limit, "right")
            has = lo > pre_steps[0][pre_of]
            last = np.where(has, pre_steps[1][np.maximum(lo - 1, 0)], 0)
            out[i] = _defer(w, has, last, kp, d, limit, post_of, post_steps, update, c_plus)
        return out

    def _spikes(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """A population's spikes as CSR (indptr by neuron, stamps in steps sorted per neuron): the drawn
        stamps of a source, the native recorder's of neurons."""
        pop = self.s.inst.populations[name]
        if pop.spikes is not None:
            return np.asarray(pop.spikes.indptr, np.int64), np.asarray(pop.spikes.steps, np.int64)
        ev = self.spike_recorders[name].events
        ids = np.searchsorted(self.s.node_ids(name), np.asarray(ev["senders"], np.int64))
        steps = np.rint(np.asarray(ev["times"], float) / self.s.dt_ms).astype(np.int64)
        order = np.lexsort((steps, ids))
        indptr = np.concatenate([[0], np.cumsum(np.bincount(ids, minlength=pop.size))]).astype(np.int64)
        return indptr, steps[order]


#: connections read per GetStatus call: NEST builds every connection's whole status dictionary before
#: picking the keys (256k stdp_synapse connections at once: 1.0 GB more peak memory, measured; in blocks of
#: this size: 0.1 GB)
GET_BLOCK = 20000


def _get(conns, keys: list[str]) -> dict[str, np.ndarray]:
    """``keys`` of a SynapseCollection's connections as float arrays, read in blocks (GET_BLOCK)."""
    parts: dict[str, list] = {k: [] for k in keys}
    for start in range(0, len(conns), GET_BLOCK):
        status = conns[start:start + GET_BLOCK].get(keys)
        for k in keys:
            parts[k].append(np.atleast_1d(np.asarray(status[k], float)))  # one connection: scalars
    return {k: np.concatenate(v) if v else np.empty(0) for k, v in parts.items()}


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
    if stamps.size == 0:
        return indptr[rows].copy()
    n_rows = indptr.size - 1
    row_of = np.repeat(np.arange(n_rows, dtype=np.int64), np.diff(indptr))
    lo, hi = int(min(stamps.min(), values.min())), int(max(stamps.max(), values.max()))
    base = np.int64(hi - lo + 2)
    keys = row_of * base + (stamps - lo)
    pos = np.searchsorted(keys, rows * base + (np.clip(values, lo - 1, hi) - lo), side=side)
    return np.clip(pos, indptr[rows], indptr[rows + 1])

