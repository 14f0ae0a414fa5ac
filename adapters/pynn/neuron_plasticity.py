"""Plastic projections on pynn:neuron: PyNN's NMODL weight adjusters (compiled with pyNN.neuron's
mechanisms), wired the way semantics.md's shifted frame needs, and the weights read back in snnrun's
conventions (semantics.md, "Plasticity", "Short-term plasticity", "pynn").

Each synapse is a NetCon onto the post cell's ``esyn``/``isyn`` plus a weight adjuster, a point process
whose ``wsyn`` points at that NetCon's weight (what pyNN.neuron's Connection does, without its
bookkeeping):

- ``stdp``: ``StdwaSA`` (additive: ``w +- a w_max K``, clipped to [w_min, w_max]) or ``StdwaSoft``
  (multiplicative: ``w + a_plus (w_max - w) K+``, ``w - a_minus (w - w_min) K-``, unclipped, which is the
  same while ``a K <= 1``). PyNN sets ``allow_update_on_post = 0`` (changes accumulate and are applied at
  the next pre spike, for compatibility with NEST); here it is 1, so every update is applied when its
  spike arrives, as semantics.md says. The adjuster sees the pre spike through a NetCon of delay ``d``
  (shortened, so that the update comes before the PSP's NetCon reads the weight: the PSP carries the new
  weight) and the post spike through one of delay ``2 f d`` (lengthened by as much: a post spike seen
  together with a sample time is not in that sample): the shifted frame of semantics.md, for any
  dendritic fraction ``f``. NEURON pairs spikes seen at the same time (``dt = 0``): such a pair
  potentiates by ``a_plus w_max`` (semantics.md: nothing). No nearest-pairing adjuster exists.
- ``tsodyks_markram``: ``TsodyksMarkramWA`` (PyNN's closed form of the three-state model with the
  receiving synapse's ``tau_syn``, ``u0 = 0``). With ``tau_syn`` at its lower bound (1e-9 ms) the third
  state empties at once and the closed form is NEST's ``tsodyks2_synapse`` (semantics.md): ``x <- 1 +
  (x - x u - 1) e^(-h/tau_rec)`` with the previous u, ``u <- U + u (1 - U) e^(-h/tau_facil)``, release
  ``x u w``, first ``U w``. (With the post cell's tau_syn, as PyNN sets it, x recovers later by about
  tau_syn and later amplitudes differ; tau_syn = tau_rec gives 0/0 (PyNN#161).)

Weights in NEURON are PyNN's nA/uS times the table's drive factor (translation.neuron_drive_factor); the
bounds get the same factor per synapse, and read weights are divided by it.
"""

from __future__ import annotations

import numpy as np

from ..base import WeightTrace
from ..weights import recorded_entries, weight_trace
from .neuron_cells import spike_netcon

#: weight_dependence -> PyNN's NMODL weight adjuster
STDP_MECHANISMS = {"additive": "StdwaSA", "multiplicative": "StdwaSoft"}
TM_MECHANISM = "TsodyksMarkramWA"
#: TsodyksMarkramWA's lower bound of tau_syn (ms): the three-state model's limit, tsodyks2_synapse
TM_TAU_SYN_MS = 1e-9


def is_plastic(proj) -> bool:
    return proj.plasticity is not None or proj.short_term is not None


