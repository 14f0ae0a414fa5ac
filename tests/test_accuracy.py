"""Reference engine against closed forms: LIF f-I curve, PSP kernels (exponential, alpha, delta).

Integration is exact for linear subthreshold dynamics, so sampled trajectories must equal the analytic
solution to rounding error (relative 1e-9 is ~1e6 ulps of slack for the thousands of multiply-adds of a
run); spike stamps must equal the closed-form crossing time rounded up to the grid, exactly.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from conftest import lif_spec, psp_spec, run_reference

E = math.e


def time_to_threshold(i_amp: float, tau_m=0.02, cm=1e-9, v_rest=-0.065, v_reset=-0.065, v_th=-0.05) -> float:
    """Closed form: time (s) from v_reset to v_thresh under constant current i (A); inf below rheobase."""
    v_inf = v_rest + i_amp * tau_m / cm
    if v_inf <= v_th:
        return math.inf
    return tau_m * math.log((v_inf - v_reset) / (v_inf - v_th))


@pytest.mark.parametrize("dt_ms", [0.1, 0.05, 0.025])
def test_fi_curve_matches_closed_form_on_the_grid(make_spec, dt_ms):
    currents = [0.5, 0.76, 0.8, 1.0, 1.3, 2.0, 4.0]
    spec = make_spec(lif_spec(currents, dt_ms=dt_ms))
    ids, times = run_reference(spec).spikes["cells"]
    dt, ref = dt_ms * 1e-3, 2e-3
    ref_steps = round(ref / dt)
    for n, i_na in enumerate(currents):
        t_cross = time_to_threshold(i_na * 1e-9)
        mine = np.sort(times[ids == n])
        if math.isinf(t_cross):
            assert mine.size == 0, f"{i_na} nA is below rheobase (0.75 nA) but spiked"
            continue
        # exact trajectory sampled on the grid: first sample at or above threshold is step ceil(T/dt)
        steps_to_cross = math.ceil(t_cross / dt - 1e-9)
        period_steps = ref_steps + steps_to_cross
        expected_count = 1 + int((round(1.0 / dt) - steps_to_cross) // period_steps)
        assert mine.size == expected_count
        assert mine[0] == pytest.approx(steps_to_cross * dt, abs=1e-12)
        assert np.allclose(np.diff(mine), period_steps * dt, rtol=0, atol=1e-12)
        # the grid rate differs from the continuous closed-form rate by less than one step per period
        rate_continuous = 1.0 / (ref + t_cross)
        rate_grid = 1.0 / (period_steps * dt)
        assert abs(rate_grid - rate_continuous) <= rate_continuous ** 2 * dt


def exp_psp(t, w, cm, tau_m, tau_s):
    """Membrane response (V) to an exponential current w exp(-t/tau_s) starting at t = 0."""
    t = np.maximum(t, 0.0)
    if tau_m == tau_s:
        return w / cm * t * np.exp(-t / tau_m)
    return w / cm * tau_m * tau_s / (tau_m - tau_s) * (np.exp(-t / tau_m) - np.exp(-t / tau_s))


def alpha_psp(t, w, cm, tau_m, tau_s):
    """Membrane response (V) to the alpha current w (t/tau_s) exp(1 - t/tau_s) starting at t = 0."""
    t = np.maximum(t, 0.0)
    a = 1 / tau_s - 1 / tau_m
    if a == 0:  # the limit a -> 0 of (1 - exp(-a t)(1 + a t)) / a^2 is t^2 / 2
        return w * E / (tau_s * cm) * np.exp(-t / tau_m) * t * t / 2
    return w * E / (tau_s * cm) * np.exp(-t / tau_m) * (1 - np.exp(-a * t) * (1 + a * t)) / a ** 2


ARRIVAL = 0.011  # the source spike is stamped at 10 ms and the delay is 1 ms


@pytest.mark.parametrize("tau_s_ms", [5.0, 2.0, 20.0])
def test_exponential_psp_matches_kernel(make_spec, tau_s_ms):
    spec = make_spec(psp_spec("lif_curr_exp", "0.1 nA", tau_s_ms))
    out = run_reference(spec)
    trace = out.traces[("cell", "v")]
    t = trace.times
    expected = -0.070 + exp_psp(t - ARRIVAL, 1e-10, 0.25e-9, 0.02, tau_s_ms * 1e-3)
    np.testing.assert_allclose(trace.values[:, 0], expected, rtol=1e-9, atol=1e-15)
    # the synaptic current jumps by the weight exactly at arrival, then decays with tau_syn
    current = out.traces[("cell", "i_syn_exc")].values[:, 0]
    np.testing.assert_allclose(current, np.where(t >= ARRIVAL - 1e-12, 1e-10 * np.exp(-(t - ARRIVAL) / (tau_s_ms * 1e-3)), 0),
                               rtol=1e-9, atol=1e-20)
    # peak value and time from the closed form, to the grid's resolution
    tau_m, tau_s = 0.02, tau_s_ms * 1e-3
    t_peak = (tau_m * tau_s / (tau_m - tau_s) * math.log(tau_m / tau_s)) if tau_m != tau_s else tau_m
    v_peak = exp_psp(np.array([t_peak]), 1e-10, 0.25e-9, tau_m, tau_s)[0]
    k = int(np.argmax(trace.values[:, 0]))
    assert abs(t[k] - ARRIVAL - t_peak) <= 0.5e-4 + 1e-12
    assert trace.values[k, 0] + 0.070 == pytest.approx(v_peak, rel=1e-4)


def test_exponential_psp_singular_case_tau_syn_equals_tau_m(make_spec):
    spec = make_spec(psp_spec("lif_curr_exp", "0.1 nA", 20.0))
    trace = run_reference(spec).traces[("cell", "v")]
    expected = -0.070 + exp_psp(trace.times - ARRIVAL, 1e-10, 0.25e-9, 0.02, 0.02)
    np.testing.assert_allclose(trace.values[:, 0], expected, rtol=1e-9, atol=1e-15)


@pytest.mark.parametrize("tau_s_ms", [0.5, 2.0, 20.0])
def test_alpha_psp_matches_kernel(make_spec, tau_s_ms):
    spec = make_spec(psp_spec("lif_curr_alpha", "0.2 nA", tau_s_ms))
    out = run_reference(spec)
    trace = out.traces[("cell", "v")]
    tau_s = tau_s_ms * 1e-3
    expected = -0.070 + alpha_psp(trace.times - ARRIVAL, 2e-10, 0.25e-9, 0.02, tau_s)
    np.testing.assert_allclose(trace.values[:, 0], expected, rtol=1e-9, atol=1e-14)
    # the current peaks at the weight, tau_syn after arrival (tau_syn is a whole number of steps here)
    current = out.traces[("cell", "i_syn_exc")]
    k = int(np.argmax(current.values[:, 0]))
    assert current.times[k] == pytest.approx(ARRIVAL + tau_s, abs=1e-12)
    assert current.values[k, 0] == pytest.approx(2e-10, rel=1e-12)


def test_delta_synapse_jumps_exactly_at_arrival(make_spec):
    spec = make_spec(psp_spec("lif_curr_delta", "0.5 mV", 0, delay="2.5 ms"))
    trace = run_reference(spec).traces[("cell", "v")]
    arrival = 0.0125
    t, v = trace.times, trace.values[:, 0]
    before = t < arrival - 1e-12
    assert np.all(v[before] == pytest.approx(-0.070, abs=1e-15))
    k = int(np.flatnonzero(~before)[0])
    assert t[k] == pytest.approx(arrival, abs=1e-12)
    assert v[k] == pytest.approx(-0.0695, abs=1e-15)
    np.testing.assert_allclose(v[k:], -0.070 + 5e-4 * np.exp(-(t[k:] - arrival) / 0.02), rtol=1e-9)


def test_inhibitory_weight_gives_negative_psp(make_spec):
    spec = make_spec(psp_spec("lif_curr_exp", "-0.1 nA", 5.0, receptor="inh"))
    v = run_reference(spec).traces[("cell", "v")].values[:, 0]
    assert v.min() == pytest.approx(-0.070 - exp_psp(np.array([0.0115]), 1e-10, 0.25e-9, 0.02, 0.005)[0], rel=1e-3)
    assert v.max() == pytest.approx(-0.070, abs=1e-15)


def test_refractory_clamp_and_reset(make_spec):
    """A neuron driven hard stays at v_reset for exactly round(tau_refrac/dt) steps after each spike."""
    spec = make_spec(lif_spec([4.0], tau_refrac_ms=3.0) + """
record:
  - {population: cells, variable: spikes}
  - {population: cells, variable: v, interval: 0.1 ms}
""")
    out = run_reference(spec)
    _, times = out.spikes["cells"]
    trace = out.traces[("cells", "v")]
    first = times[0]
    k = int(round(first / 1e-4))
    clamped = trace.values[k:k + 31, 0]  # the sample at the stamp (after reset) and the 30 refractory steps
    assert np.all(clamped == pytest.approx(-0.065, abs=1e-15))
    assert trace.values[k + 31, 0] > -0.065  # integration resumed
