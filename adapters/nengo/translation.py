"""How snnrun's physical models become nengo's dimensionless neurons: one :class:`NeuronFamily` per model
family, whose translation tables (:class:`~snnrun.adapters.translation.Translation`) hold every rule.

Nengo's neurons are dimensionless: the input ``J`` is a normalised current, and for the LIF family
(:class:`LifFamily`) ``tau_rc dx/dt = J - x``, threshold ``x = 1``, reset ``x = 0``, spikes of height
``1/dt``. The affine map (per neuron, all SI) is

    delta = v_thresh - v_reset                     (V)    so that  x = (v - v_reset) / delta
    gain  = tau_m / (cm delta)                     (1/A)  J per ampere of constant current
    bias  = (v_rest - v_reset) / delta + gain i_offset    J of the leak reversal and of i_offset
    J(t)  = bias + gain I_eff(t)

and the exact subthreshold step of schema/semantics.md becomes ``x' = P22 x + (1 - P22) J`` with
``P22 = exp(-dt/tau_m)``: for a current held over the step this is nengo's own LIF update. Synaptic
input is not constant over a step, so each synapse kind hands the neuron the *effective* constant
current ``I_eff`` (A) that moves the membrane exactly as the reference's propagators do
(``P20 I_eff = P21 i + P31 y`` or the voltage jump ``w = P20 I_eff``); the kinetics' rules below are
that map, per post neuron, and their reverses map nengo's recorded state back to SI.

The families whose reference scheme is in :mod:`snnrun.numerics` (conductance LIF, AdEx, Izhikevich,
HH) are :class:`NumericsFamily` tables: their NeuronTypes (models.py) take the SI parameters and step
with the numerics functions, gain 1 and bias 0 make J the stimulus current, and their synaptic input
arrives at receptor inputs (receptors.py) instead of J.

A new family is a :class:`NeuronFamily` here (its tables and maps) and a NeuronType with its builder in
neurons.py or models.py, registered under the family's ``neuron_type`` name. This module imports no
simulator, so ``snnrun check``/``backends`` never pay for importing nengo.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from types import MappingProxyType
from typing import Callable, Mapping

import numpy as np

from ...numerics import adex as adex_math
from ...numerics import hh
from ...numerics import izhikevich as izh
from ...numerics import kinetics as kin
from ...numerics import propagators as prop
from ...numerics.initial import derived_initial
from ...schema import catalogue as cat
from ...schema.units import Dimension
from ...schema.values import value_bounds
from ..translation import Rule, Translation, Units, Weight, drawn_sources, rename

E = math.e

UNITS = Units("nengo", MappingProxyType({
    "s": (1.0, Dimension.TIME),
    "V": (1.0, Dimension.VOLTAGE),
    "A": (1.0, Dimension.CURRENT),
    "F": (1.0, Dimension.CAPACITANCE),
    "S": (1.0, Dimension.CONDUCTANCE),
    "1": (1.0, Dimension.DIMENSIONLESS),
    "1/A": (1.0, None),  # an Ensemble's gain: J per ampere
    "A/s": (1.0, None),  # the alpha kernel's drive
    "S/s": (1.0, None),  # the alpha conductance's drive
    "steps": (1.0, None),  # whole steps of the simulator's dt
}))


@dataclass
class NeuronMap:
    """Per-neuron nengo quantities of one population: the Ensemble's ``gain`` (1/A) and ``bias``, the
    keyword arguments of the family's NeuronType (``neuron_args``), and what reads recorded state back."""

    gain: np.ndarray
    bias: np.ndarray
    neuron_args: dict
    translation: Translation
    params: Mapping[str, np.ndarray]  # SI, per neuron
    dt: float
    current_unit: float = 1.0  # the NeuronType's current unit per ampere: stimuli enter J in it

    def to_si(self, variable: str, samples: np.ndarray, neurons: np.ndarray | slice = slice(None)) -> np.ndarray:
        """Reverse map: samples of ``variable``'s neuron-type state for ``neurons`` -> SI."""
        params = {k: np.broadcast_to(v, self.gain.shape)[neurons] for k, v in self.params.items()}
        return self.translation.state_reverse(variable, samples, params, self.dt)


