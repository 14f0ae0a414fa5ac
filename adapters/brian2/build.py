"""Brian2 objects from a :class:`~.plan.Plan`, and results read back from them in snnrun's conventions.

Called only from :meth:`Brian2Adapter.run`, after Brian2 was imported and the device chosen. Every
object is created explicitly and collected into one fresh ``Network`` (no ``start_scope``, no magic
network), on one Clock, with explicit namespaces, and the run gets ``namespace={}`` so nothing is
looked up in the caller's frames.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

import numpy as np

from ...schema.errors import BackendError
from ..base import Trace
from ..weights import merge_samples, static_samples, weight_trace
from .cache import CachedStateUpdater
from .membranes import chained_rk4
from .models import PATHWAY_WHEN, TRANSLATIONS, group_code, hidden_state


class BuildError(Exception):
    """A failure while building one spec element: ``path`` names it for the BackendError."""

    def __init__(self, path: tuple, cause: BaseException):
        super().__init__(str(cause))
        self.path, self.cause = path, cause


@dataclass
class Built:
    """The Network and the monitors results are read from."""

    network: object = None
    spike_monitors: dict = field(default_factory=dict)  # group name -> SpikeMonitor
    state_monitors: list = field(default_factory=list)  # (ProbePlan, StateMonitor)
    synapses: list = field(default_factory=list)  # Synapses, in the order of Plan.synapses
    weight_monitors: list = field(default_factory=list)  # (WeightProbePlan, StateMonitor)


def _identifier(text: str) -> str:
    """A Brian2 object name (identifier, not starting with an underscore) from snnrun names."""
    return "snn_" + re.sub(r"\W", "_", text)


def _unit(b2, name: str):
    """The Brian2 unit object of a translation-table unit name ("volt", "amp/second", "1", "1/second"); looked up
    as attributes of the brian2 module, never evaluated."""
    if name == "1":
        return 1
    numerator, *denominators = name.split("/")
    unit = 1 if numerator == "1" else getattr(b2, numerator)  # "1/second": a plastic alpha factor
    for part in denominators:
        unit = unit / getattr(b2, part)
    return unit


def _clock_class(b2):
    """A Clock class whose instances hash by creation order within this build.

    cpp_standalone writes the clocks' initialisation in the iteration order of a set of clocks; with
    Brian2's identity hash that order changes from run to run whenever there are several clocks
    (recording intervals), which rewrites main.cpp and makes ``make`` recompile it for nothing.
    """
    created = itertools.count()

    class OrderedClock(b2.Clock):
        # Brian2's __setattr__ lets a class attribute override its variables only if it is in the
        # class's own __dict__: repeat the parent's ``dt`` property here so ``self.dt = ...`` works
        dt = b2.Clock.dt

        def __hash__(self):
            # assigned on the first hash, which Brian2's instance tracking takes at creation
            if "_snn_hash" not in self.__dict__:
                self.__dict__["_snn_hash"] = next(created)
            return self.__dict__["_snn_hash"]

    return OrderedClock


def build_network(b2, plan) -> Built:
    """Create every Brian2 object of ``plan``."""
    second = b2.second
    clock_class = _clock_class(b2)
    clock = clock_class(dt=plan.dt * second, name="snn_clock")
    # one clock per recording interval (a StateMonitor given ``dt`` would make a clock of its own)
    probe_clocks = {every: clock if every == 1 else clock_class(dt=every * plan.dt * second, name=f"snn_clock_{every}")
                    for every in sorted({p.every for p in plan.probes})}
    objects, built = [], Built()
    groups, sources = {}, {}
    for g in plan.groups.values():
        path = ("populations", next(iter(g.members)), "model")
        try:
            groups[g.name] = _neuron_group(b2, g, clock)
        except Exception as exc:
            raise BuildError(path, exc) from exc
        objects.append(groups[g.name])
        if g.record_spikes:
            built.spike_monitors[g.name] = b2.SpikeMonitor(groups[g.name], name=_identifier(f"spikes_{g.name}"))
            objects.append(built.spike_monitors[g.name])
    for s in plan.sources.values():
        try:
            sources[s.population] = b2.SpikeGeneratorGroup(
                s.size, s.indices, s.steps * plan.dt * second, clock=clock, name=_identifier(s.name))
        except Exception as exc:
            raise BuildError(("populations", s.population), exc) from exc
        objects.append(sources[s.population])
    for syn in plan.synapses:
        try:
            built.synapses.append(_synapses(b2, plan, syn, groups, sources, clock))
        except Exception as exc:
            raise BuildError(("projections", syn.projections[0]), exc) from exc
        objects.append(built.synapses[-1])
    if plan.seed is not None:  # the poisson inputs draw from Brian2's generator, seeded from the spec's seed
        b2.seed(plan.seed)
    for p in plan.poisson_inputs:
        try:
            # binomial(n, rate_each dt) events per neuron and step, each adding weight to the target
            objects.append(b2.PoissonInput(groups[p.group][p.offset:p.offset + p.size], p.target, p.n,
                                           p.rate_each * b2.Hz, p.weight * _unit(b2, p.unit)))
        except Exception as exc:
            raise BuildError(("stimuli", p.name), exc) from exc
    for wp in plan.weight_probes:
        if wp.synapses is None:
            continue
        clock_w = probe_clocks.get(wp.every)
        if clock_w is None:
            clock_w = probe_clocks[wp.every] = clock if wp.every == 1 else \
                clock_class(dt=wp.every * plan.dt * second, name=f"snn_clock_{wp.every}")
        # in ``start``, before this step's pathways: the weight a pre spike processed in this step
        # meets, which is the reference's sample at the start of the step
        mon = b2.StateMonitor(built.synapses[wp.synapses], "w", record=wp.indices, clock=clock_w, when="start",
                              name=_identifier(f"weights_{wp.projection}_{len(built.weight_monitors)}"))
        built.weight_monitors.append((wp, mon))
        objects.append(mon)
    for probe in plan.probes:
        group = groups[probe.group]
        mon = b2.StateMonitor(group, probe.brian2_name, record=probe.indices, clock=probe_clocks[probe.every],
                              when="start", name=_identifier(f"state_{probe.population}_{probe.variable}"))
        built.state_monitors.append((probe, mon))
        objects.append(mon)
    built.network = b2.Network(*objects, name="snn_network")
    return built


def _neuron_group(b2, g, clock):
    code = group_code(g)
    table = TRANSLATIONS[g.model]
    units = {rule.target: rule.unit for rule in table.params}
    namespace = {name: value * _unit(b2, units[name]) for name, value in g.constants.items()}
    if g.stimulus is not None:
        namespace["stimulus_table"] = b2.TimedArray(g.stimulus.values * b2.amp, dt=g.stimulus.every * clock.dt,
                                                    name=_identifier(f"stimulus_{g.name}"))
    group = b2.NeuronGroup(g.size, code.equations, threshold=code.threshold, reset=code.reset,
                           refractory=code.refractory, method=_state_updater(code),
                           namespace=namespace, clock=clock,
                           name=_identifier(g.name))
    for name, values in g.arrays.items():
        setattr(group, name, values * _unit(b2, units[name]))
    state_units = {rule.target: rule.unit for rule in table.state}
    for name, values in g.initial.items():
        setattr(group, name, values * _unit(b2, state_units[name]))
    for name, unit in hidden_state(g.model).items():
        setattr(group, name, np.zeros(g.size) * _unit(b2, unit))
    if g.stimulus is not None:
        group.stim_column = g.stimulus.column
    # run_regularly operations are contained objects of the group, so they join the Network with it
    if code.before_update is not None:
        group.run_regularly(code.before_update, when="before_groups", name=_identifier(f"before_update_{g.name}"))
    if code.after_update is not None:
        # after the state update (order 0 of the same slot), before the pathways and the threshold
        group.run_regularly(code.after_update, when="groups", order=1, name=_identifier(f"after_update_{g.name}"))
    return group


def _state_updater(code) -> CachedStateUpdater:
    """The state updater the membrane piece states (models.ModelCode): its method, or ``substeps``
    chained steps of rk4 (membranes.chained_rk4), with the symbolic work cached (cache.py)."""
    if code.substeps == 1:
        return CachedStateUpdater(code.method)
    if code.method != "rk4":
        raise ValueError(f"substeps of method {code.method!r}: only rk4 is chained")
    return CachedStateUpdater(f"rk4 x {code.substeps}", chained_rk4(code.substeps))


def _synapses(b2, plan, syn, groups, sources, clock):
    if syn.pre in sources:
        source = sources[syn.pre]
    else:
        gname = plan.member_of[syn.pre]
        offset, size = plan.groups[gname].members[syn.pre]
        source = groups[gname][offset:offset + size]
    target = groups[syn.post_group]
    if syn.plastic is not None:
        return _plastic_synapses(b2, plan, syn, source, target, clock)
    second = b2.second
    unit = _unit(b2, syn.weight_unit)
    uniform_w = isinstance(syn.weight, float)
    uniform_d = isinstance(syn.delay, int)
    model = "" if uniform_w else f"w : {syn.weight_unit} (constant)"
    namespace = {"w": syn.weight * unit} if uniform_w else {}
    kwargs = {"delay": syn.delay * plan.dt * second} if uniform_d else {}
    s = b2.Synapses(source, target, model=model, on_pre=syn.on_pre, namespace=namespace,
                    clock=clock, name=_identifier(syn.name), **kwargs)
    s.connect(i=syn.i, j=syn.j)
    if not uniform_w:
        s.w = syn.weight * unit
    if not uniform_d:
        s.delay = syn.delay * plan.dt * second
    s.pre.when = PATHWAY_WHEN
    return s


def _plastic_synapses(b2, plan, syn, source, target, clock):
    """Synapses with the rules' code (plasticity.py): a per-synapse weight ``w`` and rule state, the
    ``pre`` pathway (delay ``(D - 1) dt``) and, with STDP, the ``post`` pathway (delay ``2 f D dt``), both
    in ``before_thresholds``, ``post`` first."""
    code, second, dt = syn.plastic, b2.second, plan.dt
    namespace = {name: value * _unit(b2, unit) for name, (value, unit) in code.namespace.items()}
    model = list(code.model)
    if isinstance(syn.scale, float):
        namespace["w_scale"] = syn.scale * _unit(b2, syn.scale_unit)
    elif syn.scale is not None:
        model.append(f"w_scale : {syn.scale_unit} (constant)")
    s = b2.Synapses(source, target, model="\n".join(model), on_pre="\n".join(code.on_pre + (syn.on_pre,)),
                    on_post="\n".join(code.on_post) if code.on_post else None, namespace=namespace,
                    clock=clock, name=_identifier(syn.name))
    s.connect(i=syn.i, j=syn.j)
    # the weight monitors and the final weights address synapses by their place in connect's arrays
    if not (np.array_equal(np.asarray(s.i[:]), syn.i) and np.array_equal(np.asarray(s.j[:]), syn.j)):
        raise ValueError("Brian2 reordered the synapses given to connect")
    s.w = np.broadcast_to(syn.weight, syn.i.shape) * _unit(b2, syn.weight_unit)
    if syn.scale is not None and not isinstance(syn.scale, float):
        s.w_scale = syn.scale * _unit(b2, syn.scale_unit)
    for name, (value, unit) in code.initial.items():
        setattr(s, name, value * _unit(b2, unit))
    s.pre.delay = syn.delay * dt * second
    s.pre.when = PATHWAY_WHEN
    if code.on_post:
        s.post.delay = syn.post_delay * dt * second
        s.post.when = PATHWAY_WHEN
        s.post.order = s.pre.order - 1  # post before pre at the same step (plasticity.py)
    return s


def collect(plan, built: Built, instance) -> tuple[dict, dict]:
    """Spikes (stamped at the step's end) and traces (on the grid) in snnrun's conventions."""
    dt = plan.dt
    spikes = {}
    recorded = {r.population for r in instance.recordings if r.variable == "spikes"}
    for gname, mon in built.spike_monitors.items():
        ids_all = np.asarray(mon.i[:], np.int64)
        # Brian2 records the start of the step in which the threshold was crossed; snnrun stamps its end
        steps_all = np.rint(np.asarray(mon.t_[:], float) / dt).astype(np.int64)
        for pop, (offset, size) in plan.groups[gname].members.items():
            if pop not in recorded:
                continue
            keep = (ids_all >= offset) & (ids_all < offset + size)
            ids, steps = ids_all[keep] - offset, steps_all[keep]
            order = np.lexsort((ids, steps))
            spikes[pop] = (ids[order], (steps[order] + 1) * dt)
    for name in plan.record_sources:
        # the replayed trains are the instance's own stamps; reported from it, like the reference does
        src = plan.sources[name]
        order = np.lexsort((src.indices, src.steps))
        spikes[name] = (src.indices[order], (src.steps[order] + 1) * dt)
    traces = {}
    for probe, mon in built.state_monitors:
        values = np.asarray(getattr(mon, probe.brian2_name + "_"), float).T
        n = values.shape[0]
        expected = -(-plan.n_steps // probe.every)
        if n != expected:
            raise BackendError("brian2", f"StateMonitor returned {n} samples, expected {expected}",
                               ("record",))
        times = np.arange(n) * probe.every * dt  # the reference's grid, as the same floats
        traces[(probe.population, probe.variable)] = Trace(times, probe.local, values.reshape(n, -1))
    return spikes, traces


def collect_weights(plan, built: Built, instance) -> tuple[dict, dict]:
    """Recorded weights (the ``w`` monitors; a static projection's drawn weights) and the final weights
    of every projection with STDP, as the reference engine reports them (SI)."""
    by_projection: dict[str, list] = {}
    for wp in plan.weight_probes:
        proj = instance.projections[wp.projection]
        if wp.synapses is None:
            by_projection.setdefault(wp.projection, []).append(
                static_samples(proj, wp.chosen, wp.every, plan.n_steps))
            continue
    for wp, mon in built.weight_monitors:
        values = np.asarray(mon.w_, float).T.reshape(-1, wp.indices.size)
        expected = -(-plan.n_steps // wp.every)
        if values.shape[0] != expected:
            raise BackendError("brian2", f"StateMonitor returned {values.shape[0]} weight samples, expected "
                               f"{expected}", ("record",))
        by_projection.setdefault(wp.projection, []).append(
            (wp.chosen, np.arange(expected) * wp.every, list(values)))
    weights = {name: merge_samples(parts, instance.projections[name], plan.dt)
               for name, parts in by_projection.items()}
    final = {}
    for syn, s in zip(plan.synapses, built.synapses):
        if not syn.has_stdp:
            continue
        w = np.asarray(s.w_[:], float)
        for name in syn.projections:
            proj = instance.projections[name]
            every = np.arange(proj.size)
            start = syn.segments[name]
            final[name] = weight_trace(proj, every, np.array([plan.n_steps * plan.dt]),
                                       w[start:start + proj.size][None, :])
    return weights, final

