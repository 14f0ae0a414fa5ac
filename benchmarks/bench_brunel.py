"""Whole-process benchmark of Brunel (2000) model A at full size (12,500 neurons, 1.25e7 synapses, 20 kHz
Poisson drive per neuron, 1 s at dt 0.1 ms): the reference engine and pynn:nest (one drawn instance of
specs/brunel.yaml) against the hand-written native NEST script (benchmarks/brunel_nest.py), in the same run.

How each command is run, timed and measured: benchmarks/harness.py.

    python benchmarks/bench_brunel.py --repeats 3 [--only nest,snnrun-reference,snnrun-pynn-nest] [--json out.json]
"""
from __future__ import annotations

import sys

from harness import BIN, PY, main

COMMANDS = {
    "nest": ([PY, "benchmarks/brunel_nest.py"], ["benchmarks/brunel_nest.py"]),
    "snnrun-reference": ([str(BIN / "snnrun"), "specs/brunel.yaml", "--out", "{out}"],
                         [str(BIN / "snnrun"), "specs/brunel.yaml"]),
    "snnrun-pynn-nest": ([str(BIN / "snnrun"), "specs/brunel.yaml", "--backend", "pynn:nest", "--out", "{out}"],
                         [str(BIN / "snnrun"), "specs/brunel.yaml"]),
}

if __name__ == "__main__":
    sys.exit(main("Brunel 2000 model A (12,500 delta LIF, C_E 1000, 20 kHz drive, 1 s, dt 0.1 ms)", COMMANDS,
                  __doc__.splitlines()[0]))
