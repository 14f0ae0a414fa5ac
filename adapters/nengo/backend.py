"""The nengo backend's declaration in the backend registry (entry point ``snnrun.backends``)."""

from ..base import BackendDeclaration

BACKEND = BackendDeclaration(
    name="nengo",
    adapter="snnrun.adapters.nengo.adapter:NengoAdapter",
    requires=("nengo",),
    extra="nengo",
    options={"type": "object", "additionalProperties": False, "properties": {
        "integrator": {"enum": ["standard", "euler"],
                       "description": "as the reference engine's option: standard: the schemes of "
                                      "schema/semantics.md; euler: forward Euler on every state variable of the "
                                      "conductance, AdEx, Izhikevich and HH models (the current-based LIF models "
                                      "take their exact propagators only)"}}},
    description="nengo's reference simulator, neuron level",
)
