"""Run one backend in its own worker process.

NEST, NEURON and Brian2 keep process-wide state (kernels, compiled mechanisms, devices), and a simulator
that crashes (segfault, abort, OOM kill) must not take the other backends' results down. Each simulator
backend therefore runs in a child process: forked, so the drawn instance reaches it without copying or
pickling and the child starts without re-importing anything (spawning costs about 0.3 s per backend);
the child strips MPI variables (a pip NEST exits 127 when it sees them) before any simulator import.
Results and progress come back over a pipe; a child that dies or exceeds its timeout becomes a
:class:`BackendError` naming the backend and how it ended.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
import traceback
from typing import Optional

from .adapters.base import Adapter, Progress, RunOutput
from .schema.errors import BackendError

MPI_PREFIXES = ("PMIX_", "PMI_", "OMPI_")


def strip_mpi_environment(environ=os.environ) -> list[str]:
    """Remove MPI launcher variables from ``environ`` (in place); return the names removed."""
    removed = [k for k in environ if k.startswith(MPI_PREFIXES)]
    for key in removed:
        del environ[key]
    return removed


def _child(adapter: Adapter, instance, conn, with_progress: bool) -> None:
    # Default SIGINT handling: the parent decides what an interrupt means and terminates us.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    strip_mpi_environment()
    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] > 0.1 or done == total:
            last[0] = now
            conn.send(("progress", done, total))

    try:
        output = adapter.run(instance, progress if with_progress else None)
        conn.send(("ok", output))
    except BackendError as exc:
        conn.send(("error", exc.detail, exc.path))
    except BaseException as exc:  # reported to the parent, which raises it as a BackendError
        conn.send(("error", "".join(traceback.format_exception_only(type(exc), exc)).strip(), ()))
    finally:
        conn.close()


def run_isolated(adapter: Adapter, instance, progress: Optional[Progress] = None,
                 timeout: Optional[float] = None) -> RunOutput:
    """Run ``adapter`` on ``instance`` in a forked worker; return its RunOutput or raise BackendError.

    ``timeout`` (s) bounds the worker's wall time; None waits as long as it takes.
    """
    ctx = multiprocessing.get_context("fork")
    receiver, sender = ctx.Pipe(duplex=False)
    worker = ctx.Process(target=_child, args=(adapter, instance, sender, progress is not None),
                         name=f"snnrun-{adapter.name}", daemon=True)
    started = time.monotonic()
    worker.start()
    sender.close()
    try:
        while True:
            if receiver.poll(0.05):
                try:
                    message = receiver.recv()
                except EOFError:
                    worker.join()
                    raise BackendError(adapter.name, _how_it_ended(worker.exitcode)) from None
                if message[0] == "progress":
                    if progress is not None:
                        progress(message[1], message[2])
                    continue
                worker.join()
                if message[0] == "ok":
                    return message[1]
                raise BackendError(adapter.name, message[1], message[2])
            if not worker.is_alive() and not receiver.poll(0):
                worker.join()
                raise BackendError(adapter.name, _how_it_ended(worker.exitcode))
            if timeout is not None and time.monotonic() - started > timeout:
                raise BackendError(adapter.name, f"timed out after {timeout:g} s")
    finally:
        if worker.is_alive():
            worker.terminate()
            worker.join(5)
            if worker.is_alive():
                worker.kill()
                worker.join()
        receiver.close()


def _how_it_ended(exitcode: Optional[int]) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return f"the worker process was killed by {name} before it returned results"
    return f"the worker process exited with code {exitcode} before it returned results"
