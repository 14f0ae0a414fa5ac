"""The brian2 backend against the reference engine, on the same drawn instance.

Every comparison draws the instance once (``instantiate(spec)``) and gives it to both backends, so the
connectivity, initial values, source trains and stimuli are the same arrays; what remains is numerics and
semantics. Brian2 is never skipped: if it does not import, these tests fail.

Tolerances, with their reasons (see also schema/semantics.md, "### brian2"):

- Spike steps: identical (no tolerance). Both backends integrate exactly; they differ only in the
  arithmetic form of the closed-form solution (a few ulps), which flips a threshold crossing only if
  the crossing lies within ~1e-15 V of v_thresh on the grid. None of the specs here has one.
- Membrane traces: ``V_ATOL`` = 1e-13 V absolute. Measured maximum over every trace below: 3.2e-15 V
  (about 200 ulps of 65 mV, accumulated over 1000-10000 steps); a 30x margin.
- Synaptic current traces: relative 1e-12 (measured: bit-identical; both compute ``i exp(-dt/tau)``).

Most tests use numpy code generation (no compiler). One CUBA test uses cython (the default target;
about 40 s to compile with an empty cache) and one test uses cpp_standalone (about 15 s to compile
a small network with an empty cache), in a temporary cache folder.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import SPECS, assert_same_spikes, lif_spec, psp_spec, spec_from_text
from snnrun.adapters.brian2.adapter import CAPABILITIES, Brian2Adapter, codegen_target
from snnrun.adapters.brian2.models import MODELS, TRANSLATIONS, neuron_code
from snnrun.adapters.brian2.plan import make_plan
from snnrun.adapters.reference.adapter import ReferenceAdapter
from snnrun.instance import instantiate
from snnrun.schema import catalogue as cat
from snnrun.schema.errors import BackendError, UnsupportedFeature
from snnrun.schema.loader import load_spec

import brian2  # noqa: F401  (a missing or broken Brian2 must fail this file, not skip it)

V_ATOL = 1e-13  # V; see the module docstring
I_RTOL = 1e-12
DT = 1e-4


def with_codegen(spec, codegen: str):
    """The same spec with ``simulation.options.brian2.codegen`` set (the instance draw does not change)."""
    options = {**dict(spec.simulation.options), "brian2": {"codegen": codegen}}
    return dataclasses.replace(spec, simulation=dataclasses.replace(spec.simulation, options=options))


def run_both(spec, codegen: str = "numpy"):
    """(reference output, brian2 output, instance) for one drawn instance."""
    instance = instantiate(with_codegen(spec, codegen))
    return ReferenceAdapter().run(instance), Brian2Adapter().run(instance), instance


def assert_same_traces(ref, b2):
    assert set(ref.traces) == set(b2.traces)
    for key, trace in ref.traces.items():
        other = b2.traces[key]
        np.testing.assert_array_equal(other.times, trace.times, err_msg=str(key))
        np.testing.assert_array_equal(other.neurons, trace.neurons, err_msg=str(key))
        assert other.values.shape == trace.values.shape, key
        if key[1] == "v":
            np.testing.assert_allclose(other.values, trace.values, rtol=0, atol=V_ATOL, err_msg=str(key))
        else:
            np.testing.assert_allclose(other.values, trace.values, rtol=I_RTOL, atol=1e-24, err_msg=str(key))


# -- deterministic specs: identical spike steps ----------------------------------------------------------

@pytest.mark.parametrize("dt_ms,tau_refrac_ms", [(0.1, 2.0), (0.1, 3.0), (0.025, 2.0), (0.1, 0.0)])
def test_fi_curve_and_refractoriness_match_the_reference(tmp_path, dt_ms, tau_refrac_ms):
    """Constant currents from below rheobase to 4 nA; refractory periods of 0, 20, 30 and 80 steps."""
    spec = spec_from_text(lif_spec([0.5, 0.76, 0.8, 1.0, 1.3, 2.0, 4.0], dt_ms, tau_refrac_ms, "300 ms", record_v=True),
                          tmp_path)
    ref, b2, _ = run_both(spec)
    assert ref.spikes["cells"][0].size > 50  # the comparison is not vacuous
    assert_same_spikes(ref, b2)
    assert_same_traces(ref, b2)
    # the clamp: after each spike v sits at v_reset for exactly round(tau_refrac/dt) more samples
    ids, times = b2.spikes["cells"]
    v = b2.traces[("cells", "v")].values[:, 6]
    dt = dt_ms * 1e-3
    k = int(round(times[ids == 6][0] / dt))
    r = int(round(tau_refrac_ms / dt_ms))
    assert np.all(v[k:k + r + 1] == -0.065)
    assert v[k + r + 1] > -0.065


# three input spikes, two of them 0.3 ms apart: overlapping PSPs and a delivery inside one delay
BRIAN2_PSP_SPIKES = "[10 ms, 40 ms, 40.3 ms]"


@pytest.mark.parametrize("model,weight,tau_ms,delay,receptor", [
    ("lif_curr_exp", "0.1 nA", 5.0, "2.5 ms", "exc"),
    ("lif_curr_exp", "-0.1 nA", 2.0, "0.1 ms", "inh"),
    ("lif_curr_exp", "0.1 nA", 20.0, "1 ms", "exc"),  # tau_syn == tau_m: the singular closed form
    ("lif_curr_alpha", "0.2 nA", 0.5, "2.5 ms", "exc"),
    ("lif_curr_alpha", "0.2 nA", 20.0, "1 ms", "inh"),  # singular alpha
    ("lif_curr_delta", "0.5 mV", 0, "2.5 ms", "exc"),
])
def test_postsynaptic_potentials_match_the_reference(tmp_path, model, weight, tau_ms, delay, receptor):
    """Source spikes through delays of 1 to 25 steps onto each synapse type; the input arrives at the
    stamp + delay on both backends (traces equal to V_ATOL, current traces to I_RTOL)."""
    spec = spec_from_text(psp_spec(model, weight, tau_ms, receptor, delay, BRIAN2_PSP_SPIKES), tmp_path)
    ref, b2, _ = run_both(spec)
    assert_same_spikes(ref, b2)
    assert_same_traces(ref, b2)
    v = b2.traces[("cell", "v")].values[:, 0]
    assert np.ptp(v) > 1e-5  # a PSP happened
    # first deviation from rest at the sample after arrival: 10 ms + delay (+1 step for a current input)
    delay_steps = int(round(float(delay.split()[0]) / 0.1))
    first = int(np.flatnonzero(np.abs(v + 0.070) > 1e-12)[0])
    assert first == 100 + delay_steps + (0 if model == "lif_curr_delta" else 1)


MIXED_SINGULAR_SPEC = """
snnrun: "1.0"
name: mixed_singular
simulation: {duration: 100 ms, dt: 0.1 ms}
populations:
  src: {size: 1, model: {type: spike_array, params: {spike_times: [10 ms, 40 ms]}}}
  cells:
    size: 2
    model:
      type: lif_curr_exp
      params: {cm: 0.25 nF, tau_m: 20 ms, v_rest: -70 mV, v_reset: -70 mV, v_thresh: -60 mV}
    params: {tau_syn_exc: {values: [20, 5], unit: ms}}
