"""The three pynn backends' declarations in the backend registry (entry point ``snnrun.backends``)."""

from ..base import BackendDeclaration

#: ``threads`` is validated here; pynn:nest runs that many NEST threads (local_num_threads), the other
#: two refuse it above 1 in their check (semantics.md, "pynn", on what a thread count changes)
OPTIONS = {"type": "object", "additionalProperties": False, "properties": {
    "threads": {"type": "integer", "minimum": 1,
                "description": "threads of the simulator: NEST's local_num_threads on pynn:nest (default 1); "
                               "pynn:neuron and pynn:brian2 run with 1"}}}


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
