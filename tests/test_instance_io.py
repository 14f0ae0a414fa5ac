"""The drawn instance as data: `snnrun instance`, `--save-instance` and `snnrun.read_instance` give back
exactly the arrays every backend receives."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import SPECS
import snnrun
from snnrun import ExitCode
from snnrun.instance import instantiate
from snnrun.instance_io import read_instance, same_arrays, write_instance
from snnrun.schema.errors import ResultsError
from snnrun.schema.loader import load_spec

SNNRUN = str(Path(sys.executable).with_name("snnrun"))
INDEGREE = SPECS / "conformance" / "inhomogeneous_poisson_indegree.yaml"


def test_snnrun_instance_reproduces_the_in_degrees_of_fixed_indegree_exactly(tmp_path):
    proc = subprocess.run([SNNRUN, "instance", str(INDEGREE), "--out", str(tmp_path / "inst")],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    saved = snnrun.read_instance(tmp_path / "inst")
    spec = load_spec(INDEGREE)
    n = spec.projections["input"].connect.n
    degrees = saved.in_degrees("input")
    assert degrees.size == spec.populations["cells"].size and np.all(degrees == n)
    # the file is the instance every backend receives: the same arrays, to the bit
    assert same_arrays(instantiate(spec), saved) == []
    table = saved.connections("input")
    assert list(table.columns) == ["pre", "post", "weight", "delay", "delay_steps"]
    assert np.all(table.groupby("post").size() == n)
    np.testing.assert_array_equal(table["delay"], table["delay_steps"] * spec.simulation.dt)
    manifest = json.loads((tmp_path / "inst" / "instance.json").read_text())
    assert manifest["seed"] == spec.seed and manifest["projections"]["input"]["weight_unit"] == "V"
    assert (tmp_path / "inst" / "spec.yaml").read_text() == INDEGREE.read_text()


def test_every_kind_of_array_survives_the_round_trip(tmp_path):
    """Per-neuron parameters and initial values, source trains, stimuli and distributed delays."""
    spec = load_spec(SPECS / "connections_tour.yaml")
    instance = instantiate(spec)
    saved = read_instance(write_instance(instance, tmp_path / "tour"))
    assert same_arrays(instance, saved) == []
    stim_spec = load_spec(SPECS / "stimuli_tour.yaml")
    stim_instance = instantiate(stim_spec)
    assert stim_instance.stimuli and same_arrays(stim_instance, read_instance(write_instance(stim_instance, tmp_path / "s"))) == []
    frame = pd.read_parquet(tmp_path / "tour" / "sources" / "times.parquet")
    pop = instance.populations["times"]
    np.testing.assert_array_equal(frame["time"], pop.spikes.steps * spec.simulation.dt)


def test_a_changed_array_is_found():
    spec = load_spec(INDEGREE)
    a, b = instantiate(spec), instantiate(spec)
    b.projections["input"].weight = b.projections["input"].weight.copy()  # a uniform weight is a read-only broadcast
    b.projections["input"].weight[3] += 1e-3
    b.populations["cells"].params["tau_m"][0] *= 1 + 1e-9
    assert same_arrays(a, b) == ["populations.cells.params.tau_m", "projections.input.weight"]
    assert same_arrays(a, b, rtol=1e-6) == ["projections.input.weight"]


def test_save_instance_keeps_it_with_the_results(tmp_path):
    proc = subprocess.run([SNNRUN, str(INDEGREE), "--save-instance", "--out", str(tmp_path), "-q"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    run_dir = Path(proc.stdout.strip())
    assert same_arrays(instantiate(load_spec(INDEGREE)), read_instance(run_dir)) == []
    assert read_instance(run_dir).path == run_dir / "instance"


def test_an_existing_folder_is_not_overwritten(tmp_path):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("mine")
    proc = subprocess.run([SNNRUN, "instance", str(INDEGREE), "--out", str(tmp_path / "taken")],
                          capture_output=True, text=True)
    assert proc.returncode == ExitCode.RESULTS_ERROR
    assert proc.stderr.strip().startswith("error: ") and "exists and is not empty" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    with pytest.raises(ResultsError, match="not an snnrun instance folder"):
        read_instance(tmp_path / "taken")
