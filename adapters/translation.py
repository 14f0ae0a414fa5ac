"""One translation type for every adapter: how a spec model's parameters, state variables and weights
reach a simulator, and how recorded state comes back.

A :class:`Translation` is the table of one (adapter, model type) pair. Each of its :class:`Rule` s makes
one simulator quantity (``target``, in the simulator's ``unit``) from spec values, which are SI:

- a *rename* has one input and no function: the target is that input expressed in ``unit``;
- a *computed* rule calls ``forward`` on its inputs (SI arrays, in the order named; ``dt``, the step in
  s, can be one of them) and expresses the SI result in ``unit``: PyNN's ``g_leak = cm / tau_m``,
  nengo's gain and bias, Brian2's refractory period ``(round(tau_refrac / dt) + 1) dt``.

The scale factor always comes from the declared unit (:class:`Units`), never from a number typed per
parameter. Every rule can be read backwards: a rename by its unit, a computed rule by its ``reverse``,
which recovers the rule's first input from the target (SI) and the other inputs. State variables have
one rule each (initial value forward, recorded samples back); :class:`Weight` says what a spec weight
onto a receptor becomes. A spec name the adapter cannot honour is declared in ``unsupported`` with the
reason, one that snnrun consumes before any backend runs (a source's rate: snnrun draws the stamps) in
``handled``. :meth:`Translation.undecided` lists every catalogue name without a decision, and
:func:`undecided` does so for a whole adapter; the test suite requires both to be empty.

This improves on PyNN's standard-model translations (pyNN/standardmodels/): scales derived from units,
callables instead of evaluated strings, a reverse for every rule, and a coverage check. Nothing here
imports a simulator.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Callable, Collection, Mapping, Optional

import numpy as np

from ..schema import catalogue as cat
from ..schema.units import UNITS as SPEC_UNITS, Dimension

#: names a rule may take as input besides the model's parameters and state variables
CONTEXT = ("dt",)

#: what ``handled`` says for a spike source's parameters
DRAWN = "drawn by snnrun from the spec seed; the backend replays the stamps"

_NONE: Mapping = MappingProxyType({})


@dataclass(frozen=True)
class Units:
    """A simulator's unit names: the SI value of one unit and its dimension in the spec language (None
    for a unit the spec language has no dimension for, such as nengo's J per ampere)."""

    system: str
    table: Mapping[str, tuple[float, Optional[Dimension]]]

    @classmethod
    def of_symbols(cls, system: str, symbols, extra: Mapping[str, tuple[float, Optional[Dimension]]] = _NONE):
        """Units named by the spec language's own symbols (``ms``, ``nA``...), plus ``extra`` ones."""
        table = {s: (SPEC_UNITS[s][1], SPEC_UNITS[s][0]) for s in symbols}
        return cls(system, MappingProxyType({**table, **extra}))

    def si(self, unit: str) -> float:
        """SI value of one ``unit``."""
        return self.table[unit][0]

    def dimension(self, unit: str) -> Optional[Dimension]:
        return self.table[unit][1]

    def to_unit(self, unit: str, value_si):
        """An SI value expressed in ``unit`` (divided by its SI value, as the simulators' own tables do;
        a unit of SI value 1 leaves the value, and its dtype, as it is)."""
        scale = self.si(unit)
        return value_si if scale == 1.0 else np.asarray(value_si, float) / scale

    def to_si(self, unit: str, value):
        """A value in ``unit`` expressed in SI."""
        scale = self.si(unit)
        return value if scale == 1.0 else np.asarray(value, float) * scale


#: the SI units by their spec-language symbols (the reference engine's own units)
SI = Units.of_symbols("SI", ("s", "V", "A", "F", "S", "Hz", "ohm"), {"1": (1.0, Dimension.DIMENSIONLESS)})


