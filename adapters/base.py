"""The adapter contract every backend implements, and capabilities declared as data.

An adapter receives the drawn :class:`~snnrun.instance.NetworkInstance` (never draws its own network)
and returns a :class:`RunOutput` in snnrun's conventions: SI units, spike stamps at the end of the step
in which the threshold was crossed, traces on the documented recording grid (see schema/semantics.md).
Simulator types never leave the adapter; simulator exceptions become :class:`BackendError`.
"""

from __future__ import annotations

import importlib
import importlib.util
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, Optional

import numpy as np

from ..schema import catalogue as cat
from ..schema.errors import Problem
from ..schema.model import Spec

Progress = Callable[[int, int], None]  # (steps done, steps in all)


@dataclass(frozen=True)
class Capabilities:
    """What a backend can run. Anything absent is unsupported; ``reasons`` says why, per feature key
    (a model type, stimulus type, connection rule, ``plasticity:stdp``, ``record:weight``...).
    ``plasticity`` holds the rule features a backend runs (``Stdp.features()``, ``TsodyksMarkram.features()``,
    and ``stdp+tsodyks_markram`` for both on one synapse); their reasons are keyed ``plasticity:<feature>``
    and ``short_term:tsodyks_markram``."""

    models: frozenset[str]
    stimuli: frozenset[str]
    connection_rules: frozenset[str] = frozenset(cat.CONNECTION_RULES)
    plasticity: frozenset[str] = frozenset()
    recordables: Mapping[str, frozenset[str]] = field(default_factory=dict)
    record_weights: bool = False
    heterogeneous_delays: bool = True
    reasons: Mapping[str, str] = field(default_factory=dict)

    def reason(self, key: str) -> str:
        return self.reasons.get(key, "not implemented")


@dataclass(frozen=True)
class BackendDeclaration:
    """Everything snnrun needs to know about a backend before importing it, owned by the adapter and
    registered through the ``snnrun.backends`` entry point group (so a backend outside this repository
    registers the same way; see :mod:`snnrun.adapters.registry`).

    ``adapter`` is ``"module:Class"`` of the :class:`Adapter` subclass (its module must import without
    the simulator). ``requires`` are the modules the backend imports when it runs: it counts as installed
    when all of them can be found. ``extra`` is the pip extra that installs them (``snnrun[extra]``), or
    a full requirement for a backend of another distribution. ``options`` is the JSON Schema of
    ``simulation.options.<name>`` (an object schema); ``snnrun check`` validates a spec's options with it.
    ``causes`` name, for the comparison report, why the backend's results differ from the reference
    engine's where it runs a spec's numerics differently (cause -> explanation).
    """

    name: str
    adapter: str
    requires: tuple[str, ...] = ()
    extra: str = ""
    options: Mapping = field(default_factory=lambda: {"type": "object", "additionalProperties": False})
    description: str = ""
    causes: Mapping[str, str] = field(default_factory=dict)

    def load(self) -> type["Adapter"]:
        """The adapter class (imports its module, never the simulator)."""
        module, cls = self.adapter.split(":")
        return getattr(importlib.import_module(module), cls)

    def installed(self) -> bool:
        """True when every module the backend needs can be imported (without importing them)."""
        return all(importlib.util.find_spec(module) is not None for module in self.requires)

    def missing(self) -> tuple[str, ...]:
        return tuple(m for m in self.requires if importlib.util.find_spec(m) is None)

    def install_hint(self) -> str:
        """The pip command that installs this backend's extra: a third-party requirement as given; one of
        snnrun's extras from the source checkout when snnrun runs from one (an editable install: the
        package's folders beside pyproject.toml), else from the published package."""
        if not self.extra:
            return ""
        if "[" in self.extra or "=" in self.extra:
            return f"pip install '{self.extra}'"
        root = Path(__file__).resolve().parent.parent
        if (root / "pyproject.toml").is_file() and (root / "runner").is_dir():
            return f"pip install -e \".[{self.extra}]\" (in {root})"
        return f"pip install 'snnrun[{self.extra}]'"


@dataclass
class Trace:
    """A recorded state variable: ``values[i, j]`` (SI) of neuron ``neurons[j]`` at ``times[i]`` (s)."""

    times: np.ndarray
    neurons: np.ndarray
    values: np.ndarray


@dataclass
class WeightTrace:
    """Weights of synapses of one projection: ``values[i, j]`` (SI: A, S or V) of synapse ``synapses[j]``
    (its position in the drawn projection, from neuron ``pre[j]`` to ``post[j]``) at ``times[i]`` (s)."""

    times: np.ndarray
    synapses: np.ndarray
    pre: np.ndarray
    post: np.ndarray
    values: np.ndarray


