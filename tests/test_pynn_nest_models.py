"""pynn:nest's six nonlinear models on real NEST runs, against independent oracles.

Every NEST run goes through snnrun's worker processes (``execute``), never the pytest process. The
oracles: closed forms (lif_cond under dc), ``solve_ivp`` at rtol 1e-10 with the grid rule of semantics.md
(tests/oracles.py: AdEx, HH, one step of every model), NEST's documented izhikevich update (forward
Euler, its own order) and the reference engine with ``integrator: euler``, which implements that update
operation for operation. Tolerances, and why (measured values in semantics.md, "pynn:nest: the
nonlinear models"):
- iaf_cond_exp/alpha integrate with GSL's rkf45 (absolute 1e-3 mV per step; measured v within 2e-10 V
  of RK4): under dc the stamps are the closed form's steps exactly, since every crossing lies more than
  1e-3 steps from a step boundary (asserted) and 1e-10 V moves a crossing by < 1e-6 steps.
- aeif_cond_exp/alpha reset inside the step at the crossing, so w misses the rest of that step's growth
  (0.11 pA per spike at dt 0.1 ms, measured): stamps within 2 steps of the oracle's over the first ten
  spikes (measured at most 1), steady rate within 0.5 % (the single_neuron profile's agreement).
- hh_cond_exp_traub stamps a spike in the step after its peak (V >= V_T + 30 mV and V fell): the same
  spike count as the oracle's -20 mV crossings, each stamp 1-4 steps (0.1-0.4 ms) after the oracle's
  (measured 2 at dt 0.1 ms for these currents).
- hh_cond_exp_traub: the reference with ``hh_spike: nest_peak`` (NEST's rule) and 0.005 ms RK4
  substeps gives NEST's spike steps exactly.
- izhikevich: the reference with forward Euler gives NEST's spike steps exactly and traces within 1e-12
  of their range (measured 2e-14: the two sum the same terms in the same order, up to PyNN's unit
  conversions).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import oracles
from conftest import SPECS
from snnrun.adapters.registry import get_adapter
from snnrun.execute import execute
from snnrun.instance import instantiate
from snnrun.schema.loader import load_spec

DT_MS = 0.1
COBA = dict(cm=200.0, tau_m=20.0, v_rest=-60.0, v_thresh=-50.0, v_reset=-60.0, tau_refrac=5.0,
            e_exc=0.0, e_inh=-80.0, tau_e=5.0, tau_i=10.0)
COBA_PARAMS = ("cm: 0.2 nF, tau_m: 20 ms, v_rest: -60 mV, v_thresh: -50 mV, v_reset: -60 mV, tau_refrac: 5 ms, "
               "e_rev_exc: 0 mV, e_rev_inh: -80 mV, tau_syn_exc: 5 ms, tau_syn_inh: 10 ms")
ADEX = dict(cm=281.0, tau_m=9.3667, v_rest=-70.6, v_thresh=-50.4, v_reset=-70.6, v_spike=-40.0, delta_t=2.0,
            a=4.0, b=80.5, tau_w=144.0, tau_refrac=2.0, e_exc=0.0, e_inh=-80.0, tau_e=5.0, tau_i=5.0)
HH = dict(cm=200.0, g_leak=10.0, gbar_na=20000.0, gbar_k=6000.0, e_leak=-65.0, e_na=50.0, e_k=-90.0,
          v_offset=-63.0, e_exc=0.0, e_inh=-80.0, tau_e=0.2, tau_i=2.0)

LIF_CURRENTS = [0.2, 0.3, 0.6]  # nA; rheobase (v_thresh - v_rest) g_L = 0.1 nA
ADEX_CURRENTS = [1.0, 1.5, 2.5]
HH_CURRENTS = [0.2, 0.5, 1.0]
DURATION_MS = 400.0
N_STEPS = round(DURATION_MS / DT_MS)


def _values(xs, unit: str) -> str:
    return f"{{values: [{', '.join(str(x) for x in xs)}], unit: {unit}}}"


DC_SPEC = f"""
snnrun: "1.0"
name: nest_nonlinear_dc
simulation: {{duration: {DURATION_MS} ms, dt: {DT_MS} ms}}
populations:
  lif_exp: {{size: 3, model: {{type: lif_cond_exp, params: {{{COBA_PARAMS}}}}},
            params: {{i_offset: {_values(LIF_CURRENTS, 'nA')}}}}}
  lif_alpha: {{size: 3, model: {{type: lif_cond_alpha, params: {{{COBA_PARAMS}}}}},
              params: {{i_offset: {_values(LIF_CURRENTS, 'nA')}}}}}
  adex_exp: {{size: 3, model: {{type: adex_cond_exp, params: {{tau_refrac: 2 ms}}}},
             params: {{i_offset: {_values(ADEX_CURRENTS, 'nA')}}}}}
  adex_alpha: {{size: 3, model: {{type: adex_cond_alpha, params: {{tau_refrac: 2 ms}}}},
               params: {{i_offset: {_values(ADEX_CURRENTS, 'nA')}}}}}
  hh: {{size: 3, model: {{type: hh_cond_exp}}, params: {{i_offset: {_values(HH_CURRENTS, 'nA')}}}}}
