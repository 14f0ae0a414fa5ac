"""What the Brian2 network will be, worked out from the drawn instance with numpy only (no Brian2).

The plan mirrors the reference engine's layout, which is also what a hand-written Brian2 script does:
every population of one model type becomes a slice of one NeuronGroup, and the projections from one
pre population onto one group's target variable are merged into one Synapses object. Fewer Brian2
objects means fewer code objects run per step, which is most of Brian2's cost on small networks.

All timing conventions of schema/semantics.md that the adapter has to translate are applied here, as
numbers, so they can be tested without Brian2 (see models.py for the schedule they assume):

- a synapse of ``d`` steps gets the Brian2 delay ``(d - 1) dt``: its pathway runs after the neurons'
  integration and before the threshold, and it reads the source's spikes of the previous step;
- a source stamp ``s dt`` is emitted by the SpikeGeneratorGroup at time ``(s - 1) dt`` (step s - 1);
- ``tau_refrac`` of ``R`` steps becomes the Brian2 refractory period ``(R + 1) dt`` (the LIF membrane's
  translation rule, pieces.py);
- a plastic synapse (STDP) gets a post pathway delay of ``2 f D`` steps (plasticity.py); projections with
  rules are merged only with projections that have the same rules, and keep the spec's weight with the
  table's factor apart (``scale``), since the rules act on the spec's weight.

What a model has (parameters, synaptic time constants, weight targets) comes from its pieces and their
translation tables; nothing here names a model type or parameter.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from ...schema import catalogue as cat
from ...random_streams import stream
from ...schema.errors import BackendError
from .models import MODELS, TRANSLATIONS, on_pre_code
from .pieces import UNITS
from .plasticity import PlasticCode, plastic_code, post_delay_steps

#: relative distance from tau_m below which Brian2's exact solution of an exponential or alpha synapse
#: loses its accuracy (it divides by tau_syn - tau_m); see models.py
SINGULAR_RTOL = 1e-6


@dataclass
class StimulusTable:
    """Injected current of a group as a TimedArray: ``values[b, c]`` (A) is the current of column ``c``
    in steps ``b*every .. (b+1)*every - 1``; neuron ``n`` of the group reads column ``column[n]``."""

    values: np.ndarray
    every: int
    column: np.ndarray


@dataclass
class GroupPlan:
    """One NeuronGroup: every population of one model type, in order, at ``members[pop] = (offset, size)``.

    ``constants`` are parameters uniform over the group (Brian2 name -> SI float, passed in the
    namespace so Brian2 hoists them out of the per-neuron loop); ``arrays`` the others (per neuron).
    ``singular`` lists the receptors whose tau_syn equals tau_m for the whole group, ``substeps`` the
    number of steps of the membrane's method per dt (pieces.Membrane).
    """

    model: str
    name: str
    size: int
    members: dict[str, tuple[int, int]]
    constants: dict[str, float]
    arrays: dict[str, np.ndarray]
    initial: dict[str, np.ndarray]
    singular: tuple[str, ...] = ()
    stimulus: Optional[StimulusTable] = None
    record_spikes: bool = False
    substeps: int = 1


@dataclass
class SourcePlan:
    """A SpikeGeneratorGroup replaying a source population's drawn stamps: neuron ``indices[n]`` fires
    in step ``steps[n]`` (Brian2 time ``steps[n] dt``), which is stamp ``(steps[n] + 1) dt``."""

    population: str
    name: str
    size: int
    indices: np.ndarray
    steps: np.ndarray


@dataclass
class SynapsesPlan:
    """Merged projections from ``pre`` (a population) onto ``target`` of group ``post_group``.

    ``i`` are indices within the pre population, ``j`` within the post group. ``weight`` (SI, already
    scaled for alpha synapses) and ``delay`` (Brian2 steps) are a scalar when uniform, else per synapse.
    """

    name: str
    pre: str
    post_group: str
    target: str
    projections: tuple[str, ...]
    i: np.ndarray
    j: np.ndarray
    weight: float | np.ndarray
    delay: int | np.ndarray
    weight_unit: str
    on_pre: str
    # plastic synapses (plasticity.py): the rules' code, ``weight`` unscaled (the spec's SI value, in
    # ``weight_unit``: amp, siemens or volt), ``scale`` the factor to what the target takes (None: 1;
    # scalar or per synapse, in ``scale_unit``), the post pathway's delay in steps, and where each
    # projection's drawn synapses start in the concatenation (``segments``)
    plastic: Optional[PlasticCode] = None
    scale: Optional[float | np.ndarray] = None
    scale_unit: str = "1"
    post_delay: int | np.ndarray = 0
    segments: dict[str, int] = field(default_factory=dict)
    has_stdp: bool = False


@dataclass
class ProbePlan:
    """A StateMonitor: ``variable`` (Brian2 name) of group neurons ``indices`` every ``every`` steps."""

    population: str
    variable: str
    group: str
    brian2_name: str
    indices: np.ndarray
    local: np.ndarray
    every: int


@dataclass
class WeightProbePlan:
    """A StateMonitor of ``w`` of the Synapses ``synapses`` (its index in ``Plan.synapses``; None: a static
    projection, whose drawn weights are reported) for the drawn synapses ``chosen`` of ``projection``,
    which are the Brian2 synapses ``indices``, every ``every`` steps."""

    projection: str
    synapses: Optional[int]
    chosen: np.ndarray
    indices: np.ndarray
    every: int


@dataclass
class PoissonPlan:
    """A ``poisson_input`` stimulus as Brian2's PoissonInput on group neurons ``offset ...
    offset + size - 1``: ``n`` binomial sources of ``rate_each`` (Hz) each adding ``weight`` (SI, in
    ``unit``) to ``target``. Brian2 draws binomial(n, rate_each dt) per neuron and step, so
    ``n = ceil(rate dt / POISSON_P_MAX)`` keeps p <= 1e-3: the count's variance is (1 - p) of the Poisson
    one (Brian2 replaces the binomial by a normal one where n p > 5, i.e. rate dt > 5 events per step)."""

    name: str
    group: str
    offset: int
    size: int
    target: str
    n: int
    rate_each: float
    weight: float
    unit: str


#: largest per-source probability per step of a PoissonInput (PoissonPlan)
POISSON_P_MAX = 1e-3


@dataclass
class Plan:
    dt: float
    n_steps: int
    groups: dict[str, GroupPlan] = field(default_factory=dict)
    sources: dict[str, SourcePlan] = field(default_factory=dict)
    synapses: list[SynapsesPlan] = field(default_factory=list)
    probes: list[ProbePlan] = field(default_factory=list)
    record_sources: set[str] = field(default_factory=set)
    weight_probes: list[WeightProbePlan] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    member_of: dict[str, str] = field(default_factory=dict)  # neuron population -> group name
    poisson_inputs: list[PoissonPlan] = field(default_factory=list)
    seed: Optional[int] = None  # Brian2's seed when the network draws anything (poisson inputs)


def _uniform(values: np.ndarray) -> bool:
    return values.size > 0 and bool(np.all(values == values[0]))


def make_plan(instance) -> Plan:
    """Lay out the Brian2 network for a drawn NetworkInstance (see the module docstring)."""
    plan = Plan(instance.dt, instance.n_steps)
    recorded = {r.population for r in instance.recordings if r.variable == "spikes" and r.population}
    _plan_groups(instance, plan, recorded)
    _plan_sources(instance, plan, recorded)
    _plan_synapses(instance, plan)
    _plan_stimuli(instance, plan)
    _plan_poisson_inputs(instance, plan)
    _plan_probes(instance, plan)
    _plan_weight_probes(instance, plan)
    return plan


def _plan_groups(instance, plan: Plan, recorded: set[str]) -> None:
    by_type: dict[str, list] = {}
    for pop in instance.populations.values():
        if not pop.model.is_source:
            by_type.setdefault(pop.type, []).append(pop)
    for model, pops in by_type.items():
        members, offset = {}, 0
        for pop in pops:
            members[pop.name] = (offset, pop.size)
            plan.member_of[pop.name] = model
            offset += pop.size
        table = TRANSLATIONS[model]
        spec_params = {k: np.concatenate([np.broadcast_to(np.asarray(p.params[k], float), p.size) for p in pops])
                       for k in table.parameters()}
        singular = _singular_receptors(model, spec_params, plan)
        constants, arrays = {}, {}
        for name, values in table.forward(spec_params, plan.dt).items():
            if _uniform(values):
                constants[name] = float(values[0])
            else:
                arrays[name] = values
        initial = {}
        for rule in table.state:
            # normalise gives every initial value of the catalogue a default, so each population has it
            values = np.concatenate([np.broadcast_to(np.asarray(p.initial[rule.source], float), p.size) for p in pops])
            initial[rule.target] = table.state_forward(rule.source, values)[1]
        plan.groups[model] = GroupPlan(model, model, offset, members, constants, arrays, initial, tuple(singular),
                                       record_spikes=any(p.name in recorded for p in pops),
                                       substeps=MODELS[model].membrane.substep_count(plan.dt))


def _singular_receptors(model: str, spec_params: dict[str, np.ndarray], plan: Plan) -> list[str]:
    """Receptors whose synaptic time constant equals the membrane's for the whole group (their equations
    then use the membrane's, models.py); neurons within SINGULAR_RTOL of it in a mixed group are moved
    away from it in ``spec_params``, with a warning."""
    membrane, synapses = MODELS[model].membrane, MODELS[model].synapses
    if membrane.time_constant is None:
        return []
    singular = []
    tau_m = spec_params[membrane.time_constant]
    for receptor, key in synapses.time_constants.items():
        tau_s = spec_params[key]
        if _uniform(tau_s) and _uniform(tau_m) and tau_s[0] == tau_m[0]:
            singular.append(receptor)  # exact: the equations use tau_m for this receptor (models.py)
            continue
        near = np.abs(tau_s - tau_m) < SINGULAR_RTOL * tau_m
        if near.any():
            # Brian2's closed form divides by (tau_syn - tau_m): move those neurons just far enough
            # that the cancellation error and the change of the kernel are both about 1e-6 relative
            spec_params[key] = np.where(near, tau_m * (1 + SINGULAR_RTOL), tau_s)
            plan.warnings.append(
                f"brian2: {int(near.sum())} neuron(s) of model type {model} have {key} equal (or within "
                f"{SINGULAR_RTOL:g} relative) to {membrane.time_constant}; Brian2's exact solution is singular "
                f"there, so {key} was set to {membrane.time_constant} (1 + {SINGULAR_RTOL:g}) for them")
    return singular


def _plan_sources(instance, plan: Plan, recorded: set[str]) -> None:
    for pop in instance.populations.values():
        if pop.spikes is None:
            continue
        if pop.name in recorded:
            plan.record_sources.add(pop.name)
        ids = pop.spikes.neuron_ids()
        # a stamp s dt is the end of step s - 1: Brian2's SpikeGeneratorGroup emits it in that step
        plan.sources[pop.name] = SourcePlan(pop.name, f"source_{pop.name}", pop.size, ids.astype(np.int64),
                                            pop.spikes.steps.astype(np.int64) - 1)


def _plan_synapses(instance, plan: Plan) -> None:
    merged: dict[tuple, list] = {}
    for proj in instance.projections.values():
        if proj.size == 0:
            continue
        group = plan.groups[plan.member_of[proj.post_population]]
        offset = group.members[proj.post_population][0]
        table = TRANSLATIONS[group.model]
        rule = table.weights[proj.receptor]
        # the unscaled spec values of the post population (a weight factor such as the alpha drive's
        # e / tau_syn uses them, not the singular-adjusted ones)
        spec_values = _spec_values(instance, proj.post_population)
        plastic = proj.plasticity is not None or proj.short_term is not None
        if plastic:
            # the rules act on the spec's weight; what reaches the target is w times the table's factor
            weight = np.asarray(proj.weight, float)
            scale = table.weight_values(proj.receptor, np.ones(proj.size), proj.post, spec_values, plan.dt)
        else:
            weight = table.weight_values(proj.receptor, proj.weight, proj.post, spec_values, plan.dt)
            scale = None
        post_delay = None
        if proj.plasticity is not None:
            post_delay = post_delay_steps(proj.plasticity.dendritic_delay_fraction, proj.delay_steps)
            if post_delay is None:
                raise BackendError("brian2", "2 x dendritic_delay_fraction x delay is not a whole number of "
                                   "steps for every synapse (Brian2's delays are on the grid)",
                                   ("projections", proj.name, "synapse", "plasticity", "dendritic_delay_fraction"))
        merged.setdefault((proj.pre_population, group.name, rule.target, proj.plasticity, proj.short_term),
                          []).append((proj.name, proj.pre, proj.post + offset, weight, proj.delay_steps - 1,
                                      rule.unit, on_pre_code(group.model, proj.receptor,
                                                             _amplitude(proj, scale)), scale, post_delay, proj))
    for n, ((pre, gname, target, stdp, tm), parts) in enumerate(merged.items()):
        i, j, w, d = (np.concatenate([p[k] for p in parts]) for k in range(1, 5))
        syn = SynapsesPlan(
            name=f"syn{n}_{pre}_to_{gname}_{target}", pre=pre, post_group=gname, target=target,
            projections=tuple(p[0] for p in parts), i=i.astype(np.int64), j=j.astype(np.int64),
            weight=float(w[0]) if _uniform(w) else w, delay=int(d[0]) if _uniform(d) else d.astype(np.int64),
            weight_unit=parts[0][5], on_pre=parts[0][6])
        start = 0
        for p in parts:
            syn.segments[p[0]] = start
            start += p[9].size
        if stdp is not None or tm is not None:
            model = plan.groups[gname].model
            spec_unit = _spec_unit(model)
            syn.weight, syn.weight_unit = w, spec_unit
            syn.plastic = plastic_code(stdp, tm, spec_unit, plan.dt)
            syn.has_stdp = stdp is not None
            scale = np.concatenate([np.broadcast_to(p[7], p[9].size) for p in parts])
            syn.scale = None if np.all(scale == 1.0) else (float(scale[0]) if _uniform(scale) else scale)
            syn.scale_unit = _scale_unit(parts[0][5], spec_unit)
            # the transmission of the merged synapses (their common factor decides ``w_scale``)
            syn.on_pre = on_pre_code(model, parts[0][9].receptor, _amplitude(parts[0][9], syn.scale))
            if stdp is not None:
                pd = np.concatenate([p[8] for p in parts])
                syn.post_delay = int(pd[0]) if _uniform(pd) else pd
        plan.synapses.append(syn)


def _amplitude(proj, scale) -> str:
    """What a spike of the projection adds to its target: ``w``, times the release ``x u`` with
    Tsodyks-Markram and the table's factor ``w_scale`` unless it is 1 (``scale`` None; alpha drives)."""
    factors = ["w"] + (["x_tm*u_tm"] if proj.short_term is not None else []) + \
        ([] if scale is None or np.all(np.asarray(scale) == 1.0) else ["w_scale"])
    return "*".join(factors)


