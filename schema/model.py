"""The typed, frozen model of a spec (the IR adapters receive), with every value in SI units.

Built by :func:`snnrun.schema.normalise.normalise` from a validated mapping. Nothing here is drawn yet:
distributions stay distributions until :func:`snnrun.instantiate` draws the network instance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, Iterator, Mapping, Optional, Union

from .errors import Problem
from .units import Dimension

if TYPE_CHECKING:
    from .sweep import Sweep

Path = tuple[Union[str, int], ...]


class FrozenMap(Mapping):
    """A read-only mapping over a private copy of its items: the type of every mapping field of the IR.

    Unlike ``types.MappingProxyType`` it pickles (so a Spec or an instance can be shipped to a spawned
    process or a Dask worker) and hashes. Equality is a dict's: equal to any mapping with the same items,
    whatever the order. The hash agrees with it: it is order-independent and looks into nested dicts and
    lists (frozen for hashing only), so a FrozenMap holding the validated YAML mapping hashes too.
    """

    __slots__ = ("_items",)

    def __init__(self, items: Mapping | None = None):
        self._items = dict(items or {})

    def __getitem__(self, key):
        return self._items[key]

    def __iter__(self) -> Iterator:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"FrozenMap({self._items!r})"

    def __hash__(self) -> int:
        return hash(_hashable(self))

    def __reduce__(self):
        return (FrozenMap, (self._items,))


def _hashable(value):
    """An immutable stand-in for hashing: mappings as frozensets of items, lists as tuples."""
    if isinstance(value, Mapping):
        return frozenset((key, _hashable(item)) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return tuple(_hashable(item) for item in value)
    return value


def frozen_map(items: Mapping | None = None) -> FrozenMap:
    """A read-only copy of ``items`` (top level only: nested values are kept as they are)."""
    return FrozenMap(items)


@dataclass(frozen=True)
class Quantity:
    """The same SI value for every element."""

    value: float
    dimension: Dimension


@dataclass(frozen=True)
class Values:
    """One SI value per element, in order."""

    values: tuple[float, ...]
    dimension: Dimension


@dataclass(frozen=True)
class Distribution:
    """A distribution drawn per element from the spec seed; parameters are SI floats.

    ``uniform``: low, high. ``normal``: mean, std. ``lognormal``: mu, sigma of the underlying normal of
    ``value / unit`` (``unit`` is the SI factor of the unit given). ``choice``: ``choices``.
    ``clip`` (low, high) clips the drawn values (SI); ``truncate`` (low, high) redraws the values outside
    instead, so the distribution is truncated to [low, high] (PyNN's ``normal_clipped``, NEST's
    ``redraw``) rather than piling mass on the bounds. At most one of the two.
    """

    name: str
    params: Mapping[str, float]
    dimension: Dimension
    clip: tuple[float, float] | None = None
    truncate: tuple[float, float] | None = None
    choices: tuple[float, ...] = ()
    unit: float = 1.0

    def __post_init__(self):
        if not isinstance(self.params, FrozenMap):  # hashable and read-only whatever the caller passed
            object.__setattr__(self, "params", FrozenMap(self.params))


ValueSpec = Union[Quantity, Values, Distribution]


@dataclass(frozen=True)
class NeuronModel:
    """A model type with every parameter given (defaults filled in), as ValueSpecs or SI lists.

    Parameters of kind ``quantity_list`` are tuples of SI floats; ``spike_times`` is a tuple of tuples
    (one per neuron) or a single tuple used for every neuron.
    """

    type: str
    params: Mapping[str, object]


@dataclass(frozen=True)
class Population:
    name: str
    size: int
    model: NeuronModel
    initial: Mapping[str, ValueSpec]
    model_name: str | None = None


@dataclass(frozen=True)
class Connect:
    """A connection rule. ``p`` for fixed_probability; ``n`` for fixed_indegree/outdegree/total;
    ``pairs`` (pre, post) and, for from_list with a file, the file's ``weights``/``delays`` cells as
    written (quantity strings; the Synapse holds their SI values)."""

    rule: str
    p: float | None = None
    n: int | None = None
    allow_self: bool = True
    multapses: bool = False
    pairs: tuple[tuple[int, int], ...] = ()
    weights: tuple | None = None
    delays: tuple | None = None

    def __post_init__(self):
        for name in ("weights", "delays"):  # a connection file's cells may arrive as a list
            if isinstance(getattr(self, name), list):
                object.__setattr__(self, name, tuple(getattr(self, name)))


@dataclass(frozen=True)
class Stdp:
    """Pair-based STDP (schema/semantics.md, "Plasticity"). Every synapse of the projection sees its pre
    spikes at ``t_pre + (1 - f) d`` and its post neuron's spikes at ``t_post + f d`` (``f`` the
    ``dendritic_delay_fraction``, ``d`` the synapse's delay); a pair at the interval ``dt = t_post' - t_pre'``
    of those arrival times potentiates (``dt > 0``) or depresses (``dt < 0``) with the traces
    ``K+ = exp(-dt / tau_plus)``, ``K- = exp(dt / tau_minus)``:

    - additive: ``w <- w + a_plus w_max K+``, ``w <- w - a_minus w_max K-``;
    - multiplicative: ``w <- w + a_plus (w_max - w) K+``, ``w <- w - a_minus (w - w_min) K-``;

    each update clipped to ``[w_min, w_max]``. ``pairing``: ``all_to_all`` (every earlier spike of the
    other side, traces summed) or ``nearest`` (the latest earlier one only). ``tau_plus``, ``tau_minus``
    in s; ``w_min``, ``w_max`` in the weight's SI unit (A, S or V); ``a_plus``, ``a_minus`` and the
    fraction dimensionless.
    """

    tau_plus: float
    tau_minus: float
    a_plus: float
    a_minus: float
    w_max: float
    w_min: float = 0.0
    weight_dependence: str = "additive"
    pairing: str = "all_to_all"
    dendritic_delay_fraction: float = 1.0
    rule: ClassVar[str] = "stdp"

    def features(self) -> tuple[str, ...]:
        """The capability keys (``Capabilities.plasticity``) a backend needs to run this rule."""
        out = ["stdp"]
        if self.pairing == "nearest":
            out.append("stdp:nearest")
        if self.weight_dependence == "multiplicative":
            out.append("stdp:multiplicative")
        if self.dendritic_delay_fraction != 1.0:
            out.append("stdp:axonal_delay")
        return tuple(out)


@dataclass(frozen=True)
class TsodyksMarkram:
    """Short-term depression and facilitation (Markram, Wang & Tsodyks 1998) as NEST's
    ``tsodyks2_synapse`` computes it (schema/semantics.md, "Short-term plasticity"): resources ``x`` and
    release probability ``u``, starting at ``x = 1``, ``u = U``; at a pre spike ``h`` (s) after the
    previous one, ``x <- 1 + (x - x u - 1) exp(-h / tau_rec)``, then ``u <- U + u (1 - U) exp(-h / tau_facil)``
    (``tau_facil = 0``: ``u = U``); the spike transmits ``x u w``, so the first one ``U w``. ``u`` is U
    (dimensionless), ``tau_rec`` and ``tau_facil`` in s."""

    u: float
    tau_rec: float
    tau_facil: float = 0.0
    rule: ClassVar[str] = "tsodyks_markram"

    def features(self) -> tuple[str, ...]:
        return ("tsodyks_markram",)


@dataclass(frozen=True)
class Synapse:
    """``weight``: A for current synapses, S for conductance, V for voltage jumps; ``delay`` in s;
    ``plasticity`` and ``short_term`` the synapse's rules, or None (static)."""

    receptor: str
    weight: ValueSpec | None
    delay: ValueSpec
    plasticity: Stdp | None = None
    short_term: TsodyksMarkram | None = None


