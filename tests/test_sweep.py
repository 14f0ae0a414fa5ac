"""Sweeps: typed and validated before anything runs, run as (point, seed, backend) tasks on local
processes or a Dask LocalCluster with bit-identical results, resumable after a kill, summarised in one
tidy table, graded against the seed-to-seed spread."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import WorkerReference
from typer.testing import CliRunner

from snnrun import ExitCode, SpecError, load_spec
from snnrun.adapters import registry
from snnrun.cli import app
from snnrun.executors import run_task_subprocess
from snnrun.schema.sweep import parse_seeds
from snnrun.sweep import read_sweep, run_sweep
from snnrun.sweep_report import seed_spread_ratio
from snnrun.tasks import execute_task, plan_tasks

SNNRUN = str(Path(sys.executable).with_name("snnrun"))

#: 4 LIF cells driven by 10 Poisson sources: the seed changes the drawn inputs and connectivity
SMALL = """\
snnrun: "1.0"
name: small
seed: 1
simulation: {{duration: {duration}, dt: 0.1 ms}}
populations:
  drive: {{size: 10, model: {{type: poisson, params: {{rate: 50 Hz}}}}}}
  cells:
    size: 4
    model: {{type: lif_curr_exp, params: {{cm: 0.25 nF, tau_m: 10 ms, v_rest: -65 mV, v_reset: -70 mV,
                                          v_thresh: -50 mV, tau_refrac: 2 ms}}}}
    params: {{i_offset: 0.1 nA}}
projections:
  input: {{pre: drive, post: cells, connect: {{rule: fixed_probability, p: 0.5}},
          synapse: {{weight: 0.5 nA, delay: 1 ms}}}}
expect:
  - {{population: cells, metric: rate, between: [0 Hz, 500 Hz]}}
sweep:
{sweep}
"""
GRID = """\
  mode: grid
  seeds: [1, 2, 3]
  parameters:
    populations.cells.params.i_offset: [0.1 nA, 0.3 nA]
    projections.input.synapse.weight: [0.4 nA, 0.8 nA]
"""


def write(tmp_path, sweep=GRID, duration="100 ms", name="small.yaml") -> Path:
    path = tmp_path / name
    path.write_text(SMALL.format(sweep=sweep, duration=duration))
    return path


# --- the language ------------------------------------------------------------------------------------

def test_grid_and_zip_points_and_seeds(tmp_path):
    grid = load_spec(write(tmp_path)).sweep
    assert len(grid.points) == 4 and grid.seeds == (1, 2, 3)
    assert [p.column for p in grid.parameters] == ["populations.cells.params.i_offset [A]",
                                                   "projections.input.synapse.weight [A]"]
    np.testing.assert_allclose([p.si for p in grid.points], [(1e-10, 4e-10), (1e-10, 8e-10), (3e-10, 4e-10),
                                                             (3e-10, 8e-10)], rtol=1e-15)
    zipped = load_spec(write(tmp_path, GRID.replace("grid", "zip"))).sweep
    assert [p.values for p in zipped.points] == [("0.1 nA", "0.4 nA"), ("0.3 nA", "0.8 nA")]
    assert parse_seeds("1-3,7") == (1, 2, 3, 7) and parse_seeds("5") == (5,)
    for bad in ("3-1", "1,1", "a", "1-"):
        with pytest.raises(ValueError):
            parse_seeds(bad)


def test_a_bad_value_is_refused_before_anything_runs_at_its_line_and_column(tmp_path):
    sweep = """\
  seeds: [1, 2]
  parameters:
    populations.cells.params.i_offset: [0.1 nA, 3 mV]
    populations.cells.model.params.tau_m: [10 ms, -5 ms]
    populations.cells.params.i_ofset: [1 nA]
    projections.inptu.synapse.weight: [1 nA]
