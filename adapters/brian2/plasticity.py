"""Plastic synapses as Brian2 code: one class per rule (STDP, Tsodyks-Markram), each contributing the
Synapses' model lines, the statements of the ``pre`` and ``post`` pathways, the factor the transmitted
weight is multiplied by, namespace constants and initial values (schema/semantics.md, "Plasticity",
"Short-term plasticity", and its brian2 section). Text and numbers only: nothing here imports Brian2.

**The shifted frame.** Every event of a synapse is shifted by its own ``f d`` (``f`` the dendritic delay
fraction): a pre spike is processed when its PSP reaches the post neuron, ``t_pre + d``, a post spike at
``t_post + 2 f d``. The ``pre`` pathway already runs in the step the PSP is added (Brian2 delay
``(D - 1) dt``, slot ``before_thresholds``, plan.py), so at Brian2 step ``m`` it processes the pre spikes
the reference engine processes at the start of step ``m``, at the shifted time ``m + 1`` (in steps). The
``post`` pathway, in the same slot and run *before* ``pre``, reads the post group's spikes of the
previous step; with the Brian2 delay ``2 f D dt`` a post spike of step ``k`` (stamp ``(k + 1) dt``) is
processed in step ``m = k + 1 + 2 f D`` at the shifted time ``m``, as in the reference (``2 f D`` must be a
whole number of steps: Brian2's delays are on the grid). Times are kept in steps (``t_in_timesteps``,
exact integers), so a pre processed in step ``m - 1`` and a post in step ``m`` are a tie exactly when the
reference sees one: the post then pairs with the pre trace before that pre spike (``apre_before``).

**Order inside a pre event**: depression, the pre trace, the Tsodyks-Markram release, then the
transmission of ``w x u`` (the new weight: "a pre spike carries the new weight").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Optional

import numpy as np

#: "no spike yet": times far enough in the past that every trace and recovery factor is exp(-inf) = 0
#: (kept finite so that no inf reaches Brian2's code)
_NEVER_STEPS = -1e30
_NEVER_SECONDS = -1e30
#: 2 f D within this of a whole number of steps is that number (the reference engine's tolerance)
WHOLE_STEPS = 1e-9


@dataclass(frozen=True)
class PlasticCode:
    """What a Synapses object with rules adds to a static one: ``model`` lines, ``on_pre`` statements
    before the transmission, ``on_post`` statements (empty: no post pathway), ``factor`` multiplying the
    weight in the transmission ("" for none), ``namespace`` constants (name -> (SI value, unit name)) and
    ``initial`` values of per-synapse variables (name -> (SI value, unit name))."""

    model: tuple[str, ...] = ()
    on_pre: tuple[str, ...] = ()
    on_post: tuple[str, ...] = ()
    factor: str = ""
    namespace: Mapping[str, tuple[float, str]] = field(default_factory=dict)
    initial: Mapping[str, tuple[float, str]] = field(default_factory=dict)

    def __add__(self, other: "PlasticCode") -> "PlasticCode":
        factor = "*".join(f for f in (self.factor, other.factor) if f)
        return PlasticCode(self.model + other.model, self.on_pre + other.on_pre, self.on_post + other.on_post,
                           factor, {**self.namespace, **other.namespace}, {**self.initial, **other.initial})


class StdpCode:
    """Pair-based STDP (:class:`~snnrun.schema.model.Stdp`) on a weight ``w`` in ``unit`` (a Brian2 unit
    name: amp, siemens or volt), in the shifted frame of the module docstring, with the reference's
    arithmetic: traces ``apre``, ``apost`` decaying as ``exp(-(T - T_last) dt / tau)`` with times in steps,
    each update clipped to [w_min, w_max] at once."""

    def __init__(self, rule, unit: str, dt: float):
        self.rule, self.unit, self.dt = rule, unit, dt

    def code(self) -> PlasticCode:
        r = self.rule
        if r.weight_dependence == "multiplicative":
            up = "stdp_a_plus*(stdp_w_max - w)"
            down = "stdp_a_minus*(w - stdp_w_min)"
            steps = {"stdp_a_plus": (r.a_plus, "1"), "stdp_a_minus": (r.a_minus, "1")}
        else:
            up, down = "stdp_dw_plus", "stdp_dw_minus"
            steps = {"stdp_dw_plus": (r.a_plus * r.w_max, self.unit), "stdp_dw_minus": (r.a_minus * r.w_max, self.unit)}
        nearest = r.pairing == "nearest"
        on_pre = (
            "tpre_now = t_in_timesteps + 1.0",  # the shifted time of a pre spike processed in this step
            f"w = clip(w - {down}*apost*exp((tpost - tpre_now)*stdp_c_minus), stdp_w_min, stdp_w_max)",
            "apre_before = apre*exp((tpre - tpre_now)*stdp_c_plus)",
            "apre = 1.0" if nearest else "apre = apre_before + 1.0",
            "tpre = tpre_now",
        )
        on_post = (
            "tpost_now = 1.0*t_in_timesteps",
            # a pre spike at this very shifted time is not paired: the trace before it counts
            "kplus = apre*exp((tpre - tpost_now)*stdp_c_plus)*int(tpre != tpost_now)"
            " + apre_before*int(tpre == tpost_now)",
            f"w = clip(w + {up}*kplus, stdp_w_min, stdp_w_max)",
            "apost = 1.0" if nearest else "apost = apost*exp((tpost - tpost_now)*stdp_c_minus) + 1.0",
            "tpost = tpost_now",
        )
        namespace = {"stdp_c_plus": (self.dt / r.tau_plus, "1"), "stdp_c_minus": (self.dt / r.tau_minus, "1"),
                     "stdp_w_min": (r.w_min, self.unit), "stdp_w_max": (r.w_max, self.unit), **steps}
        model = ("apre : 1", "apre_before : 1", "tpre : 1", "apost : 1", "tpost : 1")
        initial = {"apre": (0.0, "1"), "apre_before": (0.0, "1"), "apost": (0.0, "1"),
                   "tpre": (_NEVER_STEPS, "1"), "tpost": (_NEVER_STEPS, "1")}
        return PlasticCode(model, on_pre, on_post, "", namespace, initial)


class TsodyksMarkramCode:
    """Tsodyks-Markram as NEST's tsodyks2_synapse (:class:`~snnrun.schema.model.TsodyksMarkram`):
    ``x_tm`` from 1, ``u_tm`` from U; at a pre spike ``h = t - tlast_tm`` after the previous one (the stamps'
    interval: every spike of a synapse has the same delay), ``x`` recovers with the old ``u``, then ``u``
    facilitates, and the spike transmits ``w x u``."""

    def __init__(self, rule):
        self.rule = rule

    def code(self) -> PlasticCode:
        r = self.rule
        facilitate = ("u_tm = tm_U + u_tm*(1 - tm_U)*exp(-(t - tlast_tm)/tm_tau_facil)" if r.tau_facil > 0
                      else "u_tm = tm_U")
        on_pre = ("x_tm = 1 + (x_tm - x_tm*u_tm - 1)*exp(-(t - tlast_tm)/tm_tau_rec)", facilitate, "tlast_tm = t")
        namespace = {"tm_U": (r.u, "1"), "tm_tau_rec": (r.tau_rec, "second")}
        if r.tau_facil > 0:
            namespace["tm_tau_facil"] = (r.tau_facil, "second")
        initial = {"x_tm": (1.0, "1"), "u_tm": (r.u, "1"), "tlast_tm": (_NEVER_SECONDS, "second")}
        return PlasticCode(("x_tm : 1", "u_tm : 1", "tlast_tm : second"), on_pre, (), "x_tm*u_tm", namespace, initial)


def plastic_code(stdp, tm, unit: str, dt: float) -> Optional[PlasticCode]:
    """The code of a synapse's rules (STDP before Tsodyks-Markram: the release transmits the depressed
    weight), or None for a static synapse."""
    parts = ([StdpCode(stdp, unit, dt).code()] if stdp is not None else []) + \
            ([TsodyksMarkramCode(tm).code()] if tm is not None else [])
    if not parts:
        return None
    out = PlasticCode(("w : " + unit,))
    for part in parts:
        out = out + part
    return out


def post_delay_steps(fraction: float, delay_steps: np.ndarray) -> Optional[np.ndarray]:
    """``2 f D`` in whole steps per synapse (the post pathway's Brian2 delay), or None if some synapse's is
    not a whole number of steps."""
    shift = 2.0 * fraction * np.asarray(delay_steps, float)
    whole = np.rint(shift)
    if np.any(np.abs(shift - whole) >= WHOLE_STEPS):
        return None
    return whole.astype(np.int64)
