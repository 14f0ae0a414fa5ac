"""The nonlinear membrane pieces (conductance LIF, AdEx, Izhikevich, Hodgkin-Huxley), written so that
Brian2 performs the arithmetic of schema/semantics.md ("the common scheme"): classical RK4 over the
step (``method='rk4'``, the formula of :mod:`snnrun.numerics.integrators`), with the conductances' exact
values at the stage times (the conductance kinetics of :mod:`.pieces`) and the injected current held
over the step. Text and data only: nothing here imports Brian2.

- ``min(v, v_spike)`` (AdEx) and ``min(v, 30 mV)`` (Izhikevich) are written as arithmetic,
  ``v*int(v <= b) + b*int(v > b)``, which is exactly the minimum (one product is the value times 1,
  the other 0) in every code generation target;
- Hodgkin-Huxley takes ``ceil(dt / 0.05 ms)`` chained RK4 substeps per step (:func:`chained_rk4`), its
  rate functions use Brian2's ``exprel`` (the reference's ``x / expm1(x)`` with its limit at the
  removable singularities), and a spike is an upward crossing of -20 mV between two grid times: the
  potential at the step's start is kept in ``vlast`` before the integration.

Units: Brian2 is SI throughout; the Izhikevich equations are the paper's (mV, ms, pA as mV/ms) divided
by and multiplied with Brian2's units, so that ``u``, ``a``, ``b`` and ``d`` keep the spec's numbers.
"""

from __future__ import annotations

from ...numerics import adex as adex_math
from ...numerics import hh as hh_math
from ...numerics import izhikevich as izh_math
from ...schema.values import value_bounds
from ..translation import Rule, rename
from .pieces import T_REF, Membrane

#: g_L = cm / tau_m, the reference engine's leak conductance (the same float)
_G_LEAK = Rule("G_L", "siemens", ("tau_m", "cm"), forward=lambda tau_m, cm: cm / tau_m,
               reverse=lambda g_leak, cm: cm / g_leak, doc="g_L = cm / tau_m")


def _bounded(v: str, bound: str) -> str:
    """``min(v, bound)`` as arithmetic (exact: one of the two products is the value times 1, the other 0)."""
    return f"{v}*int({v} <= {bound}) + {bound}*int({v} > {bound})"


#: conductance-based leaky integrate-and-fire (lif_cond_exp, lif_cond_alpha)
LIF_COND = Membrane(
    "leaky_iaf_conductance",
    equations=("dv/dt = (G_L*(V_rest - v){drive})/Cm : volt{unless}",),
    drive=" + {}",
    threshold="v >= V_th",
    reset="v = V_reset",
    method="rk4",
    params=(
        rename("cm", "Cm", "farad"),
        _G_LEAK,
        rename("v_rest", "V_rest", "volt"),
        rename("v_thresh", "V_th", "volt"),
        rename("v_reset", "V_reset", "volt"),
        T_REF,
        rename("i_offset", "I_offset", "amp"),
    ),
    state=(rename("v", "v", "volt"),),
    refractory="t_ref",
    offset="I_offset",
)


def _adex_check(params) -> list[tuple[str, str]]:
    """delta_t <= 0 and an exponential term that could overflow, as on the reference engine."""
    return adex_math.parameter_problems(value_bounds(params["delta_t"])[0], value_bounds(params["v_spike"])[1],
                                       value_bounds(params["v_thresh"])[0])


#: adaptive exponential integrate-and-fire (adex_cond_exp, adex_cond_alpha), V = min(v, v_spike) on
#: every right-hand side; while refractory v is held and w evolves with v = v_reset
ADEX = Membrane(
    "adaptive_exponential_iaf",
    equations=(
        "dv/dt = (G_L*(V_rest - vb) + G_L*Delta_T*exp((vb - V_T)/Delta_T) - w_adapt{drive})/Cm : volt{unless}",
        "dw_adapt/dt = (a*(vb - V_rest) - w_adapt)/tau_w : amp",
        f"vb = {_bounded('v', 'V_spike')} : volt",
    ),
    drive=" + {}",
    threshold="v >= V_spike",
    reset="v = V_reset; w_adapt += b",
    method="rk4",
    params=(
        rename("cm", "Cm", "farad"),
        _G_LEAK,
        rename("v_rest", "V_rest", "volt"),
        rename("v_thresh", "V_T", "volt"),
        rename("v_reset", "V_reset", "volt"),
        rename("v_spike", "V_spike", "volt"),
        T_REF,
        rename("i_offset", "I_offset", "amp"),
        rename("a", "a", "siemens"),
        rename("b", "b", "amp"),
        rename("delta_t", "Delta_T", "volt"),
        rename("tau_w", "tau_w", "second"),
    ),
    # w_adapt, not w: the synapses' weight is w
    state=(rename("v", "v", "volt"), rename("w", "w_adapt", "amp")),
    refractory="t_ref",
    offset="I_offset",
    potential="vb",
    check=_adex_check,
)

