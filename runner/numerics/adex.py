"""Adaptive exponential integrate-and-fire (``adex_cond_exp``, ``adex_cond_alpha``; Brette & Gerstner
2005): right-hand side and step, in SI (V, s, S, F, A).

    cm dv/dt = g_L (v_rest - V) + g_L delta_t exp((V - v_thresh)/delta_t) - w
               + g_exc (e_rev_exc - V) + g_inh (e_rev_inh - V) + I
    tau_w dw/dt = a (V - v_rest) - w,        V = min(v, v_spike),   g_L = cm / tau_m

The right-hand side sees ``V = min(v, v_spike)`` (as NEST's aeif models do): once v has passed v_spike
inside a step it grows at most linearly until the spike is detected at the step's end, so the
exponential can never overflow (its largest value is exp((v_spike - v_thresh)/delta_t), which the
reference engine's check bounds). While a neuron is refractory its v is held: dv/dt is multiplied by
``active`` (0 refractory, 1 not), and w evolves with v = v_reset.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from .integrators import euler_step, rk4_step
from .propagators import scalar_if_uniform

#: the largest (v_spike - v_thresh) / delta_t the exponential term may reach: NEST's aeif limit,
#: ln(DBL_MAX / 1e20), which leaves room for the products and sums of the right-hand side
MAX_EXPONENT = math.log(np.finfo(float).max / 1e20)


def exponent_problems(delta_t_low: float, v_spike_high: float, v_thresh_low: float) -> list[tuple[str, str]]:
    """(parameter, message) for what the scheme cannot run, from the parameters' bounds (V): delta_t <= 0
    (the exponential term divides by it) and an exponential term that could overflow,
    (v_spike - v_thresh) / delta_t above :data:`MAX_EXPONENT` (NEST's limit)."""
    if delta_t_low <= 0:
        return [("delta_t", "delta_t must be positive (the exponential term divides by it; without that "
                            "term the model is lif_cond_*)")]
    span = v_spike_high - v_thresh_low
    if span / delta_t_low > MAX_EXPONENT:
        return [("v_spike", f"(v_spike - v_thresh) / delta_t can reach {span / delta_t_low:.4g}: the "
                            f"exponential term would overflow above {MAX_EXPONENT:.4g}")]
    return []


@dataclass(frozen=True)
class AdexCoefficients:
    """SI coefficients, one float each when uniform: cm (F), g_leak = cm/tau_m and a (S), v_rest,
    v_thresh, v_spike, delta_t (V), tau_w (s), e_exc, e_inh (V); ``gl_delta_t`` = g_leak delta_t (A)."""

    cm: np.ndarray | float
    g_leak: np.ndarray | float
    v_rest: np.ndarray | float
    v_thresh: np.ndarray | float
    v_spike: np.ndarray | float
    delta_t: np.ndarray | float
    gl_delta_t: np.ndarray | float
    a: np.ndarray | float
    tau_w: np.ndarray | float
    e_exc: np.ndarray | float
    e_inh: np.ndarray | float

    @classmethod
    def from_params(cls, p: Mapping[str, np.ndarray]) -> "AdexCoefficients":
        cm, tau_m = np.asarray(p["cm"], float), np.asarray(p["tau_m"], float)
        g_leak = cm / tau_m
        values = (cm, g_leak, p["v_rest"], p["v_thresh"], p["v_spike"], p["delta_t"],
                  g_leak * np.asarray(p["delta_t"], float), p["a"], p["tau_w"], p["e_rev_exc"], p["e_rev_inh"])
        return cls(*(scalar_if_uniform(a) for a in values))


def adex_derivatives(v: np.ndarray, w: np.ndarray, g: np.ndarray, c: AdexCoefficients, i_ext,
                     active=None) -> tuple[np.ndarray, np.ndarray]:
    """(dv/dt (V/s), dw/dt (A/s)) for conductances ``g`` = (g_exc, g_inh) (S) and current ``i_ext`` (A)."""
    vb = np.minimum(v, c.v_spike)
    dv = (c.g_leak * (c.v_rest - vb) + c.gl_delta_t * np.exp((vb - c.v_thresh) / c.delta_t) - w
          + g[0] * (c.e_exc - vb) + g[1] * (c.e_inh - vb) + i_ext) / c.cm
    if active is not None:
        dv *= active
    dw = (c.a * (vb - c.v_rest) - w) / c.tau_w
    return dv, dw


def adex_step(v: np.ndarray, w: np.ndarray, g_stages: Sequence[np.ndarray], c: AdexCoefficients, i_ext,
              h: float, integrator: str = "rk4", active=None) -> None:
    """Advance v (V) and w (A) by one step ``h`` (s) in place; ``g_stages`` as in :mod:`.lif_cond`."""
    def derivative(x, j):
        return adex_derivatives(x[0], x[1], g_stages[j], c, i_ext, active)
    (rk4_step if integrator == "rk4" else euler_step)([v, w], derivative, h)
