"""Izhikevich (2003) neuron, in the paper's units: v in mV, t in ms, u and I in mV/ms.

    dv/dt = 0.04 V^2 + 5 V + 140 - u + I,     du/dt = a (b V - u),     V = min(v, 30 mV)
    v >= 30 mV: spike, v <- c, u <- u + d

PyNN's units: 1 nA of injected current is I = 1000 (so I in mV/ms equals the current in pA), a spike
of weight w (V) adds w to v. The right-hand side sees ``V = min(v, 30 mV)``, so a v that passes the peak
inside a step grows at most linearly until the spike is detected at the step's end; without it the
solution reaches infinity in finite time (about 0.3 ms after the peak) and a large step could overflow.

:func:`nest_euler_step` is forward Euler exactly as NEST's ``izhikevich`` (consistent_integration,
the default) writes it, for ``simulation.options.reference.integrator: euler``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np

from .integrators import rk4_step
from .propagators import scalar_if_uniform

V_PEAK = 30.0  # mV: the spike condition v >= 30 mV of the paper, and the bound of the right-hand side
PA_PER_A = 1e12  # I in mV/ms per ampere (1 nA is I = 1000)
MV_PER_V = 1e3
MS_PER_S = 1e3


@dataclass(frozen=True)
class IzhikevichCoefficients:
    """The paper's a (1/ms), b (1/ms), c (mV), d (mV/ms), one float each when uniform."""

    a: np.ndarray | float
    b: np.ndarray | float
    c: np.ndarray | float
    d: np.ndarray | float

    @classmethod
    def from_params(cls, p: Mapping[str, np.ndarray]) -> "IzhikevichCoefficients":
        return cls(*(scalar_if_uniform(x) for x in (p["a"], p["b"], np.asarray(p["c"], float) * MV_PER_V, p["d"])))


def izhikevich_derivatives(v: np.ndarray, u: np.ndarray, c: IzhikevichCoefficients, i_ext):
    """(dv/dt, du/dt) in mV/ms and mV/ms^2 for v (mV), u and the current ``i_ext`` (mV/ms, i.e. pA)."""
    vb = np.minimum(v, V_PEAK)
    return 0.04 * vb * vb + 5.0 * vb + 140.0 - u + i_ext, c.a * (c.b * vb - u)


def izhikevich_rk4_step(v: np.ndarray, u: np.ndarray, c: IzhikevichCoefficients, i_ext, h_ms: float) -> None:
    """Advance v, u by one RK4 step of ``h_ms`` (ms) in place (input jumps are added afterwards)."""
    rk4_step([v, u], lambda x, j: izhikevich_derivatives(x[0], x[1], c, i_ext), h_ms)


def nest_euler_step(v: np.ndarray, u: np.ndarray, c: IzhikevichCoefficients, i_stim, i_offset, jumps,
                    h_ms: float) -> None:
    """NEST's izhikevich update (models/izhikevich.cpp, consistent_integration = true), in place:

        v <- v + (h (0.04 v^2 + 5 v + 140 - u + I_stim + I_e) + jumps)
        u <- u + (h a) (b v_old - u_old)

    with the old v and u on every right-hand side, the input jumps (mV) arriving at the step's end
    added in the same expression, and no bound on v. ``i_stim``, ``i_offset`` in pA (NEST's I and I_e).
    """
    v_old, u_old = v.copy(), u.copy()
    v += h_ms * (0.04 * v_old * v_old + 5.0 * v_old + 140.0 - u_old + i_stim + i_offset) + jumps
    u += h_ms * c.a * (c.b * v_old - u_old)
