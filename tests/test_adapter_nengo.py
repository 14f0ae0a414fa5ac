"""The nengo adapter against the reference engine, on the same drawn instance (real nengo, never skipped).

Deterministic specs must give the reference's spike stamps exactly: the adapter takes the same steps in
nengo's normalised units (schema/semantics.md, "nengo"), so only rounding differs, and no spike on
these specs is within rounding of its threshold. Traces are compared to 1e-12 V (1 pV) and to 1e-9 of
the largest synaptic current: the measured differences are about 1e-16 V, rounding of the affine map,
so the bounds leave four orders of magnitude for accumulation over the run yet are far below anything
physical.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from conftest import SPECS, assert_same_spikes
from snnrun.adapters.nengo import network as nengo_network
from snnrun.adapters.nengo.adapter import CAPABILITIES, NengoAdapter
from snnrun.adapters.nengo import translation as tr
from snnrun.adapters.reference.adapter import ReferenceAdapter
from snnrun.adapters.reference.adapter import CAPABILITIES as REFERENCE
from snnrun.instance import instantiate
from snnrun.schema import catalogue as cat
from snnrun.schema.errors import BackendError
from snnrun.schema.loader import load_spec

V_TOL = 1e-12  # V
I_RTOL = 1e-9  # of the largest recorded synaptic current


def run_both(spec):
    """One instance, given to both backends; returns (reference output, nengo output, instance)."""
    instance = instantiate(spec)
    return ReferenceAdapter().run(instance), NengoAdapter().run(instance), instance


def assert_same_traces(ref, ngo):
    assert set(ref.traces) == set(ngo.traces)
    for key, a in ref.traces.items():
        b = ngo.traces[key]
        np.testing.assert_array_equal(b.neurons, a.neurons)
        np.testing.assert_allclose(b.times, a.times, rtol=0, atol=1e-15)
        if key[1] == "v":
            np.testing.assert_allclose(b.values, a.values, rtol=0, atol=V_TOL, err_msg=str(key))
        else:
            scale = max(np.abs(a.values).max(), 1e-15)
            np.testing.assert_allclose(b.values, a.values, rtol=0, atol=I_RTOL * scale, err_msg=str(key))


ISOLATED = """
snnrun: "1.0"
name: isolated
simulation: {{duration: 200 ms, dt: {dt} ms}}
populations:
  cells:
    size: 6
    model: {{type: lif_curr_exp, params: {{cm: 1 nF, tau_m: 20 ms, v_rest: -65 mV}}}}
    params:
      i_offset: {{values: [0.5, 0.8, 1.0, 1.3, 2.0, 4.0], unit: nA}}
      # 0 and 0.04 ms round to no clamp at all: the neuron integrates again in the next step
      tau_refrac: {{values: [2, 0, 0.1, 3.3, 5, 0.04], unit: ms}}
      v_reset: {{values: [-65, -70, -65, -60, -68, -65], unit: mV}}
      v_thresh: {{values: [-50, -50, -52, -50, -48, -50], unit: mV}}
    # neuron 1 starts above threshold: it spikes in the first step
    initial: {{v: {{values: [-65, -49, -60, -65, -50, -65], unit: mV}}}}
record:
  - {{population: cells, variable: spikes}}
  - {{population: cells, variable: v, interval: {dt} ms}}
  - {{population: cells, variable: i_syn_exc, neurons: [1, 4], interval: 1 ms}}
"""


@pytest.mark.parametrize("dt", ["0.1", "0.025"])
def test_isolated_lif_with_per_neuron_parameters_and_refractoriness(make_spec, dt):
    ref, ngo, _ = run_both(make_spec(ISOLATED.format(dt=dt)))
    ids, _ = ref.spikes["cells"]
    assert np.unique(ids).tolist() == [1, 2, 3, 4, 5]  # 0.5 nA is below rheobase
    assert_same_spikes(ref, ngo)
    assert_same_traces(ref, ngo)


SYNAPSES = """
snnrun: "1.0"
name: synapses
simulation: {duration: 80 ms, dt: 0.1 ms}
models:
  exp_cell:
    type: lif_curr_exp
    params: {cm: 0.25 nF, tau_m: 10 ms, v_rest: -65 mV, v_reset: -70 mV, v_thresh: -55 mV,
             tau_refrac: 2 ms, tau_syn_exc: 2 ms, tau_syn_inh: 8 ms}
