"""The model catalogue of spec language v1: every model type, its parameters with dimension, default
and meaning, its receptors and its recordable variables.

This table is the single source: the JSON Schema (``snnrun-spec-v1.schema.json``) is generated from it
by :mod:`snnrun.schema.build`, the loader checks units against it, and the adapters' translation tables
are tested against it (every parameter of every model translated or declared unsupported).
Defaults are PyNN's for the same standard model, except where noted (``v`` starts at ``v_rest``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from .units import Dimension

T, V, I, C, G, F, D = (
    Dimension.TIME,
    Dimension.VOLTAGE,
    Dimension.CURRENT,
    Dimension.CAPACITANCE,
    Dimension.CONDUCTANCE,
    Dimension.FREQUENCY,
    Dimension.DIMENSIONLESS,
)


@dataclass(frozen=True)
class Param:
    """One model parameter: dimension, default as a quantity string (None: required) and meaning.

    ``kind`` is ``value`` (a quantity, per-element values or a distribution), ``quantity_list``
    (a list of quantities, e.g. change times) or ``spike_times`` (a list, or one list per neuron).
    """

    dimension: Dimension
    default: str | None
    doc: str
    kind: str = "value"
    optional: bool = False  # no default value, and none needed (``stop``: the end of the simulation)

    @property
    def required(self) -> bool:
        return self.default is None and not self.optional


@dataclass(frozen=True)
class Derived:
    """The default of an initial value that the model derives from the other initial values and the
    parameters (schema/semantics.md says how; ``snnrun.numerics.initial`` computes it)."""

    doc: str

    def __str__(self) -> str:
        return self.doc


@dataclass(frozen=True)
class ModelType:
    """A model type of the spec language.

    ``synapse`` says what a weight onto each receptor is: ``current`` (A, added to a synaptic current),
    ``conductance`` (S) or ``voltage`` (V, a jump of the membrane potential); None for spike sources.
    ``state`` maps every recordable state variable to its dimension; ``initial`` maps the variables a
    population may initialise to the parameter (or quantity, or :class:`Derived` rule) that is their
    default. ``equations`` are the continuous-time equations (schema/semantics.md has the numerics).
    """

    name: str
    doc: str
    params: Mapping[str, Param]
    state: Mapping[str, Dimension] = field(default_factory=dict)
    initial: Mapping[str, "str | Derived"] = field(default_factory=dict)
    synapse: str | None = None
    equations: str = ""

    @property
    def is_source(self) -> bool:
        return self.synapse is None

    @property
    def receptors(self) -> tuple[str, ...]:
        return () if self.is_source else ("exc", "inh")


RECEPTORS = ("exc", "inh")

_LIF = {
    "cm": Param(C, "1 nF", "membrane capacitance"),
    "tau_m": Param(T, "20 ms", "membrane time constant"),
    "v_rest": Param(V, "-65 mV", "resting (leak reversal) potential"),
    "v_thresh": Param(V, "-50 mV", "spike threshold"),
    "v_reset": Param(V, "-65 mV", "potential after a spike, held during the refractory period"),
    "tau_refrac": Param(T, "0.1 ms", "refractory period (rounded to a whole number of steps)"),
    "i_offset": Param(I, "0 nA", "constant injected current"),
}


def _syn(tau: str) -> dict[str, Param]:
    return {
        "tau_syn_exc": Param(T, tau, "time constant of the excitatory synaptic current/conductance"),
        "tau_syn_inh": Param(T, tau, "time constant of the inhibitory synaptic current/conductance"),
    }


_REV = {
    "e_rev_exc": Param(V, "0 mV", "excitatory reversal potential"),
    "e_rev_inh": Param(V, "-70 mV", "inhibitory reversal potential"),
}

_LIF_CURR_EQ = (
    "cm dv/dt = cm (v_rest - v)/tau_m + i_syn_exc + i_syn_inh + i_offset + i_stim;"
    " v >= v_thresh: spike, v <- v_reset, clamped for tau_refrac"
)
_LIF_COND_EQ = (
    "cm dv/dt = cm (v_rest - v)/tau_m + g_exc (e_rev_exc - v) + g_inh (e_rev_inh - v) + i_offset + i_stim;"
    " v >= v_thresh: spike, v <- v_reset, clamped for tau_refrac"
)
_EXP_COND_EQ = "; dg_x/dt = -g_x/tau_syn_x; a spike of weight w: g_x += w"
_ALPHA_COND_EQ = "; a spike of weight w at t0 adds w (t-t0)/tau_syn_x exp(1-(t-t0)/tau_syn_x) to g_x"
_ADEX_EQ = (
    "cm dv/dt = cm/tau_m (v_rest - V + delta_t exp((V - v_thresh)/delta_t)) - w + g_exc (e_rev_exc - V)"
    " + g_inh (e_rev_inh - V) + i_offset + i_stim; tau_w dw/dt = a (V - v_rest) - w; V = min(v, v_spike);"
    " v >= v_spike: spike, v <- v_reset, w <- w + b, v clamped for tau_refrac"
)

MODELS: dict[str, ModelType] = {}


def _add(model: ModelType) -> None:
    MODELS[model.name] = model


_add(ModelType(
    "lif_curr_exp", "leaky integrate-and-fire, exponentially decaying synaptic currents",
    {**_LIF, **_syn("5 ms")},
    state={"v": V, "i_syn_exc": I, "i_syn_inh": I},
    initial={"v": "v_rest", "i_syn_exc": "0 nA", "i_syn_inh": "0 nA"},
    synapse="current",
    equations=_LIF_CURR_EQ + "; di_syn_x/dt = -i_syn_x/tau_syn_x; a spike of weight w: i_syn_x += w",
))
_add(ModelType(
    "lif_curr_alpha", "leaky integrate-and-fire, alpha-shaped synaptic currents (peak = weight)",
    {**_LIF, **_syn("0.5 ms")},
    state={"v": V, "i_syn_exc": I, "i_syn_inh": I},
    initial={"v": "v_rest", "i_syn_exc": "0 nA", "i_syn_inh": "0 nA"},
    synapse="current",
    equations=_LIF_CURR_EQ + "; a spike of weight w at t0 adds w (t-t0)/tau_syn exp(1-(t-t0)/tau_syn)",
))
_add(ModelType(
    "lif_curr_delta", "leaky integrate-and-fire, synaptic input as voltage jumps",
    dict(_LIF),
    state={"v": V},
    initial={"v": "v_rest"},
    synapse="voltage",
    equations=_LIF_CURR_EQ + "; a spike of weight w: v += w (discarded while refractory)",
))
_add(ModelType(
    "lif_cond_exp", "leaky integrate-and-fire, exponentially decaying synaptic conductances",
    {**_LIF, **_syn("5 ms"), **_REV},
    state={"v": V, "g_exc": G, "g_inh": G},
    initial={"v": "v_rest", "g_exc": "0 nS", "g_inh": "0 nS"},
    synapse="conductance",
    equations=_LIF_COND_EQ + _EXP_COND_EQ,
))
_add(ModelType(
    "lif_cond_alpha", "leaky integrate-and-fire, alpha-shaped synaptic conductances",
    {**_LIF, **_syn("0.3 ms"), **_REV},
    state={"v": V, "g_exc": G, "g_inh": G},
    initial={"v": "v_rest", "g_exc": "0 nS", "g_inh": "0 nS"},
    synapse="conductance",
    equations=_LIF_COND_EQ + _ALPHA_COND_EQ,
))
_ADEX = {
    "cm": Param(C, "0.281 nF", "membrane capacitance"),
    "tau_m": Param(T, "9.3667 ms", "membrane time constant"),
    "v_rest": Param(V, "-70.6 mV", "resting potential"),
    "v_thresh": Param(V, "-50.4 mV", "threshold of the exponential term"),
    "v_reset": Param(V, "-70.6 mV", "reset potential"),
    "v_spike": Param(V, "-40 mV", "spike detection threshold"),
    "tau_refrac": Param(T, "0.1 ms", "refractory period"),
    "i_offset": Param(I, "0 nA", "constant injected current"),
    "a": Param(G, "4 nS", "subthreshold adaptation conductance"),
    "b": Param(I, "0.0805 nA", "spike-triggered adaptation increment"),
    "delta_t": Param(V, "2 mV", "slope factor"),
    "tau_w": Param(T, "144 ms", "adaptation time constant"),
    "e_rev_exc": Param(V, "0 mV", "excitatory reversal potential"),
    "e_rev_inh": Param(V, "-80 mV", "inhibitory reversal potential"),
    **_syn("5 ms"),
}
for _name, _doc, _kinetics in (("adex_cond_exp", "exponential", _EXP_COND_EQ),
                               ("adex_cond_alpha", "alpha-shaped", _ALPHA_COND_EQ)):
    _add(ModelType(
        _name, f"adaptive exponential integrate-and-fire (Brette & Gerstner 2005), {_doc} conductances",
        dict(_ADEX),
        state={"v": V, "w": I, "g_exc": G, "g_inh": G},
        initial={"v": "v_rest", "w": "0 nA", "g_exc": "0 nS", "g_inh": "0 nS"},
        synapse="conductance",
        equations=_ADEX_EQ + _kinetics,
    ))
_add(ModelType(
    "izhikevich", "Izhikevich (2003) neuron; a, b, d are in the paper's units (1/ms, 1/ms, mV/ms)",
    {
        "a": Param(D, "0.02", "recovery time scale, 1/ms"),
        "b": Param(D, "0.2", "recovery sensitivity, 1/ms"),
        "c": Param(V, "-65 mV", "reset potential"),
        "d": Param(D, "2", "recovery increment, mV/ms"),
        "i_offset": Param(I, "0 nA", "constant injected current"),
    },
    state={"v": V, "u": D},
    initial={"v": "-70 mV", "u": "-14"},
    synapse="voltage",
    equations="dv/dt = 0.04 V^2 + 5 V + 140 - u + I, du/dt = a (b V - u) (v, V, c in mV, t in ms, u and"
              " I = i_offset + i_stim in mV/ms: 1 nA is I = 1000); V = min(v, 30 mV); v >= 30 mV: spike,"
              " v <- c, u <- u + d; a spike of weight w: v += w",
))
_STEADY = Derived("steady state at the initial v")
_add(ModelType(
    "hh_cond_exp", "Hodgkin-Huxley (Traub-Miles) with exponential synaptic conductances",
    {
        "gbar_na": Param(G, "20 uS", "maximal sodium conductance"),
        "gbar_k": Param(G, "6 uS", "maximal potassium conductance"),
        "g_leak": Param(G, "0.01 uS", "leak conductance"),
        "cm": Param(C, "0.2 nF", "membrane capacitance"),
        "v_offset": Param(V, "-63 mV", "offset of the gating kinetics"),
        "e_rev_na": Param(V, "50 mV", "sodium reversal potential"),
        "e_rev_k": Param(V, "-90 mV", "potassium reversal potential"),
        "e_rev_leak": Param(V, "-65 mV", "leak reversal potential"),
        "e_rev_exc": Param(V, "0 mV", "excitatory reversal potential"),
        "e_rev_inh": Param(V, "-80 mV", "inhibitory reversal potential"),
        "tau_syn_exc": Param(T, "0.2 ms", "excitatory synaptic time constant"),
        "tau_syn_inh": Param(T, "2 ms", "inhibitory synaptic time constant"),
        "i_offset": Param(I, "0 nA", "constant injected current"),
    },
    state={"v": V, "m": D, "h": D, "n": D, "g_exc": G, "g_inh": G},
    initial={"v": "-65 mV", "m": _STEADY, "h": _STEADY, "n": _STEADY, "g_exc": "0 nS", "g_inh": "0 nS"},
    synapse="conductance",
    equations="cm dv/dt = g_leak (e_rev_leak - v) + gbar_na m^3 h (e_rev_na - v) + gbar_k n^4 (e_rev_k - v)"
              " + g_exc (e_rev_exc - v) + g_inh (e_rev_inh - v) + i_offset + i_stim; dx/dt = alpha_x (1 - x)"
              " - beta_x x for x = m, h, n (Traub-Miles rates of v - v_offset, schema/semantics.md)"
              + _EXP_COND_EQ + "; v crosses -20 mV upwards: spike (no reset)",
))
_add(ModelType(
    "poisson", "Poisson spike source, drawn by snnrun as a Bernoulli process on the time grid",
    {
        "rate": Param(F, "1 Hz", "mean firing rate"),
        "start": Param(T, "0 ms", "spikes only after this time"),
        "stop": Param(T, None, "no spike after this time (default: end of the simulation)", optional=True),
    },
))
_add(ModelType(
    "inhomogeneous_poisson", "Poisson source whose rate is piecewise constant in time",
    {
        "times": Param(T, None, "times at which the rate changes (first usually 0 ms)", "quantity_list"),
        "rates": Param(F, None, "rate from each time on", "quantity_list"),
    },
))
_add(ModelType(
    "spike_array", "spike source with given spike times",
    {"spike_times": Param(T, "[]", "one list of times for every neuron, or one list per neuron", "spike_times")},
))


@dataclass(frozen=True)
class StimulusType:
    """A stimulus type: a current that adds to the target neurons' ``i_stim``, or (``EVENT_STIMULI``)
    synaptic events onto a receptor."""

    name: str
    doc: str
    params: Mapping[str, Param]


STIMULI: dict[str, StimulusType] = {
    "dc": StimulusType("dc", "constant current between start and stop", {
        "amplitude": Param(I, None, "current"),
        "start": Param(T, "0 ms", "switch-on time"),
        "stop": Param(T, None, "switch-off time (default: end of the simulation)", optional=True),
    }),
    "step": StimulusType("step", "piecewise constant current: amplitudes[k] from times[k] on", {
        "times": Param(T, None, "change times", "quantity_list"),
        "amplitudes": Param(I, None, "current from each change time on", "quantity_list"),
    }),
    "sine": StimulusType("sine", "offset + amplitude sin(2 pi frequency (t - start) + phase)", {
        "amplitude": Param(I, None, "peak amplitude"),
        "frequency": Param(F, None, "frequency"),
        "phase": Param(D, "0", "phase in radians"),
        "offset": Param(I, "0 nA", "constant offset"),
        "start": Param(T, "0 ms", "switch-on time"),
        "stop": Param(T, None, "switch-off time (default: end of the simulation)", optional=True),
    }),
    "noise": StimulusType("noise", "Gaussian current, a new independent value every interval", {
        "mean": Param(I, "0 nA", "mean current"),
        "std": Param(I, None, "standard deviation"),
        "interval": Param(T, None, "time between new values (a multiple of dt)"),
        "start": Param(T, "0 ms", "switch-on time"),
        "stop": Param(T, None, "switch-off time (default: end of the simulation)", optional=True),
    }),
    # not a current: synaptic events onto a receptor, drawn by each backend (schema/semantics.md)
    "poisson_input": StimulusType(
        "poisson_input", "independent Poisson train of synaptic events into every target neuron, several "
        "events per step allowed, each delivered like a synaptic event of `weight` onto `receptor`; not part "
        "of the drawn instance: each backend draws it from the spec's seed, so backends agree statistically, "
        "not spike for spike", {
            "rate": Param(F, None, "total event rate into each target neuron"),
            "weight": Param(I, None, "weight of one event, in the target's synapse unit: a current, a "
                                     "conductance or a voltage, as for a projection onto it"),
            "receptor": Param(D, "exc", "receptor the events arrive at (exc or inh)", "receptor"),
            "start": Param(T, "0 ms", "events only from this time on"),
            "stop": Param(T, None, "no event from this time on (default: end of the simulation)", optional=True),
        }),
}
#: stimuli that are synaptic events rather than currents into ``i_stim``
EVENT_STIMULI = frozenset({"poisson_input"})
#: stimuli that every backend injects as the drawn instance's currents
CURRENT_STIMULI = frozenset(STIMULI) - EVENT_STIMULI

CONNECTION_RULES = ("all_to_all", "one_to_one", "fixed_probability", "fixed_indegree",
                    "fixed_outdegree", "fixed_total", "from_list")
DISTRIBUTIONS = ("uniform", "normal", "lognormal", "choice")
EXPECT_METRICS = ("rate", "spike_count", "spike_times", "first_spike_time", "cv_isi", "value", "weight")

SYNAPSE_WEIGHT_DIMENSION = {"current": I, "conductance": G, "voltage": V}
