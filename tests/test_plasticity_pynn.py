"""STDP and Tsodyks-Markram on the pynn backends, through snnrun runs (worker processes, real simulators),
against the reference engine's weights and the closed forms of tests/plasticity_protocols.py.

Tolerances, and why:
- pynn:nest's stdp_synapse / stdp_nn_symm_synapse compute semantics.md's updates with the same operations
  in another order (w/Wmax, the shifted bound of w_min > 0): final and recorded weights agree with the
  reference to rounding (measured 8e-16 relative), asserted to 1e-9 relative (the issue's bar is 1e-6).
- The closed forms leave out pairs between repetitions 500 ms apart (at most 5e-13 of w_max, see
  plasticity_protocols.expected_weight): asserted to 1e-9 relative as well.
- Tsodyks-Markram (tsodyks2_synapse, u = U set): the synaptic current right after each arrival equals the
  closed form to rounding (the exponential current decays exactly on NEST), asserted to 1e-9 relative.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import plasticity_protocols as pp
from snnrun import read_results
from snnrun.adapters.pynn.adapter import PyNNBrian2Adapter, PyNNNeuronAdapter
from snnrun.execute import execute
from snnrun.schema.loader import load_spec

RTOL = 1e-9


def _pair_rules():
    return {"additive": pp.rule("additive", "all_to_all", 1.0), "multiplicative": pp.rule("multiplicative", "all_to_all", 1.0),
            "nearest": pp.rule("additive", "nearest", 1.0)}


def _channels(rules):
    """Pairs at several intervals and two delays for the all-to-all rules (bounds reached on two), and
    for nearest pairing pre-pre-post triplets plus one post-post-pre channel, whose posts come before the
    synapse's first pre spike (NEST's phantom pre spike at t = 0)."""
    out = []
    for proj in ("additive", "multiplicative"):
        for (interval, w0), delay in zip(((-20.0, 0.6), (-5.0, 0.6), (0.0, 0.6), (5.0, 0.5), (20.0, 0.5), (4.0, 0.9),
                                          (-4.0, 0.2)), (1.0, 2.3, 1.0, 2.3, 1.0, 2.3, 1.0)):
            out.append(pp.pair_channel(proj, rules[proj], interval, delay, w0))
    out.append(pp.triplet_channel("nearest", rules["nearest"], "pre_pre_post"))
    out.append(pp.triplet_channel("nearest", rules["nearest"], "pre_pre_post", w0=0.3, delay=2.0))
    out.append(pp.triplet_channel("nearest", rules["nearest"], "post_post_pre"))
    return out


RECORD = """  - {projection: additive, variable: weight, interval: 10 ms}
  - {projection: multiplicative, variable: weight, interval: 25 ms, synapses: [0, 3, 5]}