def _spec_unit(model: str) -> str:
    """The Brian2 unit name of the spec's weight of ``model`` (amp, siemens or volt)."""
    dimension = cat.SYNAPSE_WEIGHT_DIMENSION[cat.MODELS[model].synapse]
    return next(name for name, (scale, dim) in UNITS.table.items() if dim == dimension and scale == 1.0)


def _scale_unit(target_unit: str, spec_unit: str) -> str:
    """The unit of the factor from a spec weight (``spec_unit``) to the target's (``target_unit``): "1"
    or, for the alpha drives (``amp/second`` from amp), the denominator's inverse."""
    if target_unit == spec_unit:
        return "1"
    numerator, *denominators = target_unit.split("/")
    if numerator != spec_unit or len(denominators) != 1:
        raise ValueError(f"no factor unit from {spec_unit} to {target_unit}")
    return f"1/{denominators[0]}"


def _spec_values(instance, population: str) -> dict[str, np.ndarray]:
    pop = instance.populations[population]
    return {k: np.broadcast_to(np.asarray(v, float), pop.size) for k, v in pop.params.items()}


def _plan_stimuli(instance, plan: Plan) -> None:
    """One TimedArray per group: a column per distinct set of stimuli a neuron receives (column 0: none),
    on the coarsest grid that still has every change of current on a bin border."""
    by_group: dict[str, list] = {}
    for stim in instance.stimuli.values():
        by_group.setdefault(plan.member_of[stim.population], []).append(stim)
    n_steps = plan.n_steps
    for gname, stims in by_group.items():
        group = plan.groups[gname]
        changes = [int(s) for st in stims for s in st.change_steps if 0 < s < n_steps]
        every = _aligned(math.gcd(*changes) if changes else n_steps, plan.dt)
        n_bins = -(-n_steps // every)
        bins = np.arange(n_bins) * every
        schedules = []
        for st in stims:
            # current of step k: the amplitude of the last change at or before k (0 A before the first)
            idx = np.searchsorted(st.change_steps, bins, side="right") - 1
            schedules.append(np.where(idx >= 0, np.asarray(st.amplitudes, float)[np.maximum(idx, 0)], 0.0))
        # which stimuli each neuron receives; a neuron listed twice by one stimulus gets it once (as in
        # the reference, whose fancy-indexed += adds once per distinct index)
        member = np.zeros((len(stims), group.size), bool)
        for s, st in enumerate(stims):
            member[s, st.neurons + group.members[st.population][0]] = True
        keys, column = np.unique(member.T, axis=0, return_inverse=True)
        values = np.zeros((n_bins, len(keys)))
        for c, key in enumerate(keys):
            for s in np.flatnonzero(key):
                values[:, c] += schedules[s]
        group.stimulus = StimulusTable(values, every, column.reshape(-1).astype(np.int64))


def _plan_poisson_inputs(instance, plan: Plan) -> None:
    """PoissonInputs on contiguous target ranges with one weight (Brian2Adapter.check refuses the rest)."""
    for pin in instance.poisson_inputs.values():
        group = plan.groups[plan.member_of[pin.population]]
        neurons = np.asarray(pin.neurons, np.int64)
        path = ("stimuli", pin.name)
        if neurons.size == 0:
            continue
        if np.any(np.diff(neurons) != 1):
            raise BackendError("brian2", "poisson_input: the target neurons must be one contiguous range "
                                         "(a Brian2 PoissonInput acts on a subgroup)", path + ("target",))
        table = TRANSLATIONS[group.model]
        rule = table.weights[pin.receptor]
        weights = table.weight_values(pin.receptor, np.full(neurons.size, pin.weight), neurons,
                                      _spec_values(instance, pin.population), plan.dt)
        if not _uniform(np.asarray(weights, float)):
            raise BackendError("brian2", "poisson_input: the event's weight scales differently per target "
                                         "neuron (per-neuron synaptic time constants)", path + ("weight",))
        n = max(1, math.ceil(pin.rate * plan.dt / POISSON_P_MAX))
        offset = group.members[pin.population][0] + int(neurons[0])
        plan.poisson_inputs.append(PoissonPlan(pin.name, group.name, offset, int(neurons.size), rule.target, n,
                                               pin.rate / n, float(np.asarray(weights, float)[0]), rule.unit))
    if plan.poisson_inputs:
        plan.seed = int(stream(instance.seed, "poisson_input", "brian2").integers(2 ** 31 - 1))


def _aligned(every: int, dt: float) -> int:
    """The largest divisor of ``every`` whose bin length ``every dt`` divided by ``dt`` gives back the
    integer exactly in floating point: Brian2 warns that the grids are "not aligned" otherwise (its
    lookup stays right either way, but the warning would end up in every manifest)."""
    small = [d for d in range(1, math.isqrt(every) + 1) if every % d == 0]
    for d in sorted(set(small + [every // d for d in small]), reverse=True):
        if (d * dt) / dt == d:
            return d
    return 1


def _plan_probes(instance, plan: Plan) -> None:
    for rec in instance.recordings:
        if rec.variable == "spikes" or rec.population is None:
            continue
        gname = plan.member_of[rec.population]
        group = plan.groups[gname]
        offset, size = group.members[rec.population]
        local = np.arange(size) if rec.neurons is None else np.asarray(rec.neurons, np.int64)
        every = max(1, int(round((rec.interval or plan.dt) / plan.dt)))
        plan.probes.append(ProbePlan(rec.population, rec.variable, gname,
                                     TRANSLATIONS[group.model].state_rule(rec.variable).target,
                                     local + offset, local, every))


def _plan_weight_probes(instance, plan: Plan) -> None:
    """Weight recordings: a StateMonitor of ``w`` on the plastic Synapses holding the projection (Brian2
    numbers the synapses in the order ``connect`` got them, checked by build.py); static projections'
    weights are the drawn ones."""
    where = {}
    for n, syn in enumerate(plan.synapses):
        for name in syn.projections:
            where[name] = (n, syn.segments[name])
    for rec in instance.recordings:
        if rec.projection is None:
            continue
        proj = instance.projections[rec.projection]
        chosen = np.arange(proj.size) if rec.synapses is None else np.asarray(rec.synapses, np.int64)
        every = max(1, int(round((rec.interval or plan.dt) / plan.dt)))
        n, start = where.get(rec.projection, (None, 0))
        if n is not None and plan.synapses[n].plastic is None:
            n = None
        plan.weight_probes.append(WeightProbePlan(rec.projection, n, chosen, chosen + start, every))
