"""The Python API: snnrun.run / read_results / Results, multi-backend runs and worker isolation."""

from __future__ import annotations

import faulthandler
import os
import pty
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import snnrun
from conftest import SPECS
from snnrun.adapters import registry


@pytest.fixture
def second_backend(monkeypatch):
    monkeypatch.setitem(registry.ADAPTERS, "pynn:nest", "conftest:WorkerReference")


def test_run_returns_results_and_read_results_reads_them_back(tmp_path):
    res = snnrun.run(SPECS / "fi_curve.yaml", out=tmp_path)
    assert isinstance(res, snnrun.Results) and res.backend == "reference"
    assert isinstance(res.spikes, pd.DataFrame) and res.spikes["time"].dtype == np.float64
    again = snnrun.read_results(res.path.parent)
    pd.testing.assert_frame_equal(again.spikes, res.spikes)
    assert again.traces[("cells", "v")].shape == (20000, 3)


def test_two_backends_in_one_run_same_instance(tmp_path, second_backend):
    results = snnrun.run(SPECS / "poisson_population.yaml", backend=["reference", "pynn:nest"], out=tmp_path)
    assert set(results) == {"reference", "pynn:nest"}
    pd.testing.assert_frame_equal(results["reference"].spikes, results["pynn:nest"].spikes)
    back = snnrun.read_results(results["reference"].path.parent)
    assert isinstance(back, dict) and set(back) == {"reference", "pynn:nest"}
    assert (results["reference"].path.parent / "pynn-nest" / "spikes.parquet").is_file()


def test_a_backend_that_fails_leaves_no_run_folder(tmp_path, monkeypatch, second_backend):
    from conftest import WorkerReference

    def explode(self, instance, progress=None):
        faulthandler.disable()  # a deliberate crash: pytest's fault dump would read like a real one
        os.abort()
    monkeypatch.setattr(WorkerReference, "run", explode)
    with pytest.raises(snnrun.BackendError, match="backend 'pynn:nest'.*SIGABRT"):
        snnrun.run(SPECS / "fi_curve.yaml", backend=["reference", "pynn:nest"], out=tmp_path)
    assert not any(p for p in (tmp_path / "fi_curve").iterdir())


def test_load_spec_gives_a_frozen_typed_model():
    spec = snnrun.load_spec(SPECS / "cuba.yaml")
    assert spec.simulation.dt == pytest.approx(1e-4) and spec.populations["exc"].size == 3200
    with pytest.raises(AttributeError):
        spec.name = "other"
    with pytest.raises(TypeError):
        spec.populations["new"] = None


def test_progress_bar_on_a_terminal(tmp_path):
    """Under a pseudo-terminal a run longer than a second draws a rich progress bar on stderr."""
    spec = tmp_path / "long.yaml"
    spec.write_text((SPECS / "cuba.yaml").read_text().replace("duration: 1 s", "duration: 6 s"))
    main, child = pty.openpty()
    proc = subprocess.Popen([str(Path(sys.executable).with_name("snnrun")), str(spec), "--out", str(tmp_path)],
                            stdin=child, stdout=subprocess.PIPE, stderr=child, env={**os.environ, "COLUMNS": "100"})
    os.close(child)
    chunks = []
    while True:
        try:
            data = os.read(main, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=120)
    os.close(main)
    screen = b"".join(chunks).decode(errors="replace")
    assert proc.returncode == 0
    assert "reference" in screen and "%" in screen and "━" in screen
