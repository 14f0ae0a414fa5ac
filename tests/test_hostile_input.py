"""Hostile and odd input (issue 14, item 1): one test per class of input that was seen to escape the
one-line-error promise. Whatever the input, the loader and the command line answer with located one-line
problems of bounded length and a distinct exit code, never a traceback, a hang or a half-written result.
The property-based versions of these classes are in test_spec_fuzz.py."""

from __future__ import annotations

import errno
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import SPECS
from snnrun import ExitCode, ResultsError, SpecError
from snnrun.schema import connection_file
from snnrun.schema.errors import MAX_MESSAGE, Problem
from snnrun.schema.loader import load_spec
from snnrun.schema.yaml_loader import load_yaml

SNNRUN = str(Path(sys.executable).with_name("snnrun"))
BASE = """snnrun: "1.0"
name: hostile
simulation: {duration: 2 ms, dt: 0.1 ms}
populations:
  a: {size: 2, model: {type: lif_curr_exp}}
"""
#: a problem line is at most this long: the file name, the path and a clipped message (errors.MAX_MESSAGE)
MAX_LINE = 1000


def problems(text: str, tmp_path: Path | None = None) -> list[Problem]:
    """The problems of a spec given as text (written to a file when ``tmp_path`` is given)."""
    with pytest.raises(SpecError) as info:
        if tmp_path is None:
            load_spec("hostile.yaml", text=text)
        else:
            (tmp_path / "hostile.yaml").write_text(text, encoding="utf-8")
            load_spec(tmp_path / "hostile.yaml")
    found = info.value.problems
    for p in found:
        line = str(p)
        assert "\n" not in line and "\r" not in line and "\u2028" not in line and "\x85" not in line, repr(line)
        assert len(line) <= MAX_LINE, len(line)
        assert p.line >= 1 and p.column >= 1, line
    return found


def cli(*args, timeout=120, **kw):
    return subprocess.run([SNNRUN, *map(str, args)], capture_output=True, text=True, timeout=timeout, **kw)


def assert_one_line_error(proc, code: int) -> str:
    assert proc.returncode == code, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr and "╭" not in proc.stderr, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1, proc.stderr
    return lines[0]


# --- integers with thousands of digits ---------------------------------------------------------------

@pytest.mark.parametrize("number", ["0x" + "f" * 5000, "0o" + "7" * 6000, "9" * 5000, "-" + "1" * 200])
@pytest.mark.parametrize("where", ["seed", "size"])
def test_integers_with_thousands_of_digits_are_one_located_problem(number, where):
    text = BASE + f"seed: {number}\n" if where == "seed" else BASE.replace("size: 2", f"size: {number}")
    found = problems(text)
    assert len(found) == 1 and "has too many digits (integers have at most 100)" in found[0].message
    assert found[0].path == ((where,) if where == "seed" else ("populations", "a", "size"))


def test_a_huge_integer_at_the_command_line_is_exit_3_without_traceback(tmp_path):
    spec = tmp_path / "s.yaml"
    spec.write_text(BASE + "seed: 0x" + "f" * 5000 + "\n")
    assert "too many digits" in assert_one_line_error(cli("validate", spec), ExitCode.INVALID_SPEC)


# --- NUL bytes, line breaks and long text in names, values and file names ---------------------------

def test_a_nul_byte_in_a_connection_file_name_is_a_problem(tmp_path):
    text = BASE + ('projections:\n  p: {pre: a, post: a, connect: {rule: from_list, file: "x\\0y.csv"}, '
                   "synapse: {weight: 1 pA}}\n")
    found = problems(text, tmp_path)
    assert len(found) == 1 and "its name contains a NUL character" in found[0].message
    assert "\\x00" in str(found[0])  # escaped, not a raw NUL on the terminal


