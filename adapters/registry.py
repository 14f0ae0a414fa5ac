"""The open backend registry: every backend declares itself (:class:`~.base.BackendDeclaration`) and
registers through the ``snnrun.backends`` entry point group, snnrun's own adapters included.

A backend of another distribution registers the same way, in its own ``pyproject.toml``::

    [project.entry-points."snnrun.backends"]
    mysim = "mysim_snnrun.backend:BACKEND"      # a BackendDeclaration named "mysim"

Backend names are not part of the spec language (its schema only fixes their spelling), so a new
backend needs no new language version. Adapters are imported only when used (a simulator import costs
seconds, and an adapter module imports no simulator).
"""

from __future__ import annotations

import difflib
import importlib.metadata
import warnings

from ..schema.errors import ExitCode, SnnrunError
from .base import Adapter, BackendDeclaration

ENTRY_POINT_GROUP = "snnrun.backends"


class UnknownBackend(SnnrunError, LookupError):
    exit_code = ExitCode.UNSUPPORTED


def _discover() -> dict[str, BackendDeclaration]:
    """Every declaration registered in the entry point group: the reference engine first, then snnrun's
    other backends, then other distributions' (by name within each). An entry point that does not load, or does not hold a declaration of its own
    name, is skipped with a warning: one broken plug-in must not take the other backends down."""
    found: dict[str, BackendDeclaration] = {}
    points = sorted(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP),
                    key=lambda ep: (ep.name != "reference", getattr(ep.dist, "name", "") != "snnrun", ep.name))
    for point in points:
        try:
            declaration = point.load()
        except Exception as exc:  # a third-party plug-in's import error, reported and skipped
            warnings.warn(f"backend entry point {point.name!r} ({point.value}) does not load: {exc}", stacklevel=2)
            continue
        if not isinstance(declaration, BackendDeclaration) or declaration.name != point.name:
            warnings.warn(f"backend entry point {point.name!r} ({point.value}) is not a BackendDeclaration "
                          f"named {point.name!r}; skipped", stacklevel=2)
            continue
        if point.name in found:
            warnings.warn(f"backend {point.name!r} is registered twice; {point.value} is ignored", stacklevel=2)
            continue
        found[point.name] = declaration
    return found


#: backend name -> its declaration, as registered when snnrun was imported
DECLARATIONS: dict[str, BackendDeclaration] = _discover()
#: backend name -> "module:Class" of its adapter (from the declarations; tests may swap an entry)
ADAPTERS: dict[str, str] = {name: d.adapter for name, d in DECLARATIONS.items()}


def known_backends() -> tuple[str, ...]:
    """Every registered backend name (installed or not)."""
    return tuple(ADAPTERS)


def declaration(name: str) -> BackendDeclaration:
    """The declaration of a registered backend; UnknownBackend (exit code 4) if there is none."""
    if name not in DECLARATIONS:
        if not DECLARATIONS:
            raise UnknownBackend(f"no backend is registered (entry point group {ENTRY_POINT_GROUP!r} is empty): "
                                 "snnrun's installed metadata is missing or stale; reinstall it (pip install -e .)")
        close = [b for b in DECLARATIONS if b.split(":")[-1] == name] or \
            difflib.get_close_matches(name, list(DECLARATIONS), n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise UnknownBackend(f"unknown backend '{name}' ({hint}registered: {', '.join(DECLARATIONS)})")
    return DECLARATIONS[name]


def installed(name: str) -> bool:
    """True when the modules backend ``name`` needs can be imported (without importing them)."""
    return declaration(name).installed()


def get_adapter(name: str) -> Adapter:
    """An adapter instance for a backend name; UnknownBackend (exit code 4) if there is none or its
    adapter module cannot be imported."""
    decl = declaration(name)
    module, cls = ADAPTERS[name].split(":")
    try:
        adapter_module = importlib.import_module(module)
    except ImportError as exc:
        hint = f"; install it with {decl.install_hint()}" if decl.install_hint() else ""
        raise UnknownBackend(f"backend '{name}' cannot be loaded ({exc}){hint}") from exc
    adapter = getattr(adapter_module, cls)()
    adapter.declaration = decl
    return adapter
