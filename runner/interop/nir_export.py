"""Spec -> NIR: the drawn instance as a NIR graph (``snnrun export SPEC --to nir -o net.nir``).

Populations become neuron nodes (``nir_mapping``), spike sources become ``Input`` nodes (their drawn
trains ride along in the node's metadata, which other readers ignore), and each projection becomes one
``Linear`` node per distinct delay (dense weights, the only kind NIR has) followed by a ``Delay`` node.
A neuron population with ``i_offset`` gets it as the bias of an ``Affine`` node on its first incoming
projection. Every neuron population also feeds an ``Output`` node.

:func:`check` lists, located in the spec, everything NIR cannot carry; :func:`to_nir` builds the graph
from the instance alone.
"""

from __future__ import annotations

from typing import Callable, Optional

import numpy as np

from ..instance import NetworkInstance, instantiate
from ..schema.errors import Problem, UnsupportedFeature
from ..schema.model import Spec
from . import nir_mapping as nm

#: dense weight entries a graph may hold (8 bytes each): beyond it NIR's dense matrices stop being a
#: sensible carrier for the network
MAX_DENSE_ENTRIES = 50_000_000


def _param_path(spec: Spec, population: str, param: str) -> tuple:
    """Where a population's parameter is written: its own params, its named model, or its model."""
    pop = spec.populations[population]
    own = (spec.raw.get("populations", {}).get(population, {}) or {}).get("params") or {}
    if param in own:
        return ("populations", population, "params", param)
    if pop.model_name:
        return ("models", pop.model_name, "params", param)
    return ("populations", population, "model", "params", param)


class NotExportable(UnsupportedFeature):
    """Spec elements a NIR graph cannot carry, each located."""

    def lines(self) -> list[str]:
        return [f"{p} (NIR cannot carry it)" for p in self.problems]


def check(spec: Spec, instance: Optional[NetworkInstance] = None) -> list[Problem]:
    """Every element of ``spec`` a NIR graph cannot carry, located (each once); draws the instance when
    the spec itself does not decide (per-neuron values)."""
    problems: list[Problem] = []
    add = lambda path, text: problems.append(spec.problem(path, text))  # noqa: E731
    dense = sum(spec.populations[p.pre].size * spec.populations[p.post].size for p in spec.projections.values())
    if dense > MAX_DENSE_ENTRIES:
        add(("projections",), f"{dense} dense weight entries: NIR carries dense matrices only, at most "
                              f"{MAX_DENSE_ENTRIES} here")
        return problems
    for name, stim in spec.stimuli.items():
        add(("stimuli", name), f"stimulus {stim.type}: NIR has no current sources (its inputs are spikes)")
    for name, proj in spec.projections.items():
        if proj.synapse.plasticity is not None or proj.synapse.short_term is not None:
            add(("projections", name, "synapse"), "plasticity: NIR's weights are static")
        if spec.populations[proj.post].model.type in nm.SOURCE_MODELS:
            add(("projections", name, "post"), "a projection onto a spike source")
    unsupported = False
    for name, pop in spec.populations.items():
        mtype = pop.model.type
        if mtype not in nm.NEURON_NODES and mtype not in nm.SOURCE_MODELS:
            path = ("models", pop.model_name, "type") if pop.model_name else ("populations", name, "model", "type")
            add(path, f"model type {mtype}: NIR has no node for it (snnrun maps lif_curr_exp to CubaLIF, "
                      "lif_curr_delta to LIF and spike sources to Input)")
            unsupported = True
    if problems and unsupported:
        return problems
    instance = instance if instance is not None else instantiate(spec)
    problems += _check_arrays(spec, instance)
    return list({(p.path, p.message): p for p in problems}.values())  # populations sharing a model: once


