"""The ``poisson_input`` stimulus: an independent Poisson train of synaptic events into every target
neuron, several events per step, drawn by each backend from the spec's seed (schema/semantics.md,
"Poisson input").

Oracle (independent of every backend): Campbell's theorem for shot noise through the exponential
synapse and the membrane. One event of weight w at t = 0 adds w exp(-t/tau_s) to i_syn, and the
membrane (C dv/dt = -C (v - v_rest)/tau_m + i_syn, threshold out of reach) answers with

    h(t) = (w/C) tau_s tau_m / (tau_m - tau_s) (exp(-t/tau_m) - exp(-t/tau_s)).

Events at rate nu give, in steady state, E[v - v_rest] = nu int h = nu w tau_s R (R = tau_m/C) and
Var[v] = nu int h^2 = nu (w/C)^2 tau_s^2 tau_m^2 / (2 (tau_m + tau_s)) (the three exponential
cross terms sum to (tau_m - tau_s)^2 / (2 (tau_m + tau_s))).

On the grid the events of a step arrive together at a step boundary and v is sampled at boundaries,
so what a backend can reach is the sum nu dt sum_j h(j dt) (and of h^2), not the integral; the test
adds that discretisation difference, evaluated from the closed-form h, to the tolerance (it is 1e-4
relative here, since h(0) = 0 makes the grid sum a trapezoid rule).

Tolerance: the target neurons are independent, so each neuron's time average of v - v_rest (and of
(v - v_rest - mean)^2, about the oracle's mean, so the estimate carries no mean-subtraction bias) is
one independent sample; the estimate's standard error is the samples' sd / sqrt(N), and the test
allows Z_MAX = 4.5 standard errors (a false failure about once in 1.5e5 per check). With 200 neurons
and 0.9 s after a 100 ms transient (10 tau_m, exp(-10) of the initial offset) that is about 0.3 % of
the mean and 5 % of the variance: a train capped at one event per step (mean 1 - exp(-1.28) = 0.72
of 1.28 events per step) is off by 44 %.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from conftest import spec_from_text
from snnrun.adapters.registry import get_adapter
from snnrun.instance import instantiate
from snnrun.schema.errors import SpecError

Z_MAX = 4.5
NU, W, TAU_S, TAU_M, C, DT = 12800.0, 87.8e-12, 0.5e-3, 10e-3, 250e-12, 1e-4  # Hz, A, s, s, F, s
N, DURATION, SKIP = 200, 1.0, 1000  # neurons, s, samples dropped (100 ms)

SPEC = """
snnrun: "1.0"
name: poisson_campbell
seed: {seed}
simulation: {{duration: 1 s, dt: 0.1 ms{options}}}
populations:
  cells:
    size: 200
    model: {{type: lif_curr_exp, params: {{cm: 250 pF, tau_m: 10 ms, v_rest: -65 mV, v_reset: -65 mV,
             v_thresh: 50 mV, tau_refrac: 2 ms, tau_syn_exc: 0.5 ms}}}}
stimuli:
  background: {{type: poisson_input, target: {{population: cells}}, receptor: exc, rate: 12.8 kHz,
               weight: 87.8 pA}}
record:
  - {{population: cells, variable: v}}