record:
  - {{population: lif_exp, variable: spikes}}
  - {{population: lif_alpha, variable: spikes}}
  - {{population: adex_exp, variable: spikes}}
  - {{population: adex_alpha, variable: spikes}}
  - {{population: hh, variable: spikes}}
"""


def _run(make_spec, tmp_path, text: str, backends, overrides=None):
    spec = make_spec(text) if overrides is None else load_spec(_write(tmp_path, text), overrides=overrides)
    outcome = execute(spec, backends, out=tmp_path / "out", timeout=600, max_workers=2)
    assert not outcome.failures, outcome.failures
    return outcome.results


def _write(tmp_path, text: str):
    path = tmp_path / "spec.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _steps(results, pop: str, n: int) -> list[np.ndarray]:
    """Spike stamps of each neuron of ``pop`` as step numbers."""
    frame = results.spikes[results.spikes.population == pop]
    return [np.rint(frame[frame.neuron == i].time.to_numpy() / (DT_MS * 1e-3)).astype(int) for i in range(n)]


@pytest.fixture(scope="module")
def dc_run(tmp_path_factory):
    path = tmp_path_factory.mktemp("dc") / "spec.yaml"
    path.write_text(DC_SPEC, encoding="utf-8")
    outcome = execute(load_spec(path), ["pynn:nest"], out=path.parent / "out", timeout=600)
    assert not outcome.failures, outcome.failures
    return outcome.results["pynn:nest"]


# -- lif_cond: the closed form of a dc-driven conductance LIF on the grid ----------------------------------
def _lif_dc_stamps(i_pa: float) -> list[int]:
    """Stamps (steps) of the COBA cell at dc ``i_pa`` without input: v relaxes to v_inf = v_rest + i/g_L
    from v_reset (= v_rest = the initial v); a crossing after t_c is stamped ceil(t_c/dt) steps after the
    integration starts, which it does again round(tau_refrac/dt) steps after each stamp."""
    g_l = COBA["cm"] / COBA["tau_m"]
    v_inf = COBA["v_rest"] + i_pa / g_l
    t_c = COBA["tau_m"] * math.log((v_inf - COBA["v_reset"]) / (v_inf - COBA["v_thresh"]))
    frac = t_c / DT_MS
    assert abs(frac - round(frac)) > 1e-3, f"crossing {frac} steps: too close to a step boundary for this test"
    first, refractory = math.ceil(frac), round(COBA["tau_refrac"] / DT_MS)
    return list(range(first, N_STEPS + 1, first + refractory))


@pytest.mark.parametrize("pop", ["lif_exp", "lif_alpha"])
def test_lif_cond_dc_stamps_are_the_closed_form_steps(dc_run, pop):
    for n, i_na in enumerate(LIF_CURRENTS):
        expected = _lif_dc_stamps(i_na * 1e3)
        assert len(expected) >= 10
        np.testing.assert_array_equal(_steps(dc_run, pop, 3)[n], expected, err_msg=f"{pop} {i_na} nA")


# -- AdEx: the solve_ivp oracle ----------------------------------------------------------------------
def _adex_oracle(i_pa: float, alpha: bool) -> list[int]:
    def reset(y):
        y = np.array(y, float)
        y[0], y[1] = ADEX["v_reset"], y[1] + ADEX["b"]
        return y
    y0 = [ADEX["v_rest"], 0.0, 0.0, 0.0] + ([0.0, 0.0] if alpha else [])
    neuron = oracles.Neuron(oracles.adex(ADEX, alpha), y0, DT_MS, ADEX["v_spike"], reset=reset,
                            refractory_steps=round(ADEX["tau_refrac"] / DT_MS), currents={0: i_pa})
    return oracles.run_neuron(neuron, N_STEPS)


def _steady_rate(steps, first_step: int) -> float:
    """Firing rate (1/step) from the mean interval of the spikes stamped after ``first_step``."""
    late = np.asarray(steps)[np.asarray(steps) > first_step]
    assert late.size >= 5, f"only {late.size} spikes in the second half: a weak f-I point"
    return (late.size - 1) / (late[-1] - late[0])


@pytest.mark.parametrize("pop", ["adex_exp", "adex_alpha"])
def test_adex_dc_stamps_and_rates_match_the_oracle(dc_run, pop):
    for n, i_na in enumerate(ADEX_CURRENTS):
        oracle = _adex_oracle(i_na * 1e3, pop.endswith("alpha"))
        mine = _steps(dc_run, pop, 3)[n]
        assert len(oracle) >= 10 and mine.size >= 10, (mine.size, len(oracle))
        assert np.all(np.abs(mine[:10] - np.asarray(oracle[:10])) <= 2), (pop, i_na, mine[:10], oracle[:10])
        assert _steady_rate(mine, N_STEPS // 2) == pytest.approx(_steady_rate(oracle, N_STEPS // 2), rel=5e-3)


# -- HH: NEST's peak rule against the oracle's -20 mV crossings --------------------------------------------
def test_hh_dc_spike_counts_equal_the_oracle_and_stamps_trail_the_crossing(dc_run):
    for n, i_na in enumerate(HH_CURRENTS):
        y0 = [-65.0, *oracles.hh_steady_state(-65.0, HH["v_offset"]), 0.0, 0.0]
        neuron = oracles.Neuron(oracles.hh(HH), y0, DT_MS, -20.0, kind="crossing", currents={0: i_na * 1e3},
                                method=oracles.STIFF_METHOD)
        oracle = np.asarray(oracles.run_neuron(neuron, N_STEPS))
        mine = _steps(dc_run, "hh", 3)[n]
        assert oracle.size >= 5 and mine.size == oracle.size, (i_na, mine.size, oracle.size)
        lag = mine - oracle
        assert np.all((lag >= 1) & (lag <= 4)), (i_na, lag)


# -- initial values: NEST's state after the first step against one oracle step from the spec's values ----
INITIAL_SPEC = f"""
snnrun: "1.0"
name: nest_initial_values
simulation: {{duration: 1 ms, dt: {DT_MS} ms}}
populations:
  lif: {{size: 2, model: {{type: lif_cond_exp, params: {{{COBA_PARAMS}}}}},
        initial: {{v: {_values([-60, -55], 'mV')}, g_exc: {_values([0, 20], 'nS')}, g_inh: {_values([40, 0], 'nS')}}}}}
  adex: {{size: 2, model: {{type: adex_cond_exp, params: {{tau_refrac: 2 ms}}}},
         initial: {{v: {_values([-70.6, -60], 'mV')}, w: {_values([0, 0.1], 'nA')}, g_exc: {_values([0, 10], 'nS')}}}}}
  izh: {{size: 2, model: {{type: izhikevich}}, initial: {{v: {_values([-70, -60], 'mV')}, u: {{values: [-14, -10]}}}}}}
  hh: {{size: 2, model: {{type: hh_cond_exp}}, initial: {{v: {_values([-65, -70], 'mV')}}}}}
