"""The pieces Brian2 model equations are composed from: membranes and synapse kinetics, as pyNN.brian2
composes ``leaky_iaf + current_based_exponential_synapses``. Text and data only: nothing here imports
Brian2.

A :class:`Membrane` contributes the equation lines of ``v`` (and any other membrane state), the spike
condition, reset, refractoriness, the state-update method it is integrated with (stated by the piece,
never Brian2's automatic choice), and the translation rules of its parameters and state. A
:class:`SynapseKinetics` contributes, per receptor, the lines of its synaptic state, the current it
adds to the membrane, the variable a spike's weight goes to, Brian2-only state, and its own rules.
:mod:`.models` pairs one of each per spec model type.

Units: spec values are SI and every Brian2 unit used here has the SI value 1, so no value is scaled; the
unit is declared so that Brian2 checks dimensions (a wrong unit is a DimensionMismatchError at build
time, and the tests check each against the catalogue's dimension).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Callable, Mapping, Optional, Sequence

import numpy as np

from ...schema.units import Dimension
from ..translation import Rule, Units, Weight, rename

#: Brian2 unit names (looked up as attributes of the brian2 module by build.py, never evaluated)
UNITS = Units("brian2", MappingProxyType({
    "second": (1.0, Dimension.TIME),
    "volt": (1.0, Dimension.VOLTAGE),
    "amp": (1.0, Dimension.CURRENT),
    "farad": (1.0, Dimension.CAPACITANCE),
    "siemens": (1.0, Dimension.CONDUCTANCE),
    "hertz": (1.0, Dimension.FREQUENCY),
    "ohm": (1.0, Dimension.RESISTANCE),
    "1": (1.0, Dimension.DIMENSIONLESS),
    "amp/second": (1.0, None),  # the alpha kernel's drive (current kinetics)
    "siemens/second": (1.0, None),  # the alpha kernel's drive (conductance kinetics)
}))

#: suffix of each receptor's names in the equations (``I_syn_e``, ``tau_syn_i``)
SUFFIX: Mapping[str, str] = MappingProxyType({"exc": "e", "inh": "i"})


def refractory_period(tau_refrac, dt: float) -> np.ndarray:
    """Brian2 refractory length (s) that clamps exactly ``round(tau_refrac/dt)`` steps like the reference.

    Brian2 lets a neuron that spiked in step k integrate again in the first step k + m with
    ``m >= round(refractory/dt)``; the reference resumes in step k + 1 + R. Hence ``(R + 1) dt``.
    """
    steps = np.rint(np.asarray(tau_refrac, float) / dt).astype(np.int64)
    return (steps + 1) * dt


@dataclass(frozen=True)
class Membrane:
    """A membrane piece.

    ``equations`` are line templates: ``{drive}`` becomes the sum of the currents entering the membrane
    written with ``drive`` (empty when there are none), ``{unless}`` Brian2's ``(unless refractory)``
    flag where the piece is refractory. ``refractory`` is the Brian2 expression of the refractory period
    (None: the membrane has none), ``clamp`` the code that holds the membrane while refractory when
    ``(unless refractory)`` cannot be used (see models.py). ``time_constant`` is the spec parameter
    whose equality with a synaptic time constant makes the exact solution singular (None: never), and
    ``offset`` the Brian2 name of a constant current that may be left out when it is 0 group-wide.

    ``method`` is the Brian2 state updater the piece is integrated with (stated here, never Brian2's
    automatic choice); ``substeps(dt)`` (dt in s; None: 1) says how many equal substeps of it make one
    step. ``potential`` is the name of the membrane potential that synaptic currents see (a bounded one
    for AdEx), ``before_update`` code run in every step before the integration (None: none), ``hidden``
    Brian2-only state (name -> unit, starting at 0). ``check(params)`` lists the parameter values the
    piece cannot run, as (spec parameter, message), from the model's params (spec values or
    distributions; None: every value runs).
    """

    name: str
    equations: tuple[str, ...]
    drive: str
    threshold: str
    reset: str
    method: str
    params: tuple[Rule, ...]
    state: tuple[Rule, ...]
    refractory: Optional[str] = None
    clamp: Optional[str] = None
    time_constant: Optional[str] = None
    offset: Optional[str] = None
    substeps: Optional[Callable[[float], int]] = None
    potential: str = "v"
    before_update: Optional[str] = None
    hidden: Mapping[str, str] = field(default_factory=dict)
    check: Optional[Callable[[Mapping], list[tuple[str, str]]]] = None

    def lines(self, currents: Sequence[str], unless_refractory: bool) -> list[str]:
        drive = self.drive.format(" + ".join(currents)) if currents else ""
        unless = " (unless refractory)" if unless_refractory else ""
        return [line.format(drive=drive, unless=unless) for line in self.equations]

    def brian2_name(self, spec: str) -> str:
        """The Brian2 name of parameter ``spec`` (its rename)."""
        return next(r.target for r in self.params if r.inputs == (spec,))

    def substep_count(self, dt: float) -> int:
        """Substeps of ``method`` per step of ``dt`` (s)."""
        return 1 if self.substeps is None else int(self.substeps(dt))


@dataclass(frozen=True)
class SynapseKinetics:
    """A synapse-kinetics piece: per receptor (``{x}`` in the templates is its suffix, ``{tau}`` the Brian2
    name of its time constant), the ``equations`` of its state and the ``current`` it adds to the
    membrane (``{v}``: the membrane's :attr:`Membrane.potential`); ``common`` lines added once whatever
    the receptors; ``update`` code run right after the integration, in every step; ``time_constants``
    (receptor -> spec parameter), ``weights`` (receptor -> the variable a spike's weight is added to),
    ``hidden`` Brian2-only state (name -> unit, starting at 0), and ``voltage_jump``: the weight is
    added to the membrane potential, so it is discarded while the target is refractory, as in the
    reference's clamp."""

    name: str
    params: tuple[Rule, ...] = ()
    state: tuple[Rule, ...] = ()
    weights: Mapping[str, Weight] = field(default_factory=dict)
    equations: tuple[str, ...] = ()
    current: Optional[str] = None
    time_constants: Mapping[str, str] = field(default_factory=dict)
    hidden: Mapping[str, str] = field(default_factory=dict)
    voltage_jump: bool = False
    common: tuple[str, ...] = ()
    update: tuple[str, ...] = ()

    def lines(self, receptor: str, tau: str) -> list[str]:
        return [line.format(x=SUFFIX[receptor], tau=tau) for line in self.equations]

    def current_of(self, receptor: str, potential: str) -> str:
        return self.current.format(x=SUFFIX[receptor], v=potential)

    def update_code(self, receptor: str, tau: str) -> list[str]:
        return [line.format(x=SUFFIX[receptor], tau=tau) for line in self.update]

    def brian2_time_constant(self, receptor: str) -> str:
        return next(r.target for r in self.params if r.inputs == (self.time_constants[receptor],))


#: the refractory period of every reset membrane, in Brian2's counting (see :func:`refractory_period`)
T_REF = Rule("t_ref", "second", ("tau_refrac", "dt"), forward=refractory_period,
             reverse=lambda t_ref, dt: t_ref - dt,
             doc="(round(tau_refrac/dt) + 1) dt: Brian2 counts the spike's own step as refractory")

#: leaky integrate-and-fire: the linear membrane of schema/semantics.md, solved exactly
LIF = Membrane(
    "leaky_iaf",
    equations=("dv/dt = (V_rest - v)/tau_m{drive} : volt{unless}",),
    drive=" + ({})/Cm",
    threshold="v >= V_th",  # the reference spikes at v >= v_thresh (Brian2 examples often use >)
    reset="v = V_reset",
    method="exact",
    params=(
        rename("cm", "Cm", "farad"),
        rename("tau_m", "tau_m", "second"),
        rename("v_rest", "V_rest", "volt"),
        rename("v_thresh", "V_th", "volt"),
        rename("v_reset", "V_reset", "volt"),
        T_REF,
        rename("i_offset", "I_offset", "amp"),
    ),
    state=(rename("v", "v", "volt"),),
    refractory="t_ref",
    # a select written as arithmetic (v * 1 + V_reset * 0 is v exactly)
    clamp="v = v * int(not_refractory) + V_reset * (1 - int(not_refractory))",
    time_constant="tau_m",
    offset="I_offset",
)

_TAU_SYN = (rename("tau_syn_exc", "tau_syn_e", "second"), rename("tau_syn_inh", "tau_syn_i", "second"))
_I_SYN = (rename("i_syn_exc", "I_syn_e", "amp"), rename("i_syn_inh", "I_syn_i", "amp"))
_TIME_CONSTANTS = MappingProxyType({"exc": "tau_syn_exc", "inh": "tau_syn_inh"})

#: exponentially decaying currents; a spike of weight w adds w to the current
CURRENT_EXP = SynapseKinetics(
    "current_exp", _TAU_SYN, _I_SYN,
    weights=MappingProxyType({r: Weight(f"I_syn_{SUFFIX[r]}", "amp") for r in SUFFIX}),
    equations=("dI_syn_{x}/dt = -I_syn_{x}/{tau} : amp",),
    current="I_syn_{x}",
    time_constants=_TIME_CONSTANTS,
)


def _alpha_weight(receptor: str, unit: str = "amp/second", kind: str = "current") -> Weight:
    # the drive y jumps by w e / tau_syn, so the current (conductance) peaks at w (PyNN's convention);
    # the factor is the reference engine's expression, so the scaled weights are the same floats
    return Weight(f"y_{SUFFIX[receptor]}", unit, (_TIME_CONSTANTS[receptor],),
                  factor=lambda tau: math.e / tau, doc=f"w e / tau_syn: the drive of a {kind} peaking at w")


#: alpha-shaped currents: two linear states per receptor, a spike adds w e / tau_syn to the drive y
CURRENT_ALPHA = SynapseKinetics(
    "current_alpha", _TAU_SYN, _I_SYN,
    weights=MappingProxyType({r: _alpha_weight(r) for r in SUFFIX}),
    equations=("dI_syn_{x}/dt = y_{x} - I_syn_{x}/{tau} : amp", "dy_{x}/dt = -y_{x}/{tau} : amp/second"),
    current="I_syn_{x}",
    time_constants=_TIME_CONSTANTS,
    hidden=MappingProxyType({"y_e": "amp/second", "y_i": "amp/second"}),
)

#: voltage jumps: no synaptic state, a spike of weight w adds w to v
VOLTAGE_DELTA = SynapseKinetics(
    "voltage_delta",
    weights=MappingProxyType({r: Weight("v", "volt") for r in SUFFIX}),
    voltage_jump=True,
)

# -- conductance kinetics (schema/semantics.md, "the common scheme") ---------------------------------------
# The conductances are parameters holding their value at the step's start; what the membrane sees is
# ``g_{x}_t``, their exact value at the time ``t`` Brian2's explicit methods evaluate the right-hand
# side at (the step's start t0, t0 + dt/2, t0 + dt: rk4's stages), so the membrane integrates the exact
# decay, as the reference engine does. After the integration ``update`` moves them to the step's end;
# the pathways then add the arriving weights (phase 2).

_COND_PARAMS = _TAU_SYN + (rename("e_rev_exc", "E_e", "volt"), rename("e_rev_inh", "E_i", "volt"))
_G = (rename("g_exc", "g_e", "siemens"), rename("g_inh", "g_i", "siemens"))
#: the step's start, evaluated once per step (shared by every neuron and every receptor)
_STEP_START = ("t0 = t : second (shared, constant over dt)",)

#: exponentially decaying conductances; a spike of weight w adds w to g
CONDUCTANCE_EXP = SynapseKinetics(
    "conductance_exp", _COND_PARAMS, _G,
    weights=MappingProxyType({r: Weight(f"g_{SUFFIX[r]}", "siemens") for r in SUFFIX}),
    equations=("g_{x} : siemens", "g_{x}_t = g_{x}*exp(-(t - t0)/{tau}) : siemens"),
    current="g_{x}_t*(E_{x} - {v})",
    time_constants=_TIME_CONSTANTS,
    common=_STEP_START,
    update=("g_{x} = g_{x}*exp(-dt/{tau})",),
)


#: alpha-shaped conductances (g + s y) exp(-s/tau) over a step; a spike adds w e / tau_syn to the drive y
CONDUCTANCE_ALPHA = SynapseKinetics(
    "conductance_alpha", _COND_PARAMS, _G,
    weights=MappingProxyType({r: _alpha_weight(r, "siemens/second", "conductance") for r in SUFFIX}),
    equations=("g_{x} : siemens", "y_{x} : siemens/second",
               "g_{x}_t = (g_{x} + (t - t0)*y_{x})*exp(-(t - t0)/{tau}) : siemens"),
    current="g_{x}_t*(E_{x} - {v})",
    time_constants=_TIME_CONSTANTS,
    hidden=MappingProxyType({"y_e": "siemens/second", "y_i": "siemens/second"}),
    common=_STEP_START,
    # in this order: g's end value uses the drive at the step's start
    update=("g_{x} = (g_{x} + dt*y_{x})*exp(-dt/{tau})", "y_{x} = y_{x}*exp(-dt/{tau})"),
)
