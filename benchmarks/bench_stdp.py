"""Whole-process benchmark of plastic synapses: CUBA with STDP on every excitatory synapse (4000 LIF,
p = 0.02, 10 s at dt 0.1 ms), the reference engine against a hand-written native NEST script of the
same network (``stdp_synapse``), in the same run; and the brian2 and nengo backends on the same spec.

Network: specs/cuba_stdp.yaml and benchmarks/cuba_stdp_nest.py (additive all-to-all STDP, tau 20 ms,
a_plus 0.005, a_minus 1.05 a_plus, w in [0, 32.4 pA], the delay dendritic). How each command is run,
timed and measured: benchmarks/harness.py.

    python benchmarks/bench_stdp.py --repeats 3 [--only nest,snnrun-reference,snnrun-brian2-cython,snnrun-nengo,
                                    snnrun-pynn-nest] [--json out.json]
"""
from __future__ import annotations

import sys

from harness import BIN, PY, main

COMMANDS = {
    "nest": ([PY, "benchmarks/cuba_stdp_nest.py"], ["benchmarks/cuba_stdp_nest.py"]),
    "snnrun-reference": ([str(BIN / "snnrun"), "specs/cuba_stdp.yaml", "--out", "{out}"],
                         [str(BIN / "snnrun"), "specs/cuba_stdp.yaml"]),
    # the same spec on the brian2 backend (cython, the default; compiled once, cached afterwards) and on
    # nengo (the reference's plastic delivery stepped by nengo operators)
    "snnrun-brian2-cython": ([str(BIN / "snnrun"), "specs/cuba_stdp.yaml", "--backend", "brian2", "--out", "{out}"],
                             [str(BIN / "snnrun"), "specs/cuba_stdp.yaml"]),
    "snnrun-nengo": ([str(BIN / "snnrun"), "specs/cuba_stdp.yaml", "--backend", "nengo", "--out", "{out}"],
                     [str(BIN / "snnrun"), "specs/cuba_stdp.yaml"]),
    # the same NEST stdp_synapse through PyNN and snnrun's pynn:nest adapter (final weights read back)
    "snnrun-pynn-nest": ([str(BIN / "snnrun"), "specs/cuba_stdp.yaml", "--backend", "pynn:nest", "--out", "{out}"],
                         [str(BIN / "snnrun"), "specs/cuba_stdp.yaml"]),
}

if __name__ == "__main__":
    sys.exit(main("CUBA with STDP on the excitatory synapses (4000 LIF, p=0.02, 10 s, dt 0.1 ms)", COMMANDS,
                  __doc__.splitlines()[0]))
