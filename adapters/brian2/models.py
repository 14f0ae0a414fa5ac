"""The supported models as Brian2 equations composed from a membrane and a synapse-kinetics piece
(:mod:`.pieces`), and the schedule that makes Brian2 follow schema/semantics.md. Text only: nothing
here imports Brian2.

Brian2's default schedule runs, in each step starting at ``t = k dt``: ``start`` (StateMonitor: samples
the state at ``k dt``), ``groups`` (integration over ``(k dt, (k+1) dt]``), ``thresholds``,
``synapses`` (on_pre), ``resets``, ``end``. The reference engine adds the synaptic input arriving at the
end of step k after integrating step k and before thresholding it (a voltage jump can trigger a spike in
the step it arrives in). So every pathway here runs in the ``before_thresholds`` slot (:data:`PATHWAY_WHEN`).
That slot comes before this step's threshold, so a pathway pushes the spikes its source emitted in the
*previous* step: a spike of step k' through ``d`` steps of delay must be delivered in step k' + d, hence
the Brian2 delay ``(d - 1) dt`` (plan.py). Delays of one step (all of CUBA) become 0, which Brian2 allows.

Refractoriness is Brian2's own (``refractory=t_ref``, ``(unless refractory)`` on v): v is not integrated
and keeps the v_reset the reset gave it, exactly the reference's clamp, and the threshold is blocked. A
voltage jump is multiplied by ``not_refractory`` so that it is discarded during the clamp as in the
reference. Synaptic currents keep evolving.

Linear dynamics are integrated with ``method='exact'`` (sympy's closed form). That closed form divides by
``tau_syn - tau_m``, with ``int(not_refractory)`` inside the symbols, so for a receptor whose tau_syn equals
tau_m over the whole group the equations say so (``tau_m`` in place of ``tau_syn``) and v is integrated
without ``(unless refractory)``: refractoriness then clamps v with a ``run_regularly`` operation after the
integration (the membrane's ``clamp`` code), the same arithmetic effect.

The nonlinear membranes (membranes.py) are integrated with ``rk4``; their conductances are parameters
whose exact values at rk4's stage times are subexpressions of ``t`` (pieces.py), moved to the step's end
by a ``run_regularly`` operation right after the integration (``after_update``, in the same slot as the
clamp, before the pathways add the arriving weights). HH keeps the potential at the step's start for its
crossing threshold in a ``run_regularly`` operation before the integration (``before_update``).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping, Optional

from ..translation import Translation
from .membranes import ADEX, HH, IZHIKEVICH, LIF_COND
from .pieces import (CONDUCTANCE_ALPHA, CONDUCTANCE_EXP, CURRENT_ALPHA, CURRENT_EXP, LIF, UNITS,
                     VOLTAGE_DELTA, Membrane, SynapseKinetics)

#: Brian2 scheduling slot of every synaptic pathway (see the module docstring)
PATHWAY_WHEN = "before_thresholds"


@dataclass(frozen=True)
class Brian2Model:
    """A spec model type as a membrane piece and a synapse-kinetics piece."""

    membrane: Membrane
    synapses: SynapseKinetics

    def translation(self, model: str) -> Translation:
        return Translation(model, f"{self.membrane.name} + {self.synapses.name}", UNITS,
                           params=self.membrane.params + self.synapses.params,
                           state=self.membrane.state + self.synapses.state,
                           weights=self.synapses.weights)


#: spec model type -> its pieces: adding a model family is a piece (pieces.py) and a line here
MODELS: Mapping[str, Brian2Model] = MappingProxyType({
    "lif_curr_exp": Brian2Model(LIF, CURRENT_EXP),
    "lif_curr_alpha": Brian2Model(LIF, CURRENT_ALPHA),
    "lif_curr_delta": Brian2Model(LIF, VOLTAGE_DELTA),
    "lif_cond_exp": Brian2Model(LIF_COND, CONDUCTANCE_EXP),
    "lif_cond_alpha": Brian2Model(LIF_COND, CONDUCTANCE_ALPHA),
    "adex_cond_exp": Brian2Model(ADEX, CONDUCTANCE_EXP),
    "adex_cond_alpha": Brian2Model(ADEX, CONDUCTANCE_ALPHA),
    "izhikevich": Brian2Model(IZHIKEVICH, VOLTAGE_DELTA),
    "hh_cond_exp": Brian2Model(HH, CONDUCTANCE_EXP),
})

#: spec model type -> its translation table
TRANSLATIONS: Mapping[str, Translation] = MappingProxyType({m: pieces.translation(m) for m, pieces in MODELS.items()})


@dataclass(frozen=True)
class ModelCode:
    """Everything a NeuronGroup needs: ``equations`` (Brian2 text), threshold, reset ("": none),
    refractory (False: none), the state-update ``method`` and its ``substeps`` per step (1: the method
    itself, more: that many chained steps of dt/substeps, see build.py), ``before_update``: code to run
    in every step before the integration, ``after_update``: code to run right after it (None: none)."""

    equations: str
    threshold: str
    reset: str
    refractory: str | bool
    method: str
    substeps: int
    before_update: Optional[str]
    after_update: Optional[str]


def neuron_code(model: str, arrays: set[str], singular: tuple[str, ...] = (), stimulus: bool = False,
                offset: bool = True, substeps: int = 1) -> ModelCode:
    """Brian2 equations of ``model``; ``arrays``: Brian2 names of per-neuron parameters; ``singular``:
    receptors whose synaptic time constant equals the membrane's group-wide; ``stimulus``: add the
    TimedArray current; ``offset``: add the membrane's constant current (left out when it is 0 A for the
    whole group: sympy's exact solution is then the one of a hand-written model, found faster, and the
    step has one term less); ``substeps``: of the membrane's method per step (pieces.Membrane)."""
    membrane, synapses = MODELS[model].membrane, MODELS[model].synapses
    receptors = tuple(synapses.time_constants) if synapses.current else ()
    drive = ([membrane.offset] if offset and membrane.offset else []) + (["I_stim"] if stimulus else [])
    currents = [synapses.current_of(r, membrane.potential) for r in receptors] + drive
    clamped = bool(singular) and membrane.clamp is not None
    lines = membrane.lines(currents, unless_refractory=membrane.refractory is not None and not clamped)
    after = [membrane.clamp] if clamped else []
    lines += list(synapses.common) if receptors else []
    for receptor in receptors:
        if receptor in singular:
            tau = membrane.brian2_name(membrane.time_constant)
        else:
            tau = synapses.brian2_time_constant(receptor)
        lines += synapses.lines(receptor, tau)
        after += synapses.update_code(receptor, tau)
    if stimulus:
        # an explicit method evaluates the right-hand side at t + dt/2 and t + dt as well, where the
        # TimedArray would already give the next step's current: the current of step k is held over it
        held = "" if membrane.method == "exact" else " (constant over dt)"
        lines.append(f"I_stim = stimulus_table(t, stim_column) : amp{held}")
        lines.append("stim_column : integer (constant)")
    # per-neuron parameters are declared in the equations; uniform ones come from the namespace
    lines += [f"{rule.target} : {rule.unit} (constant)" for rule in TRANSLATIONS[model].params if rule.target in arrays]
    lines += [f"{name} : {unit}" for name, unit in membrane.hidden.items()]
    return ModelCode("\n".join(lines) + "\n", membrane.threshold, membrane.reset,
                     membrane.refractory or False, membrane.method, substeps, membrane.before_update,
                     "\n".join(after) if after else None)


def group_code(group) -> ModelCode:
    """The ModelCode of a :class:`~.plan.GroupPlan`."""
    name = MODELS[group.model].membrane.offset
    offset = name is not None and group.constants.get(name) != 0.0
    return neuron_code(group.model, set(group.arrays), group.singular, group.stimulus is not None, offset,
                       group.substeps)


def on_pre_code(model: str, receptor: str, amplitude: str = "w") -> str:
    """on_pre statement adding a synapse's weight ``w`` (per synapse or a namespace constant; ``amplitude``
    for plastic synapses, e.g. ``w*x_tm*u_tm``) to the receptor's target; a voltage jump onto a refractory
    membrane is discarded, as in the reference."""
    pieces = MODELS[model]
    target = pieces.synapses.weights[receptor].target
    if pieces.synapses.voltage_jump and pieces.membrane.refractory is not None:
        return f"{target}_post += {amplitude} * int(not_refractory_post)"
    return f"{target}_post += {amplitude}"


def hidden_state(model: str) -> Mapping[str, str]:
    """Brian2-only state of ``model`` (name -> unit), set to 0 at the start."""
    return {**MODELS[model].membrane.hidden, **MODELS[model].synapses.hidden}
