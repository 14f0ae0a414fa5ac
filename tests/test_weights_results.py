"""Weights as results: weights.parquet and final_weights.parquet read back through Results, the sample
times a recorded weight means (schema/semantics.md, "Plasticity"), and the comparison's weight metrics and
report panel. Second backends are the reference engine under another name (conftest.WorkerReference)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import SPECS, WorkerReference, run_reference

from snnrun import read_results
from snnrun.adapters import registry
from snnrun.compare import compare_run, write_reports
from snnrun.compare.weights import ks_distance, relative_errors
from snnrun.execute import execute
from snnrun.schema.loader import load_spec
from snnrun.weight_tables import COLUMNS


class Perturbed(WorkerReference):
    """The reference's results with synapse 3's final and recorded weights 1e-4 relative higher."""

    name = "pynn:neuron"

    def run(self, instance, progress=None):
        out = super().run(instance, progress)
        for traces in (out.final_weights, out.weights):
            for trace in traces.values():
                trace.values = trace.values.copy()
                trace.values[:, np.asarray(trace.synapses) == 3] *= 1 + 1e-4
        return out


@pytest.fixture(scope="module")
def pairs_run(tmp_path_factory):
    """specs/stdp_pairs.yaml on the reference, the same engine as pynn:nest and a perturbed pynn:neuron."""
    monkey = pytest.MonkeyPatch()
    monkey.setitem(registry.ADAPTERS, "pynn:nest", "conftest:WorkerReference")
    monkey.setitem(registry.ADAPTERS, "pynn:neuron", "test_weights_results:Perturbed")
    try:
        outcome = execute(load_spec(SPECS / "stdp_pairs.yaml"), ["reference", "pynn:nest", "pynn:neuron"],
                          out=tmp_path_factory.mktemp("weights"), isolate=False)
    finally:
        monkey.undo()
    return outcome


def test_weights_are_written_and_read_back(pairs_run):
    results = read_results(pairs_run.run_dir)["reference"]
    weights, final = results.weights, results.final_weights
    assert list(weights.columns) == COLUMNS and list(final.columns) == COLUMNS
    assert set(weights["projection"]) == {"plastic"} and isinstance(weights["projection"].iloc[0], str)
    # every 10 ms from 0, strictly before the end (5.2 s), for all 13 synapses
    steps = np.unique(np.rint(weights["time"].to_numpy() / 0.01))
    assert steps.tolist() == list(range(520)) and len(weights) == 520 * 13
    assert final["time"].unique().tolist() == [5.2] and final["synapse"].tolist() == list(range(13))
    assert final["pre"].tolist() == list(range(13)) and final["post"].tolist() == list(range(13))
    np.testing.assert_array_equal(weights[weights["time"] == 0]["weight"], np.full(13, 0.5e-3))
    # the last sample, after the last pair, holds the final weight
    last = weights[np.isclose(weights["time"], 5.19)]
    np.testing.assert_array_equal(last["weight"].to_numpy(), final["weight"].to_numpy())
    assert all(c["passed"] for c in results.expectations)


def test_a_static_run_has_empty_weight_tables(tmp_path):
    results = execute(SPECS / "compare_small.yaml", "reference", out=tmp_path, isolate=False).results["reference"]
    assert results.weights.empty and results.final_weights.empty
    assert list(results.final_weights.columns) == COLUMNS


SAMPLING = """
snnrun: "1.0"
name: sampling
simulation: {{duration: 60 ms, dt: 0.1 ms}}
populations:
  pre: {{size: 1, model: {{type: spike_array, params: {{spike_times: [10 ms, 30 ms]}}}}}}
  teacher: {{size: 1, model: {{type: spike_array, params: {{spike_times: [15 ms]}}}}}}
  post: {{size: 1, model: {{type: lif_curr_delta, params: {{tau_m: 10 ms, v_rest: -65 mV, v_reset: -65 mV,
                                                         v_thresh: -50 mV, tau_refrac: 0 ms}}}}}}
projections:
  drive: {{pre: teacher, post: post, connect: {{rule: all_to_all}}, synapse: {{weight: 30 mV, delay: 0.1 ms}}}}
  plastic:
    pre: pre
    post: post
    connect: {{rule: all_to_all}}
    synapse:
      weight: 0.5 mV
      delay: 1 ms
      plasticity: {{rule: stdp, tau_plus: 20 ms, tau_minus: 20 ms, a_plus: 0.1, a_minus: 0.1, w_max: 1 mV,
                   dendritic_delay_fraction: {f}}}
record:
  - {{projection: plastic, variable: weight, interval: 0.1 ms}}
  - {{projection: plastic, variable: weight, interval: 5 ms}}
