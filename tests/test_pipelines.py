"""docs/pipelines.md's Snakemake workflow runs as written: its outputs appear where its rules say."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def snakefile() -> str:
    text = (ROOT / "docs" / "pipelines.md").read_text(encoding="utf-8")
    section = text.split("## Snakemake", 1)[1].split("\n## ", 1)[0]
    (block,) = [b for b in re.findall(r"```python\n(.*?)```", section, re.S) if b.startswith("# Snakefile")]
    return block


def test_the_snakemake_example_runs(tmp_path):
    (tmp_path / "Snakefile").write_text(snakefile())
    (tmp_path / "specs").mkdir()
    for name in ("sweep_fi.yaml", "compare_small.yaml"):
        shutil.copy(ROOT / "specs" / name, tmp_path / "specs" / name)
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    proc = subprocess.run([str(BIN / "snakemake"), "--cores", "2", "--quiet", "all"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    with open(tmp_path / "fi_curve.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 11  # one row per i_offset value of specs/sweep_fi.yaml
    currents = [float(r["populations.cell.params.i_offset [A]"]) for r in rows]
    rates = [float(r["rate [Hz]"]) for r in rows]
    assert currents == sorted(currents) and rates == sorted(rates)
    assert rates[0] == 0 and rates[-1] > 50  # below rheobase (0.75 nA) silent; 63 Hz at 1.5 nA
    for seed in (1, 2):
        manifest = json.loads((tmp_path / "results" / "compare_small" / f"seed{seed}" / "manifest.json").read_text())
        assert manifest["seed"] == seed and manifest["backends"]["reference"]["status"] == "ok"
