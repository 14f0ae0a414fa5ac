"""The norse and snntorch backends: a spec run through each framework's own NIR import, in worker
processes, checked against an oracle written here (forward Euler in float64, the discretisation both
frameworks document) and against the reference engine; what the NIR path cannot carry is refused.

Tolerance against the oracle: the frameworks compute in float32 (relative 6e-8 per operation); over a
few thousand steps of a 15 mV range the membrane drifts by about 1e-8 V, so traces must agree within
1e-7 V (one ten-thousandth of a millivolt's 1 percent) and spikes must fall on the very same steps."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import SPECS
from snnrun.adapters.registry import get_adapter
from snnrun.execute import execute
from snnrun.instance import instantiate
from snnrun.schema.loader import load_spec

SNNRUN = str(Path(sys.executable).with_name("snnrun"))
TORCH = ("norse", "snntorch")
V_TOLERANCE = 1e-7  # V: float32 against float64 (module docstring)

DELTA = """
snnrun: "1.0"
name: torch_delta
seed: 5
simulation: {duration: 300 ms, dt: 0.1 ms}
populations:
  drive:
    size: 30
    model: {type: poisson, params: {rate: 40 Hz}}
  cells:
    size: 8
    model: {type: lif_curr_delta, params: {tau_m: 15 ms, v_rest: -60 mV, v_reset: -60 mV, v_thresh: -50 mV,
                                           tau_refrac: 0 ms}}
projections:
  drive:
    pre: drive
    post: cells
    connect: {rule: fixed_probability, p: 0.5}
    synapse: {receptor: exc, weight: {distribution: uniform, low: 0.5 mV, high: 2 mV}, delay: {values: [], unit: ms}}
record:
  - {population: cells, variable: spikes}
  - {population: cells, variable: v}
