"""The reference engine registered as a backend named ``reference``, like any other adapter."""

from __future__ import annotations

import time

import numpy as np

from ...schema import catalogue as cat
from ..base import Adapter, Capabilities, RunOutput
from .engine import Engine
from .protocol import GROUPS
from .translation import TRANSLATIONS

_SOURCES = ("poisson", "inhomogeneous_poisson", "spike_array")
_MODELS = frozenset(GROUPS) | frozenset(_SOURCES)

CAPABILITIES = Capabilities(
    models=_MODELS,
    stimuli=frozenset(cat.STIMULI),
    recordables={m: frozenset(cat.MODELS[m].state) for m in GROUPS},
    plasticity=frozenset({"stdp", "stdp:nearest", "stdp:multiplicative", "stdp:axonal_delay", "tsodyks_markram",
                          "stdp+tsodyks_markram"}),
    record_weights=True,
)


class ReferenceAdapter(Adapter):
    """Vectorised numpy engine: exact propagators for linear dynamics, RK4 with exact conductances for
    the nonlinear models, CSR event delivery and ring-buffer delays, STDP and Tsodyks-Markram synapses
    (schema/semantics.md)."""

    name = "reference"
    capabilities = CAPABILITIES
    translations = TRANSLATIONS
    isolate = False  # pure numpy, no process-wide state: a worker would only add start-up time

    def versions(self) -> dict[str, str]:
        from ... import __version__
        return {"snnrun-reference": __version__, "numpy": np.__version__}

    def check(self, spec):
        problems = super().check(spec)
        for name, pop in spec.populations.items():
            family = GROUPS.get(pop.model.type)
            check_params = getattr(getattr(family, "func", family), "check_params", None)
            if check_params is not None:
                problems += [spec.problem(spec.parameter_path(name, param), message)
                             for param, message in check_params(pop.model.params)]
        return problems

    def run(self, instance, progress=None) -> RunOutput:
        t0 = time.perf_counter()
        options = instance.backend_options("reference")
        hh = {"spike_rule": options.get("hh_spike", "crossing")}
        if "hh_max_substep_ms" in options:
            hh["max_substep"] = float(options["hh_max_substep_ms"])
        engine = Engine(instance, options.get("integrator", "standard"), options.get("kernel", "auto"), hh)
        t1 = time.perf_counter()
        spikes, traces = engine.run(progress)
        weights, final_weights = engine.plastic.recorded()
        t2 = time.perf_counter()
        return RunOutput(spikes, traces, weights, final_weights, timings={"build": t1 - t0, "run": t2 - t1},
                         versions={**self.versions(), **engine.kernel_versions()})