"""
    path = write(tmp_path, sweep)
    out = tmp_path / "out"
    proc = subprocess.run([SNNRUN, str(path), "--out", str(out)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == ExitCode.INVALID_SPEC, proc.stderr
    lines = proc.stderr.strip().splitlines()
    text = path.read_text().splitlines()
    line_of = {key: i + 1 for i, row in enumerate(text) for key in ("i_offset:", "tau_m:", "i_ofset:", "inptu")
               if key in row and row.startswith("    ")}
    expected = [
        f"{path}:{line_of['i_offset:']}:{text[line_of['i_offset:'] - 1].index('3 mV') + 1}: "
        "sweep.parameters.populations.cells.params.i_offset[1]: expected a current",
        f"{path}:{line_of['tau_m:']}:{text[line_of['tau_m:'] - 1].index('-5 ms') + 1}: "
        "sweep.parameters.populations.cells.model.params.tau_m[1]: tau_m must be positive",
        f"{path}:{line_of['i_ofset:']}:5: sweep.parameters.populations.cells.params.i_ofset: unknown parameter "
        "'i_ofset'",
        f"{path}:{line_of['inptu']}:5: sweep.parameters.projections.inptu.synapse.weight: projections.inptu does "
        "not exist in the spec (did you mean 'input'?)",
    ]
    assert len(lines) == len(expected), proc.stderr
    for line, start in zip(lines, expected):
        assert line.startswith("error: " + start), (line, start)
    assert not out.exists()  # refused before anything ran or was written


# --- running -----------------------------------------------------------------------------------------

def _spikes(folder: Path, row) -> pd.DataFrame:
    return pd.read_parquet(folder / "tasks" / row.task / row.backend / "spikes.parquet")


def test_local_processes_and_a_dask_local_cluster_give_bit_identical_spikes(tmp_path):
    path = write(tmp_path)
    local = run_sweep(path, out=tmp_path / "local", jobs=2, run_id="s")
    dask = run_sweep(path, out=tmp_path / "dask", jobs=2, dask="local", run_id="s")
    assert local.failures == [] and dask.failures == [] and "Dask" in dask.executor
    a, b = read_sweep(local.folder), read_sweep(dask.folder)
    # one row per task and population: 4 points x 3 seeds x 1 backend, populations drive and cells
    assert len(a) == 4 * 3 * 2 and len(b) == len(a)
    assert set(a.groupby(["point", "seed", "population"]).size()) == {1}
    measured = ["point", "seed", "backend", "population", "spikes", "rate [Hz]", "cv_isi", "task"]
    pd.testing.assert_frame_equal(a[measured], b[measured])
    for row in a.itertuples():
        x, y = _spikes(local.folder, row), _spikes(dask.folder, row)
        pd.testing.assert_frame_equal(x, y)  # same neurons, same float64 times, bit for bit
    assert a["spikes"].sum() > 0 and a.groupby("seed")["spikes"].sum().nunique() > 1  # the seed matters
    assert (a["status"] == "ok").all() and (a["expect_failed"] == 0).all()


def test_a_task_run_in_a_fresh_python_matches_the_forked_one(tmp_path):
    """The isolation for daemonic Dask workers (python -m snnrun.task_process) gives the same task."""
    tasks = plan_tasks(load_spec(write(tmp_path)), ["reference"])
    here = execute_task(tasks[3], tmp_path / "a")
    there = run_task_subprocess(tasks[3], str(tmp_path / "b"), timeout=120)
    assert here.status == there.status == "ok"
    for side in "ab":
        assert (tmp_path / side / tasks[3].folder / "manifest.json").is_file()
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "a" / tasks[3].folder / "reference" / "spikes.parquet"),
                                  pd.read_parquet(tmp_path / "b" / tasks[3].folder / "reference" / "spikes.parquet"))


def test_a_sweep_killed_halfway_runs_only_the_missing_tasks_again(tmp_path):
    path = write(tmp_path, GRID.replace("[1, 2, 3]", "[1, 2, 3, 4]"), duration="400 ms")
    out = tmp_path / "out"
    proc = subprocess.Popen([SNNRUN, str(path), "--out", str(out), "--jobs", "1", "--run-id", "s"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    tasks_dir = out / "small" / "s" / "tasks"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len([p for p in tasks_dir.glob("*") if not p.name.startswith(".")]) < 3:
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(30)
    time.sleep(0.2)  # the killed task's worker dies with its parent (PR_SET_PDEATHSIG)
    finished = {p.name: p.stat().st_mtime_ns for p in tasks_dir.glob("*") if not p.name.startswith(".")}
    assert 3 <= len(finished) < 16, "kill the sweep halfway"
    assert all((tasks_dir / name / "manifest.json").is_file() for name in finished)  # none half-written
    with pytest.raises(Exception, match="not finished"):
        read_sweep(out / "small" / "s")
    again = run_sweep(path, out=out, jobs=2, run_id="s")
    assert again.complete_before == len(finished) and again.ran == 16 - len(finished)
    assert {p.name: p.stat().st_mtime_ns for p in tasks_dir.glob("*") if p.name in finished} == finished
    assert not list(tasks_dir.glob(".*"))  # what the killed task left was cleared
    summary = read_sweep(again.folder)
    assert len(summary) == 16 * 2 and (summary["status"] == "ok").all()
    assert json.loads((again.folder / "sweep.json").read_text())["status"] == "complete"


class CrashesOnStrongInput(WorkerReference):
    """The reference engine, except that it kills its own process for the 0.8 nA weight."""

    name = "pynn:nest"

    def run(self, instance, progress=None):
        if instance.projections["input"].weight[0] > 0.7e-9:
            os.kill(os.getpid(), signal.SIGKILL)
        return super().run(instance, progress)


class HalfTheSpikes(WorkerReference):
    """The reference's results with every second spike of ``cells`` dropped: a backend that differs."""

    name = "pynn:neuron"

    def run(self, instance, progress=None):
        out = super().run(instance, progress)
        ids, times = out.spikes["cells"]
        out.spikes["cells"] = (ids[::2], times[::2])
        return out


