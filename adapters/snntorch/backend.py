"""The snntorch backend's declaration in the backend registry (entry point ``snnrun.backends``)."""

from ..base import BackendDeclaration

#: why its results differ from the reference engine's (shown in comparison reports)
CAUSES = {
    "discretisation": "forward Euler at dt = 0.1 ms: the synaptic current decays by alpha = 1 - dt/tau_syn "
                      "per step, not exp(-dt/tau_syn), and the membrane by beta = 1 - dt/tau_m with the "
                      "current at the end of the step (first order: spike times drift by O(dt))",
    "reset rule": "reset to zero (= v_rest) in the step of the spike; the reference resets to v_reset, so "
                  "the spec must have v_reset = v_rest",
    "threshold": "fires when v > v_thresh (the reference: v >= v_thresh); one threshold for the whole layer",
    "spike scaling": "a spike adds its weight to the current (or membrane) in one step: weights are scaled "
                     "by dt/tau_syn (LIF: dt/tau_m) on the way in (exact)",
    "arithmetic": "float32 (about 1e-7 relative per operation)",
}

BACKEND = BackendDeclaration(
    name="snntorch",
    adapter="snnrun.adapters.snntorch.adapter:SnnTorchAdapter",
    requires=("torch", "nir", "nirtorch", "snntorch"),
    extra="torch",
    causes=CAUSES,
    description="snnTorch 1.0 on PyTorch (CPU), through its NIR import",
)
