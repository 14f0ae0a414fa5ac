"""Receptor inputs: how a second (and third) input per neuron reaches a nengo NeuronType.

A nengo neuron population has one input, ``J`` (``model.sig[neurons]["in"]``), and connections onto
``ens.neurons`` add into it. Conductance models need the conductance arrivals of each receptor apart
(the excitatory and the inhibitory jumps enter different equations), and the Izhikevich model adds its
voltage jumps after the step, not into its injected current. So the NeuronTypes of :mod:`.models`
declare their ``receptors`` (``("exc", "inh")``, or ``("jumps",)``), their builder makes one input
signal per receptor beside ``J`` (reset to 0 every step, like ``J``), and a :class:`ReceptorInput` is
the connectable face of one such signal: a pass-through Node whose builder makes the receptor signal
its own input and output, so that ``nengo.Connection(pre, ReceptorInput(ens, "exc"), ...)`` adds into
it with nengo's ordinary Copy operators, and the neuron operator reads it.

Lags: a projection's connection carries no synapse (the kinetics are inside the NeuronType, which
owns the conductances as state), so what the :class:`~.transforms.DelayedSparse` transform emits in
nengo step n (the amplitudes arriving at n dt) is read by the neuron operator in the same step n, as
phase 2 of step k = n - 1. Its output in step n does not depend on the spikes of step n, so recurrent
projections are not algebraic loops.
"""

from __future__ import annotations

import nengo
from nengo.builder import Builder
from nengo.exceptions import BuildError


def receptor_key(receptor: str) -> str:
    """The key of a receptor's input signal in ``model.sig[neurons]``."""
    return f"receptor_{receptor}"


class ReceptorInput(nengo.Node):
    """The input of ``receptor`` of every neuron of ``ensemble`` (size_in = its neuron count); the
    ensemble's NeuronType must list ``receptor`` among its ``receptors``. Build the ensemble first
    (nengo builds a network's ensembles before its nodes)."""

    def __init__(self, ensemble: nengo.Ensemble, receptor: str, label: str | None = None):
        super().__init__(output=None, size_in=ensemble.n_neurons, label=label or f"{ensemble.label}.{receptor}")
        self.ensemble = ensemble
        self.receptor = receptor

    __eq__ = object.__eq__
    __hash__ = object.__hash__


@Builder.register(ReceptorInput)
def build_receptor_input(model, node: ReceptorInput):
    """Points the node's input and output at the receptor signal its ensemble's builder made."""
    neurons = node.ensemble.neurons
    signal = model.sig[neurons].get(receptor_key(node.receptor)) if neurons in model.sig else None
    if signal is None:
        raise BuildError(f"{node}: {node.ensemble} has no built input for receptor '{node.receptor}' "
                         f"(its neuron type {node.ensemble.neuron_type} lists none, or it is not built yet)")
    model.sig[node]["in"] = signal
    model.sig[node]["out"] = signal
    model.params[node] = None
