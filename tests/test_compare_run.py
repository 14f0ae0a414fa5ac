"""Cross-backend runs end to end: crash isolation (a worker killed mid-run, a hung worker), interrupted
runs, the report files and their contents, and the exit codes of --compare and ``snnrun compare``.

Second backends are the reference engine registered under other names (see conftest.WorkerReference),
so these tests need no simulator; the last test runs the real simulators."""

from __future__ import annotations

import json
from html import escape
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import SPECS, WorkerReference
from snnrun import ExitCode, read_results
from snnrun.adapters import registry
from snnrun.compare import compare_run, write_reports
from snnrun.execute import execute, select_all

SNNRUN = str(Path(sys.executable).with_name("snnrun"))


class KilledMidRun(WorkerReference):
    """Reports progress and waits to be killed; writes its pid to $SNNRUN_TEST_PID_FILE first."""

    name = "pynn:nest"

    def run(self, instance, progress=None):
        Path(os.environ["SNNRUN_TEST_PID_FILE"]).write_text(str(os.getpid()))
        for k in range(600):
            if progress:
                progress(k, 600)
            time.sleep(0.05)
        raise AssertionError("should have been killed")


class Hangs(WorkerReference):
    name = "pynn:brian2"

    def run(self, instance, progress=None):
        time.sleep(60)


class Shifted(WorkerReference):
    """The reference's results with every spike of ``cells`` one millisecond later and the last spike
    of neuron 5 dropped: a backend that differs, and fails fi_curve's spike-count expectation."""

    name = "pynn:neuron"

    def run(self, instance, progress=None):
        out = super().run(instance, progress)
        ids, times = out.spikes["cells"]
        keep = np.ones(ids.size, bool)
        keep[np.flatnonzero(ids == 5)[-1]] = False
        out.spikes["cells"] = (ids[keep], times[keep] + 1e-3)
        return out


@pytest.fixture
def backends(monkeypatch):
    monkeypatch.setitem(registry.ADAPTERS, "pynn:nest", "conftest:WorkerReference")
    monkeypatch.setitem(registry.ADAPTERS, "pynn:neuron", "conftest:WorkerReference")
    return monkeypatch


def _kill_when_started(pid_file: Path) -> threading.Thread:
    def killer():
        deadline = time.time() + 60
        while time.time() < deadline:
            if pid_file.is_file() and pid_file.read_text():
                time.sleep(0.3)  # mid-run: it has sent progress
                os.kill(int(pid_file.read_text()), signal.SIGKILL)
                return
            time.sleep(0.02)
    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    return thread


