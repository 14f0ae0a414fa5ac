"""The reference engine's declaration in the backend registry (entry point ``snnrun.backends``)."""

from ..base import BackendDeclaration

BACKEND = BackendDeclaration(
    name="reference",
    adapter="snnrun.adapters.reference.adapter:ReferenceAdapter",
    description="snnrun's built-in engine: exact propagators, defines what a spec means",
)