def test_a_nul_byte_in_the_spec_path_is_a_problem():
    with pytest.raises(SpecError) as info:
        load_spec("spec\0.yaml")
    assert "NUL" in str(info.value) and str(info.value.problems[0]).startswith("spec\\x00.yaml:1:1: ")


@pytest.mark.parametrize("char", ["\\n", "\\r", "\\u2028", "\\x85", "\\u2029", "\\t\\r\\n"])
@pytest.mark.parametrize("where", ["quantity", "unit", "key", "name"])
def test_line_breaks_in_quantities_units_keys_and_names_stay_escaped_on_one_line(char, where):
    text = {"quantity": BASE.replace("{type: lif_curr_exp}", f'{{type: lif_curr_exp, params: {{tau_m: "20{char} ms"}}}}'),
            "unit": BASE.replace("{type: lif_curr_exp}", f'{{type: lif_curr_exp, params: {{tau_m: "20 m{char}s"}}}}'),
            "key": BASE.replace("{type: lif_curr_exp}", f'{{type: lif_curr_exp, params: {{"tau{char}_m": 20 ms}}}}'),
            "name": BASE.replace("  a: {size", f'  "a{char}b": {{size')}[where]
    found = problems(text)
    assert found and any("\\" in str(p) for p in found)  # the break is shown as an escape


def test_a_megabyte_of_user_text_gives_a_short_line():
    for text in [BASE.replace("name: hostile", f'name: "{"A" * 2**20}"'),
                 BASE.replace("{type: lif_curr_exp}", f'{{type: "{"x" * 2**20}"}}'),
                 BASE.replace("{type: lif_curr_exp}", f'{{type: lif_curr_exp, params: {{tau_m: "{"9" * 2**20} ms"}}}}')]:
        found = problems(text)
        assert all(len(p.message) <= MAX_MESSAGE for p in found)


@pytest.mark.parametrize("make", ["missing", "folder", "too_large", "not_utf8", "fifo"])
def test_file_level_problems_have_line_and_column(make, tmp_path):
    path = tmp_path / "spec.yaml"
    if make == "folder":
        path.mkdir()
    elif make == "too_large":
        path.write_bytes(b"#" * (10 * 2**20 + 1))
    elif make == "not_utf8":
        path.write_bytes(b"snnrun: \"1.0\"\nname: \xff\n")
    elif make == "fifo":
        os.mkfifo(path)
    with pytest.raises(SpecError) as info:
        load_spec(path)  # a FIFO without a writer would block a plain open() forever
    (p,) = info.value.problems
    assert p.line >= 1 and p.column >= 1 and str(p).startswith(f"{path}:{p.line}:{p.column}: ")
    if make == "fifo":
        assert "FIFO" in p.message


# --- patterns: a trailing newline, other scripts' digits -------------------------------------------

@pytest.mark.parametrize("text, path", [
    (BASE.replace('snnrun: "1.0"', 'snnrun: "1.0\\n"'), ("snnrun",)),
    (BASE.replace("name: hostile", 'name: "t\\n"'), ("name",)),
    (BASE.replace("  a: {size", '  "a\\n": {size'), ("populations", "a\\n")),
    (BASE.replace("{type: lif_curr_exp}", '{type: lif_curr_exp, params: {tau_m: "٢٠ ms"}}'),
     ("populations", "a", "model", "params", "tau_m")),
    (BASE.replace("{type: lif_curr_exp}", '{type: lif_curr_exp, params: {tau_m: "20 ms\\n"}}'),
     ("populations", "a", "model", "params", "tau_m")),
])
def test_a_trailing_newline_or_non_ascii_digits_do_not_pass_a_pattern(text, path):
    assert path in [p.path for p in problems(text)]


def test_non_ascii_digits_in_a_connection_file_are_refused(tmp_path):
    (tmp_path / "c.csv").write_text("pre,post\n٠,1\n", encoding="utf-8")
    text = BASE + "projections:\n  p: {pre: a, post: a, connect: {rule: from_list, file: c.csv}, synapse: {weight: 1 pA}}\n"
    assert "c.csv:2: expected two neuron indices, got '٠,1'" in problems(text, tmp_path)[0].message