@dataclass
class SynapseMap:
    """How a weight onto one receptor of one population reaches nengo.

    ``weight_scale`` (per post neuron) turns a spec weight into the amplitude the delayed transform
    delivers; ``decay`` (per post neuron, None for delta) is the filter's exp(-dt/tau); ``c_i``/``c_y``
    turn the filter's state into the effective current (A); ``to_current`` maps the filter's recorded
    state back to the physical synaptic current (A).
    """

    kind: str  # "exp", "alpha", "delta" (into J, no synapse) or "receptor" (into a receptor input)
    weight_scale: np.ndarray
    channel: str = ""  # receptor: the NeuronType's receptor input the arrivals are added to
    decay: np.ndarray | None = None
    c_i: np.ndarray | None = None  # alpha: effective current per ampere of i
    c_y: np.ndarray | None = None  # alpha: effective current per A/s of drive y
    hp: np.ndarray | None = None  # alpha: dt exp(-dt/tau), the drive's step into i
    to_current: Callable[[np.ndarray, np.ndarray | slice], np.ndarray] | None = None


class NeuronFamily(ABC):
    """How one family of spec models becomes nengo neurons.

    ``neuron_type`` names the family's NeuronType in neurons.py; ``neuron_state`` maps the spec state
    variables read from that neuron type to its probeable attribute, ``synapse_state`` those read from a
    synapse to the receptor. Implementations provide the tables and the per-population maps.
    """

    neuron_type: str
    translations: Mapping[str, Translation]
    neuron_state: Mapping[str, str]
    synapse_state: Mapping[str, str]
    #: the values of ``simulation.options.nengo.integrator`` the family honours, and what it runs otherwise
    integrators: tuple[str, ...] = ("standard",)
    scheme: str = "the reference's scheme"

    @abstractmethod
    def neurons(self, model: str, params: Mapping[str, np.ndarray], initial: Mapping[str, np.ndarray],
                dt: float, integrator: str = "standard") -> NeuronMap:
        """The Ensemble and NeuronType quantities of one population (SI params and initial values)."""

    @abstractmethod
    def synapse(self, model: str, receptor: str, params: Mapping[str, np.ndarray], dt: float) -> SynapseMap:
        """How weights onto ``receptor`` of one population reach it."""

    def parameter_problems(self, params: Mapping) -> list[tuple[str, str]]:
        """(parameter, message) for every parameter value (the typed spec's ValueSpecs) the family's
        scheme cannot run; ``snnrun check`` reports each at the parameter's path. Default: none."""
        return []


# -- the LIF family ---------------------------------------------------------------------------------------
def _gain(cm, tau_m, v_thresh, v_reset):
    return tau_m / (cm * (v_thresh - v_reset))


def _bias(v_rest, v_reset, v_thresh, i_offset, cm, tau_m):
    delta = v_thresh - v_reset
    return (v_rest - v_reset) / delta + tau_m / (cm * delta) * i_offset


def _steps(tau_refrac, dt):
    return np.rint(tau_refrac / dt).astype(np.int64)


_LIF_MEMBRANE = (
    Rule("gain", "1/A", ("cm", "tau_m", "v_thresh", "v_reset"), forward=_gain, doc="tau_m / (cm delta): J per ampere"),
    Rule("bias", "1", ("v_rest", "v_reset", "v_thresh", "i_offset", "cm", "tau_m"), forward=_bias,
         doc="(v_rest - v_reset) / delta + gain i_offset: the leak reversal and i_offset in J"),
    rename("tau_m", "tau_rc", "s"),
    Rule("refractory_steps", "steps", ("tau_refrac", "dt"), forward=_steps,
         doc="round(tau_refrac / dt) clamped steps (an integer counter)"),
)
_LIF_VOLTAGE = Rule("voltage", "1", ("v", "v_reset", "v_thresh"),
                    forward=lambda v, v_reset, v_thresh: (v - v_reset) / (v_thresh - v_reset),
                    reverse=lambda x, v_reset, v_thresh: v_reset + (v_thresh - v_reset) * x,
                    doc="x = (v - v_reset) / delta: 0 at reset, 1 at threshold")


def _p20(tau_m, cm, dt):
    return prop.dc_to_v(dt, tau_m, cm)


def _kappa(tau_m, cm, tau_s, dt):
    """Effective current per ampere of exponential current at the step's start: P21 / P20."""
    return prop.exp_current_to_v(dt, tau_m, tau_s, cm) / _p20(tau_m, cm, dt)


def _decay(tau, dt):
    return prop.decay(dt, tau)


def _no_rules(receptor: str) -> tuple[Rule, ...]:
    return ()


@dataclass(frozen=True)
class Kinetics:
    """A synapse-kinetics piece of the LIF family: ``kind`` (the nengo Synapse network.py builds for it),
    its rules for one receptor (``weight(receptor)``, ``params(receptor)``, ``state(receptor)``) and
    ``make``, which builds the receptor's SynapseMap from the table."""

    kind: str
    weight: Callable[[str], Weight]
    make: Callable[..., SynapseMap]
    params: Callable[[str], tuple[Rule, ...]] = _no_rules
    state: Callable[[str], tuple[Rule, ...]] = _no_rules


