"""The nengo backend's declaration in the backend registry (entry point ``snnrun.backends``)."""

from ..base import BackendDeclaration

BACKEND = BackendDeclaration(
    name="nengo",
    adapter="snnrun.adapters.nengo.adapter:NengoAdapter",
    requires=("nengo",),
    extra="nengo",
    description="nengo's reference simulator, neuron level",
)
