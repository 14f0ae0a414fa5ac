"""Draw the network instance every backend simulates: connectivity as arrays, per-neuron parameters,
initial values, source spike trains and stimulus schedules, all in SI units and on the dt grid.

Every draw comes from its own stream (:mod:`snnrun.random_streams`), keyed by the element's spec path,
so the same spec and seed give the same instance in any process and for any backend.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

from .connectivity import draw_connectivity
from .numerics.initial import derived_initial
from .random_streams import stream
from .stimulus_groups import noise_stream_name, stimulus_groups
from .schema import catalogue as cat
from .schema.errors import SpecError
from .schema.model import Distribution, Quantity, Recording, Spec, Stdp, TsodyksMarkram, ValueSpec, Values


@dataclass
class SpikeTrains:
    """Spike stamps of a source population in compressed rows: neuron i spikes at
    ``steps[indptr[i]:indptr[i+1]] * dt`` (s). A stamp k*dt means the spike is emitted at the end of step
    k-1, exactly like a neuron's spike (see semantics.md)."""

    indptr: np.ndarray  # int64, (size + 1,)
    steps: np.ndarray  # int64, sorted within each neuron, >= 1

    def neuron_ids(self) -> np.ndarray:
        return np.repeat(np.arange(len(self.indptr) - 1), np.diff(self.indptr))


@dataclass
class PopulationInstance:
    """``params``: parameter name -> float64 array (size,) in SI; ``initial``: state variable -> array."""

    name: str
    type: str
    size: int
    params: dict[str, np.ndarray] = field(default_factory=dict)
    initial: dict[str, np.ndarray] = field(default_factory=dict)
    spikes: SpikeTrains | None = None

    @property
    def model(self) -> cat.ModelType:
        return cat.MODELS[self.type]


@dataclass
class ProjectionInstance:
    """Explicit synapses, sorted by pre neuron (then post; ``from_list``: the list's order): ``pre``/``post``
    indices (int32 where they fit, else int64), ``weight`` float64 (A, S or V by ``kind``),
    ``delay_steps`` >= 1 in the smallest signed integer type that holds them (the delay is
    ``delay_steps * dt`` seconds). Where the spec gives one weight or one delay for every synapse, that
    array is a read-only broadcast of the one value (no memory per synapse; copy it to write).
    ``plasticity`` (an :class:`~snnrun.schema.model.Stdp`) and ``short_term`` (a
    :class:`~snnrun.schema.model.TsodyksMarkram`) are the synapse's rules, SI values, or None; ``weight``
    is the initial weight of a plastic synapse."""

    name: str
    pre_population: str
    post_population: str
    receptor: str
    kind: str
    pre: np.ndarray
    post: np.ndarray
    weight: np.ndarray
    delay_steps: np.ndarray
    plasticity: Stdp | None = None
    short_term: TsodyksMarkram | None = None

    @property
    def size(self) -> int:
        return int(self.pre.size)

    def __getstate__(self):
        # a broadcast array would pickle as a full copy: ship its one value instead
        state = dict(self.__dict__)
        for key in ("weight", "delay_steps"):
            arr = state[key]
            if isinstance(arr, np.ndarray) and arr.ndim == 1 and arr.size > 1 and arr.strides[0] == 0:
                state[key] = (_UNIFORM, arr[:1].copy(), arr.size)
        return state

    def __setstate__(self, state):
        for key in ("weight", "delay_steps"):
            value = state[key]
            if isinstance(value, tuple) and value and value[0] == _UNIFORM:
                state[key] = uniform_array(value[1][0], value[2], value[1].dtype)
        self.__dict__.update(state)


_UNIFORM = "snnrun-uniform-array"


def uniform_array(value, n: int, dtype) -> np.ndarray:
    """``n`` copies of ``value`` as a read-only broadcast array (no memory per element)."""
    return np.broadcast_to(np.asarray(value, dtype), (n,))


