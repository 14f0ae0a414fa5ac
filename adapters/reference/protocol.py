"""The neuron-group protocol of the reference engine, and the registry of group classes by model type.

A group holds every neuron of every population of one model type (so a step costs the same few numpy
calls however many populations share the type). The engine knows nothing else about a model: it calls

- :meth:`NeuronGroup.step` once per step with the ring-buffer slot of that step (the synaptic input
  arriving at the step's end, one row per channel) and gets the indices of the neurons that spiked;
  the default ``step`` is the order of operations of schema/semantics.md: :meth:`~NeuronGroup.integrate`
  (phase 1), :meth:`~NeuronGroup.receive` (phase 2), :meth:`~NeuronGroup.fire` (phases 3 and 4);
- :meth:`~NeuronGroup.inject` when a stimulus changes, :meth:`~NeuronGroup.read` to record a state
  variable, and, once while building, :attr:`~NeuronGroup.n_channels` and
  :meth:`~NeuronGroup.weight_scale` to lay out the ring buffer and scale each projection's weights.

A compiled kernel (issue 13) can implement a group behind the same protocol by overriding ``step``;
synaptic delivery is a separate object (:class:`snnrun.numerics.delivery.CsrDelivery`), so per-synapse
plasticity can replace it without touching the groups.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Callable, Mapping

import numpy as np

#: the integrators ``simulation.options.reference.integrator`` selects (semantics.md, "Integrators")
INTEGRATORS = ("standard", "euler")


class NumericalInstability(ArithmeticError):
    """A state variable became non-finite: the integration is unstable at this dt."""

    def __init__(self, variable: str, neuron: int, step: int):
        self.variable, self.neuron, self.step = variable, neuron, step
        super().__init__(f"{variable} of neuron {neuron} became non-finite in step {step}")


class NeuronGroup(ABC):
    """The operations the engine calls on a group of ``n`` neurons of one model type.

    Built from ``params`` (parameter name -> float64 array over the group's neurons, SI), ``initial``
    (state variable -> array, SI), the step ``dt`` (s) and the ``integrator`` option.
    """

    #: rows of this group's ring buffer: one per receptor channel
    n_channels: int = 2
    #: True when :meth:`step` returns its spiking neurons in ascending order (the engine then splits them
    #: by population with one searchsorted instead of a mask per population)
    sorted_spikes: bool = False

    @staticmethod
    def check_params(params) -> list[tuple[str, str]]:
        """(parameter name, message) for every parameter value (ValueSpecs of the typed spec) this family's
        scheme cannot run; ``snnrun check`` reports each at the parameter's spec path. Default: none."""
        return []

    n: int

    def step(self, k: int, inputs: np.ndarray) -> np.ndarray:
        """Advance step k (from k dt to (k+1) dt); ``inputs[channel, neuron]`` is what arrives at the
        step's end. Returns the indices (int64) of the neurons that spiked, stamped (k+1) dt."""
        self.integrate(k)
        self.receive(inputs)
        return self.fire(k)

    @abstractmethod
    def integrate(self, k: int) -> None:
        """Phase 1: integrate the state over step k with the injected current of step k."""

    @abstractmethod
    def receive(self, inputs: np.ndarray) -> None:
        """Phase 2: add the synaptic input arriving at the step's end (already weight-scaled)."""

    @abstractmethod
    def fire(self, k: int) -> np.ndarray:
        """Phases 3 and 4: clamp refractory neurons, threshold, reset; return the spiking neurons."""

    @abstractmethod
    def inject(self, neurons: np.ndarray, deltas: np.ndarray) -> None:
        """Change the injected current of ``neurons`` by ``deltas`` (A) from the current step on."""

    @abstractmethod
    def read(self, name: str, neurons: np.ndarray) -> np.ndarray:
        """The current value (SI) of a state variable for the given neurons."""

    @abstractmethod
    def weight_scale(self, receptor: str, post: np.ndarray) -> tuple[int, np.ndarray | float]:
        """The ring-buffer channel of ``receptor`` and the factor that turns a spec weight (SI) onto the
        neurons ``post`` into what :meth:`receive` adds."""


GroupFactory = Callable[[Mapping[str, np.ndarray], Mapping[str, np.ndarray], float, str], NeuronGroup]

#: catalogue model type -> factory(params, initial, dt, integrator) of its group
GROUPS: dict[str, GroupFactory] = {}


def register_group(model_type: str, factory: GroupFactory) -> None:
    """Make the engine run ``model_type`` with groups built by ``factory``."""
    GROUPS[model_type] = factory


def make_group(model_type: str, params, initial, dt: float, integrator: str = "standard", **options) -> NeuronGroup:
    """A group for ``model_type`` from the registry (KeyError if none is registered); ``options`` are
    the family's own keywords (the HH group's ``spike_rule``)."""
    return GROUPS[model_type](params, initial, dt, integrator, **options)


def check_finite(name: str, x: np.ndarray, k: int) -> None:
    """Raise :class:`NumericalInstability` if some element of ``x`` is not finite."""
    if not np.isfinite(x).all():
        raise NumericalInstability(name, int(np.flatnonzero(~np.isfinite(x))[0]), k)
