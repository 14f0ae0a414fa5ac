"""``python -m snnrun.mpi_rank FOLDER``: one MPI rank of a backend's run, started by snnrun.mpi under
mpirun. Loads ``(backend, instance)`` from FOLDER/job.pickle, starts the backend's MPI before the
simulator is imported, runs it; rank 0 writes ``("ok", RunOutput)`` or ``("error", message, spec path)``
to FOLDER/result.pickle and, when snnrun asked for it (FOLDER/progress.wanted), its progress to
FOLDER/progress: the only files any rank writes. A failing rank above 0 says why on stderr (one
line, mpirun's log) and exits non-zero, which makes mpirun stop the others."""

from __future__ import annotations

import importlib
import os
import pickle
import sys
from pathlib import Path


def main() -> None:
    from .adapters.registry import get_adapter
    from .mpi import FAILURE_PREFIX, JOB, PROGRESS, RESULT
    from .schema.errors import BackendError

    folder = Path(sys.argv[1])
    with open(folder / JOB, "rb") as f:
        backend, instance = pickle.load(f)
    adapter = get_adapter(backend)
    module = importlib.import_module(adapter.mpi_module)
    rank = module.init_mpi()  # before adapter.run imports the simulator (and strips MPI variables)
    # every rank advances in the same chunks (a progress callback makes the run chunked); rank 0's
    # progress reaches snnrun through a file it replaces
    progress = _progress_file(folder / PROGRESS) if (folder / PROGRESS).with_suffix(".wanted").exists() else None
    if progress is not None and rank != 0:
        progress = _ignore
    try:
        result = ("ok", adapter.run(instance, progress))
    except BackendError as exc:
        result = ("error", exc.detail, tuple(exc.path or ()))
    except Exception as exc:  # the simulator's own exception (adapter.run translates most of them)
        result = ("error", f"{type(exc).__name__}: {exc}", ())
    if rank == 0:
        partial = folder / (RESULT + ".partial")
        with open(partial, "wb") as f:
            pickle.dump(result, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(partial, folder / RESULT)
    if result[0] != "ok":
        sys.stderr.write(f"{FAILURE_PREFIX}{rank}: {result[1]}\n")
        sys.stderr.flush()
        os._exit(1)
    sys.stdout.flush()
    sys.stderr.flush()
    module.finish_mpi()


def _progress_file(path: Path):
    def progress(done: int, total: int, note: str = "") -> None:
        partial = path.with_suffix(".partial")
        partial.write_text(f"{done} {total}")
        os.replace(partial, path)
    return progress


def _ignore(done: int, total: int, note: str = "") -> None:
    pass


if __name__ == "__main__":
    main()