"""


def kernel(t: np.ndarray) -> np.ndarray:
    """h(t) (V) of one event of weight W (module docstring)."""
    return (W / C) * TAU_S * TAU_M / (TAU_M - TAU_S) * (np.exp(-t / TAU_M) - np.exp(-t / TAU_S))


def oracle() -> tuple[float, float, float, float]:
    """(mean V, variance V^2, and the grid sums' distance from each)."""
    mean = NU * W * TAU_S * TAU_M / C
    var = NU * (W / C) ** 2 * TAU_S ** 2 * TAU_M ** 2 / (2 * (TAU_M + TAU_S))
    t = np.arange(0, 40 * TAU_M, DT)
    grid_mean, grid_var = NU * DT * kernel(t).sum(), NU * DT * (kernel(t) ** 2).sum()
    return mean, var, abs(grid_mean - mean), abs(grid_var - var)


def test_the_closed_forms_match_a_numerical_integral_of_the_kernel():
    """The oracle's algebra, checked once against adaptive quadrature of h and h^2 (1e-6 relative, far
    above quad's error once told where the kernel's peak lies: ``points``, without which it misses it)."""
    from scipy.integrate import quad

    mean, var, _, _ = oracle()
    points = [TAU_S, 5 * TAU_S, TAU_M]
    assert NU * quad(kernel, 0, 50 * TAU_M, limit=200, points=points)[0] == pytest.approx(mean, rel=1e-6)
    assert NU * quad(lambda t: kernel(t) ** 2, 0, 50 * TAU_M, limit=200, points=points)[0] == \
        pytest.approx(var, rel=1e-6)


def run_v(backend: str, tmp_path, seed: int = 3, options: str = "") -> np.ndarray:
    tmp_path.mkdir(parents=True, exist_ok=True)
    spec = spec_from_text(SPEC.format(seed=seed, options=options), tmp_path)
    adapter = get_adapter(backend)
    assert adapter.check(spec) == []
    out = adapter.run(instantiate(spec))
    return out.traces[("cells", "v")].values[SKIP:] + 0.065  # v - v_rest


@pytest.mark.parametrize("backend, options", [
    ("reference", ", options: {reference: {kernel: numpy}}"),
    ("reference", ", options: {reference: {kernel: numba}}"),  # the compiled current-LIF step
    ("pynn:nest", ""),  # a native poisson_generator (NEST's own Poisson draws)
    ("brian2", ", options: {brian2: {codegen: numpy}}"),  # PoissonInput, binomial with p <= 1e-3
])
def test_membrane_mean_and_variance_follow_campbells_theorem(backend, options, tmp_path):
    mean, var, grid_mean, grid_var = oracle()
    v = run_v(backend, tmp_path, options=options)
    per_neuron_mean = v.mean(axis=0)
    per_neuron_var = ((v - mean) ** 2).mean(axis=0)
    se_mean = per_neuron_mean.std(ddof=1) / np.sqrt(N)
    se_var = per_neuron_var.std(ddof=1) / np.sqrt(N)
    # brian2's binomial counts have (1 - p) of the Poisson variance, p <= 1e-3 (adapters/brian2/plan.py)
    bias_var = grid_var + (1e-3 * var if backend == "brian2" else 0.0)
    assert abs(per_neuron_mean.mean() - mean) <= Z_MAX * se_mean + grid_mean, (per_neuron_mean.mean(), mean, se_mean)
    assert abs(per_neuron_var.mean() - var) <= Z_MAX * se_var + bias_var, (per_neuron_var.mean(), var, se_var)


def test_the_reference_trains_are_drawn_from_the_seed_and_not_from_the_instance(tmp_path):
    """Same seed, same trace (the engine's own stream of the seed); the instance holds no events."""
    a, b = run_v("reference", tmp_path / "a"), run_v("reference", tmp_path / "b")
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, run_v("reference", tmp_path / "c", seed=4))
    inst = instantiate(spec_from_text(SPEC.format(seed=3, options=""), tmp_path))
    assert inst.stimuli == {} and set(inst.poisson_inputs) == {"background"}
    pin = inst.poisson_inputs["background"]
    assert (pin.rate, pin.weight, pin.receptor, pin.start_step, pin.stop_step) == (12800.0, 87.8e-12, "exc", 0, 10000)