@dataclass(frozen=True)
class Rule:
    """One simulator quantity ``target`` in ``unit``, made from the spec values ``inputs`` (see the module
    docstring). ``doc`` says what a computed rule does, for readers and error messages."""

    target: str
    unit: str
    inputs: tuple[str, ...]
    forward: Optional[Callable] = None
    reverse: Optional[Callable] = None
    doc: str = ""

    def __post_init__(self):
        if not self.inputs:
            raise ValueError(f"rule {self.target}: no inputs")
        if self.forward is None and (len(self.inputs) != 1 or self.reverse is not None):
            raise ValueError(f"rule {self.target}: a rename has exactly one input and no reverse")

    @property
    def source(self) -> str:
        """The spec name this rule recovers when read backwards."""
        return self.inputs[0]

    @property
    def is_rename(self) -> bool:
        return self.forward is None

    @property
    def reversible(self) -> bool:
        return self.is_rename or self.reverse is not None

    def apply(self, units: Units, values: Mapping[str, object]):
        """The target in ``unit`` from ``values`` (SI, keyed by spec name, plus ``dt`` if needed)."""
        args = [values[name] for name in self.inputs]
        return units.to_unit(self.unit, args[0] if self.is_rename else self.forward(*args))

    def unapply(self, units: Units, value, values: Mapping[str, object] = _NONE):
        """The SI value of :attr:`source` from the target's ``value`` (in ``unit``) and the other inputs."""
        si = units.to_si(self.unit, value)
        if self.is_rename:
            return si
        if self.reverse is None:
            raise ValueError(f"rule {self.target} has no reverse")
        return self.reverse(si, *[values[name] for name in self.inputs[1:]])


def rename(spec: str, target: str, unit: str) -> Rule:
    """The spec value ``spec`` as the simulator's ``target`` in ``unit``."""
    return Rule(target, unit, (spec,))


@dataclass(frozen=True)
class Weight:
    """What a spec weight (A, S or V, by the model's synapse kind) onto one receptor becomes: the
    simulator variable or parameter ``target`` it is added to or set as, in ``unit``, times an optional
    per-post-neuron ``factor`` computed from the post population's values ``inputs`` (SI; ``dt`` allowed).
    The weight is converted first and multiplied by the factor after: ``to_unit(w) * factor[post]``."""

    target: str
    unit: str
    inputs: tuple[str, ...] = ()
    factor: Optional[Callable] = None
    doc: str = ""

    def factors(self, values: Mapping[str, object]):
        """The per-post-neuron factor (None if the weight is only converted)."""
        return None if self.factor is None else self.factor(*[values[name] for name in self.inputs])


