"""Translation tables between snnrun's models (SI units) and PyNN's standard cell types (PyNN units).

Everything here is data: one :class:`CellTranslation` per spec model type names the PyNN standard cell
type, maps every spec parameter and state variable to PyNN's name and declares PyNN's unit for it.
The scale factors are derived from the declared units (:data:`UNITS`), never typed per parameter, and
the same table is read backwards to turn recorded values into SI. Importing this module imports no
simulator (``snnrun check`` and ``snnrun backends`` must stay fast).

PyNN's units (pyNN/standardmodels/cells.py): ms, mV, nA, nF, uS (nS for AdEx's ``a``). Izhikevich's
``a``, ``b``, ``d`` and ``u`` are in the paper's units (1/ms, 1/ms, mV/ms) in the spec and in PyNN alike,
so they pass unscaled. Spike sources of every kind become ``SpikeSourceArray`` fed with the stamps snnrun
drew from the spec seed; their parameters are consumed by that draw (:data:`DRAWN`), not translated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

import numpy as np

from ...schema import catalogue as cat
from ...schema.units import Dimension

#: PyNN unit -> (SI value of one unit, dimension). "paper" marks Izhikevich's paper units, which the spec
#: keeps as plain numbers (dimensionless), so their scale is 1.
UNITS: Mapping[str, tuple[float, Dimension]] = MappingProxyType({
    "ms": (1e-3, Dimension.TIME),
    "mV": (1e-3, Dimension.VOLTAGE),
    "nA": (1e-9, Dimension.CURRENT),
    "nF": (1e-9, Dimension.CAPACITANCE),
    "uS": (1e-6, Dimension.CONDUCTANCE),
    "nS": (1e-9, Dimension.CONDUCTANCE),
    "Hz": (1.0, Dimension.FREQUENCY),
    "": (1.0, Dimension.DIMENSIONLESS),
    "/ms": (1.0, Dimension.DIMENSIONLESS),
    "mV/ms": (1.0, Dimension.DIMENSIONLESS),
})

#: the spec parameter is consumed by snnrun's own draw of the source's spike stamps
DRAWN = "drawn by snnrun"

#: spec receptor -> PyNN receptor_type of the standard cell types
RECEPTORS: Mapping[str, str] = MappingProxyType({"exc": "excitatory", "inh": "inhibitory"})

#: unit of a PyNN weight onto each synapse kind (spec weights are A, S or V)
WEIGHT_UNITS: Mapping[str, str] = MappingProxyType({"current": "nA", "conductance": "uS", "voltage": "mV"})

#: every time (delays, spike times, stimulus times, sampling intervals) is in ms in PyNN
TIME_UNIT = "ms"


@dataclass(frozen=True)
class Rule:
    """One spec name translated: PyNN's ``name`` and PyNN's ``unit`` for it (a key of :data:`UNITS`)."""

    name: str
    unit: str

    @property
    def si_per_unit(self) -> float:
        """SI value of one PyNN unit: ``si = pynn * si_per_unit``, ``pynn = si / si_per_unit``."""
        return UNITS[self.unit][0]


@dataclass(frozen=True)
class CellTranslation:
    """How one spec model type becomes one PyNN standard cell type.

    ``params``: spec parameter -> Rule (or :data:`DRAWN` for spike sources); ``state``: spec state variable
    -> Rule for PyNN's initial value / recordable name. ``synapse``: what a weight onto the cell is.
    """

    model: str
    cell_type: str
    params: Mapping[str, Rule | str]
    state: Mapping[str, Rule] = field(default_factory=dict)

    @property
    def synapse(self) -> str | None:
        return cat.MODELS[self.model].synapse

    @property
    def weight_unit(self) -> str | None:
        return WEIGHT_UNITS.get(self.synapse) if self.synapse else None

    def reverse_params(self) -> dict[str, str]:
        """PyNN parameter name -> spec parameter name (the reverse mapping)."""
        return {r.name: spec for spec, r in self.params.items() if isinstance(r, Rule)}

    def reverse_state(self) -> dict[str, str]:
        """PyNN state/recordable name -> spec state variable name."""
        return {r.name: spec for spec, r in self.state.items()}


def _table(model: str, cell_type: str, params: dict[str, tuple[str, str] | str],
           state: dict[str, tuple[str, str]]) -> CellTranslation:
    return CellTranslation(
        model, cell_type,
        MappingProxyType({k: (Rule(*v) if isinstance(v, tuple) else v) for k, v in params.items()}),
        MappingProxyType({k: Rule(*v) for k, v in state.items()}),
    )


_LIF = {"cm": ("cm", "nF"), "tau_m": ("tau_m", "ms"), "v_rest": ("v_rest", "mV"),
        "v_thresh": ("v_thresh", "mV"), "v_reset": ("v_reset", "mV"), "tau_refrac": ("tau_refrac", "ms"),
        "i_offset": ("i_offset", "nA")}
_SYN = {"tau_syn_exc": ("tau_syn_E", "ms"), "tau_syn_inh": ("tau_syn_I", "ms")}
_REV = {"e_rev_exc": ("e_rev_E", "mV"), "e_rev_inh": ("e_rev_I", "mV")}
_CURR_STATE = {"v": ("v", "mV"), "i_syn_exc": ("isyn_exc", "nA"), "i_syn_inh": ("isyn_inh", "nA")}
_COND_STATE = {"v": ("v", "mV"), "g_exc": ("gsyn_exc", "uS"), "g_inh": ("gsyn_inh", "uS")}
_ADEX = {**_LIF, **_SYN, **_REV, "v_spike": ("v_spike", "mV"), "a": ("a", "nS"), "b": ("b", "nA"),
         "delta_t": ("delta_T", "mV"), "tau_w": ("tau_w", "ms")}

TABLES: Mapping[str, CellTranslation] = MappingProxyType({t.model: t for t in (
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
    _table("poisson", "SpikeSourceArray", {"rate": DRAWN, "start": DRAWN, "stop": DRAWN}, {}),
    _table("inhomogeneous_poisson", "SpikeSourceArray", {"times": DRAWN, "rates": DRAWN}, {}),
    _table("spike_array", "SpikeSourceArray", {"spike_times": DRAWN}, {}),
)})


def to_pynn(table: CellTranslation, params_si: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Spec parameters (SI arrays) -> PyNN parameters (PyNN names and units). Drawn ones are skipped."""
    out = {}
    for name, value in params_si.items():
        rule = table.params[name]
        if isinstance(rule, Rule):
            out[rule.name] = np.asarray(value, float) / rule.si_per_unit
    return out


