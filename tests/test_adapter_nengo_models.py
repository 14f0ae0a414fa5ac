"""The nonlinear and conductance-based families on nengo (real nengo, never skipped): conductance LIF,
AdEx, Izhikevich and HH NeuronTypes that step with snnrun.numerics (adapters/nengo/models.py).

nengo runs the reference engine's arithmetic by construction (the same numerics functions on the same
arrays), so on one drawn instance the spike stamps must be the reference's exactly, and traces equal to
rounding: measured, every trace of these tests and of the conformance cases of these models is equal
bit for bit. The bounds (1e-12 V, 1e-9 of the largest value of other variables, those of
test_adapter_nengo.py) leave room for a different summation order of inputs that arrive at one neuron
in one step, far below anything physical. Every conformance case of these models also runs on nengo
under the ``exact`` profile (tests/test_conformance.py: spike steps, expectations from the solve_ivp
oracle); the tests below add traces of every recordable variable, initial values, forward Euler, COBA
and the errors.
"""

from __future__ import annotations

import numpy as np
import pytest

from conftest import SPECS, assert_same_spikes
from test_adapter_nengo import assert_same_traces, run_both
from snnrun.adapters.nengo.adapter import NengoAdapter
from snnrun.adapters.nengo import translation as tr
from snnrun.adapters.reference.adapter import ReferenceAdapter
from snnrun.instance import instantiate
from snnrun.schema.errors import BackendError
from snnrun.schema.loader import load_spec

CASES = SPECS / "conformance"


EVERY_STATE = """
snnrun: "1.0"
name: every_state
simulation: {{duration: 60 ms, dt: {dt} ms}}
populations:
  src: {{size: 2, model: {{type: spike_array, params: {{spike_times: [[5 ms, 20 ms, 21 ms], [12 ms, 30 ms]]}}}}}}
  lif: {{size: 3, model: {{type: lif_cond_alpha, params: {{tau_refrac: 2 ms}}}},
         params: {{i_offset: {{values: [0.5, 0.9, 1.2], unit: nA}}, tau_syn_exc: {{values: [1, 2, 3], unit: ms}}}},
         initial: {{v: {{values: [-60, -55, -52], unit: mV}}, g_exc: 5 nS, g_inh: {{values: [0, 10, 20], unit: nS}}}}}}
  lifx: {{size: 2, model: {{type: lif_cond_exp, params: {{tau_refrac: 3 ms, i_offset: 1 nA}}}},
          params: {{tau_syn_inh: {{values: [5, 10], unit: ms}}}}, initial: {{g_inh: 30 nS}}}}
  adexa: {{size: 2, model: {{type: adex_cond_alpha, params: {{tau_refrac: 0 ms, i_offset: 1.2 nA}}}}}}
  adex: {{size: 2, model: {{type: adex_cond_exp, params: {{tau_refrac: 1 ms}}}},
          params: {{i_offset: {{values: [0.8, 1.5], unit: nA}}, b: {{values: [0.05, 0.1], unit: nA}}}},
          initial: {{w: {{values: [0.0, 0.2], unit: nA}}, g_exc: 20 nS}}}}
  izh: {{size: 2, model: {{type: izhikevich, params: {{i_offset: 0.008 nA}}}},
         params: {{d: {{values: [8, 2]}}}}, initial: {{u: {{values: [-14, -10]}}}}}}
  hh: {{size: 2, model: {{type: hh_cond_exp}},
        initial: {{v: {{values: [-65, -60], unit: mV}}, m: 0.1, h: {{values: [0.5, 0.9]}}, n: 0.3,
                   g_exc: 5 nS}}}}
projections:
  {projections}
stimuli:
  kick: {{type: step, target: {{population: hh, neurons: [1]}}, times: [10 ms, 40 ms], amplitudes: [1 nA, 0 nA]}}
  sine: {{type: sine, target: {{population: izh}}, amplitude: 0.002 nA, frequency: 50 Hz}}
record:
  - {{population: lif, variable: spikes}}
  - {{population: lifx, variable: spikes}}
  - {{population: adexa, variable: spikes}}
  - {{population: lifx, variable: g_inh}}
  - {{population: adexa, variable: g_exc}}
  - {{population: adexa, variable: w}}
  - {{population: adex, variable: spikes}}
  - {{population: izh, variable: spikes}}
  - {{population: hh, variable: spikes}}
  - {{population: lif, variable: v}}
  - {{population: lif, variable: g_exc, interval: 0.5 ms}}
  - {{population: lif, variable: g_inh}}
  - {{population: adex, variable: v}}
  - {{population: adex, variable: w}}
  - {{population: adex, variable: g_exc}}
  - {{population: izh, variable: v}}
  - {{population: izh, variable: u}}
  - {{population: hh, variable: v}}
  - {{population: hh, variable: m}}
  - {{population: hh, variable: h}}
  - {{population: hh, variable: n}}
  - {{population: hh, variable: g_exc}}
  - {{population: hh, variable: g_inh}}
"""
PROJECTIONS = "\n  ".join(
    f"{post}_{r}: {{pre: src, post: {post}, connect: {{rule: all_to_all}}, "
    f"synapse: {{receptor: {r}, weight: {w}, delay: {{distribution: uniform, low: 0.5 ms, high: 2 ms}}}}}}"
    for post, weights in (("lif", ("8 nS", "20 nS")), ("lifx", ("8 nS", "20 nS")), ("adex", ("10 nS", "30 nS")),
                          ("adexa", ("10 nS", "30 nS")), ("izh", ("6 mV", "-4 mV")), ("hh", ("10 nS", "40 nS")))
    for r, w in zip(("exc", "inh"), weights))