@dataclass(frozen=True)
class Translation:
    """The translation table of one model type on one adapter.

    ``target`` names what the model becomes (a PyNN cell type, a Brian2 membrane and synapse pair, a
    nengo neuron type). ``params`` are rules over the model's parameters, ``state`` one rule per state
    variable (its first input), ``weights`` one :class:`Weight` per receptor. ``unsupported`` maps a spec
    name to why the adapter cannot honour it; ``handled`` to how snnrun consumes it before the backend.
    """

    model: str
    target: str
    units: Units
    params: tuple[Rule, ...] = ()
    state: tuple[Rule, ...] = ()
    weights: Mapping[str, Weight] = field(default_factory=dict)
    unsupported: Mapping[str, str] = field(default_factory=dict)
    handled: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self):
        for kind, rules in (("parameter", self.params), ("state", self.state)):
            targets = [r.target for r in rules]
            if len(set(targets)) != len(targets):
                raise ValueError(f"{self.model}: two {kind} rules make the same target")
        sources = [r.source for r in self.state]
        if len(set(sources)) != len(sources):
            raise ValueError(f"{self.model}: two rules for one state variable")
        for rule in self.params + self.state:
            if rule.unit not in self.units.table:
                raise ValueError(f"{self.model}: {rule.target} in unit {rule.unit!r}, unknown to {self.units.system}")

    def with_params(self, *rules: Rule) -> "Translation":
        """This table with ``rules`` in place of the parameter rules of the same targets (a simulator's
        variant of a shared table); a rule with a new target is added."""
        given = {r.target: r for r in rules}
        kept = tuple(given.pop(r.target, r) for r in self.params)
        return replace(self, params=kept + tuple(given.values()))

    def with_weights(self, weights: Mapping[str, Weight]) -> "Translation":
        """This table with other weight rules (receptor -> Weight)."""
        return replace(self, weights=MappingProxyType({**self.weights, **weights}))

    # -- what is decided ------------------------------------------------------------------------------
    def translated(self) -> frozenset[str]:
        """Every spec name some rule reads (parameters and state variables)."""
        return frozenset(n for r in self.params + self.state for n in r.inputs if n not in CONTEXT)

    def parameters(self) -> tuple[str, ...]:
        """The spec parameters the parameter rules read, in order of first use."""
        return tuple(dict.fromkeys(n for r in self.params for n in r.inputs if n not in CONTEXT))

    def undecided(self, mtype: cat.ModelType) -> list[str]:
        """What is wrong with this table against the catalogue entry ``mtype``: a parameter or state
        variable with neither a rule nor a declaration, a name the catalogue does not have, a state
        variable that cannot be read back, a rename whose unit has another dimension."""
        out = []
        known = set(mtype.params) | set(mtype.state)
        decided = self.translated() | set(self.unsupported) | set(self.handled)
        for name in mtype.params:
            if name not in decided:
                out.append(f"parameter {name}: neither translated nor declared unsupported")
        rules = {r.source: r for r in self.state}
        for name in mtype.state:
            if name not in rules and name not in self.unsupported:
                out.append(f"state variable {name}: neither translated nor declared unsupported")
            elif name in rules and not rules[name].reversible:
                out.append(f"state variable {name}: its rule {rules[name].target} has no reverse")
        for name in sorted(decided - known):
            out.append(f"{name}: not a parameter or state variable of {mtype.name}")
        for rule in self.params + self.state:
            expected = mtype.params[rule.source].dimension if rule.source in mtype.params else mtype.state.get(rule.source)
            got = self.units.dimension(rule.unit)
            if rule.is_rename and expected is not None and got != expected:
                out.append(f"{rule.source} -> {rule.target}: unit {rule.unit} is not a {expected.value}")
        for receptor in mtype.receptors:
            weight = self.weights.get(receptor)
            if weight is None:
                out.append(f"weights onto {receptor}: not translated")
            elif weight.factor is None and self.units.dimension(weight.unit) != cat.SYNAPSE_WEIGHT_DIMENSION[mtype.synapse]:
                out.append(f"weights onto {receptor}: unit {weight.unit} is not a {mtype.synapse} weight's")
        return out

    # -- forward ------------------------------------------------------------------------------------------
    def forward(self, params: Mapping[str, object], dt: Optional[float] = None,
                targets: Optional[Collection[str]] = None) -> dict[str, object]:
        """Parameter targets (simulator names and units) from the spec parameters (SI): every one, or
        those named in ``targets``."""
        values = {**params, "dt": dt}
        return {r.target: r.apply(self.units, values) for r in self.params if targets is None or r.target in targets}

    def state_rule(self, name: str) -> Rule:
        """The rule of spec state variable ``name`` (KeyError if it has none)."""
        for rule in self.state:
            if rule.source == name:
                return rule
        raise KeyError(f"{self.model} has no translated state variable {name}")

    def state_forward(self, name: str, value, params: Mapping[str, object] = _NONE, dt: Optional[float] = None):
        """(simulator name, value in its unit) of a spec state variable's SI value (an initial value)."""
        rule = self.state_rule(name)
        return rule.target, rule.apply(self.units, {**params, name: value, "dt": dt})

    def state_reverse(self, name: str, value, params: Mapping[str, object] = _NONE, dt: Optional[float] = None):
        """The SI value of spec state variable ``name`` from the simulator's ``value`` (recorded samples;
        ``params`` for the neurons recorded, if the rule needs them)."""
        return self.state_rule(name).unapply(self.units, value, {**params, "dt": dt})

    def reverse(self, values: Mapping[str, object], params: Mapping[str, object] = _NONE,
                dt: Optional[float] = None) -> dict[str, object]:
        """Spec parameters (SI) from simulator parameters: each reversible rule whose target is given."""
        context = {**params, "dt": dt}
        return {r.source: r.unapply(self.units, values[r.target], context)
                for r in self.params if r.target in values and r.reversible}

    def weight_values(self, receptor: str, weight, post: np.ndarray, params: Mapping[str, object],
                      dt: Optional[float] = None):
        """Simulator weights of synapses onto ``receptor`` whose post neurons are ``post`` (indices into
        the post population, whose SI values are ``params``)."""
        rule = self.weights[receptor]
        converted = self.units.to_unit(rule.unit, np.asarray(weight, float))
        factor = rule.factors({**params, "dt": dt})
        return converted if factor is None else converted * factor[post]


