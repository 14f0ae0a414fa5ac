"""The arithmetic of the plasticity rules (schema/semantics.md, "Plasticity" and "Short-term plasticity"),
pure numpy on per-synapse arrays, shared by the reference engine and any adapter that must reproduce it.

Weights are in the weight's SI unit (A, S or V), traces dimensionless, times in whatever unit the caller
uses for both the interval and the time constant.
"""

from __future__ import annotations

import numpy as np


class StdpUpdate:
    """Weight updates of one STDP rule (:class:`~snnrun.schema.model.Stdp`): ``potentiate(w, k_plus)``
    and ``depress(w, k_minus)`` return the new weights of the synapses ``w``, clipped to [w_min, w_max].

    additive: ``w + a_plus w_max K+`` and ``w - a_minus w_max K-`` (NEST's ``stdp_synapse`` with mu = 0,
    PyNN's AdditiveWeightDependence); multiplicative: ``w + a_plus (w_max - w) K+`` and
    ``w - a_minus (w - w_min) K-`` (mu = 1, MultiplicativeWeightDependence)."""

    def __init__(self, rule):
        self.w_min, self.w_max = rule.w_min, rule.w_max
        self.multiplicative = rule.weight_dependence == "multiplicative"
        self.a_plus, self.a_minus = rule.a_plus, rule.a_minus
        self.step_plus, self.step_minus = rule.a_plus * rule.w_max, rule.a_minus * rule.w_max

    def potentiate(self, w: np.ndarray, k_plus: np.ndarray) -> np.ndarray:
        if self.multiplicative:
            w = w + self.a_plus * (self.w_max - w) * k_plus
        else:
            w = w + self.step_plus * k_plus
        return np.minimum(w, self.w_max, out=w)

    def depress(self, w: np.ndarray, k_minus: np.ndarray) -> np.ndarray:
        if self.multiplicative:
            w = w - self.a_minus * (w - self.w_min) * k_minus
        else:
            w = w - self.step_minus * k_minus
        return np.maximum(w, self.w_min, out=w)


def tsodyks_markram_release(x: np.ndarray, u: np.ndarray, h: np.ndarray, big_u: float, tau_rec: float,
                            tau_facil: float) -> tuple[np.ndarray, np.ndarray]:
    """NEST's ``tsodyks2_synapse`` at a pre spike ``h`` after the previous one: ``x <- 1 + (x - x u - 1)
    exp(-h/tau_rec)`` with the old ``u``, then ``u <- U + u (1 - U) exp(-h/tau_facil)`` (``tau_facil = 0``:
    ``u = U``). Returns the new (x, u); the spike transmits ``x u w``. ``h = inf`` (no earlier spike)
    leaves the rested state x = 1, u = U, so the first spike transmits ``U w``."""
    x_new = 1.0 + (x - x * u - 1.0) * np.exp(-h / tau_rec)
    if tau_facil > 0:
        u_new = big_u + u * (1.0 - big_u) * np.exp(-h / tau_facil)
    else:
        u_new = np.full_like(u, big_u)
    return x_new, u_new
