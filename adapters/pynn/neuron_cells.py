"""pyNN.neuron's nonlinear cell types (IF_cond_*, EIF_cond_*_isfa_ista, Izhikevich, HH_cond_exp) brought
to semantics.md: what their NMODL files would otherwise decide, per cell, on this rank's cells only.

- **Initial values after INITIAL.** pyNN.neuron sets initial values in an FInitializeHandler of type 0,
  before the mechanisms' INITIAL blocks, which then overwrite them: ``hh_traub.mod`` sets m = h = n = 0,
  ``izhikevich.mod`` u = uinit, ``adexp.mod`` w = winit, ExpSyn g = 0 (checked in pyNN/neuron/nmodl).
  A handler of type 1 (after the INITIAL blocks, before the first sample is recorded) sets them here.
  An alpha conductance (PyNN's AlphaSyn) has no state to start from: an initial ``g`` becomes an extra
  ExpSyn with the receptor's tau_syn and reversal, which decays as the reference's ``g`` with ``y = 0``.
- **Exact HH rates.** ``hh_traub.mod`` reads its rates from a TABLE over -100..100 mV in 1 mV steps
  with no DEPEND on vT (a cell with another v_offset gets the default's rates): ``usetable_hh_traub = 0``
  computes them at every evaluation (vtrap's Taylor branch only within 1e-6 of the singularities).
- **HH spike detection**: an upward crossing of -20 mV (semantics.md) on the soma's v; PyNN's is +10 mV.
- **Synapse targets**: Izhikevich cells take synaptic events on the Izhikevich point process itself
  (PyNN's ``excitatory`` = ``inhibitory``), which adds the weight (mV) to v.
Importing this module imports no simulator.
"""

from __future__ import annotations

import numpy as np

#: the HH spike threshold (mV): an upward crossing, semantics.md "hh_cond_exp"
HH_THRESHOLD_MV = -20.0

#: PyNN cell type -> {PyNN state name: (mechanism attribute path, variable)} set after INITIAL
_HH_GATES = {"m": ("hh", "m"), "h": ("hh", "h"), "n": ("hh", "n")}
_G = {"gsyn_exc": ("esyn", "g"), "gsyn_inh": ("isyn", "g")}
POST_INITIAL = {
    "IF_cond_exp": dict(_G),
    "IF_cond_alpha": dict(_G),  # through an extra ExpSyn (module docstring)
    "EIF_cond_exp_isfa_ista": {**_G, "w": ("adexp", "w")},
    "EIF_cond_alpha_isfa_ista": {**_G, "w": ("adexp", "w")},
    "Izhikevich": {"u": ("izh", "u")},
    "HH_cond_exp": {**_G, **_HH_GATES},
}
ALPHA_CELLS = frozenset({"IF_cond_alpha", "EIF_cond_alpha_isfa_ista"})
_RECEPTOR = {"esyn": "exc", "isyn": "inh"}

#: (spec model, recorded variable) -> (parameter, added?) of the spike's update: v is set to v_reset (or
#: Izhikevich's c), AdEx's w gains b, Izhikevich's u gains d (HH has none)
SPIKE_UPDATE = {**{(m, "v"): ("v_reset", False) for m in ("lif_curr_exp", "lif_curr_alpha", "lif_cond_exp",
                                                         "lif_cond_alpha", "adex_cond_exp", "adex_cond_alpha")},
                ("izhikevich", "v"): ("c", False), ("izhikevich", "u"): ("d", True),
                ("adex_cond_exp", "w"): ("b", True), ("adex_cond_alpha", "w"): ("b", True)}


def is_hh(cell) -> bool:
    return hasattr(cell, "seg") and hasattr(cell.seg, "hh_traub")


def mechanism(cell, name: str):
    """The NEURON object behind a path of POST_INITIAL (``hh`` is the soma's hh_traub)."""
    return cell.seg.hh_traub if name == "hh" else getattr(cell, name)


def synapse_target(cell, receptor: str):
    """The point process a synaptic event onto ``receptor`` ('exc'/'inh') goes to."""
    if hasattr(cell, "izh"):
        return cell.izh
    return cell.esyn if receptor == "exc" else cell.isyn


def spike_netcon(h, cell, target, delay_ms: float, weight: float):
    """A NetCon from ``cell``'s spike source to ``target``: the event source of PyNN's point-process
    cells (ResetRefrac, AdExpIF, Izhikevich, VecStim), or for HH the soma's v with the -20 mV threshold."""
    if is_hh(cell):
        return h.NetCon(cell.seg._ref_v, target, HH_THRESHOLD_MV, delay_ms, weight, sec=cell)
    return h.NetCon(cell.source, target, 0.0, delay_ms, weight)