def test_a_worker_killed_mid_run_leaves_the_others_intact_and_the_report_names_it(tmp_path, backends):
    backends.setitem(registry.ADAPTERS, "pynn:nest", "test_compare_run:KilledMidRun")
    backends.setenv("SNNRUN_TEST_PID_FILE", str(tmp_path / "pid"))
    killer = _kill_when_started(tmp_path / "pid")
    seen = []
    outcome = execute(SPECS / "fi_curve.yaml", ["reference", "pynn:nest", "pynn:neuron"], out=tmp_path / "out",
                      keep_going=True, status=lambda name, state, detail: seen.append((name, state)))
    killer.join()
    assert set(outcome.results) == {"reference", "pynn:neuron"}
    assert "pynn:nest" in outcome.failures and "killed by SIGKILL" in outcome.failures["pynn:nest"]
    assert ("pynn:nest", "failed") in seen and ("reference", "done") in seen
    # the others' results are complete, equal to each other, and readable from the committed folder
    back = read_results(outcome.run_dir)
    assert set(back) == {"reference", "pynn:neuron"}
    pd.testing.assert_frame_equal(back["reference"].spikes, back["pynn:neuron"].spikes)
    assert back["reference"].traces[("cells", "v")].shape == (20000, 3)
    manifest = json.loads((outcome.run_dir / "manifest.json").read_text())
    assert manifest["backends"]["pynn:nest"]["status"] == "failed"
    # the report names the failed backend and still compares the others
    comparison = compare_run(outcome.run_dir, profile="exact")
    write_reports(comparison)
    report = json.loads((outcome.run_dir / "report.json").read_text())
    assert report["backends"]["pynn:nest"]["status"] == "failed"
    assert "SIGKILL" in report["backends"]["pynn:nest"]["error"]
    assert report["compared"] == ["pynn:neuron"] and report["backends"]["pynn:neuron"]["grade"] == "agrees"
    assert report["exit_code"] == ExitCode.BACKEND_FAILED
    assert any("backend 'pynn:nest' failed" in line for line in report["failures"])
    assert "pynn:nest" in (outcome.run_dir / "report.html").read_text()
    proc = subprocess.run([SNNRUN, "compare", outcome.run_dir, "--no-html"], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == ExitCode.BACKEND_FAILED
    assert "error: backend 'pynn:nest' failed: the worker process was killed by SIGKILL" in proc.stderr


def test_a_hung_backend_times_out_and_the_others_are_kept(tmp_path, backends):
    backends.setitem(registry.ADAPTERS, "pynn:brian2", "test_compare_run:Hangs")
    outcome = execute(SPECS / "poisson_population.yaml", ["reference", "pynn:brian2", "pynn:nest"],
                      out=tmp_path, keep_going=True, timeout=2.0)
    assert outcome.failures == {"pynn:brian2": "timed out after 2 s"}  # stopped, not its 60 s sleep
    assert set(outcome.results) == {"reference", "pynn:nest"}


def test_backends_run_in_parallel_up_to_the_worker_limit(tmp_path, backends):
    """Two sleeping backends with two workers run at the same time; the third waits for a free worker.
    Checked on the order of the status events, not on wall time."""
    backends.setitem(registry.ADAPTERS, "pynn:brian2", "test_compare_run:Hangs")
    backends.setitem(registry.ADAPTERS, "nengo", "test_compare_run:Hangs")
    events = []
    outcome = execute(SPECS / "fi_curve.yaml", ["pynn:brian2", "nengo", "reference"], out=tmp_path,
                      keep_going=True, timeout=3.0, max_workers=2,
                      status=lambda name, state, detail: events.append((name, state)))
    assert set(outcome.failures) == {"pynn:brian2", "nengo"} and set(outcome.results) == {"reference"}
    order = [e for e in events if e[1] != "queued"]
    first_end = next(i for i, e in enumerate(order) if e[1] in ("done", "failed"))
    # both sleepers were running before either ended; the reference started only after one had ended
    assert {("pynn:brian2", "running"), ("nengo", "running")} <= set(order[:first_end])
    assert order.index(("reference", "running")) > first_end


def test_without_keep_going_a_failure_stops_everything_and_leaves_no_folder(tmp_path, backends):
    backends.setitem(registry.ADAPTERS, "pynn:brian2", "test_compare_run:Hangs")
    with pytest.raises(Exception, match="timed out after 1 s"):
        execute(SPECS / "fi_curve.yaml", ["reference", "pynn:brian2"], out=tmp_path, timeout=1.0)
    assert list((tmp_path / "fi_curve").iterdir()) == []


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        text = (task / "children").read_text() if (task / "children").exists() else ""
        out += [int(p) for p in text.split()]
    return out


def _gone(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "State:\tZ" in status


@pytest.mark.parametrize("how", ["SIGINT", "SIGKILL"])
def test_an_interrupted_multi_backend_run_leaves_no_complete_folder_and_no_workers(tmp_path, how):
    spec = tmp_path / "long.yaml"
    spec.write_text((SPECS / "cuba.yaml").read_text().replace("duration: 1 s", "duration: 30 s"))
    out = tmp_path / "out"
    proc = subprocess.Popen([SNNRUN, spec, "-b", "reference", "-b", "nengo", "--out", out],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    workers: list[int] = []
    while time.time() < deadline and len(workers) < 2:
        workers = _children(proc.pid)
        time.sleep(0.1)
    assert len(workers) == 2, "two worker processes should be running"
    time.sleep(0.5)
    proc.send_signal(getattr(signal, how))
    _, stderr = proc.communicate(timeout=60)
    deadline = time.time() + 10
    while time.time() < deadline and not all(_gone(p) for p in workers):
        time.sleep(0.1)
    assert all(_gone(p) for p in workers), "a worker outlived the run"
    entries = list((out / "cuba").iterdir())
    if how == "SIGINT":
        assert proc.returncode == ExitCode.INTERRUPTED and "interrupted" in stderr and "Traceback" not in stderr
        assert entries == []
    else:
        assert all(e.name.startswith(".") and e.name.endswith(".partial") for e in entries)
        with pytest.raises(Exception, match="not a complete snnrun results folder"):
            read_results(entries[0])


def test_identical_backends_agree_and_the_reports_hold_grades_and_plots(tmp_path, backends):
    outcome = execute(SPECS / "fi_curve.yaml", ["reference", "pynn:nest"], out=tmp_path, keep_going=True)
    comparison = compare_run(outcome.run_dir, profile="exact")
    paths = write_reports(comparison)
    assert sorted(p.name for p in paths) == ["report.html", "report.json", "report.md"]
    report = json.loads((outcome.run_dir / "report.json").read_text())
    assert set(report["backends"]) == {"reference", "pynn:nest"} and report["compared"] == ["pynn:nest"]
    assert report["reference"] == "reference" and report["profile"]["name"] == "exact"
    assert report["grade"] == "agrees" and report["exit_code"] == 0 and report["failures"] == []
    cells = report["populations"]["cells"]["backends"]["pynn:nest"]
    assert cells["coincidence"] == 1.0 and cells["first_divergence_s"] is None
    assert report["traces"]["cells.v"]["backends"]["pynn:nest"]["max_error"] == 0.0
    html = (outcome.run_dir / "report.html").read_text()
    # raster and rate of the population, traces and their error: four embedded images; no divergence
    # plot when every spike has its partner (a flat line at 0), the page says so instead
    assert html.count('src="data:image/png;base64,') == 4
    assert "Every spike of every backend has a partner in <code>reference</code>" in html
    # the documented cause of pynn:nest's (rounding) differences, with its section of semantics.md
    cause = cells["cause"]
    assert cause["text"].startswith("NEST's grid models") and cause["link"].startswith("schema/semantics.md#pynn")
    assert escape(cause["text"]) in html and cause["residual"] in (outcome.run_dir / "report.md").read_text()
    assert 'class="grade agrees"' in html and "http://" not in html and "<script" not in html
    md = (outcome.run_dir / "report.md").read_text()
    assert "| `pynn:nest` | agrees |" in md


def test_a_differing_backend_exits_8_and_a_failed_expectation_6_listing_every_check(tmp_path, backends):
    backends.setitem(registry.ADAPTERS, "pynn:neuron", "test_compare_run:Shifted")
    outcome = execute(SPECS / "fi_curve.yaml", ["reference", "pynn:neuron"], out=tmp_path, keep_going=True)
    proc = subprocess.run([SNNRUN, "compare", outcome.run_dir, "--profile", "single_neuron"],
                          capture_output=True, text=True, timeout=120)
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error: ")]
    # the shift fails expect[1] and the dropped spike expect[2] on pynn:neuron: exit 6 wins over 8, and
    # both kinds of failing check are listed, one per line
    assert proc.returncode == ExitCode.EXPECTATION_FAILED, proc.stderr
    assert "expect[1]: pynn:neuron: cells first_spike_time 28.8 ms differs from 27.8 ms" in errors[0]
    assert "expect[2]: pynn:neuron: cells spike_count 66 differs from 67" in errors[1]
    differs = [e for e in errors if "pynn:neuron differs from reference: population cells: " in e]
    # one line for the population: every metric beyond its limit, then the documented cause
    assert len(differs) == 1 and "van_rossum" in differs[0]
    assert "documented: NEURON's Crank-Nicolson integration" in differs[0]
    assert "compare differs pynn:neuron vs reference (profile single_neuron)" in proc.stdout
    # the network profile grades only rates and CVs: one spike in 668 is a 0.15 % rate difference
    report = compare_run(outcome.run_dir, profile="network").report
    assert report["failed_checks"]["differs"] == [] and report["backends"]["pynn:neuron"]["grade"] == "agrees"
    # a spec tolerance makes the same run differ: rate beyond 0.1 %
    spec_text = (outcome.run_dir / "spec.yaml").read_text()
    spec_text = spec_text.replace("expect:", "compare: {profile: network, tolerances: {rate: 0.001}}\nexpect:", 1)
    (outcome.run_dir / "spec.yaml").write_text(spec_text)
    differs = compare_run(outcome.run_dir).report["failed_checks"]["differs"]
    assert len(differs) == 1 and "population cells: rate 0.001497 > 0.001 (profile network)" in differs[0]


def test_compare_exits_8_when_only_the_comparison_fails(tmp_path, backends):
    backends.setitem(registry.ADAPTERS, "pynn:neuron", "test_compare_run:Shifted")
    text = (SPECS / "fi_curve.yaml").read_text().split("expect:")[0]
    spec = tmp_path / "fi.yaml"
    spec.write_text(text)
    outcome = execute(spec, ["reference", "pynn:neuron"], out=tmp_path, keep_going=True)
    proc = subprocess.run([SNNRUN, "compare", outcome.run_dir, "--profile", "exact", "--no-html"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == ExitCode.BACKENDS_DIFFER, proc.stderr
    errors = proc.stderr.strip().splitlines()
    assert errors and all(e.startswith("error: pynn:neuron differs from reference: ") for e in errors)
    assert (outcome.run_dir / "report.json").is_file() and not (outcome.run_dir / "report.html").exists()


def test_compare_refuses_an_incomplete_folder_and_a_bad_tolerance(tmp_path):
    partial = tmp_path / ".x.partial"
    partial.mkdir()
    proc = subprocess.run([SNNRUN, "compare", partial], capture_output=True, text=True, timeout=60)
    assert proc.returncode == ExitCode.RESULTS_ERROR and "an interrupted run" in proc.stderr
    spec = tmp_path / "bad.yaml"
    spec.write_text((SPECS / "fi_curve.yaml").read_text() + "compare: {tolerances: {rates: 0.1}}\n")
    proc = subprocess.run([SNNRUN, spec, "--compare", "--out", tmp_path / "out"], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == ExitCode.INVALID_SPEC
    assert "compare.tolerances.rates: unknown tolerance 'rates'" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_backend_all_skips_what_cannot_run_with_the_reason():
    from snnrun.schema.loader import load_spec
    adapters, skipped = select_all(load_spec(SPECS / "connections_tour.yaml"))
    assert "reference" in adapters
    # pyNN.neuron is installed (CI installs every backend) but has no IF_curr_delta: skipped with that reason
    assert "pynn:neuron" in skipped and "lif_curr_delta" in skipped["pynn:neuron"]
    assert "pynn:neuron" not in adapters
    for reason in skipped.values():
        assert reason.startswith(("not installed", "cannot run this spec"))


@pytest.mark.slow
def test_one_command_runs_four_simulators_and_writes_three_reports(tmp_path):
    from snnrun.execute import installed
    wanted = ["reference", "brian2", "pynn:nest", "nengo"]
    missing = [b for b in wanted if not installed(b)]
    if missing:
        pytest.skip(f"not installed: {missing}")
    args = [SNNRUN, SPECS / "compare_small.yaml", "--compare", "--out", tmp_path]
    for b in wanted:
        args += ["--backend", b]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    run_dir = Path(proc.stdout.split("results: ", 1)[1].splitlines()[0])
    report = json.loads((run_dir / "report.json").read_text())
    assert set(report["backends"]) == set(wanted)
    assert sorted(report["compared"]) == sorted(wanted[1:])
    assert all(report["backends"][b]["grade"] == "agrees" for b in wanted[1:])
    assert (run_dir / "report.md").is_file() and (run_dir / "report.html").stat().st_size > 10000


@pytest.mark.slow
def test_backend_all_runs_every_installed_backend_and_names_the_skipped(tmp_path):
    """A lif_curr_delta spec: pyNN.neuron has no IF_curr_delta, so `all` skips it, says why, and runs the
    rest; the report compares every backend that ran."""
    from snnrun.adapters.registry import get_adapter, known_backends
    from snnrun.execute import installed
    from snnrun.schema.loader import load_spec
    spec = load_spec(SPECS / "conformance" / "delta_one_to_one.yaml")
    proc = subprocess.run([SNNRUN, SPECS / "conformance" / "delta_one_to_one.yaml", "--backend", "all", "--compare",
                           "--profile", "exact", "--out", tmp_path], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    ran = [b for b in known_backends() if installed(b) and not get_adapter(b).check(spec)]
    run_dir = Path(proc.stdout.split("results: ", 1)[1].splitlines()[0])
    report = json.loads((run_dir / "report.json").read_text())
    assert sorted(report["backends"]) == sorted(ran)
    if installed("pynn:neuron"):
        assert "skipped pynn:neuron: cannot run this spec:" in proc.stderr and "lif_curr_delta" in proc.stderr
