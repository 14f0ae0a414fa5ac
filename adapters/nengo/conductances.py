"""Synaptic conductances inside a nengo NeuronType: exponential or alpha kinetics, exact over a step.

The state lives in the NeuronType's signals (``g``: the conductances of both receptors, rows exc and
inh; ``y``: the alpha drives), so it is probeable and resets with the simulator; this class only
holds the coefficients and the scratch arrays of one population. The arithmetic is
:mod:`snnrun.numerics.kinetics`' (the stage factors and stage values the reference engine uses), in
the same order as the reference engine's conductance kinetics (schema/semantics.md, "the common
scheme"): the RK4 stages see ``g`` at the stage times of the step, then ``g`` takes its end-of-step
value (alpha: then the drive decays), then the arriving weights are added (phase 2). With forward Euler
(``integrator: euler``) every synaptic variable takes ``x <- x + h dx/dt`` from the step's start.
"""

from __future__ import annotations

import numpy as np

from ...numerics import kinetics as kin


def receptor_pair(params, exc: str, inh: str, n: int) -> np.ndarray:
    """The (2, n) float array of a parameter per receptor (rows exc, inh), SI."""
    return np.stack([np.broadcast_to(params[exc], n), np.broadcast_to(params[inh], n)]).astype(float)


class Conductances:
    """``g`` (2, n), in the model's conductance unit, and for alpha kinetics ``y`` (2, n), its drive per
    second; ``tau`` (2, n) the time constants (s); ``dt`` (s); ``substeps`` RK4 substeps per step."""

    def __init__(self, g: np.ndarray, y: np.ndarray | None, tau: np.ndarray, dt: float, substeps: int = 1):
        self.g, self.y, self.h = g, y, dt
        self.factors = kin.StageFactors.make(dt, tau, substeps)
        self._stages = [g] + [np.empty_like(g) for _ in range(2 * substeps)]

    def stages(self) -> list[np.ndarray]:
        """g at every stage time of the step (index 0, the step's start, is ``g`` itself)."""
        f = self.factors
        for j in range(1, f.last + 1):
            if self.y is None:
                kin.exp_stage(self.g, f, j, self._stages[j])
            else:
                kin.alpha_stage(self.g, self.y, f, j, self._stages[j])
        return self._stages

    def advance(self) -> None:
        """After :meth:`stages`: g <- g(t0 + h); the alpha drive decays over the step."""
        f = self.factors
        self.g[...] = self._stages[f.last]
        if self.y is not None:
            self.y *= f.decay[f.last]

    def advance_euler(self) -> None:
        """Forward Euler from the step's start: g <- g (1 - h/tau) (+ h y); y <- y (1 - h/tau)."""
        self.g *= self.factors.euler
        if self.y is not None:
            self.g += self.h * self.y
            self.y *= self.factors.euler

    def receive(self, exc: np.ndarray, inh: np.ndarray) -> None:
        """Phase 2: the amplitudes arriving at the step's end, onto g (exp) or onto the drive y (alpha)."""
        target = self.g if self.y is None else self.y
        target[0] += exc
        target[1] += inh
