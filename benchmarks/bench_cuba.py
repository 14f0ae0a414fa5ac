"""Whole-process benchmark of the CUBA network across simulators.

Network: Brette et al. (2007) benchmark 2 ("CUBA"), 4000 LIF neurons, p = 0.02,
1 s at dt 0.1 ms (see cuba_nest.py / cuba_brian2.py for the full description).

How each command is run, timed and measured: benchmarks/harness.py.

    python benchmarks/bench_cuba.py --repeats 5 [--only nest,brian2-cython]
                                    [--baseline nest] [--json out.json]
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from harness import BIN, PY, REPO, main


def _with_kernel(kernel: str) -> Path:
    """specs/cuba.yaml with ``simulation.options.reference.kernel: kernel``, in a temporary folder."""
    path = Path(tempfile.mkdtemp(prefix="snnrun_bench_")) / f"cuba_{kernel}_kernel.yaml"
    path.write_text((REPO / "specs" / "cuba.yaml").read_text().replace(
        "  dt: 0.1 ms\n", f"  dt: 0.1 ms\n  options: {{reference: {{kernel: {kernel}}}}}\n", 1))
    return path


# CUBA is below the size from which kernel: auto compiles, so auto is numpy there; numba forces the kernel
NUMPY_SPEC, NUMBA_SPEC = _with_kernel("numpy"), _with_kernel("numba")

# name -> (argv; "{out}" is replaced by a fresh temporary directory per run,
#          paths that must exist or the command is skipped)
COMMANDS = {
    "nest": ([PY, "benchmarks/cuba_nest.py"], ["benchmarks/cuba_nest.py"]),
    "brian2-cython": ([PY, "benchmarks/cuba_brian2.py", "--codegen", "cython"],
                      ["benchmarks/cuba_brian2.py"]),
    "snnrun-reference": ([str(BIN / "snnrun"), "specs/cuba.yaml", "--out", "{out}"],
                         [str(BIN / "snnrun"), "specs/cuba.yaml"]),
    "snnrun-reference-numpy": ([str(BIN / "snnrun"), str(NUMPY_SPEC), "--out", "{out}"],
                               [str(BIN / "snnrun"), str(NUMPY_SPEC)]),
    "snnrun-reference-numba": ([str(BIN / "snnrun"), str(NUMBA_SPEC), "--out", "{out}"],
                               [str(BIN / "snnrun"), str(NUMBA_SPEC)]),
    # -- brian2 adapter commands --
    "snnrun-brian2-cython": ([str(BIN / "snnrun"), "specs/cuba.yaml", "--backend", "brian2", "--out", "{out}"],
                             [str(BIN / "snnrun"), "specs/cuba.yaml"]),
    "snnrun-brian2-cpp": ([str(BIN / "snnrun"), "specs/cuba_brian2_cpp.yaml", "--backend", "brian2", "--out", "{out}"],
                          [str(BIN / "snnrun"), "specs/cuba_brian2_cpp.yaml"]),
    "brian2-cpp": ([PY, "benchmarks/cuba_brian2.py", "--codegen", "cpp_standalone"], ["benchmarks/cuba_brian2.py"]),
    # -- pynn adapter commands --
    "snnrun-pynn-nest": ([str(BIN / "snnrun"), "specs/cuba.yaml", "--backend", "pynn:nest", "--out", "{out}"],
                         [str(BIN / "snnrun"), "specs/cuba.yaml"]),
    "pynn-nest-script": ([PY, "benchmarks/cuba_pynn.py", "--simulator", "nest"], ["benchmarks/cuba_pynn.py"]),
    "snnrun-pynn-neuron": ([str(BIN / "snnrun"), "specs/cuba.yaml", "--backend", "pynn:neuron", "--out", "{out}"],
                           [str(BIN / "snnrun"), "specs/cuba.yaml"]),
    "pynn-neuron-script": ([PY, "benchmarks/cuba_pynn.py", "--simulator", "neuron"], ["benchmarks/cuba_pynn.py"]),
    # -- nengo adapter commands --
    "nengo-script": ([PY, "benchmarks/cuba_nengo.py"], ["benchmarks/cuba_nengo.py"]),
    "snnrun-nengo": ([str(BIN / "snnrun"), "specs/cuba.yaml", "--backend", "nengo", "--out", "{out}"],
                     [str(BIN / "snnrun"), "specs/cuba.yaml"]),
}



if __name__ == "__main__":
    sys.exit(main("CUBA benchmark (4000 LIF, p=0.02, 1 s, dt 0.1 ms)", COMMANDS, __doc__.splitlines()[0]))
