"""The norse backend's declaration in the backend registry (entry point ``snnrun.backends``)."""

from ..base import BackendDeclaration

#: why its results differ from the reference engine's (shown in comparison reports)
CAUSES = {
    "discretisation": "forward Euler at dt: the synaptic current decays by (1 - dt/tau_syn) per step, not "
                      "exp(-dt/tau_syn), and the membrane integrates with the current at the end of the step "
                      "(first order: spike times drift by O(dt) against the reference's exact propagators)",
    "reset rule": "reset to v_leak (= v_rest) in the step of the spike; the reference resets to v_reset, "
                  "so the spec must have v_reset = v_rest",
    "threshold": "fires when v > v_thresh (the reference: v >= v_thresh)",
    "spike scaling": "a spike is 1 for one step of dt, so weights are divided by dt on the way in (exact)",
    "arithmetic": "float32 (about 1e-7 relative per operation)",
}

BACKEND = BackendDeclaration(
    name="norse",
    adapter="snnrun.adapters.norse.adapter:NorseAdapter",
    requires=("torch", "nir", "nirtorch", "norse"),
    extra="torch",
    causes=CAUSES,
    description="Norse 1.1 on PyTorch (CPU), through its NIR import",
)