# --- alias expansion bounded in characters -----------------------------------------------------------

def test_a_long_scalar_aliased_many_times_is_refused_before_later_stages_see_it():
    """A 1 MiB scalar and 100 aliases of it: 100 MiB of text after expansion, far beyond twice the file
    size limit (20 MiB). Measured as work, not time: the loader stops at the alias that crosses the bound,
    so the expanded text never exists (the builder has replayed at most that many characters)."""
    text = "snnrun: &x '" + "a" * 2**20 + "'\n" + "".join(f"k{i}: *x\n" for i in range(100))
    with pytest.raises(SpecError) as info:
        load_yaml("bomb.yaml", text=text)
    (p,) = info.value.problems
    assert "larger than 20 MiB after alias expansion" in p.message and p.line == 20  # the 19th alias crosses
    # below the bound the same aliases load, each value a full copy
    doc = load_yaml("ok.yaml", text="snnrun: &x '" + "a" * 1000 + "'\n" + "".join(f"k{i}: *x\n" for i in range(100)))
    assert doc.data["k99"] == "a" * 1000


# --- FIFOs and large connection files ---------------------------------------------------------------

def test_a_fifo_as_spec_or_connection_file_does_not_block(tmp_path):
    os.mkfifo(tmp_path / "conns.csv")
    spec = tmp_path / "s.yaml"
    spec.write_text(BASE + "projections:\n  p: {pre: a, post: a, connect: {rule: from_list, file: conns.csv}, "
                           "synapse: {weight: 1 pA}}\n")
    # the timeout is a guard against the old behaviour (blocking forever), not a speed check
    line = assert_one_line_error(cli("validate", spec, timeout=60), ExitCode.INVALID_SPEC)
    assert "cannot read connection file 'conns.csv': it is a FIFO (named pipe), not a regular file" in line
    os.mkfifo(tmp_path / "fifo.yaml")
    line = assert_one_line_error(cli("validate", tmp_path / "fifo.yaml", timeout=60), ExitCode.INVALID_SPEC)
    assert "fifo.yaml:1:1: <root>: cannot read the file: it is a FIFO" in line


def test_a_large_valid_connection_file_is_read_column_wise(tmp_path, monkeypatch):
    """200 000 rows are parsed by the column-wise reader alone (the row-by-row one would take 35 s and 3 GB
    for a file near the 64 MiB limit): it is disabled here, so the file must not need it."""
    rows = "".join(f"{i % 500},{(i * 7) % 500},{1 + i % 9}.5 pA,{1 + i % 3} ms\n" for i in range(200_000))
    (tmp_path / "c.csv").write_text("pre,post,weight,delay\n" + rows)
    monkeypatch.setattr(connection_file, "_slow", lambda *a: pytest.fail("the row-by-row reader ran"))
    text = BASE.replace("size: 2", "size: 500") + ("projections:\n  p: {pre: a, post: a, connect: {rule: from_list, "
                                                   "file: c.csv}, synapse: {receptor: exc}}\n")
    (tmp_path / "s.yaml").write_text(text)
    proj = load_spec(tmp_path / "s.yaml").projections["p"]
    assert len(proj.connect.pairs) == 200_000 and proj.connect.pairs[3] == (3, 21)
    assert proj.synapse.weight.values[3] == pytest.approx(4.5e-12) and proj.synapse.delay.values[2] == pytest.approx(3e-3)


def test_a_bad_row_late_in_a_connection_file_is_reported_with_its_row(tmp_path):
    rows = ["0,1,1 pA"] * 5000 + ["0,1,1 mV"] + ["0,1,1 pA"] * 10
    (tmp_path / "c.csv").write_text("pre,post,weight\n" + "\n".join(rows) + "\n")
    text = BASE + "projections:\n  p: {pre: a, post: a, connect: {rule: from_list, file: c.csv}, synapse: {}}\n"
    assert problems(text, tmp_path)[0].message == ("c.csv:5002: weight: expected a current (e.g. '0.5 nA'), got "
                                                   "'1 mV' (a voltage)")


