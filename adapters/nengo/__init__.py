"""The nengo backend (nengo's reference simulator, neuron level). Importing it does not import nengo,
nor the adapter's own modules until :class:`NengoAdapter` is asked for (the backend registry imports
this package for its declaration on every run of any backend)."""

__all__ = ["NengoAdapter"]


def __getattr__(name: str):
    if name == "NengoAdapter":
        from .adapter import NengoAdapter
        return NengoAdapter
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