@dataclass(frozen=True)
class Projection:
    name: str
    pre: str
    post: str
    connect: Connect
    synapse: Synapse


@dataclass(frozen=True)
class Stimulus:
    """A current injection; ``params`` are SI floats (or tuples for ``times``/``amplitudes``)."""

    name: str
    type: str
    population: str
    neurons: tuple[int, ...] | None
    params: Mapping[str, object]


@dataclass(frozen=True)
class Recording:
    """A probe: ``variable`` ``spikes`` or a state variable of ``population``, or ``weight`` of
    ``projection``; ``interval`` in s (None: every step); ``neurons`` and ``synapses`` the selected
    indices (None: all), synapses by their position in the drawn projection; ``index`` its place in the
    spec's ``record`` list."""

    variable: str
    population: str | None = None
    projection: str | None = None
    neurons: tuple[int, ...] | None = None
    interval: float | None = None
    synapses: tuple[int, ...] | None = None
    index: int | None = None


@dataclass(frozen=True)
class Expectation:
    """A check on results. ``between``/``equals``/``tolerance`` are SI (Hz for rates, s for times, the
    weight's unit for ``weight``, the variable's for ``value``). ``weight`` checks the final weights of
    ``synapses`` of ``projection``; ``value`` the recorded ``variable`` of one neuron at ``times`` (s)."""

    index: int
    population: str | None
    metric: str
    neurons: tuple[int, ...] | None = None
    between: tuple[float, float] | None = None
    equals: tuple[float, ...] | float | None = None
    tolerance: float = 0.0
    backends: tuple[str, ...] | None = None
    projection: str | None = None
    synapses: tuple[int, ...] | None = None
    variable: str | None = None
    times: tuple[float, ...] | None = None