projections:
  input: {pre: src, post: cells, connect: {rule: all_to_all}, synapse: {receptor: exc, weight: 0.5 nA, delay: 1 ms}}
record:
  - {population: cells, variable: spikes}
  - {population: cells, variable: v, interval: 0.1 ms}
"""


def test_tau_syn_equal_to_tau_m_for_some_neurons_only_is_perturbed_with_a_warning(tmp_path):
    """Per-neuron tau_syn with one neuron at tau_syn == tau_m: Brian2's closed form cannot use the same
    symbol for one neuron only, so that neuron's tau_syn becomes tau_m (1 + 1e-6) (semantics.md). Its
    PSP then differs from the exact one by about 1e-6 relative (measured 1.2e-8 V on a 10 mV
    excursion; allowed 1e-7 V); the other neuron is not touched (V_ATOL)."""
    ref, b2, _ = run_both(spec_from_text(MIXED_SINGULAR_SPEC, tmp_path))
    assert any("tau_syn_exc" in w and "1e-06" in w for w in b2.warnings)
    assert_same_spikes(ref, b2)
    assert ref.spikes["cells"][0].size >= 1  # the PSPs reach threshold: spikes compared, not only traces
    v_ref, v_b2 = ref.traces[("cells", "v")].values, b2.traces[("cells", "v")].values
    np.testing.assert_allclose(v_b2[:, 1], v_ref[:, 1], rtol=0, atol=V_ATOL)
    np.testing.assert_allclose(v_b2[:, 0], v_ref[:, 0], rtol=0, atol=1e-7)
    assert np.abs(v_b2[:, 0] - v_ref[:, 0]).max() > V_ATOL  # the perturbation is visible, as documented


DELTA_SPEC = """
snnrun: "1.0"
name: delta_spike
simulation: {duration: 60 ms, dt: 0.1 ms}
populations:
  src:
    size: 2
    model: {type: spike_array, params: {spike_times: [[10 ms], [10.5 ms, 30 ms]]}}
  cell:
    size: 1
    model:
      type: lif_curr_delta
      params: {cm: 0.25 nF, tau_m: 20 ms, v_rest: -70 mV, v_reset: -75 mV, v_thresh: -60 mV, tau_refrac: 3 ms}
