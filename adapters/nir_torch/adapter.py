"""The NIR path into a PyTorch framework, shared by ``norse`` and ``snntorch``.

A run exports the drawn instance to one NIR graph that the framework's own importer accepts, imports it
(``norse.torch.from_nir``, ``snntorch.import_nir.import_from_nir``; both build a nirtorch executor),
and steps it once per dt, CPU, float32, batch 1. The graph is::

    Input (one channel per source neuron and delay) -> Linear|Affine -> one LIF|CubaLIF node -> Output

All neuron populations of the spec (one model type) are one neuron node (NIR's parameters are
per-neuron arrays), and every (projection, delay) group of source synapses gets its own input channels,
fed with the source's trains shifted by the delay, so snnrun's delays hold exactly although neither
framework imports NIR's Delay node. Voltages are measured from each neuron's v_rest (both frameworks
need v_leak = 0), spikes are unit values per step (both frameworks' convention), and the free factors
r and w_in of each node (nir_mapping.Gauge) are what the framework's importer demands.

Timing: the executor hands a node's input to it in the same step, and a node's update at step n uses
that input in the current as well as the membrane (forward Euler, current first), so input fed at
step n first moves v at the end of step n. snnrun's spike with stamp s through delay d first moves v
at the end of step s + d (semantics.md, phases 1-2): it is fed at step n = s + d. A spike of the
framework at step n is stamped (n + 1) dt, like snnrun's.

What this path cannot carry, every adapter of it refuses in ``check`` with the reason: everything NIR
cannot carry (nir_export.check), projections between neuron populations (the executor delivers them
within the same step, or from the previous one for recurrent edges, never after a delay of one step as
snnrun's shortest delay needs; a Delay node would, but neither framework imports one), two neuron model
types, v_reset other than v_rest (both reset to v_leak's 0), and recording synaptic currents (exc and
inh are one current in NIR).
"""

from __future__ import annotations

import time
from typing import Optional

import numpy as np

from ...interop import nir_export
from ...interop import nir_mapping as nm
from ...schema import catalogue as cat
from ...schema.errors import BackendError, Problem
from ...schema.model import Spec
from ..base import Adapter, Capabilities, Progress, RunOutput, Trace

MODELS = frozenset(nm.NEURON_NODES) | frozenset(nm.SOURCE_MODELS)
_NOT_MAPPED = ("lif_curr_alpha", "lif_cond_exp", "lif_cond_alpha", "adex_cond_exp", "adex_cond_alpha",
               "izhikevich", "hh_cond_exp")


def capabilities(framework: str, extra_reasons: dict) -> Capabilities:
    """The NIR path's capabilities as data; ``check`` adds the per-value rules (module docstring)."""
    reasons = {
        # listed by name, not generated from the catalogue: a model added there must be decided here
        **{m: "the NIR path maps lif_curr_exp (CubaLIF) and lif_curr_delta (LIF) only" for m in _NOT_MAPPED},
        **{s: "NIR has no current sources: its inputs are spikes" for s in cat.STIMULI},
        "plasticity:stdp": "NIR's weights are static",
        "short_term:tsodyks_markram": "NIR's weights are static",
        "record:weight": "NIR's weights are static",
        "record:i_syn_exc": "NIR's CubaLIF has one synaptic current for both receptors",
        "record:i_syn_inh": "NIR's CubaLIF has one synaptic current for both receptors",
        "initial:i_syn": "NIR carries no initial state: synaptic currents start at 0",
        "poisson_input": "a NIR graph has no stimulus input: no stimulus runs through NIR",
        **extra_reasons,
    }
    return Capabilities(models=MODELS, stimuli=frozenset(),
                        recordables={m: frozenset({"v"}) for m in nm.NEURON_NODES}, reasons=reasons)