"""


def euler(instance, population: str):
    """Forward Euler at dt in float64, current first (the frameworks' scheme), from the instance alone:
    a spike stamped s dt through delay d arrives at (s + d) dt and enters the step that starts then; a
    neuron spikes when v > v_thresh at the end of a step, stamped then, and restarts from v_reset.
    Returns (v at every step boundary 0..n_steps-1, {neuron: [stamps in steps]})."""
    pop, dt, n = instance.populations[population], instance.dt, instance.n_steps
    p = pop.params
    arrivals = np.zeros((n + 1, pop.size))
    for proj in instance.projections.values():
        if proj.post_population != population:
            continue
        trains = instance.populations[proj.pre_population].spikes
        for j, i, w, d in zip(proj.pre, proj.post, proj.weight, proj.delay_steps):
            stamps = trains.steps[trains.indptr[j]:trains.indptr[j + 1]]
            np.add.at(arrivals[:, i], stamps[stamps + d <= n] + d, w)
    v, current = p["v_rest"].copy(), np.zeros(pop.size)
    trace, fired = [v.copy()], {}
    for k in range(n - 1):
        if pop.type == "lif_curr_exp":
            current = current * (1 - dt / p["tau_syn_exc"]) + arrivals[k]
            v = v + dt / p["tau_m"] * (p["v_rest"] - v + p["tau_m"] / p["cm"] * current)
        else:
            v = v + dt / p["tau_m"] * (p["v_rest"] - v) + arrivals[k]
        spiking = v > p["v_thresh"]
        for i in np.flatnonzero(spiking):
            fired.setdefault(int(i), []).append(k + 1)
        v = np.where(spiking, p["v_reset"], v)
        trace.append(v.copy())
    return np.asarray(trace), fired


@pytest.fixture(scope="module")
def lif_compare(tmp_path_factory):
    """The README's command: specs/nir_lif.yaml on the reference and both frameworks, compared."""
    out = tmp_path_factory.mktemp("nir_lif")
    proc = subprocess.run([SNNRUN, str(SPECS / "nir_lif.yaml"), "-b", "reference", "-b", "norse", "-b", "snntorch",
                           "--compare", "--out", str(out)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return Path(proc.stdout.split("results: ", 1)[1].splitlines()[0])


def _check_against_euler(results, instance, population: str, backend: str):
    expected_v, expected_spikes = euler(instance, population)
    frame = results.spikes
    got = frame[frame["population"] == population]
    stamps = {int(i): list(np.rint(g["time"].to_numpy() / instance.dt).astype(int)) for i, g in got.groupby("neuron")}
    assert stamps == expected_spikes, f"{backend}: spike steps differ from forward Euler"
    trace = results.traces[(population, "v")]
    neurons = list(trace.columns)
    np.testing.assert_allclose(trace.to_numpy(), expected_v[: len(trace), neurons], rtol=0, atol=V_TOLERANCE,
                               err_msg=f"{backend}: v differs from forward Euler")


@pytest.mark.parametrize("backend", TORCH)
def test_cuba_lif_is_forward_euler_through_the_frameworks_import(backend, lif_compare):
    from snnrun import read_results

    runs = read_results(lif_compare)
    spec = load_spec(SPECS / "nir_lif.yaml")
    _check_against_euler(runs[backend], instantiate(spec), "cells", backend)


def test_the_report_measures_and_explains_each_frameworks_difference(lif_compare):
    report = json.loads((lif_compare / "report.json").read_text())
    assert sorted(report["compared"]) == ["norse", "snntorch"]
    for backend in TORCH:
        pop = report["populations"]["cells"]["backends"][backend]
        assert pop["grade"] in ("agrees", "close"), pop
        assert 0.8 < pop["coincidence"] < 1.0, "Euler moves some spikes by a step or more, not most of them"
        assert pop["first_divergence_s"] is not None
        assert {"discretisation", "reset rule", "spike scaling"} <= set(report["causes"][backend])
    text = (lif_compare / "report.md").read_text()
    assert "## Why the backends differ" in text and "forward Euler" in text
    assert "| `drive` | inputs -> cells | 200 | 10 / 10 / 10 |" in text  # the drawn network's in-degrees
    assert "in-degree and weight histograms of drive" in (lif_compare / "report.html").read_text()


def test_the_first_input_moves_v_in_the_same_step_as_on_the_reference(lif_compare):
    """The delay mapping is exact: v leaves rest on the same step on every backend, and only then do
    the discretisations part (by more than float32 rounding, 1e-6 V)."""
    from snnrun import read_results

    runs = read_results(lif_compare)
    ref = runs["reference"].traces[("cells", "v")].to_numpy()
    for backend in TORCH:
        got = runs[backend].traces[("cells", "v")].to_numpy()
        first = np.argmax(np.abs(got - ref).max(axis=1) > 1e-6)
        moved = np.argmax(np.abs(ref - ref[0]).max(axis=1) > 0)
        assert 0 < moved and first > moved, "the first input moves v in the same step on both"


@pytest.fixture(scope="module")
def delta_runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("delta")
    path = tmp / "delta.yaml"
    path.write_text(DELTA.replace("delay: {values: [], unit: ms}", "delay: {distribution: uniform, low: 1 ms, high: 4 ms}"))
    spec = load_spec(path)
    outcome = execute(spec, list(TORCH), out=tmp, max_workers=2, timeout=300)
    return spec, outcome


@pytest.mark.parametrize("backend", TORCH)
def test_delta_lif_with_per_synapse_delays_is_forward_euler(backend, delta_runs):
    spec, outcome = delta_runs
    _check_against_euler(outcome.results[backend], instantiate(spec), "cells", backend)
    assert outcome.results[backend].manifest["simulator_versions"]["torch"].startswith("2.13.0")


def _messages(backend: str, spec) -> list[str]:
    return [str(p) for p in get_adapter(backend).check(spec)]


@pytest.mark.parametrize("backend", TORCH)
def test_check_refuses_what_the_nir_path_cannot_carry(backend, make_spec):
    base = (SPECS / "nir_lif.yaml").read_text()
    back = ("  back:\n    pre: cells\n    post: cells\n    connect: {rule: one_to_one}\n"
            "    synapse: {receptor: exc, weight: 0.1 nA, delay: 1 ms}\nrecord:")
    recurrent = make_spec(base.replace("record:", back), "recurrent.yaml")
    (line,) = _messages(backend, recurrent)
    assert "projections.back.pre: a projection from neuron population cells: nirtorch delivers spikes" in line
    reset = make_spec(base.replace("v_reset: -65 mV", "v_reset: -70 mV"), "reset.yaml")
    (line,) = _messages(backend, reset)
    assert "populations.cells.model.params.v_reset: v_reset other than v_rest" in line
    stim = make_spec(base + "stimuli:\n  on: {type: dc, target: {population: cells}, amplitude: 0.1 nA}\n", "stim.yaml")
    assert any("stimuli.on.type: stimulus dc: NIR has no current sources" in m for m in _messages(backend, stim))
    only = make_spec('snnrun: "1.0"\nname: only\nsimulation: {duration: 10 ms, dt: 0.1 ms}\npopulations:\n'
                     '  s: {size: 2, model: {type: poisson, params: {rate: 10 Hz}}}\n', "only.yaml")
    assert any("no lif_curr_exp or lif_curr_delta population" in m for m in _messages(backend, only))
    refrac = make_spec(base.replace("tau_refrac: 0 ms", "tau_refrac: 2 ms"), "refrac.yaml")
    assert any("tau_refrac of 20 steps: NIR neurons have no refractory period" in m for m in _messages(backend, refrac))


def test_snntorch_refuses_another_dt_and_several_thresholds(make_spec):
    base = (SPECS / "nir_lif.yaml").read_text()
    fine = make_spec(base.replace("dt: 0.1 ms", "dt: 0.05 ms"), "fine.yaml")
    assert any("simulation.dt: dt 0.05 ms: snnTorch's NIR import fixes dt at 0.1 ms" in m
               for m in _messages("snntorch", fine))
    assert _messages("norse", fine) == []
    spread = make_spec(base.replace("v_thresh: -50 mV,", "v_thresh: -50 mV,").replace(
        "    model:\n      type: lif_curr_exp", "    params: {v_thresh: {values: [" + ", ".join(["-50"] * 19 + ["-51"]) +
        "], unit: mV}}\n    model:\n      type: lif_curr_exp"), "spread.yaml")
    assert any("v_thresh - v_rest differs between neurons" in m for m in _messages("snntorch", spread))
    assert _messages("norse", spread) == []