projections:
  kick: {pre: src, post: cell, connect: {rule: from_list, pairs: [[0, 0]]},
         synapse: {receptor: exc, weight: 12 mV, delay: 0.7 ms}}
  late: {pre: src, post: cell, connect: {rule: from_list, pairs: [[1, 0]]},
         synapse: {receptor: exc, weight: 4 mV, delay: 1.2 ms}}
record:
  - {population: cell, variable: spikes}
  - {population: cell, variable: v, interval: 0.1 ms}
"""


def test_a_voltage_jump_spikes_in_its_arrival_step_and_is_discarded_while_refractory(tmp_path):
    """Brian2's default schedule would threshold before the jump; the adapter's pathways run before the
    threshold (semantics.md phase 2 before 4). A 12 mV jump arriving at 10.7 ms crosses a threshold
    10 mV above rest and is stamped 10.7 ms; the 4 mV jump arriving at 11.7 ms falls in the 30-step
    refractory period and is discarded; the one arriving at 31.2 ms is not."""
    ref, b2, _ = run_both(spec_from_text(DELTA_SPEC, tmp_path))
    assert_same_spikes(ref, b2)
    assert_same_traces(ref, b2)
    _, times = b2.spikes["cell"]
    np.testing.assert_array_equal(np.rint(times / DT), [107])
    v = b2.traces[("cell", "v")].values[:, 0]
    assert np.all(v[107:138] == -0.075)  # reset at the stamp, clamped 30 steps, the jump at 117 lost
    assert v[138] > -0.075  # integration resumed
    # arrival at 31.2 ms: the 4 mV jump plus one step of relaxation towards rest (about +9 uV)
    assert 0.004 < v[312] - v[311] < 0.00402


TOUR_SPEC = """
snnrun: "1.0"
name: brian2_tour
seed: 5
simulation: {duration: 400 ms, dt: 0.1 ms}
models:
  exp_cell:
    type: lif_curr_exp
    params: {cm: 0.25 nF, tau_m: 10 ms, v_rest: -65 mV, v_reset: -70 mV, v_thresh: -50 mV, tau_refrac: 2 ms,
             tau_syn_exc: 3 ms, tau_syn_inh: 6 ms}
populations:
  drive: {size: 40, model: {type: poisson, params: {rate: 40 Hz, start: 20 ms, stop: 350 ms}}}
  waves:
    size: 10
    model: {type: inhomogeneous_poisson, params: {times: [0 ms, 100 ms, 250 ms], rates: [10 Hz, 150 Hz, 20 Hz]}}
  given: {size: 2, model: {type: spike_array, params: {spike_times: [[5 ms, 50 ms, 50.1 ms], [120 ms]]}}}
  a: {size: 12, model: exp_cell, initial: {v: {distribution: uniform, low: -70 mV, high: -52 mV},
                                           i_syn_exc: 0.05 nA}}
  b:
    size: 8
    model: exp_cell
    params: {tau_m: {values: [8, 9, 10, 11, 12, 13, 14, 15], unit: ms}, tau_refrac: 0 ms,
             i_offset: {distribution: uniform, low: 0 nA, high: 0.3 nA}}
  c:
    size: 8
    model:
      type: lif_curr_alpha
      params: {cm: 0.2 nF, tau_m: 15 ms, v_rest: -60 mV, v_reset: -65 mV, v_thresh: -50 mV, tau_refrac: 1 ms,
               tau_syn_exc: 1 ms, tau_syn_inh: 2 ms}
  d:
    size: 5
    model:
      type: lif_curr_delta
      params: {tau_m: 20 ms, v_rest: -65 mV, v_reset: -65 mV, v_thresh: -55 mV, tau_refrac: 2.5 ms}
