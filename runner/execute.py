"""Run a spec on one or more backends: check capabilities, draw the instance once, run, write results."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Callable, Iterable, Optional

from .adapters.registry import get_adapter
from .expect import evaluate
from .instance import instantiate
from .results import Results, RunWriter, platform_info
from .schema.errors import BackendError, SnnrunError, UnsupportedFeature
from .schema.loader import load_spec
from .schema.model import Spec
from .worker import run_isolated

ProgressFactory = Callable[[str], Optional[Callable[[int, int], None]]]


def population_summary(spec: Spec, spikes) -> dict:
    """Per population: size, spike count and mean rate (Hz) over the whole run."""
    out = {}
    for name, pop in spec.populations.items():
        if name not in spikes:
            continue
        count = int(spikes[name][0].size)
        out[name] = {"size": pop.size, "spikes": count,
                     "rate_hz": count / (pop.size * spec.simulation.duration)}
    return out


def check_backends(spec: Spec, backends: Iterable[str]) -> dict:
    """Adapters for the backends; raises UnsupportedFeature naming every element a backend cannot run."""
    adapters = {}
    for name in backends:
        adapter = get_adapter(name)
        problems = adapter.check(spec)
        if problems:
            raise UnsupportedFeature(name, problems)
        adapters[name] = adapter
    return adapters


def run(spec: Spec | str | os.PathLike, backend: str | Iterable[str] | None = None,
        out: str | os.PathLike = "results", seed: int | None = None,
        progress: ProgressFactory | None = None, isolate: bool = True):
    """Run ``spec`` (a Spec or a path) on ``backend`` (a name or names; default the spec's own list).

    Returns a :class:`Results` for one backend, or a dict backend -> Results for several. Results are
    written under ``out`` atomically. Expectation outcomes are in each Results' manifest; the command
    line turns a failed one into exit code 6. Simulator backends run in a worker process each
    (``isolate=False`` runs them in this process, for debugging).
    """
    if not isinstance(spec, Spec):
        spec = load_spec(spec, overrides={"seed": seed} if seed is not None else None)
    elif seed is not None:
        raise ValueError("seed= needs a spec path; set the seed in the spec")
    spec_text = None
    if spec.source.file and os.path.isfile(spec.source.file):
        spec_text = Path(spec.source.file).read_text(encoding="utf-8", errors="replace")
    names = [backend] if isinstance(backend, str) else list(backend or spec.simulation.backends)
    adapters = check_backends(spec, names)
    t0 = time.perf_counter()
    instance = instantiate(spec)
    draw_time = time.perf_counter() - t0
    writer = RunWriter(out, spec, spec_text)
    results = {}
    try:
        for name, adapter in adapters.items():
            t1 = time.perf_counter()
            reporter = progress(name) if progress else None
            try:
                output = (run_isolated(adapter, instance, reporter) if adapter.isolate and isolate
                          else adapter.run(instance, reporter))
            except SnnrunError:
                raise
            except Exception as exc:  # a simulator's own exception, translated at the boundary
                raise BackendError(name, f"{type(exc).__name__}: {exc}") from exc
            run_wall = time.perf_counter() - t1
            checks = evaluate(spec, output.spikes, name)
            manifest = {
                "backend": name, "status": "ok", "spec_name": spec.name, "spec_hash": spec.spec_hash,
                "spec_version": spec.version, "snnrun_version": _version(), "simulator_versions": output.versions,
                "seed": spec.seed, "dt": spec.simulation.dt, "duration": spec.simulation.duration,
                "platform": platform_info(),
                "wall_time": {"draw_instance": draw_time, **output.timings, "backend_total": run_wall},
                "warnings": list(instance.warnings) + list(output.warnings),
                "populations": population_summary(spec, output.spikes),
                "expectations": [c.as_dict() for c in checks],
                "synapses": int(sum(p.size for p in instance.projections.values())),
            }
            writer.add(name, output, manifest)
            results[name] = manifest, output
        run_dir = writer.commit()
    except BaseException:
        writer.abort()
        raise
    out_map = {name: Results(run_dir / writer.backends[name]["folder"], manifest, output)
               for name, (manifest, output) in results.items()}
    return next(iter(out_map.values())) if len(out_map) == 1 else out_map


def _version() -> str:
    from . import __version__
    return __version__

