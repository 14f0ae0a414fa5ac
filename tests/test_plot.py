"""``snnrun plot RUN_DIR`` (issue 14, item 5): the figures of any run, one backend or many, as PNG files and
one self-contained HTML page; checked for content (every backend and population appears, one figure per
population and recorded variable, the injected currents), not for pixels."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SPECS, WorkerReference
from snnrun import ExitCode, ResultsError
from snnrun.adapters import registry
from snnrun.execute import execute
from snnrun.plot import plot_run

SNNRUN = str(Path(sys.executable).with_name("snnrun"))
PNG = b"\x89PNG\r\n\x1a\n"


class Second(WorkerReference):
    name = "nengo"


SMALL = """snnrun: "1.0"
name: plotted
simulation: {duration: 50 ms, dt: 0.1 ms}
populations:
  drive: {size: 5, model: {type: poisson, params: {rate: 100 Hz}}}
  cells: {size: 3, model: {type: lif_curr_exp, params: {cm: 1 nF}}}
projections:
  p: {pre: drive, post: cells, connect: {rule: all_to_all}, synapse: {weight: 2 nA}}
stimuli:
  bias: {type: dc, target: {population: cells, neurons: [0, 2]}, amplitude: {values: [0.8, 1.2], unit: nA}}
record:
  - {population: drive, variable: spikes}
  - {population: cells, variable: spikes}
  - {population: cells, variable: v}
"""


@pytest.fixture(scope="module")
def tour_run(tmp_path_factory):
    """A source and three neurons with a per-neuron dc stimulus, v recorded, on two backends."""
    folder = tmp_path_factory.mktemp("plot")
    (folder / "plotted.yaml").write_text(SMALL)
    with pytest.MonkeyPatch.context() as m:
        m.setitem(registry.ADAPTERS, "nengo", "test_plot:Second")
        return execute(folder / "plotted.yaml", ["reference", "nengo"], out=folder, keep_going=True).run_dir


def test_plot_draws_every_population_backend_trace_and_stimulus(tour_run):
    page, files = plot_run(tour_run)
    html = page.read_text()
    assert page == tour_run / "plots.html" and "<script" not in html and "http://" not in html
    populations = ["cells", "drive"]
    for pop in populations:
        assert f"<h2>Population {pop}</h2>" in html
        assert (tour_run / "plots" / f"raster_{pop}.png").read_bytes().startswith(PNG)
        assert (tour_run / "plots" / f"rate_{pop}.png").is_file()
    for backend in ("reference", "nengo"):
        assert f"<th>{backend} spikes</th>" in html
    traces = sorted(p.name for p in files if p.name.startswith("trace_"))
    recorded = sorted(f"trace_{p.stem.replace('.', '_')}.png" for p in (tour_run / "reference" / "traces").iterdir())
    assert traces == recorded and recorded
    assert (tour_run / "plots" / "stimuli.png").is_file() and "<h2>Injected currents</h2>" in html
    assert html.count('src="data:image/png;base64,') == len(files) == 2 * len(populations) + len(traces) + 1


def test_plot_of_one_backend_folder_a_filter_and_another_out_folder(tour_run, tmp_path):
    page, _ = plot_run(tour_run / "nengo", out=tmp_path / "one")
    assert "<th>nengo spikes</th>" in page.read_text() and "reference spikes" not in page.read_text()
    page, _ = plot_run(tour_run, out=tmp_path / "filtered", backends=["reference"])
    assert "nengo" not in page.read_text().split("<h2>", 1)[1]
    with pytest.raises(ResultsError, match="no results of backend brian2"):
        plot_run(tour_run, out=tmp_path / "x", backends=["brian2"])


def test_snnrun_plot_takes_a_spec_folder_and_fails_in_one_line(tour_run, tmp_path):
    proc = subprocess.run([SNNRUN, "plot", tour_run.parent, "--out", tmp_path], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert f"plotting the latest run: {tour_run}" in proc.stderr and f"plots: {tmp_path / 'plots.html'}" in proc.stdout
    proc = subprocess.run([SNNRUN, "plot", tmp_path / "nothing"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == ExitCode.RESULTS_ERROR and proc.stderr.count("\n") == 1
    assert "Traceback" not in proc.stderr
