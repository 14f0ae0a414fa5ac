"""Whole-process benchmark of the COBAHH network: the reference engine, the nengo and brian2 adapters
against hand-written native
NEST and Brian2 scripts of the same network, in the same run.

Network: Brette et al. (2007) benchmark 3 ("COBAHH"), 4000 Traub-Miles Hodgkin-Huxley neurons,
p = 0.02, 1 s at dt 0.1 ms (see cobahh_nest.py / cobahh_brian2.py / specs/cobahh.yaml).

How each command is run, timed and measured: benchmarks/harness.py.

    python benchmarks/bench_cobahh.py --repeats 3 [--only nest,snnrun-reference,snnrun-nengo] [--json out.json]
"""
from __future__ import annotations

import sys

from harness import BIN, PY, main

# name -> (argv; "{out}" is replaced by a fresh temporary directory per run,
#          paths that must exist or the command is skipped)
COMMANDS = {
    "nest": ([PY, "benchmarks/cobahh_nest.py"], ["benchmarks/cobahh_nest.py"]),
    "brian2-cython": ([PY, "benchmarks/cobahh_brian2.py", "--codegen", "cython"], ["benchmarks/cobahh_brian2.py"]),
    "snnrun-reference": ([str(BIN / "snnrun"), "specs/cobahh.yaml", "--out", "{out}"],
                         [str(BIN / "snnrun"), "specs/cobahh.yaml"]),
    # -- nengo adapter commands --
    "snnrun-nengo": ([str(BIN / "snnrun"), "specs/cobahh.yaml", "--backend", "nengo", "--out", "{out}"],
                     [str(BIN / "snnrun"), "specs/cobahh.yaml"]),
    # the brian2 backend, cython (its default target; the warm-up run fills the compile cache)
    "snnrun-brian2": ([str(BIN / "snnrun"), "specs/cobahh.yaml", "--backend", "brian2", "--out", "{out}"],
                      [str(BIN / "snnrun"), "specs/cobahh.yaml"]),
}

if __name__ == "__main__":
    sys.exit(main("COBAHH benchmark (4000 Traub-Miles HH, p=0.02, 1 s, dt 0.1 ms)", COMMANDS, __doc__.splitlines()[0]))