def smallest_signed(values: np.ndarray, minimum: int = 1):
    """The smallest signed integer type that holds every value in [minimum, values.max()]."""
    top = int(values.max()) if values.size else minimum
    return next(t for t in (np.int8, np.int16, np.int32, np.int64) if np.iinfo(t).max >= top)


@dataclass
class StimulusInstance:
    """A current on ``neurons`` of ``population``, piecewise constant on the grid: ``amplitudes[j]`` (A)
    applies to every step k with ``change_steps[j] <= k < change_steps[j+1]`` (0 A before the first)."""

    name: str
    type: str
    population: str
    neurons: np.ndarray
    change_steps: np.ndarray
    amplitudes: np.ndarray


@dataclass
class PoissonInputInstance:
    """A ``poisson_input`` stimulus: every neuron of ``neurons`` of ``population`` receives an
    independent Poisson train of ``rate`` (Hz) events onto ``receptor``, each of ``weight`` (A, S or V,
    the target's synapse unit), in steps ``start_step <= k < stop_step``. Only its parameters: the
    events are not drawn here, each backend draws them (schema/semantics.md, "Poisson input")."""

    name: str
    population: str
    neurons: np.ndarray
    receptor: str
    rate: float
    weight: float
    start_step: int
    stop_step: int


@dataclass
class NetworkInstance:
    """Everything a backend needs to simulate one drawn network, and nothing it must look up elsewhere:
    adapters read this, never the Spec, so an instance can be shipped alone (pickled to a spawned
    process or a Dask worker, or written out) and run.

    ``name``: the spec's name; ``seed``: the master seed the instance was drawn from (backends seed
    their own generators from it, if they draw anything); ``spec_hash``: the spec it came from;
    ``dt`` and ``duration`` in s, ``n_steps = duration / dt``; ``options``: backend name -> that
    backend's ``simulation.options`` (read-only mappings); ``populations``, ``projections`` (with their
    plasticity rules), ``stimuli``: the drawn arrays (currents); ``poisson_inputs``: the event stimuli
    every backend draws itself; ``recordings``: the probes; ``warnings``: messages
    from loading and drawing, for the results manifest.
    """

    name: str
    seed: int
    spec_hash: str
    dt: float
    duration: float
    n_steps: int
    options: Mapping[str, Mapping]
    populations: dict[str, PopulationInstance]
    projections: dict[str, ProjectionInstance]
    stimuli: dict[str, StimulusInstance]
    recordings: tuple[Recording, ...]
    warnings: list[str] = field(default_factory=list)
    #: ``poisson_input`` stimuli: parameters only, drawn by each backend (so not in ``stimuli``)
    poisson_inputs: dict[str, PoissonInputInstance] = field(default_factory=dict)

    def backend_options(self, backend: str) -> Mapping:
        """``simulation.options`` of ``backend`` (empty when the spec sets none)."""
        return self.options.get(backend, {})


def draw_value(value: ValueSpec, n: int, rng: np.random.Generator | None) -> np.ndarray:
    """Draw ``n`` SI values from a ValueSpec (float64 array). Quantities and Values draw nothing."""
    if isinstance(value, Quantity):
        return np.full(n, value.value)
    if isinstance(value, Values):
        return np.asarray(value.values, dtype=float)
    assert isinstance(value, Distribution)
    out = _draw(value, n, rng)
    if value.clip:
        np.clip(out, value.clip[0], value.clip[1], out=out)
    if value.truncate:
        # redraw what falls outside until nothing does: the distribution truncated to [low, high] (the
        # loader refuses intervals holding less than 1e-3 of the mass, so this ends in a few rounds)
        low, high = value.truncate
        outside = np.flatnonzero((out < low) | (out > high))
        while outside.size:
            out[outside] = _draw(value, outside.size, rng)
            outside = outside[(out[outside] < low) | (out[outside] > high)]
    return out


