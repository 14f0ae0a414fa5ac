"""Independent oracles for the nonlinear models: their continuous-time equations written out here (not
imported from snnrun), integrated by scipy's ``solve_ivp`` at tight tolerances, with the spike and
reset conventions of schema/semantics.md applied on the grid.

Units inside: mV, ms, nS, pF, pA (so nS mV = pA, pA / pF = mV/ms): every state is of order 1-100, so
one absolute tolerance suits all of them.

Grid conventions (semantics.md): input weights arrive at grid times and are added there; injected
currents change only at grid times; a spike is stamped at the end of the step in which the threshold
is crossed, ``ceil(t_cross / dt)``; the reset happens at the stamp (the trajectory runs on, under the
model's equations, from the crossing to the stamp); refractory neurons hold v at v_reset while the
other variables evolve. So these oracles define the same spike steps as the reference, up to the
reference's integration error.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np
from scipy.integrate import solve_ivp

RTOL, ATOL = 1e-10, 1e-10  # relative, and absolute in mV / nS / dimensionless units
METHOD = "DOP853"  # eighth order explicit: accurate at rtol 1e-10 on these segments
STIFF_METHOD = "LSODA"  # for HH, whose spikes are stiff at these tolerances


def integrate(rhs, t0: float, t1: float, y, events=None, method: str = METHOD):
    """(solution, state at t1) of dy/dt = rhs(t, y) from (t0, y); (None, y) for an empty interval."""
    if t1 <= t0:
        return None, np.asarray(y, float)
    sol = solve_ivp(rhs, (t0, t1), np.asarray(y, float), method=method, rtol=RTOL, atol=ATOL, events=events)
    if sol.status < 0:
        raise RuntimeError(sol.message)
    return sol, sol.y[:, -1]


@dataclass
class Neuron:
    """One neuron integrated piecewise between grid events, resumable (for networks).

    ``rhs(i_pa)`` gives the right-hand side ``f(t, y)`` for the injected current ``i_pa``; y[0] = v (mV).
    ``kind``: ``reset`` (a spike when v reaches ``threshold``; ``reset(y)`` the state after it; v held for
    ``refractory_steps``) or ``crossing`` (a spike at every upward crossing of ``threshold``, no reset).
    ``currents[s]`` is the injected current (pA) from step s on; ``jumps[s]`` is added to the state at
    time s dt (before that time's threshold test; the v part is dropped while v is held).
    """

    rhs: Callable[[float], Callable]
    y: np.ndarray
    dt: float
    threshold: float
    kind: str = "reset"
    reset: Callable | None = None
    refractory_steps: int = 0
    currents: dict[int, float] = field(default_factory=lambda: {0: 0.0})
    jumps: dict[int, np.ndarray] = field(default_factory=dict)
    method: str = METHOD
    step: int = 0
    hold_until: int = 0
    spikes: list[int] = field(default_factory=list)

    def __post_init__(self):
        self.y = np.asarray(self.y, float)
        self.currents = dict(self.currents)
        if 0 not in self.currents:
            self.currents[0] = 0.0

    def add_jump(self, step: int, jump) -> None:
        self.jumps[step] = self.jumps.get(step, 0.0) + np.asarray(jump, float)

    def current(self, step: int) -> float:
        return self.currents[max(s for s in self.currents if s <= step)]

    def _held(self, rhs):
        def held(t, y):
            dy = np.array(rhs(t, y), float)
            dy[0] = 0.0
            return dy
        return held

    def _crossing(self):
        def crossing(t, y):
            return y[0] - self.threshold
        crossing.terminal, crossing.direction = self.kind == "reset", 1
        return crossing

    def _arrive(self) -> None:
        """Add the jumps at the current time; a reset model spikes if they take v over threshold."""
        jump = self.jumps.pop(self.step, None)
        if jump is not None:
            jump = np.array(jump, float)
            if self.hold_until > self.step:
                jump[0] = 0.0
            self.y = self.y + jump
        if self.kind == "reset" and self.hold_until <= self.step and self.y[0] >= self.threshold \
                and self.step > 0:
            self._spike()

    def _spike(self) -> None:
        self.spikes.append(self.step)
        self.y = np.asarray(self.reset(self.y), float)
        self.hold_until = self.step + self.refractory_steps

    def advance(self, to_step: int) -> None:
        """Integrate up to time to_step dt, handling every event on the way."""
        dt = self.dt
        while self.step < to_step:
            breaks = [s for s in list(self.jumps) + list(self.currents) if s > self.step] + [to_step]
            nxt = min(breaks)
            rhs = self.rhs(self.current(self.step))
            if self.kind == "reset" and self.hold_until > self.step:
                nxt = min(nxt, self.hold_until)
                _, self.y = integrate(self._held(rhs), self.step * dt, nxt * dt, self.y, method=self.method)
                self.step = nxt
                self._arrive()
                continue
            sol, y_end = integrate(rhs, self.step * dt, nxt * dt, self.y, events=self._crossing(),
                                   method=self.method)
            if self.kind == "crossing":
                self.spikes += [max(self.step + 1, math.ceil(t / dt - 1e-9)) for t in sol.t_events[0]]
                self.y, self.step = y_end, nxt
                self._arrive()
                continue
            if sol.t_events[0].size:
                t_c = float(sol.t_events[0][0])
                s = max(self.step + 1, math.ceil(t_c / dt - 1e-9))
                _, self.y = integrate(rhs, t_c, s * dt, sol.y_events[0][0], method=self.method)
                self.step = s
                jump = self.jumps.pop(s, None)
                if jump is not None:
                    self.y = self.y + jump
                self._spike()
            else:
                self.y, self.step = y_end, nxt
                self._arrive()


def run_neuron(neuron: Neuron, n_steps: int) -> list[int]:
    """Spike stamps (step numbers s: stamped s dt) of one neuron over n_steps."""
    neuron.advance(n_steps)
    return [s for s in neuron.spikes if s <= n_steps]


# -- the models' right-hand sides, from their published equations ------------------------------------

def lif_cond(p: Mapping[str, float], alpha: bool):
    """State [v, g_e, g_i] (exp) or [v, g_e, g_i, y_e, y_i] (alpha; y in nS/ms). p in mV/ms/nS/pF."""
    g_l = p["cm"] / p["tau_m"]

    def with_current(i_pa):
        def rhs(t, y):
            v, ge, gi = y[0], y[1], y[2]
            dv = (g_l * (p["v_rest"] - v) + ge * (p["e_exc"] - v) + gi * (p["e_inh"] - v) + i_pa) / p["cm"]
            if not alpha:
                return [dv, -ge / p["tau_e"], -gi / p["tau_i"]]
            return [dv, y[3] - ge / p["tau_e"], y[4] - gi / p["tau_i"], -y[3] / p["tau_e"], -y[4] / p["tau_i"]]
        return rhs
    return with_current


def adex(p: Mapping[str, float], alpha: bool):
    """State [v, w, g_e, g_i(, y_e, y_i)]; the right-hand side sees min(v, v_spike) (semantics.md)."""
    g_l = p["cm"] / p["tau_m"]

    def with_current(i_pa):
        def rhs(t, y):
            v, w, ge, gi = min(y[0], p["v_spike"]), y[1], y[2], y[3]
            dv = (g_l * (p["v_rest"] - v) + g_l * p["delta_t"] * math.exp((v - p["v_thresh"]) / p["delta_t"]) - w
                  + ge * (p["e_exc"] - v) + gi * (p["e_inh"] - v) + i_pa) / p["cm"]
            dw = (p["a"] * (v - p["v_rest"]) - w) / p["tau_w"]
            if not alpha:
                return [dv, dw, -ge / p["tau_e"], -gi / p["tau_i"]]
            return [dv, dw, y[4] - ge / p["tau_e"], y[5] - gi / p["tau_i"], -y[4] / p["tau_e"], -y[5] / p["tau_i"]]
        return rhs
    return with_current


def izhikevich(a: float, b: float):
    """State [v, u]: Izhikevich (2003) in mV, ms; the right-hand side sees min(v, 30)."""
    def with_current(i_pa):
        def rhs(t, y):
            v = min(y[0], 30.0)
            return [0.04 * v * v + 5 * v + 140 - y[1] + i_pa, a * (b * v - y[1])]
        return rhs
    return with_current


def _vtrap(x: float, k: float) -> float:
    """k x / (exp(x) - 1) with its limit k at x = 0."""
    return k if x == 0 else k * x / math.expm1(x)


def traub_rates(v: float, v_t: float):
    u = v - v_t
    return (_vtrap((13 - u) / 4, 1.28), _vtrap((u - 40) / 5, 1.4), 0.128 * math.exp((17 - u) / 18),
            4 / (1 + math.exp((40 - u) / 5)), _vtrap((15 - u) / 5, 0.16), 0.5 * math.exp((10 - u) / 40))


def hh(p: Mapping[str, float]):
    """State [v, m, h, n, g_e, g_i]: Traub-Miles HH (PyNN's HH_cond_exp) with exponential conductances."""
    def with_current(i_pa):
        def rhs(t, y):
            v, m, h, n, ge, gi = y
            am, bm, ah, bh, an, bn = traub_rates(v, p["v_offset"])
            dv = (p["g_leak"] * (p["e_leak"] - v) + p["gbar_na"] * m ** 3 * h * (p["e_na"] - v)
                  + p["gbar_k"] * n ** 4 * (p["e_k"] - v) + ge * (p["e_exc"] - v) + gi * (p["e_inh"] - v)
                  + i_pa) / p["cm"]
            return [dv, am * (1 - m) - bm * m, ah * (1 - h) - bh * h, an * (1 - n) - bn * n,
                    -ge / p["tau_e"], -gi / p["tau_i"]]
        return rhs
    return with_current


def hh_steady_state(v: float, v_t: float):
    am, bm, ah, bh, an, bn = traub_rates(v, v_t)
    return am / (am + bm), ah / (ah + bh), an / (an + bn)


def dense_trace(rhs, y0, t_start: float, t_end: float, t_eval):
    """(y[0] at the times t_eval (ms), the solution with dense output), integrating without events."""
    sol = solve_ivp(rhs, (t_start, t_end), np.asarray(y0, float), method=METHOD, rtol=RTOL, atol=ATOL,
                    t_eval=t_eval, dense_output=True)
    return sol.y[0], sol
