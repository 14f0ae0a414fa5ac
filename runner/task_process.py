"""``python -m snnrun.task_process``: run one pickled sweep task (stdin: ``(task, tasks_dir)``) and write
its pickled :class:`~snnrun.tasks.TaskRecord` to stdout. Used where a process cannot start
multiprocessing children (a daemonic Dask worker); see :mod:`snnrun.executors`."""

from __future__ import annotations

import os
import pickle
import sys


def main() -> None:
    from .tasks import execute_task
    from .worker import strip_mpi_environment

    strip_mpi_environment()
    task, tasks_dir = pickle.loads(sys.stdin.buffer.read())
    # simulators print banners to stdout (file descriptor 1): send them to stderr, keep 1 for the record
    record_out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    record = execute_task(task, tasks_dir)
    record_out.write(pickle.dumps(record))
    record_out.close()


if __name__ == "__main__":
    main()
