"""Run a sweep: every (point, seed, backend) task of a spec's ``sweep:``, on local worker processes or a
Dask cluster, resumable.

Layout of a sweep (``<out>/<spec name>/<run id>/``; the run id is ``--run-id``, else ``sweep-`` and a
hash of the spec, seeds, backends and snnrun version, so running the same sweep again finds it)::

    sweep.json          the sweep manifest: parameters, seeds, backends, every task and its status
    spec.yaml           the spec as written
    tasks/<key>/        one run folder per finished task (content-addressed, see snnrun.tasks)
    summary.parquet     one row per point x seed x backend x population (written last)

Running a sweep again skips every task whose folder is complete and runs the others; a sweep that was
interrupted (Ctrl-C, killed) kept each task that had finished and left none half-written, and it has
no ``summary.parquet`` until every task has run. One snnrun at a time runs a sweep folder (a lock file).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Optional

from .execute import check_backends, resolve_backends
from .schema.errors import ExitCode, ResultsError, SnnrunError
from .schema.loader import load_spec
from .schema.model import Spec
from .schema.sweep import point_spec, thaw, with_seeds
from .sweep_summary import SUMMARY, SWEEP_MANIFEST, read_sweep, summary_rows, write_summary
from .tasks import Task, TaskRecord, clear_partials, describe_failure, is_complete, plan_tasks

__all__ = ["SweepFailed", "SweepOutcome", "run_sweep", "read_sweep", "default_run_id"]

SWEEP_FORMAT = 1
#: progress(done, total, failed): tasks finished (including those found complete) of all, and failed
SweepProgress = Callable[[int, int, int], None]


class SweepFailed(SnnrunError):
    """Some tasks of a sweep failed (one line each); the others are complete and summarised."""

    exit_code = ExitCode.TASKS_FAILED

    def __init__(self, failures: list[str], folder: Optional[Path] = None):
        self.failures, self.folder = failures, folder
        super().__init__("\n".join(failures))

    def lines(self) -> list[str]:
        return list(self.failures)


@dataclass
class SweepOutcome:
    """What :func:`run_sweep` did: the sweep ``folder``, its tasks, how many were found complete and
    how many ran, each failed task's line (empty when all succeeded), backends ``all`` skipped."""

    folder: Path
    tasks: list[Task]
    complete_before: int
    ran: int
    failures: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    executor: str = ""

    @property
    def summary_path(self) -> Path:
        return self.folder / SUMMARY

    def summary(self):
        """The summary table (pandas DataFrame); see :func:`snnrun.read_sweep`."""
        return read_sweep(self.folder)


def default_run_id(spec: Spec, backends: Iterable[str]) -> str:
    """``sweep-<hash>`` of the spec (its sweep included), the seeds, the backends and snnrun's version."""
    from . import __version__

    payload = {"spec": spec.spec_hash, "seeds": list(spec.sweep.seeds_for(spec.seed)), "backends": list(backends),
               "snnrun": __version__}
    return "sweep-" + hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:10]


