"""The reference engine registered as a backend named ``reference``, like any other adapter."""

from __future__ import annotations

import time

import numpy as np

from ...numerics.adex import MAX_EXPONENT
from ...schema import catalogue as cat
from ...schema.values import value_bounds
from ..base import Adapter, Capabilities, RunOutput
from .engine import Engine
from .protocol import GROUPS

_SOURCES = ("poisson", "inhomogeneous_poisson", "spike_array")
_MODELS = frozenset(GROUPS) | frozenset(_SOURCES)

CAPABILITIES = Capabilities(
    models=_MODELS,
    stimuli=frozenset(cat.STIMULI),
    recordables={m: frozenset(cat.MODELS[m].state) for m in GROUPS},
    reasons={
        **{m: "the reference engine does not implement this model type yet"
           for m in cat.MODELS if m not in _MODELS},
        "plasticity:stdp": "the reference engine does not implement STDP yet",
        "short_term:tsodyks_markram": "the reference engine does not implement short-term plasticity yet",
        "record:weight": "weights are static in the reference engine; recording them is not implemented",
    },
)


def integrator_option(spec) -> str:
    """``simulation.options.reference.integrator`` (validated by the schema), default ``standard``."""
    options = spec.simulation.options.get("reference", {}) if spec.simulation.options else {}
    return options.get("integrator", "standard")


def _param_path(spec, population: str, param: str) -> tuple:
    """Where a population's parameter was written: its own params, else its named model's."""
    raw_pop = spec.raw.get("populations", {}).get(population, {})
    if param in raw_pop.get("params", {}):
        return ("populations", population, "params", param)
    model = spec.populations[population].model_name
    if model is not None:
        return ("models", model, "params", param)
    return ("populations", population, "model", "params", param)


class ReferenceAdapter(Adapter):
    """Vectorised numpy engine: exact propagators for linear dynamics, RK4 with exact conductances for
    the nonlinear models, CSR event delivery and ring-buffer delays (schema/semantics.md)."""

    name = "reference"
    capabilities = CAPABILITIES
    isolate = False  # pure numpy, no process-wide state: a worker would only add start-up time

    def versions(self) -> dict[str, str]:
        from ... import __version__
        return {"snnrun-reference": __version__, "numpy": np.__version__}

    def check(self, spec):
        problems = super().check(spec)
        for name, pop in spec.populations.items():
            if pop.model.type.startswith("adex_"):
                problems += self._check_adex(spec, name, pop.model.params)
        return problems

    @staticmethod
    def _check_adex(spec, name: str, params) -> list:
        """delta_t > 0, and the exponential term bounded: (v_spike - v_thresh) / delta_t at most
        ln(DBL_MAX / 1e20) (NEST's limit), so it cannot overflow (numerics.adex)."""
        delta_low = value_bounds(params["delta_t"])[0]
        if delta_low <= 0:
            return [spec.problem(_param_path(spec, name, "delta_t"),
                                 "delta_t must be positive on the reference engine (the exponential term "
                                 "divides by it; without that term the model is lif_cond_*)")]
        span = value_bounds(params["v_spike"])[1] - value_bounds(params["v_thresh"])[0]
        if span / delta_low > MAX_EXPONENT:
            return [spec.problem(_param_path(spec, name, "v_spike"),
                                 f"(v_spike - v_thresh) / delta_t can reach {span / delta_low:.4g}: the "
                                 f"exponential term would overflow above {MAX_EXPONENT:.4g}")]
        return []

    def run(self, instance, progress=None) -> RunOutput:
        t0 = time.perf_counter()
        engine = Engine(instance, integrator_option(instance.spec))
        t1 = time.perf_counter()
        spikes, traces = engine.run(progress)
        t2 = time.perf_counter()
        return RunOutput(spikes, traces, timings={"build": t1 - t0, "run": t2 - t1}, versions=self.versions())
