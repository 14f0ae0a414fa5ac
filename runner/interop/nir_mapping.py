"""How snnrun's models map onto NIR nodes, as data, and the conventions that fix what a NIR graph's
numbers mean (NIR itself fixes neither units, nor dt, nor how a spike scales; docs/interop.md).

NIR's equations (nir/ir/neuron.py), with ``S`` the input (a sum of weighted spikes plus a bias):

- ``LIF``:     ``tau dv/dt = (v_leak - v) + r S``;                    spike when ``v > v_threshold``,
  then ``v = v_reset``. snnrun's ``lif_curr_delta``.
- ``CubaLIF``: ``tau_syn dI/dt = -I + w_in S``, ``tau_mem dv/dt = (v_leak - v) + r I``; the same spike
  rule. snnrun's ``lif_curr_exp`` when its two receptors share one time constant.

snnrun's own equations are the same ODEs with ``r = tau_m / cm`` (ohm), currents in A and voltages in
V, so in SI the map is the identity up to one free factor per node: only ``r I`` (and ``w_in W``) enter
the membrane, so ``r`` and ``w_in`` may be chosen (a *gauge*) and the weights follow. snnrun writes
``r = tau_m / cm`` and ``w_in = 1``; the torch backends pick the gauge their framework's import demands.

A spike in NIR's equations is a Dirac pulse (``spikes="dirac"``): a weight ``W`` into a LIF moves ``v``
by ``r W / tau``. The frameworks (Norse, snnTorch, and the NIR paper's own notes) instead feed a spike
as the value 1 during one step of ``dt`` (``spikes="per_step"``, the default): the same jump needs the
weight ``W / dt``. Time is in seconds in both.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: snnrun model type -> NIR node type
NEURON_NODES = {"lif_curr_exp": "CubaLIF", "lif_curr_delta": "LIF"}
#: NIR node type -> snnrun model type
MODEL_OF_NODE = {node: model for model, node in NEURON_NODES.items()}
SOURCE_MODELS = ("poisson", "inhomogeneous_poisson", "spike_array")
SPIKES = ("per_step", "dirac")
#: metadata keys snnrun writes (other readers ignore them)
META_DT, META_SPIKES, META_SEED, META_DURATION, META_NAME = (
    "snnrun_dt", "snnrun_spikes", "snnrun_seed", "snnrun_duration", "snnrun_name")
META_SPIKE_TIMES, META_SPIKE_INDPTR = "snnrun_spike_times", "snnrun_spike_indptr"
META_RECEPTOR, META_PROJECTION = "snnrun_receptor", "snnrun_projection"


@dataclass(frozen=True)
class Conventions:
    """What the numbers of a NIR graph mean: ``spikes`` ``per_step`` (a spike is 1 for one step of
    ``dt`` s) or ``dirac``; ``origin`` ``absolute`` (voltages in V as snnrun gives them) or ``rest``
    (voltages relative to each neuron's ``v_rest``, so ``v_leak = 0``, as Norse's CubaLIF and snnTorch
    require)."""

    dt: float
    spikes: str = "per_step"
    origin: str = "absolute"

    def spike_area(self) -> float:
        """The integral of one unit spike over time in the graph's convention (s, or 1 for Dirac)."""
        return self.dt if self.spikes == "per_step" else 1.0


@dataclass(frozen=True)
class Gauge:
    """The free factors of one neuron node: ``r`` (the node's r; SI: tau_m / cm in ohm) and ``w_in``
    (CubaLIF only; SI: 1), per neuron. ``current_scale = r / (tau_m / cm)``: currents in the graph are
    snnrun's divided by it."""

    r: np.ndarray
    w_in: np.ndarray


def si_gauge(params: dict) -> Gauge:
    """snnrun's gauge: r = tau_m / cm (ohm), w_in = 1."""
    r = params["tau_m"] / params["cm"]
    return Gauge(r, np.ones_like(r))


def neuron_fields(model: str, params: dict, gauge: Gauge, origin: np.ndarray) -> dict:
    """The NIR node's fields (float64 arrays) for one population's per-neuron ``params`` (SI), with the
    voltages measured from ``origin`` (V, per neuron)."""
    volts = {"v_leak": params["v_rest"] - origin, "v_threshold": params["v_thresh"] - origin,
             "v_reset": params["v_reset"] - origin}
    if model == "lif_curr_delta":
        return {"tau": params["tau_m"], "r": gauge.r, **volts}
    return {"tau_syn": params["tau_syn_exc"], "tau_mem": params["tau_m"], "r": gauge.r, **volts, "w_in": gauge.w_in}