class _FolderLock:
    """An exclusive lock on a sweep folder for this process' lifetime in it (released on exit, also
    when killed), so two snnrun processes never run, and clean up after, the same sweep at once."""

    def __init__(self, folder: Path):
        folder.mkdir(parents=True, exist_ok=True)
        self.handle = open(folder / ".lock", "w")
        try:
            import fcntl
        except ImportError:  # not POSIX: no lock
            return
        try:
            fcntl.flock(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.handle.close()
            raise ResultsError(f"{folder}: another snnrun process is running this sweep") from None

    def release(self) -> None:
        self.handle.close()


def _write_json(path: Path, data: dict) -> None:
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    partial.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(partial, path)


def _manifest(spec: Spec, run_id: str, backends: list[str], tasks: list[Task], executor: str) -> dict:
    from . import __version__

    sweep = spec.sweep
    return {
        "format": SWEEP_FORMAT, "kind": "sweep", "run_id": run_id, "spec_name": spec.name,
        "spec_file": spec.source.file, "spec_hash": spec.spec_hash, "snnrun_version": __version__,
        "mode": sweep.mode, "seeds": list(sweep.seeds_for(spec.seed)), "backends": backends,
        "parameters": [{"path": p.path, "column": p.column, "unit": p.unit, "values": thaw(p.values)}
                       for p in sweep.parameters],
        "points": [{"index": pt.index, "values": {p.path: thaw(v) for p, v in zip(sweep.parameters, pt.values)}}
                   for pt in sweep.points],
        "executor": executor, "status": "running",
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "tasks": [{"key": t.key, "folder": t.folder, "point": t.point, "seed": t.seed, "backend": t.backend,
                   "status": "pending"} for t in tasks],
    }


def _executor(dask: Optional[str], jobs: Optional[int], timeout: Optional[float], retries: int):
    if dask:
        from .executors import DaskExecutor
        return DaskExecutor(dask, jobs=jobs, timeout=timeout, retries=retries)
    from .executors import LocalExecutor
    return LocalExecutor(jobs=jobs, timeout=timeout)


def run_sweep(spec: Spec | str | os.PathLike, backend: str | Iterable[str] | None = None,
              out: str | os.PathLike = "results", *, seeds: Optional[Iterable[int]] = None,
              seed: Optional[int] = None, jobs: Optional[int] = None, dask: Optional[str] = None,
              run_id: Optional[str] = None, keep_going: bool = True, timeout: Optional[float] = None,
              retries: int = 0, progress: Optional[SweepProgress] = None,
              on_start: Optional[Callable[[str, int, int], None]] = None) -> SweepOutcome:
    """Run every task of ``spec``'s sweep (a Spec or a path) and write the sweep folder (see module).

    ``seeds`` makes a seed ensemble (replacing the sweep's seeds; a spec without a sweep becomes one
    point over these seeds); ``seed`` overrides the spec's seed (a path only). ``backend``: a name,
    names or ``"all"`` (default: the spec's ``simulation.backends``). Tasks run on ``jobs`` local worker
    processes (default: the CPUs), or on Dask with ``dask="local"`` (a LocalCluster of ``jobs`` workers)
    or a scheduler address (``"tcp://host:port"``), where a failed task is retried ``retries`` times.
    ``timeout`` (s) bounds each task. ``keep_going`` (default) runs every task whatever fails, then
    raises :class:`SweepFailed` listing the failed ones after the summary is written; without it the
    first failure stops the sweep (its finished tasks are kept; there is no summary).
    ``on_start(executor description, tasks to run, tasks already complete)`` is called once the
    tasks are planned. Backends and every point are checked before anything runs.
    """
    if not isinstance(spec, Spec):
        spec = load_spec(spec, overrides={"seed": seed} if seed is not None else None)
    elif seed is not None:
        raise ValueError("seed= needs a spec path; set the seed in the spec")
    if seeds is not None:
        spec = with_seeds(spec, tuple(seeds))
    if spec.sweep is None:
        raise ValueError(f"{spec.source.file}: the spec has no sweep: give seeds=, or run it with snnrun.run")
    sweep = spec.sweep
    first = point_spec(spec, sweep.points[0], sweep.seeds_for(spec.seed)[0])
    adapters, skipped = resolve_backends(first, backend)
    names = list(adapters)
    tasks = plan_tasks(spec, names)
    per_point = len(names) * len(sweep.seeds_for(spec.seed))
    for task in tasks[per_point::per_point]:  # the first task of every later point
        check_backends(task.spec, names)  # a swept value may need a feature a backend lacks
    run_id = run_id or default_run_id(spec, names)
    folder = Path(out) / spec.name / run_id
    lock = _FolderLock(folder)
    try:
        return _run(spec, folder, names, tasks, skipped, jobs, dask, keep_going, timeout, retries,
                    progress, on_start)
    finally:
        lock.release()


def _run(spec, folder: Path, names, tasks, skipped, jobs, dask, keep_going, timeout, retries,
         progress, on_start) -> SweepOutcome:
    tasks_dir = folder / "tasks"
    tasks_dir.mkdir(exist_ok=True)
    clear_partials(tasks_dir)
    if spec.source.file and os.path.isfile(spec.source.file):
        text = Path(spec.source.file).read_text(encoding="utf-8", errors="replace")
        (folder / "spec.yaml").write_text(text, encoding="utf-8")
    complete = {t.key for t in tasks if is_complete(tasks_dir, t)}
    todo = [t for t in tasks if t.key not in complete]
    records: dict[str, TaskRecord] = {}
    failures: list[str] = []
    executor = _executor(dask, jobs, timeout, retries) if todo else None
    description = executor.describe() if executor else "nothing to run"
    manifest = _manifest(spec, folder.name, names, tasks, executor.name if executor else "none")
    _write_json(folder / SWEEP_MANIFEST, manifest)
    if on_start is not None:
        on_start(description, len(todo), len(complete))
    done = len(complete)
    if progress is not None:
        progress(done, len(tasks), 0)
    try:
        if executor is not None:
            for task, record in executor.run(todo, tasks_dir):
                records[task.key] = record
                done += 1
                if record.status != "ok":
                    failures.append(describe_failure(task, record))
                if progress is not None:
                    progress(done, len(tasks), len(failures))
                if failures and not keep_going:
                    raise SweepFailed(failures, folder)
    except BaseException as error:
        manifest["status"] = "failed" if isinstance(error, SweepFailed) else "interrupted"
        _finish_manifest(folder, manifest, tasks, complete, records)
        clear_partials(tasks_dir)
        raise
    finally:
        if executor is not None:
            executor.close()
    write_summary(folder / SUMMARY, summary_rows(spec, tasks, tasks_dir, records))
    manifest["status"] = "complete" if not failures else "complete with failed tasks"
    _finish_manifest(folder, manifest, tasks, complete, records)
    return SweepOutcome(folder, tasks, len(complete), len(todo), failures, skipped, description)


def _finish_manifest(folder: Path, manifest: dict, tasks: list[Task], complete: set, records: dict) -> None:
    for entry, task in zip(manifest["tasks"], tasks):
        record = records.get(task.key)
        if task.key in complete:
            entry["status"] = "ok"
        elif record is not None:
            entry["status"] = record.status
            entry["wall_s"] = record.wall
            if record.error:
                entry["error"] = record.error
    manifest["finished"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    _write_json(folder / SWEEP_MANIFEST, manifest)