def _tau(receptor: str) -> str:
    return f"tau_syn_{receptor}"


def _exp_map(table: Translation, receptor: str, values: Mapping, scale: np.ndarray, dt: float) -> SynapseMap:
    # the filter holds kappa i (kappa = P21/P20, the effective current per ampere of i at the step's
    # start), so a spike adds kappa w and the state is the neuron's input as is
    def to_current(s, n):
        return table.state_reverse(f"i_syn_{receptor}", s, {k: v[n] for k, v in values.items()}, dt)

    decay = table.forward(values, dt, targets=(f"decay_{receptor}",))[f"decay_{receptor}"]
    return SynapseMap("exp", weight_scale=scale, decay=decay, to_current=to_current)


def _alpha_map(table: Translation, receptor: str, values: Mapping, scale: np.ndarray, dt: float) -> SynapseMap:
    out = table.forward(values, dt, targets=[f"{name}_{receptor}" for name in ("decay", "c_i", "c_y", "hp")])
    return SynapseMap("alpha", weight_scale=scale, decay=out[f"decay_{receptor}"], c_i=out[f"c_i_{receptor}"],
                      c_y=out[f"c_y_{receptor}"], hp=out[f"hp_{receptor}"], to_current=lambda s, n: s)


def _delta_map(table: Translation, receptor: str, values: Mapping, scale: np.ndarray, dt: float) -> SynapseMap:
    return SynapseMap("delta", weight_scale=scale)


EXP = Kinetics(
    "exp",
    params=lambda r: (Rule(f"decay_{r}", "1", (_tau(r), "dt"), forward=_decay, doc="exp(-dt/tau_syn)"),),
    state=lambda r: (Rule(f"synapse_{r}", "A", (f"i_syn_{r}", "tau_m", "cm", _tau(r), "dt"),
                          forward=lambda i, *k: i * _kappa(*k), reverse=lambda s, *k: s / _kappa(*k),
                          doc="the filter's state is kappa i"),),
    weight=lambda r: Weight(f"synapse_{r}", "A", ("tau_m", "cm", _tau(r), "dt"), factor=_kappa,
                            doc="kappa w: the effective current of the jump"),
    make=_exp_map,
)
ALPHA = Kinetics(
    "alpha",
    params=lambda r: (
        Rule(f"decay_{r}", "1", (_tau(r), "dt"), forward=_decay, doc="exp(-dt/tau_syn)"),
        Rule(f"hp_{r}", "s", (_tau(r), "dt"), forward=lambda tau, dt: dt * _decay(tau, dt),
             doc="dt exp(-dt/tau_syn): the drive's step into i"),
        Rule(f"c_i_{r}", "1", (_tau(r), "tau_m", "cm", "dt"),
             forward=lambda tau, tau_m, cm, dt: _kappa(tau_m, cm, tau, dt), doc="P21 / P20"),
        Rule(f"c_y_{r}", "s", (_tau(r), "tau_m", "cm", "dt"),
             forward=lambda tau, tau_m, cm, dt: prop.alpha_drive_to_v(dt, tau_m, tau, cm) / _p20(tau_m, cm, dt),
             doc="P31 / P20"),
    ),
    state=lambda r: (rename(f"i_syn_{r}", f"synapse_{r}", "A"),),
    weight=lambda r: Weight(f"synapse_{r}", "A/s", (_tau(r),), factor=lambda tau: E / tau,
                            doc="w e / tau_syn: the drive of a current peaking at w"),
    make=_alpha_map,
)
DELTA = Kinetics(
    "delta",
    # a jump w (V) must equal P20 I_eff: the neuron adds (1 - P22) gain I_eff = w / delta to x
    weight=lambda r: Weight("neurons", "A", ("tau_m", "cm", "dt"),
                            factor=lambda tau_m, cm, dt: 1.0 / _p20(tau_m, cm, dt),
                            doc="w / P20: the effective current of the jump"),
    make=_delta_map,
)

RECEPTORS = ("exc", "inh")