projections:
  drive_a: {pre: drive, post: a, connect: {rule: fixed_indegree, n: 10},
            synapse: {receptor: exc, weight: {distribution: normal, mean: 0.15 nA, std: 0.03 nA},
                      delay: {distribution: uniform, low: 0.1 ms, high: 3 ms}}}
  drive_b: {pre: drive, post: b, connect: {rule: fixed_probability, p: 0.3},
            synapse: {receptor: exc, weight: 0.12 nA, delay: 1.5 ms}}
  waves_c: {pre: waves, post: c, connect: {rule: all_to_all},
            synapse: {receptor: exc, weight: 0.15 nA,
                      delay: {distribution: choice, values: [0.1, 0.7, 2], unit: ms}}}
  given_d: {pre: given, post: d, connect: {rule: all_to_all}, synapse: {receptor: exc, weight: 6 mV, delay: 0.3 ms}}
  a_b: {pre: a, post: b, connect: {rule: fixed_total, n: 30},
        synapse: {receptor: inh, weight: -0.2 nA, delay: 0.8 ms}}
  b_a: {pre: b, post: a, connect: {rule: fixed_outdegree, n: 3},
        synapse: {receptor: exc, weight: 0.1 nA, delay: 0.1 ms}}
  a_c: {pre: a, post: c, connect: {rule: fixed_probability, p: 0.5}, synapse: {receptor: inh, weight: -0.1 nA}}
  b_c: {pre: b, post: c, connect: {rule: one_to_one}, synapse: {receptor: exc, weight: 0.3 nA, delay: 4 ms}}
  c_d: {pre: c, post: d, connect: {rule: fixed_probability, p: 0.5},
        synapse: {receptor: inh, weight: -2 mV, delay: {distribution: uniform, low: 1 ms, high: 2 ms}}}
  d_d: {pre: d, post: d, connect: {rule: all_to_all, allow_self: false},
        synapse: {receptor: exc, weight: 3 mV, delay: 1 ms}}
stimuli:
  pulse: {type: dc, target: {population: a, neurons: [0, 1, 2]}, amplitude: 0.4 nA, start: 50 ms, stop: 200 ms}
  ramp: {type: step, target: {population: b, neurons: [1, 3]}, times: [0 ms, 100.3 ms, 300 ms],
         amplitudes: [0.1 nA, 0.35 nA, 0 nA]}
  wave: {type: sine, target: {population: c}, amplitude: 0.2 nA, offset: 0.1 nA, frequency: 15 Hz, start: 30 ms}
  jitter: {type: noise, target: {population: a, neurons: [2, 5]}, mean: 0.2 nA, std: 0.3 nA, interval: 2 ms}
  bias: {type: dc, target: {population: d, neurons: [0, 1, 2]}, amplitude: 0.55 nA, stop: 300 ms}
record:
  - {population: a, variable: spikes}
  - {population: b, variable: spikes}
  - {population: c, variable: spikes}
  - {population: d, variable: spikes}
  - {population: drive, variable: spikes}
  - {population: given, variable: spikes}
  - {population: a, variable: v, interval: 0.1 ms}
  - {population: a, variable: i_syn_exc, neurons: [0, 4], interval: 1 ms}
  - {population: b, variable: v, neurons: [1, 3, 7], interval: 0.5 ms}
  - {population: c, variable: i_syn_inh, interval: 0.3 ms}
  - {population: c, variable: v, interval: 0.3 ms}
  - {population: d, variable: v, interval: 1 ms}
