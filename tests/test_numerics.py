"""snnrun.numerics against closed forms: exact synaptic kinetics at stage times, the RK4 and Euler
steps, the HH rates at their removable singularities, stimulus schedules."""

from __future__ import annotations

import math

import numpy as np
import pytest

from snnrun.numerics import delivery, hh, integrators, kinetics, spiking
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


def _threshold_reset_by_definition(k, x, ref_until, ref_steps, x_reset, x_thresh):
    """Phases 3 and 4 (schema/semantics.md) neuron by neuron: the oracle of the vectorised forms."""
    spikes = []
    for i in range(x.size):
        reset = x_reset[i] if np.ndim(x_reset) else x_reset
        if ref_until[i] > k:
            x[i] = reset
        if x[i] >= x_thresh:
            x[i] = reset
            ref_until[i] = k + 1 + ref_steps
            spikes.append(i)
    return np.array(spikes, np.int64)


@pytest.mark.parametrize("n", [50, 700])
@pytest.mark.parametrize("per_neuron_reset", [False, True])
@pytest.mark.parametrize("ref_steps", [0, 1, 7])
def test_threshold_reset_holds_exactly_the_neurons_the_definition_holds(ref_steps, per_neuron_reset, n):
    """ThresholdReset keeps the refractory neurons as a list instead of comparing every ref_until: over
    300 steps of random drive (many spikes, neurons spiking again right after release) it must give the
    definition's spikes, states and ref_until exactly, also when the steps jump (a rebuild). With 700
    neurons more are held than its first buffer takes (64), so the buffer moves and grows."""
    rng = np.random.default_rng(ref_steps)
    x, x_def = np.zeros(n), np.zeros(n)
    until, until_def = np.zeros(n, np.int64), np.zeros(n, np.int64)
    reset = spiking.ThresholdReset(until, ref_steps)
    x_reset = np.linspace(-0.6, -0.4, n) if per_neuron_reset else -0.5
    steps = list(range(200)) + list(range(230, 260)) + list(range(100, 170))  # two jumps
    for k in steps:
        drive = rng.uniform(-0.2, 0.5, n)
        x += drive
        x_def += drive
        got = reset(k, x, x_reset, 1.0)
        want = _threshold_reset_by_definition(k, x_def, until_def, ref_steps, x_reset, 1.0)
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(x, x_def)
        np.testing.assert_array_equal(until, until_def)
    assert until.max() > 0


def _deliver_by_definition(k, spikes, pre, target, weight, delay, ring_len, row_len, ring):
    """Every synapse of every spiking pre neuron, in spike order and then synapse (pre-sorted) order."""
    order = np.argsort(pre, kind="stable")
    for s in spikes:
        for j in order[pre[order] == s]:
            ring[((k + delay[j]) % ring_len) * row_len + target[j]] += weight[j]


@pytest.mark.parametrize("uniform_delay", [True, False])
def test_csr_delivery_adds_in_the_definitions_order(uniform_delay):
    """CsrDelivery adds row by row for a few spikes and gathers all rows for many: both must add every
    ring cell's inputs in the definition's order (bit-identical sums), repeated targets included."""
    rng = np.random.default_rng(4)
    n_pre, row_len, ring_len = 30, 20, 4
    pre = rng.integers(0, n_pre, 600)
    target = rng.integers(0, row_len, 600)  # many repeats within a row: the order of additions matters
    weight = rng.standard_normal(600) * 10.0 ** rng.integers(-8, 8, 600)
    delay = np.full(600, 2) if uniform_delay else rng.integers(1, ring_len, 600)
    csr = delivery.CsrDelivery(n_pre, pre, target, weight, delay, ring_len, row_len)
    for count in (1, 3, 8, 9, 25):
        spikes = np.sort(rng.choice(n_pre, count, replace=False))
        ring, ring_def = np.zeros(ring_len * row_len), np.zeros(ring_len * row_len)
        csr.deliver(5, spikes, ring)
        _deliver_by_definition(5, spikes, pre, target, weight, delay, ring_len, row_len, ring_def)
        np.testing.assert_array_equal(ring, ring_def)


@pytest.mark.parametrize("n", [1, 3, 4])
@pytest.mark.parametrize("uniform", [True, False])
def test_small_lif_cond_groups_take_the_vector_steps_bits_in_python_floats(n, uniform):
    """Groups of up to SCALAR_MAX_NEURONS neurons take the conductance LIF's RK4 step in Python floats
    (per-call cost); it must be the very arithmetic of the numpy step (rk4_step over lif_cond_dvdt), so
    the same bits: compared with exact equality over 200 steps from states spread over the range a
    neuron visits, with per-neuron or uniform coefficients and currents, inhibition included."""
    from snnrun.numerics import lif_cond

    rng = np.random.default_rng(n)
    per = (lambda lo, hi: rng.uniform(lo, hi, n)) if not uniform else (lambda lo, hi: float(rng.uniform(lo, hi)))
    c = lif_cond.LifCondCoefficients(per(0.1e-9, 0.3e-9), per(10e-9, 30e-9), per(-0.075, -0.065), per(-0.01, 0.01),
                                     per(-0.085, -0.07))
    i_ext = per(-0.2e-9, 0.3e-9)
    v_scalar = rng.uniform(-0.075, -0.05, n)
    v_vector = v_scalar.copy()
    for _ in range(200):
        g = [rng.uniform(0, 50e-9, (2, n)) for _ in range(3)]
        lif_cond.lif_cond_step(v_scalar, g, c, i_ext, 1e-4)
        integrators.rk4_step([v_vector], lambda x, j: (lif_cond.lif_cond_dvdt(x[0], g[j], c, i_ext),), 1e-4)
        np.testing.assert_array_equal(v_scalar, v_vector)
    assert n <= lif_cond.SCALAR_MAX_NEURONS  # the case under test is the Python-float path
