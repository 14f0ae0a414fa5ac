"""The brian2 backend's declaration in the backend registry (entry point ``snnrun.backends``)."""

from ..base import BackendDeclaration

BACKEND = BackendDeclaration(
    name="brian2",
    adapter="snnrun.adapters.brian2.adapter:Brian2Adapter",
    requires=("brian2",),
    extra="brian2",
    options={"type": "object", "additionalProperties": False, "properties": {
        "codegen": {"enum": ["numpy", "cython", "cpp_standalone"],
                    "description": "Brian2's code generation target (default cython)"}}},
    description="Brian2 2.9, each model with its stated method (exact, rk4), any code generation target",
)
