"""PyNN on NEURON (``pyNN.neuron``): what differs from PyNN's standard way, and why.

- Mechanisms: pyNN.neuron compiles its NMODL files with ``nrnivmodl`` on first import (10-35 s measured,
  into PyNN's own folder); the import holds a file lock so that two snnrun workers never compile at once.
- Synapses: one ``NetCon(source, target, threshold, delay, weight)`` per synapse from the pre cell's
  spike source onto the target's ``esyn``/``isyn`` point process: what PyNN's Connection does, without
  its per-synapse parameter-space bookkeeping. CUBA's 320k synapses: about 0.5 s, against 1.5 s with
  ``ParallelContext.gid_connect`` in the same loop and 7.1 s through FromListConnector (measured).
- Spike sources are PyNN SpikeSourceArrays (VecStim): a stamp at t is delivered at t + delay.
- Stimuli are PyNN StepCurrentSources (IClamp amplitudes played at the grid times): a change at step s
  acts from step s on, as in the reference engine (measured; no shift needed).
- The nonlinear cell types (IF_cond_*, EIF_cond_*_isfa_ista, Izhikevich, HH_cond_exp) get what
  neuron_cells.py adds: initial values after the mechanisms' INITIAL blocks, exact HH rates, the HH
  threshold at -20 mV, and Izhikevich synapses onto its point process. ExpSyn conductances carry a weight
  factor (translation.neuron_conductance_factor), divided out of recorded conductances.
- Plastic projections get one PyNN weight adjuster per synapse, and their weights are read at stops of
  the run (neuron_plasticity.py).
- Synaptic currents are recorded natively from the ExpISyn/AlphaISyn point processes (PyNN 0.13 lists
  only ``v`` and spikes for IF_curr_*); their ``i`` is the outward current, so the sign flips.
- Under MPI (``snnrun SPEC --backend pynn:neuron --mpi N``, launched by snnrun.mpi): every rank holds the
  whole drawn instance; PyNN gives each rank every N-th cell (gid modulo N), and a rank builds only the
  synapses onto its own cells (``ParallelContext.gid_connect`` from the pre cell's gid, wherever it
  lives) and records only its cells; rank 0 gathers spikes and traces with ``py_gather`` (NEURON's own
  MPI, no mpi4py). The ranks make the same collective calls in the same order (spikes once, then each
  recording in the instance's order).
"""

from __future__ import annotations

import fcntl
import importlib
import os
import tempfile

import numpy as np

from . import neuron_cells as nc
from . import translation as tr
from .neuron_plasticity import NeuronPlasticity, is_plastic
from .session import Session

#: NEURON's fixed-step scheme: 2 is Crank-Nicolson (PyNN leaves NEURON's default 0, backward Euler, which
#: drifts two steps per 87 ms interspike interval near rheobase; see semantics.md)
SECONDORDER = 2

#: fraction of a step taken off every delay, far above float noise (1e-12 steps) and far below a step
DELAY_EPSILON = 1e-6


def init_mpi() -> int:
    """Under mpirun, before anything imports pyNN.neuron: start NEURON's MPI (it loads the MPI library
    it finds), so that the ParallelContext pyNN.neuron creates at import sees every rank. Returns this
    process' rank."""
    from neuron import h
    h.nrnmpi_init()
    return int(h.ParallelContext().id())


def finish_mpi() -> None:
    """End this rank: NEURON's quit() finalises MPI (a rank that exits without it makes mpirun report
    the job as failed) and exits the process."""
    from neuron import h
    h.quit()


