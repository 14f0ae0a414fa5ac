"""The built-in reference engine: defines what a spec means (schema/semantics.md) and needs no simulator."""
