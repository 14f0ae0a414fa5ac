"""Independent oracles for the nonlinear models: their continuous-time equations written out here (not
imported from snnrun), integrated with scipy's ``solve_ivp`` at tight tolerances, with the spike and
reset conventions of schema/semantics.md applied on the grid.

Units inside: mV, ms, nS, pF, pA (so nS mV = pA, pA / pF = mV/ms): every state is of order 1-100, so
one absolute tolerance suits all of them.

Grid conventions (semantics.md): input weights arrive at grid times and are added there; a spike is
stamped at the end of the step in which the threshold is crossed, ``ceil(t_cross / dt)``; the reset
happens at the stamp (the trajectory runs on, with the contract's right-hand side, from the crossing
to the stamp); refractory neurons hold v at v_reset while the other variables evolve. So these
oracles define the same spike steps as the reference, up to the reference's integration error.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np
from scipy.integrate import solve_ivp

RTOL, ATOL = 1e-10, 1e-10  # relative, and absolute in mV / nS / dimensionless units
METHOD = "DOP853"  # eighth order, accurate at rtol 1e-10 on these non-stiff segments


def integrate(rhs, t0: float, t1: float, y, events=None, method=METHOD):
    if t1 <= t0:
        return None, np.asarray(y, float)
    sol = solve_ivp(rhs, (t0, t1), np.asarray(y, float), method=method, rtol=RTOL, atol=ATOL, events=events)
    if sol.status < 0:
        raise RuntimeError(sol.message)
    return sol, sol.y[:, -1]


@dataclass
class ResetModel:
    """``rhs(t, y)`` in ms and the units above, with y[0] = v (mV); a spike when v reaches
    ``threshold``; ``reset(y)`` the state after it; ``refractory_steps`` of v held afterwards."""

    rhs: Callable
    threshold: float
    reset: Callable
    refractory_steps: int = 0

    def held(self, t, y):
        dy = np.array(self.rhs(t, y), float)
        dy[0] = 0.0
        return dy


def reset_model_steps(model: ResetModel, y0, dt: float, n_steps: int,
                      arrivals: Mapping[int, np.ndarray] | None = None, method: str = METHOD) -> list[int]:
    """Spike stamps (as step numbers s: the spike is stamped s dt) of a reset model over n_steps of dt (ms).
    ``arrivals[s]`` is added to the state at time s dt (before that time's threshold test)."""
    arrivals = dict(arrivals or {})
    times = sorted(s for s in arrivals if 0 < s <= n_steps) + [n_steps + 1]
    y, step, hold_until, spikes = np.asarray(y0, float), 0, 0, []

    def crossing(t, y):
        return y[0] - model.threshold
    crossing.terminal, crossing.direction = True, 1

    def arrive(s, y):
        return y + arrivals[s] if s in arrivals else y

    while step < n_steps:
        nxt = min(next(s for s in times if s > step), n_steps)
        if hold_until > step:
            end = min(hold_until, nxt)
            _, y = integrate(model.held, step * dt, end * dt, y, method=method)
            step = end
            y = arrive(step, y)
            continue
        sol, y_end = integrate(model.rhs, step * dt, nxt * dt, y, events=crossing, method=method)
        if sol is not None and sol.t_events[0].size:
            t_c = float(sol.t_events[0][0])
            s = max(step + 1, math.ceil(t_c / dt - 1e-9))
            _, y = integrate(model.rhs, t_c, s * dt, sol.y_events[0][0], method=method)
            step = s
            y = arrive(step, y)
        else:
            y, step = y_end, nxt
            y = arrive(step, y)
            if y[0] < model.threshold:
                continue
        spikes.append(step)
        y = model.reset(y)
        hold_until = step + model.refractory_steps
    return [s for s in spikes if s <= n_steps]


# -- the models' right-hand sides, from their published equations ------------------------------------

def lif_cond(p: Mapping[str, float], i_pa: float, alpha: bool):
    """State [v, g_e, g_i] (exp) or [v, g_e, g_i, y_e, y_i] (alpha; y in nS/ms). p in mV/ms/nS/pF."""
    g_l = p["cm"] / p["tau_m"]

    def rhs(t, y):
        v, ge, gi = y[0], y[1], y[2]
        dv = (g_l * (p["v_rest"] - v) + ge * (p["e_exc"] - v) + gi * (p["e_inh"] - v) + i_pa) / p["cm"]
        if not alpha:
            return [dv, -ge / p["tau_e"], -gi / p["tau_i"]]
        return [dv, y[3] - ge / p["tau_e"], y[4] - gi / p["tau_i"], -y[3] / p["tau_e"], -y[4] / p["tau_i"]]
    return rhs


def adex(p: Mapping[str, float], i_pa: float, alpha: bool):
    """State [v, w, g_e, g_i(, y_e, y_i)]; the right-hand side sees min(v, v_spike) (semantics.md)."""
    g_l = p["cm"] / p["tau_m"]

    def rhs(t, y):
        v, w, ge, gi = min(y[0], p["v_spike"]), y[1], y[2], y[3]
        dv = (g_l * (p["v_rest"] - v) + g_l * p["delta_t"] * math.exp((v - p["v_thresh"]) / p["delta_t"]) - w
              + ge * (p["e_exc"] - v) + gi * (p["e_inh"] - v) + i_pa) / p["cm"]
        dw = (p["a"] * (v - p["v_rest"]) - w) / p["tau_w"]
        if not alpha:
            return [dv, dw, -ge / p["tau_e"], -gi / p["tau_i"]]
        return [dv, dw, y[4] - ge / p["tau_e"], y[5] - gi / p["tau_i"], -y[4] / p["tau_e"], -y[5] / p["tau_i"]]
    return rhs


def izhikevich(a: float, b: float, i_pa: float):
    """State [v, u]: Izhikevich (2003) in mV, ms; the right-hand side sees min(v, 30)."""
    def rhs(t, y):
        v = min(y[0], 30.0)
        return [0.04 * v * v + 5 * v + 140 - y[1] + i_pa, a * (b * v - y[1])]
    return rhs


def _vtrap(x: float, k: float) -> float:
    """k x / (exp(x) - 1) with its limit k at x = 0."""
    return k if x == 0 else k * x / math.expm1(x)


def traub_rates(v: float, v_t: float):
    u = v - v_t
    return (_vtrap((13 - u) / 4, 1.28), _vtrap((u - 40) / 5, 1.4), 0.128 * math.exp((17 - u) / 18),
            4 / (1 + math.exp((40 - u) / 5)), _vtrap((15 - u) / 5, 0.16), 0.5 * math.exp((10 - u) / 40))


def hh(p: Mapping[str, float], i_pa: float):
    """State [v, m, h, n, g_e, g_i]: Traub-Miles HH (PyNN's HH_cond_exp) with exponential conductances."""
    def rhs(t, y):
        v, m, h, n, ge, gi = y
        am, bm, ah, bh, an, bn = traub_rates(v, p["v_offset"])
        dv = (p["g_leak"] * (p["e_leak"] - v) + p["gbar_na"] * m ** 3 * h * (p["e_na"] - v)
              + p["gbar_k"] * n ** 4 * (p["e_k"] - v) + ge * (p["e_exc"] - v) + gi * (p["e_inh"] - v) + i_pa) / p["cm"]
        return [dv, am * (1 - m) - bm * m, ah * (1 - h) - bh * h, an * (1 - n) - bn * n,
                -ge / p["tau_e"], -gi / p["tau_i"]]
    return rhs


def hh_steady_state(v: float, v_t: float):
    am, bm, ah, bh, an, bn = traub_rates(v, v_t)
    return am / (am + bm), ah / (ah + bh), an / (an + bn)


def crossing_steps(rhs, y0, dt: float, n_steps: int, threshold: float,
                   arrivals: Mapping[int, np.ndarray] | None = None, method: str = "LSODA") -> list[int]:
    """Stamps (step numbers) of upward crossings of ``threshold`` by y[0] (no reset), e.g. HH spikes."""
    arrivals = dict(arrivals or {})
    bounds = [0] + sorted(s for s in arrivals if 0 < s < n_steps) + [n_steps]
    y, stamps = np.asarray(y0, float), []

    def crossing(t, y):
        return y[0] - threshold
    crossing.direction = 1
    for a, b in zip(bounds[:-1], bounds[1:]):
        sol, y = integrate(rhs, a * dt, b * dt, y, events=crossing, method=method)
        stamps += [max(a + 1, math.ceil(t / dt - 1e-9)) for t in sol.t_events[0]]
        if b in arrivals:
            y = y + arrivals[b]
    return stamps


@dataclass
class Trace:
    times: np.ndarray
    values: np.ndarray = field(default_factory=lambda: np.empty(0))


def dense_trace(rhs, y0, t_start: float, t_end: float, t_eval) -> np.ndarray:
    """y[0] at the times t_eval (ms), integrating without events from t_start."""
    sol = solve_ivp(rhs, (t_start, t_end), np.asarray(y0, float), method=METHOD, rtol=RTOL, atol=ATOL,
                    t_eval=t_eval, dense_output=True)
    return sol.y[0], sol
