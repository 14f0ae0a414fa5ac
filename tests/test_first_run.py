"""The first day (issue 14, item 4): what a new user sees on a terminal besides snnrun's own output.
pyNN.nest's cmake lines and NEURON's "no DISPLAY" are silenced or kept in the manifest, Brian2's
compile says so and moves the bar, and Python run from the folder above a clone named ``snnrun`` gets
the installed package instead of an empty namespace."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

import pytest

from conftest import ROOT, WorkerReference
from snnrun.adapters.pynn.session import captured_output

SNNRUN = str(Path(sys.executable).with_name("snnrun"))
BIN = str(Path(sys.executable).parent)
TINY = """snnrun: "1.0"
name: first_run
simulation: {duration: 5 ms, dt: 0.1 ms}
populations:
  src: {size: 1, model: {type: spike_array, params: {spike_times: [1 ms]}}}
  cell: {size: 1, model: {type: lif_curr_exp}}
projections:
  p: {pre: src, post: cell, connect: {rule: all_to_all}, synapse: {weight: 1 nA, delay: 0.5 ms}}
"""


def test_pynn_runs_print_nothing_of_cmake_or_display(tmp_path):
    """With the venv's bin folder on PATH (an activated venv), pyNN.nest finds nest-config and tried to
    build its extensions with cmake on every import (15 lines of errors); NEURON printed "no DISPLAY"."""
    assert (Path(BIN) / "nest-config").is_file()  # the trigger is there
    spec = tmp_path / "tiny.yaml"
    spec.write_text(TINY)
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "NEURON_MODULE_OPTIONS")}
    env["PATH"] = BIN + os.pathsep + env.get("PATH", "")
    proc = subprocess.run([SNNRUN, spec, "-b", "pynn:nest", "-b", "pynn:neuron", "--out", tmp_path / "out", "-q"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    run_dir = Path(proc.stdout.strip())
    for backend in ("pynn-nest", "pynn-neuron"):
        warnings_ = json.loads((run_dir / backend / "manifest.json").read_text())["warnings"]
        assert not any("cmake" in w.lower() or "DISPLAY" in w for w in warnings_), warnings_


def test_what_a_simulator_prints_from_cpp_goes_into_the_warnings(capfd):
    into: list[str] = []
    with captured_output(into, "pynn:nest"):
        os.write(1, b"NEST banner\n")
        os.write(2, b"a C++ warning\n")
    assert capfd.readouterr() == ("", "")
    assert into == ["pynn:nest: printed at start-up: NEST banner\na C++ warning"]


def test_python_warnings_of_a_pynn_run_go_into_the_manifest(make_spec):
    from snnrun.adapters.base import RunOutput
    from snnrun.adapters.pynn.session import Session
    from snnrun.instance import instantiate

    class Warns(Session):
        def _run(self, progress):
            warnings.warn("Problem running cmake. Output was: ...")
            warnings.warn("Cannot find nest-config, please check your PATH.")  # quiet: nothing to act on
            return RunOutput({}, {}, warnings=self.warnings)

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # anything that escapes the session fails the test
        out = Warns("pynn:nest", instantiate(make_spec(TINY))).run()
    assert out.warnings == ["pynn:nest: UserWarning: Problem running cmake. Output was: ..."]


def test_prepare_environment_silences_neuron_and_keeps_a_user_setting(monkeypatch):
    from snnrun.adapters.pynn.adapter import prepare_environment
    monkeypatch.delenv("NEURON_MODULE_OPTIONS", raising=False)
    prepare_environment()
    assert os.environ["NEURON_MODULE_OPTIONS"] == "-nogui"
    monkeypatch.setenv("NEURON_MODULE_OPTIONS", "-nogui -NSTACK 100000")
    prepare_environment()
    assert os.environ["NEURON_MODULE_OPTIONS"] == "-nogui -NSTACK 100000"


# --- Brian2's first compile: a note and a moving bar -----------------------------------------------

def _until(condition, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)
    return condition()


def test_the_heartbeat_tells_the_bar_what_brian2_does_until_stopped():
    from snnrun.adapters.brian2.adapter import COMPILING, Heartbeat
    calls: list[tuple] = []
    with Heartbeat(lambda *args: calls.append(args), 1000, COMPILING) as beat:
        assert _until(lambda: len(calls) >= 2)  # it keeps beating while the compile blocks this thread
        beat.stop()
        seen = len(calls)
    assert set(calls) == {(0, 1000, "compiling (cached afterwards)")}
    time.sleep(0.3)
    assert len(calls) == seen  # stopped for good
    with Heartbeat(None, 1000, COMPILING):  # no progress bar: no thread
        assert threading.active_count() >= 1


class Compiles(WorkerReference):
    """Says it compiles before running (as the Brian2 adapter does through its heartbeat)."""

    name = "brian2"

    def run(self, instance, progress=None):
        if progress:
            progress(0, instance.n_steps, "compiling (cached afterwards)")
        return super().run(instance, progress)


def test_a_workers_note_reaches_the_progress_bar_and_moves_it(make_spec, monkeypatch):
    from snnrun import cli
    from snnrun.instance import instantiate
    from snnrun.worker import run_isolated
    received: list[tuple] = []
    run_isolated(Compiles(), instantiate(make_spec(TINY)), lambda *args: received.append(args))
    assert received[0] == (0, 50, "compiling (cached afterwards)")
    # the command line's bar shows the note and pulses (no total) while it lasts, then counts steps
    bar = cli._Progress(enabled=True)
    bar.started -= 2  # shown once a run has taken a second
    update = bar.factory("brian2")
    bar.status("brian2", "running", "")
    update(0, 50, "compiling (cached afterwards)")
    task = bar.bar.tasks[0]
    assert "compiling (cached afterwards)" in task.description and task.total is None
    update(25, 50)
    assert "running" in bar.bar.tasks[0].description and bar.bar.tasks[0].total == 50
    bar.close()


# --- the folder above a clone named snnrun ---------------------------------------------------------

def test_python_in_the_folder_above_a_clone_named_snnrun_gets_the_package(tmp_path):
    (tmp_path / "snnrun").symlink_to(ROOT, target_is_directory=True)
    code = "import snnrun; print(snnrun.read_results.__module__, snnrun.__file__)"
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    module, file = proc.stdout.split()
    assert module == "snnrun.results" and Path(file) == ROOT / "runner" / "__init__.py"
    # without an installed snnrun (-S: no site-packages, so no editable install) a clear message
    proc = subprocess.run([sys.executable, "-S", "-c", "import snnrun"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 1
    assert f"'{tmp_path / 'snnrun'}' is a source checkout of snnrun, not the installed package" in proc.stderr