populations:
  src:
    size: 3
    model: {type: spike_array, params: {spike_times: [[5 ms, 5.5 ms, 6 ms, 30 ms], [12 ms, 40 ms],
                                                      [20.3 ms, 20.7 ms, 50 ms]]}}
  exp:
    size: 3
    model: exp_cell
    params: {tau_syn_exc: {values: [1, 2, 10], unit: ms}}
    initial: {v: {values: [-65, -60, -56], unit: mV}, i_syn_exc: {values: [0, 0.2, 0], unit: nA}}
  alpha:
    size: 3
    model:
      type: lif_curr_alpha
      params: {cm: 0.25 nF, tau_m: 10 ms, v_rest: -65 mV, v_reset: -65 mV, v_thresh: -57 mV,
               tau_refrac: 1 ms, tau_syn_exc: 0.5 ms, tau_syn_inh: 2 ms}
    # neuron 2 has tau_syn_inh == tau_m: the propagators' singular case
    params: {tau_m: {values: [10, 20, 2], unit: ms}}
  delta:
    size: 3
    model:
      type: lif_curr_delta
      params: {cm: 0.25 nF, tau_m: 20 ms, v_rest: -65 mV, v_reset: -65 mV, v_thresh: -55 mV, tau_refrac: 3 ms}
projections:
  src_exp:
    pre: src
    post: exp
    connect: {rule: all_to_all}
    synapse: {receptor: exc, weight: 1.5 nA, delay: {values: [1, 2.5, 0.1, 3, 1, 1, 0.7, 4, 1.2], unit: ms}}
  src_exp_inh:
    pre: src
    post: exp
    connect: {rule: from_list, pairs: [[2, 0], [2, 1], [1, 2]]}
    synapse: {receptor: inh, weight: -0.8 nA, delay: 2 ms}
  src_alpha:
    pre: src
    post: alpha
    connect: {rule: all_to_all}
    synapse: {receptor: exc, weight: 2.5 nA, delay: 1.5 ms}
  alpha_inh:
    pre: alpha
    post: alpha
    connect: {rule: all_to_all}
    synapse: {receptor: inh, weight: -1 nA, delay: 0.1 ms}
  alpha_exp:
    pre: alpha
    post: exp
    connect: {rule: one_to_one}
    synapse: {receptor: exc, weight: 2 nA, delay: 0.5 ms}
  # jumps of 6 mV 0.5 ms apart from src 0: the second fires the cell, the third arrives while it is
  # refractory and is discarded
  src_delta:
    pre: src
    post: delta
    connect: {rule: all_to_all}
    synapse: {receptor: exc, weight: 6 mV, delay: {values: [1, 1, 1, 2, 2, 2, 0.1, 0.3, 0.5], unit: ms}}
  # a recurrent projection with no synapse filter: must not be an algebraic loop for nengo
  delta_loop:
    pre: delta
    post: delta
    connect: {rule: all_to_all}
    synapse: {receptor: exc, weight: 4 mV, delay: 0.1 ms}
  delta_inh:
    pre: exp
    post: delta
    connect: {rule: one_to_one}
    synapse: {receptor: inh, weight: -3 mV, delay: 1 ms}
record:
  - {population: src, variable: spikes}
  - {population: exp, variable: spikes}
  - {population: alpha, variable: spikes}
  - {population: delta, variable: spikes}
  - {population: exp, variable: v, interval: 0.1 ms}
  - {population: exp, variable: i_syn_exc, interval: 0.1 ms}
  - {population: exp, variable: i_syn_inh, neurons: [0, 2], interval: 0.1 ms}
  - {population: alpha, variable: v, interval: 0.5 ms}
  - {population: alpha, variable: i_syn_exc, interval: 0.1 ms}
  - {population: alpha, variable: i_syn_inh, interval: 0.1 ms}
  - {population: delta, variable: v, interval: 0.1 ms}