@pytest.mark.parametrize("backend", ["reference", "pynn:nest"])
def test_start_and_stop_bound_the_events(backend, tmp_path):
    """Events in steps 2000 .. 5999 only (start 200 ms, stop 600 ms): i_syn jumps up only where events
    arrive, so the first and the last step whose sample rises are those steps (an event of step k
    shows in the sample at the end of step k); with 200 neurons at 1.28 events per step some neuron
    receives one in each edge step (probability 1 - exp(-256)). Before it v is at rest; 400 ms after
    stop nothing is left (exp(-40))."""
    text = SPEC.format(seed=3, options="").replace("weight: 87.8 pA}", "weight: 87.8 pA, start: 200 ms, stop: 600 ms}")
    text = text.replace("variable: v}", "variable: v}\n  - {population: cells, variable: i_syn_exc}")
    out = get_adapter(backend).run(instantiate(spec_from_text(text, tmp_path)))
    v = out.traces[("cells", "v")].values + 0.065
    i_syn = out.traces[("cells", "i_syn_exc")].values
    rises = np.flatnonzero((np.diff(i_syn, axis=0) > 0).any(axis=1))  # sample r + 1 > sample r: step r
    assert (rises[0], rises[-1]) == (2000, 5999)
    assert np.all(v[:2001] == 0.0) and v[2002:6000].mean() > 0.01
    assert np.abs(v[-1]).max() < 1e-12


BAD = [
    ("weight: 87.8 pA", "weight: 87.8 mV", "stimuli.background.weight", "expected a current"),
    ("rate: 12.8 kHz", "rate: 12.8 ms", "stimuli.background.rate", "expected a frequency"),
    ("rate: 12.8 kHz", "rate: -12.8 kHz", "stimuli.background.rate", "rate must not be negative"),
    ("receptor: exc", "receptor: gaba", "stimuli.background.receptor", "gaba"),
    ("rate: 12.8 kHz", "rate: {distribution: uniform, low: 1 Hz, high: 2 Hz}", "stimuli.background.rate",
     "one quantity for every target neuron"),
]


@pytest.mark.parametrize("old, new, where, words", BAD)
def test_bad_input_is_one_located_line(old, new, where, words, tmp_path):
    text = SPEC.format(seed=3, options="").replace(old, new)
    with pytest.raises(SpecError) as info:
        spec_from_text(text, tmp_path)
    message = str(info.value)
    assert where in message and words in message, message
    assert len([line for line in message.splitlines() if where in line]) == 1, message


def test_a_conductance_target_takes_a_conductance_weight(tmp_path):
    text = SPEC.format(seed=3, options="").replace("type: lif_curr_exp", "type: lif_cond_exp").replace(
        ", tau_syn_exc: 0.5 ms", "")
    with pytest.raises(SpecError) as info:
        spec_from_text(text, tmp_path)
    assert "expected a conductance" in str(info.value)
    spec = spec_from_text(text.replace("87.8 pA", "2 nS"), tmp_path)
    assert instantiate(spec).poisson_inputs["background"].weight == pytest.approx(2e-9)


@pytest.mark.parametrize("backend, words", [
    ("pynn:neuron", "not wired on pynn:neuron"),
    ("pynn:brian2", "not wired on pynn:brian2"),
    ("nengo", "not wired on nengo"),
    ("norse", "NIR graph has no stimulus input"),
    ("snntorch", "NIR graph has no stimulus input"),
])
def test_backends_without_it_refuse_it_with_the_reason(backend, words, tmp_path):
    spec = spec_from_text(SPEC.format(seed=3, options=""), tmp_path)
    problems = get_adapter(backend).check(spec)
    found = [p for p in problems if p.path == ("stimuli", "background", "type")]
    assert found and words in found[0].message, problems


def test_brian2_refuses_what_a_poisson_input_cannot_express(tmp_path):
    text = SPEC.format(seed=3, options="").replace("weight: 87.8 pA}", "weight: 87.8 pA, start: 10 ms}")
    problems = get_adapter("brian2").check(spec_from_text(text, tmp_path))
    assert [p.path for p in problems] == [("stimuli", "background", "start")], problems
    text = SPEC.format(seed=3, options="").replace("{population: cells}", "{population: cells, neurons: [0, 2]}")
    problems = get_adapter("brian2").check(spec_from_text(text, tmp_path))
    assert [p.path for p in problems] == [("stimuli", "background", "target")], problems
    assert get_adapter("reference").check(spec_from_text(text, tmp_path)) == []
    assert get_adapter("pynn:nest").check(spec_from_text(text, tmp_path)) == []