class NeuronPlasticity:
    """The plastic projections of one NeuronSession: builds them, samples their weights."""

    def __init__(self, session):
        self.s = session
        self.h = session.h
        self.keep: list = []  # NEURON objects that must stay referenced
        self.synapses: dict[str, tuple[list, np.ndarray]] = {}  # projection -> (NetCons, SI per native)
        self.samples: dict[int, dict[str, np.ndarray]] = {}  # step -> projection -> weights (SI)

    def connect(self, proj, sources, targets, post_cells, delays_ms, eps_ms) -> None:
        """``sources``/``targets``: the pre cells (PyNN cell objects) and the post cells' synapses, by neuron;
        ``post_cells``: the post cells' PyNN cell objects; ``delays_ms``: the PSP NetCons' delays."""
        h, s = self.h, self.s
        weights = s.pynn_weights(proj)
        scale = s.pynn_weights(proj, np.ones(proj.size))  # native per SI weight (units and drive factor)
        rule, tm = proj.plasticity, proj.short_term
        netcons = []
        for k, (i, j, w, d) in enumerate(zip(proj.pre.tolist(), proj.post.tolist(), weights.tolist(), delays_ms)):
            nc = spike_netcon(h, sources[i], targets[j], d, w)
            cell = post_cells[j]
            if rule is not None:
                wa = getattr(h, STDP_MECHANISMS[rule.weight_dependence])(cell.source_section(0.5))
                wa.tauLTP, wa.tauLTD = rule.tau_plus * 1e3, rule.tau_minus * 1e3
                wa.aLTP, wa.aLTD = rule.a_plus, rule.a_minus
                wa.wmax, wa.wmin = rule.w_max * scale[k], rule.w_min * scale[k]
                wa.allow_update_on_post = 1
                wa.on = 1
                pre2wa = spike_netcon(h, sources[i], wa, d - eps_ms, 1.0)
                # the post spike reaches the adjuster 2 f d after its stamp (shifted frame), eps later
                post2wa = spike_netcon(h, cell, wa, 2 * rule.dendritic_delay_fraction
                                       * (proj.delay_steps[k] * s.dt_ms) + eps_ms, -1.0)
                self.keep.extend([pre2wa, post2wa])
            else:
                wa = getattr(h, TM_MECHANISM)(cell.source_section(0.5))
                wa.tau_rec, wa.tau_facil, wa.U, wa.u0 = tm.tau_rec * 1e3, tm.tau_facil * 1e3, tm.u, 0.0
                wa.tau_syn = TM_TAU_SYN_MS
                pre2wa = spike_netcon(h, sources[i], wa, d - eps_ms, w)  # carries the base weight w
                self.keep.append(pre2wa)
            h.setpointer(nc._ref_weight[0], "wsyn", wa)
            self.keep.append(wa)
            netcons.append(nc)
        self.keep.extend(netcons)
        self.synapses[proj.name] = (netcons, scale)

    # -- sampling ------------------------------------------------------------------------------------
    def sample_steps(self) -> list[int]:
        """The steps (> 0) at which the run must stop to read weights (the recordings' samples and the
        end, where the final weights are read); what to read at each goes into ``self.plan``."""
        inst = self.s.inst
        self.plan: dict[int, dict[str, set]] = {}
        for name, proj in inst.projections.items():
            if proj.plasticity is not None and proj.size:
                self.plan.setdefault(inst.n_steps, {})[name] = set(range(proj.size))
        for rec in inst.recordings:
            if rec.projection is None or inst.projections[rec.projection].plasticity is None:
                continue
            proj = inst.projections[rec.projection]
            chosen = range(proj.size) if rec.synapses is None else rec.synapses
            every = int(round((rec.interval or inst.dt) / inst.dt))
            for step in range(every, inst.n_steps, every):
                self.plan.setdefault(step, {}).setdefault(rec.projection, set()).update(chosen)
        return sorted(self.plan)

    def sample(self, step: int) -> None:
        """Read the weights (SI) the plan names for ``step`` (the run stands there); NaN elsewhere."""
        out = {}
        for name, wanted in self.plan.get(step, {}).items():
            netcons, scale = self.synapses[name]
            values = np.full(len(netcons), np.nan)
            idx = np.fromiter(sorted(wanted), np.int64)
            values[idx] = np.array([netcons[k].weight[0] for k in idx.tolist()]) / scale[idx]
            out[name] = values
        self.samples[step] = out

    def weights(self) -> tuple[dict[str, WeightTrace], dict[str, WeightTrace]]:
        inst = self.s.inst
        dt, n = inst.dt, inst.n_steps
        recorded = recorded_entries(inst)
        out = {}
        for name, parts in recorded.items():
            proj = inst.projections[name]
            steps = np.unique(np.concatenate([p[1] for p in parts]))
            chosen = np.unique(np.concatenate([p[0] for p in parts]))
            values = np.vstack([self._at(proj, int(k))[chosen] for k in steps])
            if len(parts) > 1:  # NaN where an entry did not sample a synapse (as the reference)
                mask = np.zeros(values.shape, bool)
                for own, own_steps in parts:
                    mask[np.ix_(np.searchsorted(steps, own_steps), np.searchsorted(chosen, own))] = True
                values = np.where(mask, values, np.nan)
            out[name] = weight_trace(proj, chosen, steps * dt, values)
        final = {name: weight_trace(proj, np.arange(proj.size), np.array([n * dt]), self._at(proj, n)[None, :])
                 for name, proj in inst.projections.items() if proj.plasticity is not None and proj.size}
        return out, final

    def _at(self, proj, step: int) -> np.ndarray:
        if proj.plasticity is None or step == 0:
            return np.asarray(proj.weight, float)
        return self.samples[step][proj.name]