def _check_arrays(spec: Spec, instance: NetworkInstance) -> list[Problem]:
    out: list[Problem] = []
    dt = instance.dt
    for name, pop in instance.populations.items():
        if pop.type not in nm.NEURON_NODES:
            continue
        p = pop.params
        at = lambda param: _param_path(spec, name, param)  # noqa: E731
        steps = np.rint(p["tau_refrac"] / dt)
        if steps.max() > 0:
            out.append(spec.problem(at("tau_refrac"), f"tau_refrac of {int(steps.max())} steps: NIR neurons have "
                                    "no refractory period (give tau_refrac: 0 ms)"))
        if pop.type == "lif_curr_exp" and not np.array_equal(p["tau_syn_exc"], p["tau_syn_inh"]):
            out.append(spec.problem(at("tau_syn_inh"), "tau_syn_inh differs from tau_syn_exc: NIR's CubaLIF has one "
                                    "synaptic current with one time constant"))
        v0 = pop.initial.get("v", p["v_rest"])
        if not np.array_equal(v0, p["v_rest"]):
            out.append(spec.problem(("populations", name, "initial", "v"), "initial v other than v_rest: NIR "
                                    "carries no initial state; its neurons start at rest"))
        offset = p["i_offset"]
        if pop.type == "lif_curr_exp":
            # a bias reaches a CubaLIF through its synapse: I(t) = w_in b (1 - exp(-t/tau_syn)), which is
            # snnrun's i_offset plus an initial synaptic current of -i_offset decaying with tau_syn
            i0 = pop.initial.get("i_syn_exc", np.zeros(pop.size)) + pop.initial.get("i_syn_inh", np.zeros(pop.size))
            if not np.array_equal(i0, -offset):
                out.append(spec.problem(("populations", name, "initial"), "initial synaptic currents other than 0 "
                                        "(or, with i_offset, other than i_syn_exc = -i_offset): NIR carries no "
                                        "initial state"))
        if np.any(offset != 0) and not any(q.post_population == name for q in instance.projections.values()):
            out.append(spec.problem(at("i_offset"), "i_offset without an incoming projection: NIR carries a "
                                    "constant current only as the bias of an Affine node"))
    return out


GaugeFor = Callable[[str, dict], nm.Gauge]


def to_nir(instance: NetworkInstance, conventions: Optional[nm.Conventions] = None,
           gauge: GaugeFor = lambda model, params: nm.si_gauge(params), meta: Optional[dict] = None):
    """The NIR graph of ``instance`` (call :func:`check` first: this assumes what it checks).

    ``conventions`` default to per-step spikes at the instance's dt with absolute voltages; ``gauge``
    picks each neuron node's free factors (default snnrun's SI gauge); ``meta`` is added to the graph's
    metadata (snnrun records its name, seed and duration there)."""
    import nir

    conventions = conventions or nm.Conventions(instance.dt)
    nodes, edges = {}, []
    gauges, factors = {}, {}
    for name, pop in instance.populations.items():
        if pop.spikes is not None:
            times = pop.spikes.steps * instance.dt
            nodes[name] = nir.Input(input_type={"input": np.array([pop.size])},
                                    metadata={nm.META_SPIKE_TIMES: times, nm.META_SPIKE_INDPTR: pop.spikes.indptr})
            continue
        params = {k: np.asarray(v, np.float64) for k, v in pop.params.items()}
        g = gauges[name] = gauge(pop.type, params)
        origin = params["v_rest"] if conventions.origin == "rest" else np.zeros(pop.size)
        fields = nm.neuron_fields(pop.type, params, g, origin)
        nodes[name] = getattr(nir, nm.NEURON_NODES[pop.type])(**fields)
        factors[name] = nm.weight_factor(pop.type, params, g, conventions)
        output = _fresh(nodes, f"{name}_output")
        nodes[output] = nir.Output(output_type={"output": np.array([pop.size])})
        edges.append((name, output))
    biased: set[str] = set()
    for name, proj in instance.projections.items():
        post = instance.populations[proj.post_population]
        n_pre = instance.populations[proj.pre_population].size
        groups = np.unique(proj.delay_steps)
        for steps in groups:
            sel = proj.delay_steps == steps
            weight = np.zeros((post.size, n_pre))
            np.add.at(weight, (proj.post[sel], proj.pre[sel]), proj.weight[sel])
            weight *= factors[proj.post_population][:, None]
            linear = name if groups.size == 1 else f"{name}_d{int(steps)}"
            linear = _fresh(nodes, linear)
            meta_r = {nm.META_RECEPTOR: proj.receptor, nm.META_PROJECTION: name}
            offset = np.asarray(post.params.get("i_offset", np.zeros(post.size)), np.float64)
            if proj.post_population not in biased and np.any(offset != 0):
                biased.add(proj.post_population)
                params = {k: np.asarray(v, np.float64) for k, v in post.params.items()}
                bias = offset * nm.bias_factor(params, gauges[proj.post_population])
                nodes[linear] = nir.Affine(weight=weight, bias=bias, metadata=meta_r)
            else:
                nodes[linear] = nir.Linear(weight=weight, metadata=meta_r)
            delay = _fresh(nodes, f"{linear}_delay")
            nodes[delay] = nir.Delay(delay=np.full(post.size, steps * instance.dt))
            edges += [(proj.pre_population, linear), (linear, delay), (delay, proj.post_population)]
    metadata = {nm.META_DT: instance.dt, nm.META_SPIKES: conventions.spikes,
                nm.META_DURATION: instance.n_steps * instance.dt, **(meta or {})}
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata=metadata)


def _fresh(nodes: dict, name: str) -> str:
    """``name``, or ``name_2``, ``name_3``... if a node already has it."""
    candidate, i = name, 2
    while candidate in nodes:
        candidate, i = f"{name}_{i}", i + 1
    return candidate