def _draw(value: Distribution, n: int, rng: np.random.Generator) -> np.ndarray:
    if value.name == "uniform":
        return rng.uniform(value.params["low"], value.params["high"], n)
    if value.name == "normal":
        return rng.normal(value.params["mean"], value.params["std"], n)
    if value.name == "lognormal":
        return rng.lognormal(value.params["mu"], value.params["sigma"], n) * value.unit
    return rng.choice(np.asarray(value.choices, dtype=float), n)


#: synapses per chunk when drawing per-synapse values (8 MB of float64)
_CHUNK = 1 << 20


def _synapse_weights(value: ValueSpec, n: int, rng_of) -> np.ndarray:
    """Per-synapse weights (float64, SI); one value for all: a read-only broadcast."""
    if isinstance(value, Quantity):
        return uniform_array(value.value, n, float)
    return draw_value(value, n, rng_of())


def _delay_steps(value: ValueSpec, n: int, dt: float, rng_of) -> np.ndarray:
    """Per-synapse delays in steps, ``max(1, round(delay / dt))``, in the smallest signed type that holds
    them; one value for all: a read-only broadcast. Continuous distributions are drawn in chunks (one
    value per draw, so the same values as one call; a truncated one redraws after each chunk) and
    converted chunk by chunk."""
    if isinstance(value, Quantity):
        steps = max(1, int(np.rint(value.value / dt)))
        return uniform_array(steps, n, smallest_signed(np.array([steps])))
    if not (isinstance(value, Distribution) and value.name in ("uniform", "normal", "lognormal")):
        delay = draw_value(value, n, rng_of())
        steps = np.maximum(1, np.rint(delay / dt)).astype(np.int64)
        return steps.astype(smallest_signed(steps))
    rng = rng_of()
    steps = np.empty(n, np.int32 if n else np.int8)
    for a in range(0, n, _CHUNK):
        part = draw_value(value, min(_CHUNK, n - a), rng)
        # (clipped at 2**31 - 1 steps, 59 hours at dt = 0.1 ms: no ring buffer holds more)
        steps[a:a + part.size] = np.minimum(np.maximum(1, np.rint(part / dt)), np.iinfo(np.int32).max)
    kind = smallest_signed(steps)
    return steps if kind == steps.dtype else steps.astype(kind)


def _to_steps(times: np.ndarray, dt: float) -> np.ndarray:
    return np.rint(np.asarray(times, dtype=float) / dt).astype(np.int64)


def _poisson_train(rng: np.random.Generator, size: int, rates: np.ndarray, first_step: int, last_step: int,
                   dt: float) -> SpikeTrains:
    """Bernoulli(rate dt) per step for stamps first_step..last_step inclusive, per neuron.

    The count per neuron is Binomial(steps, p) and the steps are a uniform choice without repeats, which
    is the same distribution as one Bernoulli trial per step but costs O(spikes), not O(steps).
    """
    n_slots = max(0, last_step - first_step + 1)
    p = np.clip(rates * dt, 0.0, 1.0)
    counts = rng.binomial(n_slots, p) if n_slots else np.zeros(size, np.int64)
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    steps = np.empty(indptr[-1], np.int64)
    for i in np.flatnonzero(counts):
        steps[indptr[i]:indptr[i + 1]] = np.sort(rng.choice(n_slots, counts[i], replace=False)) + first_step
    return SpikeTrains(indptr, steps)


