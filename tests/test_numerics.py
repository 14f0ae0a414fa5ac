"""snnrun.numerics against closed forms: exact synaptic kinetics at stage times, the RK4 and Euler
steps, the HH rates at their removable singularities, stimulus schedules."""

from __future__ import annotations

import math

import numpy as np
import pytest

from snnrun.numerics import hh, integrators, kinetics
from snnrun.numerics.schedules import stimulus_schedule


def test_stage_factors_are_the_exact_kinetics_at_the_stage_times():
    h, tau = 1e-4, np.array([[5e-3, 5e-3, 5e-3], [0.3e-3, 2e-3, 10e-3]])
    f = kinetics.StageFactors.make(h, tau, substeps=2)
    assert f.last == 4 and isinstance(f.decay[1][0], np.ndarray)
    g, y = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), np.array([[0.5, 0.0, 1.0], [2.0, 3.0, 0.1]])
    out = np.empty_like(g)
    for j in range(5):
        s = j * h / 4
        np.testing.assert_allclose(kinetics.exp_stage(g, f, j, out), g * np.exp(-s / tau), rtol=1e-15)
        np.testing.assert_allclose(kinetics.alpha_stage(g, y, f, j, out), (g + s * y) * np.exp(-s / tau), rtol=1e-14)
    # uniform per channel: one column per channel; uniform everywhere: one float
    assert kinetics.StageFactors.make(h, np.array([[5e-3] * 3, [1e-2] * 3])).decay[2].shape == (2, 1)
    assert isinstance(kinetics.StageFactors.make(h, np.full((2, 3), 5e-3)).decay[2], float)


def test_alpha_scale_makes_the_weight_the_peak():
    """A drive jump of w e / tau gives g(t) = w (t/tau) exp(1 - t/tau): maximum w at t = tau."""
    tau, w = 2e-3, 7e-9
    y0 = w * kinetics.alpha_scale(tau)
    t = np.linspace(0, 10 * tau, 100001)
    g = t * y0 * np.exp(-t / tau)  # the alpha solution from g = 0, y = y0
    assert g.max() == pytest.approx(w, rel=1e-9)
    assert t[np.argmax(g)] == pytest.approx(tau, rel=1e-4)


@pytest.mark.parametrize("z", [-0.5, -0.1, 0.2])
def test_rk4_step_is_the_fourth_order_taylor_polynomial_on_a_linear_equation(z):
    """For dx/dt = lam x, one RK4 step multiplies x by 1 + z + z^2/2 + z^3/6 + z^4/24 (z = lam h):
    the defining property of the classical scheme; Euler multiplies it by 1 + z."""
    lam, h = z / 1e-3, 1e-3
    x = [np.array([1.0, -2.0])]
    integrators.rk4_step(x, lambda s, j: [lam * s[0]], h)
    np.testing.assert_allclose(x[0], np.array([1.0, -2.0]) * (1 + z + z**2 / 2 + z**3 / 6 + z**4 / 24), rtol=1e-14)
    x = [np.array([1.0, -2.0])]
    integrators.euler_step(x, lambda s, j: [lam * s[0]], h)
    np.testing.assert_allclose(x[0], np.array([1.0, -2.0]) * (1 + z), rtol=1e-15)


def test_rk4_uses_the_stage_inputs_at_the_stage_times():
    """dx/dt = c(t) with c given at the stage times: RK4 is Simpson's rule over each substep."""
    c = lambda t: np.cos(t)  # noqa: E731
    for substeps in (1, 2, 3):
        h = 0.3
        stages = [c(np.array([j * h / (2 * substeps)])) for j in range(2 * substeps + 1)]
        x = [np.zeros(1)]
        integrators.rk4_substeps(x, lambda s, j: [stages[j]], h, substeps)
        sub = h / substeps
        simpson = sum(sub / 6 * (stages[2 * i] + 4 * stages[2 * i + 1] + stages[2 * i + 2]) for i in range(substeps))
        np.testing.assert_allclose(x[0], simpson, rtol=1e-15)


def test_hh_rates_take_their_limits_at_the_removable_singularities():
    """alpha_m, beta_m, alpha_n are k x / (exp(x) - 1): at x = 0 (v = v_offset + 13, + 40, + 15 mV)
    they equal k and are continuous (NEST's and Brian2's written forms give 0/0 there)."""
    v_t = -63.0
    for index, u0, k in ((0, 13.0, 1.28), (1, 40.0, 1.4), (4, 15.0, 0.16)):
        at = hh.rates(np.array([v_t + u0]), v_t)[index][0]
        near = hh.rates(np.array([v_t + u0 - 1e-6, v_t + u0 + 1e-6]), v_t)[index]
        assert at == k
        np.testing.assert_allclose(near, k, rtol=1e-6)
    m, h_, n = hh.steady_state(np.array([-65.0]), v_t)
    am, bm, ah, bh, an, bn = (r[0] for r in hh.rates(np.array([-65.0]), v_t))
    assert m[0] == pytest.approx(am / (am + bm)) and 0 < m[0] < h_[0] < 1 and 0 < n[0] < 1


def test_hh_substeps_keep_every_substep_at_most_0_05_ms():
    assert [hh.substeps(dt) for dt in (0.01, 0.05, 0.05 + 1e-13, 0.1, 0.25)] == [1, 1, 1, 2, 5]


def test_stimulus_schedule_reproduces_the_amplitudes():
    """Summed changes give each step's current; a neuron listed twice gets a stimulus once; a change
    before step 0 acts from step 0; changes after the end are dropped."""
    stims = [(np.array([0, 1, 1]), np.array([-3, 5, 8, 99]), np.array([1.0, 3.0, 0.0, 7.0])),
             (np.array([1, 2]), np.array([5, 6]), np.array([2.0, 2.0]))]
    schedule = stimulus_schedule(stims, n_steps=20)
    current, seen = np.zeros(3), []
    events = schedule.by_step()
    for k in range(20):
        if k in events:
            np.add.at(current, *events[k])
        seen.append(current.copy())
    seen = np.array(seen)
    np.testing.assert_array_equal(seen[0], [1.0, 1.0, 0.0])
    np.testing.assert_array_equal(seen[5], [3.0, 5.0, 2.0])
    np.testing.assert_array_equal(seen[7], [3.0, 5.0, 2.0])
    np.testing.assert_array_equal(seen[8], [0.0, 2.0, 2.0])
    assert list(events) == [0, 5, 8]  # the second stimulus' step 6 keeps its amplitude: no change
    assert math.isclose(seen[19][1], 2.0)
