"""Hodgkin-Huxley neuron with Traub-Miles kinetics (``hh_cond_exp``; PyNN's HH_cond_exp, NEST's
hh_cond_exp_traub), in mV, ms, nS, pF and pA (so nS mV = pA and pA / pF = mV/ms).

    cm dv/dt = g_leak (e_leak - v) + gbar_na m^3 h (e_na - v) + gbar_k n^4 (e_k - v)
               + g_exc (e_exc - v) + g_inh (e_inh - v) + I
    dx/dt = alpha_x(u) (1 - x) - beta_x(u) x   for x = m, h, n,   u = v - v_offset (mV), rates in 1/ms

    alpha_m = 0.32 (13 - u) / (exp((13 - u)/4) - 1)     beta_m = 0.28 (u - 40) / (exp((u - 40)/5) - 1)
    alpha_h = 0.128 exp((17 - u)/18)                    beta_h = 4 / (1 + exp((40 - u)/5))
    alpha_n = 0.032 (15 - u) / (exp((15 - u)/5) - 1)    beta_n = 0.5 exp((10 - u)/40)

The three quotients have removable singularities (u = 13, 40, 15 mV, where NEST and Brian2's written
forms give 0/0): they are evaluated as ``k x / expm1(x)``, whose limit ``k`` is taken at ``x = 0``.

Integration: RK4 with the conductances' exact values at the stage times, on ``substeps(dt)`` equal
substeps of at most :data:`MAX_SUBSTEP` ms. Measured for the default (Brette et al. 2007 COBAHH) cell:
RK4 is unstable at 0.08 ms and above during spikes (the m gate's time constant falls to 0.03 ms, the
membrane's to about 0.05 ms), and stable at 0.07 ms for drives up to 50 nA.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from .integrators import euler_step, rk4_substeps
from .propagators import scalar_if_uniform

MAX_SUBSTEP = 0.05  # ms: the longest RK4 substep (stability limit about 0.07 ms, see the module doc)
#: mV: a spike is an upward crossing of this potential between two grid times (Brette et al. 2007's
#: COBAHH threshold; the membrane is not reset, so each action potential is one spike)
SPIKE_THRESHOLD = -20.0
MV, NS, PF, PA = 1e3, 1e9, 1e12, 1e12  # units per SI unit


def substeps(dt_ms: float, max_substep: float = MAX_SUBSTEP) -> int:
    """Number of equal RK4 substeps of a step of ``dt_ms`` (ms): ceil(dt / max_substep), at least 1."""
    return max(1, math.ceil(dt_ms / max_substep - 1e-9))


#: added to the argument of x / expm1(x): changes no nonzero argument that can occur (they are all far
#: above 1e-280 in size) and turns the removable singularity x = 0 into 1e-300 / 1e-300 = 1, its limit
_NUDGE = 1e-300


def _x_over_expm1(x: np.ndarray) -> np.ndarray:
    """x / (exp(x) - 1), with its limit 1 at x = 0."""
    x = x + _NUDGE
    return x / np.expm1(x)


def rates(v: np.ndarray, v_offset) -> tuple[np.ndarray, ...]:
    """(alpha_m, beta_m, alpha_h, beta_h, alpha_n, beta_n) in 1/ms at v (mV), u = v - v_offset."""
    u = v - v_offset
    return (1.28 * _x_over_expm1((13.0 - u) / 4.0), 1.4 * _x_over_expm1((u - 40.0) / 5.0),
            0.128 * np.exp((17.0 - u) / 18.0), 4.0 / (1.0 + np.exp((40.0 - u) / 5.0)),
            0.16 * _x_over_expm1((15.0 - u) / 5.0), 0.5 * np.exp((10.0 - u) / 40.0))


def steady_state(v, v_offset) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(m, h, n) at their steady state for a membrane held at v (mV): alpha / (alpha + beta)."""
    am, bm, ah, bh, an, bn = rates(np.asarray(v, float), v_offset)
    return am / (am + bm), ah / (ah + bh), an / (an + bn)