_PEAK = f"{izh_math.V_PEAK:g}*mV"

#: Izhikevich (2003) in the paper's units: vb is min(v, 30 mV) in mV, the current in pA is I in mV/ms
IZHIKEVICH = Membrane(
    "izhikevich",
    equations=(
        "dv/dt = (0.04*vb**2 + 5*vb + 140 - u{drive})*(mV/ms) : volt",
        "du/dt = a*(b*vb - u)/ms : 1",
        f"vb = ({_bounded('v', _PEAK)})/mV : 1",
    ),
    drive=" + ({})/pA",
    threshold=f"v >= {_PEAK}",
    reset="v = c; u += d",
    method="rk4",
    params=(
        rename("a", "a", "1"),
        rename("b", "b", "1"),
        rename("c", "c", "volt"),
        rename("d", "d", "1"),
        rename("i_offset", "I_offset", "amp"),
    ),
    state=(rename("v", "v", "volt"), rename("u", "u", "1")),
    offset="I_offset",
)

_CROSSING = f"{hh_math.SPIKE_THRESHOLD:g}*mV"

#: Hodgkin-Huxley with Traub-Miles kinetics (hh_cond_exp); x = (13 - u)/4 etc. with u = v - v_offset in
#: mV, 0.32 (13 - u)/(exp(x) - 1) = 1.28/exprel(x); dx/dt = alpha - (alpha + beta) x as the reference
#: writes it. No reset, no refractoriness.
HH = Membrane(
    "hodgkin_huxley_traub",
    equations=(
        "dv/dt = (G_leak*(E_leak - v) + gNa*m**3*h*(E_Na - v) + gK*n**4*(E_K - v){drive})/Cm : volt",
        "dm/dt = alpha_m*(1 - m) - beta_m*m : 1",
        "dh/dt = alpha_h*(1 - h) - beta_h*h : 1",
        "dn/dt = alpha_n*(1 - n) - beta_n*n : 1",
        "v_rel = (v - V_offset)/mV : 1",
        "alpha_m = 1.28/exprel((13 - v_rel)/4)/ms : Hz",
        "beta_m = 1.4/exprel((v_rel - 40)/5)/ms : Hz",
        "alpha_h = 0.128*exp((17 - v_rel)/18)/ms : Hz",
        "beta_h = 4/(1 + exp((40 - v_rel)/5))/ms : Hz",
        "alpha_n = 0.16/exprel((15 - v_rel)/5)/ms : Hz",
        "beta_n = 0.5*exp((10 - v_rel)/40)/ms : Hz",
    ),
    drive=" + {}",
    threshold=f"v >= {_CROSSING} and vlast < {_CROSSING}",
    reset="",
    method="rk4",
    params=(
        rename("gbar_na", "gNa", "siemens"),
        rename("gbar_k", "gK", "siemens"),
        rename("g_leak", "G_leak", "siemens"),
        rename("cm", "Cm", "farad"),
        rename("v_offset", "V_offset", "volt"),
        rename("e_rev_na", "E_Na", "volt"),
        rename("e_rev_k", "E_K", "volt"),
        rename("e_rev_leak", "E_leak", "volt"),
        rename("i_offset", "I_offset", "amp"),
    ),
    state=(rename("v", "v", "volt"), rename("m", "m", "1"), rename("h", "h", "1"), rename("n", "n", "1")),
    offset="I_offset",
    substeps=lambda dt: hh_math.substeps(dt * 1e3),
    before_update="vlast = v",
    hidden={"vlast": "volt"},
)


def chained_rk4(n: int) -> str:
    """A Brian2 ``ExplicitStateUpdater`` description of ``n`` chained classical RK4 steps of ``dt/n``
    (the reference's :func:`~snnrun.numerics.integrators.rk4_substeps`): substep ``i`` starts from the
    previous substep's result at ``t + i dt/n`` and evaluates the right-hand side at its start, middle
    and end."""
    lines, x = [], "x"
    for i in range(n):
        start, mid, end = (f"t + {2 * i + j}*dt/{2 * n}" for j in range(3))
        lines += [f"k1_{i} = dt/{n}*f({x}, {start})",
                  f"k2_{i} = dt/{n}*f({x} + k1_{i}/2, {mid})",
                  f"k3_{i} = dt/{n}*f({x} + k2_{i}/2, {mid})",
                  f"k4_{i} = dt/{n}*f({x} + k3_{i}, {end})"]
        result = "x_new" if i == n - 1 else f"x_{i + 1}"
        lines.append(f"{result} = {x} + (k1_{i} + 2*k2_{i} + 2*k3_{i} + k4_{i})/6")
        x = result
    return "\n".join(lines)