def test_a_connection_file_too_large_is_refused_unread(tmp_path, monkeypatch):
    monkeypatch.setattr(connection_file, "MAX_BYTES", 100)
    from snnrun.schema import normalise
    monkeypatch.setattr(normalise, "MAX_CONNECTION_FILE_BYTES", 100)
    (tmp_path / "c.csv").write_text("pre,post\n" + "0,1\n" * 100)
    text = BASE + "projections:\n  p: {pre: a, post: a, connect: {rule: from_list, file: c.csv}, synapse: {weight: 1 pA}}\n"
    assert problems(text, tmp_path)[0].message == "connection file is larger than 100 bytes"


# --- results that cannot be written, run folders that are damaged -----------------------------------

@pytest.mark.parametrize("where", ["a_file", "under_a_file"])
def test_an_unwritable_out_folder_is_exit_7_and_leaves_nothing(where, tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder")
    out = blocker if where == "a_file" else blocker / "sub"
    line = assert_one_line_error(cli(SPECS / "fi_curve.yaml", "--out", out), ExitCode.RESULTS_ERROR)
    assert line.startswith(f"error: cannot write results to '{out}': ")
    assert blocker.read_text() == "not a folder"


def test_a_full_disk_while_writing_is_a_results_error_and_no_partial_folder(tmp_path, monkeypatch):
    import pyarrow.parquet as pq
    from snnrun.execute import execute

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pq, "write_table", full)
    with pytest.raises(ResultsError, match="no space left on the device"):
        execute(SPECS / "fi_curve.yaml", "reference", out=tmp_path)
    assert not any(p.name.endswith(".partial") for p in (tmp_path / "fi_curve").iterdir())


@pytest.fixture(scope="module")
def saved_run(tmp_path_factory):
    """A committed run of fi_curve on the reference engine, copied by each test before damaging it."""
    from snnrun.execute import execute
    return execute(SPECS / "fi_curve.yaml", "reference", out=tmp_path_factory.mktemp("runs")).run_dir


DAMAGES = {
    "run manifest not JSON": lambda d: (d / "manifest.json").write_text("{not json"),
    "run manifest a list": lambda d: (d / "manifest.json").write_text("[1, 2]"),
    "backend manifest missing": lambda d: (d / "reference" / "manifest.json").unlink(),
    "backend folder escapes": lambda d: (d / "manifest.json").write_text(json.dumps(
        {"backends": {"reference": {"folder": "../../etc", "status": "ok"}}})),
    "spikes truncated": lambda d: (d / "reference" / "spikes.parquet").write_bytes(b"PAR1\x00\x00"),
    "trace not parquet": lambda d: (d / "reference" / "traces" / "cells.v.parquet").write_text("x"),
    "backend manifest without dt": lambda d: (d / "reference" / "manifest.json").write_text(json.dumps(
        {k: v for k, v in json.loads((d / "reference" / "manifest.json").read_text()).items() if k != "dt"})),
}


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_a_damaged_run_folder_is_one_line_exit_7(damage, saved_run, tmp_path):
    from snnrun.compare import compare_run
    run = tmp_path / saved_run.name
    shutil.copytree(saved_run, run)
    DAMAGES[damage](run)
    with pytest.raises(ResultsError) as info:
        comparison = compare_run(run)
        _ = comparison.report  # noqa: F841 - the damage is found while comparing
    assert "\n" not in str(info.value)