@dataclass(frozen=True)
class HHCoefficients:
    """cm (pF), g_leak, gbar_na, gbar_k (nS), e_leak, e_na, e_k, e_exc, e_inh, v_offset (mV), one float
    each when uniform over the neurons; ``i_leak`` = g_leak e_leak (pA), and the offsets of the rate
    arguments: x_m = (am0 - v)/4, x_bm = (v - bm0)/5, x_h = (ah0 - v)/18, x_n = (an0 - v)/5,
    x_bn = (bn0 - v)/40 (mV)."""

    cm: np.ndarray | float
    g_leak: np.ndarray | float
    gbar_na: np.ndarray | float
    gbar_k: np.ndarray | float
    e_leak: np.ndarray | float
    e_na: np.ndarray | float
    e_k: np.ndarray | float
    e_exc: np.ndarray | float
    e_inh: np.ndarray | float
    v_offset: np.ndarray | float

    @classmethod
    def from_params(cls, p: Mapping[str, np.ndarray]) -> "HHCoefficients":
        def scaled(name, factor):
            return scalar_if_uniform(np.asarray(p[name], float) * factor)
        return cls(scaled("cm", PF), scaled("g_leak", NS), scaled("gbar_na", NS), scaled("gbar_k", NS),
                   *(scaled(k, MV) for k in ("e_rev_leak", "e_rev_na", "e_rev_k", "e_rev_exc", "e_rev_inh",
                                              "v_offset")))


def hh_derivatives(v, m, h, n, g: np.ndarray, c: HHCoefficients, i_ext) -> tuple[np.ndarray, ...]:
    """(dv/dt in mV/ms, dm/dt, dh/dt, dn/dt in 1/ms) for conductances ``g`` (nS, (2, n)) and ``i_ext`` (pA).

    Written for speed (it is the whole cost of an HH network): ``dx/dt = alpha - (alpha + beta) x``,
    the membrane as ``(sum of g E + I - (sum of g) v) / cm``, and beta_h = 4 / (1 + exp(-x_bm)) from
    beta_m's expm1(x_bm) as 4 (1 + e) / (2 + e), e = expm1(x_bm): the same values to rounding."""
    u = v - c.v_offset
    x = (13.0 - u) * 0.25 + _NUDGE
    am = (1.28 * x) / np.expm1(x)
    x = (u - 40.0) * 0.2 + _NUDGE
    e = np.expm1(x)
    bm = (1.4 * x) / e
    bh = (4.0 + 4.0 * e) / (2.0 + e)
    x = (15.0 - u) * 0.2 + _NUDGE
    an = (0.16 * x) / np.expm1(x)
    ah = 0.128 * np.exp((17.0 - u) * (1.0 / 18.0))
    bn = 0.5 * np.exp((10.0 - u) * 0.025)
    g_na = c.gbar_na * (m * m * m) * h
    n2 = n * n
    g_k = c.gbar_k * (n2 * n2)
    g_tot = c.g_leak + g_na + g_k + g[0] + g[1]
    drive = c.g_leak * c.e_leak + g_na * c.e_na + g_k * c.e_k + g[0] * c.e_exc + g[1] * c.e_inh + i_ext
    dv = (drive - g_tot * v) / c.cm
    return dv, am - (am + bm) * m, ah - (ah + bh) * h, an - (an + bn) * n


def hh_step(state: Sequence[np.ndarray], g_stages: Sequence[np.ndarray], c: HHCoefficients, i_ext,
            h_ms: float, integrator: str = "rk4", n_substeps: int | None = None) -> None:
    """Advance ``state`` = [v (mV), m, h, n] by one step of ``h_ms`` (ms) in place: RK4 on
    ``n_substeps`` (default ``substeps(h_ms)``) substeps (``g_stages`` at their 2 substeps + 1 stage
    times), or one Euler step."""
    def derivative(x, j):
        return hh_derivatives(x[0], x[1], x[2], x[3], g_stages[j], c, i_ext)
    if integrator == "rk4":
        rk4_substeps(state, derivative, h_ms, n_substeps or substeps(h_ms))
    else:
        euler_step(state, derivative, h_ms)