record:
""" + "".join(f"  - {{population: {p}, variable: {v}, interval: {DT_MS} ms}}\n" for p, vs in
              (("lif", "v g_exc g_inh"), ("adex", "v w g_exc"), ("izh", "v u"), ("hh", "v m h n"))
              for v in vs.split())

#: oracle state index and SI factor of each recorded variable (oracle units: mV, nS, pA)
_LIF_STATE = {"v": (0, 1e-3), "g_exc": (1, 1e-9), "g_inh": (2, 1e-9)}
_ADEX_STATE = {"v": (0, 1e-3), "w": (1, 1e-12), "g_exc": (2, 1e-9)}
_HH_STATE = {"v": (0, 1e-3), "m": (1, 1.0), "h": (2, 1.0), "n": (3, 1.0)}


def _one_step(rhs, y0):
    return oracles.integrate(rhs, 0.0, DT_MS, y0)[1]


def _izhikevich_euler_step(v, u, a=0.02, b=0.2):
    """NEST's izhikevich update (consistent_integration, no input): both from the old v and u."""
    return v + DT_MS * (0.04 * v * v + 5 * v + 140 - u), u + DT_MS * a * (b * v - u)


def test_initial_values_reach_nest_in_its_units(make_spec, tmp_path):
    """The sample after the first step (NEST's own state; the t = 0 sample is the spec's value) equals one
    oracle step from the spec's initial values: pyNN.nest 0.13 would hand NEST g_exc 20 nS as 0.02 nS and
    w 0.1 nA as 0.1 pA, and HH gates left to PyNN start at m = 0, h = 1, n = 0. Tolerance 1e-6 of each
    value's scale (measured at most 5e-8, HH's m gate: rkf45 at absolute 1e-3 against solve_ivp); a unit error is 1e3."""
    results = _run(make_spec, tmp_path, INITIAL_SPEC, ["pynn:nest"])["pynn:nest"]
    expected = {}
    for n, (v, ge, gi) in enumerate([(-60.0, 0.0, 40.0), (-55.0, 20.0, 0.0)]):
        y = _one_step(oracles.lif_cond(COBA, False)(0.0), [v, ge, gi])
        expected.update({("lif", var, n): y[i] * f for var, (i, f) in _LIF_STATE.items()})
    for n, (v, w, ge) in enumerate([(-70.6, 0.0, 0.0), (-60.0, 100.0, 10.0)]):
        y = _one_step(oracles.adex(ADEX, False)(0.0), [v, w, ge, 0.0])
        expected.update({("adex", var, n): y[i] * f for var, (i, f) in _ADEX_STATE.items()})
    for n, (v, u) in enumerate([(-70.0, -14.0), (-60.0, -10.0)]):
        v1, u1 = _izhikevich_euler_step(v, u)
        expected.update({("izh", "v", n): v1 * 1e-3, ("izh", "u", n): u1})
    for n, v in enumerate([-65.0, -70.0]):
        y = _one_step(oracles.hh({**HH, "e_leak": -65.0})(0.0), [v, *oracles.hh_steady_state(v, HH["v_offset"]), 0, 0])
        expected.update({("hh", var, n): y[i] * f for var, (i, f) in _HH_STATE.items()})
    scale = {"v": 1e-3 * 60, "g_exc": 1e-9 * 20, "g_inh": 1e-9 * 40, "w": 1e-12 * 100, "u": 10.0,
             "m": 1.0, "h": 1.0, "n": 1.0}
    for (pop, var, n), value in expected.items():
        got = results.traces[(pop, var)].iloc[1][n]
        assert abs(got - value) <= 1e-6 * scale[var], f"{pop}.{var}[{n}] after one step: {got} vs oracle {value}"


