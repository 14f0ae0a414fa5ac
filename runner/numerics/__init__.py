"""Shared numerics of snnrun's neuron models: the arithmetic schema/semantics.md defines, as pure numpy
functions of arrays, so that the reference engine and the adapters that must reproduce it step for step
(nengo imports these functions; Brian2 runs the same scheme, see semantics.md) use one implementation.

- :mod:`.propagators`: exact propagators of the linear (current-based) LIF dynamics;
- :mod:`.kinetics`: exponential and alpha synaptic kinetics, exact over a step and at RK4 stage times,
  and the alpha kernel's normalisation;
- :mod:`.integrators`: the classical RK4 and forward-Euler steps every nonlinear model uses;
- :mod:`.lif_cond`, :mod:`.adex`, :mod:`.izhikevich`, :mod:`.hh`: each model's right-hand side, its
  coefficients (computed once from the SI parameters) and its step;
- :mod:`.spiking`: spike conditions, resets and refractoriness (phases 3 and 4);
- :mod:`.initial`: initial values a model derives (HH gates at their steady state);
- :mod:`.schedules`: stimulus currents as changes per step;
- :mod:`.delivery`: spike delivery from compressed sparse rows into ring buffers;
- :mod:`.plasticity`: STDP weight updates and the Tsodyks-Markram release (schema/semantics.md);
- :mod:`.plastic_delivery`: plastic synapses' events (pre and post spikes in the shifted frame) into ring
  buffers, for the reference engine and nengo.

Nothing here holds engine state (ring buffers, refractory counters, recordings): callers own the state
arrays and pass them in; functions update them in place where they say so. The one exception is
:class:`.plastic_delivery.PlasticDelivery`, which owns its synapses' plastic state (weights, traces, x and
u) and writes into a ring buffer the caller owns.
"""
