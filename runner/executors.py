"""Executors: what runs a sweep's tasks. Local worker processes (the default) or a Dask cluster.

Every task runs in a process of its own, as a single run's backends do (a simulator's crash or
timeout fails its task, not the sweep; NEST, NEURON and Brian2 keep process-wide state):

- :class:`LocalExecutor` forks one worker per task from this process, at most ``jobs`` at once
  (:func:`snnrun.worker.run_jobs`). snnrun's own modules and pyarrow are imported here first, so a
  task's worker starts with them; simulators are not (a forked NEST or OpenMP runtime is not safe).
- :class:`DaskExecutor` submits one Dask task per sweep task (Dask schedules them, retries a failed one
  ``retries`` times and shows them on its dashboard). Dask's worker processes are daemonic by default
  and multiprocessing refuses to start children from a daemonic process, and a Dask worker runs
  threads, so forking it is unsafe too. So on a Dask worker the task runs in a child started by a
  *forkserver* (a single-threaded server process per Dask worker, started once, which forks a child
  per task) when the worker is not daemonic (``distributed.worker.daemon: false``; ``--dask local``
  starts its cluster that way), else in a fresh ``python -m snnrun.task_process`` (any cluster, about
  half a second more per task).
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import pickle
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Iterator, Optional, Sequence

from .schema.errors import BackendError
from .tasks import Task, TaskRecord, execute_task

#: modules a forkserver (and this process, before forking workers) imports once, so tasks do not
#: (pyarrow imports pandas when it builds a table: about half a second a task if a worker has to)
PRELOAD = ("snnrun.tasks", "snnrun.execute", "snnrun.instance", "snnrun.results", "snnrun.compare.metrics",
           "snnrun.adapters.registry", "pyarrow.parquet", "pyarrow.compute", "pandas")

Finished = tuple[Task, TaskRecord]


def preload(backends: Sequence[str] = ()) -> None:
    """Import what every task needs, and the adapters of ``backends`` (their simulators import later,
    inside the task)."""
    import importlib

    from .adapters.registry import get_adapter

    for module in PRELOAD:
        importlib.import_module(module)
    for name in backends:
        get_adapter(name)


class LocalExecutor:
    """Each task in a forked worker process, at most ``jobs`` at once (default: the number of CPUs);
    ``timeout`` (s) bounds each task."""

    name = "local"

    def __init__(self, jobs: Optional[int] = None, timeout: Optional[float] = None):
        self.jobs = jobs or os.cpu_count() or 1
        self.timeout = timeout

    def describe(self) -> str:
        return f"{self.jobs} local worker process{'es' if self.jobs > 1 else ''}"

    def run(self, tasks: Sequence[Task], tasks_dir: Path) -> Iterator[Finished]:
        """Run ``tasks``; yield each with its record as it finishes. Closing the iterator (or an
        exception in the caller) stops every task still running."""
        from .worker import run_jobs

        preload(sorted({t.backend for t in tasks}))
        by_key = {t.key: t for t in tasks}
        jobs = {t.key: functools.partial(execute_task, t, str(tasks_dir)) for t in tasks}
        runs = run_jobs(jobs, self.jobs, None, self.timeout)
        try:
            for key, record, error, wall in runs:
                if error is not None:
                    record = TaskRecord(key, "failed", wall, error.detail)
                yield by_key[key], record
        finally:
            runs.close()

    def close(self) -> None:
        pass


class TaskFailed(RuntimeError):
    """Raised on a Dask worker for a failed task, so that Dask records it (and retries it)."""


def run_task_isolated(task: Task, tasks_dir: str, timeout: Optional[float] = None) -> TaskRecord:
    """Run ``task`` in a child process of this (Dask worker) process; raise TaskFailed when it failed."""
    started = time.perf_counter()
    if multiprocessing.current_process().daemon:
        record = run_task_subprocess(task, tasks_dir, timeout)
    else:
        from .worker import Worker

        context = _forkserver()
        worker = Worker(task.folder, functools.partial(execute_task, task, tasks_dir), None, timeout,
                        context=context)
        try:
            record = worker.wait()
        except BackendError as error:
            record = TaskRecord(task.key, "failed", time.perf_counter() - started, error.detail)
        finally:
            worker.stop()
    if record.status != "ok":
        raise TaskFailed(record.error)
    return record


@functools.lru_cache(maxsize=1)
def _forkserver():
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(PRELOAD))
    return context


def run_task_subprocess(task: Task, tasks_dir: str, timeout: Optional[float] = None) -> TaskRecord:
    """Run ``task`` in a fresh ``python -m snnrun.task_process`` (the task goes in pickled on stdin, its
    record comes back pickled on stdout); for processes that cannot start multiprocessing children."""
    started = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, "-m", "snnrun.task_process"], input=pickle.dumps((task, tasks_dir)),
                              capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return TaskRecord(task.key, "failed", time.perf_counter() - started, f"timed out after {timeout:g} s")
    if done.returncode != 0 or not done.stdout:
        tail = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or [""]
        how = (f"killed by signal {-done.returncode}" if done.returncode < 0 else f"exited with code {done.returncode}")
        return TaskRecord(task.key, "failed", time.perf_counter() - started,
                          f"the task process {how} before it returned results {tail[0]}".strip())
    return pickle.loads(done.stdout)


class DaskExecutor:
    """Tasks on a Dask cluster: ``address`` "local" starts a ``distributed.LocalCluster`` of ``jobs``
    single-threaded worker processes (default: the number of CPUs); any other address
    (``tcp://host:port``) connects to a running scheduler. ``retries``: how many times Dask reruns a
    failed task; ``timeout`` (s) bounds each task."""

    name = "dask"

    def __init__(self, address: str, jobs: Optional[int] = None, timeout: Optional[float] = None,
                 retries: int = 0):
        import dask
        from distributed import Client, LocalCluster

        self.timeout, self.retries, self.cluster = timeout, retries, None
        if address == "local":
            with dask.config.set({"distributed.worker.daemon": False}):  # tasks start their own children
                self.cluster = LocalCluster(n_workers=jobs or os.cpu_count() or 1, threads_per_worker=1,
                                            processes=True, dashboard_address=":0")
            self.client = Client(self.cluster)
        else:
            self.client = Client(address)

    @property
    def dashboard(self) -> Optional[str]:
        return self.client.dashboard_link

    def describe(self) -> str:
        workers = len(self.client.scheduler_info().get("workers", {}))
        where = "a local Dask cluster" if self.cluster is not None else f"Dask at {self.client.scheduler.address}"
        return f"{where} ({workers} workers; dashboard {self.dashboard})"

    def run(self, tasks: Sequence[Task], tasks_dir: Path) -> Iterator[Finished]:
        from distributed import as_completed

        futures, by_key = [], {}
        for task in tasks:
            future = self.client.submit(run_task_isolated, task, str(tasks_dir), self.timeout,
                                        key=f"snnrun-task-{task.folder}-{uuid.uuid4().hex[:8]}",
                                        retries=self.retries, pure=False)
            futures.append(future)
            by_key[future.key] = task
        try:
            for future in as_completed(futures):
                task = by_key[future.key]
                if future.status == "finished":
                    yield task, future.result()
                else:
                    exc = future.exception()
                    message = str(exc) if isinstance(exc, TaskFailed) else f"{type(exc).__name__}: {exc}"
                    yield task, TaskRecord(task.key, "failed", 0.0, message)
                future.release()
        finally:
            self.client.cancel(futures)

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()