def test_compare_and_plot_of_a_damaged_run_exit_7_without_traceback(saved_run, tmp_path):
    run = tmp_path / saved_run.name
    shutil.copytree(saved_run, run)
    DAMAGES["spikes truncated"](run)
    for command in ("compare", "plot"):
        line = assert_one_line_error(cli(command, run), ExitCode.RESULTS_ERROR)
        assert "spikes.parquet: damaged results file" in line


# --- valid specs that ask for absurd work ------------------------------------------------------------

ABSURD = {
    "1e8 neurons": ("populations.a.size", BASE.replace("size: 2", "size: 100000000")),
    "all_to_all 1e6 x 1e6": ("projections.p.connect", BASE.replace("size: 2", "size: 1000000") +
                             "projections:\n  p: {pre: a, post: a, connect: {rule: all_to_all}, synapse: {weight: 1 pA}}\n"),
    "p = 1 on 1e6": ("projections.p.connect", BASE.replace("size: 2", "size: 1000000") +
                     "projections:\n  p: {pre: a, post: a, connect: {rule: fixed_probability, p: 1}, "
                     "synapse: {weight: 1 pA}}\n"),
    "1e7 s": ("simulation.duration", BASE.replace("duration: 2 ms", "duration: 1e7 s")),
    "1 kHz from 1e6 sources for 1000 s": ("populations.s.model", BASE.replace("duration: 2 ms", "duration: 1000 s") +
                                          "  s: {size: 1000000, model: {type: poisson, params: {rate: 1 kHz}}}\n"),
}


@pytest.mark.parametrize("case", sorted(ABSURD))
def test_absurd_specs_are_refused_up_front_with_the_spec_path(case, tmp_path):
    path, text = ABSURD[case]
    spec = tmp_path / "absurd.yaml"
    spec.write_text(text)
    line = assert_one_line_error(cli(spec, "--out", tmp_path / "out"), ExitCode.TOO_LARGE)
    assert f": {path}: " in line and ("--force" in line)
    assert not (tmp_path / "out").exists()  # refused before anything was drawn or written


def test_a_source_above_1_over_dt_is_refused_with_its_path():
    text = BASE + "  s: {size: 2, model: {type: poisson, params: {rate: 1e9 Hz}}}\n"
    (p,) = problems(text)
    assert p.path == ("populations", "s", "model", "params", "rate") and "is above 1/dt = 10000 Hz" in p.message


def _address_space(limit: int):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    return apply


def test_force_runs_past_the_estimate_and_a_memory_error_is_one_line(tmp_path):
    """Under ``ulimit -v`` of 1 GiB (which the estimate reads), 1.44e8 synapses are refused; with --force
    the draw runs out of memory (1.15 GB of int32 indices alone), which is one line with exit code 10,
    not a traceback."""
    spec = tmp_path / "big.yaml"
    spec.write_text(BASE.replace("size: 2", "size: 12000") + "projections:\n  p: {pre: a, post: a, connect: "
                    "{rule: all_to_all}, synapse: {weight: 1 pA}}\nrecord: []\n")
    limit = _address_space(2**30)
    line = assert_one_line_error(cli(spec, "--out", tmp_path / "out", preexec_fn=limit), ExitCode.TOO_LARGE)
    assert "projections.p.connect: the run needs about" in line and "MiB of memory available" in line
    line = assert_one_line_error(cli(spec, "--out", tmp_path / "out", "--force", preexec_fn=limit),
                                 ExitCode.TOO_LARGE)
    assert line.startswith("error: out of memory while drawing the network")
    assert not any(p.name.endswith(".partial") for p in (tmp_path / "out").rglob("*"))