class NeuronSession(Session):
    module = "pyNN.neuron"
    tables = tr.TRANSLATIONS["pynn:neuron"]

    def import_module(self):
        lock_path = os.path.join(tempfile.gettempdir(), "snnrun-pynn-neuron-nrnivmodl.lock")
        with open(lock_path, "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # a first import compiles PyNN's mechanisms: one at a time
            try:
                return importlib.import_module(self.module)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def setup(self) -> None:
        from neuron import h

        self.h = h
        pc = self.sim.simulator.state.parallel_context
        self.ranks, self.rank = int(pc.nhost()), int(pc.id())
        if self.ranks > 1:
            self.parallel = {"mpi_ranks": self.ranks}
        delays = [int(p.delay_steps.max()) for p in self.inst.projections.values() if p.size]
        self.sim.setup(timestep=self.dt_ms, min_delay=self.dt_ms,
                       max_delay=max(delays, default=1) * self.dt_ms)
        h.secondorder = SECONDORDER
        # contiguous memory for the mechanisms' data: the same arithmetic, 3-7% faster on CUBA (measured)
        h.CVode().cache_efficient(1)
        self.netcons: list = []
        self.vectors: list = []
        self.drive: dict[tuple[str, str], np.ndarray] = {}
        self.plastic = NeuronPlasticity(self)
        self.nrn_cells = nc.NeuronCells(h, pc, self.dt_ms)
        self.nrn_cells.configure()

    def create_population(self, pop):
        cells = super().create_population(pop)
        self.nrn_cells.register_thresholds(cells)
        return cells

    def initialize(self, cells, initial: dict) -> None:
        # what the mechanisms' INITIAL blocks would overwrite is set after them (neuron_cells.py)
        for receptor in ("exc", "inh"):  # a conductance carries its weight factor (translation.py)
            if f"gsyn_{receptor}" in initial:
                initial[f"gsyn_{receptor}"] = initial[f"gsyn_{receptor}"] * self.drive_factor(cells.label, receptor)
        rest = self.nrn_cells.split_initial(cells, cells.celltype.__class__.__name__, initial)
        if rest:
            cells.initialize(**rest)

    def drive_factor(self, name: str, receptor: str) -> np.ndarray:
        """Per neuron of a population, the factor its table's weight rule multiplies PyNN weights onto
        ``receptor`` by (translation.neuron_drive_factor for exponential currents, else 1): recorded
        currents are divided by it again."""
        key = (name, receptor)
        if key not in self.drive:
            pop = self.inst.populations[name]
            params = {k: np.broadcast_to(v, pop.size) for k, v in pop.params.items()}
            factor = self.tables[pop.type].weights[receptor].factors({**params, "dt": self.inst.dt})
            self.drive[key] = np.ones(pop.size) if factor is None else factor
        return self.drive[key]

    def connect(self, proj) -> None:
        weights = self.pynn_weights(proj)
        # NEURON delivers an event at the first step boundary t_k with t_event <= t_k, comparing with its
        # accumulated t (k additions of dt): an arrival meant for t_k but rounded a few ulps above it
        # waited one step more (measured: 14 of 20 source spikes through a 1.9 ms delay). One millionth
        # of a step less delay puts every arrival safely on its boundary.
        delays = proj.delay_steps * self.dt_ms - DELAY_EPSILON * self.dt_ms
        if self.ranks > 1:
            if is_plastic(proj):
                raise NotImplementedError(
                    "plastic synapses under --mpi: pyNN.neuron's weight adjusters are built beside their "
                    "NetCons on one process; run plastic specs on pynn:neuron without --mpi")
            # NEURON's fixed-step spike exchange needs every delay strictly above dt ("mindelay is 0 (or
            # less than dt)" at exactly dt, measured; pyNN.neuron also refuses delays below min_delay
            # under MPI): one-step delays get one millionth of a step more instead of less. Their spikes
            # stay on the same step (measured); the event then comes just after that step's sample
            # instead of just before it (semantics.md, "pynn", "Threads and MPI processes")
            one_step = np.where(proj.delay_steps == 1, 2 * DELAY_EPSILON * self.dt_ms, 0.0)
            self._connect_across_ranks(proj, weights, delays + one_step)
            return
        delays = delays.tolist()
        sources = [c._cell for c in self.cells[proj.pre_population].all_cells]
        targets = [nc.synapse_target(c._cell, proj.receptor) for c in self.cells[proj.post_population].all_cells]
        if is_plastic(proj):  # a weight adjuster per synapse (neuron_plasticity.py)
            cells = [c._cell for c in self.cells[proj.post_population].all_cells]
            self.plastic.connect(proj, sources, targets, cells, delays, DELAY_EPSILON * self.dt_ms)
            return
        h, keep = self.h, self.netcons.append
        # NetCon(source, target, threshold, delay ms, weight) straight from the cells' spike sources
        # (what ParallelContext.gid_connect resolves to on one process): 0.11 s per 100k synapses against
        # 0.30 s through gid_connect (measured). Point-process sources (ResetRefrac, AdExpIF, Izhikevich,
        # VecStim) emit events, so the threshold is not used; HH cells' v crosses -20 mV (neuron_cells).
        if sources and nc.is_hh(sources[0]):  # a population is one cell type
            for i, j, w, d in zip(proj.pre.tolist(), proj.post.tolist(), weights.tolist(), delays):
                keep(nc.spike_netcon(h, sources[i], targets[j], d, w))
            return
        netcon, events = h.NetCon, [c.source for c in sources]
        for i, j, w, d in zip(proj.pre.tolist(), proj.post.tolist(), weights.tolist(), delays):
            keep(netcon(events[i], targets[j], 0.0, d, w))  # an unreferenced NetCon is deleted

    def stops(self) -> set[int]:
        # plastic weights are read where the run stands: stop at every sample step (and the end)
        return set(self.plastic.sample_steps())

    def at_stop(self, step: int) -> None:
        self.plastic.sample(step)

    def collect_weights(self):
        return self.plastic.weights()

    def _connect_across_ranks(self, proj, weights: np.ndarray, delays: np.ndarray) -> None:
        """MPI: the synapses onto this rank's cells, each from its pre cell's gid (PyNN numbers a
        population's cells first_id, first_id + 1, ...; a spike from another rank arrives through
        NEURON's spike exchange, at the same time as a local one)."""
        post = self.cells[proj.post_population]
        mine = np.flatnonzero(post._mask_local[proj.post])
        targets = {int(j): nc.synapse_target(post[int(j)]._cell, proj.receptor) for j in np.unique(proj.post[mine])}
        first_pre = int(self.cells[proj.pre_population].first_id)
        gid_connect, keep = self.sim.simulator.state.parallel_context.gid_connect, self.netcons.append
        for i, j, w, d in zip((proj.pre[mine] + first_pre).tolist(), proj.post[mine].tolist(),
                              weights[mine].tolist(), delays[mine].tolist()):
            con = gid_connect(i, targets[j])  # the threshold is the source gid's (pc.threshold)
            con.delay, con.weight[0] = d, w
            keep(con)

    # -- recording ---------------------------------------------------------------------------------
    def setup_recording(self) -> None:
        # every spike of every cell (neurons and sources) in two vectors: NEURON's own recorder is one
        # call, where PyNN's get_data builds a neo SpikeTrain per neuron (1.2 s for CUBA)
        self.spike_t, self.spike_gid = self.h.Vector(), self.h.Vector()
        self.sim.simulator.state.parallel_context.spike_record(-1, self.spike_t, self.spike_gid)
        super().setup_recording()

    def record_spikes(self, name: str) -> None:
        pass  # covered by the ParallelContext recorder

    def collect(self):
        gids, times = np.asarray(self.spike_gid.as_numpy(), np.int64), np.asarray(self.spike_t.as_numpy(), float)
        if self.ranks > 1:  # every rank's spikes to rank 0 (the others' results are not used)
            parts = self.sim.simulator.state.parallel_context.py_gather((gids.copy(), times.copy()), 0)
            parts = parts or [(np.empty(0, np.int64), np.empty(0))]
            gids, times = np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
        self.all_spikes = gids, times
        return super().collect()

    def read_spikes(self, name: str):
        cells = self.cells[name]
        gids, times = self.all_spikes
        mine = (gids >= int(cells.first_id)) & (gids <= int(cells.last_id))
        ids = cells.id_to_index(gids[mine]) if mine.any() else np.empty(0, np.int64)
        return self.stamps(np.asarray(ids, np.int64), times[mine])

    def record_state(self, name, variable, neurons, every):
        if variable == "v" and self.ranks == 1:
            return super().record_state(name, variable, neurons, every)
        cells = self.cells[name]
        vectors = {}
        for j in neurons.tolist():
            if not cells._mask_local[j]:
                continue  # another rank's cell: that rank records it
            cell = cells[int(j)]._cell
            refs = [(nc.state_ref(cell, variable), 1.0)] + self.nrn_cells.extra_refs(cell, variable)
            vecs = []
            for ref, scale in refs:
                vec = self.h.Vector()
                if variable == "v" and every == 1:  # under MPI: what PyNN's recorder records, as it samples
                    vec.record(ref)
                else:
                    vec.record(ref, every * self.dt_ms)
                vecs.append((vec, scale))
            vectors[j] = vecs
        self.vectors.extend(v for vecs in vectors.values() for v, _ in vecs)
        synaptic = variable.startswith(("i_syn", "g_"))
        factor = self.drive_factor(name, variable[-3:])[neurons] if synaptic else 1.0
        return ("vectors", vectors, factor)

    def read_state(self, name, variable, neurons, handle):
        if not isinstance(handle, tuple):
            values = super().read_state(name, variable, neurons, handle)
            self._reset_at_spikes(name, neurons, values, variable)
            return values
        # Vector.record(ref, interval) samples at t = 0, interval, ...; i is NEURON's outward current
        _, vectors, factor = handle
        columns = {j: sum(np.asarray(v.as_numpy(), float) * scale for v, scale in vecs)
                   for j, vecs in vectors.items()}
        if self.ranks > 1:
            parts = self.sim.simulator.state.parallel_context.py_gather(columns, 0) or [
                {int(j): np.zeros(self.n_steps + 1) for j in neurons}]  # ranks above 0: results unused
            columns = {j: col for part in parts for j, col in part.items()}
        length = min(col.size for col in columns.values())
        values = np.column_stack([columns[int(j)][:length] for j in neurons])
        if variable in ("v", "w", "u"):
            self._reset_at_spikes(name, neurons, values, variable)
            return values
        if variable.startswith("i_syn"):
            return -values / factor
        return values / factor

    def _reset_at_spikes(self, name: str, neurons: np.ndarray, values: np.ndarray, variable: str) -> None:
        """NEURON records a sample before the threshold event of the same time resets the cell; snnrun's
        sample at a spike's stamp is after the reset (semantics.md), so at those samples v becomes its
        reset value (mV), and AdEx's w gains b (nA), Izhikevich's u gains d."""
        jump = nc.SPIKE_UPDATE.get((self.inst.populations[name].type, variable))
        if jump is None:
            return  # HH has no reset
        every_ms = None
        for rec, nrn, every, base, handle in self.probes:
            if rec.population == name and rec.variable == variable:
                every_ms = base * self.dt_ms
        ids, times = self.read_spikes(name)
        if ids.size == 0 or every_ms is None:
            return
        rows = np.rint(times * 1e3 / every_ms)
        on_grid = np.abs(rows * every_ms - times * 1e3) < 1e-6 * self.dt_ms
        col_of = {int(n): j for j, n in enumerate(neurons)}
        pop = self.inst.populations[name]
        param, add = jump
        # the jump is a change of the recorded variable: in its PyNN unit through its own rule (mV, nA, mV/ms)
        _, value = self.tables[pop.type].state_forward(variable, np.broadcast_to(pop.params[param], pop.size))
        for row, n in zip(rows[on_grid].astype(np.int64), ids[on_grid]):
            if int(n) in col_of and row < values.shape[0]:
                j = col_of[int(n)]
                if not add:
                    values[row, j] = value[n]
                else:
                    # the threshold event at the sample's own time comes before or after the sample
                    # (both measured on AdEx's w): a change since the last sample nearer the jump than
                    # 0 (either sign of b or d) means it is in already
                    change = values[row, j] - values[row - 1, j] if row > 0 else 0.0
                    if abs(change - value[n]) >= abs(change):
                        values[row, j] += value[n]
