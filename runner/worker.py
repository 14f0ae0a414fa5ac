"""Run backends (and a sweep's tasks) in worker processes of their own, one at a time or several in parallel.

NEST, NEURON and Brian2 keep process-wide state (kernels, compiled mechanisms, devices), and a simulator
that crashes (segfault, abort, OOM kill) must not take the other backends' results down. Each simulator
backend therefore runs in a child process: forked, so the drawn instance reaches it without copying or
pickling and the child starts without re-importing anything (spawning costs about 0.3 s per backend);
the child strips MPI variables (a pip NEST exits 127 when it sees them) before any simulator import.
Results and progress come back over a pipe; a child that dies or exceeds its timeout becomes a
:class:`BackendError` naming the backend and how it ended.
"""

from __future__ import annotations

import functools
import multiprocessing
import multiprocessing.connection
import os
import signal
import time
import traceback
from typing import Callable, Iterator, Mapping, Optional

from .adapters.base import Adapter, Progress, RunOutput
from .schema.errors import BackendError

MPI_PREFIXES = ("PMIX_", "PMI_", "OMPI_")


def strip_mpi_environment(environ=os.environ) -> list[str]:
    """Remove MPI launcher variables from ``environ`` (in place); return the names removed."""
    removed = [k for k in environ if k.startswith(MPI_PREFIXES)]
    for key in removed:
        del environ[key]
    return removed


def _die_with_parent(parent: Optional[int]) -> None:
    """Linux: have the kernel kill this worker when the parent dies (a killed ``snnrun`` must not leave
    simulators running on); elsewhere the worker stops at its next send to the closed pipe. ``parent``
    None: the worker's parent is a forkserver, not the process that asked for it."""
    try:
        import ctypes
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if parent is not None and os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


#: what a worker runs: called with a progress callback (or None), returns what the worker sends back
Job = Callable[[Optional[Progress]], object]


def _child(job: Job, conn, with_progress: bool, parent: Optional[int]) -> None:
    # Default SIGINT handling: the parent decides what an interrupt means and terminates us.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent(parent)
    strip_mpi_environment()
    last = [0.0]

    def progress(done: int, total: int, note: str = "") -> None:  # note: what the backend is doing
        now = time.monotonic()
        if now - last[0] > 0.1 or done == total:
            last[0] = now
            conn.send(("progress", done, total, note) if note else ("progress", done, total))

    try:
        output = job(progress if with_progress else None)
        conn.send(("ok", output))
    except BackendError as exc:
        conn.send(("error", exc.detail, exc.path))
    except BaseException as exc:  # reported to the parent, which raises it as a BackendError
        conn.send(("error", "".join(traceback.format_exception_only(type(exc), exc)).strip(), ()))
    finally:
        conn.close()


class Worker:
    """One job (a backend's run, a sweep's task) in a forked child. :meth:`poll` never blocks for long:
    it forwards progress and returns the job's result once the child has sent it, or raises
    BackendError (crash, error, timeout) naming ``name``.
    """

    def __init__(self, name: str, job: Job, progress: Optional[Progress] = None,
                 timeout: Optional[float] = None, context=None):
        """``context``: a multiprocessing context (default fork); with any other the job is pickled."""
        self.name, self.progress, self.timeout = name, progress, timeout
        ctx = context or multiprocessing.get_context("fork")
        self.receiver, sender = ctx.Pipe(duplex=False)
        parent = os.getpid() if ctx.get_start_method() == "fork" else None
        self.process = ctx.Process(target=_child, args=(job, sender, progress is not None, parent),
                                   name=f"snnrun-{name}", daemon=True)
        self.started = time.monotonic()
        self.process.start()
        sender.close()

    @property
    def wall_time(self) -> float:
        return time.monotonic() - self.started

    def handles(self) -> list:
        """What :func:`multiprocessing.connection.wait` can wait on for this worker."""
        return [self.receiver, self.process.sentinel]

    def poll(self) -> Optional[object]:
        """Handle every message waiting; the job's result when done, None while running."""
        while self.receiver.poll(0):
            try:
                message = self.receiver.recv()
            except EOFError:
                self.process.join()
                raise BackendError(self.name, _how_it_ended(self.process.exitcode)) from None
            if message[0] == "progress":
                if self.progress is not None:
                    self.progress(*message[1:])  # (done, total) or (done, total, note)
                continue
            self.process.join(5)  # a simulator's exit handlers may hang: stop() terminates it then
            if message[0] == "ok":
                return message[1]
            raise BackendError(self.name, message[1], message[2])
        if not self.process.is_alive() and not self.receiver.poll(0):
            self.process.join()
            raise BackendError(self.name, _how_it_ended(self.process.exitcode))
        if self.timeout is not None and self.wall_time > self.timeout:
            raise BackendError(self.name, f"timed out after {self.timeout:g} s")
        return None

    def wait(self):
        """Block until the job's result arrives (returned) or the worker fails (BackendError)."""
        while True:
            output = self.poll()
            if output is not None:
                return output
            multiprocessing.connection.wait(self.handles(), timeout=0.05)

    def stop(self) -> None:
        """Terminate the child if it still runs (SIGTERM, then SIGKILL after 5 s) and close the pipe."""
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(5)
            if self.process.is_alive():
                self.process.kill()
                self.process.join()
        self.receiver.close()


