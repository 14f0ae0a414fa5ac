"""The unit map between snnrun's physical LIF models and nengo's dimensionless neurons, as data.

Nengo's LIF is dimensionless: ``tau_rc dx/dt = J - x``, threshold ``x = 1``, reset ``x = 0``, spikes of
height ``1/dt``, and the input ``J`` is a normalised current (a steady J = 1 holds x at threshold). The affine map
(per neuron, all SI) is

    delta = v_thresh - v_reset                     (V)    so that  x = (v - v_reset) / delta
    gain  = tau_m / (cm delta)                     (1/A)  J per ampere of constant current
    bias  = (v_rest - v_reset) / delta + gain i_offset    J of the leak reversal and of i_offset
    J(t)  = bias + gain I_eff(t)

and the exact subthreshold step of schema/semantics.md becomes ``x' = P22 x + (1 - P22) J`` with
``P22 = exp(-dt/tau_m)``: for a current held over the step this is nengo's own LIF update. Synaptic
input is not constant over a step, so each synapse kind hands the neuron the *effective* constant
current ``I_eff`` (A) that moves the membrane exactly as the reference's propagators do
(``P20 I_eff = P21 i + P31 y`` or the voltage jump ``w = P20 I_eff``); the factors below are that
map, per post neuron. ``LifMap.to_v`` and ``SynapseMap.to_current`` map nengo's recorded state back
to SI.

This module imports only numpy, so ``snnrun check``/``backends`` never pay for importing nengo.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Mapping

import numpy as np

from ...numerics import propagators as prop

E = math.e


@dataclass(frozen=True)
class ParamRule:
    """How one spec parameter reaches nengo: ``target`` names the nengo quantity it enters (``gain``,
    ``bias``, ``tau_rc``, ``refractory_steps``, the synapse filter or the reverse map) and ``doc`` says how."""

    target: tuple[str, ...]
    doc: str


_LIF_RULES = {
    "cm": ParamRule(("gain",), "gain = tau_m / (cm delta): J per ampere"),
    "tau_m": ParamRule(("tau_rc", "gain"), "tau_rc = tau_m; also in gain and in the synaptic factors"),
    "v_rest": ParamRule(("bias",), "bias += (v_rest - v_reset) / delta: the leak reversal in x units"),
    "v_thresh": ParamRule(("delta",), "delta = v_thresh - v_reset: x = 1 at threshold"),
    "v_reset": ParamRule(("delta", "reverse:v"), "x = 0 at reset; v = v_reset + delta x"),
    "tau_refrac": ParamRule(("refractory_steps",), "round(tau_refrac / dt) clamped steps (integer counter)"),
    "i_offset": ParamRule(("bias",), "bias += gain i_offset"),
}
_CURRENT_SYN_RULES = {
    "tau_syn_exc": ParamRule(("synapse:exc",), "decay exp(-dt/tau) of the exc filter and its effective-current factors"),
    "tau_syn_inh": ParamRule(("synapse:inh",), "decay exp(-dt/tau) of the inh filter and its effective-current factors"),
}

#: model type -> spec parameter -> rule. Every parameter of every supported model appears here.
PARAM_RULES: dict[str, Mapping[str, ParamRule]] = {
    "lif_curr_exp": {**_LIF_RULES, **_CURRENT_SYN_RULES},
    "lif_curr_alpha": {**_LIF_RULES, **_CURRENT_SYN_RULES},
    "lif_curr_delta": dict(_LIF_RULES),
}

#: source model type -> how its spikes reach nengo (the instance already holds the drawn stamps)
SOURCE_RULES: dict[str, str] = {
    "spike_array": "Node(SpikeTrainSource): height 1/dt at nengo step s for a stamp s dt",
    "poisson": "Node(SpikeTrainSource) replaying the stamps snnrun drew from the spec seed",
    "inhomogeneous_poisson": "Node(SpikeTrainSource) replaying the stamps snnrun drew from the spec seed",
}


@dataclass
class LifMap:
    """Per-neuron nengo quantities of one LIF population (arrays of the population's size)."""

    delta: np.ndarray  # V, v_thresh - v_reset
    v_reset: np.ndarray  # V
    gain: np.ndarray  # 1/A
    bias: np.ndarray  # dimensionless J
    tau_rc: np.ndarray  # s
    refractory_steps: np.ndarray  # int64
    x0: np.ndarray  # initial normalised voltage

    def to_x(self, v: np.ndarray) -> np.ndarray:
        """Membrane potential (V) -> nengo's normalised voltage."""
        return (v - self.v_reset) / self.delta

    def to_v(self, x: np.ndarray, neurons: np.ndarray | slice = slice(None)) -> np.ndarray:
        """Reverse map: nengo's normalised voltage -> membrane potential (V), for ``neurons``."""
        return self.v_reset[neurons] + self.delta[neurons] * x


def lif_map(params: Mapping[str, np.ndarray], initial: Mapping[str, np.ndarray], dt: float) -> LifMap:
    """The affine map of one population (params and initial values in SI, per neuron)."""
    cm, tau_m = params["cm"], params["tau_m"]
    delta = params["v_thresh"] - params["v_reset"]
    gain = tau_m / (cm * delta)
    bias = (params["v_rest"] - params["v_reset"]) / delta + gain * params["i_offset"]
    ref = np.rint(params["tau_refrac"] / dt).astype(np.int64)
    v0 = initial.get("v", params["v_rest"])
    return LifMap(delta=delta, v_reset=params["v_reset"], gain=gain, bias=bias, tau_rc=tau_m,
                  refractory_steps=ref, x0=(v0 - params["v_reset"]) / delta)


@dataclass
class SynapseMap:
    """How a weight onto one receptor of one population reaches nengo.

    ``weight_scale`` (per post neuron) turns a spec weight into the amplitude the delayed transform
    delivers; ``decay`` (per post neuron, None for delta) is the filter's exp(-dt/tau); ``c_i``/``c_y``
    turn the filter's state into the effective current (A); ``to_current`` maps the filter's recorded
    state back to the physical synaptic current (A).
    """

    kind: str  # "exp", "alpha" or "delta"
    weight_scale: np.ndarray
    decay: np.ndarray | None = None
    c_i: np.ndarray | None = None  # alpha: effective current per ampere of i
    c_y: np.ndarray | None = None  # alpha: effective current per A/s of drive y
    hp: np.ndarray | None = None  # alpha: dt exp(-dt/tau), the drive's step into i
    to_current: Callable[[np.ndarray, np.ndarray | slice], np.ndarray] | None = None


def synapse_map(model_type: str, receptor: str, params: Mapping[str, np.ndarray], dt: float) -> SynapseMap:
    """The synapse translation for ``receptor`` ('exc'/'inh') of a population of ``model_type``."""
    cm, tau_m = params["cm"], params["tau_m"]
    p20 = prop.dc_to_v(dt, tau_m, cm)
    if model_type == "lif_curr_delta":
        # a jump w (V) must equal P20 I_eff: the neuron adds (1 - P22) gain I_eff = w / delta to x
        return SynapseMap("delta", weight_scale=1.0 / p20)
    tau = params["tau_syn_" + receptor]
    decay = prop.decay(dt, tau)
    p21 = prop.exp_current_to_v(dt, tau_m, tau, cm)
    if model_type == "lif_curr_exp":
        # the filter holds kappa i (kappa = P21/P20, the effective current per ampere of i at the
        # step's start), so a spike adds kappa w and the state is the neuron's input as is
        kappa = p21 / p20
        return SynapseMap("exp", weight_scale=kappa, decay=decay,
                          to_current=lambda s, n, k=kappa: s / k[n])
    if model_type == "lif_curr_alpha":
        p31 = prop.alpha_drive_to_v(dt, tau_m, tau, cm)
        return SynapseMap("alpha", weight_scale=E / tau, decay=decay, c_i=p21 / p20, c_y=p31 / p20,
                          hp=dt * decay, to_current=lambda s, n: s)
    raise KeyError(model_type)