"""


def test_spike_inputs_through_delays_onto_exp_alpha_and_delta_synapses(make_spec):
    ref, ngo, instance = run_both(make_spec(SYNAPSES))
    for pop in ("exp", "alpha", "delta"):
        assert ref.spikes[pop][0].size >= 2, f"{pop} should fire: the test would compare silence"
    # delta cell 0 fires on src 0's second jump (5.5 ms + 1 ms delay) and is refractory (3 ms) when the
    # third arrives at 7 ms, so that jump is discarded
    ids, times = ref.spikes["delta"]
    assert times[ids == 0][0] == pytest.approx(0.0065, abs=1e-12)
    assert ref.traces[("delta", "v")].values[70, 0] == pytest.approx(-0.065, abs=1e-15)
    assert_same_spikes(ref, ngo)
    assert_same_traces(ref, ngo)


@pytest.mark.parametrize("name", ["fi_curve", "stimuli_tour", "connections_tour", "poisson_population"])
def test_example_specs_give_the_reference_spike_steps(name):
    """fi_curve: constant currents; stimuli_tour: dc, step, sine and noise; connections_tour: delta
    synapses, every connection rule, distributed delays, inhomogeneous Poisson; poisson_population:
    alpha synapses from 500 Poisson sources with per-synapse weights and 1-3 ms delays."""
    ref, ngo, _ = run_both(load_spec(SPECS / f"{name}.yaml"))
    assert sum(ids.size for ids, _ in ref.spikes.values()) > 0
    assert_same_spikes(ref, ngo)
    assert_same_traces(ref, ngo)


def test_cuba_population_rates_within_two_percent():
    """CUBA from one instance: the issue's criterion is 2% of the reference's population rates. The
    network is chaotic, so once one spike moved a step (rounding) the trajectories would part and only
    statistics could agree; the seed-to-seed spread of the rate is +-5%, so 2% still catches a wrong
    weight scale (1% of weight moves the rate by several %) or a lost step of delay. Measured: identical
    spikes (18743 exc, 4518 inh)."""
    ref, ngo, instance = run_both(load_spec(SPECS / "cuba.yaml"))
    for pop in ("exc", "inh"):
        n = instance.populations[pop].size
        r_ref = ref.spikes[pop][0].size / (n * 1.0)
        r_ngo = ngo.spikes[pop][0].size / (n * 1.0)
        assert r_ref > 3.0
        assert abs(r_ngo - r_ref) <= 0.02 * r_ref, (pop, r_ref, r_ngo)


def test_nengo_builtin_lif_misses_the_reference_steps(monkeypatch):
    """The measurement behind ExactLIF: nengo.LIF on the same J (same affine map, same synapses) spikes
    at `> 1`, restarts from an interpolated crossing time and integrates a partial step after the
    refractory period, so its intervals are up to one step short of the grid semantics. If a nengo
    release ever matches the reference, this fails and ExactLIF can go."""
    import nengo

    spec = load_spec(SPECS / "fi_curve.yaml")
    instance = instantiate(spec)

    def builtin(tau_rc, refractory_steps, initial_state):
        return nengo.LIF(tau_rc=float(tau_rc[0]), tau_ref=float(refractory_steps[0]) * instance.dt,
                         min_voltage=-np.inf, initial_state=initial_state)

    monkeypatch.setitem(nengo_network.NEURON_TYPES, "ExactLIF", builtin)
    ref, ngo = ReferenceAdapter().run(instance), NengoAdapter().run(instance)
    (r_ids, r_t), (n_ids, n_t) = ref.spikes["cells"], ngo.spikes["cells"]
    firing = np.unique(r_ids)
    assert np.array_equal(np.unique(n_ids), firing)  # same neurons fire; the steps differ
    first_same = all(r_t[r_ids == i][0] == n_t[n_ids == i][0] for i in firing)
    steps_same = all(np.array_equal(r_t[r_ids == i], n_t[n_ids == i]) for i in firing)
    assert first_same and not steps_same


def test_capabilities_and_translation_cover_every_parameter():
    neuron_models = {m for m in CAPABILITIES.models if not cat.MODELS[m].is_source}
    assert neuron_models == set(tr.FAMILIES) == {m for m, t in cat.MODELS.items() if not t.is_source}
    for model in tr.FAMILIES:
        assert tr.TRANSLATIONS[model].undecided(cat.MODELS[model]) == [], model
        assert tr.TRANSLATIONS[model].translated() == set(cat.MODELS[model].params) | set(cat.MODELS[model].state)
        assert CAPABILITIES.recordables[model] == frozenset(cat.MODELS[model].state)
    sources = {m for m in tr.TRANSLATIONS if cat.MODELS[m].is_source}
    assert {m for m in CAPABILITIES.models if cat.MODELS[m].is_source} == sources
    # poisson_input is refused with a stated reason (adapters/nengo/adapter.py); every other stimulus runs
    assert CAPABILITIES.stimuli == frozenset(cat.STIMULI) - {"poisson_input"}
    assert "poisson_input" in CAPABILITIES.reasons
    assert set(CAPABILITIES.connection_rules) == set(cat.CONNECTION_RULES)
    assert set(cat.MODELS) == set(CAPABILITIES.models)
    # every rule runs (the reference engine's plastic delivery inside a transform, plastic.py)
    assert CAPABILITIES.plasticity == REFERENCE.plasticity and CAPABILITIES.record_weights


def test_affine_map_and_its_reverse():
    """x = 0 at v_reset, 1 at v_thresh; the fixed point of x' = P22 x + (1 - P22) J is v_inf."""
    params = {"cm": np.array([1e-9, 0.25e-9]), "tau_m": np.array([0.02, 0.01]), "v_rest": np.array([-0.065, -0.049]),
              "v_thresh": np.array([-0.05, -0.05]), "v_reset": np.array([-0.07, -0.06]),
              "tau_refrac": np.array([2e-3, 5e-3]), "i_offset": np.array([0.3e-9, 0.0])}
    m = tr.LIF.neurons("lif_curr_exp", params, {"v": np.array([-0.066, -0.052])}, 1e-4)
    table = tr.TRANSLATIONS["lif_curr_exp"]
    np.testing.assert_allclose(table.state_forward("v", params["v_reset"], params)[1], 0.0, atol=1e-15)
    np.testing.assert_allclose(table.state_forward("v", params["v_thresh"], params)[1], 1.0, rtol=1e-14)
    np.testing.assert_allclose(m.to_si("v", m.neuron_args["initial_state"]["voltage"]), [-0.066, -0.052], rtol=1e-14)
    current = np.array([0.5e-9, 0.1e-9])
    v_inf = params["v_rest"] + params["tau_m"] / params["cm"] * (params["i_offset"] + current)
    np.testing.assert_allclose(m.to_si("v", m.bias + m.gain * current), v_inf, rtol=1e-14)
    assert m.neuron_args["refractory_steps"].tolist() == [20, 50]