@pytest.mark.parametrize("dt", ["0.1", "0.025"])
def test_every_recordable_variable_initial_values_stimuli_and_delays(make_spec, dt):
    """The six models together, every recordable state variable, set initial values (HH's gates, w,
    the conductances), per-neuron parameters, step and sine stimuli, distributed delays onto both
    receptors, at two dt (HH: 2 RK4 substeps at 0.1 ms, 1 at 0.025 ms). Every conformance case of
    these models runs on nengo too, under the exact profile (tests/test_conformance.py)."""
    ref, ngo, instance = run_both(make_spec(EVERY_STATE.format(dt=dt, projections=PROJECTIONS)))
    for pop in ("lif", "lifx", "adex", "adexa", "izh", "hh"):
        assert ref.spikes[pop][0].size >= 1, f"{pop} should fire: the test would compare silence"
    assert ngo.traces[("hh", "m")].values[0].tolist() == [0.1, 0.1]  # t = 0: the set gates
    assert ngo.traces[("lif", "g_inh")].values[0].tolist() == pytest.approx([0.0, 10e-9, 20e-9], abs=1e-18)
    assert_same_spikes(ref, ngo)
    assert_same_traces(ref, ngo)


def test_forward_euler_is_the_reference_euler_and_gives_nest_izhikevich_steps():
    """``simulation.options.nengo.integrator: euler`` takes the reference's Euler path of the same
    functions. specs/izhikevich_euler.yaml holds NEST 3.10's own spike stamps of its regular-spiking
    cell (native PyNEST, independent of snnrun) and spike counts: nengo must give them too."""
    euler = {"simulation.options": {"reference": {"integrator": "euler"}, "nengo": {"integrator": "euler"}}}
    spec = load_spec(SPECS / "izhikevich_euler.yaml", overrides=euler)
    assert NengoAdapter().check(spec) == []
    ref, ngo, _ = run_both(spec)
    assert_same_spikes(ref, ngo)
    expected = next(e for e in spec.expect if e.metric == "spike_times").equals
    ids, times = ngo.spikes["regular_spiking"]
    np.testing.assert_allclose(times, expected, rtol=0, atol=1e-9)
    assert ngo.spikes["fast_spiking"][0].size == next(e for e in spec.expect if e.metric == "spike_count").equals
    # and on conductance kinetics (exp and alpha drives, Euler on every synaptic variable too)
    for case in ("lif_cond_alpha_input_spikes", "adex_cond_exp_input_spikes"):
        ref, ngo, _ = run_both(load_spec(CASES / f"{case}.yaml", overrides=euler))
        standard = ReferenceAdapter().run(instantiate(load_spec(CASES / f"{case}.yaml")))
        assert_same_spikes(ref, ngo)
        assert_same_traces(ref, ngo)
        assert not np.array_equal(ref.traces[("cells", "v")].values, standard.traces[("cells", "v")].values)


