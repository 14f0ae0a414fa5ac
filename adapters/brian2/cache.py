"""Per-user caches of the Brian2 adapter, so a cost is paid once per user and not once per run.

- ``exact/``: the abstract code of Brian2's state updaters per set of equations and method. Solving the
  alpha-synapse system symbolically takes seconds (about 8 s for lif_curr_alpha on this project's
  machine type), and so does substituting HH's chained RK4 stages (about 1.5 s), on every run, in every
  process; the result depends only on the equation text, the method and the Brian2/sympy versions, so
  it is stored as text and reused (the folder keeps its first name: it held exact solutions only). The
  code is Brian2's own output.
- ``<hash>/``: one cpp_standalone project per network structure (see :func:`structure_hash`); Brian2
  rewrites only the files whose contents changed, so ``make`` recompiles nothing when the structure is
  the same and only the changed files when a constant changed.
- cython's compiled extensions stay in Brian2's own per-user cache (``~/.cython/brian_extensions``),
  shared with the user's other Brian2 work.

The root is ``$SNNRUN_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/snnrun`` (``~/.cache/snnrun``).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import tempfile
from importlib import metadata
from pathlib import Path


def cache_root() -> Path:
    """The adapter's cache folder (created on demand): ``<snnrun cache>/brian2``."""
    base = os.environ.get("SNNRUN_CACHE_DIR")
    if base:
        root = Path(base)
    else:
        xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        root = Path(xdg) / "snnrun"
    return root / "brian2"


def _versions() -> dict:
    out = {}
    for dist in ("brian2", "sympy"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = None
    return out


def _digest(doc) -> str:
    text = json.dumps(doc, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


class CachedStateUpdater:
    """A Brian2 state-update method whose result (abstract code) is memoised on disk: Brian2's registered
    method ``name`` (``exact``, ``rk4``, ...), or the ``ExplicitStateUpdater`` of ``description`` (the
    chained RK4 substeps of membranes.chained_rk4).

    Brian2 calls it as ``method(equations, variables, method_options)``. Equations whose text was
    integrated before with the same method get the stored code; others are integrated by Brian2 (which
    raises its own UnsupportedEquationsException, e.g. for non-linear equations given to ``exact``)
    and stored. A cache that cannot be written is only slower. What it saves per run: the symbolic
    solution of the alpha-current LIF (about 8 s) and the symbolic substitution of HH's chained RK4
    stages (about 1.5 s).
    """

    def __init__(self, name: str, description: str | None = None, folder: Path | None = None):
        self.__name__ = name
        self.description = description
        self.folder = folder or cache_root() / "exact"

    def _method(self):
        from brian2 import ExplicitStateUpdater
        from brian2.stateupdaters.base import StateUpdateMethod

        if self.description is not None:
            return ExplicitStateUpdater(self.description)
        return StateUpdateMethod.stateupdaters[self.__name__]

    def __call__(self, equations, variables=None, method_options=None):
        names = sorted(equations.identifiers | set(equations.names))
        kinds = {n: type(variables[n]).__name__ for n in names if variables and n in variables}
        key = {"eqs": str(equations), "kinds": kinds, "options": method_options, **_versions()}
        if self.__name__ != "exact" or self.description is not None:
            # the key of an exact solution is what it was before other methods were cached (same files)
            key.update(method=self.__name__, description=self.description)
        path = self.folder / f"{_digest(key)}.txt"
        try:
            return path.read_text(encoding="utf-8")
        except OSError:
            pass
        code = self._method()(equations, variables, method_options)
        with contextlib.suppress(OSError):
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".exact-")
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(code)
            os.replace(tmp, path)  # atomic: a parallel run reads the old file or the new one, never half
        return code


def structure_hash(plan, codegen: str) -> str:
    """Hash of what ends up in cpp_standalone's generated code: object kinds, sizes, equations, their
    state-update methods, thresholds, resets and per-step operations, on_pre statements and inlined
    constants; not the arrays (connectivity, weights, initial values, spike times), which
    Brian2 stores as data files. Two networks differing only in those arrays share one build."""
    from .models import group_code

    doc = {"codegen": codegen, "dt": plan.dt, "n_steps": plan.n_steps, **_versions(), "groups": [], "sources": [],
           "synapses": [], "probes": []}
    for g in plan.groups.values():
        code = group_code(g)
        doc["groups"].append([g.name, g.size, code.equations, code.method, code.substeps, code.threshold,
                              code.reset, code.before_update, code.after_update, sorted(g.constants.items()),
                              g.record_spikes,
                              None if g.stimulus is None else list(g.stimulus.values.shape) + [g.stimulus.every]])
    for s in plan.sources.values():
        doc["sources"].append([s.name, s.size])
    for s in plan.synapses:
        doc["synapses"].append([s.name, s.pre, s.post_group, s.target, s.on_pre,
                                "array" if not isinstance(s.weight, float) else s.weight,
                                "array" if not isinstance(s.delay, int) else s.delay])
        if s.plastic is not None:  # the rules' code and inlined constants; the post pathway's delay
            code = s.plastic
            doc["synapses"][-1] += [list(code.model), list(code.on_pre), list(code.on_post), code.factor,
                                    sorted(code.namespace.items()), s.scale_unit,
                                    "array" if not isinstance(s.scale, (float, type(None))) else s.scale,
                                    "array" if not isinstance(s.post_delay, int) else s.post_delay]
    for p in plan.probes:
        doc["probes"].append([p.group, p.brian2_name, int(p.indices.size), p.every])
    doc["weight_probes"] = [[w.synapses, int(w.indices.size), w.every] for w in plan.weight_probes]
    # a PoissonInput's rate and weight are inlined into its code, and standalone code holds the seed
    doc["poisson_inputs"] = [[p.name, p.group, p.offset, p.size, p.target, p.n, p.rate_each, p.weight, p.unit]
                             for p in plan.poisson_inputs] + [plan.seed]
    return _digest(doc)


@contextlib.contextmanager
def locked(folder: Path):
    """Hold an exclusive lock on ``folder`` (one standalone build and run at a time per project)."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder.parent / f"{folder.name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield folder
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