UNSUPPORTED = """snnrun: "1.0"
name: unsupported
simulation: {duration: 10 ms, dt: 0.1 ms, options: {nengo: {integrator: euler}}}
populations:
  cond: {size: 2, model: {type: adex_cond_exp, params: {delta_t: 0 mV}}}
  cells: {size: 2, model: {type: lif_curr_exp}}
projections:
  loop:
    pre: cells
    post: cells
    connect: {rule: all_to_all}
    synapse: {weight: 1 nA, plasticity: {rule: stdp, tau_plus: 20 ms, tau_minus: 20 ms, a_plus: 0.01,
                                         a_minus: 0.012, w_max: 2 nA},
              short_term: {rule: tsodyks_markram, u: 0.5, tau_rec: 100 ms}}
record:
  - {projection: loop, variable: weight}
"""


def test_check_lists_unsupported_features_with_spec_paths(make_spec):
    problems = NengoAdapter().check(make_spec(UNSUPPORTED))
    paths = {tuple(p.path) for p in problems}
    # forward Euler is honoured on adex_cond_exp but not on lif_curr_exp (ExactLIF's propagators only);
    # delta_t = 0 has no exponential term to integrate (the reference engine refuses it too); the
    # plasticity rules and the weight recording run
    assert paths == {("simulation", "options", "nengo", "integrator"), ("populations", "cond", "model", "params", "delta_t")}
    assert all(p.line > 0 for p in problems)
    assert NengoAdapter().check(load_spec(SPECS / "cuba.yaml")) == []


def test_importing_the_adapter_does_not_import_nengo():
    code = ("import sys; from snnrun.adapters.registry import get_adapter; a = get_adapter('nengo'); "
            "assert a.name == 'nengo' and 'nengo' in a.versions(); assert 'nengo' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_nengo_errors_become_backend_errors_naming_the_element(make_spec, monkeypatch):
    real = nengo_network.DelayedSparse

    def wrong_shape(shape, *args):
        return real((shape[0] + 1, shape[1]), *args)

    monkeypatch.setattr(nengo_network, "DelayedSparse", wrong_shape)
    with pytest.raises(BackendError, match=r"backend 'nengo' at projections\.src_exp: ValidationError") as info:
        NengoAdapter().run(instantiate(make_spec(SYNAPSES)))
    assert info.value.path == ("projections", "src_exp")


def test_progress_repeatability_and_a_worker_process(make_spec):
    """Runs repeat bit for bit, in this process and in a worker (nengo's optimizer is off because its
    operator merging summed a population's inputs in an identity-dependent order: semantics.md)."""
    from snnrun.worker import run_isolated

    instance = instantiate(make_spec(SYNAPSES))
    seen = []
    here = NengoAdapter().run(instance, lambda done, total: seen.append((done, total)))
    assert seen[-1] == (instance.n_steps, instance.n_steps) and len(seen) >= 2
    for again in (NengoAdapter().run(instance), run_isolated(NengoAdapter(), instance)):
        for pop, (ids, times) in here.spikes.items():
            np.testing.assert_array_equal(again.spikes[pop][0], ids)
            np.testing.assert_array_equal(again.spikes[pop][1], times)
        for key, trace in here.traces.items():
            np.testing.assert_array_equal(again.traces[key].values, trace.values, err_msg=str(key))