"""


def test_every_feature_together_matches_the_reference(tmp_path):
    """Three model types, two populations of one type with different per-neuron parameters (Brian2
    per-neuron variables instead of constants), tau_refrac of 0 steps, all three source types, every
    stimulus type on subsets, heterogeneous weights and delays of 1-30 steps, every connection rule but
    from_list (DELTA_SPEC has it), initial values, state recorded at several intervals."""
    ref, b2, instance = run_both(spec_from_text(TOUR_SPEC, tmp_path))
    plan = make_plan(instance)
    assert "tau_m" in plan.groups["lif_curr_exp"].arrays  # the per-neuron path is exercised
    assert any(not isinstance(s.delay, int) for s in plan.synapses)  # so are per-synapse delays
    for pop in ("a", "b", "c", "d"):
        assert ref.spikes[pop][0].size > 5, pop  # every population fires: the comparison means something
    assert_same_spikes(ref, b2)
    assert_same_traces(ref, b2)


# -- CUBA -------------------------------------------------------------------------------------------------

IDENTICAL_UNTIL = 0.5  # s; measured: identical for the whole run, 1 s (and 10 s); see the docstring


@pytest.mark.slow
def test_cuba_on_the_same_instance_matches_the_reference_cython():
    """CUBA (specs/cuba.yaml, seed 1), cython (the default target), on the reference's instance.

    Measured on this project's machine type (Brian2 2.9.0, numpy 2.3): the spike trains are identical
    for the whole second (18743 exc and 4518 inh spikes), on numpy, cython and cpp_standalone, and for
    10 s when the run is lengthened (188087 and 44806 spikes, cython). Rounding
    differs between the backends by a few ulps per step, and in this network such differences never
    decided a threshold crossing within 1 s; a different libm or compiler could make one do so late in
    the run, after which the trains diverge (the network is chaotic). So the test asserts identical
    spikes for the first 500 ms (half the measured span) and population rates within 1%.
    """
    spec = load_spec(SPECS / "cuba.yaml")
    instance = instantiate(spec)
    assert codegen_target(instance) == "cython"  # the spec does not choose: this is the default
    ref = ReferenceAdapter().run(instance)
    b2 = Brian2Adapter().run(instance)
    assert b2.versions["brian2-codegen"] == "cython"
    for pop in ("exc", "inh"):
        ids, times = ref.spikes[pop]
        b_ids, b_times = b2.spikes[pop]
        size = instance.populations[pop].size
        assert ids.size > 1000
        rate_ref, rate_b2 = ids.size / size, b_ids.size / size
        assert abs(rate_b2 - rate_ref) <= 0.01 * rate_ref, (pop, rate_ref, rate_b2)
        early, b_early = times <= IDENTICAL_UNTIL, b_times <= IDENTICAL_UNTIL
        np.testing.assert_array_equal(b_ids[b_early], ids[early])
        np.testing.assert_array_equal(b_times[b_early], times[early])


def test_the_cpp_benchmark_spec_draws_the_same_network_as_cuba():
    """specs/cuba_brian2_cpp.yaml differs from cuba.yaml only in simulation.options (the benchmark
    compares codegen targets on one network): same instance, array for array."""
    plain, cpp = load_spec(SPECS / "cuba.yaml"), load_spec(SPECS / "cuba_brian2_cpp.yaml")
    a, b = instantiate(plain), instantiate(cpp)
    assert codegen_target(b) == "cpp_standalone"
    for name, proj in a.projections.items():
        for field in ("pre", "post", "weight", "delay_steps"):
            np.testing.assert_array_equal(getattr(b.projections[name], field), getattr(proj, field))
    for name, pop in a.populations.items():
        np.testing.assert_array_equal(b.populations[name].initial["v"], pop.initial["v"])


# -- code generation targets, caches, process state --------------------------------------------------------

@pytest.mark.slow
def test_cpp_standalone_builds_once_and_leaves_the_runtime_device(tmp_path, monkeypatch):
    """cpp_standalone in a per-structure cache folder: the first run compiles, a second run of the same
    structure in the same process rebuilds nothing (no object file is rewritten), and a runtime run
    afterwards works (the device was reset). All three equal the reference. v is sampled every 5 steps,
    so the project has two clocks (whose order in the generated code must not change between runs)."""
    monkeypatch.setenv("SNNRUN_CACHE_DIR", str(tmp_path / "cache"))
    spec = spec_from_text(DELTA_SPEC.replace("interval: 0.1 ms", "interval: 0.5 ms"), tmp_path)
    ref, first, instance = run_both(spec, "cpp_standalone")
    assert_same_spikes(ref, first)
    assert_same_traces(ref, first)
    (project,) = [p for p in (tmp_path / "cache" / "brian2").iterdir() if p.is_dir() and p.name != "exact"]
    objects = {p: p.stat().st_mtime_ns for p in project.rglob("*.o")}
    assert objects, "no compiled objects in the standalone project"
    second = Brian2Adapter().run(instance)
    assert {p: p.stat().st_mtime_ns for p in project.rglob("*.o")} == objects
    assert_same_spikes(ref, second)
    from brian2.devices.device import get_device, runtime_device
    assert get_device() is runtime_device
    third = Brian2Adapter().run(instantiate(with_codegen(spec, "numpy")))
    assert_same_spikes(ref, third)
    assert_same_traces(ref, third)


def test_runs_through_the_runner_in_a_worker_process(tmp_path):
    """snnrun.run forks a worker for brian2 (Brian2 keeps process-wide state); same spikes as reference."""
    from snnrun.execute import run

    text = psp_spec("lif_curr_exp", "2 nA", 2.0, "exc", "1 ms", BRIAN2_PSP_SPIKES)
    text = text.replace("v_thresh: 0 mV", "v_thresh: -65 mV")
    spec = with_codegen(spec_from_text(text, tmp_path), "numpy")
    results = run(spec, backend=["reference", "brian2"], out=tmp_path / "out")
    ref, b2 = results["reference"], results["brian2"]
    assert (ref.spikes["population"] == "cell").sum() >= 3
    assert ref.spikes.equals(b2.spikes)  # as written to disk and read back
    assert set(ref.traces) == set(b2.traces) == {("cell", "v"), ("cell", "i_syn_exc")}
    for key, frame in ref.traces.items():
        tolerance = {"rtol": 0, "atol": V_ATOL} if key[1] == "v" else {"rtol": I_RTOL, "atol": 1e-24}
        np.testing.assert_allclose(b2.traces[key].to_numpy(), frame.to_numpy(), **tolerance)
    assert b2.manifest["simulator_versions"]["brian2"] == brian2.__version__
    assert b2.manifest["simulator_versions"]["brian2-codegen"] == "numpy"


def test_progress_reaches_the_end(tmp_path):
    calls = []
    instance = instantiate(with_codegen(spec_from_text(DELTA_SPEC, tmp_path), "numpy"))
    Brian2Adapter().run(instance, progress=lambda done, total: calls.append((done, total)))
    assert calls[-1] == (instance.n_steps, instance.n_steps)
    assert [c[0] for c in calls] == sorted(c[0] for c in calls)


def test_importing_the_adapter_does_not_import_brian2():
    code = ("import sys; import snnrun.adapters.brian2.adapter as a; a.Brian2Adapter().versions();"
            "assert 'brian2' not in sys.modules, 'brian2 imported'; print('ok')")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr


def test_a_brian2_failure_becomes_a_backend_error_naming_the_element(tmp_path, monkeypatch):
    from snnrun.adapters.brian2 import build

    def broken(*args, **kwargs):
        raise ValueError("synthetic failure")

    monkeypatch.setattr(build, "_synapses", broken)
    instance = instantiate(with_codegen(spec_from_text(DELTA_SPEC, tmp_path), "numpy"))
    with pytest.raises(BackendError) as info:
        Brian2Adapter().run(instance)
    assert info.value.backend == "brian2"
    assert info.value.path == ("projections", "kick")
    assert "synthetic failure" in str(info.value)


# -- translation tables and capabilities -----------------------------------------------------------------

SUPPORTED = sorted(MODELS)


@pytest.mark.parametrize("model", SUPPORTED)
def test_every_parameter_and_state_variable_is_translated_and_round_trips(model):
    mtype, table = cat.MODELS[model], TRANSLATIONS[model]
    # every name translated, each rename's Brian2 unit of the catalogue's dimension, nothing unsupported
    assert table.undecided(mtype) == [] and not table.unsupported
    assert table.translated() == set(mtype.params) | set(mtype.state)
    rng = np.random.default_rng(2)
    params = {name: rng.uniform(0.5, 2.0, 3) * 1e-3 for name in mtype.params}
    params["tau_refrac"] = np.array([0.0, 1.0, 20.0]) * DT  # on the grid: the rule rounds to whole steps
    back = table.reverse(table.forward(params, DT), params, DT)
    assert set(back) == set(mtype.params)
    for name in mtype.params:
        np.testing.assert_allclose(back[name], params[name], rtol=1e-12, atol=1e-18, err_msg=name)
    for name in mtype.state:
        target, value = table.state_forward(name, 0.25)
        assert table.state_reverse(name, value) == 0.25 and target == table.state_rule(name).target
    # the Brian2 names are the ones the model's equations use, with every parameter per neuron
    code = neuron_code(model, {rule.target for rule in table.params}, stimulus=True)
    text = "\n".join([code.equations, code.threshold, code.reset, str(code.refractory)])
    for rule in table.params + table.state:
        assert rule.target in text, rule
    # stated by the membrane piece (semantics.md, brian2), never Brian2's automatic choice
    assert code.method == MODELS[model].membrane.method
    assert code.method == ("exact" if model.startswith("lif_curr") else "rk4")


def test_capabilities_cover_the_reference_engine():
    """Everything the reference engine runs, brian2 runs too, or declares with a reason why not."""
    reference = ReferenceAdapter.capabilities
    assert all(m in CAPABILITIES.models or m in CAPABILITIES.reasons for m in reference.models)
    assert reference.stimuli <= CAPABILITIES.stimuli
    assert set(reference.connection_rules) <= set(CAPABILITIES.connection_rules)
    for model, variables in reference.recordables.items():
        if model in CAPABILITIES.models:
            assert variables <= CAPABILITIES.recordables[model]


UNSUPPORTED_SPEC = """
snnrun: "1.0"
name: unsupported
simulation: {duration: 10 ms, dt: 0.1 ms}
populations:
  flat: {size: 2, model: {type: adex_cond_exp, params: {delta_t: 0 mV}}}
  steep: {size: 2, model: {type: adex_cond_exp, params: {delta_t: 0.01 mV, v_spike: 0 mV}}}
  ok: {size: 2, model: {type: adex_cond_exp}}
