"""Closed-form propagators against the matrix exponential of the same linear system (scipy)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.linalg import expm

from snnrun.numerics import propagators as prop

H, CM = 1e-4, 2.5e-10


def _system(tau_m: float, tau_s: float) -> np.ndarray:
    """State (u, i, y): du/dt = -u/tau_m + i/cm, di/dt = y - i/tau_s, dy/dt = -y/tau_s."""
    return np.array([[-1 / tau_m, 1 / CM, 0.0], [0.0, -1 / tau_s, 1.0], [0.0, 0.0, -1 / tau_s]])


@pytest.mark.parametrize("tau_m,tau_s", [(0.02, 0.005), (0.02, 0.0005), (0.01, 0.02), (0.02, 0.02),
                                         (0.02, 0.02 * (1 + 1e-9)), (0.02, 0.02 * (1 - 1e-6))])
def test_propagators_equal_matrix_exponential(tau_m, tau_s):
    P = expm(_system(tau_m, tau_s) * H)
    assert prop.decay(H, tau_m) == pytest.approx(P[0, 0], rel=1e-13)
    assert prop.exp_current_to_v(H, tau_m, tau_s, CM) == pytest.approx(P[0, 1], rel=1e-9)
    assert prop.alpha_drive_to_v(H, tau_m, tau_s, CM) == pytest.approx(P[0, 2], rel=1e-9)
    assert P[1, 2] == pytest.approx(H * math.exp(-H / tau_s), rel=1e-12)  # the engine's hp11


def test_dc_propagator_is_exact_for_constant_current():
    # du/dt = -u/tau_m + I/cm from u = 0: u(h) = I tau_m / cm (1 - exp(-h/tau_m))
    tau_m = 0.02
    A = np.array([[-1 / tau_m, 1 / CM], [0.0, 0.0]])
    assert prop.dc_to_v(H, tau_m, CM) == pytest.approx(expm(A * H)[0, 1], rel=1e-12)


def test_propagators_vectorise_over_neurons():
    tau_m = np.array([0.01, 0.02, 0.02])
    tau_s = np.array([0.005, 0.02, 0.001])
    vec = prop.exp_current_to_v(H, tau_m, tau_s, CM)
    for j in range(3):
        assert vec[j] == pytest.approx(prop.exp_current_to_v(H, tau_m[j], tau_s[j], CM), rel=1e-15)
