"""Whole-process benchmark of snnrun's parallel paths on CUBA: pynn:nest at 1 and 2 NEST threads
against native NEST at 1 and 2 threads, and pynn:neuron in one process against ``--mpi 2``.

Network: Brette et al. (2007) benchmark 2 ("CUBA"), 4000 LIF neurons, p = 0.02, 1 s at dt 0.1 ms
(specs/cuba.yaml; cuba_nest.py for the native script). The 2-thread spec is specs/cuba.yaml
with ``simulation.options: {pynn:nest: {threads: 2}}``, written to a temporary folder at start.
Peak memory is the largest single process (a rank, a thread's process), not the sum over ranks.
How each command is run, timed and measured: benchmarks/harness.py.

    python benchmarks/bench_parallel.py --repeats 3 [--only nest-1t,nest-2t] [--json out.json]
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from harness import BIN, PY, REPO, main

SNNRUN = str(BIN / "snnrun")


def threads_spec(folder: Path, threads: int) -> Path:
    """specs/cuba.yaml with NEST's thread count in its options (the spec's name stays cuba)."""
    text = (REPO / "specs" / "cuba.yaml").read_text(encoding="utf-8")
    old = "  dt: 0.1 ms\n"
    assert old in text, "specs/cuba.yaml changed: update bench_parallel.py"
    path = folder / f"cuba_threads{threads}.yaml"
    path.write_text(text.replace(old, old + f"  options: {{pynn:nest: {{threads: {threads}}}}}\n", 1), encoding="utf-8")
    return path


def commands(folder: Path) -> dict:
    two = str(threads_spec(folder, 2))
    return {
        "nest-1t": ([PY, "benchmarks/cuba_nest.py", "--threads", "1"], ["benchmarks/cuba_nest.py"]),
        "nest-2t": ([PY, "benchmarks/cuba_nest.py", "--threads", "2"], ["benchmarks/cuba_nest.py"]),
        "snnrun-pynn-nest-1t": ([SNNRUN, "specs/cuba.yaml", "-b", "pynn:nest", "--out", "{out}"], [SNNRUN]),
        "snnrun-pynn-nest-2t": ([SNNRUN, two, "-b", "pynn:nest", "--out", "{out}"], [SNNRUN, two]),
        "snnrun-pynn-neuron-1p": ([SNNRUN, "specs/cuba.yaml", "-b", "pynn:neuron", "--out", "{out}"], [SNNRUN]),
        "snnrun-pynn-neuron-mpi2": ([SNNRUN, "specs/cuba.yaml", "-b", "pynn:neuron", "--mpi", "2", "--out", "{out}"],
                                    [SNNRUN]),
    }


if __name__ == "__main__":
    with tempfile.TemporaryDirectory(prefix="snnrun_bench_parallel_") as tmp:
        argv = sys.argv[1:] if "--baseline" in sys.argv else ["--baseline", "nest-1t", *sys.argv[1:]]
        sys.exit(main("CUBA on several threads and MPI ranks (4000 LIF, p=0.02, 1 s, dt 0.1 ms)",
                      commands(Path(tmp)), __doc__.splitlines()[0], argv))
