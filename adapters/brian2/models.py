"""The supported models written in Brian2's equation language, and the schedule that makes Brian2 follow
schema/semantics.md. Text only: nothing here imports Brian2.

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
integration (:data:`CLAMP_CODE`), the same arithmetic effect.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import translation as tr

#: Brian2 scheduling slot of every synaptic pathway (see the module docstring)
PATHWAY_WHEN = "before_thresholds"
#: the clamp of singular groups: a select written as arithmetic (v * 1 + V_reset * 0 is v exactly)
CLAMP_CODE = "v = v * int(not_refractory) + V_reset * (1 - int(not_refractory))"

THRESHOLD = "v >= V_th"  # the reference spikes at v >= v_thresh (Brian2 examples often use >)
RESET = "v = V_reset"
REFRACTORY = "t_ref"


@dataclass(frozen=True)
class ModelCode:
    """Everything a NeuronGroup needs: ``equations`` (Brian2 text), threshold, reset, refractory, and
    ``clamp``: run CLAMP_CODE after integration (singular groups only)."""

    equations: str
    threshold: str
    reset: str
    refractory: str
    clamp: bool


def _declarations(model: str, arrays: set[str]) -> list[str]:
    """Per-neuron parameters are declared in the equations; uniform ones come from the namespace."""
    out = []
    for term in tr.PARAMS[model].values():
        if term.brian2 in arrays:
            out.append(f"{term.brian2} : {term.unit} (constant)")
    return out


def neuron_code(model: str, arrays: set[str], singular: tuple[str, ...] = (), stimulus: bool = False,
                offset: bool = True) -> ModelCode:
    """Brian2 equations of ``model``; ``arrays``: Brian2 names of per-neuron parameters; ``singular``:
    receptors whose tau_syn equals tau_m group-wide; ``stimulus``: add the TimedArray current;
    ``offset``: add I_offset (left out when it is 0 A for the whole group: sympy's exact solution is
    then the one of a hand-written model, found faster, and the step has one term less)."""
    drive = (["I_offset"] if offset else []) + (["I_stim"] if stimulus else [])
    lines: list[str] = []
    if model == "lif_curr_delta":
        currents = drive
    else:
        currents = ["I_syn_e", "I_syn_i"] + drive
    flag = "" if singular else " (unless refractory)"
    drive_term = f" + ({' + '.join(currents)})/Cm" if currents else ""
    lines.append(f"dv/dt = (V_rest - v)/tau_m{drive_term} : volt{flag}")
    for receptor, x in (("exc", "e"), ("inh", "i")):
        if model == "lif_curr_delta":
            break
        tau = "tau_m" if receptor in singular else f"tau_syn_{x}"
        if model == "lif_curr_exp":
            lines.append(f"dI_syn_{x}/dt = -I_syn_{x}/{tau} : amp")
        else:  # alpha: two linear states per receptor, a spike adds w e / tau_syn to the drive y
            lines.append(f"dI_syn_{x}/dt = y_{x} - I_syn_{x}/{tau} : amp")
            lines.append(f"dy_{x}/dt = -y_{x}/{tau} : amp/second")
    if stimulus:
        lines.append("I_stim = stimulus_table(t, stim_column) : amp")
        lines.append("stim_column : integer (constant)")
    lines += _declarations(model, arrays)
    return ModelCode("\n".join(lines) + "\n", THRESHOLD, RESET, REFRACTORY, clamp=bool(singular))


def group_code(group) -> ModelCode:
    """The ModelCode of a :class:`~.plan.GroupPlan`."""
    offset = group.constants.get("I_offset") != 0.0
    return neuron_code(group.model, set(group.arrays), group.singular, group.stimulus is not None, offset)


def on_pre_code(target: str) -> str:
    """on_pre statement adding a synapse's weight ``w`` (per synapse or a namespace constant) to ``target``.

    A voltage jump is discarded while the target is refractory, as in the reference's clamp.
    """
    if target == "v":
        return "v_post += w * int(not_refractory_post)"
    return f"{target}_post += w"