"""


@pytest.mark.parametrize("f", [1.0, 0.5, 0.0])
def test_a_sample_is_the_weight_a_spike_reaching_the_post_neuron_then_carries(make_spec, f):
    """Pre stamps 10 and 30 ms, post stamp 15.1 ms, delay 1 ms. The synapse sees the post spike at
    15.1 + f d and the second pre spike at 30 + (1 - f) d; a sample at t is the synapse's weight at
    t - f d: the potentiation shows from the first sample after 15.1 + 2 f d, the depression from 31 ms
    (the pre spike's arrival at the post neuron) on, whatever f."""
    output = run_reference(make_spec(SAMPLING.format(f=f)))
    trace = output.weights["plastic"]
    t_ms = np.rint(trace.times * 1e4) / 10
    w = trace.values[:, 0] * 1e3
    rise = 15.1 + 2 * f * 1.0
    potentiated = 0.5 + 0.1 * math.exp(-(15.1 + f - (10 + (1 - f))) / 20)
    depressed = potentiated - 0.1 * math.exp(-(30 + (1 - f) - (15.1 + f)) / 20)
    assert np.all(w[t_ms <= rise + 1e-9] == 0.5)
    np.testing.assert_allclose(w[(t_ms > rise + 1e-9) & (t_ms < 31.0)], potentiated, rtol=1e-12)
    np.testing.assert_allclose(w[t_ms >= 31.0], depressed, rtol=1e-12)
    # the two record entries are merged: every 0.1 ms (the 5 ms samples coincide with them)
    assert trace.values.shape == (600, 1) and not np.isnan(trace.values).any()
    assert output.final_weights["plastic"].values[0, 0] * 1e3 == pytest.approx(depressed, rel=1e-12)


def test_ks_distance_and_relative_errors():
    from scipy.stats import ks_2samp
    rng = np.random.default_rng(3)
    a, b = rng.normal(0, 1, 300), rng.normal(0.3, 1, 200)
    assert ks_distance(a, b) == pytest.approx(ks_2samp(a, b).statistic, abs=1e-12)
    # a single synapse differing by rounding is the same distribution on the comparison's grid
    assert ks_distance(np.array([1.0]), np.array([1.0 + 1e-15]), resolution=1e-9) == 0.0
    assert ks_distance(np.array([1.0]), np.array([1.0 + 1e-15])) == 1.0
    errors = relative_errors(np.array([1.0, 0.0, 2.0]), np.array([1.1, 1e-6, 2.0]))
    np.testing.assert_allclose(errors, [0.1, 1e-6 / (1e-6 * 2.0), 0.0])


def test_the_comparison_grades_weights_and_the_report_shows_them(pairs_run):
    comparison = compare_run(pairs_run.run_dir, profile="exact")
    entry = comparison.report["weights"]["plastic"]
    assert entry["synapses"] == 13 and entry["unit"] == "V"
    same, perturbed = entry["backends"]["pynn:nest"], entry["backends"]["pynn:neuron"]
    assert same["metrics"]["weight_error"]["value"] == 0.0 and same["grade"] == "agrees"
    assert perturbed["max_relative_error"] == pytest.approx(1e-4, rel=1e-6)
    assert perturbed["metrics"]["weight_error"]["grade"] == "differs"  # exact: close up to 1e-6
    assert perturbed["metrics"]["weight_ks"]["value"] == pytest.approx(1 / 13)
    assert any(line.startswith("pynn:neuron differs from reference: weights of projection plastic: weight_error")
               for line in comparison.report["failures"])
    assert comparison.report["backends"]["pynn:neuron"]["grade"] == "differs"
    written = write_reports(comparison)
    markdown = written[0].read_text()
    assert "## Weights (final weights of the plastic projections)" in markdown and "`plastic weights`" in markdown
    page = written[1].read_text()
    weights_part = page.split("<h2>Weights</h2>", 1)[1].split("<h2>", 1)[0]
    assert weights_part.count("<img") == 2  # the histogram and the recorded weights over time
    network = compare_run(pairs_run.run_dir, profile="network").report["weights"]["plastic"]["backends"]
    assert network["pynn:neuron"]["metrics"]["weight_error"]["grade"] == "reported"


def test_the_plasticity_benchmark_network_runs_briefly():
    """specs/cuba_stdp.yaml (10 s in benchmarks/bench_stdp.py) for 0.3 s: both plastic projections from
    exc share one delivery, and each has its final weights, all within the bounds and some moved."""
    spec = load_spec(SPECS / "cuba_stdp.yaml", overrides={"simulation.duration": "300 ms"})
    output = run_reference(spec)
    rule = spec.projections["ee"].synapse.plasticity
    assert set(output.final_weights) == {"ee", "ei"}
    for name, trace in output.final_weights.items():
        w = trace.values[-1]
        assert w.size == output.final_weights[name].synapses.size
        assert rule.w_min <= w.min() and w.max() <= rule.w_max and np.any(w != 16.2e-12), name
    assert output.weights["ee"].values.shape == (3, 50)  # 0, 100, 200 ms; the first 50 synapses
