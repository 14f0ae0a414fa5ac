"""The spec language: JSON Schema, units, the hardened loader, normalisation and the typed model."""
