"""The built wheel installs and runs in a clean virtual environment, and exposes only ``snnrun``."""

from __future__ import annotations

import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT, SPECS

import snnrun


@pytest.mark.slow
def test_wheel_installs_and_runs_in_a_clean_environment(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist),
                    str(ROOT)], check=True, capture_output=True)
    wheel = next(dist.glob("snnrun-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/", 1)[0] for n in names if not n.split("/", 1)[0].endswith((".dist-info", ".data"))}
    assert top == {"snnrun"}, f"the wheel installs other top-level names: {top}"
    assert "snnrun/schema/snnrun-spec-v1.schema.json" in names and "snnrun/schema/semantics.md" in names
    env = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env)
    python = env / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", str(wheel)], check=True, capture_output=True,
                   timeout=600)
    out = tmp_path / "results"
    proc = subprocess.run([str(env / "bin" / "snnrun"), str(SPECS / "fi_curve.yaml"), "--out", str(out)],
                          capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "results: " in proc.stdout and list((out / "fi_curve").iterdir())
    # the installed package is the wheel's, not this source tree
    where = subprocess.run([str(python), "-c", "import snnrun; print(snnrun.__file__)"], capture_output=True,
                           text=True, cwd=tmp_path, check=True).stdout
    assert str(env) in where


def test_public_api():
    assert set(snnrun.__all__) >= {"load_spec", "run", "read_results", "Results", "instantiate", "SpecError"}
    for name in snnrun.__all__:
        assert getattr(snnrun, name) is not None