# -- izhikevich: the reference with forward Euler is NEST's update -----------------------------------
@pytest.mark.parametrize("case", ["izhikevich_currents", "izhikevich_input_spikes", "izhikevich_recurrent"])
def test_izhikevich_spike_steps_equal_the_reference_with_forward_euler(tmp_path, case):
    path = SPECS / "conformance" / f"{case}.yaml"
    euler = load_spec(path, overrides={"simulation.options": {"reference": {"integrator": "euler"}}})
    ref = execute(euler, ["reference"], out=tmp_path / "ref").results["reference"]
    nest = execute(load_spec(path), ["pynn:nest"], out=tmp_path / "nest", timeout=600).results["pynn:nest"]
    a = ref.spikes.sort_values(["population", "neuron", "time"])
    b = nest.spikes.sort_values(["population", "neuron", "time"])
    assert len(a) == len(b) and len(a) > 0
    np.testing.assert_array_equal(b.neuron.to_numpy(), a.neuron.to_numpy())
    np.testing.assert_array_equal(np.rint(b.time.to_numpy() / 1e-4), np.rint(a.time.to_numpy() / 1e-4))
    for key, trace in ref.traces.items():
        values, other = trace.to_numpy(), nest.traces[key].to_numpy()
        assert np.abs(other - values).max() <= 1e-12 * np.ptp(values), key


