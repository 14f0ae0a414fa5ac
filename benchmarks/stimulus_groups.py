"""What per-neuron stimulus values cost: 1000 LIF neurons, each with its own dc amplitude (1000 groups, one
stimulus each on every backend), against the same currents given as a per-neuron ``i_offset`` (no stimulus)
and against one dc stimulus shared by all neurons. Whole ``snnrun.run`` per case (worker process,
build and run), median of ``--repeats`` runs, interleaved.

    python benchmarks/stimulus_groups.py --backends brian2 nengo --repeats 3
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import snnrun

N = 1000
AMPLITUDES = ", ".join(f"{0.5 + i / N:.4f}" for i in range(N))
HEAD = f"""snnrun: "1.0"
name: stimulus_groups
simulation: {{duration: 1 s, dt: 0.1 ms}}
record: [{{population: cells, variable: spikes}}]
populations:
  cells:
    size: {N}
    model: {{type: lif_curr_exp, params: {{cm: 1 nF, tau_m: 20 ms, v_rest: -65 mV, v_reset: -65 mV, v_thresh: -50 mV}}}}
"""
CASES = {
    "one shared dc stimulus": HEAD + "stimuli:\n  bias: {type: dc, target: {population: cells}, amplitude: 1 nA}\n",
    "per-neuron i_offset": HEAD + f"    params: {{i_offset: {{values: [{AMPLITUDES}], unit: nA}}}}\n",
    "per-neuron dc amplitude (1000 groups)": HEAD + "stimuli:\n  bias: {type: dc, target: {population: cells}, "
                                             f"amplitude: {{values: [{AMPLITUDES}], unit: nA}}}}\n",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", nargs="+", default=["reference", "brian2", "nengo"])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        specs = {}
        for k, (name, text) in enumerate(CASES.items()):
            specs[name] = Path(folder) / f"case{k}.yaml"
            specs[name].write_text(text)
        for backend in args.backends:
            snnrun.run(specs[next(iter(CASES))], backend=backend, out=folder)  # warm-up (compile caches)
            walls: dict[str, list[float]] = {name: [] for name in CASES}
            for _ in range(args.repeats):
                for name, path in specs.items():
                    start = time.perf_counter()
                    snnrun.run(path, backend=backend, out=folder)
                    walls[name].append(time.perf_counter() - start)
            base = statistics.median(walls["per-neuron i_offset"])
            for name, values in walls.items():
                median = statistics.median(values)
                print(f"{backend:10} {name:40} {median:6.2f} s  ({median / base:.2f}x i_offset)")


if __name__ == "__main__":
    main()
