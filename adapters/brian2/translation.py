"""Translation tables between snnrun's model vocabulary and the Brian2 equations of this adapter.

Data only, no Brian2 import and no ``eval``: per model type, every spec parameter maps to the name it
has in the Brian2 equations (:mod:`.models`) and the Brian2 unit it is declared with, and every
recordable state variable likewise; the reverse tables read Brian2 state back under snnrun's names.
Spec values are SI and every Brian2 unit used here is an SI base unit, so the numeric scale is 1; the
unit is declared so Brian2 checks dimensions (a wrong unit in this table is a DimensionMismatchError at
build time, and tests/test_adapter_brian2.py checks each unit against the catalogue's dimension).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

from ...schema.units import Dimension


@dataclass(frozen=True)
class Term:
    """One translated name: ``brian2`` is the identifier in the Brian2 equations, ``unit`` the name of
    the Brian2 unit object it is declared with (``"volt"``, ``"amp"``... or ``"1"`` for dimensionless)."""

    brian2: str
    unit: str


#: Brian2 unit name for each dimension of the spec language (SI base units: scale factor 1)
DIMENSION_UNIT: Mapping[Dimension, str] = MappingProxyType({
    Dimension.TIME: "second",
    Dimension.VOLTAGE: "volt",
    Dimension.CURRENT: "amp",
    Dimension.CAPACITANCE: "farad",
    Dimension.CONDUCTANCE: "siemens",
    Dimension.FREQUENCY: "hertz",
    Dimension.RESISTANCE: "ohm",
    Dimension.DIMENSIONLESS: "1",
})

_LIF = {
    "cm": Term("Cm", "farad"),
    "tau_m": Term("tau_m", "second"),
    "v_rest": Term("V_rest", "volt"),
    "v_thresh": Term("V_th", "volt"),
    "v_reset": Term("V_reset", "volt"),
    # used as the group's ``refractory`` length, lengthened by one step (see models.py and semantics.md)
    "tau_refrac": Term("t_ref", "second"),
    "i_offset": Term("I_offset", "amp"),
}
_SYN_TAU = {
    "tau_syn_exc": Term("tau_syn_e", "second"),
    "tau_syn_inh": Term("tau_syn_i", "second"),
}
_CURRENTS = {
    "v": Term("v", "volt"),
    "i_syn_exc": Term("I_syn_e", "amp"),
    "i_syn_inh": Term("I_syn_i", "amp"),
}

#: model type -> spec parameter -> Brian2 term
PARAMS: Mapping[str, Mapping[str, Term]] = MappingProxyType({
    "lif_curr_exp": MappingProxyType({**_LIF, **_SYN_TAU}),
    "lif_curr_alpha": MappingProxyType({**_LIF, **_SYN_TAU}),
    "lif_curr_delta": MappingProxyType(dict(_LIF)),
})

#: model type -> spec state variable (recordable, initialisable) -> Brian2 term
STATE: Mapping[str, Mapping[str, Term]] = MappingProxyType({
    "lif_curr_exp": MappingProxyType(dict(_CURRENTS)),
    "lif_curr_alpha": MappingProxyType(dict(_CURRENTS)),
    "lif_curr_delta": MappingProxyType({"v": Term("v", "volt")}),
})

#: Brian2-only state (no spec name): the alpha models' drive, a spike of weight w adds w e / tau_syn
HIDDEN_STATE: Mapping[str, Mapping[str, str]] = MappingProxyType({
    "lif_curr_alpha": MappingProxyType({"y_e": "amp/second", "y_i": "amp/second"}),
})

#: Brian2 variable each receptor's weight is added to, per model type (``v`` for voltage jumps)
RECEPTOR_TARGET: Mapping[str, Mapping[str, str]] = MappingProxyType({
    "lif_curr_exp": MappingProxyType({"exc": "I_syn_e", "inh": "I_syn_i"}),
    "lif_curr_alpha": MappingProxyType({"exc": "y_e", "inh": "y_i"}),
    "lif_curr_delta": MappingProxyType({"exc": "v", "inh": "v"}),
})


def _reverse(table: Mapping[str, Mapping[str, Term]]) -> Mapping[str, Mapping[str, str]]:
    out = {}
    for model, terms in table.items():
        rev = {term.brian2: name for name, term in terms.items()}
        if len(rev) != len(terms):
            raise ValueError(f"two spec names of {model} map to the same Brian2 name")
        out[model] = MappingProxyType(rev)
    return MappingProxyType(out)


#: model type -> Brian2 parameter name -> spec parameter
REVERSE_PARAMS = _reverse(PARAMS)
#: model type -> Brian2 state variable -> spec state variable
REVERSE_STATE = _reverse(STATE)


def param_term(model: str, name: str) -> Term:
    """The Brian2 term of spec parameter ``name`` of ``model`` (KeyError if the model is unsupported)."""
    return PARAMS[model][name]


def state_term(model: str, name: str) -> Term:
    """The Brian2 term of spec state variable ``name`` of ``model``."""
    return STATE[model][name]


def spec_param(model: str, brian2_name: str) -> str:
    """The spec parameter a Brian2 parameter name stands for."""
    return REVERSE_PARAMS[model][brian2_name]


def spec_state(model: str, brian2_name: str) -> str:
    """The spec state variable a Brian2 state variable stands for (reading results back)."""
    return REVERSE_STATE[model][brian2_name]