def test_crashed_tasks_fail_alone_with_exit_code_9_and_a_line_each(tmp_path, monkeypatch):
    monkeypatch.setitem(registry.ADAPTERS, "pynn:nest", "conftest:CrashesOnStrongInput")
    monkeypatch.setattr(sys.modules["conftest"], "CrashesOnStrongInput", CrashesOnStrongInput, raising=False)
    path = write(tmp_path, GRID.replace("[1, 2, 3]", "[1]"))
    result = CliRunner().invoke(app, [str(path), "-b", "reference", "-b", "pynn:nest", "--out", str(tmp_path),
                                      "--run-id", "s", "--jobs", "2"])
    assert result.exit_code == ExitCode.TASKS_FAILED, result.output
    failed = [line for line in result.output.splitlines() if line.startswith("error: task ")]
    assert len(failed) == 2 and all("pynn:nest" in line and "SIGKILL" in line for line in failed)
    summary = read_sweep(tmp_path / "small" / "s")
    assert len(summary) == 4 * 2 * 2  # failed tasks keep their rows, without measurements
    bad = summary[summary["status"] == "failed"]
    assert set(bad["backend"]) == {"pynn:nest"} and bad["rate [Hz]"].isna().all()
    assert bad["projections.input.synapse.weight [A]"].to_numpy() == pytest.approx(np.full(len(bad), 0.8e-9))


def test_seed_spread_grading_and_the_sweep_report(tmp_path, monkeypatch):
    monkeypatch.setitem(registry.ADAPTERS, "pynn:neuron", "conftest:HalfTheSpikes")
    monkeypatch.setitem(registry.ADAPTERS, "pynn:nest", "conftest:WorkerReference")
    monkeypatch.setattr(sys.modules["conftest"], "HalfTheSpikes", HalfTheSpikes, raising=False)
    path = write(tmp_path, GRID.replace("    projections.input.synapse.weight: [0.4 nA, 0.8 nA]\n", ""))
    result = CliRunner().invoke(app, [str(path), "-b", "reference", "-b", "pynn:nest", "-b", "pynn:neuron",
                                      "--out", str(tmp_path), "--run-id", "s", "--compare", "--profile",
                                      "seed_spread"])
    assert result.exit_code == ExitCode.BACKENDS_DIFFER, result.output
    folder = tmp_path / "small" / "s"
    report = json.loads((folder / "report.json").read_text())
    assert report["profile"]["name"] == "seed_spread"
    summary = read_sweep(folder)
    for point in report["points"]:
        cells = point["populations"]["cells"]
        assert cells["pynn:nest"]["grade"] == "agrees"  # the same engine: D = 0
        rows = summary[(summary["point"] == point["index"]) & (summary["population"] == "cells")]
        ref = rows[rows["backend"] == "reference"].sort_values("seed")["rate [Hz]"].to_numpy()
        half = rows[rows["backend"] == "pynn:neuron"].sort_values("seed")["rate [Hz]"].to_numpy()
        # the statistic written out: mean |x_b - x_ref| over seeds / mean |x_s - x_s'| over seed pairs
        spread = np.mean([abs(ref[i] - ref[j]) for i in range(3) for j in range(i + 1, 3)])
        expected = np.mean(np.abs(half - ref)) / spread
        assert cells["pynn:neuron"]["vs_reference"]["rate"]["ratio"] == pytest.approx(expected, rel=1e-12)
        assert (cells["pynn:neuron"]["grade"] == "differs") == (expected > 1)
    assert any("pynn:neuron differs from reference" in line for line in result.output.splitlines())
    for name in ("report.md", "report.html"):
        assert (folder / name).stat().st_size > 1000
    assert "<script" not in (folder / "report.html").read_text()


