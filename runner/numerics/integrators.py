"""The two fixed-step integrators of the nonlinear models, written as Brian2 writes them, so that
Brian2's ``rk4`` and ``euler`` state updaters perform the same arithmetic:

    rk4:    k1 = h f(x, t0)             k2 = h f(x + k1/2, t0 + h/2)
            k3 = h f(x + k2/2, t0 + h/2)   k4 = h f(x + k3, t0 + h)
            x <- x + (k1 + 2 k2 + 2 k3 + k4)/6           (classical Runge-Kutta, fourth order)
    euler:  x <- x + h f(x, t0)                          (forward Euler, first order)

``x`` is a list of state arrays, updated in place. ``derivative(x, stage)`` returns the list of their
time derivatives with the time-dependent inputs (synaptic conductances) at the stage time: ``stage``
indexes the stage times of :mod:`.kinetics` (for a step of several substeps, substep ``i`` uses the
stages ``2i``, ``2i+1``, ``2i+1``, ``2i+2``).
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

Derivative = Callable[[Sequence[np.ndarray], int], Sequence[np.ndarray]]


def rk4_step(x: Sequence[np.ndarray], derivative: Derivative, h: float, first_stage: int = 0) -> None:
    """One classical RK4 step of length ``h`` (s or ms: the unit of the derivatives), in place."""
    s0, s1, s2 = first_stage, first_stage + 1, first_stage + 2
    k1 = [h * d for d in derivative(x, s0)]
    k2 = [h * d for d in derivative([a + k / 2 for a, k in zip(x, k1)], s1)]
    k3 = [h * d for d in derivative([a + k / 2 for a, k in zip(x, k2)], s1)]
    k4 = [h * d for d in derivative([a + k for a, k in zip(x, k3)], s2)]
    for a, q1, q2, q3, q4 in zip(x, k1, k2, k3, k4):
        a += (q1 + 2 * q2 + 2 * q3 + q4) / 6


def rk4_substeps(x: Sequence[np.ndarray], derivative: Derivative, h: float, substeps: int) -> None:
    """``substeps`` RK4 steps of ``h / substeps`` each, in place (stage indices as in the module doc)."""
    if substeps == 1:
        rk4_step(x, derivative, h)
        return
    sub = h / substeps
    for i in range(substeps):
        rk4_step(x, derivative, sub, 2 * i)


def euler_step(x: Sequence[np.ndarray], derivative: Derivative, h: float) -> None:
    """One forward-Euler step of length ``h``, in place (derivatives at the step's start, stage 0)."""
    for a, d in zip(x, list(derivative(x, 0))):
        a += h * d
