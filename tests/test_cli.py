"""The snnrun command line as a user runs it: real subprocesses, exit codes, one-line errors, results."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from snnrun.adapters.registry import known_backends

from conftest import ROOT, SPECS, WorkerReference
from snnrun import ExitCode, read_results
from snnrun.schema.build import schema_text

SNNRUN = str(Path(sys.executable).with_name("snnrun"))
# single-run examples; the sweep examples (a sweep: block) are run by test_sweep.py
#: examples too long for the suite, each covered by a shorter run elsewhere
LONG_EXAMPLES = {
    "song_miller_abbott.yaml": "1000 s simulated, 5-20 min: tests/test_song_miller_abbott.py runs 20 and 40 s of it",
    "cuba_stdp.yaml": "10 s of 4000 plastic neurons, about 12 s: tests/test_weights_results.py runs 0.3 s of it",
    "microcircuit.yaml": "the full-scale microcircuit, 3e8 synapses, minutes and several GiB: "
                         "tests/test_microcircuit.py runs 2 % of it, benchmarks/microcircuit.py the full scale",
}
EXAMPLES = sorted(p.name for p in SPECS.glob("*.yaml") if "\nsweep:" not in p.read_text() and p.name not in LONG_EXAMPLES)


def snnrun(*args, cwd=None, timeout=120):
    return subprocess.run([SNNRUN, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=timeout)


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_example_spec_runs_and_meets_its_expectations(name, tmp_path):
    proc = snnrun(SPECS / name, "--backend", "reference", "--out", tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    run_dir = Path(proc.stdout.strip().splitlines()[-1].split("results: ", 1)[1])
    results = read_results(run_dir)
    assert results.backend == "reference"
    assert list(results.spikes.columns) == ["population", "neuron", "time"]
    assert all(check["passed"] for check in results.expectations)
    for population, row in results.populations.items():
        assert f" {population} " in proc.stdout and f"{row['rate_hz']:.3f}" in proc.stdout


def test_manifest_has_provenance(tmp_path):
    proc = snnrun(SPECS / "fi_curve.yaml", "--out", tmp_path, "--quiet")
    assert proc.returncode == 0, proc.stderr
    run_dir = Path(proc.stdout.strip())
    manifest = json.loads((run_dir / "reference" / "manifest.json").read_text())
    for key in ("spec_hash", "spec_version", "snnrun_version", "simulator_versions", "seed", "dt", "platform",
                "wall_time", "warnings", "backend"):
        assert key in manifest, key
    assert manifest["dt"] == pytest.approx(1e-4)
    assert (run_dir / "spec.yaml").read_text() == (SPECS / "fi_curve.yaml").read_text()
    trace = read_results(run_dir).traces[("cells", "v")]
    assert list(trace.columns) == [0, 5, 10]
    assert trace.index[1] == pytest.approx(1e-4)


def test_seed_override_changes_the_draw(tmp_path):
    a = snnrun(SPECS / "poisson_population.yaml", "--out", tmp_path, "-q", "--seed", "1")
    b = snnrun(SPECS / "poisson_population.yaml", "--out", tmp_path, "-q", "--seed", "2")
    assert a.returncode == b.returncode == 0
    sa, sb = (read_results(Path(p.stdout.strip())).spikes for p in (a, b))
    assert not sa.equals(sb)
    assert json.loads((Path(a.stdout.strip()) / "manifest.json").read_text())["seed"] == 1


UNSUPPORTED = """snnrun: "1.0"
name: cond
simulation: {duration: 10 ms, dt: 0.1 ms, backends: [brian2]}
populations:
  cells: {size: 2, model: {type: lif_curr_exp}}
projections:
  loop:
    pre: cells
    post: cells
    connect: {rule: all_to_all}
    synapse: {weight: 1 nA, plasticity: {rule: stdp, tau_plus: 20 ms, tau_minus: 20 ms, a_plus: 0.01,
                                         a_minus: 0.012, w_max: 2 nA, dendritic_delay_fraction: 0.3},
              short_term: {rule: tsodyks_markram, u: 0.5, tau_rec: 100 ms}}