def from_pynn(table: CellTranslation, params_pynn: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """PyNN parameters (PyNN names and units) -> spec parameters (SI): the reverse of :func:`to_pynn`."""
    reverse = table.reverse_params()
    return {reverse[name]: np.asarray(value, float) * table.params[reverse[name]].si_per_unit
            for name, value in params_pynn.items()}


def state_to_pynn(table: CellTranslation, name: str, value_si) -> tuple[str, np.ndarray]:
    """A spec state variable's SI value -> (PyNN name, value in PyNN units)."""
    rule = table.state[name]
    return rule.name, np.asarray(value_si, float) / rule.si_per_unit


def state_from_pynn(table: CellTranslation, pynn_name: str, value) -> tuple[str, np.ndarray]:
    """A recorded PyNN variable in PyNN units -> (spec state variable, SI value)."""
    spec = table.reverse_state()[pynn_name]
    return spec, np.asarray(value, float) * table.state[spec].si_per_unit


def weight_to_pynn(kind: str, weight_si: np.ndarray) -> np.ndarray:
    """Spec weights (A, S or V by synapse ``kind``) -> PyNN weights (nA, uS or mV)."""
    return np.asarray(weight_si, float) / UNITS[WEIGHT_UNITS[kind]][0]


def time_to_pynn(t_si) -> np.ndarray:
    """Seconds -> PyNN's milliseconds."""
    return np.asarray(t_si, float) / UNITS[TIME_UNIT][0]


def time_from_pynn(t_ms) -> np.ndarray:
    """PyNN's milliseconds -> seconds."""
    return np.asarray(t_ms, float) * UNITS[TIME_UNIT][0]
