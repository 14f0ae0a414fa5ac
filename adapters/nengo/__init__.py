"""The nengo backend (nengo's reference simulator, neuron level). Importing it does not import nengo."""

from .adapter import NengoAdapter

__all__ = ["NengoAdapter"]