@dataclass(frozen=True)
class Simulation:
    """``duration`` and ``dt`` in s."""

    duration: float
    dt: float
    backends: tuple[str, ...] = ("reference",)
    options: Mapping[str, Mapping] = field(default_factory=frozen_map)

    @property
    def n_steps(self) -> int:
        return int(round(self.duration / self.dt))


@dataclass(frozen=True)
class SourceMap:
    """Where each spec path was written: path -> (line, column), 1-based. Keys of mappings are found
    under the path of their value."""

    file: str
    positions: Mapping[Path, tuple[int, int]] = field(default_factory=frozen_map)

    def problem(self, path: Path, message: str) -> Problem:
        """A Problem located at ``path``, or at the nearest enclosing path that has a position."""
        probe = tuple(path)
        while probe and probe not in self.positions:
            probe = probe[:-1]
        line, column = self.positions.get(probe, (0, 0))
        return Problem(self.file, line, column, tuple(path), message)


@dataclass(frozen=True)
class Spec:
    """A loaded, validated, normalised spec. ``raw`` is the validated mapping (read-only use);
    ``sweep`` the typed sweep (:mod:`snnrun.schema.sweep`), None for a single run."""

    version: str
    name: str
    description: str
    seed: int
    simulation: Simulation
    populations: Mapping[str, Population]
    projections: Mapping[str, Projection]
    stimuli: Mapping[str, Stimulus]
    record: tuple[Recording, ...]
    expect: tuple[Expectation, ...]
    compare: Mapping
    sweep: Optional[Sweep]
    source: SourceMap
    spec_hash: str
    raw: Mapping = field(repr=False, default_factory=frozen_map)
    warnings: tuple[str, ...] = ()
    base_dir: str = "."

    def problem(self, path: Path, message: str) -> Problem:
        return self.source.problem(path, message)

    def parameter_path(self, population: str, param: str) -> Path:
        """Where a population's parameter is written: its own ``params``, else its named model's, else
        its inline model's (the path a problem with that parameter should point at)."""
        own = ("populations", population, "params", param)
        if own in self.source.positions:
            return own
        model = self.populations[population].model_name
        if model:
            return ("models", model, "params", param)
        return ("populations", population, "model", "params", param)