projections:
  p: {pre: ok, post: ok, connect: {rule: all_to_all}, synapse: {receptor: exc, weight: 1 nS}}
  q:
    pre: ok
    post: ok
    connect: {rule: all_to_all}
    synapse:
      receptor: exc
      weight: 1 nS
      delay: 0.3 ms
      plasticity: {rule: stdp, tau_plus: 20 ms, tau_minus: 20 ms, a_plus: 0.01, a_minus: 0.012, w_max: 2 nS,
                   dendritic_delay_fraction: 0.25}
record:
  - {projection: p, variable: weight}
  - {projection: q, variable: weight}
"""


def test_check_lists_what_brian2_cannot_run_with_spec_paths(tmp_path):
    """AdEx parameters the scheme cannot run (as on the reference engine: delta_t <= 0 divides by
    zero, a bound of the exponential term above exp(663.7) overflows) and a dendritic delay fraction
    that puts the post pathway's delay off the grid (2 x 0.25 x 3 steps); recording weights runs."""
    spec = spec_from_text(UNSUPPORTED_SPEC, tmp_path)
    problems = Brian2Adapter().check(spec)
    paths = {p.path for p in problems}
    assert paths == {("populations", "flat", "model", "params", "delta_t"),
                     ("populations", "steep", "model", "params", "v_spike"),
                     ("projections", "q", "synapse", "plasticity", "dendritic_delay_fraction")}
    assert "(0.5 x 3 steps is not)" in next(p.message for p in problems if p.path[0] == "projections")
    assert all(p.line > 0 for p in problems)
    snnrun = str(Path(sys.executable).with_name("snnrun"))
    proc = subprocess.run([snnrun, "check", str(tmp_path / "spec.yaml"), "--backend", "brian2"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == UnsupportedFeature.exit_code
    assert "populations.flat.model.params.delta_t" in proc.stderr and "must be positive" in proc.stderr
    assert "populations.steep.model.params.v_spike" in proc.stderr and "overflow" in proc.stderr