class LifFamily(NeuronFamily):
    """lif_curr_exp, lif_curr_alpha, lif_curr_delta on :class:`~.neurons.ExactLIF` (the affine map of
    the module docstring)."""

    neuron_type = "ExactLIF"
    scheme = "the exact propagators (ExactLIF)"
    neuron_state = MappingProxyType({"v": "voltage"})
    synapse_state = MappingProxyType({f"i_syn_{r}": r for r in RECEPTORS})

    def __init__(self, kinetics: Mapping[str, Kinetics]):
        self.kinetics = MappingProxyType(dict(kinetics))
        self.translations = MappingProxyType({
            model: Translation(
                model, f"ExactLIF + {kin.kind}", UNITS,
                params=_LIF_MEMBRANE + tuple(rule for r in RECEPTORS for rule in kin.params(r)),
                state=(_LIF_VOLTAGE,) + tuple(rule for r in RECEPTORS for rule in kin.state(r)),
                weights=MappingProxyType({r: kin.weight(r) for r in RECEPTORS}))
            for model, kin in self.kinetics.items()})

    def neurons(self, model, params, initial, dt, integrator="standard") -> NeuronMap:
        table = self.translations[model]
        out = table.forward(params, dt, targets=[rule.target for rule in _LIF_MEMBRANE])
        x0 = table.state_forward("v", initial["v"], params, dt)[1]
        return NeuronMap(gain=out["gain"], bias=out["bias"], translation=table, params=params, dt=dt,
                         neuron_args={"tau_rc": out["tau_rc"], "refractory_steps": out["refractory_steps"],
                                      "initial_state": {"voltage": x0}})

    def synapse(self, model, receptor, params, dt) -> SynapseMap:
        table = self.translations[model]
        scale = table.weights[receptor].factors({**params, "dt": dt})
        return self.kinetics[model].make(table, receptor, params, scale, dt)


LIF = LifFamily({"lif_curr_exp": EXP, "lif_curr_alpha": ALPHA, "lif_curr_delta": DELTA})


# -- the families stepped with snnrun.numerics (models.py) ---------------------------------------------------
# Their NeuronTypes take the catalogue's parameters in SI and convert them as the reference engine does
# (numerics' coefficient classes), so the parameter rules are renames; gain is 1 and bias 0, so J is the
# stimulus current itself (in the family's current unit). State rules scale into the units of the
# model's arithmetic by the same multiplications as the reference (HH: mV and nS, Izhikevich: mV) and
# back by the same divisions, so initial values and recorded traces are the reference's floats.
def _unit_of(dimension: Dimension) -> str:
    return next(u for u, (scale, d) in UNITS.table.items() if d == dimension and scale == 1.0)


def _si_params(model: str, names: tuple[str, ...]) -> tuple[Rule, ...]:
    params = cat.MODELS[model].params
    return tuple(rename(p, p, _unit_of(params[p].dimension)) for p in names)


def _scaled(name: str, target: str, factor: float, doc: str) -> Rule:
    return Rule(target, "1", (name,), forward=lambda x: np.asarray(x, float) * factor,
                reverse=lambda x: np.asarray(x, float) / factor, doc=doc)


@dataclass(frozen=True)
class NumericsModel:
    """One model of a numerics family: its receptor ``kinetics`` ("exp", "alpha" or "jumps", the
    NeuronType's argument) and the catalogue parameters its NeuronType reads."""

    kinetics: str
    params: tuple[str, ...]


class NumericsFamily(NeuronFamily):
    """A family whose NeuronType (models.py) steps with snnrun.numerics. ``state`` are its state rules
    (spec variable -> NeuronType state attribute), ``current_unit`` and ``conductance_unit`` the units of
    its arithmetic per ampere and per siemens; honours ``integrator: euler``."""

    synapse_state = MappingProxyType({})
    integrators = ("standard", "euler")

    def __init__(self, neuron_type: str, models: Mapping[str, NumericsModel], state: tuple[Rule, ...],
                 current_unit: float = 1.0, conductance_unit: float = 1.0,
                 problems: Callable[[Mapping], list[tuple[str, str]]] | None = None):
        self.neuron_type = neuron_type
        self._problems = problems
        self.models = MappingProxyType(dict(models))
        self.current_unit = current_unit
        self.neuron_state = MappingProxyType({rule.source: rule.target for rule in state})
        self.translations = MappingProxyType({
            model: Translation(model, f"{neuron_type} + {m.kinetics}", UNITS, params=_si_params(model, m.params),
                               state=state, weights=MappingProxyType({r: self._weight(m.kinetics, r, conductance_unit)
                                                                      for r in RECEPTORS}))
            for model, m in self.models.items()})

    @staticmethod
    def _weight(kinetics: str, receptor: str, unit: float) -> Weight:
        if kinetics == "jumps":
            return Weight("jumps", "V", factor=lambda: izh.MV_PER_V, doc="w (V) in mV: a jump of v")
        if kinetics == "alpha":
            return Weight(f"y_{receptor}", "S/s", (_tau(receptor),), factor=lambda tau: kin.alpha_scale(tau) * unit,
                          doc="w e / tau_syn: the drive of a conductance peaking at w")
        if unit == 1.0:
            return Weight(f"g_{receptor}", "S", doc="w added to the conductance")
        return Weight(f"g_{receptor}", "S", factor=lambda: unit, doc="w added to the conductance, in nS")

    def neurons(self, model, params, initial, dt, integrator="standard") -> NeuronMap:
        table = self.translations[model]
        initial = {**derived_initial(model, params, initial), **initial}
        state = {rule.target: table.state_forward(rule.source, initial[rule.source], params, dt)[1]
                 for rule in table.state if rule.source in initial}
        size = len(initial["v"])
        return NeuronMap(gain=np.ones(size), bias=np.zeros(size), translation=table, params=params, dt=dt,
                         current_unit=self.current_unit,
                         neuron_args={"params": table.forward(params, dt), "initial_state": state,
                                      "integrator": integrator, "kinetics": self.models[model].kinetics})

    def parameter_problems(self, params):
        return [] if self._problems is None else self._problems(params)

    def synapse(self, model, receptor, params, dt) -> SynapseMap:
        weight = self.translations[model].weights[receptor]
        scale = weight.factors({**params, "dt": dt})
        channel = "jumps" if self.models[model].kinetics == "jumps" else receptor
        return SynapseMap("receptor", weight_scale=1.0 if scale is None else scale, channel=channel)


