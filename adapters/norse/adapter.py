"""The norse backend: Norse 1.1's own NIR import (``norse.torch.from_nir``), stepped per dt.

How it maps (adapters/nir_torch/adapter.py has the shared path): Norse reads NIR's LIF as
``LIFBoxCell`` and CubaLIF as its own ``CubaLIF`` (an ``LIBoxCell`` synapse feeding a ``LIFBoxCell``),
both forward Euler at the ``dt`` it is given (here the spec's). It ignores a LIF's ``r`` (uses 1) and
every node's ``v_reset`` (resets to 0), and its CubaLIF synapse leaks towards ``v_leak``: so the graph
is written with voltages from v_rest (v_leak = 0), r = 1 for LIF, and v_reset = v_rest is required.
"""

from __future__ import annotations

import importlib.metadata
import logging

import numpy as np

from ..nir_torch.adapter import NIRTorchAdapter, capabilities
from ...interop import nir_mapping as nm



class NorseAdapter(NIRTorchAdapter):
    """Norse 1.1 through its NIR import, CPU PyTorch, float32."""

    name = "norse"
    framework = "Norse 1.1"
    capabilities = capabilities(framework, {})

    def versions(self) -> dict[str, str]:
        out = {}
        for dist in ("norse", "torch", "nir", "nirtorch"):
            try:
                out[dist] = importlib.metadata.version(dist)
            except importlib.metadata.PackageNotFoundError:
                pass
        return out

    def gauge(self, model: str, params: dict) -> nm.Gauge:
        dt = self._dt
        if model == "lif_curr_delta":  # Norse ignores a LIF's r: it must be 1
            return nm.Gauge(np.ones_like(params["tau_m"]), np.ones_like(params["tau_m"]))
        # currents in volts-per-step units keep float32's numbers near 1
        return nm.Gauge(params["tau_m"] / dt, params["tau_syn_exc"] / dt)

    def run(self, instance, progress=None):
        self._dt = instance.dt
        return super().run(instance, progress)

    def import_graph(self, graph):
        import warnings

        from norse.torch.utils.import_nir import from_nir

        logging.getLogger().setLevel(logging.ERROR)  # Norse logs a warning per unusual parameter
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # nirtorch.load's deprecation notice
            return from_nir(graph, dt=self._dt)

    def membrane(self, module, state, node: str):
        cell_state = state.state[node][0]  # LIFBoxCell: its state; CubaLIF: (synapse state, LIFBoxCell state)
        return cell_state.v if hasattr(cell_state, "v") else cell_state[1].v