def run_isolated(adapter: Adapter, instance, progress: Optional[Progress] = None,
                 timeout: Optional[float] = None) -> RunOutput:
    """Run ``adapter`` on ``instance`` in a forked worker; return its RunOutput or raise BackendError.

    ``timeout`` (s) bounds the worker's wall time; None waits as long as it takes.
    """
    worker = Worker(adapter.name, functools.partial(adapter.run, instance), progress, timeout)
    try:
        return worker.wait()
    finally:
        worker.stop()


Outcome = tuple[str, Optional[object], Optional[BackendError], float]


def run_parallel(adapters: Mapping[str, Adapter], instance, max_workers: int,
                 progress: Optional[Callable[[str], Optional[Progress]]] = None,
                 timeout: Optional[float] = None,
                 on_start: Optional[Callable[[str], None]] = None) -> Iterator[Outcome]:
    """Run each adapter on ``instance`` in a worker of its own, at most ``max_workers`` at once, in the
    given order; see :func:`run_jobs`."""
    jobs = {name: functools.partial(adapter.run, instance) for name, adapter in adapters.items()}
    return run_jobs(jobs, max_workers, progress, timeout, on_start)


def run_jobs(jobs: Mapping[str, Job], max_workers: int,
             progress: Optional[Callable[[str], Optional[Progress]]] = None,
             timeout: Optional[float] = None,
             on_start: Optional[Callable[[str], None]] = None) -> Iterator[Outcome]:
    """Run each job in a worker of its own, at most ``max_workers`` at once, in the given order.

    Yields ``(name, result, None, wall s)`` or ``(name, None, BackendError, wall s)`` as each finishes.
    ``timeout`` (s) applies to each worker from its own start. Closing the generator (or an exception
    in the caller, such as KeyboardInterrupt) terminates every worker still running.
    """
    queue = list(jobs.items())
    running: dict[str, Worker] = {}
    try:
        while queue or running:
            while queue and len(running) < max(1, max_workers):
                name, job = queue.pop(0)
                if on_start is not None:
                    on_start(name)
                running[name] = Worker(name, job, progress(name) if progress else None, timeout)
            handles = [h for w in running.values() for h in w.handles()]
            multiprocessing.connection.wait(handles, timeout=0.05)
            for name in list(running):
                worker = running[name]
                try:
                    output = worker.poll()
                except BackendError as error:
                    worker.stop()
                    del running[name]
                    yield name, None, error, worker.wall_time
                    continue
                if output is not None:
                    worker.stop()
                    del running[name]
                    yield name, output, None, worker.wall_time
    finally:
        for worker in running.values():
            worker.stop()


def _how_it_ended(exitcode: Optional[int]) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return f"the worker process was killed by {name} before it returned results"
    return f"the worker process exited with code {exitcode} before it returned results"
