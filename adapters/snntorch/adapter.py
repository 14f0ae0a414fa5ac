"""The snntorch backend: snnTorch 1.0's own NIR import (``snntorch.import_nir.import_from_nir``),
stepped per dt.

How it maps (adapters/nir_torch/adapter.py has the shared path): snnTorch reads NIR's LIF as ``Leaky``
(``mem = beta mem + x``, ``beta = 1 - dt/tau``) and CubaLIF as ``Synaptic`` (``syn = alpha syn + x``,
``mem = beta mem + syn``), with dt fixed at 0.1 ms, reset to zero in the step of the spike, and one
threshold per layer. Its importer requires v_leak = 0 and, for CubaLIF, r = tau_mem / dt; it folds
``w_in dt / tau_syn`` (LIF: ``r dt / tau``) into the threshold, so the graph is written with voltages
from v_rest, r = tau / dt and w_in = tau_syn / dt, which makes those factors 1.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import io

import numpy as np

from ..nir_torch.adapter import NIRTorchAdapter, capabilities
from ...interop import nir_export
from ...interop import nir_mapping as nm
from ...schema.errors import Problem
from ...schema.model import Spec

DT = 1e-4  # s: snnTorch's NIR import hard-codes dt = 1e-4



class SnnTorchAdapter(NIRTorchAdapter):
    """snnTorch 1.0 through its NIR import, CPU PyTorch, float32, dt 0.1 ms."""

    name = "snntorch"
    framework = "snnTorch 1.0"
    capabilities = capabilities(framework, {})

    def versions(self) -> dict[str, str]:
        out = {}
        for dist in ("snntorch", "torch", "nir", "nirtorch"):
            try:
                out[dist] = importlib.metadata.version(dist)
            except importlib.metadata.PackageNotFoundError:
                pass
        return out

    def check_framework(self, spec: Spec, instance) -> list[Problem]:
        out = []
        if abs(instance.dt - DT) > 1e-12 * DT:
            out.append(spec.problem(("simulation", "dt"), f"dt {instance.dt * 1e3:g} ms: snnTorch's NIR import fixes "
                                    "dt at 0.1 ms"))
        gaps = {name: np.float32(pop.params["v_thresh"] - pop.params["v_rest"])
                for name, pop in instance.populations.items() if pop.spikes is None}
        values = np.unique(np.concatenate([np.atleast_1d(g) for g in gaps.values()])) if gaps else []
        if len(values) > 1:
            name = next(iter(gaps))
            out.append(spec.problem(nir_export._param_path(spec, name, "v_thresh"), "v_thresh - v_rest differs "
                                    "between neurons: snnTorch's NIR import needs one threshold per layer, and "
                                    "every population is one layer here"))
        return out

    def gauge(self, model: str, params: dict) -> nm.Gauge:
        if model == "lif_curr_delta":
            return nm.Gauge(params["tau_m"] / DT, np.ones_like(params["tau_m"]))
        return nm.Gauge(params["tau_m"] / DT, params["tau_syn_exc"] / DT)

    def import_graph(self, graph):
        from snntorch.import_nir import import_from_nir

        with contextlib.redirect_stdout(io.StringIO()):  # the importer prints its progress
            return import_from_nir(graph)

    def step(self, module, x, state):
        out, state = module(x, state)
        return out, state

    def membrane(self, module, state, node: str):
        return getattr(module, node).mem
