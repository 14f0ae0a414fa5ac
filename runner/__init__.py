"""snnrun: write a spiking network once as YAML, run it on several simulators, measure the agreement.

Public API::

    spec = snnrun.load_spec("specs/cuba.yaml")
    results = snnrun.run(spec, backend="reference", out="results")
    results.spikes            # pandas DataFrame: population, neuron, time (s)
    snnrun.read_results(results.path)
    outcome = snnrun.run_sweep("specs/sweep_fi.yaml")    # every point of a sweep, resumable
    snnrun.read_sweep(outcome.folder)                    # its summary: one row per task and population
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version as _version

from .schema.errors import (BackendError, ExitCode, ExpectationFailed, ResultsError, SnnrunError,
                            SpecError, UnsupportedFeature)

try:
    __version__ = _version("snnrun")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = [
    "__version__", "load_spec", "instantiate", "run", "read_results", "Results", "read_instance", "run_sweep",
    "read_sweep",
    "SnnrunError", "SpecError", "UnsupportedFeature", "BackendError", "ExpectationFailed",
    "ResultsError", "ExitCode",
]


def __dir__() -> list[str]:
    # the lazily imported API (load_spec, run, ...) is listed too, so dir(snnrun) and completion show it
    return sorted(set(__all__) | {n for n in globals() if n.startswith("__")})


def __getattr__(name: str):
    # Imported on first use: pandas alone costs about 0.5 s of start-up, which a command-line run of
    # the reference engine does not need.
    if name == "load_spec":
        from .schema.loader import load_spec
        return load_spec
    if name == "instantiate":
        from .instance import instantiate
        return instantiate
    if name == "run":
        from .execute import run
        return run
    if name in ("run_sweep", "read_sweep"):
        from . import sweep
        return getattr(sweep, name)
    if name == "read_instance":
        from .instance_io import read_instance
        return read_instance
    if name in ("read_results", "Results"):
        from . import results
        return getattr(results, name)
    raise AttributeError(f"module 'snnrun' has no attribute {name!r}")
