"""Conductance-based LIF (``lif_cond_exp``, ``lif_cond_alpha``): right-hand side and step.

    cm dv/dt = g_L (v_rest - v) + g_exc (e_rev_exc - v) + g_inh (e_rev_inh - v) + I,   g_L = cm / tau_m

in SI (V, s, S, F, A). The conductances come from :mod:`.kinetics` at the stage times; the membrane is
linear in v but its coefficients change within the step, so it is integrated with RK4 (or forward
Euler on request), not with a propagator.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from .integrators import euler_step, rk4_step
from .propagators import scalar_if_uniform


@dataclass(frozen=True)
class LifCondCoefficients:
    """SI coefficients, one float each when uniform over the neurons: ``cm`` (F), ``g_leak`` (S),
    ``v_rest``, ``e_exc``, ``e_inh`` (V)."""

    cm: np.ndarray | float
    g_leak: np.ndarray | float
    v_rest: np.ndarray | float
    e_exc: np.ndarray | float
    e_inh: np.ndarray | float

    @classmethod
    def from_params(cls, p: Mapping[str, np.ndarray]) -> "LifCondCoefficients":
        cm, tau_m = np.asarray(p["cm"], float), np.asarray(p["tau_m"], float)
        return cls(*(scalar_if_uniform(a) for a in (cm, cm / tau_m, p["v_rest"], p["e_rev_exc"], p["e_rev_inh"])))


def lif_cond_dvdt(v: np.ndarray, g: np.ndarray, c: LifCondCoefficients, i_ext) -> np.ndarray:
    """dv/dt (V/s) for conductances ``g`` = (g_exc, g_inh) (S, shape (2, n)) and current ``i_ext`` (A)."""
    return (c.g_leak * (c.v_rest - v) + g[0] * (c.e_exc - v) + g[1] * (c.e_inh - v) + i_ext) / c.cm


def lif_cond_step(v: np.ndarray, g_stages: Sequence[np.ndarray], c: LifCondCoefficients, i_ext, h: float,
                  integrator: str = "rk4") -> None:
    """Advance v (V) by one step ``h`` (s) in place; ``g_stages[j]`` are the conductances at the stage
    times of :mod:`.kinetics` (only ``g_stages[0]`` for forward Euler)."""
    def derivative(x, j):
        return (lif_cond_dvdt(x[0], g_stages[j], c, i_ext),)
    (rk4_step if integrator == "rk4" else euler_step)([v], derivative, h)