def _source_spikes(pop, params: dict, spec: Spec, rng: np.random.Generator, warnings: list[str]) -> SpikeTrains:
    dt, n_steps, size = spec.simulation.dt, spec.simulation.n_steps, pop.size
    if pop.model.type == "poisson":
        start = params["start"]
        stop = params["stop"] if "stop" in params else np.full(size, spec.simulation.duration)
        first = _to_steps(start, dt) + 1
        last = np.minimum(_to_steps(stop, dt), n_steps)
        if np.all(first == first[0]) and np.all(last == last[0]):
            return _poisson_train(rng, size, params["rate"], int(first[0]), int(last[0]), dt)
        parts = [_poisson_train(rng, 1, params["rate"][i:i + 1], int(first[i]), int(last[i]), dt)
                 for i in range(size)]
        return _concat_trains(parts)
    if pop.model.type == "inhomogeneous_poisson":
        times = list(pop.model.params["times"]) + [spec.simulation.duration]
        rates = pop.model.params["rates"]
        parts = []
        for j, rate in enumerate(rates):
            first, last = int(_to_steps(times[j], dt)) + 1, min(int(_to_steps(times[j + 1], dt)), n_steps)
            parts.append(_poisson_train(rng, size, np.full(size, rate), first, last, dt))
        return _merge_segments(parts, size)
    # spike_array: one list for every neuron, or one list per neuron; stamps rounded to the grid
    raw = pop.model.params["spike_times"]
    rows = raw if raw and isinstance(raw[0], tuple) else [raw] * size
    indptr, steps = [0], []
    for i, row in enumerate(rows):
        s = np.unique(_to_steps(row, dt))
        if s.size != len(row):
            warnings.append(f"populations.{pop.name}: neuron {i} has spike times in the same step of dt; "
                            "they were merged into one spike")
        s = s[(s >= 1) & (s <= n_steps)]
        steps.append(s)
        indptr.append(indptr[-1] + s.size)
    return SpikeTrains(np.asarray(indptr, np.int64), np.concatenate(steps) if steps else np.empty(0, np.int64))


def _concat_trains(parts: list[SpikeTrains]) -> SpikeTrains:
    counts = [np.diff(p.indptr) for p in parts]
    indptr = np.concatenate([[0], np.cumsum(np.concatenate(counts))]).astype(np.int64)
    return SpikeTrains(indptr, np.concatenate([p.steps for p in parts]))


def _merge_segments(parts: list[SpikeTrains], size: int) -> SpikeTrains:
    ids = np.concatenate([p.neuron_ids() for p in parts]) if parts else np.empty(0, np.int64)
    steps = np.concatenate([p.steps for p in parts]) if parts else np.empty(0, np.int64)
    order = np.lexsort((steps, ids))
    counts = np.bincount(ids, minlength=size)
    return SpikeTrains(np.concatenate([[0], np.cumsum(counts)]).astype(np.int64), steps[order])


def _stimulus(stim, spec: Spec, size: int) -> StimulusInstance:
    dt, n_steps, p = spec.simulation.dt, spec.simulation.n_steps, stim.params
    neurons = np.arange(size) if stim.neurons is None else np.asarray(stim.neurons, np.int64)
    start = int(_to_steps(p.get("start", 0.0), dt))
    stop = int(_to_steps(p["stop"], dt)) if p.get("stop") is not None else n_steps
    if stim.type == "dc":
        changes, amps = [start, stop], [p["amplitude"], 0.0]
    elif stim.type == "step":
        changes, amps = list(_to_steps(p["times"], dt)), list(p["amplitudes"])
    elif stim.type == "sine":
        k = np.arange(start, stop)
        amps = p["offset"] + p["amplitude"] * np.sin(2 * np.pi * p["frequency"] * (k - start) * dt + p["phase"])
        changes, amps = list(k) + [stop], list(amps) + [0.0]
    else:  # noise: a new Gaussian value every interval, drawn from the stimulus' own stream
        every = max(1, int(round(p["interval"] / dt)))
        k = np.arange(start, stop, every)
        rng = stream(spec.seed, "stimuli", noise_stream_name(stim.name))
        # mean + std z (what rng.normal draws): groups of per-neuron mean/std share the stimulus' z
        changes, amps = list(k) + [stop], list(p["mean"] + p["std"] * rng.standard_normal(k.size)) + [0.0]
    return StimulusInstance(stim.name, stim.type, stim.population, neurons,
                            np.asarray(changes, np.int64), np.asarray(amps, float))