record:
  - {projection: loop, variable: weight}
"""


def test_unsupported_features_are_listed_with_paths_and_exit_4(tmp_path):
    spec = tmp_path / "cond.yaml"
    spec.write_text(UNSUPPORTED)
    for args in (("check", spec, "--backend", "brian2"), (spec, "--out", tmp_path / "out")):
        proc = snnrun(*args)
        assert proc.returncode == ExitCode.UNSUPPORTED, proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ")
        # brian2 runs STDP, Tsodyks-Markram and weight recording, but its delays are on the grid: the
        # default delay of one step cannot be split 0.6 : 1.4 by the dendritic fraction 0.3
        assert (f"error: {spec}:12:97: projections.loop.synapse.plasticity.dendritic_delay_fraction: "
                "plasticity:stdp:axonal_delay: Brian2 puts delays on the grid") in lines[0]
    assert not (tmp_path / "out").exists()


def test_failed_expectation_exits_6_and_keeps_complete_results(tmp_path):
    text = (SPECS / "fi_curve.yaml").read_text().replace("equals: 67}", "equals: 68}")
    spec = tmp_path / "fi.yaml"
    spec.write_text(text)
    proc = snnrun(spec, "--out", tmp_path / "out")
    assert proc.returncode == ExitCode.EXPECTATION_FAILED
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "expect[2]: reference: cells spike_count 67 differs from 68" in errors[0]
    assert f"{spec}:29:5" in errors[0]
    run_dirs = list((tmp_path / "out" / "fi_curve").iterdir())
    assert len(run_dirs) == 1
    results = read_results(run_dirs[0])
    assert [c["passed"] for c in results.expectations] == [True, True, False]


def test_bad_command_line_and_missing_file(tmp_path):
    proc = snnrun(tmp_path / "nope.yaml", "--out", tmp_path)
    assert proc.returncode == ExitCode.INVALID_SPEC
    assert proc.stderr.count("\n") == 1 and "nope.yaml" in proc.stderr and "Traceback" not in proc.stderr
    proc = snnrun(SPECS / "cuba.yaml", "--backend", "nosuch", "--out", tmp_path)
    assert proc.returncode == ExitCode.UNSUPPORTED and "unknown backend 'nosuch'" in proc.stderr
    proc = snnrun(SPECS / "cuba.yaml", "--seed", "abc")
    assert proc.returncode == ExitCode.USAGE


def test_debug_shows_the_traceback(tmp_path):
    proc = snnrun(tmp_path / "nope.yaml", "--debug")
    assert proc.returncode != 0 and "Traceback" in proc.stderr


def test_validate_schema_backends_and_version():
    proc = snnrun("validate", SPECS / "cuba.yaml")
    assert proc.returncode == 0 and "valid" in proc.stdout
    proc = snnrun("schema")
    assert proc.returncode == 0 and json.loads(proc.stdout) == json.loads(schema_text())
    proc = snnrun("backends")
    assert proc.returncode == 0 and "reference" in proc.stdout and "lif_curr_exp" in proc.stdout
    proc = snnrun("--version")
    assert proc.returncode == 0 and proc.stdout.startswith("snnrun ")


def _wait_for(condition, timeout: float = 60.0) -> bool:
    """Poll ``condition`` every 50 ms until it is true (True) or ``timeout`` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_killed_run_leaves_no_result_that_looks_complete(tmp_path):
    spec = tmp_path / "long.yaml"
    spec.write_text((SPECS / "cuba.yaml").read_text().replace("duration: 1 s", "duration: 30 s"))
    out = tmp_path / "out"
    proc = subprocess.Popen([SNNRUN, spec, "--out", out], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert _wait_for(lambda: list(out.glob("cuba/.*.partial"))), "the run never started writing"
    time.sleep(0.3)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    entries = list((out / "cuba").iterdir())
    assert entries and all(e.name.startswith(".") and e.name.endswith(".partial") for e in entries)
    with pytest.raises(Exception, match="not a complete snnrun results folder"):
        read_results(entries[0])


def test_interrupt_removes_the_partial_folder(tmp_path):
    spec = tmp_path / "long.yaml"
    spec.write_text((SPECS / "cuba.yaml").read_text().replace("duration: 1 s", "duration: 30 s"))
    out = tmp_path / "out"
    proc = subprocess.Popen([SNNRUN, spec, "--out", out], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert _wait_for(lambda: list(out.glob("cuba/.*.partial"))), "the run never started writing"
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == ExitCode.INTERRUPTED
    assert "interrupted" in stderr and "Traceback" not in stderr
    assert list((out / "cuba").iterdir()) == []


def test_schema_file_is_the_generated_one():
    assert (ROOT / "schema" / "snnrun-spec-v1.schema.json").read_text() == schema_text()


# --- everyday use (issue 14, item 4) ---------------------------------------------------------------

def _errors(proc) -> list[str]:
    assert "Traceback" not in proc.stderr and "╭" not in proc.stderr and "Usage:" not in proc.stderr, proc.stderr
    return [line for line in proc.stderr.splitlines() if line.strip()]


@pytest.mark.parametrize("args, words", [
    (("--seed", "-1"), "Invalid value for '--seed'"),
    (("--compare", "--profile", "nope"), "unknown tolerance profile 'nope'"),
    (("--nosuch",), "No such option: --nosuch"),
    (("--jobs", "0"), "Invalid value for '--jobs'"),
])
def test_a_bad_command_line_is_one_error_line_with_exit_2(args, words, tmp_path):
    proc = snnrun(SPECS / "fi_curve.yaml", "--out", tmp_path, *args)
    assert proc.returncode == ExitCode.USAGE
    (line,) = _errors(proc)
    assert line.startswith("error: ") and words in line and "(see 'snnrun run --help')" in line
    assert not list(tmp_path.iterdir())


def test_a_missing_argument_is_one_line_too():
    proc = snnrun("validate")
    assert proc.returncode == ExitCode.USAGE and _errors(proc) == [
        "error: Missing argument 'spec'. (see 'snnrun validate --help')"]


def test_backend_names_are_suggested_and_all_works_for_check(tmp_path):
    proc = snnrun("check", SPECS / "fi_curve.yaml", "--backend", "nest")
    assert proc.returncode == ExitCode.UNSUPPORTED and "did you mean 'pynn:nest'?" in _errors(proc)[0]
    proc = snnrun("check", SPECS / "connections_tour.yaml", "--backend", "all")
    assert proc.returncode == 0, proc.stderr
    assert "supported by reference, brian2, nengo, pynn:brian2, pynn:nest\n" in proc.stdout
    # pyNN.neuron has no IF_curr_delta: named with the element's path; the NIR path (norse, snntorch)
    # refuses the projections between neuron populations
    by_backend = {}
    for line in _errors(proc):
        by_backend.setdefault(line.rsplit("(not supported by backend '", 1)[1].rstrip("')"), []).append(line)
    assert set(by_backend) == {"pynn:neuron", "norse", "snntorch"}
    (line,) = by_backend["pynn:neuron"]
    assert "lif_curr_delta" in line


def test_no_backend_for_a_spec_says_why_one_line_per_backend(tmp_path):
    spec = tmp_path / "cond.yaml"
    # the reference and nengo run plasticity (and this dendritic fraction): an option they do not know
    # stops them; brian2 refuses the off-grid fraction, the pynn backends both rules on one synapse
    spec.write_text(UNSUPPORTED.replace("backends: [brian2]",
                                        "options: {reference: {integrator: rk2}, nengo: {integrator: rk2}}"))
    proc = snnrun(spec, "--backend", "all", "--out", tmp_path / "out")
    assert proc.returncode == ExitCode.UNSUPPORTED
    lines = _errors(proc)
    backends = known_backends()
    assert len(lines) == len(backends) and all("no installed backend can run this spec: " in line for line in lines)
    assert [line.split("this spec: ")[1].split(":")[0] for line in lines] == [b.split(":")[0] for b in backends]


class Sleeps(WorkerReference):
    name = "pynn:brian2"

    def run(self, instance, progress=None):
        time.sleep(60)


def test_a_timeout_names_the_backend(tmp_path, monkeypatch, capsys):
    """One backend of two times out: the run keeps the other and the failing line says which one (it
    said only "timed out after 1 s")."""
    from snnrun import cli
    from snnrun.adapters import registry
    monkeypatch.setitem(registry.ADAPTERS, "pynn:brian2", "test_cli:Sleeps")
    with pytest.raises(SystemExit) as info:
        cli.main([str(SPECS / "fi_curve.yaml"), "-b", "reference", "-b", "pynn:brian2", "--timeout", "1",
                  "--out", str(tmp_path)])
    assert info.value.code == ExitCode.BACKEND_FAILED
    assert "error: backend 'pynn:brian2' failed: timed out after 1 s" in capsys.readouterr().err.splitlines()


def test_expectations_are_one_table_and_compare_takes_the_latest_run(tmp_path):
    proc = snnrun(SPECS / "per_neuron_stimuli.yaml", "--out", tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "expect pass" not in proc.stdout
    rows = [line for line in proc.stdout.splitlines() if line.lstrip().startswith("expect[")]
    assert len(rows) == 4 and all("pass" in row for row in rows)
    assert rows[0].lstrip().startswith("expect[0] (line 31): cells first_spike_time")
    run_dir = Path(proc.stdout.split("results: ", 1)[1].strip())
    first = snnrun("compare", tmp_path / "per_neuron_stimuli")  # the spec's results folder: its latest run
    assert first.returncode == 0 and f"comparing the latest run: {run_dir}" in first.stderr
    assert (run_dir / "report.json").is_file() and "replaced" not in first.stderr
    again = snnrun("compare", run_dir, "--profile", "exact")
    assert again.returncode == 0 and "replaced the earlier report (profile network, reference reference" in again.stderr


def test_backends_table_is_not_cut_off_a_terminal_and_counts_read_well(tmp_path):
    from snnrun.adapters.registry import get_adapter
    proc = snnrun("backends")  # stdout is a pipe here: rich would assume 80 columns
    assert proc.returncode == 0 and "…" not in proc.stdout
    text = " ".join(proc.stdout.split())
    for model in get_adapter("reference").capabilities.models:
        assert model in text
    spec = tmp_path / "one.yaml"
    spec.write_text('snnrun: "1.0"\nname: one\nsimulation: {duration: 1 ms, dt: 0.1 ms}\n'
                    "populations: {a: {size: 1, model: {type: lif_curr_exp}}}\n")
    assert snnrun("validate", spec).stdout.endswith("valid (snnrun 1.0, 1 population, 0 projections)\n")


def test_the_api_is_listed_and_the_install_hint_fits_a_checkout():
    import snnrun as package
    from snnrun.adapters.registry import declaration
    assert set(package.__all__) <= set(dir(package))
    assert "annotations" not in dir(package)
    # this test runs from a checkout (an editable install): the hint installs the checkout's extra
    assert declaration("brian2").install_hint() == f'pip install -e ".[brian2]" (in {ROOT})'


def test_a_plain_reference_run_imports_neither_pandas_nor_jsonschema(tmp_path):
    """A valid spec run on the reference engine writes its complete results without pandas (pyarrow's
    array constructor would import it: runner/arrow_columns.py) and without jsonschema (schema/fast_check.py);
    together about 0.3 s of a command-line run. The results are then read back with pandas, here."""
    code = ("import sys; from snnrun.cli import main\n"
            "try:\n    main()\nexcept SystemExit as e:\n    code = e.code\n"
            "print('IMPORTED', sorted(m for m in ('pandas', 'jsonschema') if m in sys.modules), code)")
    proc = subprocess.run([sys.executable, "-c", code, str(SPECS / "compare_small.yaml"), "--backend", "reference",
                           "--out", str(tmp_path), "-q"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "IMPORTED [] 0" in proc.stdout, proc.stdout + proc.stderr
    results = read_results(Path(proc.stdout.splitlines()[0].strip()))
    assert list(results.spikes.columns) == ["population", "neuron", "time"] and len(results.spikes) > 0