class NIRTorchAdapter(Adapter):
    """A PyTorch framework run through its NIR import. Subclasses set ``name``, ``capabilities`` and
    ``framework``, and implement :meth:`gauge`, :meth:`import_graph` and :meth:`membrane`."""

    framework = ""
    translations = nm.TRANSLATIONS

    def gauge(self, model: str, params: dict) -> nm.Gauge:
        raise NotImplementedError

    def import_graph(self, graph):
        """The framework's module for a NIR graph."""
        raise NotImplementedError

    def step(self, module, x, state):
        """One step: (output spikes, new state)."""
        out, state = module(x, state)
        return out, state

    def membrane(self, module, state, node: str):
        """The neuron node's membrane potential after a step (graph units: V from v_rest), a tensor."""
        raise NotImplementedError

    def check_framework(self, spec: Spec, instance) -> list[Problem]:
        """Per-value limits of the framework's importer (beyond the NIR path's own)."""
        return []

    def check(self, spec: Spec) -> list[Problem]:
        problems = super().check(spec)
        if problems:
            return problems
        neuron_types = {p.model.type for p in spec.populations.values() if p.model.type in nm.NEURON_NODES}
        if not neuron_types:
            problems.append(spec.problem(("populations",), "no lif_curr_exp or lif_curr_delta population: the "
                                         "NIR path has no neuron node to run"))
        if len(neuron_types) > 1:
            problems.append(spec.problem(("populations",), f"two neuron model types ({', '.join(sorted(neuron_types))}): "
                                         "the NIR path runs one neuron node"))
        for name, proj in spec.projections.items():
            if spec.populations[proj.pre].model.type not in nm.SOURCE_MODELS:
                problems.append(spec.problem(("projections", name, "pre"), f"a projection from neuron population "
                                             f"{proj.pre}: nirtorch delivers spikes between NIR nodes within the "
                                             "same step (recurrent edges: from the previous step), never after the "
                                             f"one-step delay snnrun's shortest delay is; the Delay node that would "
                                             f"carry it is not imported by {self.framework}"))
        if problems:
            return problems
        from ...instance import instantiate

        instance = instantiate(spec)
        problems += nir_export.check(spec, instance)
        for name, pop in instance.populations.items():
            if pop.type in nm.NEURON_NODES and not np.array_equal(pop.params["v_reset"], pop.params["v_rest"]):
                problems.append(spec.problem(nir_export._param_path(spec, name, "v_reset"),
                                             f"v_reset other than v_rest: {self.framework} resets to v_leak, which "
                                             "its NIR import needs at 0 (the rest)"))
        problems += self.check_framework(spec, instance)
        return problems

    # -- running ---------------------------------------------------------------------------------------

    def run(self, instance, progress: Optional[Progress] = None) -> RunOutput:
        t0 = time.perf_counter()
        try:
            import torch
        except ImportError as exc:
            raise BackendError(self.name, f"PyTorch is not installed ({exc}); pip install 'snnrun[torch]'") from None
        torch.set_num_threads(1)
        plan = _Plan(instance, self.gauge)
        graph = plan.graph()
        try:
            module = self.import_graph(graph)
        except Exception as exc:  # the framework's importer refused the graph: translated at the boundary
            raise BackendError(self.name, f"{self.framework}'s NIR import failed: {type(exc).__name__}: {exc}") from exc
        t1 = time.perf_counter()
        spikes, traces = self._simulate(torch, module, plan, instance, progress)
        t2 = time.perf_counter()
        return RunOutput(spikes, traces, timings={"build": t1 - t0, "run": t2 - t1}, versions=self.versions())

    def _simulate(self, torch, module, plan, instance, progress):
        n_steps, dt = instance.n_steps, instance.dt
        events = plan.input_events()
        probes = [(rec, plan.offsets[rec.population]) for rec in instance.recordings
                  if rec.population is not None and rec.variable == "v"]
        samples = {i: [] for i in range(len(probes))}
        every = {i: max(1, int(round((rec.interval or dt) / dt))) for i, (rec, _) in enumerate(probes)}
        v_rest = plan.v_rest
        for i, (rec, (start, size)) in enumerate(probes):  # t = 0: the initial state, which is the rest
            samples[i].append(v_rest[start:start + size].copy())
        out_steps, out_ids = [], []
        state = None
        x = torch.zeros((1, plan.channels), dtype=torch.float32)
        cursor = 0
        with torch.no_grad():
            for n in range(n_steps):
                x.zero_()
                while cursor < len(events[0]) and events[0][cursor] == n:
                    x[0, events[1][cursor]] = 1.0
                    cursor += 1
                out, state = self.step(module, x, state)
                fired = torch.nonzero(out[0] > 0).flatten().numpy()
                if fired.size:
                    out_steps.append(np.full(fired.size, n + 1, np.int64))
                    out_ids.append(fired.astype(np.int64))
                for i, (rec, (start, size)) in enumerate(probes):
                    if (n + 1) % every[i] == 0 and n + 1 < n_steps:
                        v = self.membrane(module, state, plan.node).reshape(-1).numpy().astype(np.float64)
                        samples[i].append(v[start:start + size] + v_rest[start:start + size])
                if progress is not None and (n % 1000 == 999 or n == n_steps - 1):
                    progress(n + 1, n_steps)
        return plan.spikes(out_ids, out_steps), self._traces(probes, samples, every, dt)

    def _traces(self, probes, samples, every, dt) -> dict:
        traces = {}
        for i, (rec, (start, size)) in enumerate(probes):
            neurons = np.arange(size) if rec.neurons is None else np.asarray(rec.neurons, np.int64)
            values = np.asarray(samples[i])[:, neurons]
            times = np.arange(values.shape[0]) * every[i] * dt
            traces[(rec.population, "v")] = Trace(times, neurons, values)
        return traces


