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

    def per_neuron(self, n: int) -> tuple[list[float], ...]:
        """(g_leak, v_rest, e_exc, e_inh, cm) as lists of n Python floats (made once per n)."""
        cache = self.__dict__.setdefault("_per_neuron", {})
        if n not in cache:
            cache[n] = tuple(np.broadcast_to(np.asarray(x, float), n).tolist()
                             for x in (self.g_leak, self.v_rest, self.e_exc, self.e_inh, self.cm))
        return cache[n]


def lif_cond_dvdt(v: np.ndarray, g: np.ndarray, c: LifCondCoefficients, i_ext) -> np.ndarray:
    """dv/dt (V/s) for conductances ``g`` = (g_exc, g_inh) (S, shape (2, n)) and current ``i_ext`` (A)."""
    return (c.g_leak * (c.v_rest - v) + g[0] * (c.e_exc - v) + g[1] * (c.e_inh - v) + i_ext) / c.cm


def lif_cond_step(v: np.ndarray, g_stages: Sequence[np.ndarray], c: LifCondCoefficients, i_ext, h: float,
                  integrator: str = "rk4") -> None:
    """Advance v (V) by one step ``h`` (s) in place; ``g_stages[j]`` are the conductances at the stage
    times of :mod:`.kinetics` (only ``g_stages[0]`` for forward Euler)."""
    if integrator == "rk4" and v.size <= SCALAR_MAX_NEURONS:
        _rk4_scalars(v, g_stages, c, i_ext, h)
        return

    def derivative(x, j):
        return (lif_cond_dvdt(x[0], g_stages[j], c, i_ext),)
    (rk4_step if integrator == "rk4" else euler_step)([v], derivative, h)


#: groups up to this size take the RK4 step in Python floats, neuron by neuron: numpy's cost per call
#: (about 1 us) is the whole cost of a step of a group this small (Song-Miller-Abbott's one neuron:
#: 60-70 us per step in numpy, 7 us in floats, measured under load); at 4 neurons the loop is still
#: cheaper than the vector code's ~45 calls
SCALAR_MAX_NEURONS = 4


def _rk4_scalars(v: np.ndarray, g_stages: Sequence[np.ndarray], c: LifCondCoefficients, i_ext, h: float) -> None:
    """:func:`lif_cond_step`'s RK4 in Python floats: the very operations of :func:`lif_cond_dvdt` and
    :func:`~.integrators.rk4_step`, in the same order, so the results are the same bits (float64
    arithmetic is IEEE whether numpy or Python performs it)."""
    n = v.size
    g_leak, v_rest, e_exc, e_inh, cm = c.per_neuron(n)
    i_ext = [i_ext] * n if isinstance(i_ext, float) else np.broadcast_to(i_ext, n).tolist()
    (e0, i0), (e1, i1), (e2, i2) = (g_stages[j].tolist() for j in range(3))
    out = v.tolist()
    for i in range(n):
        gl, vr, ee, ei, cap, cur = g_leak[i], v_rest[i], e_exc[i], e_inh[i], cm[i], i_ext[i]
        x = out[i]
        k1 = h * ((gl * (vr - x) + e0[i] * (ee - x) + i0[i] * (ei - x) + cur) / cap)
        y = x + k1 / 2
        k2 = h * ((gl * (vr - y) + e1[i] * (ee - y) + i1[i] * (ei - y) + cur) / cap)
        y = x + k2 / 2
        k3 = h * ((gl * (vr - y) + e1[i] * (ee - y) + i1[i] * (ei - y) + cur) / cap)
        y = x + k3
        k4 = h * ((gl * (vr - y) + e2[i] * (ee - y) + i2[i] * (ei - y) + cur) / cap)
        out[i] = x + (k1 + 2 * k2 + 2 * k3 + k4) / 6
    v[:] = out