_LIF_PARAMS = ("cm", "tau_m", "v_rest", "v_thresh", "v_reset", "tau_refrac", "i_offset")
_SYN = ("tau_syn_exc", "tau_syn_inh")
_REV = ("e_rev_exc", "e_rev_inh")
_ADEX_PARAMS = _LIF_PARAMS + _SYN + _REV + ("v_spike", "a", "b", "delta_t", "tau_w")
_HH_PARAMS = ("gbar_na", "gbar_k", "g_leak", "cm", "v_offset", "e_rev_na", "e_rev_k", "e_rev_leak") + _REV + _SYN \
    + ("i_offset",)
_V = rename("v", "voltage", "V")
_G_SI = (rename("g_exc", "g_exc", "S"), rename("g_inh", "g_inh", "S"))


def _adex_problems(params) -> list[tuple[str, str]]:
    """The reference's limits of the AdEx scheme (delta_t > 0, an exponential that cannot overflow)."""
    return adex_math.parameter_problems(value_bounds(params["delta_t"])[0], value_bounds(params["v_spike"])[1],
                                        value_bounds(params["v_thresh"])[0])


COND_LIF = NumericsFamily("CondLIF", {
    "lif_cond_exp": NumericsModel("exp", _LIF_PARAMS + _SYN + _REV),
    "lif_cond_alpha": NumericsModel("alpha", _LIF_PARAMS + _SYN + _REV),
}, state=(_V,) + _G_SI)
ADEX = NumericsFamily("AdEx", {
    "adex_cond_exp": NumericsModel("exp", _ADEX_PARAMS),
    "adex_cond_alpha": NumericsModel("alpha", _ADEX_PARAMS),
}, state=(_V,) + _G_SI + (rename("w", "w", "A"),), problems=_adex_problems)
IZHIKEVICH = NumericsFamily("Izhikevich", {
    "izhikevich": NumericsModel("jumps", ("a", "b", "c", "d", "i_offset")),
}, state=(_scaled("v", "voltage", izh.MV_PER_V, "v in mV"), rename("u", "u", "1")), current_unit=izh.PA_PER_A)
HH = NumericsFamily("HH", {
    "hh_cond_exp": NumericsModel("exp", _HH_PARAMS),
}, state=(_scaled("v", "voltage", hh.MV, "v in mV"), rename("m", "m", "1"), rename("h", "h", "1"),
          rename("n", "n", "1"), _scaled("g_exc", "g_exc", hh.NS, "g_exc in nS"),
          _scaled("g_inh", "g_inh", hh.NS, "g_inh in nS")),
    current_unit=hh.PA, conductance_unit=hh.NS)

#: spec model type -> the family that runs it: adding a family is a NeuronFamily and its entries here
FAMILIES: Mapping[str, NeuronFamily] = MappingProxyType({
    m: family for family in (LIF, COND_LIF, ADEX, IZHIKEVICH, HH) for m in family.translations})

#: spec model type -> translation table (neuron models and the replayed spike sources)
TRANSLATIONS: Mapping[str, Translation] = MappingProxyType({
    **{m: family.translations[m] for m, family in FAMILIES.items()},
    **drawn_sources("Node(SpikeTrainSource)", UNITS),
})
