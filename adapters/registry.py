"""Backend names -> adapter classes, imported only when used (a simulator import costs seconds)."""

from __future__ import annotations

import difflib
import importlib
from pathlib import Path

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


def install_hint(extra: str) -> str:
    """The pip command that installs a backend's extra: in a source checkout (an editable install, the
    package's folders beside pyproject.toml) the checkout itself, else the published package."""
    root = Path(__file__).resolve().parent.parent
    if (root / "pyproject.toml").is_file() and (root / "runner").is_dir():
        return f"pip install -e \".[{extra}]\" (in {root})"
    return f"pip install 'snnrun[{extra}]'"


def known_backends() -> tuple[str, ...]:
    """Every backend name of the spec language (some may not be implemented or installed)."""
    return cat.BACKEND_NAMES


def get_adapter(name: str) -> Adapter:
    """An adapter instance for a backend name; UnknownBackend (exit code 4) if there is none."""
    if name not in ADAPTERS:
        if name in cat.BACKEND_NAMES:
            raise UnknownBackend(f"backend '{name}' is part of the spec language but has no adapter in this "
                                 f"snnrun version (available: {', '.join(ADAPTERS)})")
        close = [b for b in cat.BACKEND_NAMES if b.split(":")[-1] == name] or \
            difflib.get_close_matches(name, cat.BACKEND_NAMES, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise UnknownBackend(f"unknown backend '{name}' ({hint}known: {', '.join(cat.BACKEND_NAMES)})")
    module, cls = ADAPTERS[name].split(":")
    try:
        adapter_module = importlib.import_module(module)
    except ImportError as exc:
        extra = name.split(":")[0]
        raise UnknownBackend(f"backend '{name}' cannot be loaded ({exc}); install it with "
                             f"{install_hint(extra)}") from exc
    return getattr(adapter_module, cls)()