# -- HH: the reference with NEST's spike rule is NEST's stamps --------------------------------------
NEST_HH = {"simulation.options": {"reference": {"hh_spike": "nest_peak", "hh_max_substep_ms": 0.005}}}


@pytest.mark.parametrize("case", ["hh_cond_exp_currents", "hh_cond_exp_input_spikes", "hh_cond_exp_recurrent"])
def test_hh_spike_steps_equal_the_reference_with_nest_peak(tmp_path, case):
    """With NEST's rule and RK4 substeps of 0.005 ms (tests/test_reference_hh_spike.py: the oracle's peak
    stamps), the reference gives NEST's spike steps, in the recurrent network too, whose -20 mV-crossing
    reference differs (37/17 spikes against 45/19: every recurrent input 1-3 steps later)."""
    spec = load_spec(SPECS / "conformance" / f"{case}.yaml", overrides=NEST_HH)
    results = execute(spec, ["reference", "pynn:nest"], out=tmp_path, max_workers=2, timeout=600).results
    a, b = (results[n].spikes.sort_values(["population", "neuron", "time"]) for n in ("reference", "pynn:nest"))
    assert len(a) == len(b) and len(a) > 0
    np.testing.assert_array_equal(b.population.to_numpy(), a.population.to_numpy())
    np.testing.assert_array_equal(b.neuron.to_numpy(), a.neuron.to_numpy())
    np.testing.assert_array_equal(np.rint(b.time.to_numpy() / 1e-4), np.rint(a.time.to_numpy() / 1e-4))


# -- what check refuses, without NEST ----------------------------------------------------------------
def test_check_refuses_initial_hh_conductances_and_accepts_the_six_models(make_spec):
    adapter = get_adapter("pynn:nest")
    assert {"lif_cond_exp", "lif_cond_alpha", "adex_cond_exp", "adex_cond_alpha", "izhikevich",
            "hh_cond_exp"} <= adapter.capabilities.models
    assert adapter.check(make_spec(DC_SPEC)) == []
    spec = make_spec(INITIAL_SPEC.replace("initial: {v: {values: [-65, -70], unit: mV}}",
                                          "initial: {v: -65 mV, g_exc: 5 nS}"))
    problems = adapter.check(spec)
    assert [p.path for p in problems] == [("populations", "hh", "initial", "g_exc")], problems
    assert "refuses to set them" in problems[0].message



# -- STDP onto iaf_cond_exp ----------------------------------------------------------------------------
def _stdp_spec(receptor: str) -> str:
    """Ten sources, each firing 0.7 i ms after the stamps of a dc-driven COBA cell minus 5 ms (so every
    pair is 0.3-11 ms apart, no ties), onto that cell through additive STDP synapses of 1 pS: their
    PSPs (0.06 pA) move no crossing across a step boundary, so the post stamps are the closed form's."""
    post = [s * DT_MS for s in _lif_dc_stamps(300.0)]
    trains = [[round(t - 5.0 + 0.7 * i, 1) for t in post if t - 5.0 + 0.7 * i > 0] for i in range(10)]
    times = ", ".join("[" + ", ".join(f"{t} ms" for t in train) + "]" for train in trains)
    return f"""
snnrun: "1.0"
name: nest_stdp_conductance
simulation: {{duration: {DURATION_MS} ms, dt: {DT_MS} ms}}
populations:
  src: {{size: 10, model: {{type: spike_array, params: {{spike_times: [{times}]}}}}}}
  cell: {{size: 1, model: {{type: lif_cond_exp, params: {{{COBA_PARAMS}, i_offset: 0.3 nA}}}}}}
projections:
  plastic:
    pre: src
    post: cell
    connect: {{rule: all_to_all}}
    synapse:
      receptor: {receptor}
      weight: 1 pS
      delay: 1 ms
      plasticity: {{rule: stdp, tau_plus: 20 ms, tau_minus: 20 ms, a_plus: 0.01, a_minus: 0.0105,
                   w_min: 0 nS, w_max: 2 pS, weight_dependence: additive, pairing: all_to_all}}
record:
  - {{population: cell, variable: spikes}}
"""