def identity(model: str, target: str, params: tuple[str, ...], state: tuple[str, ...]) -> Translation:
    """A table that keeps the spec's names and SI units: for an engine whose vocabulary is the
    catalogue's. ``params`` and ``state`` are listed explicitly (the names the engine reads)."""
    mtype = cat.MODELS[model]

    def unit(dimension: Dimension) -> str:
        return next(u for u, (scale, d) in SI.table.items() if d == dimension and scale == 1.0)

    weights = {} if mtype.is_source else {
        r: Weight("weight", unit(cat.SYNAPSE_WEIGHT_DIMENSION[mtype.synapse])) for r in mtype.receptors}
    return Translation(model, target, SI,
                       params=tuple(rename(p, p, unit(mtype.params[p].dimension)) for p in params),
                       state=tuple(rename(s, s, unit(mtype.state[s])) for s in state),
                       weights=MappingProxyType(weights))


#: every spike source's parameters: consumed by snnrun's draw of the stamps, on every backend
SOURCE_PARAMS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "poisson": ("rate", "start", "stop"),
    "inhomogeneous_poisson": ("times", "rates"),
    "spike_array": ("spike_times",),
})


def drawn_sources(target: str, units: Units) -> dict[str, Translation]:
    """Tables of the spike sources for an adapter that replays snnrun's stamps as ``target``."""
    return {model: Translation(model, target, units, handled=MappingProxyType({p: DRAWN for p in params}))
            for model, params in SOURCE_PARAMS.items()}


def undecided(capabilities, translations: Mapping[str, Translation]) -> list[str]:
    """Every catalogue model and name an adapter has not decided about, as messages (empty: complete).

    A model the adapter claims (``capabilities.models``) needs a table with every parameter and state
    variable translated, nothing unsupported, and every recordable variable readable back. A model it
    does not claim needs an explicit reason in ``capabilities.reasons``; if it has a table anyway (PyNN's
    tables for models not driven yet), that table must be complete too.
    """
    out = []
    for model, mtype in cat.MODELS.items():
        table = translations.get(model)
        if model in capabilities.models:
            if table is None:
                out.append(f"{model}: claimed, but it has no translation table")
                continue
            out.extend(f"{model}: {msg}" for msg in table.undecided(mtype))
            # a claimed model may leave a state variable unsupported only if the adapter neither records
            # it nor lets it be initialised, i.e. its check refuses every use of it
            recordable = set(capabilities.recordables.get(model, ()))
            out.extend(f"{model}: claimed, but {name} is unsupported ({why})" for name, why in table.unsupported.items()
                       if name not in mtype.state or name in recordable)
            readable = {r.source for r in table.state}
            for var in sorted(set(capabilities.recordables.get(model, ())) - readable):
                out.append(f"{model}: {var} is declared recordable but has no state rule")
        else:
            if model not in capabilities.reasons:
                out.append(f"{model}: neither implemented nor declared unsupported with a reason")
            if table is not None:
                out.extend(f"{model}: {msg}" for msg in table.undecided(mtype))
    for model in sorted(set(translations) - set(cat.MODELS)):
        out.append(f"{model}: a translation table for a model the catalogue does not have")
    return out
