"""The runs of a sweep without the sweep machinery: one process, a plain loop drawing each point's
instance and running it on the reference engine, nothing isolated, nothing written. The baseline of
bench_sweep.py: what the tasks themselves cost. Prints ``runs=<N> runs_s=<total s of the loop>``.

    python benchmarks/sweep_loop.py SPEC
"""
from __future__ import annotations

import sys
import time

from snnrun import instantiate, load_spec
from snnrun.adapters.registry import get_adapter
from snnrun.schema.sweep import point_spec


def main(path: str) -> None:
    spec = load_spec(path)
    adapter = get_adapter("reference")
    t0 = time.perf_counter()
    n = 0
    for point in spec.sweep.points:
        for seed in spec.sweep.seeds_for(spec.seed):
            adapter.run(instantiate(point_spec(spec, point, seed)))
            n += 1
    print(f"runs={n} runs_s={time.perf_counter() - t0:.6f}")


if __name__ == "__main__":
    main(sys.argv[1])