def test_the_estimate_counts_what_the_instance_will_hold():
    """Counts against closed forms of the spec (no drawing): synapses of each rule, source spikes,
    recorded samples; and the bytes are those counts times the table's constants."""
    from snnrun.estimate import BYTES, check_fits, estimate
    text = BASE.replace("size: 2", "size: 1000") + """  s: {size: 50, model: {type: poisson, params: {rate: 10 Hz}}}
projections:
  p1: {pre: a, post: a, connect: {rule: fixed_probability, p: 0.1, allow_self: false}, synapse: {weight: 1 pA}}
  p2: {pre: s, post: a, connect: {rule: fixed_indegree, n: 7}, synapse: {weight: 1 pA}}
record:
  - {population: a, variable: v, neurons: [0, 1, 2], interval: 0.5 ms}
"""
    spec = load_spec("e.yaml", text=text)
    est = estimate(spec, backends=2)
    assert est.synapses == pytest.approx(0.1 * 1000 * 999 + 7 * 1000)
    assert est.source_spikes == pytest.approx(50 * 10 * 2e-3)
    assert est.recorded_samples == 3 * 4 and est.steps == 20 and est.neurons == 1050
    per = {k: a + 2 * b for k, (a, b) in BYTES.items()}
    assert est.bytes == pytest.approx(est.synapses * per["synapse"] + 1050 * per["neuron"]
                                      + est.source_spikes * per["source spike"] + 12 * per["recorded sample"])
    assert check_fits(spec, available=10**12) is not None
    with pytest.raises(MemoryError, match="projections.p1.connect: the run needs about"):
        check_fits(spec, available=1000)


def test_named_backends_are_charged_their_own_measured_cost_per_synapse():
    """A backend whose cost per synapse was measured (the full-scale microcircuit, README) is charged
    that, the others the table's worst case; the reference engine's numpy kernel more than its compiled
    one; and the CLI counts the most expensive of the backends that run at once."""
    import importlib.util
    from snnrun.cli import _backends_at_once
    from snnrun.estimate import BYTES, REFERENCE_SYNAPSE_BYTES, SYNAPSE_BYTES_BY_BACKEND, estimate
    text = BASE.replace("size: 2", "size: 1000") + """projections:
  p1: {pre: a, post: a, connect: {rule: fixed_indegree, n: 100}, synapse: {weight: 1 pA}}
"""
    spec = load_spec("e.yaml", text=text)
    # over the drawn instance alone (0 backends): what one backend adds
    synapse_part = {b: estimate(spec, [b]).bytes - estimate(spec, 0).bytes for b in ("pynn:nest", "pynn:neuron")}
    neuron_part = 1000 * BYTES["neuron"][1]
    assert synapse_part["pynn:nest"] == pytest.approx(1e5 * SYNAPSE_BYTES_BY_BACKEND["pynn:nest"] + neuron_part)
    assert synapse_part["pynn:neuron"] == pytest.approx(1e5 * BYTES["synapse"][1] + neuron_part)
    assert estimate(spec, ["pynn:nest"]).bytes < estimate(spec, 1).bytes
    numpy_spec = load_spec("e.yaml", text=text.replace("simulation: {", "simulation: {options: {reference: {kernel: numpy}}, ", 1))
    kernel = "numba" if importlib.util.find_spec("numba") else "numpy"
    assert estimate(numpy_spec, ["reference"]).bytes - estimate(spec, ["reference"]).bytes == pytest.approx(
        1e5 * (REFERENCE_SYNAPSE_BYTES["numpy"] - REFERENCE_SYNAPSE_BYTES[kernel]))
    assert _backends_at_once(spec, ["reference", "pynn:nest", "pynn:neuron"], jobs=2) == ["pynn:neuron", "pynn:nest"]
    assert _backends_at_once(spec, [], jobs=None) == ["reference"]


# --- stale partial folders ----------------------------------------------------------------------------