"""


@pytest.fixture(scope="module")
def nest_stdp_run(tmp_path_factory):
    rules = _pair_rules()
    channels = _channels(rules)
    folder = tmp_path_factory.mktemp("pynn_stdp")
    text = pp.stdp_spec(channels, rules, pp.REPEATS * pp.REPEAT_MS + 20, name="pynn_stdp")
    path = folder / "pynn_stdp.yaml"
    path.write_text(text.replace("record:\n", "record:\n" + RECORD), encoding="utf-8")
    outcome = execute(load_spec(path), ["reference", "pynn:nest"], out=folder / "out", timeout=300)
    return channels, rules, read_results(outcome.run_dir)


def _final(results, backend, proj):
    frame = results[backend].final_weights
    return frame[frame["projection"] == proj].sort_values("synapse")["weight"].to_numpy() * 1e3  # mV


def test_pynn_nest_final_weights_equal_the_reference_and_the_closed_forms(nest_stdp_run):
    channels, rules, results = nest_stdp_run
    for proj in ("additive", "multiplicative"):
        mine = [c for c in channels if c["rule"] == proj]
        expected = np.array([pp.expected_weight(c, rules[proj]) for c in mine])
        nest, ref = _final(results, "pynn:nest", proj), _final(results, "reference", proj)
        np.testing.assert_allclose(ref, expected, rtol=RTOL, err_msg=proj)
        np.testing.assert_allclose(nest, ref, rtol=RTOL, err_msg=proj)
        # the protocol moves weights both ways and into both bounds, so the check has teeth
        assert expected.min() == pp.W_MIN and expected.max() == pp.W_MAX if proj == "additive" else True
        assert np.ptp(expected) > 0.3
    nearest = [c for c in channels if c["rule"] == "nearest"]
    nest, ref = _final(results, "pynn:nest", "nearest"), _final(results, "reference", "nearest")
    expected = np.array([pp.expected_weight(c, rules["nearest"]) for c in nearest])
    np.testing.assert_allclose(ref, expected, rtol=RTOL)
    np.testing.assert_allclose(nest[:2], expected[:2], rtol=RTOL)  # post after pre: NEST's nearest pairing holds


def test_pynn_nest_nearest_pairing_differs_by_the_phantom_pre_spike_and_warns(nest_stdp_run):
    """The post-post-pre channel's posts (stamped 49 and 55 ms, seen at 50 and 56 ms) come before the
    synapse's first pre spike: stdp_nn_symm_synapse pairs them with a pre spike at t = 0, i.e. adds
    a_plus w_max (e^-50/20 + e^-56/20) (additive, no bound reached) before the first depression."""
    channels, rules, results = nest_stdp_run
    rule = rules["nearest"]
    channel = [c for c in channels if c["rule"] == "nearest"][2]
    phantom = rule["a_plus"] * pp.W_MAX * (math.exp(-50.0 / pp.TAU_MS) + math.exp(-56.0 / pp.TAU_MS))
    nest = _final(results, "pynn:nest", "nearest")[2]
    assert nest == pytest.approx(pp.expected_weight(channel, rule) + phantom, rel=RTOL)
    warnings = results["pynn:nest"].manifest["warnings"]
    assert any("projections.nearest: 1 synapse(s)" in w and "phantom pre spike" in w for w in warnings)


def test_pynn_nest_recorded_weights_equal_the_reference(nest_stdp_run):
    """Samples every 10 ms (all synapses) and 25 ms (three): semantics.md's sample at t includes the pre
    spikes stamped <= t - d and the post spikes stamped < t - 2d, which NEST alone does not give (it
    defers potentiation to the next pre spike); the delays of 1 and 2.3 ms make the windows differ."""
    _, _, results = nest_stdp_run
    ref, nest = results["reference"].weights, results["pynn:nest"].weights
    key = ["projection", "synapse", "time"]
    merged = pd.merge(ref, nest, on=key, suffixes=("_ref", "_nest"), how="outer", indicator=True)
    assert (merged["_merge"] == "both").all()
    assert len(merged) == 252 * 7 + 101 * 3  # 2.52 s: 252 samples of 7 synapses, 101 of 3
    np.testing.assert_allclose(merged["weight_nest"], merged["weight_ref"], rtol=RTOL)
    # the samples move: weights change during the run, between pre spikes too (deferred potentiation)
    additive = merged[merged["projection"] == "additive"]
    assert additive.groupby("synapse")["weight_ref"].nunique().min() > 2


@pytest.fixture(scope="module")
def nest_tm_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pynn_tm")
    spec = load_spec(pp_case("tsodyks_markram_current"))
    outcome = execute(spec, ["reference", "pynn:nest"], out=folder, timeout=300)
    return read_results(outcome.run_dir)


def pp_case(name):
    from conftest import SPECS

    return SPECS / "conformance" / f"{name}.yaml"


def test_pynn_nest_tsodyks_markram_amplitudes_equal_the_closed_forms(nest_tm_run):
    """Depressing (U 0.5, tau_rec 800 ms) and facilitating (U 0.1, tau_rec 100 ms, tau_facil 1 s) 20 Hz
    trains onto exponential currents (tau_syn 5 ms): the current right after each arrival (21 + 50 k ms)."""
    for backend in ("reference", "pynn:nest"):
        values = nest_tm_run[backend].traces[("cells", "i_syn_exc")][[0, 1]].to_numpy()
        rows = np.rint((21 + 50 * np.arange(8)) / 0.1).astype(int)
        for j, (big_u, tau_rec, tau_facil) in enumerate([(0.5, 800.0, 0.0), (0.1, 100.0, 1000.0)]):
            amps = (pp.tm_depressing(0.5, big_u, tau_rec, 50.0, 8) if tau_facil == 0 else
                    pp.tm_facilitating(0.5, big_u, tau_rec, tau_facil, 50.0, 8))
            expected = np.array(pp.summed(amps, 50.0, 5.0)) * 1e-9  # nA -> A
            np.testing.assert_allclose(values[rows, j], expected, rtol=RTOL, err_msg=f"{backend} synapse {j}")
            assert values[rows[0], j] == pytest.approx(big_u * 0.5e-9, rel=RTOL)  # the first amplitude is U w


def test_pynn_neuron_and_brian2_refuse_the_rules_with_reasons():
    spec = load_spec(pp_case("stdp_additive_pairs"))
    tm = load_spec(pp_case("tsodyks_markram_current"))
    for adapter in (PyNNNeuronAdapter(), PyNNBrian2Adapter()):
        stdp_msgs = [p.message for p in adapter.check(spec) if p.path[-1] == "plasticity"]
        tm_msgs = [p.message for p in adapter.check(tm) if p.path[-1] == "short_term"]
        assert stdp_msgs and tm_msgs, adapter.name
