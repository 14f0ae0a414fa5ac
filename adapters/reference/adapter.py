"""The reference engine registered as a backend named ``reference``, like any other adapter."""

from __future__ import annotations

import time

import numpy as np

from ...schema import catalogue as cat
from ..base import Adapter, Capabilities, RunOutput
from .engine import Engine
from .neurons import GROUPS
from .translation import TRANSLATIONS

_SOURCES = ("poisson", "inhomogeneous_poisson", "spike_array")
_MODELS = frozenset(GROUPS) | frozenset(_SOURCES)
#: catalogue models without a group yet, each declared (a model added to the catalogue must be too)
_NOT_YET = ("lif_cond_exp", "lif_cond_alpha", "adex_cond_exp", "adex_cond_alpha", "izhikevich", "hh_cond_exp")

CAPABILITIES = Capabilities(
    models=_MODELS,
    stimuli=frozenset(cat.STIMULI),
    recordables={m: frozenset(cat.MODELS[m].state) for m in GROUPS},
    reasons={
        **{m: "the reference engine does not implement this model type yet" for m in _NOT_YET},
        "plasticity:stdp": "the reference engine does not implement STDP yet",
        "short_term:tsodyks_markram": "the reference engine does not implement short-term plasticity yet",
        "record:weight": "weights are static in the reference engine; recording them is not implemented",
    },
)


class ReferenceAdapter(Adapter):
    """Vectorised numpy engine with exact propagators, CSR event delivery and ring-buffer delays."""

    name = "reference"
    capabilities = CAPABILITIES
    translations = TRANSLATIONS
    isolate = False  # pure numpy, no process-wide state: a worker would only add start-up time

    def versions(self) -> dict[str, str]:
        from ... import __version__
        return {"snnrun-reference": __version__, "numpy": np.__version__}

    def run(self, instance, progress=None) -> RunOutput:
        t0 = time.perf_counter()
        engine = Engine(instance)
        t1 = time.perf_counter()
        spikes, traces = engine.run(progress)
        t2 = time.perf_counter()
        return RunOutput(spikes, traces, timings={"build": t1 - t0, "run": t2 - t1}, versions=self.versions())