def test_stale_partial_folders_are_removed_by_the_next_run(tmp_path):
    import socket
    from snnrun.execute import execute
    from snnrun.results import OWNER, STALE_PARTIAL_DAYS
    parent = tmp_path / "fi_curve"
    parent.mkdir()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    folders = {name: parent / f".{name}.partial" for name in ("dead", "alive", "old", "other_host")}
    for name, folder in folders.items():
        folder.mkdir()
        owner = {"dead": dead.pid, "alive": os.getpid(), "old": None, "other_host": dead.pid}[name]
        if owner is not None:
            host = "elsewhere.example" if name == "other_host" else socket.gethostname()
            (folder / OWNER).write_text(json.dumps({"host": host, "pid": owner}))
    old = time.time() - (STALE_PARTIAL_DAYS + 1) * 86400
    os.utime(folders["old"], (old, old))
    execute(SPECS / "fi_curve.yaml", "reference", out=tmp_path)
    left = {p.name for p in parent.iterdir() if p.name.endswith(".partial")}
    # a dead owner on this host and an ownerless folder a week old go; a live run and another host's stay
    assert left == {".alive.partial", ".other_host.partial"}


# --- property-based: damaged folders and failing writes -----------------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

PROPERTY = settings(max_examples=40, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


@PROPERTY
@given(data=st.data())
def test_any_damage_to_a_run_folder_is_a_one_line_error(data, saved_run, tmp_path_factory):
    """Truncate or overwrite bytes of any file of a saved run: comparing it gives a report or a one-line
    ResultsError (SpecError for a damaged spec.yaml), never another exception."""
    from snnrun.compare import compare_run
    run = tmp_path_factory.mktemp("damaged") / saved_run.name
    shutil.copytree(saved_run, run)
    files = sorted(p for p in run.rglob("*") if p.is_file())
    target = data.draw(st.sampled_from(files))
    blob = target.read_bytes()
    how = data.draw(st.sampled_from(["truncate", "overwrite", "empty", "delete"]))
    if how == "truncate":
        target.write_bytes(blob[:data.draw(st.integers(0, max(0, len(blob) - 1)))])
    elif how == "overwrite":
        at = data.draw(st.integers(0, max(0, len(blob) - 1)))
        target.write_bytes(blob[:at] + data.draw(st.binary(min_size=1, max_size=16)) + blob[at + 16:])
    elif how == "empty":
        target.write_bytes(b"")
    else:
        target.unlink()
    try:
        compare_run(run)
    except (ResultsError, SpecError) as error:
        assert all("\n" not in line for line in error.lines())


TINY = BASE + "record: [{population: a, variable: spikes}, {population: a, variable: v}]\n"


@PROPERTY
@given(fail_at=st.integers(0, 12), reason=st.sampled_from([errno.ENOSPC, errno.EACCES, errno.EROFS, errno.EIO]))
def test_any_failing_write_is_a_results_error_and_leaves_no_folder(fail_at, reason, tmp_path_factory, monkeypatch):
    """The k-th file-system write of a run fails (disk full, permission, read-only, I/O): the run raises
    one ResultsError and leaves neither a run folder nor a partial one."""
    import pathlib

    import pyarrow.parquet as pq
    from snnrun.execute import execute

    out = tmp_path_factory.mktemp("writes")
    spec = out / "tiny.yaml"
    spec.write_text(TINY)
    calls = [0]

    def failing(original):
        def wrapper(*args, **kwargs):
            calls[0] += 1
            if calls[0] == fail_at + 1:
                raise OSError(reason, os.strerror(reason))
            return original(*args, **kwargs)
        return wrapper

    with monkeypatch.context() as m:
        for owner, name in ((pathlib.Path, "write_text"), (pathlib.Path, "mkdir"), (pq, "write_table"),
                            (os, "rename")):
            m.setattr(owner, name, failing(getattr(owner, name)))
        try:
            run_dir = execute(spec, "reference", out=out / "results").run_dir
        except ResultsError as error:
            assert "\n" not in str(error) and str(error).startswith("cannot write results to ")
            left = list((out / "results").rglob("*")) if (out / "results").exists() else []
            assert not [p for p in left if p.is_dir() and p.parent.name == "hostile"], left
            return
    assert calls[0] <= fail_at  # no write failed: the run is complete
    assert (run_dir / "manifest.json").is_file()