def _poisson_input(stim, spec: Spec, size: int) -> PoissonInputInstance:
    dt, p = spec.simulation.dt, stim.params
    neurons = np.arange(size) if stim.neurons is None else np.asarray(stim.neurons, np.int64)
    start = int(_to_steps(p.get("start", 0.0), dt))
    stop = int(_to_steps(p["stop"], dt)) if p.get("stop") is not None else spec.simulation.n_steps
    return PoissonInputInstance(stim.name, stim.population, neurons, p.get("receptor", "exc"),
                                float(p["rate"]), float(p["weight"]), start, stop)


def _check_recorded_synapses(spec: Spec, projs: Mapping[str, ProjectionInstance]) -> None:
    """A weight recording's synapse indices must exist in the drawn projection (how many synapses a
    probabilistic rule makes is known only now)."""
    problems = []
    for rec in spec.record:
        if rec.projection is None or rec.synapses is None or not rec.synapses:
            continue
        size = projs[rec.projection].size
        if max(rec.synapses) >= size:
            problems.append(spec.problem(("record", rec.index, "synapses"),
                                         f"synapse index {max(rec.synapses)} is out of range: projection "
                                         f"{rec.projection} has {size} synapses (indices 0 to {size - 1})"))
    if problems:
        raise SpecError(problems)


def instantiate(spec: Spec) -> NetworkInstance:
    """Draw the network instance of ``spec`` from its seed. Deterministic: same spec and seed, same arrays."""
    seed, dt = spec.seed, spec.simulation.dt
    warnings: list[str] = list(spec.warnings)
    pops: dict[str, PopulationInstance] = {}
    for name, pop in spec.populations.items():
        mtype = cat.MODELS[pop.model.type]
        params = {}
        for pname, value in pop.model.params.items():
            if mtype.params[pname].kind == "value" and value is not None:
                rng = stream(seed, "populations", name, "params", pname) if isinstance(value, Distribution) else None
                params[pname] = draw_value(value, pop.size, rng)
        initial = {var: draw_value(value, pop.size, stream(seed, "populations", name, "initial", var))
                   for var, value in pop.initial.items() if value is not None}
        initial.update(derived_initial(pop.model.type, params, initial))
        inst = PopulationInstance(name, pop.model.type, pop.size, params, initial)
        if mtype.is_source:
            inst.spikes = _source_spikes(pop, params, spec, stream(seed, "populations", name, "spikes"), warnings)
        pops[name] = inst
    projs = {}
    for name, proj in spec.projections.items():
        pre, post = spec.populations[proj.pre], spec.populations[proj.post]
        pre_idx, post_idx = draw_connectivity(proj.connect, pre.size, post.size, proj.pre == proj.post,
                                              stream(seed, "projections", name, "connect"))
        n = pre_idx.size
        weight = _synapse_weights(proj.synapse.weight, n, lambda: stream(seed, "projections", name, "weight"))
        delay_steps = _delay_steps(proj.synapse.delay, n, dt, lambda: stream(seed, "projections", name, "delay"))
        kind = cat.MODELS[post.model.type].synapse
        projs[name] = ProjectionInstance(name, proj.pre, proj.post, proj.synapse.receptor, kind,
                                         pre_idx, post_idx, weight, delay_steps,
                                         proj.synapse.plasticity, proj.synapse.short_term)
    _check_recorded_synapses(spec, projs)
    stimuli, poisson_inputs = {}, {}
    for stim in spec.stimuli.values():
        size = spec.populations[stim.population].size
        if stim.type == "poisson_input":
            poisson_inputs[stim.name] = _poisson_input(stim, spec, size)
            continue
        for group in stimulus_groups(stim, size, seed):  # per-neuron values: one stimulus per distinct value
            stimuli[group.name] = _stimulus(group, spec, size)
    return NetworkInstance(spec.name, seed, spec.spec_hash, dt, spec.simulation.duration, spec.simulation.n_steps,
                           spec.simulation.options, pops, projs, stimuli, spec.record, warnings, poisson_inputs)