class _Plan:
    """The graph of one instance for the NIR path: neuron offsets in the merged node, input channels
    per (projection, delay), and the feeding schedule."""

    def __init__(self, instance, gauge):
        self.instance, self.gauge_for = instance, gauge
        pops = [p for p in instance.populations.values() if p.spikes is None]
        self.model = pops[0].type if pops else "lif_curr_delta"
        self.offsets, start = {}, 0
        for pop in pops:
            self.offsets[pop.name] = (start, pop.size)
            start += pop.size
        self.n = start
        self.params = {k: np.concatenate([np.asarray(p.params[k], np.float64) for p in pops])
                       for k in (pops[0].params if pops else {})}
        self.v_rest = self.params.get("v_rest", np.zeros(0))
        self.groups, channels = [], 0
        for proj in instance.projections.values():
            for steps in np.unique(proj.delay_steps):
                size = instance.populations[proj.pre_population].size
                self.groups.append((proj, int(steps), channels))
                channels += size
        self.channels = max(1, channels)  # an executor needs an input, even one that never spikes
        self.node = "neurons"

    def graph(self):
        import nir

        conventions = nm.Conventions(self.instance.dt, "per_step", "rest")
        g = self.gauge_for(self.model, self.params)
        fields = nm.neuron_fields(self.model, self.params, g, self.v_rest)
        neuron = getattr(nir, nm.NEURON_NODES[self.model])(**{k: v.astype(np.float32) for k, v in fields.items()})
        weight = np.zeros((self.n, self.channels))
        factor = nm.weight_factor(self.model, self.params, g, conventions)
        for proj, steps, first in self.groups:
            sel = proj.delay_steps == steps
            post = proj.post[sel] + self.offsets[proj.post_population][0]
            np.add.at(weight, (post, proj.pre[sel] + first), proj.weight[sel])
        weight *= factor[:, None]
        offset = self.params["i_offset"] * nm.bias_factor(self.params, g)
        dense = nir.Affine(weight=weight.astype(np.float32), bias=offset.astype(np.float32))
        nodes = {"input": nir.Input(input_type={"input": np.array([self.channels])}), "weights": dense,
                 self.node: neuron, "output": nir.Output(output_type={"output": np.array([self.n])})}
        edges = [("input", "weights"), ("weights", self.node), (self.node, "output")]
        return nir.NIRGraph(nodes=nodes, edges=edges)

    def input_events(self) -> tuple[np.ndarray, np.ndarray]:
        """(step, channel) of every input spike, sorted by step: stamp s through delay d is fed at s + d."""
        steps, channels = [], []
        for proj, d, first in self.groups:
            trains = self.instance.populations[proj.pre_population].spikes
            used = np.unique(proj.pre[proj.delay_steps == d])
            ids = trains.neuron_ids()
            keep = np.isin(ids, used)
            steps.append(trains.steps[keep] + d)
            channels.append(ids[keep] + first)
        if not steps:
            return np.empty(0, np.int64), np.empty(0, np.int64)
        steps, channels = np.concatenate(steps), np.concatenate(channels)
        keep = steps < self.instance.n_steps
        order = np.argsort(steps[keep], kind="stable")
        return steps[keep][order], channels[keep][order]

    def spikes(self, ids: list, steps: list) -> dict:
        """Spikes of every population recorded for spikes (all its neurons, as the reference engine)."""
        ids = np.concatenate(ids) if ids else np.empty(0, np.int64)
        steps = np.concatenate(steps) if steps else np.empty(0, np.int64)
        out = {}
        dt = self.instance.dt
        for rec in self.instance.recordings:
            if rec.variable != "spikes" or rec.population is None:
                continue
            pop = self.instance.populations[rec.population]
            if pop.spikes is not None:
                s_ids, s_steps = pop.spikes.neuron_ids(), pop.spikes.steps
            else:
                start, size = self.offsets[rec.population]
                sel = (ids >= start) & (ids < start + size)
                s_ids, s_steps = ids[sel] - start, steps[sel]
            order = np.lexsort((s_ids, s_steps))
            out[rec.population] = (s_ids[order].astype(np.int64), s_steps[order] * dt)
        return out
