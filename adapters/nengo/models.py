"""NeuronTypes for the nonlinear and conductance-based families, stepped with :mod:`snnrun.numerics`.

Each family (conductance LIF, AdEx, Izhikevich, Hodgkin-Huxley) is one NeuronType whose operator calls
the very functions the reference engine calls (``lif_cond_step``, ``adex_step``,
``izhikevich_rk4_step``/``nest_euler_step``, ``hh_step``, the kinetics' stage factors, the spike rules of
:mod:`snnrun.numerics.spiking`), on the population's parameters in SI (or in the model's own units, as
the reference engine converts them), so nengo computes the reference's arithmetic by construction.

Inputs of a neuron (all read in nengo step n, which is step k = n - 1 of schema/semantics.md):

- ``J``: the injected current of step k (stimuli; A, or pA for Izhikevich and HH), through the Ensemble
  with gain 1 and bias 0, so that ``J`` is exactly the stimulus current; ``i_offset`` is a parameter;
- one signal per receptor (:mod:`.receptors`): the conductance amplitudes (exc, inh) or voltage jumps
  (Izhikevich) arriving at the step's end, added in phase 2.

Order in one step: integrate the membrane with the conductances' exact stage values (phase 1), the
conductances take their end-of-step values, the arrivals are added (phase 2), then clamp, threshold
and reset (phases 3 and 4; HH: an upward crossing of -20 mV). Spikes are output as 1/dt (stamped n dt).
The state (``voltage``, ``g_exc``...) is made of nengo signals, so it is probeable and resets with the
simulator. ``integrator: euler`` (``simulation.options.nengo``) selects the reference's forward-Euler
path of the same functions.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
from nengo.builder import Builder, Operator, Signal
from nengo.builder.operator import Reset
from nengo.dists import Choice
from nengo.neurons import NeuronType

from ...numerics import adex as adex_math
from ...numerics import hh as hh_math
from ...numerics import izhikevich as izh
from ...numerics import lif_cond as lif_cond_math
from ...numerics.propagators import scalar_if_uniform
from ...numerics.spiking import clamp_threshold_reset, izhikevich_fire, refractory_steps, upward_crossings
from .conductances import Conductances, receptor_pair
from .receptors import receptor_key

CHECK_EVERY = 64  # steps between checks that the membrane potential is still finite (the reference's)
_ZERO = Choice([0.0])


class UnstableIntegration(ArithmeticError):
    """A population's state ran off to infinity: the integration is unstable at this dt. ``what`` says
    which value, e.g. ``"v of neuron 3 became non-finite"``."""

    def __init__(self, population: str, what: str, time: float, dt: float):
        self.population = population
        super().__init__(f"{what} by t = {time:g} s: the integration is unstable at dt = {dt:g} s "
                         f"(decrease simulation.dt)")

    @classmethod
    def of_state(cls, population: str, state: Mapping[str, np.ndarray], k: int, dt: float) -> "UnstableIntegration":
        """The error naming the first non-finite element of ``state`` (voltage first), or else the
        neuron whose voltage is largest in size (finite, but past what the arithmetic can take)."""
        v = state["voltage"]
        for name in sorted(state, key=lambda name: name != "voltage"):
            bad = np.flatnonzero(~np.isfinite(state[name]))
            if bad.size:
                variable = "v" if name == "voltage" else name
                return cls(population, f"{variable} of neuron {int(bad[0]) % v.size} became non-finite", (k + 1) * dt, dt)
        worst = int(np.argmax(np.abs(v)))
        return cls(population, f"v of neuron {worst} ran away (to {v[worst]:.3g} in the model's units)", (k + 1) * dt, dt)


def _check_finite(v: np.ndarray, k: int, dt: float, label: str) -> None:
    if k % CHECK_EVERY == 0 and not np.isfinite(v).all():
        raise UnstableIntegration(label, f"v of neuron {int(np.flatnonzero(~np.isfinite(v))[0])} became non-finite",
                                  (k + 1) * dt, dt)


class NumericsNeurons(NeuronType):
    """Base of the families stepped with snnrun.numerics.

    ``params``: the population's parameters (name -> float64 array per neuron, SI, the catalogue's
    names); ``initial_state``: the state signals' initial values (the family's units, see
    translation.py); ``integrator``: ``"standard"`` or ``"euler"``; ``kinetics``: the receptors'
    ("exp", "alpha", or "jumps" for voltage jumps). Subclasses declare ``state`` (every
    signal of the state; ``g_exc``/``g_inh`` and ``y_exc``/``y_inh`` are stacked into (2, n) arrays for
    the kinetics), ``receptors`` and :meth:`stepper`.
    """

    spiking = True
    negative = False
    receptors: tuple[str, ...] = ("exc", "inh")
    #: pairs of state variables the builder lays out as one (2, n) signal: name -> (row 0, row 1)
    stacked: Mapping[str, tuple[str, str]] = {}

    def __init__(self, params: Mapping[str, np.ndarray], initial_state=None, integrator: str = "standard",
                 kinetics: str = "exp"):
        super().__init__(initial_state=initial_state)
        self.params = {k: np.asarray(v, float) for k, v in params.items()}
        self.integrator = integrator
        self.kinetics = kinetics

    # a population's own type: identity equality (its arrays make value equality meaningless), and a
    # repr without the arrays (nengo puts reprs into signal names)
    __eq__ = object.__eq__
    __hash__ = object.__hash__

    def __repr__(self) -> str:
        return f"{type(self).__name__}(integrator={self.integrator!r})"

    def gain_bias(self, max_rates, intercepts):
        raise NotImplementedError(f"{type(self).__name__} takes gain 1 and bias 0 (snnrun's inputs are currents)")

    def max_rates_intercepts(self, gain, bias):
        # nengo's default simulates the neuron to find them; snnrun never uses decoded connections
        return None, None

    def step(self, dt, J, output, **state):
        raise NotImplementedError(f"{type(self).__name__} is stepped by its own operator, SimNumericsNeurons")

    @property
    def euler(self) -> bool:
        return self.integrator == "euler"

    def stepper(self, dt: float, J: np.ndarray, inputs: list[np.ndarray], state: dict[str, np.ndarray],
                label: str):
        """A function ``step(k)`` that takes step k in place on ``state`` (arrays of the signals, stacked
        pairs as (2, n)) with the current ``J`` and the receptor ``inputs``; returns the spiking neurons."""
        raise NotImplementedError


class SimNumericsNeurons(Operator):
    """Steps one population: sets ``output`` and the state signals; reads ``J``, the receptor inputs and
    the step counter."""

    def __init__(self, neuron_type, J, output, state: dict[str, Signal], inputs: list[Signal], step, label, tag=None):
        super().__init__(tag=tag)
        self.neuron_type = neuron_type
        self.state_names = list(state)
        self.label = label
        self.sets = [output] + list(state.values())
        self.incs = []
        self.reads = [J, step] + list(inputs)
        self.updates = []

    def make_step(self, signals, dt, rng):
        J, step = signals[self.reads[0]], signals[self.reads[1]]
        inputs = [signals[s] for s in self.reads[2:]]
        output = signals[self.sets[0]]
        state = {}
        for name, sig in zip(self.state_names, self.sets[1:]):
            arr = signals[sig]
            state[name] = arr.reshape(2, -1) if name in self.neuron_type.stacked else arr
        take_step = self.neuron_type.stepper(dt, J, inputs, state, self.label)
        inv_dt = 1.0 / dt

        def step_numerics_neurons():
            k = int(step) - 1
            output.fill(0.0)
            try:
                output[take_step(k)] = inv_dt
            except FloatingPointError as exc:
                # nengo steps with np.seterr(invalid="raise"): an invalid operation here is a state run
                # off to infinity (inf - inf), found before the periodic finiteness check would find it
                raise UnstableIntegration.of_state(self.label, state, k, dt) from exc

        return step_numerics_neurons


@Builder.register(NumericsNeurons)
def build_numerics_neurons(model, neuron_type, neurons):
    """State signals (stacked pairs as one signal of 2n with a view per row, each row probeable), one
    input signal per receptor (reset every step), and the SimNumericsNeurons operator."""
    n = neurons.size_in
    rng = np.random.RandomState(model.seeds[neurons.ensemble] + 1)
    init = neuron_type.make_state(n, rng=rng, dtype=float)
    sig = model.sig[neurons]
    state: dict[str, Signal] = {}
    rows = {row for pair in neuron_type.stacked.values() for row in pair}
    for name, (first, second) in neuron_type.stacked.items():
        base = Signal(np.concatenate([init[first], init[second]]).astype(float), name=f"{neurons}.{name}")
        state[name] = base
        sig[first], sig[second] = base[:n], base[n:]
    for name in neuron_type.state:
        if name not in rows:
            state[name] = sig[name] = Signal(np.asarray(init[name], float), name=f"{neurons}.{name}")
    inputs = []
    for receptor in neuron_type.receptors:
        sig[receptor_key(receptor)] = Signal(shape=n, name=f"{neurons}.{receptor_key(receptor)}")
        model.add_op(Reset(sig[receptor_key(receptor)]))
        inputs.append(sig[receptor_key(receptor)])
    label = neurons.ensemble.label or str(neurons.ensemble)
    model.add_op(SimNumericsNeurons(neuron_type, sig["in"], sig["out"], state, inputs, model.step, label,
                                    tag=f"{neurons}.{type(neuron_type).__name__}"))


# -- the families ---------------------------------------------------------------------------------------
class _Conductance(NumericsNeurons):
    """Shared part of the conductance families: ``kinetics`` ("exp" or "alpha") of the receptors; the
    injected current in ``current_unit`` per ampere (the conductances arrive in the family's unit:
    translation.py converts initial values and weights)."""

    current_unit = 1.0
    time_unit = 1.0  # the membrane's time unit per second (HH: ms)

    def __init__(self, params, initial_state=None, integrator="standard", kinetics="exp"):
        # alpha kinetics add the drives y to the state (set before NeuronType checks initial_state)
        if kinetics == "alpha":
            self.stacked = {"g": ("g_exc", "g_inh"), "y": ("y_exc", "y_inh")}
            self.state = {**type(self).state, "y_exc": _ZERO, "y_inh": _ZERO}
        else:
            self.stacked = {"g": ("g_exc", "g_inh")}
        super().__init__(params, initial_state, integrator, kinetics)

    def substeps(self, dt: float) -> int:
        return 1

    def conductances(self, state, dt: float) -> Conductances:
        n = state["voltage"].size
        tau = receptor_pair(self.params, "tau_syn_exc", "tau_syn_inh", n)
        substeps = 1 if self.euler else self.substeps(dt)
        return Conductances(state["g"], state.get("y"), tau, dt, substeps)

    def injected(self, J: np.ndarray):
        """A function of no argument giving ``i_offset + J`` (the reference's sum), in current_unit."""
        i_offset = self.params["i_offset"] * self.current_unit
        out = np.empty_like(J)

        def current():
            return np.add(i_offset, J, out=out)
        return current


class CondLIF(_Conductance):
    """``lif_cond_exp`` / ``lif_cond_alpha``: numerics.lif_cond's membrane, v (V) held at v_reset for
    round(tau_refrac/dt) steps after a spike at v >= v_thresh."""

    state = {"voltage": _ZERO, "g_exc": _ZERO, "g_inh": _ZERO, "refractory_until": _ZERO}

    #: the threshold parameter (AdEx: v_spike)
    threshold = "v_thresh"

    def membrane(self, coef, v, state, g_stages, current, h, k, until):
        lif_cond_math.lif_cond_step(v, g_stages, coef, current, h, "euler" if self.euler else "rk4")

    def coefficients(self):
        return lif_cond_math.LifCondCoefficients.from_params(self.params)

    def after_spikes(self, spikes, state) -> None:
        pass

    def stepper(self, dt, J, inputs, state, label):
        p = self.params
        coef = self.coefficients()
        syn = self.conductances(state, dt)
        current = self.injected(J)
        v, until = state["voltage"], state["refractory_until"]
        v_reset, v_thresh = scalar_if_uniform(p["v_reset"]), scalar_if_uniform(p[self.threshold])
        ref_steps = refractory_steps(p["tau_refrac"], dt)
        exc, inh = inputs

        def step_conductance_lif(k):
            if self.euler:
                self.membrane(coef, v, state, [syn.g], current(), dt, k, until)
                syn.advance_euler()
            else:
                self.membrane(coef, v, state, syn.stages(), current(), dt, k, until)
                syn.advance()
            _check_finite(v, k, dt, label)
            syn.receive(exc, inh)
            spikes = clamp_threshold_reset(k, v, until, ref_steps, v_reset, v_thresh)
            if spikes.size:
                self.after_spikes(spikes, state)
            return spikes

        return step_conductance_lif


class AdEx(CondLIF):
    """``adex_cond_exp`` / ``adex_cond_alpha``: numerics.adex's v (V) and w (A); spike at v >= v_spike,
    then v <- v_reset, w <- w + b; while refractory v is held (dv/dt = 0) and w evolves."""

    state = {**CondLIF.state, "w": _ZERO}
    threshold = "v_spike"

    def coefficients(self):
        return adex_math.AdexCoefficients.from_params(self.params)

    def membrane(self, coef, v, state, g_stages, current, h, k, until):
        refractory = until > k
        active = (~refractory).astype(float) if refractory.any() else None
        adex_math.adex_step(v, state["w"], g_stages, coef, current, h, "euler" if self.euler else "rk4", active)

    def after_spikes(self, spikes, state) -> None:
        b = scalar_if_uniform(self.params["b"])
        state["w"][spikes] += b if np.isscalar(b) else b[spikes]


class HH(_Conductance):
    """``hh_cond_exp``: numerics.hh in mV, ms, nS, pF, pA: RK4 on substeps of at most 0.05 ms with exact
    conductances at every stage; a spike is an upward crossing of -20 mV between the step's start and
    end; no reset. State: voltage (mV), m, h, n, g_exc, g_inh (nS)."""

    state = {"voltage": _ZERO, "m": _ZERO, "h": _ZERO, "n": _ZERO, "g_exc": _ZERO, "g_inh": _ZERO}
    time_unit = 1e3
    current_unit = hh_math.PA

    def substeps(self, dt):
        return hh_math.substeps(dt * self.time_unit)

    def stepper(self, dt, J, inputs, state, label):
        coef = hh_math.HHCoefficients.from_params(self.params)
        syn = self.conductances(state, dt)
        current = self.injected(J)
        v = state["voltage"]
        x = [v, state["m"], state["h"], state["n"]]
        below = np.empty(v.size, bool)
        h_ms = dt * self.time_unit
        integrator = "euler" if self.euler else "rk4"
        exc, inh = inputs

        def step_hh(k):
            np.less(v, hh_math.SPIKE_THRESHOLD, out=below)
            if self.euler:
                hh_math.hh_step(x, [syn.g], coef, current(), h_ms, integrator)
                syn.advance_euler()
            else:
                hh_math.hh_step(x, syn.stages(), coef, current(), h_ms, integrator)
                syn.advance()
            _check_finite(v, k, dt, label)
            syn.receive(exc, inh)
            return upward_crossings(below, v, hh_math.SPIKE_THRESHOLD)

        return step_hh


class Izhikevich(NumericsNeurons):
    """``izhikevich``: numerics.izhikevich in the paper's units (voltage in mV, u, J in pA = mV/ms): RK4
    with the current held, then the voltage jumps arriving at the step's end, then v >= 30 mV spikes,
    v <- c, u <- u + d. With ``integrator: euler``, NEST's update (the jumps inside the Euler sum)."""

    state = {"voltage": _ZERO, "u": _ZERO}
    receptors = ("jumps",)

    def stepper(self, dt, J, inputs, state, label):
        coef = izh.IzhikevichCoefficients.from_params(self.params)
        i_offset = self.params["i_offset"] * izh.PA_PER_A
        v, u = state["voltage"], state["u"]
        (jumps,) = inputs
        h_ms = dt * izh.MS_PER_S
        current = np.empty_like(J)

        def step_izhikevich(k):
            if self.euler:
                izh.nest_euler_step(v, u, coef, J, i_offset, jumps, h_ms)
            else:
                izh.izhikevich_rk4_step(v, u, coef, np.add(i_offset, J, out=current), h_ms)
                np.add(v, jumps, out=v)
            _check_finite(v, k, dt, label)
            return izhikevich_fire(v, u, coef.c, coef.d, izh.V_PEAK)

        return step_izhikevich


#: NeuronType of each family, by its ``neuron_type`` name (translation.py)
NEURON_TYPES = {"CondLIF": CondLIF, "AdEx": AdEx, "HH": HH, "Izhikevich": Izhikevich}