def state_ref(cell, variable: str):
    """Pointer to a recordable state (spec name) of a cell, in PyNN's units (v mV, g uS, w nA, u mV/ms)."""
    if variable == "v":
        return cell.source_section(0.5)._ref_v
    if variable in ("m", "h", "n"):
        return getattr(cell.seg.hh_traub, f"_ref_{variable}")
    if variable in ("g_exc", "g_inh"):
        return synapse_target(cell, variable[-3:])._ref_g
    if variable == "i_syn_exc" or variable == "i_syn_inh":
        return synapse_target(cell, variable[-3:])._ref_i
    if variable == "w":
        return cell.adexp._ref_w
    if variable == "u":
        return cell.izh._ref_u
    raise KeyError(variable)


class NeuronCells:
    """Per run: HH rates exact, HH thresholds, and initial values applied after the INITIAL blocks."""

    def __init__(self, h, parallel_context, dt_ms: float):
        self.h = h
        self.dt_ms = dt_ms
        self.pc = parallel_context
        self.pending: list[tuple[object, str, str, float]] = []  # (cell, mechanism, variable, value)
        self.keep: list = []
        self.handler = None
        self.extras: dict[tuple[int, str], _Extra] = {}  # (id(cell), receptor) -> its extra ExpSyn

    def configure(self) -> None:
        """Before the run: exact HH rates; the handler that sets initial values after INITIAL."""
        self.h.usetable_hh_traub = 0  # pyNN.neuron loads hh_traub.mod with its other mechanisms
        self.handler = self.h.FInitializeHandler(1, self._apply)

    def split_initial(self, cells, target: str, initial: dict) -> dict:
        """Of PyNN-named initial values, keep those set after INITIAL (on this rank's cells) and return
        the rest for PyNN's initialize (v)."""
        late = POST_INITIAL.get(target, {})
        rest = {k: v for k, v in initial.items() if k not in late}
        local = np.flatnonzero(cells._mask_local)
        for name, value in initial.items():
            if name not in late:
                continue
            values = np.broadcast_to(np.asarray(value, float), cells.size)
            mech, var = late[name]
            for j in local.tolist():
                cell = cells[int(j)]._cell
                if target in ALPHA_CELLS and mech in ("esyn", "isyn"):
                    if values[j] == 0.0:
                        continue
                    holder = self._decaying_conductance(cell, _RECEPTOR[mech])
                    # an ExpSyn, held over each step: it carries the exponential cells' weight factor
                    self.pending.append((holder, "extra", var, float(values[j]) * holder.factor))
                    continue
                self.pending.append((cell, mech, var, float(values[j])))
        return rest

    def register_thresholds(self, cells) -> None:
        """HH cells of this rank detect spikes at -20 mV (PyNN registers +10 mV with their gid)."""
        local = np.flatnonzero(cells._mask_local)
        for j in local.tolist():
            cid = cells[int(j)]
            if is_hh(cid._cell):
                self.pc.threshold(int(cid), HH_THRESHOLD_MV)

    def extra_refs(self, cell, variable: str) -> list:
        """Further (pointer, scale) pairs whose scaled values add to a recorded variable (an alpha cell's
        initial g, its weight factor divided out)."""
        holder = self.extras.get((id(cell), variable[-3:])) if variable.startswith("g_") else None
        return [] if holder is None else [(holder.extra._ref_g, 1.0 / holder.factor)]

    def _decaying_conductance(self, cell, receptor: str):
        from .translation import neuron_conductance_factor

        syn = synapse_target(cell, receptor)
        extra = self.h.ExpSyn(0.5, sec=cell)
        extra.tau, extra.e = syn.tau, syn.e
        holder = _Extra(extra, float(neuron_conductance_factor(syn.tau, self.dt_ms)))  # both in ms
        self.keep.append(holder)
        self.extras[(id(cell), receptor)] = holder
        return holder

    def _apply(self) -> None:
        for cell, mech, var, value in self.pending:
            setattr(mechanism(cell, mech), var, value)


class _Extra:
    """A stand-in cell whose ``extra`` is the ExpSyn carrying an alpha cell's initial conductance, times
    ``factor`` (translation.neuron_conductance_factor)."""

    def __init__(self, syn, factor: float):
        self.extra = syn
        self.factor = factor