@dataclass
class RunOutput:
    """What an adapter hands back. ``spikes[population] = (neuron ids int64, times float64 s)``, sorted by
    time then neuron; ``weights[projection]`` the recorded weights (a projection's ``record`` entries
    together); ``final_weights[projection]`` every synapse of every plastic projection at the end of the
    run (one time, the duration); ``timings`` in seconds (``build``, ``run``); ``versions`` of the
    simulator stack; ``parallel`` how the simulator ran, as it reports it (``threads``, ``mpi_ranks``),
    empty when the backend does not say."""

    spikes: dict[str, tuple[np.ndarray, np.ndarray]]
    traces: dict[tuple[str, str], Trace] = field(default_factory=dict)
    weights: dict[str, WeightTrace] = field(default_factory=dict)
    final_weights: dict[str, WeightTrace] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    parallel: dict[str, int] = field(default_factory=dict)


class Adapter(ABC):
    """Base of every backend. Subclasses set ``name`` and ``capabilities`` and implement ``run``."""

    name: str = ""
    capabilities: Capabilities
    #: run in a worker process of its own (simulators keep process-wide state and may crash)
    isolate: bool = True
    #: set by the registry on the adapters it hands out: the options' schema comes from it
    declaration: Optional[BackendDeclaration] = None

    def versions(self) -> dict[str, str]:
        """Versions of the simulator stack this adapter drives (empty if not installed)."""
        return {}

    def check(self, spec: Spec) -> list[Problem]:
        """Every spec element this backend cannot run, as located Problems (empty: all supported)."""
        caps, out = self.capabilities, self.check_options(spec)
        for name, pop in spec.populations.items():
            if pop.model.type not in caps.models:
                path = ("models", pop.model_name, "type") if pop.model_name else ("populations", name, "model", "type")
                out.append(spec.problem(path, f"model type {pop.model.type}: {caps.reason(pop.model.type)}"))
        for name, proj in spec.projections.items():
            path = ("projections", name)
            if proj.connect.rule not in caps.connection_rules:
                out.append(spec.problem(path + ("connect", "rule"),
                                        f"connection rule {proj.connect.rule}: {caps.reason(proj.connect.rule)}"))
            out += _rule_problems(spec, path + ("synapse",), proj.synapse, caps)
        for name, stim in spec.stimuli.items():
            if stim.type not in caps.stimuli:
                out.append(spec.problem(("stimuli", name, "type"), f"stimulus {stim.type}: {caps.reason(stim.type)}"))
        for i, rec in enumerate(spec.record):
            if rec.projection is not None:
                if not caps.record_weights:
                    out.append(spec.problem(("record", i), f"recording weights: {caps.reason('record:weight')}"))
                continue
            mtype = spec.populations[rec.population].model.type
            allowed = caps.recordables.get(mtype, frozenset())
            if rec.variable != "spikes" and mtype in caps.models and rec.variable not in allowed:
                out.append(spec.problem(("record", i, "variable"),
                                        f"recording {rec.variable} of {mtype}: {caps.reason('record:' + rec.variable)}"))
        return out

    def options(self, spec: Spec) -> Mapping:
        """This backend's ``simulation.options.<name>`` of ``spec`` (empty when it gives none)."""
        return (spec.simulation.options or {}).get(self.name, {}) or {}

    def check_options(self, spec: Spec) -> list[Problem]:
        """``simulation.options.<name>`` against the declaration's schema, one located Problem per error."""
        if self.declaration is None or self.name not in (spec.simulation.options or {}):
            return []
        from ..schema.fast_check import is_valid

        options = _plain(self.options(spec))
        if is_valid(options, dict(self.declaration.options)):  # no jsonschema import for valid options
            return []
        import jsonschema

        base = ("simulation", "options", self.name)
        validator = jsonschema.Draft202012Validator(dict(self.declaration.options))
        out = []
        for error in sorted(validator.iter_errors(options), key=lambda e: list(e.absolute_path)):
            out.append(spec.problem(base + tuple(error.absolute_path), f"{error.message} (options of backend {self.name})"))
        return out

    @abstractmethod
    def run(self, instance, progress: Optional[Progress] = None) -> RunOutput:
        """Simulate the drawn instance and return its results in snnrun's conventions."""


def _rule_problems(spec: Spec, path, synapse, caps: Capabilities) -> list[Problem]:
    """The first feature of each of a synapse's rules that ``caps`` lacks (``stdp`` before its variants
    ``stdp:nearest``, ``stdp:multiplicative``, ``stdp:axonal_delay``), and the two rules together
    (``stdp+tsodyks_markram``) when both are there and supported apart."""
    out = []
    for field_name, prefix in (("plasticity", "plasticity:"), ("short_term", "short_term:")):
        rule = getattr(synapse, field_name)
        missing = [f for f in rule.features() if f not in caps.plasticity] if rule is not None else []
        if missing:
            key = prefix + missing[0]
            out.append(spec.problem(path + (field_name,), f"{key}: {caps.reason(key)}"))
    if synapse.plasticity is not None and synapse.short_term is not None and not out \
            and "stdp+tsodyks_markram" not in caps.plasticity:
        key = "plasticity:stdp+tsodyks_markram"
        out.append(spec.problem(path + ("short_term",), f"{key}: {caps.reason(key)}"))
    return out


def _plain(value):
    """Read-only mappings of the IR as plain dicts and lists, for jsonschema."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value
