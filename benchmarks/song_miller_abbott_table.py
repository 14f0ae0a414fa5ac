"""The Song-Miller-Abbott table from saved runs of specs/song_miller_abbott.yaml: per backend, the
Kolmogorov-Smirnov distance of its final weights from the reference engine's (scipy.stats.ks_2samp,
issue 10 asks at most 0.05), the share of the weights in the lowest and in the highest tenth of
[w_min, w_max] (bimodal: over 25 % in each), the post neuron's rate and the backend's wall time.

    snnrun run specs/song_miller_abbott.yaml -b reference -b pynn:nest -b pynn:neuron --compare -o OUT
    python benchmarks/song_miller_abbott_table.py OUT/song_miller_abbott/<run id> [more run folders]

Several folders (runs of the same spec and seed, so the same drawn instance) are read together; the
reference engine's weights come from the first folder that has them. Reads each backend's
final_weights.parquet, spikes.parquet and manifest.json (wall_time.backend_total, s).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parent.parent


def bounds(run: Path) -> tuple[float, float]:
    """(w_min, w_max) in S of the run's own spec copy (spec.yaml), falling back to the repository's."""
    from snnrun.schema.loader import load_spec

    path = run / "spec.yaml" if (run / "spec.yaml").exists() else REPO / "specs" / "song_miller_abbott.yaml"
    rule = load_spec(path).projections["plastic"].synapse.plasticity
    return rule.w_min, rule.w_max


def backend_folders(run: Path) -> dict[str, Path]:
    """backend name -> its folder in the run (the folders with a manifest.json naming a backend)."""
    out = {}
    for manifest in sorted(run.glob("*/manifest.json")):
        backend = json.loads(manifest.read_text()).get("backend")
        if backend:
            out[backend] = manifest.parent
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", type=Path, help="run folders (OUT/song_miller_abbott/<run id>)")
    args = ap.parse_args()
    from scipy.stats import ks_2samp

    folders: dict[str, Path] = {}
    for run in args.runs:
        for backend, folder in backend_folders(run).items():
            folders.setdefault(backend, folder)
    if "reference" not in folders:
        print("no reference results in the given folders", file=sys.stderr)
        return 2
    w_min, w_max = bounds(args.runs[0])
    final, rows = {}, []
    for backend, folder in folders.items():
        weights = pd.read_parquet(folder / "final_weights.parquet").sort_values("synapse")["weight"].to_numpy()
        final[backend] = weights
    for backend, folder in folders.items():
        manifest = json.loads((folder / "manifest.json").read_text())
        spikes = pd.read_parquet(folder / "spikes.parquet")
        n_post = int((spikes["population"] == "neuron").sum())
        x = (final[backend] - w_min) / (w_max - w_min)
        tenths = np.histogram(x, bins=10, range=(0, 1))[0] / x.size  # as benchmarks/song_miller_abbott.py
        low, high = tenths[0], tenths[-1]
        rows.append((backend, ks_2samp(final["reference"], final[backend]).statistic, 100 * low, 100 * high,
                     n_post, n_post / manifest["duration"], manifest["wall_time"].get("backend_total", float("nan"))))
    ref_spikes = next(r[4] for r in rows if r[0] == "reference")
    print("| backend | KS vs reference | lowest tenth % | highest tenth % | bimodal (> 25 % each) | post spikes "
          "| post rate Hz | vs reference | wall s |")
    print("|---|---:|---:|---:|---|---:|---:|---:|---:|")
    for backend, ks, low, high, n_post, rate, wall in rows:
        print(f"| {backend} | {ks:.4f} | {low:.1f} | {high:.1f} | {'yes' if min(low, high) > 25 else 'no'} | {n_post} "
              f"| {rate:.3f} | {100 * (n_post / ref_spikes - 1):+.2f} % | {wall:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
