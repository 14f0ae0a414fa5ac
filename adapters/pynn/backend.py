"""The three pynn backends' declarations in the backend registry (entry point ``snnrun.backends``)."""

from ..base import BackendDeclaration

#: ``threads`` is validated here and refused above 1 by the adapters' check (snnrun runs PyNN with one
#: thread; more threads change NEST's results, see field-notes.md)
OPTIONS = {"type": "object", "additionalProperties": False, "properties": {
    "threads": {"type": "integer", "minimum": 1, "description": "threads of the simulator (only 1 for now)"}}}


def _pynn(simulator: str, module: str, cls: str) -> BackendDeclaration:
    return BackendDeclaration(
        name=f"pynn:{simulator}",
        adapter=f"snnrun.adapters.pynn.adapter:{cls}",
        requires=("pyNN", module),
        extra="pynn",
        options=OPTIONS,
        description=f"PyNN 0.13 on {simulator}",
    )


NEST = _pynn("nest", "nest", "PyNNNestAdapter")
NEURON = _pynn("neuron", "neuron", "PyNNNeuronAdapter")
BRIAN2 = _pynn("brian2", "brian2", "PyNNBrian2Adapter")
