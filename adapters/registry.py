"""Backend names -> adapter classes, imported only when used (a simulator import costs seconds)."""

from __future__ import annotations

import importlib

from ..schema import catalogue as cat
from ..schema.errors import ExitCode, SnnrunError
from .base import Adapter

#: backend name -> "module:Class"; the built-in reference engine is registered like any other adapter
ADAPTERS: dict[str, str] = {
    "reference": "snnrun.adapters.reference.adapter:ReferenceAdapter",
    "brian2": "snnrun.adapters.brian2.adapter:Brian2Adapter",
    "nengo": "snnrun.adapters.nengo.adapter:NengoAdapter",
    "pynn:nest": "snnrun.adapters.pynn.adapter:PyNNNestAdapter",
    "pynn:neuron": "snnrun.adapters.pynn.adapter:PyNNNeuronAdapter",
    "pynn:brian2": "snnrun.adapters.pynn.adapter:PyNNBrian2Adapter",
}


class UnknownBackend(SnnrunError, LookupError):
    exit_code = ExitCode.UNSUPPORTED


def known_backends() -> tuple[str, ...]:
    """Every backend name of the spec language (some may not be implemented or installed)."""
    return cat.BACKEND_NAMES


def get_adapter(name: str) -> Adapter:
    """An adapter instance for a backend name; UnknownBackend (exit code 4) if there is none."""
    if name not in ADAPTERS:
        if name in cat.BACKEND_NAMES:
            raise UnknownBackend(f"backend '{name}' is part of the spec language but has no adapter in this "
                                 f"snnrun version (available: {', '.join(ADAPTERS)})")
        raise UnknownBackend(f"unknown backend '{name}' (known: {', '.join(cat.BACKEND_NAMES)})")
    module, cls = ADAPTERS[name].split(":")
    try:
        adapter_module = importlib.import_module(module)
    except ImportError as exc:
        extra = name.split(":")[0]
        raise UnknownBackend(f"backend '{name}' cannot be loaded ({exc}); install it with "
                             f"pip install 'snnrun[{extra}]'") from exc
    return getattr(adapter_module, cls)()
