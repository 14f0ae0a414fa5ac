"""The typed, frozen model of a spec (the IR adapters receive), with every value in SI units.

Built by :func:`snnrun.schema.normalise.normalise` from a validated mapping. Nothing here is drawn yet:
distributions stay distributions until :func:`snnrun.instantiate` draws the network instance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterator, Mapping, Optional, Union

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
    ``clip`` (low, high) clips the drawn values (SI).
    """

    name: str
    params: Mapping[str, float]
    dimension: Dimension
    clip: tuple[float, float] | None = None
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
class Synapse:
    """``weight``: A for current synapses, S for conductance, V for voltage jumps; ``delay`` in s."""

    receptor: str
    weight: ValueSpec | None
    delay: ValueSpec
    plasticity: Mapping | None = None
    short_term: Mapping | None = None


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
    """A probe: ``variable`` ``spikes`` or a state variable; ``interval`` in s (None: every step)."""

    variable: str
    population: str | None = None
    projection: str | None = None
    neurons: tuple[int, ...] | None = None
    interval: float | None = None
    synapses: int | None = None


@dataclass(frozen=True)
class Expectation:
    """A check on results. ``between``/``equals``/``tolerance`` are SI (Hz for rates, s for times)."""

    index: int
    population: str
    metric: str
    neurons: tuple[int, ...] | None = None
    between: tuple[float, float] | None = None
    equals: tuple[float, ...] | float | None = None
    tolerance: float = 0.0
    backends: tuple[str, ...] | None = None


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