def test_coba_population_rates_within_two_percent():
    """COBA (specs/coba.yaml) on one drawn instance, shortened to 300 ms (the suite's time): that covers
    the start from the drawn initial state and about 250 ms of the self-sustained activity, about 23000
    spikes. Criterion: population rates within 2 % of the reference (the issue's); measured: identical
    spikes. 2 % is below the seed-to-seed spread (+-7 % over seeds 1-3) and fails for a weight off by
    a few percent or a lost step of delay."""
    spec = load_spec(SPECS / "coba.yaml", overrides={"simulation.duration": "300 ms"})
    ref, ngo, instance = run_both(spec)
    for pop in ("exc", "inh"):
        n = instance.populations[pop].size
        r_ref, r_ngo = ref.spikes[pop][0].size / (n * 0.3), ngo.spikes[pop][0].size / (n * 0.3)
        assert r_ref > 10.0
        assert abs(r_ngo - r_ref) <= 0.02 * r_ref, (pop, r_ref, r_ngo)


def test_an_unstable_integration_names_the_population():
    """HH with forward Euler at dt 0.1 ms runs away during a spike (semantics.md: Euler needs dt well
    below 0.1 ms): both backends stop with an error at populations.cells, not with NaN spikes."""
    spec = load_spec(CASES / "hh_cond_exp_input_spikes.yaml",
                     overrides={"simulation.options": {"reference": {"integrator": "euler"},
                                                       "nengo": {"integrator": "euler"}}})
    instance = instantiate(spec)
    for adapter in (ReferenceAdapter(), NengoAdapter()):
        with pytest.raises(BackendError, match="the integration is unstable at dt = 0.0001 s") as info:
            adapter.run(instance)
        assert info.value.path == ("populations", "cells")


def test_translation_tables_and_state_maps_round_trip():
    """Every family's state rules are the reference's own conversions (mV, nS by multiplication, back
    by division), and weights reach the receptor inputs in the units of the model's arithmetic."""
    params = {"c": np.array([-0.065]), "a": np.array([0.02]), "b": np.array([0.2]), "d": np.array([8.0]),
              "i_offset": np.array([1e-11])}
    izh = tr.FAMILIES["izhikevich"]
    m = izh.neurons("izhikevich", params, {"v": np.array([-0.07]), "u": np.array([-14.0])}, 1e-4, "euler")
    assert m.neuron_args["initial_state"]["voltage"].tolist() == [-70.0]
    assert m.neuron_args["integrator"] == "euler" and m.current_unit == 1e12
    assert m.gain.tolist() == [1.0] and m.bias.tolist() == [0.0]
    assert m.to_si("v", np.array([-70.0])).tolist() == [-0.07]
    assert izh.synapse("izhikevich", "inh", params, 1e-4).channel == "jumps"
    hh = tr.FAMILIES["hh_cond_exp"]
    smap = hh.synapse("hh_cond_exp", "exc", {}, 1e-4)
    assert (smap.kind, smap.channel, smap.weight_scale) == ("receptor", "exc", 1e9)
    alpha = tr.FAMILIES["lif_cond_alpha"].synapse("lif_cond_alpha", "inh", {"tau_syn_inh": np.array([2e-3])}, 1e-4)
    np.testing.assert_allclose(alpha.weight_scale, np.e / 2e-3, rtol=1e-15)
