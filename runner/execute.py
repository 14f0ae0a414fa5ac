"""Run a spec on one or more backends: check capabilities, draw the instance once, run the backends
(in parallel worker processes when there are several), write the results atomically.

A backend that fails (exception, crash, timeout) either aborts the run (the default of :func:`run`) or,
with ``keep_going``, is recorded as failed in the run's manifest while the other backends' results are
kept; the run folder is committed only once every backend has finished, so an interrupted run never
leaves a folder that looks complete.
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Optional

from .adapters.registry import declaration, get_adapter, installed, known_backends
from .expect import evaluate
from .instance import instantiate
from .results import Results, RunWriter, platform_info
from .schema.errors import BackendError, SnnrunError, UnsupportedFeature, format_path
from .schema.loader import load_spec
from .schema.model import Spec
from .worker import run_jobs, run_parallel

ProgressFactory = Callable[[str], Optional[Callable[[int, int], None]]]
#: status(backend, state, detail): state is "queued", "running", "done", "failed" or "skipped"
StatusCallback = Callable[[str, str, str], None]

ALL = "all"


class AllBackendsFailed(BackendError):
    """Every backend of a run failed; one line per backend."""

    def __init__(self, errors: list[BackendError]):
        self.errors = errors
        super().__init__(errors[0].backend, "; ".join(e.detail for e in errors))

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def lines(self) -> list[str]:
        return [f"every backend failed: {e}" for e in self.errors]


@dataclass
class RunOutcome:
    """What :func:`execute` did: the committed run folder, each successful backend's Results, the
    backends that failed (name -> message) and, for ``--backend all``, those skipped (name -> reason)."""

    run_dir: Optional[Path]
    results: dict[str, Results] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)


def population_summary(spec: Spec, spikes) -> dict:
    """Per population: size, spike count, mean rate (Hz) over the whole run and mean CV of inter-spike
    intervals (over neurons with at least 3 spikes; None when none has)."""
    from .compare.metrics import cv_isi_of

    out = {}
    for name, pop in spec.populations.items():
        if name not in spikes:
            continue
        ids, times = spikes[name]
        out[name] = {"size": pop.size, "spikes": int(ids.size),
                     "rate_hz": int(ids.size) / (pop.size * spec.simulation.duration),
                     "cv_isi": cv_isi_of(ids, times, pop.size)}
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


def select_all(spec: Spec) -> tuple[dict, dict[str, str]]:
    """``--backend all``: the adapters of every installed backend that can run ``spec``, and for each
    other backend the reason it is skipped (not installed, or the first unsupported feature)."""
    adapters, skipped = {}, {}
    for name in known_backends():
        try:
            adapter = get_adapter(name)
        except SnnrunError as error:
            skipped[name] = str(error)
            continue
        if not installed(name):
            skipped[name] = f"not installed (needs {', '.join(declaration(name).missing())})"
            continue
        problems = adapter.check(spec)
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            skipped[name] = f"cannot run this spec: {problems[0]}{more}"
            continue
        adapters[name] = adapter
    return adapters, skipped


def resolve_backends(spec: Spec, backend: str | Iterable[str] | None) -> tuple[dict, dict[str, str]]:
    """The adapters to run (in order, without duplicates) and the backends skipped by ``all``."""
    names = [backend] if isinstance(backend, str) else list(backend or spec.simulation.backends)
    names = list(dict.fromkeys(names))
    if ALL not in names:
        return check_backends(spec, names), {}
    adapters, skipped = select_all(spec)
    explicit = check_backends(spec, [n for n in names if n != ALL and n not in adapters])
    adapters.update(explicit)
    for name in explicit:
        skipped.pop(name, None)
    if not adapters:
        raise UnsupportedFeature("all", [spec.problem((), f"no installed backend can run this spec: {k}: {v}")
                                         for k, v in skipped.items()])  # one line per backend
    return adapters, skipped


def execute(spec: Spec | str | os.PathLike, backend: str | Iterable[str] | None = None,
            out: str | os.PathLike = "results", seed: int | None = None,
            progress: ProgressFactory | None = None, isolate: bool = True, *, keep_going: bool = False,
            timeout: float | None = None, max_workers: int | None = None,
            status: StatusCallback | None = None, run_id: str | None = None,
            save_instance: bool = False, mpi: int | None = None) -> RunOutcome:
    """Run ``spec`` on ``backend`` (a name, names, or ``"all"``) and write the run; see :func:`run`.

    Several backends run in parallel worker processes, at most ``max_workers`` at once (default: the
    number of CPUs). ``timeout`` (s) bounds each worker. ``keep_going`` records a failed backend in the
    run's manifest and keeps the others (the run fails only if every backend failed); without it the
    first failure stops the others, removes the run folder and raises :class:`BackendError`.
    ``run_id`` names the run folder (``<out>/<spec name>/<run_id>``, which must not exist yet) instead
    of a new time-stamped id, so a pipeline can name its outputs in advance.
    ``save_instance`` writes the drawn instance into the run folder's ``instance/`` (see instance_io).
    ``mpi`` runs each backend on that many MPI processes (snnrun.mpi; refused with MPIUnavailable, exit
    code 4, before anything is drawn, for a backend that cannot).
    """
    if not isinstance(spec, Spec):
        spec = load_spec(spec, overrides={"seed": seed} if seed is not None else None)
    elif seed is not None:
        raise ValueError("seed= needs a spec path; set the seed in the spec")
    if spec.sweep is not None:
        raise ValueError(f"{spec.source.file}: the spec has a sweep: run it with snnrun.run_sweep")
    spec_text = None
    if spec.source.file and os.path.isfile(spec.source.file):
        spec_text = Path(spec.source.file).read_text(encoding="utf-8", errors="replace")
    adapters, skipped = resolve_backends(spec, backend)
    if mpi is not None:
        from .mpi import check_mpi
        check_mpi(adapters)
    status = status or (lambda name, state, detail: None)
    for name, reason in skipped.items():
        status(name, "skipped", reason)
    t0 = time.perf_counter()
    instance = instantiate(spec)
    draw_time = time.perf_counter() - t0
    writer = RunWriter(out, spec, spec_text, run_id=run_id)
    outcome = RunOutcome(None, skipped=skipped)
    manifests: dict[str, dict] = {}

    errors: dict[str, BackendError] = {}

    def finished(name: str, output, error: Optional[BackendError], wall: float) -> None:
        if error is not None:
            status(name, "failed", error.detail)
            if not keep_going:
                raise error
            # recorded under the backend's name, so without the "backend 'name':" prefix of str(error)
            text = (f"at {format_path(error.path)}: " if error.path else "") + error.detail
            writer.add_failure(name, text)
            outcome.failures[name] = text
            errors[name] = error
            return
        manifest = _manifest(spec, name, output, instance, draw_time, wall)
        writer.add(name, output, manifest)
        manifests[name] = manifest
        status(name, "done", f"{wall:.1f} s")

    try:
        if save_instance:
            from .instance_io import write_instance
            write_instance(instance, writer.partial / "instance", spec_text,
                           {"name": spec.name, "seed": spec.seed, "spec_hash": spec.spec_hash})
        for name in adapters:
            status(name, "queued", "")
        in_process = mpi is None and (not isolate or (len(adapters) == 1 and not next(iter(adapters.values())).isolate))
        if mpi is not None:  # a forked worker per backend launches its mpirun
            from .mpi import mpi_jobs, remove_job_folders
            runs = run_jobs(mpi_jobs(adapters, instance, mpi, writer.partial), max_workers or 1, progress, timeout,
                            on_start=lambda name: status(name, "running", ""))
            try:
                with contextlib.closing(runs):
                    for name, output, error, wall in runs:
                        finished(name, output, error, wall)
            finally:
                remove_job_folders(writer.partial)
        elif in_process:
            for name, adapter in adapters.items():
                status(name, "running", "")
                finished(name, *_run_here(adapter, instance, progress(name) if progress else None))
        else:
            workers = max_workers or os.cpu_count() or 1
            runs = run_parallel(adapters, instance, workers, progress, timeout,
                                on_start=lambda name: status(name, "running", ""))
            with contextlib.closing(runs):
                for name, output, error, wall in runs:
                    finished(name, output, error, wall)
        if not manifests:  # nothing to keep: fail as a single backend does
            first = next(iter(errors.values()))
            if len(errors) == 1:
                raise first
            raise AllBackendsFailed(list(errors.values()))
        writer.add_stimuli(instance.stimuli)  # for plots: the currents every backend received
        run_dir = writer.commit()
    except BaseException:
        writer.abort()
        raise
    outcome.run_dir = run_dir
    outcome.results = {name: Results(run_dir / writer.backends[name]["folder"], manifests[name])
                       for name in adapters if name in manifests}
    return outcome


def run(spec: Spec | str | os.PathLike, backend: str | Iterable[str] | None = None,
        out: str | os.PathLike = "results", seed: int | None = None,
        progress: ProgressFactory | None = None, isolate: bool = True, *, keep_going: bool = False,
        timeout: float | None = None, max_workers: int | None = None, run_id: str | None = None,
        save_instance: bool = False, mpi: int | None = None):
    """Run ``spec`` (a Spec or a path) on ``backend`` (a name, names or ``"all"``; default the spec's
    own list).

    Returns a :class:`Results` for one backend, or a dict backend -> Results for several. Results are
    written under ``out`` atomically. Expectation outcomes are in each Results' manifest; the command
    line turns a failed one into exit code 6. Simulator backends run in a worker process each, several
    in parallel (``isolate=False`` runs every backend in this process, one after the other, for
    debugging). By default a failing backend raises :class:`BackendError` and leaves no run folder;
    ``keep_going=True`` records it in the run's manifest and returns the other backends' Results.
    ``run_id`` names the run folder (default: a new time-stamped id). A spec with a ``sweep`` is run
    by :func:`snnrun.run_sweep` instead. ``mpi=N`` runs the backend on N MPI processes (pynn:neuron;
    see snnrun.mpi).
    """
    outcome = execute(spec, backend, out, seed, progress, isolate, keep_going=keep_going, timeout=timeout,
                      max_workers=max_workers, run_id=run_id, save_instance=save_instance, mpi=mpi)
    ran = len(outcome.results) + len(outcome.failures)
    return next(iter(outcome.results.values())) if ran == 1 else dict(outcome.results)


def _run_here(adapter, instance, reporter):
    t1 = time.perf_counter()
    try:
        output = adapter.run(instance, reporter)
    except BackendError as error:
        return None, error, time.perf_counter() - t1
    except SnnrunError:
        raise
    except Exception as exc:  # a simulator's own exception, translated at the boundary
        error = BackendError(adapter.name, f"{type(exc).__name__}: {exc}")
        error.__cause__ = exc
        return None, error, time.perf_counter() - t1
    return output, None, time.perf_counter() - t1


def _manifest(spec: Spec, name: str, output, instance, draw_time: float, run_wall: float) -> dict:
    checks = evaluate(spec, output.spikes, name, output.traces, output.final_weights)
    return {
        "backend": name, "status": "ok", "spec_name": spec.name, "spec_hash": spec.spec_hash,
        "spec_version": spec.version, "snnrun_version": _version(), "simulator_versions": output.versions,
        "seed": spec.seed, "dt": spec.simulation.dt, "duration": spec.simulation.duration,
        "platform": platform_info(),
        "wall_time": {"draw_instance": draw_time, **output.timings, "backend_total": run_wall},
        "warnings": list(instance.warnings) + list(output.warnings),
        "populations": population_summary(spec, output.spikes),
        "expectations": [c.as_dict() for c in checks],
        "synapses": int(sum(p.size for p in instance.projections.values())),
        # threads and MPI ranks as the simulator reports them (pynn:nest, pynn:neuron); absent elsewhere
        **({"parallel": dict(output.parallel)} if output.parallel else {}),
    }


def _version() -> str:
    from . import __version__
    return __version__
