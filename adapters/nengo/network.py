"""Build a nengo Network from snnrun's NetworkInstance (imports nengo; used inside NengoAdapter.run).

- neuron population -> ``nengo.Ensemble(size, 1, neuron_type, gain, bias)`` used through ``.neurons``,
  with the map of its model family (translation.py; LIF: ExactLIF, gain per ampere, bias = rest and
  i_offset; the numerics families: models.py, gain 1, bias 0), and one :class:`ReceptorInput` per
  receptor input of its NeuronType.
- spike source -> ``nengo.Node(SpikeTrainSource)`` replaying the drawn stamps.
- projection -> one ``nengo.Connection(pre, post.neurons)`` with a :class:`DelayedSparse` transform
  (explicit synapses and delays; :class:`PlasticSparse` for a projection with STDP or Tsodyks-Markram,
  plastic.py) and the post model's synapse: :class:`ExpCurrent`,
  :class:`AlphaCurrent`, or none for voltage jumps; onto a numerics family, one
  ``nengo.Connection(pre, ReceptorInput)`` with no synapse (the NeuronType holds the kinetics).
- stimuli -> one ``nengo.Node(StimulusCurrent)`` per population, connected with no synapse (in the
  family's current unit, scaled by the ensemble's gain on the way in, like any input to ``.neurons``).
- recording -> spike logs, voltage probes and synapse-state probes (recording.py).

Nothing here mutates the instance; the built network is a separate object.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import nengo
import numpy as np

from . import translation as tr
from .neurons import NEURON_TYPES
from .receptors import ReceptorInput
from .processes import InitialCurrent, SpikeTrainSource, StimulusCurrent, stimulus_events
from .recording import SpikeLog, SynapseStateProbe, sample_every
from .synapses import AlphaCurrent, ExpCurrent
from .plastic import PlasticSparse
from .transforms import DelayedSparse


@dataclass
class TraceProbe:
    """One recorded state variable: nengo probes whose samples, mapped back to SI and summed, give it."""

    population: str
    variable: str
    neurons: np.ndarray  # local indices of the recorded neurons
    grid_steps: np.ndarray  # nengo steps on snnrun's grid after t = 0 (t = n dt)
    sampled_steps: np.ndarray  # the nengo steps the probes sample
    initial: np.ndarray  # SI value at t = 0 for the recorded neurons
    parts: list = field(default_factory=list)  # (probe, reverse map: (samples, neurons) -> SI)
    decaying: list = field(default_factory=list)  # (i0 for the neurons, decay): initial currents, no input


@dataclass
class BuiltNetwork:
    network: nengo.Network
    spike_logs: dict[str, SpikeLog]
    traces: list[TraceProbe]
    plastic: dict[str, PlasticSparse] = field(default_factory=dict)  # projection -> its transform
    weight_probes: dict[str, list] = field(default_factory=dict)  # projection -> [(synapses, every)]


class BuildCursor:
    """Remembers which spec element is being built, so errors can name it."""

    path: tuple = ()


def build_network(instance, where: BuildCursor | None = None) -> BuiltNetwork:
    """The nengo Network of ``instance`` (dt and schedules taken from it)."""
    where = where or BuildCursor()
    dt, n_steps = instance.dt, instance.n_steps
    pops = instance.populations
    net = nengo.Network(label=instance.name, seed=instance.seed)
    integrator = instance.backend_options("nengo").get("integrator", "standard")
    outputs, ensembles, maps, syn_maps = {}, {}, {}, {}
    receptors: dict[tuple[str, str], ReceptorInput] = {}  # (population, receptor input) -> its node
    connections: dict[tuple[str, str], list] = {}  # (post population, receptor) -> [(conn, synapse map)]
    plastic: dict[str, PlasticSparse] = {}
    weight_probes: dict[str, list] = {}  # projection -> [(drawn synapses, sample every n steps)]
    for rec in instance.recordings:
        if rec.projection is not None:
            chosen = (np.arange(instance.projections[rec.projection].size) if rec.synapses is None
                      else np.asarray(rec.synapses, np.int64))
            weight_probes.setdefault(rec.projection, []).append((chosen, int(round((rec.interval or dt) / dt))))
    with net:
        for name, pop in pops.items():
            where.path = ("populations", name)
            if pop.model.is_source:
                outputs[name] = nengo.Node(SpikeTrainSource(pop.spikes.indptr, pop.spikes.steps, dt, n_steps),
                                           size_out=pop.size, label=name)
                continue
            family = tr.FAMILIES[pop.type]
            m = family.neurons(pop.type, pop.params, pop.initial, dt, integrator)
            maps[name] = m
            neuron_type = NEURON_TYPES[family.neuron_type](**m.neuron_args)
            ens = nengo.Ensemble(pop.size, 1, label=name, gain=m.gain, bias=m.bias, neuron_type=neuron_type)
            ensembles[name] = ens
            outputs[name] = ens.neurons
            for receptor in getattr(neuron_type, "receptors", ()):
                receptors[(name, receptor)] = ReceptorInput(ens, receptor)

        for name, proj in instance.projections.items():
            where.path = ("projections", name)
            post = pops[proj.post_population]
            key = (proj.post_population, proj.receptor)
            if key not in syn_maps:
                syn_maps[key] = tr.FAMILIES[post.type].synapse(post.type, proj.receptor, post.params, dt)
            smap = syn_maps[key]
            if proj.size == 0:
                continue
            scale = np.broadcast_to(smap.weight_scale, post.size)[proj.post]
            shape = (post.size, pops[proj.pre_population].size)
            if proj.plasticity is not None or proj.short_term is not None:
                transform = PlasticSparse(shape, proj, scale, proj.plasticity, proj.short_term,
                                          ensembles[proj.post_population].neurons, dt,
                                          weight_probes.get(name, []))
                plastic[name] = transform
            else:
                transform = DelayedSparse(shape, proj.pre, proj.post, proj.weight * scale, proj.delay_steps)
            target = (receptors[(proj.post_population, smap.channel)] if smap.kind == "receptor"
                      else ensembles[proj.post_population].neurons)
            conn = nengo.Connection(outputs[proj.pre_population], target, transform=transform,
                                    synapse=_synapse(smap, dt, post.size), label=name)
            connections.setdefault(key, []).append((conn, smap))

        decaying = _initial_currents(instance, ensembles, syn_maps, dt, where)

        for name, ens in ensembles.items():
            stims = [s for s in instance.stimuli.values() if s.population == name]
            if stims:
                where.path = ("stimuli", stims[0].name)
                events = stimulus_events(stims, n_steps, maps[name].current_unit)
                node = nengo.Node(StimulusCurrent(events, dt, ens.n_neurons),
                                  size_out=ens.n_neurons, label=f"{name}.stimuli")
                nengo.Connection(node, ens.neurons, synapse=None)

        spike_logs, traces = {}, []
        for i, rec in enumerate(instance.recordings):
            where.path = ("record", i)
            if rec.population is None:
                continue
            if rec.variable == "spikes":
                if rec.population not in spike_logs:
                    log = SpikeLog(dt)
                    sink = nengo.Node(log, size_in=pops[rec.population].size, size_out=0,
                                      label=f"{rec.population}.spike_log")
                    nengo.Connection(outputs[rec.population], sink, synapse=None)
                    spike_logs[rec.population] = log
                continue
            traces.append(_trace(rec, pops[rec.population], ensembles[rec.population], maps[rec.population],
                                 connections, decaying, dt, n_steps))
    where.path = ()
    return BuiltNetwork(net, spike_logs, traces, plastic, weight_probes)


def _synapse(smap: tr.SynapseMap, dt: float, size: int):
    if smap.kind == "exp":
        return ExpCurrent(smap.decay, dt, size)
    if smap.kind == "alpha":
        return AlphaCurrent(smap.decay, smap.hp, smap.c_i, smap.c_y, dt, size)
    # delta: the jump is the transform's output, added in the step it arrives; receptor: the NeuronType
    # holds the kinetics and reads the arrivals in the step they arrive
    return None


def _initial_currents(instance, ensembles, syn_maps, dt, where) -> dict:
    """Nodes for nonzero initial synaptic currents; returns (population, receptor) -> (i0, decay)."""
    out = {}
    for name, ens in ensembles.items():
        pop = instance.populations[name]
        family = tr.FAMILIES[pop.type]
        for variable, receptor in family.synapse_state.items():
            i0 = pop.initial.get(variable)
            if i0 is None or not np.any(i0):
                continue
            where.path = ("populations", name, "initial", variable)
            key = (name, receptor)
            if key not in syn_maps:
                syn_maps[key] = family.synapse(pop.type, receptor, pop.params, dt)
            smap = syn_maps[key]
            # the reference starts the alpha drive y at 0, so i decays purely: i0 decay**k
            factor = smap.weight_scale if smap.kind == "exp" else smap.c_i
            node = nengo.Node(InitialCurrent(np.broadcast_to(factor, pop.size) * i0, smap.decay, dt),
                              size_out=pop.size, label=f"{name}.initial_{variable}")
            nengo.Connection(node, ens.neurons, synapse=None)
            out[key] = (np.asarray(i0, float), smap.decay)
    return out


def _trace(rec, pop, ens, m: tr.NeuronMap, connections, decaying, dt, n_steps) -> TraceProbe:
    every = int(round((rec.interval or dt) / dt))
    neurons = np.arange(pop.size) if rec.neurons is None else np.asarray(rec.neurons, np.int64)
    s, sampled, grid = sample_every(every, dt, n_steps)
    view = ens.neurons if rec.neurons is None else ens.neurons[neurons]
    family = tr.FAMILIES[pop.type]
    if rec.variable in family.neuron_state:
        initial = np.asarray(pop.initial[rec.variable], float)[neurons]
        probe = nengo.Probe(view, family.neuron_state[rec.variable], sample_every=s)
        trace = TraceProbe(rec.population, rec.variable, neurons, grid, sampled, initial)
        trace.parts.append((probe, lambda x, m=m, var=rec.variable, n=neurons: m.to_si(var, x, n)))
        return trace
    receptor = family.synapse_state[rec.variable]
    i0 = pop.initial.get(rec.variable)
    initial = np.zeros(neurons.size) if i0 is None else np.asarray(i0, float)[neurons]
    trace = TraceProbe(rec.population, rec.variable, neurons, grid, sampled, initial)
    for conn, smap in connections.get((rec.population, receptor), []):
        probe = SynapseStateProbe(conn, conn.synapse.recorded_state, sample_every=s)
        trace.parts.append((probe, lambda x, smap=smap, n=neurons: smap.to_current(x[:, n], n)))
    if (rec.population, receptor) in decaying:
        start, decay = decaying[(rec.population, receptor)]
        trace.decaying.append((start[neurons], np.broadcast_to(decay, pop.size)[neurons]))
    return trace
