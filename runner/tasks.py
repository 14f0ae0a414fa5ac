"""A sweep's tasks: one (point, seed, backend) each, named by its content, run and written atomically.

A task's key is the SHA-256 of the point's normalised spec (its ``spec_hash``, which covers the swept
values, the seed and any connection files), the seed, the backend and the snnrun version, so the same
task in a later run of the sweep has the same key and its folder is found complete. The task's folder
``tasks/<key prefix>/`` is an ordinary run folder with one backend (``snnrun.read_results`` and
``snnrun compare`` read it), written under a hidden ``.partial`` name and renamed into place only when
the backend succeeded: a folder there is a finished task, and a failed or interrupted task leaves none.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional

from .schema.model import Spec
from .schema.sweep import point_spec, thaw

#: hex characters of the key in a task's folder name (80 bits: no collision among any number of tasks
#: a machine can hold)
FOLDER_CHARS = 20


@dataclass(frozen=True)
class Task:
    """One run of one point of a sweep with one seed on one backend. ``spec`` is that point's spec (the
    swept values in place, ``seed`` set); ``key`` its content address (see module)."""

    key: str
    point: int
    seed: int
    backend: str
    spec: Spec

    @property
    def folder(self) -> str:
        """The task's folder name under the sweep's ``tasks/``."""
        return self.key[:FOLDER_CHARS]

    @property
    def label(self) -> str:
        return f"point {self.point} seed {self.seed} {self.backend}"


@dataclass
class TaskRecord:
    """What running a task gave: ``status`` "ok" (its folder is committed) or "failed" (``error`` says
    why; no folder); ``wall`` the task's own time in s (drawing the instance, the backend's run and
    writing), measured where it ran."""

    key: str
    status: str
    wall: float
    error: str = ""


def task_key(spec: Spec, seed: int, backend: str) -> str:
    """The content address of running ``spec`` (a point's spec) with ``seed`` on ``backend``."""
    from . import __version__

    payload = {"spec": spec.spec_hash, "seed": seed, "backend": backend, "snnrun": __version__}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def plan_tasks(spec: Spec, backends: Iterable[str]) -> list[Task]:
    """Every task of ``spec``'s sweep: point by point, seed by seed, backend by backend."""
    backends = list(backends)
    sweep = spec.sweep
    tasks = []
    for point in sweep.points:
        for seed in sweep.seeds_for(spec.seed):
            point_of = point_spec(spec, point, seed)
            tasks += [Task(task_key(point_of, seed, b), point.index, seed, b, point_of) for b in backends]
    return tasks


def is_complete(tasks_dir: Path, task: Task) -> bool:
    from .results import MANIFEST

    return (Path(tasks_dir) / task.folder / MANIFEST).is_file()


def spec_text(task: Task) -> str:
    """The point's spec as YAML (the task's ``spec.yaml``): run it alone with ``snnrun`` (files it names,
    such as a from_list CSV, are relative to the original spec's folder)."""
    import yaml

    head = (f"# {task.label} of the sweep in {task.spec.source.file}: this point's spec, as run "
            f"(snnrun task {task.key})\n")
    return head + yaml.safe_dump(thaw(task.spec.raw), sort_keys=False, allow_unicode=True)


def execute_task(task: Task, tasks_dir: str | os.PathLike, progress=None) -> TaskRecord:
    """Run ``task`` here (draw its instance, run its backend, write its folder) and say how it went.

    Every failure of the backend, or of writing, becomes a ``failed`` record, and nothing is left
    under ``tasks_dir``; the caller provides the isolation (a worker process of the task's own)."""
    from .execute import _manifest, _run_here
    from .adapters.registry import get_adapter
    from .instance import instantiate
    from .results import RunWriter
    from .schema.errors import SnnrunError, format_path

    started = time.perf_counter()
    writer = None
    try:
        adapter = get_adapter(task.backend)
        t0 = time.perf_counter()
        instance = instantiate(task.spec)
        draw_time = time.perf_counter() - t0
        output, error, wall = _run_here(adapter, instance, progress)
        if error is not None:
            where = f"at {format_path(error.path)}: " if error.path else ""
            return TaskRecord(task.key, "failed", time.perf_counter() - started, where + error.detail)
        manifest = _manifest(task.spec, task.backend, output, instance, draw_time, wall)
        manifest["task"] = {"key": task.key, "point": task.point, "seed": task.seed}
        writer = RunWriter(None, task.spec, spec_text(task), folder=Path(tasks_dir) / task.folder)
        writer.add(task.backend, output, manifest)
        writer.commit()
    except (SnnrunError, OSError) as exc:
        if writer is not None:
            writer.abort()
        return TaskRecord(task.key, "failed", time.perf_counter() - started, str(exc))
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
    return TaskRecord(task.key, "ok", time.perf_counter() - started)


def clear_partials(tasks_dir: Path) -> None:
    """Remove what interrupted tasks left (hidden ``.partial`` folders); only the sweep's owner calls it."""
    import shutil

    for entry in Path(tasks_dir).glob(".*.partial"):
        shutil.rmtree(entry, ignore_errors=True)


def describe_failure(task: Task, record: Optional[TaskRecord]) -> str:
    """One line for a failed task: which point, seed and backend, and why."""
    why = record.error if record is not None else "not run"
    return f"task {task.folder} ({task.label}) failed: {why}"