def current_scale(params: dict, gauge: Gauge) -> np.ndarray:
    """Factor k with I_graph = I_snnrun / k, per neuron: r_graph = k tau_m / cm."""
    return gauge.r * params["cm"] / params["tau_m"]


def weight_factor(model: str, params: dict, gauge: Gauge, conventions: Conventions) -> np.ndarray:
    """Per post neuron: the NIR weight of a synapse is snnrun's weight (A for lif_curr_exp, V for
    lif_curr_delta) times this factor.

    lif_curr_exp: a spike must raise I by w / k: w_in W area / tau_syn = w / k.
    lif_curr_delta: a spike must raise v by w: r W area / tau_m = w.
    """
    area = conventions.spike_area()
    if model == "lif_curr_delta":
        return params["tau_m"] / (gauge.r * area)
    return params["tau_syn_exc"] / (gauge.w_in * area * current_scale(params, gauge))


def bias_factor(params: dict, gauge: Gauge) -> np.ndarray:
    """Per neuron: an Affine bias (a constant input, not a spike) equals snnrun's ``i_offset`` (A) times
    this factor. LIF: r b = (tau_m / cm) i_offset; CubaLIF: w_in b = i_offset / k (the steady current)."""
    return 1.0 / (gauge.w_in * current_scale(params, gauge))


# -- the NIR path's translation tables (the shared type every adapter declares, adapters/translation.py) --
# They record, per spec name, where it goes in snnrun's own gauge (r = tau_m / cm, w_in = 1, SI, per_step
# spikes); the torch backends change only the free factors r and w_in (Gauge), which the functions above
# apply. Names that NIR carries only for some values are ``handled``: nir_export.check refuses the rest.
def _translations():
    from types import MappingProxyType

    from ..adapters.translation import SI, Rule, Translation, Weight, drawn_sources, rename

    r_rule = Rule("r", "ohm", ("cm", "tau_m"), forward=lambda cm, tau_m: tau_m / cm,
                  reverse=lambda r, tau_m: tau_m / r, doc="r = tau_m / cm (snnrun's gauge)")
    volts = (rename("v_rest", "v_leak", "V"), rename("v_thresh", "v_threshold", "V"), rename("v_reset", "v_reset", "V"))
    handled = {
        "tau_refrac": "NIR neurons have no refractory period: nir_export.check refuses more than 0 steps",
        "i_offset": "the bias of an Affine node on the population's first incoming projection (nir_export)",
    }
    cuba = Translation(
        "lif_curr_exp", "CubaLIF", SI,
        params=(rename("tau_syn_exc", "tau_syn", "s"), rename("tau_m", "tau_mem", "s"), r_rule) + volts,
        state=(rename("v", "v", "V"), ),
        weights=MappingProxyType({
            r: Weight("weight", "A", ("tau_syn_exc", "dt"), lambda tau, dt: tau / dt,
                      doc="a per_step spike of weight W raises I by W dt / tau_syn") for r in ("exc", "inh")}),
        unsupported=MappingProxyType({
            "i_syn_exc": "NIR's CubaLIF has one synaptic current for both receptors",
            "i_syn_inh": "NIR's CubaLIF has one synaptic current for both receptors"}),
        handled=MappingProxyType({**handled, "tau_syn_inh": "must equal tau_syn_exc: CubaLIF has one synaptic "
                                                           "time constant (nir_export.check)"}))
    lif = Translation(
        "lif_curr_delta", "LIF", SI,
        params=(rename("tau_m", "tau", "s"), r_rule) + volts,
        state=(rename("v", "v", "V"), ),
        weights=MappingProxyType({
            r: Weight("weight", "V", ("cm", "dt"), lambda cm, dt: cm / dt,
                      doc="a per_step spike of weight W moves v by r W dt / tau_m = W dt / cm")
            for r in ("exc", "inh")}),
        handled=MappingProxyType(handled))
    return MappingProxyType({"lif_curr_exp": cuba, "lif_curr_delta": lif,
                             **drawn_sources("NIR Input node (replayed stamps)", SI)})


TRANSLATIONS = _translations()
