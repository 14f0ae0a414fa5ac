"""Recording for the nengo adapter: sparse spike logs, a probe on synapse state, the sampling grid.

- Spikes: a sink Node per recorded population logs ``(step, indices)`` of the neurons that spiked. A
  ``nengo.Probe`` on ``.neurons`` would store a dense float64 row per step (4000 neurons x 10000 steps
  = 320 MB for CUBA, and nengo copies it once more into an array): the log keeps only the spikes.
- Voltages: ``nengo.Probe(ens.neurons[idx], "voltage", sample_every=...)``; nengo samples after step n
  when ``n % (sample_every/dt) < 1``, i.e. the state at t = n dt, after that step's reset.
- Synaptic currents: :class:`SynapseStateProbe`, a Probe on a state signal of a connection's synapse
  (nengo's probes reach only a connection's input, output and weights).
"""

from __future__ import annotations

import numpy as np
import nengo
from nengo.builder import Builder
from nengo.builder.probe import SimProbe
from nengo.exceptions import BuildError


class SpikeLog:
    """Callable of a sink Node (size_in = population size): logs the nengo step and the indices of the
    neurons whose output is nonzero. ``steps()`` and ``ids()`` give the log as flat int64 arrays."""

    def __init__(self, dt: float):
        self.dt = dt
        self.entries: list[tuple[int, np.ndarray]] = []

    def __call__(self, t, x):
        fired = (x != 0.0).nonzero()[0]  # about 3x faster than np.flatnonzero on floats
        if fired.size:
            self.entries.append((int(round(t / self.dt)), fired))

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """(neuron ids, nengo steps), in step order, neurons ascending within a step."""
        if not self.entries:
            return np.empty(0, np.int64), np.empty(0, np.int64)
        steps = np.concatenate([np.full(f.size, n, np.int64) for n, f in self.entries])
        ids = np.concatenate([f for _, f in self.entries]).astype(np.int64)
        return ids, steps


class SynapseStateProbe(nengo.Probe):
    """Probe of the state signal ``state`` (e.g. ``"s"``, ``"i"``) of ``connection.synapse``."""

    state_name = ""

    def __init__(self, connection, state: str, sample_every=None, label=None):
        super().__init__(connection, "output", sample_every=sample_every, label=label)
        self.state_name = state


@Builder.register(SynapseStateProbe)
def build_synapse_state_probe(model, probe):
    """Points the probe at the synapse's process-state signal (built with its connection)."""
    key = "_state_" + probe.state_name
    try:
        sig = model.sig[probe.target.synapse][key]
    except KeyError as exc:
        raise BuildError(f"{probe.target.synapse} has no state '{probe.state_name}'") from exc
    model.sig[probe]["in"] = sig
    model.add_op(SimProbe(sig))
    model.probes.append(probe)
    model.params[probe] = []


def sample_every(every: int, dt: float, n_steps: int):
    """(sample_every for nengo or None for every step, the nengo steps it samples, the grid's steps).

    snnrun's grid is t = 0, every dt, ... < duration; t = 0 is the initial value, so nengo must sample
    steps n = every, 2 every, ... (n < n_steps). nengo's rule ``n % (sample_every/dt) < 1`` is
    replicated here to choose a float sample_every that hits exactly those steps; if none does (it
    always has so far), every step is sampled and the grid is taken from it.
    """
    n = np.arange(1, n_steps + 1)
    wanted = n % every == 0
    s = every * dt
    for _ in range(4):
        if np.array_equal((n % (s / dt)) < 1, wanted):
            return s, n[wanted], n[wanted & (n < n_steps)]
        s = np.nextafter(s, 0.0)
    return None, n, n[wanted & (n < n_steps)]