def test_the_seed_spread_statistic_on_known_numbers():
    # reference 1, 2, 3: pair distances 1, 2, 1 -> Delta = 4/3; the backend 1 higher everywhere -> D = 1
    got = seed_spread_ratio(np.array([1.0, 2.0, 3.0]), np.array([2.0, 3.0, 4.0]))
    assert got == {"distance": 1.0, "seed_spread": pytest.approx(4 / 3), "ratio": pytest.approx(0.75)}
    assert seed_spread_ratio(np.array([1.0]), np.array([2.0]))["ratio"] is None  # one seed: no spread
    assert seed_spread_ratio(np.array([1.0, 1.0]), np.array([1.0, 1.5]))["ratio"] == float("inf")


def test_seeds_make_an_ensemble_of_any_spec_and_run_ids_name_the_folder(tmp_path):
    path = write(tmp_path).read_text().split("sweep:")[0]
    plain = tmp_path / "plain.yaml"
    plain.write_text(path)
    result = CliRunner().invoke(app, [str(plain), "--seeds", "1-3", "--out", str(tmp_path), "--run-id", "ens",
                                      "--quiet"])
    assert result.exit_code == 0, result.output
    summary = read_sweep(tmp_path / "small" / "ens")
    assert sorted(set(summary["seed"])) == [1, 2, 3] and len(summary) == 3 * 2
    single = CliRunner().invoke(app, [str(plain), "--out", str(tmp_path), "--run-id", "one", "--quiet"])
    assert single.exit_code == 0 and (tmp_path / "small" / "one" / "manifest.json").is_file()
    again = CliRunner().invoke(app, [str(plain), "--out", str(tmp_path), "--run-id", "one", "--quiet"])
    assert again.exit_code == ExitCode.RESULTS_ERROR and "already exists" in again.output
    with pytest.raises(SpecError):
        load_spec(write(tmp_path, "  parameters:\n    seed: [1, 2]\n", name="bad.yaml"))


SWEEP_EXAMPLES = sorted(p.name for p in (Path(__file__).resolve().parent.parent / "specs").glob("*.yaml")
                        if "\nsweep:" in p.read_text())


@pytest.mark.parametrize("name", SWEEP_EXAMPLES)
def test_every_example_sweep_runs_and_meets_its_expectations_on_every_point(name, tmp_path):
    spec_path = Path(__file__).resolve().parent.parent / "specs" / name
    proc = subprocess.run([SNNRUN, str(spec_path), "--backend", "reference", "--out", str(tmp_path), "--quiet"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr  # a failed expect check anywhere would exit 6
    spec = load_spec(spec_path)
    summary = read_sweep(Path(proc.stdout.strip()))
    seeds = len(spec.sweep.seeds_for(spec.seed))
    assert len(summary) == len(spec.sweep.points) * seeds * len(spec.populations)
    assert (summary["status"] == "ok").all() and (summary["expect_failed"] == 0).all()
    assert summary["expect_checks"].sum() == len(spec.sweep.points) * seeds * len(spec.expect)