@pytest.mark.parametrize("receptor", ["exc", "inh"])
def test_stdp_onto_iaf_cond_exp_equals_the_reference(make_spec, tmp_path, receptor):
    """NEST's stdp_synapse onto iaf_cond_exp, on either receptor (NEST takes inhibitory conductance
    weights and their Wmax negative): the post stamps are the closed form's, and the final weights
    those of the reference engine (whose STDP tests/test_stdp_reference.py checks against closed forms)
    within 1e-9 relative (measured 1.4e-15)."""
    results = _run(make_spec, tmp_path, _stdp_spec(receptor), ["reference", "pynn:nest"])
    expected = _lif_dc_stamps(300.0)
    for backend, res in results.items():
        np.testing.assert_array_equal(_steps(res, "cell", 1)[0], expected, err_msg=backend)
    ref = results["reference"].final_weights.sort_values("synapse").weight.to_numpy()
    nest = results["pynn:nest"].final_weights.sort_values("synapse").weight.to_numpy()
    assert ref.size == 10 and np.all(np.abs(ref - 1e-12) > 1e-14), "every weight must have moved"
    np.testing.assert_allclose(nest, ref, rtol=1e-9, atol=0)


@pytest.mark.slow
def test_song_miller_abbott_final_weights_match_the_reference(tmp_path):
    """specs/song_miller_abbott.yaml (stdp_synapse onto one iaf_cond_exp, 1000 Poisson inputs) for 40 s:
    the final weight histograms within a Kolmogorov-Smirnov distance of 0.05 (issue 10's bar; scipy's
    statistic) and within half the distance the reference's weights moved from their drawn values (0.067
    by 40 s; at 20 s only 0.043, less than the bar, so a run that short would not test learning).
    Measured 0.011, 1038 post spikes against the reference's 1035: the trains part within the first
    second (one spike moves by a step, then chaos). About 10 s for pynn:nest and 20-30 s for the
    reference (both at once, under load)."""
    from scipy.stats import ks_2samp

    spec = load_spec(SPECS / "song_miller_abbott.yaml", overrides={"simulation.duration": "40 s"})
    initial = instantiate(spec).projections["plastic"].weight
    results = execute(spec, ["reference", "pynn:nest"], out=tmp_path, max_workers=2, timeout=1200).results
    final = {name: r.final_weights.sort_values("synapse")["weight"].to_numpy() for name, r in results.items()}
    assert final["reference"].size == final["pynn:nest"].size == initial.size == 1000
    moved = ks_2samp(initial, final["reference"]).statistic
    assert moved > 0.06, moved
    distance = ks_2samp(final["reference"], final["pynn:nest"]).statistic
    assert distance <= min(0.05, moved / 2), (distance, moved)


def test_coba_spike_trains_equal_the_reference_for_200_ms(tmp_path):
    """specs/coba.yaml (4000 iaf_cond_exp cells started by random initial v and conductances) for its first
    200 ms: every spike on the reference's step (measured: all 14272; the chaotic network first parts at
    0.5 s, 40347 of the first 40349 spikes shared, and ends 1 s at -5.2 % (exc) and -1.9 % (inh) in rate,
    4 s at -0.9 % and -1.2 %; with v_thresh moved by 0.1 or 1 uV the two give the same counts over 1 s).
    About 15 s."""
    spec = load_spec(SPECS / "coba.yaml", overrides={"simulation.duration": "200 ms"})
    results = execute(spec, ["reference", "pynn:nest"], out=tmp_path, max_workers=2, timeout=600).results
    a, b = (results[n].spikes.sort_values(["time", "population", "neuron"]) for n in ("reference", "pynn:nest"))
    assert len(a) > 10000 and len(b) == len(a)
    np.testing.assert_array_equal(b.neuron.to_numpy(), a.neuron.to_numpy())
    np.testing.assert_array_equal(np.rint(b.time.to_numpy() / 1e-4), np.rint(a.time.to_numpy() / 1e-4))
