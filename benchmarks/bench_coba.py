"""Whole-process benchmark of the COBA network: the reference engine, the nengo and brian2 adapters
against hand-written native
NEST and Brian2 scripts of the same network, in the same run.

Network: Brette et al. (2007) benchmark 1 ("COBA"), 4000 conductance-based LIF neurons,
p = 0.02, 1 s at dt 0.1 ms (see coba_nest.py / coba_brian2.py / specs/coba.yaml).

How each command is run, timed and measured: benchmarks/harness.py.

    python benchmarks/bench_coba.py --repeats 3 [--only nest,snnrun-reference,snnrun-nengo] [--json out.json]
"""
from __future__ import annotations

import sys

from harness import BIN, PY, main

# name -> (argv; "{out}" is replaced by a fresh temporary directory per run,
#          paths that must exist or the command is skipped)
COMMANDS = {
    "nest": ([PY, "benchmarks/coba_nest.py"], ["benchmarks/coba_nest.py"]),
    "brian2-cython": ([PY, "benchmarks/coba_brian2.py", "--codegen", "cython"], ["benchmarks/coba_brian2.py"]),
    "snnrun-reference": ([str(BIN / "snnrun"), "specs/coba.yaml", "--out", "{out}"],
                         [str(BIN / "snnrun"), "specs/coba.yaml"]),
    # -- nengo adapter commands --
    "snnrun-nengo": ([str(BIN / "snnrun"), "specs/coba.yaml", "--backend", "nengo", "--out", "{out}"],
                     [str(BIN / "snnrun"), "specs/coba.yaml"]),
    # the brian2 backend, cython (its default target; the warm-up run fills the compile cache)
    "snnrun-brian2": ([str(BIN / "snnrun"), "specs/coba.yaml", "--backend", "brian2", "--out", "{out}"],
                      [str(BIN / "snnrun"), "specs/coba.yaml"]),
}

if __name__ == "__main__":
    sys.exit(main("COBA benchmark (4000 conductance LIF, p=0.02, 1 s, dt 0.1 ms)", COMMANDS, __doc__.splitlines()[0]))