def test_the_comparison_calls_a_spec_with_one_statistical(tmp_path):
    from snnrun.compare.analysis import stochastic_inputs

    spec = spec_from_text(SPEC.format(seed=3, options=""), tmp_path)
    assert stochastic_inputs(spec) == ["background"]
    plain = dataclasses.replace(spec, stimuli={})
    assert stochastic_inputs(plain) == []


def test_a_comparison_of_two_backends_reports_statistical_agreement(tmp_path):
    """Reference and pynn:nest under one spiking Poisson-driven population: even with the ``exact``
    profile the report grades rates no tighter than the network profile (2 % / 5 %; here 200 neurons
    fire regularly at about 75 Hz, 15,000 spikes, so the rate's sampling error is far below 1 %) and
    grades no spike-level metric."""
    from snnrun.compare import compare_run
    from snnrun.execute import execute

    text = SPEC.format(seed=3, options="").replace("v_thresh: 50 mV", "v_thresh: -50 mV").replace(
        "variable: v}", "variable: spikes}")
    path = tmp_path / "spiking.yaml"
    path.write_text(text, encoding="utf-8")
    outcome = execute(path, ["reference", "pynn:nest"], out=tmp_path / "out")
    report = compare_run(outcome.run_dir, profile="exact").report
    assert report["agreement"] == "statistical" and report["stochastic_inputs"] == ["background"]
    assert report["profile"]["limits"]["unmatched"]["agree"] is None
    assert report["profile"]["limits"]["rate"]["agree"] == 0.02
    metrics = report["populations"]["cells"]["backends"]["pynn:nest"]["metrics"]
    assert metrics["rate"]["grade"] == "agrees", metrics["rate"]
    assert metrics["unmatched"]["grade"] == "reported" and metrics["divergence"]["grade"] == "reported"
    # the stated cause is the independent draws, not pynn:nest's bit-level numerics ("identical spike steps")
    cause = report["populations"]["cells"]["backends"]["pynn:nest"]["cause"]
    assert cause["section"] == "Poisson input (`poisson_input`)", cause
    assert "own generator" in cause["text"] and "beneath the draws: NEST's grid models" in cause["text"], cause
    assert cause["residual"].startswith("statistical agreement only"), cause


def test_pynn_nest_refuses_a_weight_its_sign_would_route_to_the_other_receptor(tmp_path):
    """NEST's iaf_psc_* pick the receptor by the weight's sign: an excitatory 87.8 pA onto 'inh' would
    arrive at the excitatory synapse, so check refuses it (the reference runs it)."""
    text = SPEC.format(seed=3, options="").replace("receptor: exc", "receptor: inh")
    spec = spec_from_text(text, tmp_path)
    assert [p.path for p in get_adapter("pynn:nest").check(spec)] == [("stimuli", "background", "weight")]
    assert get_adapter("reference").check(spec) == []
    assert get_adapter("pynn:nest").check(spec_from_text(text.replace("87.8 pA", "-87.8 pA"), tmp_path)) == []


def test_a_saved_instance_holds_the_parameters_and_no_events(tmp_path):
    import json

    from snnrun.instance_io import write_instance

    inst = instantiate(spec_from_text(SPEC.format(seed=3, options=""), tmp_path))
    write_instance(inst, tmp_path / "inst")
    saved = json.loads((tmp_path / "inst" / "instance.json").read_text())["poisson_inputs"]["background"]
    assert (saved["rate"], saved["weight"], saved["weight_unit"], saved["receptor"]) == (12800.0, 87.8e-12, "A", "exc")
    assert saved["neurons"] == list(range(200))
    assert not any((tmp_path / "inst" / "stimuli").glob("*.parquet"))  # no drawn schedule, no events
