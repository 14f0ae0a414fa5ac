"""What per-neuron stimulus values cost: 1000 LIF neurons (1 s, dt 0.1 ms), each with its own dc amplitude
(1000 groups, one stimulus each on every backend), against the same currents given as a per-neuron
``i_offset`` (no stimulus at all) and against one dc stimulus shared by all neurons. Each case is a whole
``snnrun`` process (bench_cuba.run_once: wall time, and peak RSS of the largest process of the run),
after one untimed warm-up per backend, ``--repeats`` timed runs interleaved; medians.

    python benchmarks/stimulus_groups.py --backends reference brian2 nengo pynn:nest pynn:neuron --repeats 3
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_cuba import BIN, run_once  # noqa: E402

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
BASELINE = "per-neuron i_offset"


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
        print(f"{'backend':12} {'case':40} {'median s':>9} {'vs i_offset':>11} {'peak MiB':>9}")
        for backend in args.backends:
            def command(name):
                return [str(BIN / "snnrun"), str(specs[name]), "--backend", backend, "--out", "{out}", "-q"]
            run_once(command(BASELINE))  # warm-up: compile caches, first imports
            runs: dict[str, list[dict]] = {name: [] for name in CASES}
            for _ in range(args.repeats):
                for name in CASES:
                    result = run_once(command(name))
                    if result["returncode"] != 0:
                        raise SystemExit(f"{backend} {name} failed:\n{result['stderr_tail']}")
                    runs[name].append(result)
            base = statistics.median(r["wall_s"] for r in runs[BASELINE])
            for name, results in runs.items():
                wall = statistics.median(r["wall_s"] for r in results)
                peak = statistics.median(r["peak_mib"] for r in results)
                print(f"{backend:12} {name:40} {wall:9.2f} {wall / base:10.2f}x {peak:9.0f}")


if __name__ == "__main__":
    main()
