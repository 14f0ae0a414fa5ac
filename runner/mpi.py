"""``snnrun SPEC --backend pynn:neuron --mpi N``: one backend's run on N MPI processes.

The parent (snnrun) draws the instance once, as for any run, and hands it to the ranks as a pickle in a
hidden folder of the run's partial folder (on a cluster that is the results folder, which every node
sees). A forked worker, like any backend's, launches ``mpirun -n N python -m snnrun.mpi_rank FOLDER``;
every rank loads the whole instance and builds the part it owns (for pynn:neuron: PyNN's gid modulo N
ownership, see adapters/pynn/neuron_session.py), rank 0 gathers the results and writes them back as one
pickle (and, when asked, its progress to a small file): the only files a rank writes; snnrun then writes
the results folder as for any run. A backend
runs under MPI only if its adapter names an ``mpi_module`` (with ``init_mpi()``, ``finish_mpi()``);
anything else is refused before anything is drawn.

Environment: OpenMPI refuses to run as root without OMPI_ALLOW_RUN_AS_ROOT(_CONFIRM), and refuses more
ranks than cores without ``--oversubscribe``; both are set for OpenMPI where needed. MPI launcher
variables of an enclosing job (PMI_*, PMIX_*, OMPI_*) never reach a non-MPI child (worker.py strips
them: a pip NEST exits 127 when it sees them).
"""

from __future__ import annotations

import functools
import os
import pickle
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Mapping, Optional

from .schema.errors import BackendError, ExitCode, SnnrunError
from .worker import MPI_PREFIXES

#: what a rank writes to stderr before a line that explains its failure (found again in mpirun's log)
FAILURE_PREFIX = "snnrun-mpi rank "
#: the job folder's files: the instance (written by snnrun), the result (written by rank 0 only)
JOB, RESULT, LOG, PROGRESS = "job.pickle", "result.pickle", "mpirun.log", "progress"
#: how often (s) snnrun looks at rank 0's progress file while mpirun runs
PROGRESS_POLL = 0.2
#: lines of mpirun's log that say why a rank ended, when no rank said it itself
SAYS_WHY = re.compile(r"NEURON:|[Ee]rror|Segmentation fault|Killed|signal \d+")
ROOT_VARIABLES = {"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"}


class MPIUnavailable(SnnrunError):
    """``--mpi`` asked of a backend that cannot run under MPI here, or no MPI launcher is installed."""

    exit_code = ExitCode.UNSUPPORTED

    def __init__(self, backend: str, reason: str):
        self.backend, self.reason = backend, reason
        super().__init__(f"--mpi: backend '{backend}' cannot run under MPI: {reason}")


def launcher() -> Optional[str]:
    """The MPI launcher on PATH (``mpirun``, else ``mpiexec``), or None."""
    return shutil.which("mpirun") or shutil.which("mpiexec")


def check_mpi(adapters: Mapping[str, object]) -> None:
    """Raise MPIUnavailable unless every adapter can run under MPI and a launcher is installed."""
    for name, adapter in adapters.items():
        if getattr(adapter, "mpi_module", None) is None:
            refusal = getattr(adapter, "mpi_refusal", None)
            raise MPIUnavailable(name, refusal() if refusal else f"snnrun runs {name} in one process "
                                                                 "(pynn:neuron runs under MPI)")
    if launcher() is None:
        raise MPIUnavailable(next(iter(adapters)), "no mpirun or mpiexec on PATH: install an MPI runtime "
                                                   "(Debian: apt-get install openmpi-bin)")


def _is_openmpi(program: str) -> bool:
    try:
        text = subprocess.run([program, "--version"], capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return "Open MPI" in text or "OpenRTE" in text


def command(ranks: int, folder: Path, program: Optional[str] = None) -> tuple[list[str], dict]:
    """The mpirun command line and environment that run ``python -m snnrun.mpi_rank folder`` on
    ``ranks`` processes."""
    program = program or launcher()
    env = {k: v for k, v in os.environ.items() if not k.startswith(MPI_PREFIXES)}
    # NEURON prints a "no DISPLAY" warning at its MPI start on every headless node otherwise
    env.setdefault("NEURON_MODULE_OPTIONS", "-nogui")
    extra = []
    if _is_openmpi(program):
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            env.update(ROOT_VARIABLES)
        if ranks > (os.cpu_count() or 1):
            extra.append("--oversubscribe")
    return [program, "-n", str(ranks), *extra, sys.executable, "-m", "snnrun.mpi_rank", str(folder)], env


def _terminate_with_parent() -> None:
    """In mpirun's process: SIGTERM when the worker that launched it dies (a timeout, an interrupt);
    mpirun passes it on to the ranks."""
    try:
        import ctypes
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def run_under_mpi(adapter, instance, ranks: int, workdir: Path, progress=None):
    """Run ``adapter`` on ``instance`` on ``ranks`` MPI processes; return rank 0's RunOutput or raise
    BackendError. ``workdir`` holds the job folder while it runs (removed afterwards)."""
    workdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".mpi-", dir=workdir) as tmp:
        folder = Path(tmp)
        with open(folder / JOB, "wb") as f:
            pickle.dump((adapter.name, instance), f, protocol=pickle.HIGHEST_PROTOCOL)
        if progress is not None:
            (folder / PROGRESS).with_suffix(".wanted").touch()
        argv, env = command(ranks, folder)
        with open(folder / LOG, "wb") as log:
            proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                    preexec_fn=_terminate_with_parent)
            while True:
                try:
                    proc.wait(timeout=PROGRESS_POLL)
                    break
                except subprocess.TimeoutExpired:
                    _forward_progress(folder / PROGRESS, progress)
        result = folder / RESULT
        if result.is_file():
            with open(result, "rb") as f:
                status, *payload = pickle.load(f)
            if status == "ok":
                return payload[0]
            raise BackendError(adapter.name, payload[0], tuple(payload[1]))
        text = (folder / LOG).read_text(encoding="utf-8", errors="replace")
        raise BackendError(adapter.name, _why(text, proc.returncode, ranks))


def _forward_progress(path: Path, progress) -> None:
    """Rank 0's last (done, total) steps to ``progress``, if it wrote any."""
    if progress is None:
        return
    try:
        done, total = map(int, path.read_text().split())
    except (OSError, ValueError):
        return  # not written yet
    progress(done, total)


def _why(log: str, returncode: int, ranks: int) -> str:
    """One line: a rank's own failure message if it left one, else how mpirun ended and its first line."""
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    for line in lines:
        if line.startswith(FAILURE_PREFIX):
            return line
    # a simulator's abort (NEURON's hoc errors call MPI_Abort) or a crash: its own words, else mpirun's
    said = next((line for line in lines if SAYS_WHY.search(line)),
                next((line for line in lines if not set(line) <= set("-=") and not line.startswith("numprocs=")), ""))
    return f"mpirun -n {ranks} exited with code {returncode} before rank 0 returned results" + (f": {said}" if said else "")


def mpi_jobs(adapters: Mapping[str, object], instance, ranks: int, partial: Path) -> dict:
    """The worker jobs (see worker.run_jobs) that run each adapter under MPI."""
    return {name: functools.partial(run_under_mpi, adapter, instance, ranks, partial / ".mpi")
            for name, adapter in adapters.items()}


def remove_job_folders(partial: Path) -> None:
    """What a killed worker left in the partial folder (the run folder must hold only results)."""
    shutil.rmtree(partial / ".mpi", ignore_errors=True)
