"""Translation tables between snnrun's models (SI units) and PyNN's standard cell types (PyNN units).

One :class:`~snnrun.adapters.translation.Translation` per spec model type names the PyNN standard cell
type (its ``target``), renames every spec parameter and state variable to PyNN's name in PyNN's unit and
says what a weight onto each receptor is. Scale factors come from the declared units (:data:`UNITS`,
the spec language's own unit symbols), never typed per parameter, and the same rules read recorded
values back into SI. Where one simulator needs something else, it gets a variant of the shared table
(:data:`TRANSLATIONS`): pyNN.brian2 a refractory period one step longer, pyNN.neuron a weight factor
that makes NEURON's step of an exponential current exact and one that gives an exponential conductance
its step mean. Importing this module imports no simulator
(``snnrun check`` and ``snnrun backends`` must stay fast).

PyNN's units (pyNN/standardmodels/cells.py): ms, mV, nA, nF, uS (nS for AdEx's ``a``). Izhikevich's
``a``, ``b``, ``d`` and ``u`` are in the paper's units (1/ms, 1/ms, mV/ms) in the spec and in PyNN alike,
so they pass unscaled. Spike sources of every kind become ``SpikeSourceArray`` fed with the stamps snnrun
drew from the spec seed; their parameters are consumed by that draw (``handled``), not translated.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Mapping

import numpy as np

from ...schema import catalogue as cat
from ...schema.units import Dimension
from ..brian2.pieces import refractory_period
from ...numerics import propagators as prop
from ..translation import Rule, Translation, Units, Weight, drawn_sources, rename

#: PyNN's units. The paper units of Izhikevich's parameters are kept as plain numbers in the spec
#: (dimensionless), so their scale is 1.
UNITS = Units.of_symbols("pynn", ("ms", "mV", "nA", "nF", "uS", "nS", "Hz"), {
    "": (1.0, Dimension.DIMENSIONLESS),
    "/ms": (1.0, Dimension.DIMENSIONLESS),
    "mV/ms": (1.0, Dimension.DIMENSIONLESS),
})

#: spec receptor -> PyNN receptor_type of the standard cell types
RECEPTORS: Mapping[str, str] = MappingProxyType({"exc": "excitatory", "inh": "inhibitory"})

#: unit of a PyNN weight onto each synapse kind (spec weights are A, S or V)
WEIGHT_UNITS: Mapping[str, str] = MappingProxyType({"current": "nA", "conductance": "uS", "voltage": "mV"})

#: every time (delays, spike times, stimulus times, sampling intervals) is in ms in PyNN
TIME_UNIT = "ms"
#: injected currents (stimulus amplitudes, i_offset) are in nA in PyNN
CURRENT_UNIT = "nA"


def _table(model: str, cell_type: str, params: dict[str, tuple[str, str]],
           state: dict[str, tuple[str, str]]) -> Translation:
    unit = WEIGHT_UNITS[cat.MODELS[model].synapse]
    return Translation(model, cell_type, UNITS,
                       params=tuple(rename(spec, *pynn) for spec, pynn in params.items()),
                       state=tuple(rename(spec, *pynn) for spec, pynn in state.items()),
                       weights=MappingProxyType({r: Weight("weight", unit) for r in RECEPTORS}))


_LIF = {"cm": ("cm", "nF"), "tau_m": ("tau_m", "ms"), "v_rest": ("v_rest", "mV"),
        "v_thresh": ("v_thresh", "mV"), "v_reset": ("v_reset", "mV"), "tau_refrac": ("tau_refrac", "ms"),
        "i_offset": ("i_offset", "nA")}
_SYN = {"tau_syn_exc": ("tau_syn_E", "ms"), "tau_syn_inh": ("tau_syn_I", "ms")}
_REV = {"e_rev_exc": ("e_rev_E", "mV"), "e_rev_inh": ("e_rev_I", "mV")}
_CURR_STATE = {"v": ("v", "mV"), "i_syn_exc": ("isyn_exc", "nA"), "i_syn_inh": ("isyn_inh", "nA")}
_COND_STATE = {"v": ("v", "mV"), "g_exc": ("gsyn_exc", "uS"), "g_inh": ("gsyn_inh", "uS")}
_ADEX = {**_LIF, **_SYN, **_REV, "v_spike": ("v_spike", "mV"), "a": ("a", "nS"), "b": ("b", "nA"),
         "delta_t": ("delta_T", "mV"), "tau_w": ("tau_w", "ms")}

#: model type -> the table every pynn backend starts from
TABLES: Mapping[str, Translation] = MappingProxyType({**{t.model: t for t in (
    _table("lif_curr_exp", "IF_curr_exp", {**_LIF, **_SYN}, _CURR_STATE),
    _table("lif_curr_alpha", "IF_curr_alpha", {**_LIF, **_SYN}, _CURR_STATE),
    _table("lif_curr_delta", "IF_curr_delta", dict(_LIF), {"v": ("v", "mV")}),
    _table("lif_cond_exp", "IF_cond_exp", {**_LIF, **_SYN, **_REV}, _COND_STATE),
    _table("lif_cond_alpha", "IF_cond_alpha", {**_LIF, **_SYN, **_REV}, _COND_STATE),
    _table("adex_cond_exp", "EIF_cond_exp_isfa_ista", _ADEX, {**_COND_STATE, "w": ("w", "nA")}),
    _table("adex_cond_alpha", "EIF_cond_alpha_isfa_ista", _ADEX, {**_COND_STATE, "w": ("w", "nA")}),
    _table("izhikevich", "Izhikevich",
           {"a": ("a", "/ms"), "b": ("b", "/ms"), "c": ("c", "mV"), "d": ("d", "mV/ms"), "i_offset": ("i_offset", "nA")},
           {"v": ("v", "mV"), "u": ("u", "mV/ms")}),
    _table("hh_cond_exp", "HH_cond_exp",
           {"gbar_na": ("gbar_Na", "uS"), "gbar_k": ("gbar_K", "uS"), "g_leak": ("g_leak", "uS"),
            "cm": ("cm", "nF"), "v_offset": ("v_offset", "mV"), "e_rev_na": ("e_rev_Na", "mV"),
            "e_rev_k": ("e_rev_K", "mV"), "e_rev_leak": ("e_rev_leak", "mV"), **_REV, **_SYN,
            "i_offset": ("i_offset", "nA")},
           {**_COND_STATE, "m": ("m", ""), "h": ("h", ""), "n": ("n", "")}),
)}, **drawn_sources("SpikeSourceArray", UNITS)})


# -- simulator variants ----------------------------------------------------------------------------------
#: pyNN.brian2: Brian2 counts the spike's own step into the refractory period (integration resumes
#: round(tau_refrac/dt) steps after the spike step; snnrun's one step later), so PyNN gets one step more.
#: Whole steps, so that values which round to the same step count are one value (pyNN.brian2 accepts
#: only one refractory period per population).
BRIAN2_REFRACTORY = Rule("tau_refrac", "ms", ("tau_refrac", "dt"), forward=refractory_period,
                         reverse=lambda tau_refrac, dt: tau_refrac - dt,
                         doc="(round(tau_refrac/dt) + 1) dt: Brian2's refractory period")


def neuron_drive_factor(tau_m, cm, tau_s, dt):
    """Per neuron of an exponential-current cell, the weight factor that makes NEURON's step exact.

    NEURON's Crank-Nicolson step holds an ExpISyn current at its value at the step's start, so a
    current i adds (h/cm) i / (1 + h/(2 tau_m)) to v over the step where the exact propagator adds
    P21 i: a PSP comes out h/(2 tau_syn) too large (1% at tau_syn 5 ms, dt 0.1 ms), which raises
    CUBA's rates by 1.6%. The current decays exactly (cnexp), so scaling the weight by
    c = P21 cm (1 + h/(2 tau_m)) / h makes every step's synaptic drive exact; recorded currents are
    divided by c again. Alpha currents are evaluated, not held, and need no factor (measured)."""
    tau_m, cm, tau_s = np.broadcast_arrays(tau_m, cm, tau_s)
    return prop.exp_current_to_v(dt, tau_m, tau_s, cm) * cm * (1 + dt / (2 * tau_m)) / dt


def _neuron_exp_weight(receptor: str) -> Weight:
    return Weight("weight", WEIGHT_UNITS["current"], ("tau_m", "cm", f"tau_syn_{receptor}", "dt"),
                  factor=neuron_drive_factor, doc="c = P21 cm (1 + h/(2 tau_m)) / h (NEURON's held current)")


def neuron_conductance_factor(tau_s, dt):
    """Per neuron of an exponential-conductance cell (NEURON's ExpSyn), the weight factor that gives
    each step the conductance's mean over the step.

    NEURON's Crank-Nicolson step holds an ExpSyn conductance at its value at the step's start (it decays
    exactly afterwards, cnexp), so a conductance PSP comes out about h/(2 tau_syn) too large (0.93% at
    tau_syn 5 ms, dt 0.1 ms, measured on lif_cond_exp_input_spikes). Scaling weights (and initial
    conductances) by (tau_s/h)(1 - exp(-h/tau_s)), the exact step mean of exp(-s/tau_s) over the step,
    leaves a second-order error; recorded conductances are divided by it again."""
    tau_s = np.asarray(tau_s, float)
    return -np.expm1(-dt / tau_s) * tau_s / dt


def _neuron_cond_weight(receptor: str) -> Weight:
    return Weight("weight", WEIGHT_UNITS["conductance"], (f"tau_syn_{receptor}", "dt"),
                  factor=neuron_conductance_factor, doc="(tau_s/h)(1 - exp(-h/tau_s)) (NEURON's held conductance)")


#: models whose synapses are NEURON ExpSyn conductances
NEURON_EXP_CONDUCTANCE = ("lif_cond_exp", "adex_cond_exp", "hh_cond_exp")


def _variant(**changed: Translation) -> Mapping[str, Translation]:
    return MappingProxyType({**TABLES, **changed})


#: backend -> model type -> translation table
TRANSLATIONS: Mapping[str, Mapping[str, Translation]] = MappingProxyType({
    "pynn:nest": TABLES,
    "pynn:neuron": _variant(lif_curr_exp=TABLES["lif_curr_exp"].with_weights(
        {r: _neuron_exp_weight(r) for r in RECEPTORS}),
        **{m: TABLES[m].with_weights({r: _neuron_cond_weight(r) for r in RECEPTORS}) for m in NEURON_EXP_CONDUCTANCE}),
    "pynn:brian2": _variant(**{m: t.with_params(BRIAN2_REFRACTORY) for m, t in TABLES.items()
                               if "tau_refrac" in t.parameters()}),
})


def current_to_pynn(amps_si) -> np.ndarray:
    """Injected currents (A) -> PyNN's nA."""
    return UNITS.to_unit(CURRENT_UNIT, np.asarray(amps_si, float))


def time_to_pynn(t_si) -> np.ndarray:
    """Seconds -> PyNN's milliseconds."""
    return UNITS.to_unit(TIME_UNIT, np.asarray(t_si, float))


def time_from_pynn(t_ms) -> np.ndarray:
    """PyNN's milliseconds -> seconds."""
    return UNITS.to_si(TIME_UNIT, np.asarray(t_ms, float))
