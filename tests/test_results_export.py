"""`snnrun export RUN_DIR --to nwb|nix`: NWB files pass pynwb's validator and nwbinspector; NIX files
read back with neo give the same spikes and traces as the run."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from conftest import SPECS
from snnrun.adapters import registry
from snnrun.execute import execute
from snnrun.schema.loader import load_spec

SNNRUN = str(Path(sys.executable).with_name("snnrun"))
#: nwbinspector's checks about the animal and the lab: a simulation has neither (docs/interop.md)
NOT_FOR_SIMULATIONS = ["check_subject_exists", "check_experimenter_exists", "check_institution"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """lif_exp_dc (spikes and a v trace) on two backends: the reference engine, and the reference engine
    again in a worker under another name (a second backend without a simulator's start-up time)."""
    mp = pytest.MonkeyPatch()
    mp.setitem(registry.ADAPTERS, "pynn:nest", "conftest:WorkerReference")
    try:
        outcome = execute(load_spec(SPECS / "conformance" / "lif_exp_dc.yaml"), ["reference", "pynn:nest"],
                          out=tmp_path_factory.mktemp("runs"))
    finally:
        mp.undo()
    return outcome.run_dir


def _spikes(results) -> dict:
    frame = results.spikes
    return {(pop, int(n)): np.sort(g["time"].to_numpy()) for (pop, n), g in frame.groupby(["population", "neuron"])}


def test_nwb_files_pass_the_validator_and_hold_the_spikes(run_dir, tmp_path):
    from nwbinspector import inspect_nwbfile
    from pynwb import NWBHDF5IO, validate
    import snnrun

    proc = subprocess.run([SNNRUN, "export", str(run_dir), "--to", "nwb", "-o", str(tmp_path / "nwb")],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    files = sorted((tmp_path / "nwb").glob("*.nwb"))
    assert [f.name for f in files] == ["pynn-nest.nwb", "reference.nwb"]  # one file per backend
    runs = snnrun.read_results(run_dir)
    for file, backend in zip(files, ["pynn:nest", "reference"]):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert validate(path=str(file)) == []
            messages = list(inspect_nwbfile(nwbfile_path=str(file), ignore=NOT_FOR_SIMULATIONS))
        assert messages == [], [m.message for m in messages]
        with NWBHDF5IO(str(file), "r") as io:
            nwb = io.read()
            units = nwb.units.to_dataframe()
            assert len(units) == 3  # every neuron of the recorded population, with or without spikes
            spikes = _spikes(runs[backend])
            for _, row in units.iterrows():
                expected = spikes.get((row["population"], int(row["neuron"])), np.empty(0))
                np.testing.assert_array_equal(np.asarray(row["spike_times"]), expected)
            series = nwb.acquisition["cells.v"]
            assert series.unit == "volts" and series.rate == pytest.approx(1e4)
            trace = runs[backend].traces[("cells", "v")]
            np.testing.assert_array_equal(series.data[:], trace.to_numpy())
            notes = json.loads(nwb.notes)
            assert notes["backend"] == backend and notes["seed"] == runs[backend].manifest["seed"]
            assert "lif_exp_dc" in nwb.source_script and notes["simulator_versions"]


def test_nix_files_read_back_with_neo_give_the_same_spikes(run_dir, tmp_path):
    from neo.io import NixIO
    import snnrun

    proc = subprocess.run([SNNRUN, "export", str(run_dir), "--to", "nix", "-o", str(tmp_path / "run.nix")],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    runs = snnrun.read_results(run_dir)
    with NixIO(str(tmp_path / "run.nix"), mode="ro") as io:
        block = io.read_block()
    assert sorted(s.name for s in block.segments) == ["pynn:nest", "reference"]  # one Segment per backend
    for segment in block.segments:
        expected = _spikes(runs[segment.name])
        got = {}
        for train in segment.spiketrains:
            assert str(train.units.dimensionality) == "s" and float(train.t_stop) == pytest.approx(0.2)
            got[(train.annotations["population"], int(train.annotations["neuron"]))] = train.magnitude
        assert len(got) == 3
        for key, times in got.items():
            np.testing.assert_array_equal(times, expected.get(key, np.empty(0)))
        (signal,) = segment.analogsignals
        assert str(signal.units.dimensionality) == "V" and list(signal.array_annotations["neuron"]) == [0, 1]
        np.testing.assert_array_equal(signal.magnitude, runs[segment.name].traces[("cells", "v")].to_numpy())
    assert block.annotations["seed"] == runs["reference"].manifest["seed"]


def test_export_of_a_folder_that_is_not_a_run_is_one_line_with_exit_code_7(tmp_path):
    proc = subprocess.run([SNNRUN, "export", str(tmp_path), "--to", "nwb", "-o", str(tmp_path / "x")],
                          capture_output=True, text=True)
    assert proc.returncode == 7 and len(proc.stderr.strip().splitlines()) == 1
    assert "not a complete snnrun run folder" in proc.stderr
